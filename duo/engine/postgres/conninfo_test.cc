#include "duo/engine/postgres/conninfo.h"

#include "absl/status/statusor.h"
#include "duo/engine/url.h"
#include "gtest/gtest.h"

namespace duo::engine {
namespace {

TEST(LibpqConnInfoTest, QuotesValues) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(
      "postgresql://app:it's%5Cme@db.internal:5433/orders?sslmode=require&application_name=");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->password, R"(it's\me)");
  EXPECT_EQ(LibpqConnInfo(*url),
            R"(host='db.internal' port='5433' dbname='orders' user='app' password='it\'s\\me' )"
            R"(sslmode='require' application_name='')");
}

TEST(LibpqConnInfoTest, LeavesDefaultsToLibpq) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse("postgresql://");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(LibpqConnInfo(*url), "");

  url = DatabaseUrl::Parse("postgresql:///orders?host=/run/postgresql");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(LibpqConnInfo(*url), "host='/run/postgresql' dbname='orders'");
}

}  // namespace
}  // namespace duo::engine
