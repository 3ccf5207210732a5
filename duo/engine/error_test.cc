#include "duo/engine/error.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
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
      {ErrorKind::kStaleObject, absl::StatusCode::kAborted},
      {ErrorKind::kOther, absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    const absl::Status status = DatabaseError("failed", {.kind = c.kind});
    EXPECT_EQ(status.code(), c.code) << ErrorKindName(c.kind);
    EXPECT_EQ(GetErrorKind(status), c.kind);
    EXPECT_EQ(IsStale(status), c.kind == ErrorKind::kStaleObject);
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
  EXPECT_EQ(details->sql, "INSERT INTO \"users\" (\"email\") VALUES ($1)");
  EXPECT_TRUE(IsIntegrityViolation(status));
}

// What a user prints reads as text: the payload absl::Status::ToString()
// appends holds words, not encoded bytes, and ErrorString leaves it out.
TEST(ErrorTest, PrintedStatusesReadCleanly) {
  const absl::Status status =
      DatabaseError("duplicate key value violates unique constraint \"users_email_key\"",
                    {.kind = ErrorKind::kUniqueViolation,
                     .sqlstate = "23505",
                     .constraint = "users_email_key",
                     .sql = "INSERT INTO \"users\" (\"email\") VALUES ($1)"});
  const std::string line =
      "ALREADY_EXISTS: duplicate key value violates unique constraint "
      "\"users_email_key\" [INSERT INTO \"users\" (\"email\") VALUES ($1)]";
  EXPECT_EQ(ErrorString(status), line);
  EXPECT_EQ(status.ToString(),
            line +
                " [type.duo.dev/duo.ErrorDetails='unique violation; sqlstate 23505; sql 41 "
                "bytes; constraint users_email_key']");
  for (const std::string& printed : {status.ToString(), ErrorString(status)}) {
    EXPECT_THAT(printed, ::testing::Not(::testing::HasSubstr("\\x")));
    for (const char c : printed) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << printed;
  }

  const absl::Status sqlite = DatabaseError(
      "UNIQUE constraint failed: users.email",
      {.kind = ErrorKind::kUniqueViolation, .sqlite_code = 2067, .constraint = "users.email"});
  EXPECT_EQ(sqlite.ToString(),
            "ALREADY_EXISTS: UNIQUE constraint failed: users.email "
            "[type.duo.dev/duo.ErrorDetails='unique violation; sqlite code 2067; constraint "
            "users.email']");
  EXPECT_EQ(ErrorString(absl::OkStatus()), "OK");
}

TEST(ErrorTest, DetailsParseBackWhateverTheFieldsHold) {
  const ErrorDetails in{.kind = ErrorKind::kCheckViolation,
                        .sqlite_code = 275,
                        .constraint = "odd; sql 3 bytes; name",
                        .sql = "SELECT '] [' -- ; sql 1 bytes"};
  absl::Status status = DatabaseError("failed [here]", in);
  // Callers may add context in front of the message, keeping the payload.
  absl::Status annotated(status.code(), absl::StrCat("saving user: ", status.message()));
  annotated.SetPayload("type.duo.dev/duo.ErrorDetails",
                       *status.GetPayload("type.duo.dev/duo.ErrorDetails"));
  for (const absl::Status& s : {status, annotated}) {
    std::optional<ErrorDetails> out = GetErrorDetails(s);
    ASSERT_TRUE(out.has_value()) << s;
    EXPECT_EQ(out->kind, in.kind);
    EXPECT_EQ(out->sqlstate, "");
    EXPECT_EQ(out->sqlite_code, 275);
    EXPECT_EQ(out->constraint, in.constraint);
    EXPECT_EQ(out->sql, in.sql);
  }
}

// A statement can be megabytes long; its error message is not.
TEST(ErrorTest, MessagesQuoteAtMostAThousandBytesOfSql) {
  std::string sql = "SELECT * FROM t WHERE id IN (";
  for (int i = 0; i < 100000; ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", "$", i + 1);
  sql += ")";
  const absl::Status status = DatabaseError("number of parameters must be between 0 and 65535",
                                            {.kind = ErrorKind::kProgramming, .sql = sql});
  EXPECT_LT(status.message().size(), 1200u);
  EXPECT_LT(status.ToString().size(), 1300u);
  EXPECT_THAT(std::string(status.message()),
              ::testing::EndsWith(absl::StrCat("... (", sql.size(), " bytes)]")));
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("[SELECT * FROM t WHERE id IN ($1, $2, $3"));
  std::optional<ErrorDetails> details = GetErrorDetails(status);
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->sql, SqlForMessage(sql));

  // Never cut inside a UTF-8 character: "é" is two bytes.
  std::string accented = "SELECT 'x";  // odd: byte 1000 falls inside a character
  while (accented.size() < kMaxSqlInMessage + 10) accented += "\xc3\xa9";
  const std::string quoted = SqlForMessage(accented);
  const size_t kept = quoted.find("... (");
  ASSERT_NE(kept, std::string::npos);
  EXPECT_LE(kept, kMaxSqlInMessage);
  EXPECT_EQ(accented.substr(0, kept), quoted.substr(0, kept));
  EXPECT_NE(static_cast<unsigned char>(accented[kept]) & 0xC0, 0x80);
  EXPECT_EQ(SqlForMessage("SELECT 1"), "SELECT 1");
}

TEST(ErrorTest, PlainStatusesHaveNoDetails) {
  EXPECT_FALSE(GetErrorDetails(absl::InternalError("x")).has_value());
  EXPECT_EQ(GetErrorKind(absl::OkStatus()), ErrorKind::kOther);
  EXPECT_FALSE(IsIntegrityViolation(absl::NotFoundError("x")));
}

}  // namespace
}  // namespace duo
