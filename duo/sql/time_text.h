// The one text form of timestamps and dates DuoORM reads and writes: the
// SQLite driver's storage, text results read into absl::Time members
// (engine/read.h), the PostgreSQL driver's text parameters and the models'
// JSON all format and parse through here, so that a value one path accepts
// no other path refuses.
//
// Reading accepts one grammar:
//
//   date       YYYY-MM-DD                 (years 0000-9999; no February 30th)
//   timestamp  date sep HH:MM:SS[.f...] [zone]
//   sep        "T", "t" or " "
//   fraction   1 or more digits; digits beyond nanoseconds are dropped
//   zone       "Z", "z", +HH, -HH, +HH:MM, -HH:MM, +HHMM or -HHMM
//
// which covers DuoORM's SQLite form (2026-11-25 09:30:00.123456), its
// earlier one (2026-11-25T09:30:00.123456Z), what SQLite's date functions
// and CURRENT_TIMESTAMP produce (2026-11-25 09:30:00, ...:00.123),
// SQLAlchemy's SQLite DateTime (always six digits), PostgreSQL's text
// output (2026-11-25 09:30:00.123456+00, +05:30) and RFC 3339. A timestamp
// without a zone is UTC: absl::Time is an instant, and DuoORM never stores
// local wall-clock time. A leap second (:60) reads as the next minute's
// first second, as absl::ParseTime reads it.

#ifndef DUO_SQL_TIME_TEXT_H_
#define DUO_SQL_TIME_TEXT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace duo::sql {

// A timestamp in the grammar above, or nullopt.
std::optional<absl::Time> ParseTimestampText(absl::string_view text);

// A date YYYY-MM-DD, or nullopt.
std::optional<absl::CivilDay> ParseDateText(absl::string_view text);

// "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, what SQLite's date functions print
// with microseconds: always six fraction digits (finer ones truncated) and
// four year digits, so that text order is time order. InvalidArgument for
// the infinite times and years outside 0000-9999.
absl::StatusOr<std::string> FormatSqliteTimestamp(absl::Time time);

// "YYYY-MM-DD" for years 0000-9999; InvalidArgument otherwise.
absl::StatusOr<std::string> FormatSqliteDate(absl::CivilDay day);

// PostgreSQL's input form in UTC: "2026-11-25 09:30:00.123456+00", years
// before 1 as "... BC", and "infinity" / "-infinity".
std::string FormatPostgresTimestamp(absl::Time time);

// RFC 3339 in UTC with the fraction digits the value needs
// ("2026-11-25T09:30:00.5Z"), for JSON and debugging output.
std::string FormatRfc3339(absl::Time time);

}  // namespace duo::sql

#endif  // DUO_SQL_TIME_TEXT_H_
