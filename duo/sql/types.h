// SQL column types, and the map from C++ value types to them.
//
// SqlType is dialect-neutral; each dialect's compiler spells it (BIGINT vs
// INTEGER, bytea vs BLOB). ValueTraits<T> says which C++ types can appear in
// expressions, as what kind of SQL value, so that comparing an integer column
// with a string fails to compile.

#ifndef DUO_SQL_TYPES_H_
#define DUO_SQL_TYPES_H_

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/string_view.h"
#include "duo/sql/value.h"

namespace duo::sql {

struct SqlType {
  enum class Kind : uint8_t {
    kUnspecified,
    kBoolean,
    kSmallInt,
    kInteger,
    kBigInt,
    kReal,
    kDouble,
    kNumeric,  // exact decimal: precision, scale
    kText,
    kVarchar,  // length
    kBlob,
    kTimestamp,  // with time zone
    kDate,
    kJson,
    kArray,   // PostgreSQL array of `element` (JSON text on SQLite)
    kCustom,  // `custom` spelled verbatim by every dialect
    kUuid,
    kTime,      // time of day, without time zone
    kInterval,  // a duration
    // A named enum type with `labels` in order (`custom` is the name):
    // PostgreSQL's CREATE TYPE ... AS ENUM, TEXT on SQLite.
    kEnum,
  };

  Kind kind = Kind::kUnspecified;
  int length = 0;
  int precision = 0;
  int scale = 0;
  std::string custom;
  Kind element = Kind::kUnspecified;  // kArray
  std::vector<std::string> labels;    // kEnum

  static SqlType Boolean() { return {Kind::kBoolean}; }
  static SqlType SmallInt() { return {Kind::kSmallInt}; }
  static SqlType Integer() { return {Kind::kInteger}; }
  static SqlType BigInt() { return {Kind::kBigInt}; }
  static SqlType Real() { return {Kind::kReal}; }
  static SqlType Double() { return {Kind::kDouble}; }
  static SqlType Numeric(int precision, int scale) { return {Kind::kNumeric, 0, precision, scale}; }
  static SqlType Text() { return {Kind::kText}; }
  static SqlType Varchar(int length) { return {Kind::kVarchar, length}; }
  static SqlType Blob() { return {Kind::kBlob}; }
  static SqlType Timestamp() { return {Kind::kTimestamp}; }
  static SqlType Date() { return {Kind::kDate}; }
  static SqlType Json() { return {Kind::kJson}; }
  static SqlType Custom(std::string spelling) {
    return {Kind::kCustom, 0, 0, 0, std::move(spelling)};
  }
  static SqlType Uuid() { return {Kind::kUuid}; }
  static SqlType Time() { return {Kind::kTime}; }
  static SqlType Interval() { return {Kind::kInterval}; }
  static SqlType Enum(std::string name, std::vector<std::string> labels) {
    SqlType type{Kind::kEnum, 0, 0, 0, std::move(name)};
    type.labels = std::move(labels);
    return type;
  }
  // An array of scalars of kind `element_kind` (not itself an array).
  static SqlType Array(Kind element_kind) { return {Kind::kArray, 0, 0, 0, "", element_kind}; }

  friend bool operator==(const SqlType&, const SqlType&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SqlType& type) {
    return H::combine(std::move(h), type.kind, type.length, type.precision, type.scale, type.custom,
                      type.element, type.labels);
  }
};

// What kind of value an expression produces, as far as C++ knows. kAny is an
// expression whose type C++ does not know (raw text, a function by name).
enum class TypeCategory : uint8_t {
  kAny,
  kNull,
  kBool,
  kNumeric,
  kText,
  kBytes,
  kTime,
  kDate,
  kJson,
  kArray,
  kUuid,
  kTimeOfDay,
  kInterval,
};

// Two categories may meet in a comparison when they are equal or either is
// unknown or NULL.
constexpr bool Compatible(TypeCategory a, TypeCategory b) {
  return a == b || a == TypeCategory::kAny || b == TypeCategory::kAny || a == TypeCategory::kNull ||
         b == TypeCategory::kNull;
}

template <typename T>
struct ValueTraits {
  static constexpr bool kSupported = false;
};

template <>
struct ValueTraits<bool> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kBool;
  static SqlType DefaultType() { return SqlType::Boolean(); }
};

template <std::integral I>
requires(!std::same_as<I, bool> && !std::same_as<I, char>) struct ValueTraits<I> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kNumeric;
  static SqlType DefaultType() {
    if constexpr (sizeof(I) <= 2) return SqlType::SmallInt();
    if constexpr (sizeof(I) <= 4) return SqlType::Integer();
    return SqlType::BigInt();
  }
};

template <std::floating_point F>
struct ValueTraits<F> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kNumeric;
  static SqlType DefaultType() { return sizeof(F) <= 4 ? SqlType::Real() : SqlType::Double(); }
};

struct TextTraits {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kText;
  static SqlType DefaultType() { return SqlType::Text(); }
};
template <>
struct ValueTraits<std::string> : TextTraits {};
template <>
struct ValueTraits<const char*> : TextTraits {};
template <>
struct ValueTraits<char*> : TextTraits {};
template <>
struct ValueTraits<absl::string_view> : TextTraits {};
template <>
struct ValueTraits<std::string_view> : TextTraits {};

template <>
struct ValueTraits<Blob> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kBytes;
  static SqlType DefaultType() { return SqlType::Blob(); }
};

template <>
struct ValueTraits<absl::Time> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kTime;
  static SqlType DefaultType() { return SqlType::Timestamp(); }
};

template <>
struct ValueTraits<absl::CivilDay> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kDate;
  static SqlType DefaultType() { return SqlType::Date(); }
};

// Exact decimals compare with any number.
template <>
struct ValueTraits<Decimal> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kNumeric;
  static SqlType DefaultType() { return SqlType::Numeric(38, 10); }
};

template <>
struct ValueTraits<JsonText> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kJson;
  static SqlType DefaultType() { return SqlType::Json(); }
};

template <>
struct ValueTraits<Uuid> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kUuid;
  static SqlType DefaultType() { return SqlType::Uuid(); }
};

template <>
struct ValueTraits<TimeOfDay> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kTimeOfDay;
  static SqlType DefaultType() { return SqlType::Time(); }
};

template <>
struct ValueTraits<absl::Duration> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kInterval;
  static SqlType DefaultType() { return SqlType::Interval(); }
};

template <>
struct ValueTraits<std::nullopt_t> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kNull;
};

// A Value decided at run time (for example from a string filter): its
// category is checked by the database, not the compiler.
template <>
struct ValueTraits<Value> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = TypeCategory::kAny;
};

template <DeclaredEnum E>
struct ValueTraits<E> {
  static constexpr bool kSupported = true;
  static constexpr TypeCategory kCategory = EnumTraits<E>::kStorage == EnumStorage::kInteger
                                                ? TypeCategory::kNumeric
                                                : TypeCategory::kText;
  static SqlType DefaultType() {
    if constexpr (EnumTraits<E>::kStorage == EnumStorage::kNative) {
      std::vector<std::string> labels;
      for (const auto& [enumerator, name] : EnumTraits<E>::kNames) labels.emplace_back(name);
      return SqlType::Enum(std::string(EnumTraits<E>::kTypeName), std::move(labels));
    } else if constexpr (EnumTraits<E>::kStorage == EnumStorage::kText) {
      return SqlType::Text();
    } else {
      return SqlType::Integer();
    }
  }
};

// std::optional<T> is T that may be NULL.
template <typename T>
struct ValueTraits<std::optional<T>> : ValueTraits<T> {};

// The C++ type a value of T is carried as, without optional.
template <typename T>
struct StripOptional {
  using type = T;
};
template <typename T>
struct StripOptional<std::optional<T>> {
  using type = T;
};

}  // namespace duo::sql

#endif  // DUO_SQL_TYPES_H_
