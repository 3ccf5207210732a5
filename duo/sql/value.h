// Values that reach the database as bound parameters.
//
// Every literal in a DuoORM statement becomes a Value carried beside the SQL
// text, never spliced into it. A Value is a small tagged union over the
// representations the drivers bind: each driver maps every kind to its
// database's closest type (see the engine's type mapping).

#ifndef DUO_SQL_VALUE_H_
#define DUO_SQL_VALUE_H_

#include <array>
#include <compare>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
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

// A UUID: 16 bytes, in the order of its canonical text
// (8-4-4-4-12 hexadecimal digits). PostgreSQL stores it as `uuid`; SQLite as
// 32 lowercase hexadecimal digits without dashes, the form SQLAlchemy's
// backend-agnostic GUID type (1.4) and its Uuid type (2.0) write and read
// on databases without a uuid type. Nil (all zeros) by default. Compares
// and hashes by its bytes, which orders it as PostgreSQL orders uuids.
class Uuid {
 public:
  Uuid() = default;
  explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}
  // Accepts the canonical form in either case, with or without braces
  // ("{...}"), and the 32 digits without dashes; InvalidArgument otherwise.
  static absl::StatusOr<Uuid> Parse(absl::string_view text);
  // 16 raw bytes; InvalidArgument for any other length.
  static absl::StatusOr<Uuid> FromBytes(absl::string_view bytes);
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // "123e4567-e89b-12d3-a456-426614174000": lowercase, with dashes.
  std::string ToString() const;
  // "123e4567e89b12d3a456426614174000": what SQLite stores.
  std::string ToHex() const;
  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Uuid& uuid) {
    return H::combine_contiguous(std::move(h), uuid.bytes_.data(), uuid.bytes_.size());
  }

 private:
  std::array<uint8_t, 16> bytes_{};
};

// A time of day without a date or time zone, to the microsecond:
// PostgreSQL's `time`. 00:00:00 up to and including 24:00:00 (PostgreSQL
// accepts the end of the day too). On SQLite it is stored as the text
// "HH:MM:SS.ffffff", which SQLite's time functions and SQLAlchemy's Time
// read.
class TimeOfDay {
 public:
  static constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;
  TimeOfDay() = default;  // midnight
  // InvalidArgument unless 0 <= micros <= kMicrosPerDay.
  static absl::StatusOr<TimeOfDay> FromMicros(int64_t micros);
  // hour 0-23 (24 only with the rest zero), minute 0-59, second 0-59,
  // micros 0-999999.
  static absl::StatusOr<TimeOfDay> FromParts(int hour, int minute, int second, int micros = 0);
  // "HH:MM[:SS[.f{1,6}]]"; InvalidArgument otherwise.
  static absl::StatusOr<TimeOfDay> Parse(absl::string_view text);
  int64_t micros() const { return micros_; }  // since midnight
  int hour() const { return static_cast<int>(micros_ / 3600000000); }
  int minute() const { return static_cast<int>(micros_ / 60000000 % 60); }
  int second() const { return static_cast<int>(micros_ / 1000000 % 60); }
  int microsecond() const { return static_cast<int>(micros_ % 1000000); }
  // "HH:MM:SS.ffffff", always six digits: text that sorts as the times do.
  std::string ToString() const;
  friend bool operator==(const TimeOfDay&, const TimeOfDay&) = default;
  friend auto operator<=>(const TimeOfDay&, const TimeOfDay&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TimeOfDay& time) {
    return H::combine(std::move(h), time.micros_);
  }

 private:
  explicit TimeOfDay(int64_t micros) : micros_(micros) {}
  int64_t micros_ = 0;
};

// An interval as SQLAlchemy's Interval stores it on databases without an
// interval type (SQLite): the UTC date and time 1970-01-01 00:00:00 plus the
// interval, "1970-01-02 03:00:00.000000" for 27 hours, "1969-12-31
// 23:59:59.000000" for minus one second. Whole microseconds (a finer part
// is truncated toward zero, as PostgreSQL's interval keeps microseconds);
// InvalidArgument for an infinite duration or one that leaves the years 1
// to 9999, which SQLAlchemy's datetime cannot hold.
absl::StatusOr<std::string> IntervalToEpochText(absl::Duration interval);
// The inverse; also takes a 'T' for the space and fewer fraction digits.
absl::StatusOr<absl::Duration> IntervalFromEpochText(absl::string_view text);

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
//
// kNative: a PostgreSQL enum type (CREATE TYPE ... AS ENUM, what
// SQLAlchemy's Enum creates), named by the traits' kTypeName and holding the
// declared names as its labels, in declaration order; TEXT on SQLite. Bound
// as text, which PostgreSQL casts to the column's enum type:
//
//   template <>
//   struct duo::sql::EnumTraits<Mood> {
//     static constexpr EnumStorage kStorage = EnumStorage::kNative;
//     static constexpr std::string_view kTypeName = "mood";
//     static constexpr std::pair<Mood, std::string_view> kNames[] = {...};
//   };
enum class EnumStorage : uint8_t { kText, kInteger, kNative };

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
    kUuid,
    kTimeOfDay,
    kInterval,  // absl::Duration
  };

  Value() = default;  // NULL
  Value(std::nullopt_t) {}
  Value(bool value) : storage_(value) {}
  // An unsigned 64-bit number beyond int64_t's range is carried as its
  // exact decimal digits: a cast would wrap it to a negative number, and a
  // column that cannot hold it is an error where the column is known.
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) Value(I value) { *this = value; }
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
  Value(Uuid value) : storage_(value) {}
  Value(TimeOfDay value) : storage_(value) {}
  Value(absl::Duration value) : storage_(value) {}
  template <DeclaredEnum E>
  Value(E value) {
    if constexpr (EnumTraits<E>::kStorage != EnumStorage::kInteger) {
      storage_ = std::string(EnumName(value));
    } else {
      storage_ = static_cast<int64_t>(value);
    }
  }
  template <typename T>
  Value(const std::optional<T>& value) {
    if (value.has_value()) *this = Value(*value);
  }
  // An array of the elements: FilterBy({{"tags", std::vector<std::string>{"go"}}})
  // on an array column.
  template <typename E>
  requires std::constructible_from<Value, const E&> Value(const std::vector<E>& elements) {
    Array array;
    array.elements.reserve(elements.size());
    for (const E& element : elements) array.elements.emplace_back(element);
    storage_ = std::make_shared<const Array>(std::move(array));
  }

  // Assigning a number or text replaces the held value in place, without
  // a temporary Value: what code that refills a statement's parameters for
  // every row (ExecuteMany) does most.
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) Value& operator=(I value) {
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
  const Uuid& as_uuid() const { return std::get<Uuid>(storage_); }
  TimeOfDay as_time_of_day() const { return std::get<TimeOfDay>(storage_); }
  absl::Duration as_interval() const { return std::get<absl::Duration>(storage_); }

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
  std::variant<std::monostate, bool, int64_t, double, std::string, Blob, absl::Time, absl::CivilDay,
               Decimal, JsonText, std::shared_ptr<const Array>, Uuid, TimeOfDay, absl::Duration>
      storage_;
};

}  // namespace duo::sql

#endif  // DUO_SQL_VALUE_H_
