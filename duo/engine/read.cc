#include "duo/engine/read.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "duo/engine/error.h"

namespace duo::engine::read_internal {

absl::Status NullError(absl::string_view column) {
  return DatabaseError(
      absl::StrCat("column \"", column, "\" ", kNullAdvice),
      {.kind = ErrorKind::kDataError});
}

absl::Status RangeError(absl::string_view column, int64_t value, absl::string_view type) {
  return DatabaseError(
      absl::StrCat("column \"", column, "\" holds ", value, ", which does not fit in ", type),
      {.kind = ErrorKind::kDataError});
}

absl::Status KindError(absl::string_view column, const sql::Value& value,
                       absl::string_view wanted) {
  static constexpr const char* kKindNames[] = {
      "NULL", "a boolean", "an integer", "a double", "text", "bytes", "a timestamp",
      "a date", "a decimal", "JSON", "an array"};
  return DatabaseError(absl::StrCat("column \"", column, "\" holds ",
                                    kKindNames[static_cast<int>(value.kind())], ", not ", wanted),
                       {.kind = ErrorKind::kDataError});
}

absl::Status EnumError(absl::string_view column, const sql::Value& value) {
  return DatabaseError(absl::StrCat("column \"", column, "\" holds ", value.DebugString(),
                                    ", which no enumerator is declared with"),
                       {.kind = ErrorKind::kDataError});
}

absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, absl::string_view column) {
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                                                /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return DatabaseError(absl::StrCat("column \"", column, "\" does not hold valid JSON"),
                         {.kind = ErrorKind::kDataError});
  }
  return parsed;
}

absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text, absl::string_view column) {
  std::string normalized(text);
  if (normalized.size() > 10 && normalized[10] == ' ') normalized[10] = 'T';
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, normalized, &time, &error)) {
    return DatabaseError(absl::StrCat("column \"", column, "\" holds \"", text,
                                      "\", not an RFC 3339 timestamp: ", error),
                         {.kind = ErrorKind::kDataError});
  }
  return time;
}

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view column) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return DatabaseError(
        absl::StrCat("column \"", column, "\" holds \"", text, "\", not a date (YYYY-MM-DD)"),
        {.kind = ErrorKind::kDataError});
  }
  return day;
}

}  // namespace duo::engine::read_internal
