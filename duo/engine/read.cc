#include "duo/engine/read.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "duo/engine/error.h"
#include "duo/sql/time_text.h"

namespace duo::engine {
namespace read_internal {

absl::Status NullError(absl::string_view column) {
  return DatabaseError(absl::StrCat("column \"", column, "\" ", kNullAdvice),
                       {.kind = ErrorKind::kDataError});
}

absl::Status RangeError(absl::string_view column, int64_t value, absl::string_view type) {
  return DatabaseError(
      absl::StrCat("column \"", column, "\" holds ", value, ", which does not fit in ", type),
      {.kind = ErrorKind::kDataError});
}

absl::Status RangeError(absl::string_view column, absl::string_view value, absl::string_view type) {
  return DatabaseError(
      absl::StrCat("column \"", column, "\" holds ", value, ", which does not fit in ", type),
      {.kind = ErrorKind::kDataError});
}

absl::Status FloatRangeError(absl::string_view column, double value, absl::string_view type) {
  return DatabaseError(
      absl::StrCat("column \"", column, "\" holds ", absl::SixDigits(value), ", which ", type,
                   " cannot hold (it would become ", std::abs(value) < 1 ? "0" : "infinity", ")"),
      {.kind = ErrorKind::kDataError});
}

absl::StatusOr<int64_t> DecimalToInt64(const sql::Decimal& decimal, absl::string_view column) {
  absl::string_view digits = decimal.digits();
  const size_t point = digits.find('.');
  if (point != absl::string_view::npos) {
    if (digits.find_first_not_of('0', point + 1) != absl::string_view::npos) {
      return KindError(column, sql::Value(decimal), "an integer");
    }
    digits = digits.substr(0, point);
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value)) return RangeError(column, decimal.digits(), "int64_t");
  return value;
}

absl::StatusOr<uint64_t> DecimalToUint64(const sql::Decimal& decimal, absl::string_view column) {
  absl::string_view digits = decimal.digits();
  const size_t point = digits.find('.');
  if (point != absl::string_view::npos) {
    if (digits.find_first_not_of('0', point + 1) != absl::string_view::npos) {
      return KindError(column, sql::Value(decimal), "an integer");
    }
    digits = digits.substr(0, point);
  }
  uint64_t value = 0;
  // SimpleAtoi would take "-0" and refuse "-5" only as out of range.
  if (absl::StartsWith(digits, "-") || !absl::SimpleAtoi(digits, &value)) {
    return RangeError(column, decimal.digits(), "uint64_t");
  }
  return value;
}

}  // namespace read_internal

bool IsValidUtf8(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    int length = 0;
    uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;  // a continuation byte, or a lead only overlong forms use
    }
    if (end - p < length) return false;
    for (int i = 1; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3F);
    }
    // Overlong three- and four-byte forms, surrogates, beyond U+10FFFF.
    if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) ||
        (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) {
      return false;
    }
    p += length;
  }
  return true;
}

namespace read_internal {

absl::Status KindError(absl::string_view column, const sql::Value& value,
                       absl::string_view wanted) {
  static constexpr const char* kKindNames[] = {
      "NULL",   "a boolean", "an integer", "a double", "text",   "bytes",         "a timestamp",
      "a date", "a decimal", "JSON",       "an array", "a UUID", "a time of day", "an interval"};
  return DatabaseError(absl::StrCat("column \"", column, "\" holds ",
                                    kKindNames[static_cast<int>(value.kind())], ", not ", wanted),
                       {.kind = ErrorKind::kDataError});
}

absl::Status EnumError(absl::string_view column, const sql::Value& value) {
  return DatabaseError(absl::StrCat("column \"", column, "\" holds ", value.DebugString(),
                                    ", which no enumerator is declared with"),
                       {.kind = ErrorKind::kDataError});
}

absl::StatusOr<nlohmann::json> JsonFromNumber(const sql::Value& value, absl::string_view column) {
  if (value.kind() == sql::Value::Kind::kInt) return nlohmann::json(value.as_int());
  if (value.kind() == sql::Value::Kind::kDouble) {
    if (!std::isfinite(value.as_double())) {
      return DatabaseError(absl::StrCat("column \"", column, "\" holds ", value.DebugString(),
                                        ", which JSON has no number for"),
                           {.kind = ErrorKind::kDataError});
    }
    return nlohmann::json(value.as_double());
  }
  return KindError(column, value, "a JSON number");
}

absl::StatusOr<nlohmann::json> ReadJsonNumber(const Cursor& cursor, int column,
                                              absl::Status error) {
  if (cursor.IsNull(column)) return error;
  absl::StatusOr<sql::Value> value = cursor.GetValue(column);
  if (!value.ok()) return error;
  switch (value->kind()) {
    case sql::Value::Kind::kInt:
    case sql::Value::Kind::kDouble:
      return JsonFromNumber(*value, cursor.column_name(column));
    case sql::Value::Kind::kJson:
      return ParseJson(value->as_json().text, cursor.column_name(column));
    default:
      return error;
  }
}

bool IsJsonNull(const sql::Value& value) {
  absl::string_view text;
  if (value.kind() == sql::Value::Kind::kText) {
    text = value.as_text();
  } else if (value.kind() == sql::Value::Kind::kJson) {
    text = value.as_json().text;
  } else {
    return false;
  }
  return absl::StripAsciiWhitespace(text) == "null";
}

bool HoldsJsonNull(const Cursor& cursor, int column) {
  absl::StatusOr<absl::string_view> text = cursor.GetText(column);
  return text.ok() && absl::StripAsciiWhitespace(*text) == "null";
}

absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text, absl::string_view column) {
  std::optional<absl::Time> time = sql::ParseTimestampText(text);
  if (!time) {
    return DatabaseError(absl::StrCat("column \"", column, "\" holds \"", text,
                                      "\", not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][zone])"),
                         {.kind = ErrorKind::kDataError});
  }
  return *time;
}

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view column) {
  std::optional<absl::CivilDay> day = sql::ParseDateText(text);
  if (!day) {
    return DatabaseError(
        absl::StrCat("column \"", column, "\" holds \"", text, "\", not a date (YYYY-MM-DD)"),
        {.kind = ErrorKind::kDataError});
  }
  return *day;
}

absl::StatusOr<sql::Uuid> ParseUuid(absl::string_view text, absl::string_view column) {
  absl::StatusOr<sql::Uuid> uuid = sql::Uuid::Parse(text);
  if (!uuid.ok()) {
    return DatabaseError(absl::StrCat("column \"", column, "\" holds ", uuid.status().message()),
                         {.kind = ErrorKind::kDataError});
  }
  return uuid;
}

absl::StatusOr<sql::Uuid> UuidFromBytes(absl::string_view bytes, absl::string_view column) {
  absl::StatusOr<sql::Uuid> uuid = sql::Uuid::FromBytes(bytes);
  if (!uuid.ok()) {
    return DatabaseError(
        absl::StrCat("column \"", column, "\" holds ", bytes.size(), " bytes, not a UUID (16)"),
        {.kind = ErrorKind::kDataError});
  }
  return uuid;
}

absl::StatusOr<sql::TimeOfDay> ParseTimeOfDay(absl::string_view text, absl::string_view column) {
  absl::StatusOr<sql::TimeOfDay> time = sql::TimeOfDay::Parse(text);
  if (!time.ok()) {
    return DatabaseError(absl::StrCat("column \"", column, "\" holds ", time.status().message()),
                         {.kind = ErrorKind::kDataError});
  }
  return time;
}

absl::StatusOr<absl::Duration> ParseInterval(absl::string_view text, absl::string_view column) {
  absl::StatusOr<absl::Duration> interval = sql::IntervalFromEpochText(text);
  if (!interval.ok()) {
    return DatabaseError(
        absl::StrCat("column \"", column, "\" holds ", interval.status().message()),
        {.kind = ErrorKind::kDataError});
  }
  return interval;
}

}  // namespace read_internal

absl::Status CheckJson(const nlohmann::json& json, absl::string_view field) {
  auto refuse = [field](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", field, "\": ", why));
  };
  // (value, depth): the containers enclosing the value.
  std::vector<std::pair<const nlohmann::json*, int>> pending = {{&json, 0}};
  while (!pending.empty()) {
    const auto [value, depth] = pending.back();
    pending.pop_back();
    switch (value->type()) {
      case nlohmann::json::value_t::array:
      case nlohmann::json::value_t::object:
        if (depth + 1 > kMaxJsonDepth) {
          return refuse(absl::StrCat("the JSON document is nested more than ", kMaxJsonDepth,
                                     " levels deep"));
        }
        if (value->is_object()) {
          for (const auto& [key, member] : value->items()) {
            if (!IsValidUtf8(key)) return refuse("a JSON object key is not valid UTF-8");
            pending.emplace_back(&member, depth + 1);
          }
        } else {
          for (const nlohmann::json& element : *value) pending.emplace_back(&element, depth + 1);
        }
        break;
      case nlohmann::json::value_t::number_float:
        if (!std::isfinite(value->get<double>())) {
          return refuse("JSON has no NaN or infinity (it would be stored as null)");
        }
        break;
      case nlohmann::json::value_t::string:
        if (!IsValidUtf8(value->get_ref<const std::string&>())) {
          return refuse("a JSON string is not valid UTF-8");
        }
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

namespace {

// A number as (negative, significant digits without leading or trailing
// zeros, exponent of the last digit), so that "1e300", "1e+300" and a one
// with 300 zeros compare equal. `text` is a JSON number or a double as
// nlohmann::json writes it.
struct DecimalForm {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
  friend bool operator==(const DecimalForm&, const DecimalForm&) = default;
};

DecimalForm Normalize(absl::string_view text) {
  DecimalForm form;
  if (absl::ConsumePrefix(&text, "-")) form.negative = true;
  const size_t e = text.find_first_of("eE");
  if (e != absl::string_view::npos) {
    absl::string_view exponent = text.substr(e + 1);
    absl::ConsumePrefix(&exponent, "+");
    int64_t value = 0;
    if (absl::SimpleAtoi(exponent, &value)) form.exponent = value;
    text = text.substr(0, e);
  }
  const size_t point = text.find('.');
  if (point != absl::string_view::npos) {
    form.exponent -= static_cast<int64_t>(text.size() - point - 1);
    form.digits = absl::StrCat(text.substr(0, point), text.substr(point + 1));
  } else {
    form.digits = std::string(text);
  }
  form.digits.erase(0, std::min(form.digits.find_first_not_of('0'), form.digits.size()));
  while (!form.digits.empty() && form.digits.back() == '0') {
    form.digits.pop_back();
    ++form.exponent;
  }
  if (form.digits.empty()) return DecimalForm{.digits = "0"};
  return form;
}

// nlohmann's DOM builder, refusing an integer it could only hold as a
// double that would not write back as the same number. nlohmann hands the
// parsed double and the number's text to number_float, for integers that
// overflow 64 bits too.
class ExactNumbers : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
 public:
  explicit ExactNumbers(nlohmann::json& result)
      : json_sax_dom_parser(result, /*allow_exceptions_=*/false) {}

  bool number_float(double value, const std::string& text) {
    if (text.find_first_of(".eE") == std::string::npos &&
        (!std::isfinite(value) || !(Normalize(text) == Normalize(nlohmann::json(value).dump())))) {
      inexact_ = text;
      return false;  // stops the parse
    }
    return json_sax_dom_parser::number_float(value, text);
  }

  const std::string& inexact() const { return inexact_; }

 private:
  std::string inexact_;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, absl::string_view column) {
  // nlohmann's parser keeps its own stack, so any depth parses; the limit
  // protects what is done with the document afterwards (copies, dumps).
  nlohmann::json parsed;
  ExactNumbers builder(parsed);
  bool parsed_ok = false;
  try {
    parsed_ok =
        nlohmann::json::sax_parse(text.begin(), text.end(), &builder) && !builder.is_errored();
  } catch (const nlohmann::json::exception&) {
    parsed_ok = false;  // allow_exceptions is off; nothing is expected here
  }
  if (!builder.inexact().empty()) {
    const std::string& number = builder.inexact();
    return DatabaseError(
        absl::StrCat("column \"", column, "\" holds the integer ",
                     number.size() > 40 ? absl::StrCat(number.substr(0, 40), "...") : number,
                     ", which nlohmann::json cannot hold: beyond 64 bits it would become the "
                     "double ",
                     nlohmann::json(std::strtod(number.c_str(), nullptr)).dump(),
                     ", another number"),
        {.kind = ErrorKind::kDataError});
  }
  if (!parsed_ok) {
    return DatabaseError(absl::StrCat("column \"", column, "\" does not hold valid JSON"),
                         {.kind = ErrorKind::kDataError});
  }
  if (absl::Status checked = CheckJson(parsed, column); !checked.ok()) {
    return DatabaseError(
        absl::StrCat("column \"", column, "\" holds JSON that cannot be read: ", checked.message()),
        {.kind = ErrorKind::kDataError});
  }
  return parsed;
}

}  // namespace duo::engine
