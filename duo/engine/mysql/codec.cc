#include "duo/engine/mysql/codec.h"

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "errmsg.h"

namespace duo::engine::mysql_internal {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, unsigned int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

std::string Describe(const MYSQL_TIME& time) {
  return absl::StrFormat("%04u-%02u-%02u %02u:%02u:%02u.%06u", time.year, time.month, time.day,
                         time.hour, time.minute, time.second,
                         static_cast<unsigned int>(time.second_part));
}

// The text between the first `open` after `after` and the next `close`;
// a doubled `close` stands for one (MySQL's quoting of names).
std::string QuotedAfter(absl::string_view message, absl::string_view after, char open, char close) {
  size_t at = message.find(after);
  if (at == absl::string_view::npos) return "";
  at = message.find(open, at + after.size());
  if (at == absl::string_view::npos) return "";
  std::string name;
  for (size_t i = at + 1; i < message.size(); ++i) {
    if (message[i] == close) {
      if (i + 1 < message.size() && message[i + 1] == close) {
        name.push_back(close);
        ++i;
        continue;
      }
      return name;
    }
    name.push_back(message[i]);
  }
  return "";  // unterminated: not a name the server wrote
}

MYSQL_TIME Zeroed(enum_mysql_timestamp_type type) {
  MYSQL_TIME time{};
  time.time_type = type;
  return time;
}

}  // namespace

bool IsConnectionError(unsigned int code) {
  switch (code) {
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1152:  // ER_ABORTING_CONNECTION
    case 1158:  // ER_NET_READ_ERROR
    case 1159:  // ER_NET_READ_INTERRUPTED
    case 1160:  // ER_NET_ERROR_ON_WRITE
    case 1161:  // ER_NET_WRITE_INTERRUPTED
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return true;
    default:
      break;
  }
  if (code >= CR_MIN_ERROR && code <= CR_MAX_ERROR) {
    switch (code) {
      // Misuse, or a value too large to send: the connection is fine.
      case CR_COMMANDS_OUT_OF_SYNC:
      case CR_NET_PACKET_TOO_LARGE:
      case CR_OUT_OF_MEMORY:
      case CR_NO_PREPARE_STMT:
      case CR_PARAMS_NOT_BOUND:
      case CR_INVALID_PARAMETER_NO:
      case CR_INVALID_BUFFER_USE:
      case CR_UNSUPPORTED_PARAM_TYPE:
      case CR_NO_DATA:
      case CR_NO_STMT_METADATA:
      case CR_NOT_IMPLEMENTED:
      case CR_STMT_CLOSED:
      case CR_NEW_STMT_METADATA:
        return false;
      default:
        return true;
    }
  }
  return code == CR_ERR_NET_READ || code == CR_ERR_NET_WRITE;
}

ErrorKind KindForError(unsigned int code, absl::string_view sqlstate) {
  switch (code) {
    case 1022:  // ER_DUP_KEY
    case 1062:  // ER_DUP_ENTRY
    case 1169:  // ER_DUP_UNIQUE
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
      return ErrorKind::kUniqueViolation;
    case 1216:  // ER_NO_REFERENCED_ROW
    case 1217:  // ER_ROW_IS_REFERENCED
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
      return ErrorKind::kForeignKeyViolation;
    case 1048:  // ER_BAD_NULL_ERROR
    case 1263:  // ER_WARN_NULL_TO_NOTNULL (strict mode, multi-row INSERT)
    case 1364:  // ER_NO_DEFAULT_FOR_FIELD
      return ErrorKind::kNotNullViolation;
    case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL 8)
    case 4025:  // ER_CONSTRAINT_FAILED (MariaDB)
      return ErrorKind::kCheckViolation;
    case 1213:  // ER_LOCK_DEADLOCK: the server rolled the transaction back
      return ErrorKind::kSerializationFailure;
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1317:  // ER_QUERY_INTERRUPTED (KILL QUERY)
    case 1969:  // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
    case 3024:  // ER_QUERY_TIMEOUT (MySQL max_execution_time)
      return ErrorKind::kTimeout;
    case 1021:  // ER_DISK_FULL
    case 1037:  // ER_OUTOFMEMORY
    case 1038:  // ER_OUT_OF_SORTMEMORY
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1041:  // ER_OUT_OF_RESOURCES
    case 1114:  // ER_RECORD_FILE_FULL: the table is full
    case 1135:  // ER_CANT_CREATE_THREAD
    case 1153:  // ER_NET_PACKET_TOO_LARGE: beyond max_allowed_packet
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS
    case 1226:  // ER_USER_LIMIT_REACHED
    case 1461:  // ER_MAX_PREPARED_STMT_COUNT_REACHED
    case CR_NET_PACKET_TOO_LARGE:
    case CR_OUT_OF_MEMORY:
      return ErrorKind::kResourceExhausted;
    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
    case 1265:  // WARN_DATA_TRUNCATED
    case 1292:  // ER_TRUNCATED_WRONG_VALUE (dates, numbers)
    case 1300:  // ER_INVALID_CHARACTER_STRING
    case 1365:  // ER_DIVISION_BY_ZERO
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (invalid strings)
    case 1367:  // ER_ILLEGAL_VALUE_FOR_TYPE
    case 1406:  // ER_DATA_TOO_LONG
    case 1411:  // ER_WRONG_VALUE_FOR_TYPE
    case 1416:  // ER_CANT_CREATE_GEOMETRY_OBJECT
    case 1441:  // ER_DATETIME_FUNCTION_OVERFLOW
    case 1690:  // ER_DATA_OUT_OF_RANGE (BIGINT UNSIGNED value is out of range)
    case 3140:  // ER_INVALID_JSON_TEXT (MySQL 8)
      return ErrorKind::kDataError;
    case 1210:  // ER_WRONG_ARGUMENTS (to EXECUTE)
    case 1295:  // ER_UNSUPPORTED_PS: the statement cannot be prepared
    case 1390:  // ER_PS_MANY_PARAM: more than 65535 placeholders
    case CR_COMMANDS_OUT_OF_SYNC:
    case CR_PARAMS_NOT_BOUND:
    case CR_INVALID_PARAMETER_NO:
    case CR_INVALID_BUFFER_USE:
    case CR_UNSUPPORTED_PARAM_TYPE:
    case CR_NO_PREPARE_STMT:
    case CR_NO_DATA:
    case CR_NO_STMT_METADATA:
    case CR_NOT_IMPLEMENTED:
    case CR_STMT_CLOSED:
      return ErrorKind::kProgramming;
    default:
      break;
  }
  if (IsConnectionError(code)) return ErrorKind::kConnectionLost;
  const absl::string_view error_class = sqlstate.substr(0, 2);
  if (error_class == "08") return ErrorKind::kConnectionLost;
  if (error_class == "40") return ErrorKind::kSerializationFailure;
  if (error_class == "42") return ErrorKind::kProgramming;
  if (error_class == "22") return ErrorKind::kDataError;
  return ErrorKind::kOther;
}

std::string ConstraintName(unsigned int code, absl::string_view message) {
  switch (code) {
    case 1062:
    case 1586: {
      // The key's name comes last; the value before it may hold anything,
      // "for key" included.
      const size_t at = message.rfind(" for key '");
      if (at == absl::string_view::npos) return "";
      absl::string_view name = message.substr(at + 10);
      if (!absl::ConsumeSuffix(&name, "'")) return "";
      return std::string(name);
    }
    // The server quotes names as the session's sql_mode does: `name`, or
    // "name" under ANSI_QUOTES (the driver's default).
    case 1451:
    case 1452:
    case 4025: {
      std::string name = QuotedAfter(message, "CONSTRAINT ", '`', '`');
      if (name.empty()) name = QuotedAfter(message, "CONSTRAINT ", '"', '"');
      return name;
    }
    case 3819:
      return QuotedAfter(message, "Check constraint ", '\'', '\'');
    default:
      return "";
  }
}

std::string ReportedMessage(unsigned int code, absl::string_view message) {
  std::string text(message);
  if (code == 1062 || code == 1586) {
    const size_t key = message.rfind(" for key '");
    if (absl::StartsWith(message, "Duplicate entry '") && key != absl::string_view::npos) {
      text = absl::StrCat("Duplicate entry", message.substr(key));
    }
  }
  return absl::StrCat(text, " (MySQL error ", code, ")");
}

absl::StatusOr<MYSQL_TIME> TimestampToMysql(absl::Time time) {
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return absl::InvalidArgumentError("is an infinite time, which MySQL's DATETIME cannot hold");
  }
  const absl::CivilSecond civil = absl::ToCivilSecond(time, absl::UTCTimeZone());
  if (civil.year() < 0 || civil.year() > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("is in the year ", civil.year(), "; MySQL's DATETIME holds years 0 to 9999"));
  }
  const absl::Duration fraction = time - absl::FromCivil(civil, absl::UTCTimeZone());
  MYSQL_TIME out = Zeroed(MYSQL_TIMESTAMP_DATETIME);
  out.year = static_cast<unsigned int>(civil.year());
  out.month = static_cast<unsigned int>(civil.month());
  out.day = static_cast<unsigned int>(civil.day());
  out.hour = static_cast<unsigned int>(civil.hour());
  out.minute = static_cast<unsigned int>(civil.minute());
  out.second = static_cast<unsigned int>(civil.second());
  // In [0, 1s): truncating is flooring.
  out.second_part = static_cast<unsigned long>(absl::ToInt64Microseconds(fraction));
  return out;
}

absl::StatusOr<MYSQL_TIME> DateToMysql(absl::CivilDay day) {
  if (day.year() < 0 || day.year() > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("is in the year ", day.year(), "; MySQL's DATE holds years 0 to 9999"));
  }
  MYSQL_TIME out = Zeroed(MYSQL_TIMESTAMP_DATE);
  out.year = static_cast<unsigned int>(day.year());
  out.month = static_cast<unsigned int>(day.month());
  out.day = static_cast<unsigned int>(day.day());
  return out;
}

MYSQL_TIME TimeOfDayToMysql(const sql::TimeOfDay& time) {
  MYSQL_TIME out = Zeroed(MYSQL_TIMESTAMP_TIME);
  out.hour = static_cast<unsigned int>(time.hour());
  out.minute = static_cast<unsigned int>(time.minute());
  out.second = static_cast<unsigned int>(time.second());
  out.second_part = static_cast<unsigned long>(time.microsecond());
  return out;
}

absl::StatusOr<MYSQL_TIME> IntervalToMysql(absl::Duration interval) {
  if (interval == absl::InfiniteDuration() || interval == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("is an infinite interval");
  }
  // Whole microseconds, truncated toward zero as PostgreSQL's interval and
  // sql::IntervalToEpochText do.
  const absl::Duration micros = absl::Trunc(interval, absl::Microseconds(1));
  return TimestampToMysql(absl::UnixEpoch() + micros);
}

absl::StatusOr<absl::Time> MysqlToTimestamp(const MYSQL_TIME& time) {
  if (time.year == 0 && time.month == 0 && time.day == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds the zero date ", Describe(time), ", which is no point in time"));
  }
  if (time.month < 1 || time.month > 12 || time.day < 1 ||
      static_cast<int>(time.day) > DaysInMonth(time.year, time.month) || time.hour > 23 ||
      time.minute > 59 || time.second > 59 || time.second_part >= kMicrosPerSecond) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds ", Describe(time), ", which is no point in time"));
  }
  const absl::CivilSecond civil(time.year, time.month, time.day, time.hour, time.minute,
                                time.second);
  return absl::FromCivil(civil, absl::UTCTimeZone()) +
         absl::Microseconds(static_cast<int64_t>(time.second_part));
}

absl::StatusOr<absl::CivilDay> MysqlToDate(const MYSQL_TIME& time) {
  if (time.month < 1 || time.month > 12 || time.day < 1 ||
      static_cast<int>(time.day) > DaysInMonth(time.year, time.month)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "holds %04u-%02u-%02u, which is no date%s", time.year, time.month, time.day,
        time.year == 0 && time.month == 0 && time.day == 0 ? " (MySQL's zero date)" : ""));
  }
  return absl::CivilDay(time.year, time.month, time.day);
}

absl::Duration MysqlTimeToDuration(const MYSQL_TIME& time) {
  const absl::Duration magnitude = absl::Hours(static_cast<int64_t>(time.day) * 24 + time.hour) +
                                   absl::Minutes(time.minute) + absl::Seconds(time.second) +
                                   absl::Microseconds(static_cast<int64_t>(time.second_part));
  return time.neg ? -magnitude : magnitude;
}

bool IsValidUtf8(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    int length = 0;
    unsigned char low = 0x80;   // the second byte's range, narrowed for
    unsigned char high = 0xBF;  // overlong forms, surrogates and > U+10FFFF
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > size) return false;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return false;
    for (int k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

uint64_t BitsToUint64(absl::string_view bytes) {
  uint64_t value = 0;
  for (const char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

}  // namespace duo::engine::mysql_internal
