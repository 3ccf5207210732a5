#include "duo/engine/error.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace duo {
namespace {

constexpr char kPayloadUrl[] = "type.duo.dev/duo.ErrorDetails";

// The payload is text a person can read, since absl::Status::ToString()
// prints it after the message: "unique violation; sqlstate 23505; sql 41
// bytes; constraint users_email_key". Fields are "; "-separated, optional
// ones omitted, and the constraint (a name that may hold anything) comes
// last. The SQL is not repeated: "sql N bytes" says that the message ends
// with " [<the N bytes of SQL>]".
constexpr absl::string_view kFieldSeparator = "; ";
constexpr absl::string_view kSqlstateField = "sqlstate ";
constexpr absl::string_view kSqliteCodeField = "sqlite code ";
constexpr absl::string_view kSqlField = "sql ";
constexpr absl::string_view kConstraintField = "constraint ";

absl::StatusCode CodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUniqueViolation:
      return absl::StatusCode::kAlreadyExists;
    case ErrorKind::kForeignKeyViolation:
    case ErrorKind::kNotNullViolation:
    case ErrorKind::kCheckViolation:
    case ErrorKind::kTransactionAborted:
      return absl::StatusCode::kFailedPrecondition;
    case ErrorKind::kSerializationFailure:
    case ErrorKind::kStaleObject:
      return absl::StatusCode::kAborted;
    case ErrorKind::kConnectionLost:
      return absl::StatusCode::kUnavailable;
    case ErrorKind::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case ErrorKind::kProgramming:
      return absl::StatusCode::kInvalidArgument;
    case ErrorKind::kDataError:
      return absl::StatusCode::kOutOfRange;
    case ErrorKind::kResourceExhausted:
      return absl::StatusCode::kResourceExhausted;
    case ErrorKind::kOther:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOther:
      return "other";
    case ErrorKind::kUniqueViolation:
      return "unique violation";
    case ErrorKind::kForeignKeyViolation:
      return "foreign key violation";
    case ErrorKind::kNotNullViolation:
      return "not null violation";
    case ErrorKind::kCheckViolation:
      return "check violation";
    case ErrorKind::kTransactionAborted:
      return "transaction aborted";
    case ErrorKind::kSerializationFailure:
      return "serialization failure";
    case ErrorKind::kConnectionLost:
      return "connection lost";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kProgramming:
      return "programming error";
    case ErrorKind::kDataError:
      return "data error";
    case ErrorKind::kResourceExhausted:
      return "resource exhausted";
    case ErrorKind::kStaleObject:
      return "stale object";
  }
  return "other";
}

std::string SqlForMessage(absl::string_view sql) {
  if (sql.size() <= kMaxSqlInMessage) return std::string(sql);
  // Cut at a character boundary: never inside a UTF-8 sequence.
  size_t cut = kMaxSqlInMessage;
  while (cut > 0 && (static_cast<unsigned char>(sql[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(sql.substr(0, cut), "... (", sql.size(), " bytes)");
}

absl::Status DatabaseError(std::string message, ErrorDetails details) {
  details.sql = SqlForMessage(details.sql);
  if (!details.sql.empty()) absl::StrAppend(&message, " [", details.sql, "]");
  absl::Status status(CodeFor(details.kind), message);
  std::string payload(ErrorKindName(details.kind));
  if (!details.sqlstate.empty()) {
    absl::StrAppend(&payload, kFieldSeparator, kSqlstateField, details.sqlstate);
  }
  if (details.sqlite_code != 0) {
    absl::StrAppend(&payload, kFieldSeparator, kSqliteCodeField, details.sqlite_code);
  }
  if (!details.sql.empty()) {
    absl::StrAppend(&payload, kFieldSeparator, kSqlField, details.sql.size(), " bytes");
  }
  if (!details.constraint.empty()) {
    absl::StrAppend(&payload, kFieldSeparator, kConstraintField, details.constraint);
  }
  status.SetPayload(kPayloadUrl, absl::Cord(payload));
  return status;
}

std::optional<ErrorDetails> GetErrorDetails(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload) return std::nullopt;
  const std::string text(*payload);
  absl::string_view rest = text;
  const size_t kind_end = rest.find(kFieldSeparator);
  const absl::string_view kind_name = rest.substr(0, kind_end);
  rest = kind_end == absl::string_view::npos ? "" : rest.substr(kind_end + kFieldSeparator.size());
  ErrorDetails details;
  bool known_kind = false;
  for (int k = 0; k <= static_cast<int>(ErrorKind::kStaleObject); ++k) {
    if (ErrorKindName(static_cast<ErrorKind>(k)) == kind_name) {
      details.kind = static_cast<ErrorKind>(k);
      known_kind = true;
    }
  }
  if (!known_kind) return std::nullopt;
  size_t sql_bytes = 0;
  while (!rest.empty()) {
    if (absl::ConsumePrefix(&rest, kConstraintField)) {
      details.constraint = std::string(rest);  // last: the rest is the name
      break;
    }
    const size_t end = rest.find(kFieldSeparator);
    absl::string_view field = rest.substr(0, end);
    rest = end == absl::string_view::npos ? "" : rest.substr(end + kFieldSeparator.size());
    if (absl::ConsumePrefix(&field, kSqlstateField)) {
      details.sqlstate = std::string(field);
    } else if (absl::ConsumePrefix(&field, kSqliteCodeField)) {
      if (!absl::SimpleAtoi(field, &details.sqlite_code)) return std::nullopt;
    } else if (absl::ConsumePrefix(&field, kSqlField) && absl::ConsumeSuffix(&field, " bytes")) {
      if (!absl::SimpleAtoi(field, &sql_bytes)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  // The SQL closes the message; a caller may have put context before it.
  const absl::string_view message = status.message();
  if (sql_bytes > 0 && message.size() >= sql_bytes + 3 && absl::EndsWith(message, "]") &&
      message.substr(message.size() - sql_bytes - 3, 2) == " [") {
    details.sql = std::string(message.substr(message.size() - sql_bytes - 1, sql_bytes));
  }
  return details;
}

std::string ErrorString(const absl::Status& status) {
  return status.ToString(absl::StatusToStringMode::kWithNoExtraData);
}

ErrorKind GetErrorKind(const absl::Status& status) {
  std::optional<ErrorDetails> details = GetErrorDetails(status);
  return details ? details->kind : ErrorKind::kOther;
}

bool IsIntegrityViolation(const absl::Status& status) {
  switch (GetErrorKind(status)) {
    case ErrorKind::kUniqueViolation:
    case ErrorKind::kForeignKeyViolation:
    case ErrorKind::kNotNullViolation:
    case ErrorKind::kCheckViolation:
      return true;
    default:
      return false;
  }
}

bool IsStale(const absl::Status& status) { return GetErrorKind(status) == ErrorKind::kStaleObject; }

}  // namespace duo
