#include "duo/sql/value.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<Uuid> Uuid::Parse(absl::string_view text) {
  const auto invalid = [text] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a UUID (8-4-4-4-12 hexadecimal digits, or 32 digits)"));
  };
  absl::string_view body = text;
  if (body.size() == 38 && body.front() == '{' && body.back() == '}') {
    body = body.substr(1, 36);
  }
  // Dashes only where the canonical form has them, or none at all.
  const bool dashed = body.size() == 36;
  if (!dashed && body.size() != 32) return invalid();
  std::array<uint8_t, 16> bytes{};
  size_t digit = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (body[i] != '-') return invalid();
      continue;
    }
    const int value = HexDigit(body[i]);
    if (value < 0) return invalid();
    bytes[digit / 2] = static_cast<uint8_t>(bytes[digit / 2] << 4 | value);
    ++digit;
  }
  return Uuid(bytes);
}

absl::StatusOr<Uuid> Uuid::FromBytes(absl::string_view bytes) {
  if (bytes.size() != 16) {
    return absl::InvalidArgumentError(absl::StrCat("a UUID is 16 bytes, not ", bytes.size()));
  }
  std::array<uint8_t, 16> raw;
  for (size_t i = 0; i < 16; ++i) raw[i] = static_cast<uint8_t>(bytes[i]);
  return Uuid(raw);
}

std::string Uuid::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(32);
  for (const uint8_t byte : bytes_) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

std::string Uuid::ToString() const {
  const std::string hex = ToHex();
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

absl::StatusOr<TimeOfDay> TimeOfDay::FromMicros(int64_t micros) {
  if (micros < 0 || micros > kMicrosPerDay) {
    return absl::InvalidArgumentError(
        absl::StrCat(micros, " microseconds is not a time of day (0 to 24:00:00)"));
  }
  return TimeOfDay(micros);
}

absl::StatusOr<TimeOfDay> TimeOfDay::FromParts(int hour, int minute, int second, int micros) {
  if (hour < 0 || hour > 24 || minute < 0 || minute > 59 || second < 0 || second > 59 ||
      micros < 0 || micros > 999999 ||
      (hour == 24 && (minute != 0 || second != 0 || micros != 0))) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%02d:%02d:%02d.%06d is not a time of day", hour, minute, second, micros));
  }
  return TimeOfDay(((int64_t{hour} * 60 + minute) * 60 + second) * 1000000 + micros);
}

absl::StatusOr<TimeOfDay> TimeOfDay::Parse(absl::string_view text) {
  const auto invalid = [text] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a time of day (HH:MM[:SS[.ffffff]])"));
  };
  // Two digits at `at`, or -1.
  const auto two = [text](size_t at) {
    if (at + 2 > text.size()) return -1;
    const int high = HexDigit(text[at]), low = HexDigit(text[at + 1]);
    if (high < 0 || high > 9 || low < 0 || low > 9) return -1;
    return high * 10 + low;
  };
  const int hour = two(0);
  const int minute = text.size() >= 5 && text[2] == ':' ? two(3) : -1;
  if (hour < 0 || minute < 0) return invalid();
  int second = 0, micros = 0;
  size_t at = 5;
  if (at < text.size()) {
    if (text[at] != ':' || (second = two(at + 1)) < 0) return invalid();
    at += 3;
    if (at < text.size()) {
      if (text[at] != '.' || at + 1 == text.size() || text.size() - at - 1 > 6) return invalid();
      int scale = 100000;
      for (size_t i = at + 1; i < text.size(); ++i, scale /= 10) {
        const int digit = HexDigit(text[i]);
        if (digit < 0 || digit > 9) return invalid();
        micros += digit * scale;
      }
    }
  }
  absl::StatusOr<TimeOfDay> time = FromParts(hour, minute, second, micros);
  if (!time.ok()) return invalid();
  return time;
}

std::string TimeOfDay::ToString() const {
  return absl::StrFormat("%02d:%02d:%02d.%06d", hour(), minute(), second(), microsecond());
}

absl::StatusOr<std::string> IntervalToEpochText(absl::Duration interval) {
  if (interval == absl::InfiniteDuration() || interval == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("an infinite interval has no stored form");
  }
  const absl::Duration micros = absl::Trunc(interval, absl::Microseconds(1));
  const absl::Time at = absl::UnixEpoch() + micros;
  const absl::CivilSecond civil = absl::ToCivilSecond(at, absl::UTCTimeZone());
  if (civil.year() < 1 || civil.year() > 9999) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the interval ", absl::FormatDuration(interval),
        " is beyond what SQLAlchemy's Interval stores (1970-01-01 plus it must stay within the "
        "years 1 to 9999)"));
  }
  const int64_t fraction =
      absl::ToInt64Microseconds(at - absl::FromCivil(civil, absl::UTCTimeZone()));
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d.%06d", civil.year(), civil.month(),
                         civil.day(), civil.hour(), civil.minute(), civil.second(), fraction);
}

absl::StatusOr<absl::Duration> IntervalFromEpochText(absl::string_view text) {
  std::string normalized(text);
  if (normalized.size() > 10 && normalized[10] == 'T') normalized[10] = ' ';
  absl::Time at;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", normalized, absl::UTCTimeZone(), &at, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not an interval stored as 1970-01-01 00:00:00 plus it: ", error));
  }
  return at - absl::UnixEpoch();
}

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
    case Kind::kUuid:
      return absl::StrCat("'", as_uuid().ToString(), "'");
    case Kind::kTimeOfDay:
      return absl::StrCat("'", as_time_of_day().ToString(), "'");
    case Kind::kInterval:
      return absl::StrCat("INTERVAL '", absl::FormatDuration(as_interval()), "'");
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
