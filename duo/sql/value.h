// Values that reach the database as bound parameters.
//
// Every literal in a DuoORM statement becomes a Value carried beside the SQL
// text, never spliced into it. A Value is a small tagged union over the
// representations both drivers bind natively.

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

#include "absl/strings/string_view.h"

namespace duo::sql {

// Binary data; distinct from text so that it binds as a BLOB / bytea.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

// Copyable, cheap to move. Equality compares kind and content.
class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kText, kBlob };

  Value() = default;  // NULL
  Value(std::nullopt_t) {}
  Value(bool value) : storage_(value) {}
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  Value(I value) : storage_(static_cast<int64_t>(value)) {}
  template <std::floating_point F>
  Value(F value) : storage_(static_cast<double>(value)) {}
  Value(std::string value) : storage_(std::move(value)) {}
  Value(const char* value) : storage_(std::string(value)) {}
  Value(absl::string_view value) : storage_(std::string(value)) {}
  Value(std::string_view value) : storage_(std::string(value)) {}
  Value(Blob value) : storage_(std::move(value)) {}
  template <typename T>
  Value(const std::optional<T>& value) {
    if (value.has_value()) *this = Value(*value);
  }

  Kind kind() const { return static_cast<Kind>(storage_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }

  // Accessors; calling one for another kind is a programming error.
  bool as_bool() const { return std::get<bool>(storage_); }
  int64_t as_int() const { return std::get<int64_t>(storage_); }
  double as_double() const { return std::get<double>(storage_); }
  const std::string& as_text() const { return std::get<std::string>(storage_); }
  const Blob& as_blob() const { return std::get<Blob>(storage_); }

  // A SQL-literal-like rendering for logs and debugging ('it''s', 42, NULL,
  // X'00ff'). Never executed: statements always bind values.
  std::string DebugString() const;

  friend bool operator==(const Value&, const Value&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Value& value) {
    return std::visit(
        [&h, &value](const auto& stored) {
          using T = std::decay_t<decltype(stored)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return H::combine(std::move(h), value.storage_.index());
          } else if constexpr (std::is_same_v<T, Blob>) {
            return H::combine(std::move(h), value.storage_.index(), stored.bytes);
          } else {
            return H::combine(std::move(h), value.storage_.index(), stored);
          }
        },
        value.storage_);
  }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Blob> storage_;
};

}  // namespace duo::sql

#endif  // DUO_SQL_VALUE_H_
