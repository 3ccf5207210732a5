// Database errors a caller can branch on.
//
// Every error the engine returns is an absl::Status whose code follows
// abseil's retry guidance, carrying ErrorDetails as a payload:
//
//   unique violation                    kAlreadyExists
//   foreign key / not null / check      kFailedPrecondition
//   transaction aborted (PostgreSQL)    kFailedPrecondition
//   serialization failure, deadlock     kAborted             retry the transaction
//   connection lost or refused          kUnavailable         retry the call
//   statement timeout, cancelled        kDeadlineExceeded
//   disk or database full, out of       kResourceExhausted   retry once space (or
//   memory or connections (PG class 53)                      a connection) is freed
//   syntax, undefined table or column   kInvalidArgument
//   a value the C++ type cannot hold    kOutOfRange / kInvalidArgument
//
//   absl::Status s = ...;
//   if (duo::GetErrorKind(s) == duo::ErrorKind::kUniqueViolation) {
//     std::optional<duo::ErrorDetails> d = duo::GetErrorDetails(s);
//     // d->constraint: "users_email_key"
//   }

#ifndef DUO_ENGINE_ERROR_H_
#define DUO_ENGINE_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace duo {

enum class ErrorKind : uint8_t {
  kOther,
  kUniqueViolation,
  kForeignKeyViolation,
  kNotNullViolation,
  kCheckViolation,
  kTransactionAborted,
  kSerializationFailure,
  kConnectionLost,
  kTimeout,
  kProgramming,  // syntax errors, unknown tables or columns, misuse
  kDataError,    // a value out of range or of the wrong type
  // The database ran out of something: disk (SQLITE_FULL, PostgreSQL's
  // disk_full), memory, connections. Last, so that the values above keep
  // their numbers in status payloads.
  kResourceExhausted,
};

absl::string_view ErrorKindName(ErrorKind kind);

struct ErrorDetails {
  ErrorKind kind = ErrorKind::kOther;
  std::string sqlstate;    // PostgreSQL SQLSTATE ("23505"), empty on SQLite
  int sqlite_code = 0;     // SQLite extended result code, 0 on PostgreSQL
  std::string constraint;  // the violated constraint, when the database names it
  std::string sql;         // the statement that failed, without its values
};

// The status for a database error: code from `details.kind`, message
// "<message> [<sql>]", details attached.
absl::Status DatabaseError(std::string message, ErrorDetails details);

// The details attached by DatabaseError, if any.
std::optional<ErrorDetails> GetErrorDetails(const absl::Status& status);
// kOther when `status` carries no details.
ErrorKind GetErrorKind(const absl::Status& status);

bool IsIntegrityViolation(const absl::Status& status);

}  // namespace duo

#endif  // DUO_ENGINE_ERROR_H_
