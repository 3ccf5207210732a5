// What the MySQL driver computes without a server: the error kind of a
// server or client error number, the names in the server's messages, and
// conversions between MYSQL_TIME and DuoORM's time types.

#ifndef DUO_ENGINE_MYSQL_CODEC_H_
#define DUO_ENGINE_MYSQL_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/engine/error.h"
#include "duo/sql/value.h"
#include "mysql.h"

namespace duo::engine::mysql_internal {

// The kind of an error by its number (server errors 1000-1999 and 3000+,
// Connector/C's 2000-2999 and 5000+) and, for numbers not listed, the class
// of its SQLSTATE.
ErrorKind KindForError(unsigned int code, absl::string_view sqlstate);

// Whether the error leaves the connection unusable: lost, killed, closed
// by the server.
bool IsConnectionError(unsigned int code);

// The name of the key or constraint the server's message for error `code`
// names: the key of a duplicate ("... for key 'users.email'" gives
// "users.email" on MySQL 8, "email" on MariaDB), the constraint of a
// foreign key or CHECK failure. Empty when the message names none.
std::string ConstraintName(unsigned int code, absl::string_view message);

// The server's message as the driver reports it, followed by the error
// number: "Duplicate entry for key 'email' (MySQL error 1062)". The
// duplicate value a 1062 message quotes is left out: it is the row's data,
// which has no place in logs (PostgreSQL's driver leaves out its detail
// line for the same reason).
std::string ReportedMessage(unsigned int code, absl::string_view message);

// The UTC date and time of `time`, microseconds truncated toward the past,
// for a DATETIME(6) parameter. kDataError-worthy InvalidArgument outside
// years 0 to 9999 (DATETIME's range) and for the infinities.
absl::StatusOr<MYSQL_TIME> TimestampToMysql(absl::Time time);
absl::StatusOr<MYSQL_TIME> DateToMysql(absl::CivilDay day);
MYSQL_TIME TimeOfDayToMysql(const sql::TimeOfDay& time);
// 1970-01-01 plus `interval` (SQLAlchemy's Interval where there is none).
absl::StatusOr<MYSQL_TIME> IntervalToMysql(absl::Duration interval);

// The instant a DATETIME or TIMESTAMP value read in UTC means;
// InvalidArgument for a zero date or zero parts (0000-00-00,
// 2026-00-15) and fields out of range.
absl::StatusOr<absl::Time> MysqlToTimestamp(const MYSQL_TIME& time);
absl::StatusOr<absl::CivilDay> MysqlToDate(const MYSQL_TIME& time);
// A TIME value as a signed duration (-838:59:59 to 838:59:59).
absl::Duration MysqlTimeToDuration(const MYSQL_TIME& time);

// Whether `text` is well-formed UTF-8: no overlong forms, surrogates or code
// points beyond U+10FFFF (what utf8mb4 holds).
bool IsValidUtf8(absl::string_view text);

// The value of a BIT column's bytes (big-endian, at most 8 of them).
uint64_t BitsToUint64(absl::string_view bytes);

}  // namespace duo::engine::mysql_internal

#endif  // DUO_ENGINE_MYSQL_CODEC_H_
