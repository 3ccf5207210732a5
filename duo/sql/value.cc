#include "duo/sql/value.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "duo/sql/time_text.h"

namespace duo::sql {

absl::StatusOr<Decimal> Decimal::Parse(absl::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const size_t integer_start = i;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
  bool ok = i > integer_start;
  if (ok && i < text.size() && text[i] == '.') {
    const size_t fraction_start = ++i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    ok = i > fraction_start;
  }
  if (!ok || i != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a decimal number ([+-]digits[.digits])"));
  }
  std::string digits(text.substr(text[0] == '+' ? 1 : 0));
  return Decimal(std::move(digits));
}

Decimal Decimal::FromUnsigned(uint64_t value) { return Decimal(absl::StrCat(value)); }

bool operator==(const Array& a, const Array& b) { return a.elements == b.elements; }

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.kind() == Value::Kind::kArray) return a.as_array() == b.as_array();
  return a.storage_ == b.storage_;
}

std::string Value::DebugString() const {
  switch (kind()) {
    case Kind::kNull:
      return "NULL";
    case Kind::kBool:
      return as_bool() ? "TRUE" : "FALSE";
    case Kind::kInt:
      return absl::StrCat(as_int());
    case Kind::kDouble:
      return absl::StrCat(as_double());
    case Kind::kText:
      return absl::StrCat("'", absl::StrReplaceAll(as_text(), {{"'", "''"}}), "'");
    case Kind::kBlob:
      return absl::StrCat("X'", absl::BytesToHexString(as_blob().bytes), "'");
    case Kind::kTimestamp:
      return absl::StrCat("'", FormatRfc3339(as_timestamp()), "'");
    case Kind::kDate:
      return absl::StrCat("'", absl::FormatCivilTime(as_date()), "'");
    case Kind::kDecimal:
      return as_decimal().digits();
    case Kind::kJson:
      return Value(as_json().text).DebugString();
    case Kind::kArray:
      return absl::StrCat("ARRAY[",
                          absl::StrJoin(as_array().elements, ", ",
                                        [](std::string* out, const Value& element) {
                                          out->append(element.DebugString());
                                        }),
                          "]");
  }
  return "?";
}

}  // namespace duo::sql
