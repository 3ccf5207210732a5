// Typed accessors behind ColumnAccessor and RelationAccessor: the only code
// instantiated per model member.

#ifndef DUO_MODEL_INTERNAL_COLUMN_H_
#define DUO_MODEL_INTERNAL_COLUMN_H_

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/engine/read.h"
#include "duo/model/meta.h"
#include "duo/sql/types.h"
#include "duo/sql/value.h"
#include "nlohmann/json.hpp"

namespace duo::model_internal {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T>
struct IsVector : std::false_type {};
template <typename T, typename A>
struct IsVector<std::vector<T, A>> : std::true_type {};

// The sql::Value a member of type M binds as.
template <typename M>
sql::Value ToValue(const M& member) {
  if constexpr (IsOptional<M>::value) {
    if (!member.has_value()) return sql::Value();
    return ToValue(*member);
  } else if constexpr (std::is_same_v<M, nlohmann::json>) {
    // Writes check the document first (CheckMember); `replace` only keeps
    // a call that skipped the check from throwing.
    return sql::Value(
        sql::JsonText{member.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  } else if constexpr (IsVector<M>::value) {
    sql::Array array;
    array.elements.reserve(member.size());
    for (const auto& element : member) array.elements.push_back(ToValue(element));
    return sql::Value(std::move(array));
  } else {
    return sql::Value(member);
  }
}

// JSON conversions of member values, the way a web API expects them:
// timestamps as RFC 3339 text, dates as YYYY-MM-DD, bytes as base64,
// decimals as strings (exact), enums by name.
nlohmann::json TimeToJson(absl::Time time);
nlohmann::json DayToJson(absl::CivilDay day);
nlohmann::json BytesToJson(const std::string& bytes);
absl::Status JsonTypeError(absl::string_view field, const nlohmann::json& json,
                           absl::string_view wanted);
// OutOfRange: `json` is a number `type` cannot hold.
absl::Status JsonRangeError(absl::string_view field, const nlohmann::json& json,
                            absl::string_view type);
// A JSON number as a float or double: OutOfRange for what would overflow
// to infinity or underflow to zero, InvalidArgument for NaN (which JSON
// text cannot carry).
absl::StatusOr<double> JsonToDouble(const nlohmann::json& json, absl::string_view field,
                                    bool as_float);
absl::StatusOr<absl::Time> TimeFromJson(const nlohmann::json& json, absl::string_view field);
absl::StatusOr<absl::CivilDay> DayFromJson(const nlohmann::json& json, absl::string_view field);
absl::StatusOr<std::string> BytesFromJson(const nlohmann::json& json, absl::string_view field);
absl::StatusOr<sql::Decimal> DecimalFromJson(const nlohmann::json& json, absl::string_view field);

template <typename M>
nlohmann::json MemberToJson(const M& member) {
  if constexpr (IsOptional<M>::value) {
    if (!member.has_value()) return nullptr;
    return MemberToJson(*member);
  } else if constexpr (std::is_same_v<M, absl::Time>) {
    return TimeToJson(member);
  } else if constexpr (std::is_same_v<M, absl::CivilDay>) {
    return DayToJson(member);
  } else if constexpr (std::is_same_v<M, sql::Blob>) {
    return BytesToJson(member.bytes);
  } else if constexpr (std::is_same_v<M, sql::Decimal>) {
    return member.digits();
  } else if constexpr (std::is_same_v<M, sql::Uuid>) {
    return member.ToString();
  } else if constexpr (std::is_same_v<M, sql::TimeOfDay>) {
    return member.ToString();
  } else if constexpr (std::is_same_v<M, absl::Duration>) {
    return absl::FormatDuration(member);  // "26h0m0.5s"
  } else if constexpr (sql::DeclaredEnum<M>) {
    if constexpr (sql::EnumTraits<M>::kStorage != sql::EnumStorage::kInteger) {
      return std::string(sql::EnumName(member));
    } else {
      return static_cast<int64_t>(member);
    }
  } else if constexpr (IsVector<M>::value) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& element : member) array.push_back(MemberToJson(element));
    return array;
  } else {
    return nlohmann::json(member);
  }
}

template <typename M>
absl::StatusOr<M> MemberFromJson(const nlohmann::json& json, absl::string_view field) {
  if constexpr (IsOptional<M>::value) {
    if (json.is_null()) return M();
    absl::StatusOr<typename M::value_type> inner =
        MemberFromJson<typename M::value_type>(json, field);
    if (!inner.ok()) return inner.status();
    return M(*std::move(inner));
  } else if constexpr (std::is_same_v<M, nlohmann::json>) {
    // What could not be written (too deep, NaN, invalid UTF-8) is refused
    // when it comes in, naming the field.
    if (absl::Status checked = engine::CheckJson(json, field); !checked.ok()) return checked;
    return json;
  } else {
    if (json.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat("field \"", field, "\" may not be null"));
    }
    if constexpr (std::is_same_v<M, bool>) {
      if (!json.is_boolean()) return JsonTypeError(field, json, "a boolean");
      return json.get<bool>();
    } else if constexpr (std::is_integral_v<M>) {
      if (!json.is_number_integer()) return JsonTypeError(field, json, "an integer");
      const auto type = absl::StrCat(std::is_signed_v<M> ? "int" : "uint", 8 * sizeof(M), "_t");
      if (json.is_number_unsigned()) {
        const uint64_t value = json.get<uint64_t>();
        if (!std::in_range<M>(value)) return JsonRangeError(field, json, type);
        return static_cast<M>(value);
      }
      const int64_t value = json.get<int64_t>();
      if (!std::in_range<M>(value)) return JsonRangeError(field, json, type);
      return static_cast<M>(value);
    } else if constexpr (std::is_floating_point_v<M>) {
      if (!json.is_number()) return JsonTypeError(field, json, "a number");
      absl::StatusOr<double> value = JsonToDouble(json, field, sizeof(M) < sizeof(double));
      if (!value.ok()) return value.status();
      return static_cast<M>(*value);
    } else if constexpr (std::is_same_v<M, std::string>) {
      if (!json.is_string()) return JsonTypeError(field, json, "a string");
      // JSON text is UTF-8; bytes that are not could not be written back.
      if (!engine::IsValidUtf8(json.get_ref<const std::string&>())) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"", field, "\" is not valid UTF-8 text"));
      }
      return json.get<std::string>();
    } else if constexpr (std::is_same_v<M, absl::Time>) {
      return TimeFromJson(json, field);
    } else if constexpr (std::is_same_v<M, absl::CivilDay>) {
      return DayFromJson(json, field);
    } else if constexpr (std::is_same_v<M, sql::Blob>) {
      absl::StatusOr<std::string> bytes = BytesFromJson(json, field);
      if (!bytes.ok()) return bytes.status();
      return sql::Blob{*std::move(bytes)};
    } else if constexpr (std::is_same_v<M, sql::Decimal>) {
      return DecimalFromJson(json, field);
    } else if constexpr (std::is_same_v<M, sql::Uuid> || std::is_same_v<M, sql::TimeOfDay>) {
      if (!json.is_string()) return JsonTypeError(field, json, "a string");
      absl::StatusOr<M> parsed = M::Parse(json.get<std::string>());
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"", field, "\": ", parsed.status().message()));
      }
      return parsed;
    } else if constexpr (std::is_same_v<M, absl::Duration>) {
      absl::Duration duration;
      if (!json.is_string() || !absl::ParseDuration(json.get<std::string>(), &duration)) {
        return JsonTypeError(field, json, "a duration such as \"26h0m0.5s\"");
      }
      return duration;
    } else if constexpr (sql::DeclaredEnum<M>) {
      std::optional<M> value;
      if (json.is_string()) value = sql::EnumFromName<M>(json.get<std::string>());
      // An unsigned number beyond int64_t would wrap to a negative one.
      if (json.is_number_integer() &&
          (!json.is_number_unsigned() || std::in_range<int64_t>(json.get<uint64_t>()))) {
        value = sql::EnumFromInteger<M>(json.get<int64_t>());
      }
      if (!value) return JsonTypeError(field, json, "one of the enum's declared values");
      return *value;
    } else if constexpr (IsVector<M>::value) {
      if (!json.is_array()) return JsonTypeError(field, json, "an array");
      M result;
      for (size_t i = 0; i < json.size(); ++i) {
        absl::StatusOr<typename M::value_type> element =
            MemberFromJson<typename M::value_type>(json[i], absl::StrCat(field, "[", i, "]"));
        if (!element.ok()) return element.status();
        result.push_back(*std::move(element));
      }
      return result;
    } else {
      static_assert(sizeof(M) == 0, "DuoORM cannot convert this member type from JSON");
    }
  }
}

// Whether a member of type M yields values that CheckStorable can refuse
// (numbers, decimals, arrays of them); text, times and the like always fit.
template <typename M>
constexpr bool kValueChecked = [] {
  using Stored = typename sql::StripOptional<M>::type;
  if constexpr (IsVector<Stored>::value) {
    return kValueChecked<typename Stored::value_type>;
  } else {
    return (std::is_arithmetic_v<Stored> && !std::is_same_v<Stored, bool>) ||
           std::is_same_v<Stored, sql::Decimal>;
  }
}();

template <typename T, typename M>
class MemberColumn final : public ColumnAccessor {
 public:
  explicit MemberColumn(M T::*member) : member_(member) {}

  M T::*member() const { return member_; }

  sql::Value Get(const void* object) const override { return ToValue(Of(object)); }
  absl::Status Set(void* object, const sql::Value& value, absl::string_view column) const override {
    absl::StatusOr<M> converted = engine::FromValue<M>(value, column);
    if (!converted.ok()) return converted.status();
    Of(object) = *std::move(converted);
    return absl::OkStatus();
  }
  absl::Status Read(void* object, const engine::Cursor& cursor, int index) const override {
    return engine::ReadColumnInto(cursor, index, Of(object));
  }
  engine::RowSlot::Member row_slot_member() const override { return engine::RowSlotMemberFor<M>(); }
  const void* MemberIn(const void* object) const override { return &Of(object); }
  bool Equal(const void* a, const void* b) const override { return Of(a) == Of(b); }
  bool IsZero(const void* object) const override {
    // No temporary M() for optionals: GCC 12 at -O1 (the sanitizer builds)
    // then warns that the empty optional's string may be uninitialized.
    if constexpr (IsOptional<M>::value) {
      return !Of(object).has_value();
    } else {
      return Of(object) == M();
    }
  }
  bool SetTime(void* object, absl::Time now) const override {
    if constexpr (std::is_same_v<M, absl::Time> || std::is_same_v<M, std::optional<absl::Time>>) {
      Of(object) = now;
      return true;
    } else {
      return false;
    }
  }
  absl::Status CheckMember(const void* object, absl::string_view column) const override {
    if constexpr (std::is_same_v<M, nlohmann::json>) {
      return engine::CheckJson(Of(object), column);
    } else if constexpr (std::is_same_v<M, std::optional<nlohmann::json>>) {
      if (!Of(object).has_value()) return absl::OkStatus();
      return engine::CheckJson(*Of(object), column);
    } else {
      return absl::OkStatus();
    }
  }
  bool value_checked() const override { return kValueChecked<M>; }
  nlohmann::json ToJson(const void* object) const override { return MemberToJson(Of(object)); }
  absl::Status FromJson(void* object, const nlohmann::json& json,
                        absl::string_view field) const override {
    absl::StatusOr<M> value = MemberFromJson<M>(json, field);
    if (!value.ok()) return value.status();
    Of(object) = *std::move(value);
    return absl::OkStatus();
  }
  absl::StatusOr<sql::Value> ValueFromJson(const nlohmann::json& json,
                                           absl::string_view field) const override {
    absl::StatusOr<M> value = MemberFromJson<M>(json, field);
    if (!value.ok()) return value.status();
    return ToValue(*value);
  }

 private:
  M& Of(void* object) const { return static_cast<T*>(object)->*member_; }
  const M& Of(const void* object) const { return static_cast<const T*>(object)->*member_; }

  M T::*member_;
};

}  // namespace duo::model_internal

#endif  // DUO_MODEL_INTERNAL_COLUMN_H_
