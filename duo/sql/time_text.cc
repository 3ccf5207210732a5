#include "duo/sql/time_text.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace duo::sql {
namespace {

// Reads exactly `count` decimal digits at the start of `*text`.
bool ConsumeDigits(absl::string_view* text, int count, int* value) {
  if (text->size() < static_cast<size_t>(count)) return false;
  int result = 0;
  for (int i = 0; i < count; ++i) {
    const char c = (*text)[i];
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    result = result * 10 + (c - '0');
  }
  text->remove_prefix(count);
  *value = result;
  return true;
}

bool ConsumeChar(absl::string_view* text, char c) {
  if (text->empty() || text->front() != c) return false;
  text->remove_prefix(1);
  return true;
}

std::optional<absl::CivilDay> ConsumeDate(absl::string_view* text) {
  int year, month, day;
  if (!ConsumeDigits(text, 4, &year) || !ConsumeChar(text, '-') ||
      !ConsumeDigits(text, 2, &month) || !ConsumeChar(text, '-') || !ConsumeDigits(text, 2, &day)) {
    return std::nullopt;
  }
  const absl::CivilDay civil(year, month, day);
  // CivilDay normalizes February 30th to March 2nd; such text is invalid.
  if (civil.month() != month || civil.day() != day) return std::nullopt;
  return civil;
}

// The zone suffix as seconds east of UTC; nullopt for anything else.
std::optional<int> ConsumeZone(absl::string_view* text) {
  if (text->empty()) return 0;
  if (ConsumeChar(text, 'Z') || ConsumeChar(text, 'z')) return 0;
  int sign;
  if (ConsumeChar(text, '+')) {
    sign = 1;
  } else if (ConsumeChar(text, '-')) {
    sign = -1;
  } else {
    return std::nullopt;
  }
  int hours, minutes = 0;
  if (!ConsumeDigits(text, 2, &hours) || hours > 23) return std::nullopt;
  if (ConsumeChar(text, ':')) {
    if (!ConsumeDigits(text, 2, &minutes)) return std::nullopt;
  } else if (!text->empty() && !ConsumeDigits(text, 2, &minutes)) {
    return std::nullopt;
  }
  if (minutes > 59) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

// 4-digit years keep the SQLite text forms sortable.
bool StorableYear(absl::civil_year_t year) { return year >= 0 && year <= 9999; }

}  // namespace

std::optional<absl::CivilDay> ParseDateText(absl::string_view text) {
  std::optional<absl::CivilDay> day = ConsumeDate(&text);
  if (!text.empty()) return std::nullopt;
  return day;
}

std::optional<absl::Time> ParseTimestampText(absl::string_view text) {
  const std::optional<absl::CivilDay> day = ConsumeDate(&text);
  if (!day) return std::nullopt;
  if (!(ConsumeChar(&text, 'T') || ConsumeChar(&text, 't') || ConsumeChar(&text, ' '))) {
    return std::nullopt;
  }
  int hour, minute, second;
  if (!ConsumeDigits(&text, 2, &hour) || !ConsumeChar(&text, ':') ||
      !ConsumeDigits(&text, 2, &minute) || !ConsumeChar(&text, ':') ||
      !ConsumeDigits(&text, 2, &second) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int64_t nanos = 0;
  if (ConsumeChar(&text, '.')) {
    int digits = 0;
    for (; !text.empty() && absl::ascii_isdigit(static_cast<unsigned char>(text.front()));
         ++digits) {
      if (digits < 9) nanos = nanos * 10 + (text.front() - '0');
      text.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  const std::optional<int> offset = ConsumeZone(&text);
  if (!offset || !text.empty()) return std::nullopt;
  // CivilSecond carries :60 into the next minute.
  const absl::CivilSecond civil(day->year(), day->month(), day->day(), hour, minute, second);
  return absl::FromCivil(civil, absl::UTCTimeZone()) + absl::Nanoseconds(nanos) -
         absl::Seconds(*offset);
}

absl::StatusOr<std::string> FormatSqliteTimestamp(absl::Time time) {
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return absl::InvalidArgumentError("an infinite absl::Time cannot be stored");
  }
  const absl::CivilSecond civil = absl::ToCivilSecond(time, absl::UTCTimeZone());
  if (!StorableYear(civil.year())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the timestamp's year ", civil.year(), " is outside 0000-9999"));
  }
  // Never negative: the civil second is the one at or before `time`.
  const int64_t micros =
      absl::ToInt64Microseconds(time - absl::FromCivil(civil, absl::UTCTimeZone()));
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d.%06d", civil.year(), civil.month(),
                         civil.day(), civil.hour(), civil.minute(), civil.second(), micros);
}

absl::StatusOr<std::string> FormatSqliteDate(absl::CivilDay day) {
  if (!StorableYear(day.year())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the date's year ", day.year(), " is outside 0000-9999"));
  }
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatPostgresTimestamp(absl::Time time) {
  if (time == absl::InfiniteFuture()) return "infinity";
  if (time == absl::InfinitePast()) return "-infinity";
  const absl::CivilSecond civil = absl::ToCivilSecond(time, absl::UTCTimeZone());
  // Truncated to PostgreSQL's microseconds.
  const int64_t micros =
      absl::ToInt64Microseconds(time - absl::FromCivil(civil, absl::UTCTimeZone()));
  // PostgreSQL counts years as people do: astronomical year 0 is 1 BC.
  const bool bc = civil.year() <= 0;
  const int64_t year = bc ? 1 - civil.year() : civil.year();
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d.%06d+00%s", year, civil.month(),
                         civil.day(), civil.hour(), civil.minute(), civil.second(), micros,
                         bc ? " BC" : "");
}

std::string FormatRfc3339(absl::Time time) {
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return absl::FormatTime(time, absl::UTCTimeZone());  // "infinite-future"
  }
  const absl::CivilSecond civil = absl::ToCivilSecond(time, absl::UTCTimeZone());
  // absl's %Y prints year 1 as "1", which no RFC 3339 reader takes.
  if (!StorableYear(civil.year())) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
  }
  std::string text = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", civil.year(), civil.month(),
                                     civil.day(), civil.hour(), civil.minute(), civil.second());
  int64_t nanos = absl::ToInt64Nanoseconds(time - absl::FromCivil(civil, absl::UTCTimeZone()));
  if (nanos > 0) {
    int digits = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --digits;
    }
    absl::StrAppend(&text, ".", absl::StrFormat("%0*d", digits, nanos));
  }
  text += 'Z';
  return text;
}

}  // namespace duo::sql
