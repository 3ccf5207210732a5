// A program that links duo::Database and the SQLite driver alone, as a
// SQLite-only application's BUILD file would: SQLite works, and a URL of a
// database whose driver is not linked is an error that names the scheme and
// the target to add (//duo:links_test checks that libpq is not linked).

#include "absl/status/status.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo {
namespace {

using ::testing::HasSubstr;

TEST(SqliteOnlyTest, OpensSqlite) {
  absl::StatusOr<Database> db = Database::Open("sqlite:///:memory:");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(db->dialect().name(), "sqlite");
  absl::StatusOr<Result> result = db->Execute(sql::Text("SELECT 1 + 1"));
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<int64_t> sum = result->Scalar<int64_t>();
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, 2);
}

TEST(SqliteOnlyTest, PostgresUrlNamesTheDriverToLink) {
  absl::StatusOr<Database> db = Database::Open("postgresql://app:s3cr3t@db.internal/orders");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(db.status().message(),
              HasSubstr("no driver for postgresql:// URLs is linked into this program"));
  EXPECT_THAT(db.status().message(), HasSubstr("drivers for sqlite"));
  EXPECT_THAT(db.status().message(), HasSubstr("add //duo/engine/postgres:driver to its deps"));
  EXPECT_THAT(db.status().message(), ::testing::Not(HasSubstr("s3cr3t")));

  // postgres:// is the same scheme.
  db = Database::Open("postgres://db.internal/orders");
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(db.status().message(), HasSubstr("//duo/engine/postgres:driver"));
}

TEST(SqliteOnlyTest, UnknownSchemeIsStillAMalformedUrl) {
  absl::StatusOr<Database> db = Database::Open("oracle://db.internal/orders");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(db.status().message(), HasSubstr("unknown scheme \"oracle\""));
}

}  // namespace
}  // namespace duo
