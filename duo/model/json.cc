#include "duo/model/json.h"

#include <cmath>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "duo/model/internal/column.h"
#include "duo/sql/time_text.h"

namespace duo::model_internal {

nlohmann::json TimeToJson(absl::Time time) { return sql::FormatRfc3339(time); }

nlohmann::json DayToJson(absl::CivilDay day) {
  // Four year digits, which DayFromJson needs (absl prints year 1 as "1").
  absl::StatusOr<std::string> text = sql::FormatSqliteDate(day);
  return text.ok() ? *text : absl::FormatCivilTime(day);
}

nlohmann::json BytesToJson(const std::string& bytes) { return absl::Base64Escape(bytes); }

namespace {

// At most 40 characters of `json`, for messages. Never throws: text that is
// not UTF-8 is shown with replacement characters.
std::string Shown(const nlohmann::json& json) {
  // dump() recurses: a document nested beyond the limit is only named.
  if (json.is_structured() && !engine::CheckJson(json, "").ok()) {
    return json.is_array() ? "a deeply nested array" : "a deeply nested object";
  }
  std::string shown = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  return shown;
}

}  // namespace

absl::Status JsonTypeError(absl::string_view field, const nlohmann::json& json,
                           absl::string_view wanted) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", field, "\" must be ", wanted, ", not ", Shown(json)));
}

absl::Status JsonRangeError(absl::string_view field, const nlohmann::json& json,
                            absl::string_view type) {
  return absl::OutOfRangeError(
      absl::StrCat("field \"", field, "\" holds ", Shown(json), ", which ", type, " cannot hold"));
}

absl::StatusOr<double> JsonToDouble(const nlohmann::json& json, absl::string_view field,
                                    bool as_float) {
  if (json.is_number_integer()) {
    // Any integer JSON carries is within float's range; it may round.
    return json.is_number_unsigned() ? static_cast<double>(json.get<uint64_t>())
                                     : static_cast<double>(json.get<int64_t>());
  }
  const double value = json.get<double>();
  if (std::isnan(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", field, "\" holds NaN, which JSON text cannot carry"));
  }
  // nlohmann reads 1e400 as infinity: beyond double's range as written.
  if (std::isinf(value)) return JsonRangeError(field, json, "double");
  if (as_float) {
    const float narrowed = static_cast<float>(value);
    if (std::isinf(narrowed) || (narrowed == 0 && value != 0)) {
      return JsonRangeError(field, json, "float");
    }
  }
  return value;
}

absl::StatusOr<absl::Time> TimeFromJson(const nlohmann::json& json, absl::string_view field) {
  if (!json.is_string()) return JsonTypeError(field, json, "an RFC 3339 timestamp string");
  // The grammar every reader of timestamps shares (duo/sql/time_text.h).
  std::optional<absl::Time> time = sql::ParseTimestampText(json.get<std::string>());
  if (!time) return JsonTypeError(field, json, "an RFC 3339 timestamp string");
  return *time;
}

absl::StatusOr<absl::CivilDay> DayFromJson(const nlohmann::json& json, absl::string_view field) {
  std::optional<absl::CivilDay> day;
  if (json.is_string()) day = sql::ParseDateText(json.get<std::string>());
  if (!day) return JsonTypeError(field, json, "a date string YYYY-MM-DD");
  return *day;
}

absl::StatusOr<std::string> BytesFromJson(const nlohmann::json& json, absl::string_view field) {
  std::string bytes;
  if (!json.is_string() || !absl::Base64Unescape(json.get<std::string>(), &bytes)) {
    return JsonTypeError(field, json, "a base64 string");
  }
  return bytes;
}

absl::StatusOr<sql::Decimal> DecimalFromJson(const nlohmann::json& json, absl::string_view field) {
  if (json.is_string()) {
    absl::StatusOr<sql::Decimal> decimal = sql::Decimal::Parse(json.get<std::string>());
    if (decimal.ok()) return decimal;
  } else if (json.is_number_integer()) {
    return sql::Decimal::Parse(json.is_number_unsigned() ? absl::StrCat(json.get<uint64_t>())
                                                         : absl::StrCat(json.get<int64_t>()));
  }
  // A JSON float has already lost exactness; refuse it rather than round.
  return JsonTypeError(field, json, "a decimal string (or an integer)");
}

nlohmann::json ObjectToJson(const ModelMeta& meta, const void* object) {
  nlohmann::json json = nlohmann::json::object();
  for (const ColumnMeta& column : meta.columns()) {
    json[column.name] = column.accessor->ToJson(object);
  }
  for (const RelationMeta& relation : meta.relations()) {
    if (relation.accessor->Count(object) > 0) {
      json[relation.name] = relation.accessor->ToJson(object);
    }
  }
  return json;
}

namespace {

absl::Status UnknownField(const ModelMeta& meta, absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", field, "\" is not a column of ",
                                                 meta.model_name(),
                                                 "; its columns are: ", meta.ColumnNames()));
}

}  // namespace

absl::Status ObjectFromJson(const ModelMeta& meta, void* object, const nlohmann::json& json) {
  if (!json.is_object()) return JsonTypeError(meta.model_name(), json, "a JSON object");
  for (const auto& [field, value] : json.items()) {
    const ColumnMeta* column = meta.FindColumn(field);
    if (column == nullptr) {
      if (meta.FindRelation(field) != nullptr) continue;  // ToJson output round-trips
      return UnknownField(meta, field);
    }
    DUO_RETURN_IF_ERROR(column->accessor->FromJson(object, value, field));
  }
  return absl::OkStatus();
}

absl::StatusOr<Payload> PayloadFromJson(const ModelMeta& meta, const nlohmann::json& json) {
  if (!json.is_object()) return JsonTypeError(meta.model_name(), json, "a JSON object");
  Payload payload;
  for (const auto& [field, value] : json.items()) {
    const ColumnMeta* column = meta.FindColumn(field);
    if (column == nullptr) return UnknownField(meta, field);
    DUO_ASSIGN_OR_RETURN(sql::Value converted, column->accessor->ValueFromJson(value, field));
    payload.emplace_back(field, std::move(converted));
  }
  return payload;
}

}  // namespace duo::model_internal
