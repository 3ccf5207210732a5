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
//   stale object: a versioned row       kAborted             reload the row, apply
//   changed or deleted since it was                          the change again
//   loaded (optimistic locking)
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
  // Optimistic locking (duo::Version() in a model's declaration): a Save,
  // Update or Delete found no row with the key and the version the object
  // was loaded with, because another writer changed or deleted it since.
  // Nothing was written. Not raised by a database: by the ORM.
  kStaleObject,
};

absl::string_view ErrorKindName(ErrorKind kind);

struct ErrorDetails {
  ErrorKind kind = ErrorKind::kOther;
  std::string sqlstate;    // PostgreSQL SQLSTATE ("23505"), empty on SQLite
  int sqlite_code = 0;     // SQLite extended result code, 0 on PostgreSQL
  std::string constraint;  // the violated constraint, when the database names it
  // The statement that failed, without its values, as the message quotes
  // it: cut after kMaxSqlInMessage bytes (see SqlForMessage).
  std::string sql;
};

// The most bytes of SQL an error message quotes. A statement can be
// megabytes long (a bulk insert, a long IN list); a message that held it
// whole would swamp logs and terminals.
inline constexpr size_t kMaxSqlInMessage = 1000;

// `sql` as error messages quote it: whole up to kMaxSqlInMessage bytes,
// else its first kMaxSqlInMessage bytes (cut at a UTF-8 character boundary)
// followed by "... (<size> bytes)".
std::string SqlForMessage(absl::string_view sql);

// The status for a database error: code from `details.kind`, message
// "<message> [<sql>]" (the SQL cut by SqlForMessage), details attached as a
// payload of readable text: absl::Status::ToString() prints it after the
// message, as in
//   ALREADY_EXISTS: duplicate key value violates unique constraint
//   "users_email_key" [INSERT INTO "users" ("email") VALUES ($1)]
//   [type.duo.dev/duo.ErrorDetails='unique violation; sqlstate 23505;
//   sql 41 bytes; constraint users_email_key']
absl::Status DatabaseError(std::string message, ErrorDetails details);

// The status as one line for people: "<CODE>: <message>", without
// payloads (status.ToString(absl::StatusToStringMode::kWithNoExtraData)).
// What duo's examples and tools print; the details stay reachable through
// GetErrorDetails.
std::string ErrorString(const absl::Status& status);

// The details attached by DatabaseError, if any.
std::optional<ErrorDetails> GetErrorDetails(const absl::Status& status);
// kOther when `status` carries no details.
ErrorKind GetErrorKind(const absl::Status& status);

bool IsIntegrityViolation(const absl::Status& status);

// Whether `status` is a lost update caught by optimistic locking
// (ErrorKind::kStaleObject): reload the object and apply the change again.
bool IsStale(const absl::Status& status);

}  // namespace duo

#endif  // DUO_ENGINE_ERROR_H_
