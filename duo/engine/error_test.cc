#include "duo/engine/error.h"

#include "gtest/gtest.h"

namespace duo {
namespace {

TEST(ErrorTest, KindsMapToRetryableCodes) {
  const struct {
    ErrorKind kind;
    absl::StatusCode code;
  } cases[] = {
      {ErrorKind::kUniqueViolation, absl::StatusCode::kAlreadyExists},
      {ErrorKind::kForeignKeyViolation, absl::StatusCode::kFailedPrecondition},
      {ErrorKind::kNotNullViolation, absl::StatusCode::kFailedPrecondition},
      {ErrorKind::kCheckViolation, absl::StatusCode::kFailedPrecondition},
      {ErrorKind::kTransactionAborted, absl::StatusCode::kFailedPrecondition},
      {ErrorKind::kSerializationFailure, absl::StatusCode::kAborted},
      {ErrorKind::kConnectionLost, absl::StatusCode::kUnavailable},
      {ErrorKind::kTimeout, absl::StatusCode::kDeadlineExceeded},
      {ErrorKind::kProgramming, absl::StatusCode::kInvalidArgument},
      {ErrorKind::kDataError, absl::StatusCode::kOutOfRange},
      {ErrorKind::kResourceExhausted, absl::StatusCode::kResourceExhausted},
      {ErrorKind::kOther, absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    const absl::Status status = DatabaseError("failed", {.kind = c.kind});
    EXPECT_EQ(status.code(), c.code) << ErrorKindName(c.kind);
    EXPECT_EQ(GetErrorKind(status), c.kind);
  }
}

TEST(ErrorTest, DetailsSurviveTheStatus) {
  const absl::Status status =
      DatabaseError("duplicate key value violates unique constraint",
                    {.kind = ErrorKind::kUniqueViolation,
                     .sqlstate = "23505",
                     .constraint = "users_email_key",
                     .sql = "INSERT INTO \"users\" (\"email\") VALUES ($1)"});
  EXPECT_EQ(status.message(),
            "duplicate key value violates unique constraint "
            "[INSERT INTO \"users\" (\"email\") VALUES ($1)]");
  std::optional<ErrorDetails> details = GetErrorDetails(status);
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->sqlstate, "23505");
  EXPECT_EQ(details->constraint, "users_email_key");
  EXPECT_EQ(details->sqlite_code, 0);
  EXPECT_TRUE(IsIntegrityViolation(status));
}

TEST(ErrorTest, PlainStatusesHaveNoDetails) {
  EXPECT_FALSE(GetErrorDetails(absl::InternalError("x")).has_value());
  EXPECT_EQ(GetErrorKind(absl::OkStatus()), ErrorKind::kOther);
  EXPECT_FALSE(IsIntegrityViolation(absl::NotFoundError("x")));
}

}  // namespace
}  // namespace duo
