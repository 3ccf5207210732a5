// Values that reach the database as bound parameters.
//
// Every literal in a DuoORM statement becomes a Value carried beside the SQL
// text, never spliced into it. A Value is a small tagged union over the
// representations the drivers bind: each driver maps every kind to its
// database's closest type (see the engine's type mapping).

#ifndef DUO_SQL_VALUE_H_
#define DUO_SQL_VALUE_H_

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace duo::sql {

// Binary data; distinct from text so that it binds as a BLOB / bytea.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

// An exact decimal number carried as its digits, so that no binary floating
// point ever rounds it: "-1234.5600". Construct with Parse; zero by default.
class Decimal {
 public:
  Decimal() : digits_("0") {}
  // Accepts [+-]digits[.digits]; InvalidArgument otherwise.
  static absl::StatusOr<Decimal> Parse(absl::string_view text);
  // The exact digits of `value`.
  static Decimal FromUnsigned(uint64_t value);
  const std::string& digits() const { return digits_; }
  friend bool operator==(const Decimal&, const Decimal&) = default;

 private:
  explicit Decimal(std::string digits) : digits_(std::move(digits)) {}
  std::string digits_;
};

// A JSON document in its serialized form. The IR does not parse JSON; the
// engine converts to and from nlohmann::json.
struct JsonText {
  std::string text;
  friend bool operator==(const JsonText&, const JsonText&) = default;
};

// How an enum reaches the database: its declared name as text, or its
// underlying integer. An enum is usable as a value once declared:
//
//   enum class Status { kPending, kShipped };
//   template <>
//   struct duo::sql::EnumTraits<Status> {
//     static constexpr EnumStorage kStorage = EnumStorage::kText;
//     static constexpr std::pair<Status, std::string_view> kNames[] = {
//         {Status::kPending, "pending"}, {Status::kShipped, "shipped"}};
//   };
//
// Reading a name or number that is not declared is an error naming the
// column, never a made-up enumerator.
enum class EnumStorage : uint8_t { kText, kInteger };

template <typename E>
struct EnumTraits;  // specialize per enum, as above

template <typename E>
concept DeclaredEnum = std::is_enum_v<E> && requires {
  { EnumTraits<E>::kStorage } -> std::convertible_to<EnumStorage>;
  EnumTraits<E>::kNames;
};

// The declared name of `value`, or empty if it is not declared.
template <DeclaredEnum E>
constexpr std::string_view EnumName(E value) {
  for (const auto& [enumerator, name] : EnumTraits<E>::kNames) {
    if (enumerator == value) return name;
  }
  return {};
}

template <DeclaredEnum E>
constexpr std::optional<E> EnumFromName(std::string_view name) {
  for (const auto& [enumerator, declared] : EnumTraits<E>::kNames) {
    if (declared == name) return enumerator;
  }
  return std::nullopt;
}

template <DeclaredEnum E>
constexpr std::optional<E> EnumFromInteger(int64_t number) {
  for (const auto& [enumerator, name] : EnumTraits<E>::kNames) {
    if (static_cast<int64_t>(enumerator) == number) return enumerator;
  }
  return std::nullopt;
}

class Value;
// A PostgreSQL array (stored as a JSON array on SQLite) of scalar values.
struct Array {
  std::vector<Value> elements;
  friend bool operator==(const Array&, const Array&);
};

// Copyable, cheap to move. Equality compares kind and content.
class Value {
 public:
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kInt,
    kDouble,
    kText,
    kBlob,
    kTimestamp,
    kDate,
    kDecimal,
    kJson,
    kArray,
  };

  Value() = default;  // NULL
  Value(std::nullopt_t) {}
  Value(bool value) : storage_(value) {}
  // An unsigned 64-bit number beyond int64_t's range is carried as its
  // exact decimal digits: a cast would wrap it to a negative number, and a
  // column that cannot hold it is an error where the column is known.
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  Value(I value) {
    *this = value;
  }
  template <std::floating_point F>
  Value(F value) : storage_(static_cast<double>(value)) {}
  Value(std::string value) : storage_(std::move(value)) {}
  Value(const char* value) : storage_(std::string(value)) {}
  Value(absl::string_view value) : storage_(std::string(value)) {}
  Value(std::string_view value) : storage_(std::string(value)) {}
  Value(Blob value) : storage_(std::move(value)) {}
  Value(absl::Time value) : storage_(value) {}
  Value(absl::CivilDay value) : storage_(value) {}
  Value(Decimal value) : storage_(std::move(value)) {}
  Value(JsonText value) : storage_(std::move(value)) {}
  Value(Array value) : storage_(std::make_shared<const Array>(std::move(value))) {}
  template <DeclaredEnum E>
  Value(E value) {
    if constexpr (EnumTraits<E>::kStorage == EnumStorage::kText) {
      storage_ = std::string(EnumName(value));
    } else {
      storage_ = static_cast<int64_t>(value);
    }
  }
  template <typename T>
  Value(const std::optional<T>& value) {
    if (value.has_value()) *this = Value(*value);
  }

  // Assigning a number or text replaces the held value in place, without
  // a temporary Value: what code that refills a statement's parameters for
  // every row (ExecuteMany) does most.
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  Value& operator=(I value) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(int64_t)) {
      if (!std::in_range<int64_t>(value)) {
        storage_ = Decimal::FromUnsigned(value);
        return *this;
      }
    }
    storage_ = static_cast<int64_t>(value);
    return *this;
  }
  template <std::floating_point F>
  Value& operator=(F value) {
    storage_ = static_cast<double>(value);
    return *this;
  }
  Value& operator=(std::string value) {
    storage_ = std::move(value);
    return *this;
  }
  Value& operator=(const char* value) { return *this = std::string(value); }
  Value& operator=(absl::string_view value) { return *this = std::string(value); }
  Value& operator=(std::string_view value) { return *this = std::string(value); }

  Kind kind() const { return static_cast<Kind>(storage_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }

  // Accessors; calling one for another kind is a programming error.
  bool as_bool() const { return std::get<bool>(storage_); }
  int64_t as_int() const { return std::get<int64_t>(storage_); }
  double as_double() const { return std::get<double>(storage_); }
  const std::string& as_text() const { return std::get<std::string>(storage_); }
  const Blob& as_blob() const { return std::get<Blob>(storage_); }
  absl::Time as_timestamp() const { return std::get<absl::Time>(storage_); }
  absl::CivilDay as_date() const { return std::get<absl::CivilDay>(storage_); }
  const Decimal& as_decimal() const { return std::get<Decimal>(storage_); }
  const JsonText& as_json() const { return std::get<JsonText>(storage_); }
  const Array& as_array() const { return *std::get<std::shared_ptr<const Array>>(storage_); }

  // A SQL-literal-like rendering for logs and debugging ('it''s', 42, NULL,
  // X'00ff', '2026-11-25T02:30:00Z'). Never executed: statements always
  // bind values.
  std::string DebugString() const;

  friend bool operator==(const Value& a, const Value& b);

  // The kind goes last, so that no value's hash expansion is a suffix of
  // another's (abseil's requirement).
  template <typename H>
  friend H AbslHashValue(H h, const Value& value) {
    return std::visit(
        [&h, &value](const auto& stored) {
          using T = std::decay_t<decltype(stored)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return H::combine(std::move(h), value.storage_.index());
          } else if constexpr (std::is_same_v<T, Blob>) {
            return H::combine(std::move(h), stored.bytes, value.storage_.index());
          } else if constexpr (std::is_same_v<T, Decimal>) {
            return H::combine(std::move(h), stored.digits(), value.storage_.index());
          } else if constexpr (std::is_same_v<T, JsonText>) {
            return H::combine(std::move(h), stored.text, value.storage_.index());
          } else if constexpr (std::is_same_v<T, std::shared_ptr<const Array>>) {
            return H::combine(std::move(h), stored->elements, value.storage_.index());
          } else {
            return H::combine(std::move(h), stored, value.storage_.index());
          }
        },
        value.storage_);
  }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Blob, absl::Time,
               absl::CivilDay, Decimal, JsonText, std::shared_ptr<const Array>>
      storage_;
};

}  // namespace duo::sql

#endif  // DUO_SQL_VALUE_H_
