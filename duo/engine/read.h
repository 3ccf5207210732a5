// Typed reads of result columns into C++ values.
//
//   DUO_ASSIGN_OR_RETURN(int32_t quantity, ReadColumn<int32_t>(cursor, 2));
//   DUO_ASSIGN_OR_RETURN(std::optional<std::string> note,
//                        ReadColumn<std::optional<std::string>>(cursor, 3));
//
// Supported types: bool, the integer types (range-checked: a value that does
// not fit is OutOfRange naming the column, never truncated), float (a finite
// double beyond its range, or a nonzero one it would round to zero, is
// OutOfRange too), double,
// std::string (which also reads PostgreSQL types with no C++ type as their
// text), sql::Blob, absl::Time, absl::CivilDay, sql::Decimal, sql::Uuid,
// sql::TimeOfDay, absl::Duration (intervals), nlohmann::json, declared
// enums, std::vector<T> of those (arrays), and std::optional<T>
// (NULL as nullopt; NULL into any other type is an error naming the column).
//
// JSON null is no value too, the way SQLAlchemy's JSON type sees it (it
// writes None as the text `null` and reads both that and SQL NULL as None):
// std::optional<nlohmann::json> and an optional array held as JSON text
// (SQLite) read it as nullopt. A plain nlohmann::json reads it as the
// document null; a plain std::vector refuses it like SQL NULL, naming the
// column, rather than make it an empty array another client never wrote.
//
// Rows into plain structs, member by member in column order, one call per
// row (the path model hydration takes):
//
//   const RowReader<Item> read_item(&Item::id, &Item::name, &Item::price);
//   while (...) DUO_RETURN_IF_ERROR(read_item(cursor, items.emplace_back()));

#ifndef DUO_ENGINE_READ_H_
#define DUO_ENGINE_READ_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/engine/connection.h"
#include "duo/sql/value.h"
#include "nlohmann/json.hpp"

namespace duo::engine {

// The deepest nesting of arrays and objects a JSON value DuoORM writes or
// reads may have. nlohmann::json copies, compares and serializes documents
// recursively, so a document nested deep enough overflows the stack of
// whatever touches it next (a hundred thousand levels crash a Create);
// 512 keeps that recursion to a few hundred kilobytes at worst, stays
// below what the databases accept themselves (SQLite's JSON functions stop
// at 2000 levels, PostgreSQL at its max_stack_depth), and is deeper than
// any document a schema describes.
inline constexpr int kMaxJsonDepth = 512;

// OK when `json` can be stored as JSON text and read back exactly; else
// InvalidArgument naming `field`: nested deeper than kMaxJsonDepth, holding
// NaN or an infinity (JSON has no such numbers: nlohmann would write null),
// or a string or object key that is not valid UTF-8 (which JSON text
// cannot carry). Walks the document without recursion.
absl::Status CheckJson(const nlohmann::json& json, absl::string_view field);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points beyond U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// Parses the JSON document `column` holds. DataError naming the column for
// text that is not JSON, a document CheckJson refuses, or an integer
// nlohmann::json cannot hold as written: beyond 64 bits it can only become
// a double, which is taken when it writes back as the same number (jsonb
// stores the 1e300 DuoORM wrote as its 301 digits) and refused otherwise
// (2^70 would come back as 1.1805916207174113e+21, another number).
absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, absl::string_view column);

// Reads a value of kind T out of a sql::Value (an array element, a
// materialised row). `column` names the source in errors.
template <typename T>
absl::StatusOr<T> FromValue(const sql::Value& value, absl::string_view column);

template <typename T>
absl::StatusOr<T> ReadColumn(const Cursor& cursor, int column);

namespace read_internal {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <>
struct IsVector<std::vector<char>> : std::false_type {};

absl::Status NullError(absl::string_view column);
absl::Status RangeError(absl::string_view column, int64_t value, absl::string_view type);
absl::Status RangeError(absl::string_view column, absl::string_view value, absl::string_view type);
absl::Status KindError(absl::string_view column, const sql::Value& value, absl::string_view wanted);
// A name or number no enumerator is declared with.
absl::Status EnumError(absl::string_view column, const sql::Value& value);
// The JSON number a column holds as a number: SQLite keeps the scalar
// documents 42 and 3.5 as INTEGER and REAL in a column declared JSON by
// another tool (NUMERIC affinity). Non-finite REALs have no JSON form.
absl::StatusOr<nlohmann::json> JsonFromNumber(const sql::Value& value, absl::string_view column);
// ReadColumn<nlohmann::json> after GetText failed with `error`: the column
// holds a number (see JsonFromNumber), else `error` stands.
absl::StatusOr<nlohmann::json> ReadJsonNumber(const Cursor& cursor, int column, absl::Status error);
// Whether the column holds the JSON document null (as text or json).
bool HoldsJsonNull(const Cursor& cursor, int column);
bool IsJsonNull(const sql::Value& value);
// Text in the one timestamp grammar (duo/sql/time_text.h): SQLite's form,
// RFC 3339, PostgreSQL's text output.
absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text, absl::string_view column);
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view column);
// What SQLite holds (see sql::Uuid, sql::TimeOfDay, sql::IntervalToEpochText),
// errors naming the column.
absl::StatusOr<sql::Uuid> ParseUuid(absl::string_view text, absl::string_view column);
absl::StatusOr<sql::Uuid> UuidFromBytes(absl::string_view bytes, absl::string_view column);
absl::StatusOr<sql::TimeOfDay> ParseTimeOfDay(absl::string_view text, absl::string_view column);
absl::StatusOr<absl::Duration> ParseInterval(absl::string_view text, absl::string_view column);

// An integer held as decimal digits (an unsigned 64-bit number beyond
// int64_t: see sql::Value), exactly or OutOfRange naming the column; a
// fraction other than zeros is not an integer.
absl::StatusOr<int64_t> DecimalToInt64(const sql::Decimal& decimal, absl::string_view column);
absl::StatusOr<uint64_t> DecimalToUint64(const sql::Decimal& decimal, absl::string_view column);
// A double that overflows `type` (to infinity) or underflows a nonzero
// value to zero.
absl::Status FloatRangeError(absl::string_view column, double value, absl::string_view type);

// `value` as a float: rounded to the nearest float as any conversion
// rounds, but a finite value beyond float's range or a nonzero one below
// its smallest subnormal is OutOfRange naming the column, not infinity or
// zero. NaN and the infinities convert as themselves.
inline absl::StatusOr<float> NarrowFloat(double value, absl::string_view column) {
  const float narrowed = static_cast<float>(value);
  if ((std::isinf(narrowed) && std::isfinite(value)) || (narrowed == 0 && value != 0)) {
    return FloatRangeError(column, value, "float");
  }
  return narrowed;
}

template <typename F>
absl::StatusOr<F> ToFloating(double value, absl::string_view column) {
  if constexpr (sizeof(F) < sizeof(double)) {
    return NarrowFloat(value, column);
  } else {
    return static_cast<F>(value);
  }
}

template <typename I>
absl::StatusOr<I> NarrowInt(int64_t value, absl::string_view column) {
  if (!std::in_range<I>(value)) {
    return RangeError(column, value,
                      absl::StrCat(std::is_signed_v<I> ? "int" : "uint", 8 * sizeof(I), "_t"));
  }
  return static_cast<I>(value);
}

}  // namespace read_internal

template <typename T>
absl::StatusOr<T> FromValue(const sql::Value& value, absl::string_view column) {
  using Kind = sql::Value::Kind;
  if constexpr (read_internal::IsOptional<T>::value) {
    using Inner = typename T::value_type;
    if (value.is_null()) return T();
    if constexpr (std::is_same_v<Inner, nlohmann::json> || read_internal::IsVector<Inner>::value) {
      if (read_internal::IsJsonNull(value)) return T();
    }
    absl::StatusOr<Inner> inner = FromValue<Inner>(value, column);
    if (!inner.ok()) return inner.status();
    return T(*std::move(inner));
  } else {
    if (value.is_null()) return read_internal::NullError(column);
    if constexpr (sql::DeclaredEnum<T>) {
      std::optional<T> enumerator;
      if (value.kind() == Kind::kText) enumerator = sql::EnumFromName<T>(value.as_text());
      if (value.kind() == Kind::kInt) enumerator = sql::EnumFromInteger<T>(value.as_int());
      if (!enumerator) return read_internal::EnumError(column, value);
      return *enumerator;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (value.kind() == Kind::kBool) return value.as_bool();
      if (value.kind() == Kind::kInt && (value.as_int() == 0 || value.as_int() == 1)) {
        return value.as_int() == 1;
      }
      return read_internal::KindError(column, value, "a boolean");
    } else if constexpr (std::is_integral_v<T>) {
      if (value.kind() == Kind::kDecimal) {
        // An unsigned 64-bit number beyond int64_t arrives as its digits.
        if constexpr (std::is_unsigned_v<T>) {
          absl::StatusOr<uint64_t> wide =
              read_internal::DecimalToUint64(value.as_decimal(), column);
          if (!wide.ok()) return wide.status();
          if (!std::in_range<T>(*wide)) {
            return read_internal::RangeError(column, absl::StrCat(*wide),
                                             absl::StrCat("uint", 8 * sizeof(T), "_t"));
          }
          return static_cast<T>(*wide);
        } else {
          absl::StatusOr<int64_t> wide = read_internal::DecimalToInt64(value.as_decimal(), column);
          if (!wide.ok()) return wide.status();
          return read_internal::NarrowInt<T>(*wide, column);
        }
      }
      if (value.kind() != Kind::kInt) return read_internal::KindError(column, value, "an integer");
      return read_internal::NarrowInt<T>(value.as_int(), column);
    } else if constexpr (std::is_floating_point_v<T>) {
      if (value.kind() == Kind::kDouble)
        return read_internal::ToFloating<T>(value.as_double(), column);
      if (value.kind() == Kind::kInt) return static_cast<T>(value.as_int());
      return read_internal::KindError(column, value, "a number");
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (value.kind() == Kind::kText) return value.as_text();
      if (value.kind() == Kind::kJson) return value.as_json().text;
      if (value.kind() == Kind::kUuid) return value.as_uuid().ToString();
      if (value.kind() == Kind::kTimeOfDay) return value.as_time_of_day().ToString();
      return read_internal::KindError(column, value, "text");
    } else if constexpr (std::is_same_v<T, sql::Uuid>) {
      if (value.kind() == Kind::kUuid) return value.as_uuid();
      if (value.kind() == Kind::kText) return read_internal::ParseUuid(value.as_text(), column);
      if (value.kind() == Kind::kBlob) {
        return read_internal::UuidFromBytes(value.as_blob().bytes, column);
      }
      return read_internal::KindError(column, value, "a UUID");
    } else if constexpr (std::is_same_v<T, sql::TimeOfDay>) {
      if (value.kind() == Kind::kTimeOfDay) return value.as_time_of_day();
      if (value.kind() == Kind::kText)
        return read_internal::ParseTimeOfDay(value.as_text(), column);
      return read_internal::KindError(column, value, "a time of day");
    } else if constexpr (std::is_same_v<T, absl::Duration>) {
      if (value.kind() == Kind::kInterval) return value.as_interval();
      if (value.kind() == Kind::kText) return read_internal::ParseInterval(value.as_text(), column);
      // Where there is no interval type (MySQL's DATETIME), SQLAlchemy's
      // Interval form: 1970-01-01 00:00:00 UTC plus it.
      if (value.kind() == Kind::kTimestamp) return value.as_timestamp() - absl::UnixEpoch();
      return read_internal::KindError(column, value, "an interval");
    } else if constexpr (std::is_same_v<T, sql::Blob>) {
      if (value.kind() == Kind::kBlob) return value.as_blob();
      return read_internal::KindError(column, value, "bytes");
    } else if constexpr (std::is_same_v<T, absl::Time>) {
      if (value.kind() == Kind::kTimestamp) return value.as_timestamp();
      // SQLite hands back timestamps (in arrays, in plain SELECTs) as text.
      if (value.kind() == Kind::kText)
        return read_internal::ParseTimestamp(value.as_text(), column);
      return read_internal::KindError(column, value, "a timestamp");
    } else if constexpr (std::is_same_v<T, absl::CivilDay>) {
      if (value.kind() == Kind::kDate) return value.as_date();
      if (value.kind() == Kind::kText) return read_internal::ParseDate(value.as_text(), column);
      return read_internal::KindError(column, value, "a date");
    } else if constexpr (std::is_same_v<T, sql::Decimal>) {
      if (value.kind() == Kind::kDecimal) return value.as_decimal();
      if (value.kind() == Kind::kInt) return *sql::Decimal::Parse(absl::StrCat(value.as_int()));
      if (value.kind() == Kind::kText) return sql::Decimal::Parse(value.as_text());
      return read_internal::KindError(column, value, "a decimal");
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      if (value.kind() == Kind::kJson) return ParseJson(value.as_json().text, column);
      if (value.kind() == Kind::kText) return ParseJson(value.as_text(), column);
      if (value.kind() == Kind::kInt || value.kind() == Kind::kDouble) {
        return read_internal::JsonFromNumber(value, column);
      }
      return read_internal::KindError(column, value, "JSON");
    } else if constexpr (read_internal::IsVector<T>::value) {
      if (value.kind() != Kind::kArray) return read_internal::KindError(column, value, "an array");
      T result;
      result.reserve(value.as_array().elements.size());
      for (const sql::Value& element : value.as_array().elements) {
        absl::StatusOr<typename T::value_type> item =
            FromValue<typename T::value_type>(element, column);
        if (!item.ok()) return item.status();
        result.push_back(*std::move(item));
      }
      return result;
    } else {
      static_assert(sizeof(T) == 0, "DuoORM cannot read this C++ type from a column");
    }
  }
}

template <typename T>
absl::StatusOr<T> ReadColumn(const Cursor& cursor, int column) {
  if constexpr (read_internal::IsOptional<T>::value) {
    using Inner = typename T::value_type;
    if (cursor.IsNull(column)) return T();
    absl::StatusOr<Inner> inner = ReadColumn<Inner>(cursor, column);
    if constexpr (std::is_same_v<Inner, nlohmann::json>) {
      if (inner.ok() && inner->is_null()) return T();
    } else if constexpr (read_internal::IsVector<Inner>::value) {
      // Only a value that is not an array can be JSON null: checked after
      // the read fails, so that arrays pay nothing for it.
      if (!inner.ok() && read_internal::HoldsJsonNull(cursor, column)) return T();
    }
    if (!inner.ok()) return inner.status();
    return T(*std::move(inner));
  } else {
    // A NULL needs no check of its own: every getter reports it, naming the
    // column, and one call per column is what hydration pays for.
    if constexpr (sql::DeclaredEnum<T> || std::is_same_v<T, sql::Uuid> ||
                  std::is_same_v<T, sql::TimeOfDay> || std::is_same_v<T, absl::Duration>) {
      absl::StatusOr<sql::Value> value = cursor.GetValue(column);
      if (!value.ok()) return value.status();
      return FromValue<T>(*value, cursor.column_name(column));
    } else if constexpr (std::is_same_v<T, bool>) {
      return cursor.GetBool(column);
    } else if constexpr (std::is_integral_v<T>) {
      absl::StatusOr<int64_t> value = cursor.GetInt(column);
      if (!value.ok()) return value.status();
      if constexpr (std::is_same_v<T, int64_t>) {
        return *value;
      } else {
        if (std::in_range<T>(*value)) return static_cast<T>(*value);
        return read_internal::NarrowInt<T>(*value, cursor.column_name(column));
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      absl::StatusOr<double> value = cursor.GetDouble(column);
      if (!value.ok()) return value.status();
      if constexpr (sizeof(T) < sizeof(double)) {
        return read_internal::NarrowFloat(*value, cursor.column_name(column));
      } else {
        return static_cast<T>(*value);
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      absl::StatusOr<absl::string_view> text = cursor.GetText(column);
      if (!text.ok()) return text.status();
      return std::string(*text);
    } else if constexpr (std::is_same_v<T, sql::Blob>) {
      absl::StatusOr<absl::string_view> bytes = cursor.GetBytes(column);
      if (!bytes.ok()) return bytes.status();
      return sql::Blob{std::string(*bytes)};
    } else if constexpr (std::is_same_v<T, absl::Time>) {
      return cursor.GetTimestamp(column);
    } else if constexpr (std::is_same_v<T, absl::CivilDay>) {
      return cursor.GetDate(column);
    } else if constexpr (std::is_same_v<T, sql::Decimal>) {
      return cursor.GetDecimal(column);
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      absl::StatusOr<absl::string_view> text = cursor.GetText(column);
      if (!text.ok()) return read_internal::ReadJsonNumber(cursor, column, text.status());
      return ParseJson(*text, cursor.column_name(column));
    } else if constexpr (read_internal::IsVector<T>::value) {
      absl::StatusOr<sql::Array> array = cursor.GetArray(column);
      if (!array.ok()) return array.status();
      return FromValue<T>(sql::Value(*std::move(array)), cursor.column_name(column));
    } else {
      static_assert(sizeof(T) == 0, "DuoORM cannot read this C++ type from a column");
    }
  }
}

// ReadColumn into an existing value: what hydration calls for every column
// of every row. The common types skip the StatusOr of the value itself
// (and, for text, reuse `out`'s buffer); the rest go through ReadColumn.
template <typename T>
absl::Status ReadColumnInto(const Cursor& cursor, int column, T& out) {
  if constexpr (std::is_same_v<T, int64_t>) {
    absl::StatusOr<int64_t> value = cursor.GetInt(column);
    if (!value.ok()) return value.status();
    out = *value;
  } else if constexpr (std::is_same_v<T, double>) {
    absl::StatusOr<double> value = cursor.GetDouble(column);
    if (!value.ok()) return value.status();
    out = *value;
  } else if constexpr (std::is_same_v<T, std::string>) {
    absl::StatusOr<absl::string_view> text = cursor.GetText(column);
    if (!text.ok()) return text.status();
    out.assign(text->data(), text->size());
  } else {
    absl::StatusOr<T> value = ReadColumn<T>(cursor, column);
    if (!value.ok()) return value.status();
    out = *std::move(value);
  }
  return absl::OkStatus();
}

// How Cursor::ReadRow may store into a member of type M (RowSlot): the
// types whose ReadColumnInto is the getter alone.
template <typename M>
constexpr RowSlot::Member RowSlotMemberFor() {
  if constexpr (std::is_same_v<M, int64_t>) return RowSlot::Member::kInt64;
  if constexpr (std::is_same_v<M, double>) return RowSlot::Member::kDouble;
  if constexpr (std::is_same_v<M, std::string>) return RowSlot::Member::kString;
  return RowSlot::Member::kOther;
}

// Reads the columns of a row into members of a T, in the order the
// members are given: column `first` into the first, and so on. T must be
// default-constructible (its member offsets are measured on one). Errors
// are ReadColumn's, naming the column. Move-only; thread-safe to share.
template <typename T>
class RowReader {
 public:
  template <typename... M>
  explicit RowReader(M T::*... members) {
    const T probe{};
    (Add(probe, members), ...);
  }

  absl::Status operator()(const Cursor& cursor, T& object, int first = 0) const {
    return cursor.ReadRow(slots_, first, &object);
  }

 private:
  class Reader : public MemberReader {
   public:
    virtual ~Reader() = default;
  };
  template <typename M>
  class Member final : public Reader {
   public:
    explicit Member(M T::*member) : member_(member) {}
    absl::Status Read(void* object, const Cursor& cursor, int column) const override {
      return ReadColumnInto(cursor, column, static_cast<T*>(object)->*member_);
    }

   private:
    M T::*member_;
  };

  template <typename M>
  void Add(const T& probe, M T::*member) {
    readers_.push_back(std::make_unique<Member<M>>(member));
    const auto* const start = reinterpret_cast<const char*>(&probe);
    const auto* const at = reinterpret_cast<const char*>(&(probe.*member));
    slots_.push_back({.member = RowSlotMemberFor<M>(),
                      .offset = static_cast<size_t>(at - start),
                      .reader = readers_.back().get()});
  }

  std::vector<std::unique_ptr<Reader>> readers_;  // the slots point into these
  std::vector<RowSlot> slots_;
};

}  // namespace duo::engine

#endif  // DUO_ENGINE_READ_H_
