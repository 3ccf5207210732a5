#include "duo/engine/error.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace duo {
namespace {

constexpr char kPayloadUrl[] = "type.duo.dev/duo.ErrorDetails";
// Fields are separated by a byte that cannot occur in SQLSTATEs, constraint
// names or SQL text the engine produces.
constexpr char kSeparator[] = "\x1f";

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
    case ErrorKind::kOther: return "other";
    case ErrorKind::kUniqueViolation: return "unique violation";
    case ErrorKind::kForeignKeyViolation: return "foreign key violation";
    case ErrorKind::kNotNullViolation: return "not null violation";
    case ErrorKind::kCheckViolation: return "check violation";
    case ErrorKind::kTransactionAborted: return "transaction aborted";
    case ErrorKind::kSerializationFailure: return "serialization failure";
    case ErrorKind::kConnectionLost: return "connection lost";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kProgramming: return "programming error";
    case ErrorKind::kDataError: return "data error";
    case ErrorKind::kResourceExhausted: return "resource exhausted";
  }
  return "other";
}

absl::Status DatabaseError(std::string message, ErrorDetails details) {
  if (!details.sql.empty()) absl::StrAppend(&message, " [", details.sql, "]");
  absl::Status status(CodeFor(details.kind), message);
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(static_cast<int>(details.kind), kSeparator,
                                            details.sqlstate, kSeparator, details.sqlite_code,
                                            kSeparator, details.constraint, kSeparator,
                                            details.sql)));
  return status;
}

std::optional<ErrorDetails> GetErrorDetails(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload) return std::nullopt;
  const std::string text(*payload);
  std::vector<std::string> fields = absl::StrSplit(text, absl::MaxSplits(kSeparator[0], 4));
  int kind = 0;
  ErrorDetails details;
  if (fields.size() != 5 || !absl::SimpleAtoi(fields[0], &kind) ||
      !absl::SimpleAtoi(fields[2], &details.sqlite_code)) {
    return std::nullopt;
  }
  details.kind = static_cast<ErrorKind>(kind);
  details.sqlstate = std::move(fields[1]);
  details.constraint = std::move(fields[3]);
  details.sql = std::move(fields[4]);
  return details;
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

}  // namespace duo
