#include "duo/engine/url.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace duo::engine {
namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

void ExpectFields(const DatabaseUrl& actual, const DatabaseUrl& expected) {
  EXPECT_EQ(actual.scheme, expected.scheme);
  EXPECT_EQ(actual.user, expected.user);
  EXPECT_EQ(actual.password, expected.password);
  EXPECT_EQ(actual.host, expected.host);
  EXPECT_EQ(actual.port, expected.port);
  EXPECT_EQ(actual.database, expected.database);
  EXPECT_EQ(actual.options, expected.options);
}

struct GoodUrl {
  absl::string_view url;
  DatabaseUrl expected;
};

const std::vector<GoodUrl>& GoodUrls() {
  static const auto* const kUrls = new std::vector<GoodUrl>{
      {"sqlite:///relative/path.db", {.scheme = "sqlite", .database = "relative/path.db"}},
      {"sqlite:////absolute/path.db", {.scheme = "sqlite", .database = "/absolute/path.db"}},
      {"sqlite:///:memory:", {.scheme = "sqlite", .database = ":memory:"}},
      {"sqlite:///app.db?busy_timeout_ms=5000&mode=ro",
       {.scheme = "sqlite",
        .database = "app.db",
        .options = {{"busy_timeout_ms", "5000"}, {"mode", "ro"}}}},
      {"sqlite:///my%20data%3F.db", {.scheme = "sqlite", .database = "my data?.db"}},
      {"sqlite:///app.db?", {.scheme = "sqlite", .database = "app.db"}},
      {"postgresql://", {.scheme = "postgresql"}},
      {"postgres://db.internal", {.scheme = "postgresql", .host = "db.internal"}},
      {"postgresql://app@db.internal/orders",
       {.scheme = "postgresql", .user = "app", .host = "db.internal", .database = "orders"}},
      {"postgresql://app:secret@db.internal:5433/orders?sslmode=require&connect_timeout=10",
       {.scheme = "postgresql",
        .user = "app",
        .password = "secret",
        .host = "db.internal",
        .port = 5433,
        .database = "orders",
        .options = {{"sslmode", "require"}, {"connect_timeout", "10"}}}},
      {"postgresql://:secret@db.internal",
       {.scheme = "postgresql", .password = "secret", .host = "db.internal"}},
      {"postgresql://db.internal:1/a",
       {.scheme = "postgresql", .host = "db.internal", .port = 1, .database = "a"}},
      {"postgresql://db.internal:65535",
       {.scheme = "postgresql", .host = "db.internal", .port = 65535}},
      {"postgresql://db.internal?sslmode=disable",
       {.scheme = "postgresql", .host = "db.internal", .options = {{"sslmode", "disable"}}}},
      // Unix-socket directories, as an option or percent-encoded in place.
      {"postgresql:///orders?host=/run/postgresql",
       {.scheme = "postgresql", .host = "/run/postgresql", .database = "orders"}},
      {"postgresql://%2Frun%2Fpostgresql/orders",
       {.scheme = "postgresql", .host = "/run/postgresql", .database = "orders"}},
      {"postgresql://[::1]:5433/orders",
       {.scheme = "postgresql", .host = "::1", .port = 5433, .database = "orders"}},
      {"postgresql://[fe80::1%25eth0]/orders",
       {.scheme = "postgresql", .host = "fe80::1%eth0", .database = "orders"}},
      // Query parameters naming parts of the URL override them, as in libpq.
      {"postgresql://ignored:1/ignored?host=primary&port=6432&user=me&password=pw&dbname=real"
       "&sslmode=verify-full",
       {.scheme = "postgresql",
        .user = "me",
        .password = "pw",
        .host = "primary",
        .port = 6432,
        .database = "real",
        .options = {{"sslmode", "verify-full"}}}},
      // The last '@' ends the user information; the first ':' ends the user.
      {"postgresql://app:p@ss:w@rd@db.internal/orders",
       {.scheme = "postgresql",
        .user = "app",
        .password = "p@ss:w@rd",
        .host = "db.internal",
        .database = "orders"}},
      {"postgresql://db.internal/orders?options=-c%20search_path=app",
       {.scheme = "postgresql",
        .host = "db.internal",
        .database = "orders",
        .options = {{"options", "-c search_path=app"}}}},
      {"postgresql://db.internal/orders?sslmode=",
       {.scheme = "postgresql",
        .host = "db.internal",
        .database = "orders",
        .options = {{"sslmode", ""}}}},
      // MySQL and MariaDB: one scheme, two names; a socket is an option
      // (query parameters never override parts there, unlike libpq).
      {"mysql://app:secret@db.internal:3307/shop?charset=utf8mb4&connect_timeout=5",
       {.scheme = "mysql",
        .user = "app",
        .password = "secret",
        .host = "db.internal",
        .port = 3307,
        .database = "shop",
        .options = {{"charset", "utf8mb4"}, {"connect_timeout", "5"}}}},
      {"mariadb://root@localhost/shop?unix_socket=/run/mysqld/mysqld.sock",
       {.scheme = "mysql",
        .user = "root",
        .host = "localhost",
        .database = "shop",
        .options = {{"unix_socket", "/run/mysqld/mysqld.sock"}}}},
      {"mysql://db.internal/shop?user=other",
       {.scheme = "mysql",
        .host = "db.internal",
        .database = "shop",
        .options = {{"user", "other"}}}},
  };
  return *kUrls;
}

TEST(DatabaseUrlTest, ParsesGoodUrls) {
  for (const GoodUrl& good : GoodUrls()) {
    SCOPED_TRACE(good.url);
    absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(good.url);
    ASSERT_TRUE(url.ok()) << url.status();
    ExpectFields(*url, good.expected);
  }
}

TEST(DatabaseUrlTest, RejectsBadUrls) {
  const struct {
    absl::string_view url;
    absl::StatusCode code;
    absl::string_view message;
  } cases[] = {
      {"", absl::StatusCode::kInvalidArgument, "database URL: no scheme"},
      {"app.db", absl::StatusCode::kInvalidArgument, "database URL: no scheme"},
      {"sqlite:app.db", absl::StatusCode::kInvalidArgument, "database URL: no scheme"},
      {"oracle://app@db/orders", absl::StatusCode::kInvalidArgument,
       "database URL: unknown scheme \"oracle\" (expected mysql, postgresql or sqlite)"},
      {"sqlite3:///app.db", absl::StatusCode::kInvalidArgument, "unknown scheme \"sqlite3\""},
      {"SQLite:///app.db", absl::StatusCode::kInvalidArgument, "unknown scheme \"SQLite\""},
      {"sqlite://", absl::StatusCode::kInvalidArgument, "database URL: missing sqlite path"},
      {"sqlite://app.db", absl::StatusCode::kInvalidArgument, "missing sqlite path"},
      {"sqlite:///", absl::StatusCode::kInvalidArgument, "database URL: empty sqlite path"},
      {"sqlite:///?mode=ro", absl::StatusCode::kInvalidArgument, "empty sqlite path"},
      {"sqlite:///a%zz.db", absl::StatusCode::kInvalidArgument,
       "database URL: malformed percent-escape in path \"a%zz.db\""},
      {"sqlite:///a.db%4", absl::StatusCode::kInvalidArgument, "malformed percent-escape in path"},
      {"sqlite:///a%00.db", absl::StatusCode::kInvalidArgument, "%00 in path"},
      {"sqlite:///a.db\n", absl::StatusCode::kInvalidArgument, "control character at offset 14"},
      {"sqlite:///a.db?=1", absl::StatusCode::kInvalidArgument, "database URL: empty option name"},
      {"sqlite:///a.db?mode=ro&&cache=shared", absl::StatusCode::kInvalidArgument,
       "empty option name"},
      {"sqlite:///a.db?mode", absl::StatusCode::kInvalidArgument, "option \"mode\" has no value"},
      {"sqlite:///a.db?mode=ro&mode=rw", absl::StatusCode::kInvalidArgument,
       "database URL: option \"mode\" given twice"},
      {"sqlite:///a.db?m%6Fde=ro&mode=rw", absl::StatusCode::kInvalidArgument,
       "option \"mode\" given twice"},
      {"sqlite:///a.db?m%zzde=ro", absl::StatusCode::kInvalidArgument,
       "malformed percent-escape in option name \"m%zzde\""},
      {"postgresql://db:99999/orders", absl::StatusCode::kInvalidArgument,
       "database URL: invalid port \"99999\""},
      {"postgresql://db:0/orders", absl::StatusCode::kInvalidArgument, "invalid port \"0\""},
      {"postgresql://db:123456789012/orders", absl::StatusCode::kInvalidArgument,
       "invalid port \"123456789012\""},
      {"postgresql://db:/orders", absl::StatusCode::kInvalidArgument, "database URL: empty port"},
      {"postgresql://db:54x2/orders", absl::StatusCode::kInvalidArgument,
       "invalid port (not a number"},
      {"postgresql://db:-1/orders", absl::StatusCode::kInvalidArgument,
       "invalid port (not a number"},
      {"postgresql://db/orders?port=70000", absl::StatusCode::kInvalidArgument,
       "invalid port \"70000\""},
      {"postgresql://db1,db2/orders", absl::StatusCode::kInvalidArgument,
       "several hosts \"db1,db2\" are not supported"},
      {"postgresql://[::1/orders", absl::StatusCode::kInvalidArgument,
       "missing ']' after IPv6 host"},
      {"postgresql://[::1]x/orders", absl::StatusCode::kInvalidArgument,
       "unexpected \"x\" after IPv6 host"},
      {"postgresql://ap%p@db/orders", absl::StatusCode::kInvalidArgument,
       "malformed percent-escape in user \"ap%p\""},
      {"postgresql://d%g0/orders", absl::StatusCode::kInvalidArgument,
       "malformed percent-escape in host \"d%g0\""},
      {"postgresql://db/ord%", absl::StatusCode::kInvalidArgument,
       "malformed percent-escape in database name \"ord%\""},
      {"postgresql://db/orders?sslmode=%zz", absl::StatusCode::kInvalidArgument,
       "malformed percent-escape in the value of option \"sslmode\""},
      {"postgresql://db/orders?ssl%20mode=require", absl::StatusCode::kInvalidArgument,
       "invalid option name \"ssl mode\""},
      {"postgresql://db/orders?host=a&host=b", absl::StatusCode::kInvalidArgument,
       "option \"host\" given twice"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(c.url);
    ASSERT_FALSE(url.ok()) << url->ToString();
    EXPECT_EQ(url.status().code(), c.code);
    EXPECT_NE(url.status().message().find(c.message), absl::string_view::npos)
        << url.status().message();
  }
}

TEST(DatabaseUrlTest, ErrorsNeverContainThePassword) {
  const absl::string_view urls[] = {
      "oracle://app:s3cr3t@db/orders",
      "mysql://app:s3cr3t@db:0/orders",
      "app:s3cr3t@db/orders",
      "app:s3cr3t://db/orders",
      "postgresql://app:s3cr3t@db:99999/orders",
      "postgresql://app:s3cr3t@db:/orders",
      "postgresql://app:s3cr3t%zz@db/orders",
      "postgresql://app:s3cr3t%00@db/orders",
      "postgresql://app:s3cr3t@db1,db2/orders",
      "postgresql://app:s3cr3t@[::1/orders",
      "postgresql://app:s3cr3t@db/orders\n",
      "postgresql://app:s3cr3t@db/orders?sslmode=a&sslmode=b",
      // An unencoded '/' or '?' in the password puts its rest in the port.
      "postgresql://app:s3cr3t/x@db/orders",
      "postgresql://app:s3cr3t?x@db/orders",
      "postgresql://db/orders?password=s3cr3t%zz",
      "postgresql://db/orders?sslpassword=s3cr3t%",
      "postgresql://db/orders?password=s3cr3t&password=s3cr3t",
      "postgresql://db/orders?password=s3cr3t&port=0",
  };
  for (const absl::string_view url : urls) {
    SCOPED_TRACE(url);
    absl::StatusOr<DatabaseUrl> parsed = DatabaseUrl::Parse(url);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().message().find("s3cr3t"), absl::string_view::npos)
        << parsed.status().message();
  }
}

TEST(DatabaseUrlTest, ToStringMasksPasswords) {
  const struct {
    absl::string_view url;
    absl::string_view masked;
  } cases[] = {
      {"postgresql://app:s3cr3t@db/orders", "postgresql://app:***@db/orders"},
      {"postgresql://:s3cr3t@db", "postgresql://:***@db"},
      {"postgresql://db/orders?password=s3cr3t&sslpassword=s3cr3t&sslmode=require",
       "postgresql://:***@db/orders?sslpassword=***&sslmode=require"},
      {"sqlite:///app.db?password=s3cr3t", "sqlite:///app.db?password=***"},
      {"mariadb://app:s3cr3t@db:3306/shop?charset=utf8mb4",
       "mysql://app:***@db:3306/shop?charset=utf8mb4"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(c.url);
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->ToString(), c.masked);
  }
}

TEST(DatabaseUrlTest, ToStringEncodesWhatNeedsIt) {
  const struct {
    absl::string_view url;
    absl::string_view canonical;
  } cases[] = {
      {"sqlite:///relative/path.db", "sqlite:///relative/path.db"},
      {"sqlite:////absolute/path.db", "sqlite:////absolute/path.db"},
      {"sqlite:///:memory:?mode=ro", "sqlite:///:memory:?mode=ro"},
      {"sqlite:///my data%3F%23.db", "sqlite:///my%20data%3F%23.db"},
      {"postgres://db", "postgresql://db"},
      {"postgresql:///orders?host=/run/postgresql", "postgresql://%2Frun%2Fpostgresql/orders"},
      {"postgresql://[::1]:5433/orders", "postgresql://[::1]:5433/orders"},
      {"postgresql://a%40corp@db/orders?options=-c%20search_path%3Dapp",
       "postgresql://a%40corp@db/orders?options=-c%20search_path%3Dapp"},
      {"postgresql://db?application_name=a+b&x=%26",
       "postgresql://db?application_name=a%2Bb&x=%26"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(c.url);
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->ToString(), c.canonical);
  }
}

TEST(DatabaseUrlTest, PercentDecodesEveryPart) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(
      "postgresql://a%40corp:p%40ss%2Fw%3Frd+1@%64b.internal/my%2Fdb"
      "?application_name=a+b%20c&opt%69ons=%2Dc");
  ASSERT_TRUE(url.ok()) << url.status();
  ExpectFields(*url, {.scheme = "postgresql",
                      .user = "a@corp",
                      .password = "p@ss/w?rd+1",
                      .host = "db.internal",
                      .database = "my/db",
                      .options = {{"application_name", "a+b c"}, {"options", "-c"}}});
}

TEST(DatabaseUrlTest, RoundTripsGoodUrlsWithoutPassword) {
  for (const GoodUrl& good : GoodUrls()) {
    if (!good.expected.password.empty()) continue;
    SCOPED_TRACE(good.url);
    absl::StatusOr<DatabaseUrl> again = DatabaseUrl::Parse(good.expected.ToString());
    ASSERT_TRUE(again.ok()) << again.status();
    ExpectFields(*again, good.expected);
  }
}

TEST(DatabaseUrlTest, RoundTripsAwkwardCharacters) {
  constexpr absl::string_view kAwkward = "a b:c@d/e?f#g%h&i=j+k,l[m]n'o\\p\xc3\xa9";
  const DatabaseUrl urls[] = {
      {.scheme = "sqlite",
       .database = std::string(kAwkward),
       .options = {{std::string(kAwkward), std::string(kAwkward)}}},
      {.scheme = "sqlite", .database = std::string("/") + std::string(kAwkward)},
      {.scheme = "postgresql",
       .user = std::string(kAwkward),
       .host = std::string(kAwkward),
       .port = 5432,
       .database = std::string(kAwkward),
       .options = {{"application_name", std::string(kAwkward)}}},
      {.scheme = "postgresql", .host = "h,o/s?t@x"},
  };
  for (const DatabaseUrl& url : urls) {
    SCOPED_TRACE(url.ToString());
    absl::StatusOr<DatabaseUrl> again = DatabaseUrl::Parse(url.ToString());
    ASSERT_TRUE(again.ok()) << again.status();
    ExpectFields(*again, url);
  }
}

TEST(DatabaseUrlTest, OptionLooksUpDecodedNames) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse("sqlite:///app.db?m%6Fde=ro&cache=");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->Option("mode"), "ro");
  EXPECT_EQ(url->Option("cache"), "");
  EXPECT_EQ(url->Option("busy_timeout_ms"), std::nullopt);
}

TEST(DatabaseUrlTest, InMemoryIsSqliteOnly) {
  const struct {
    absl::string_view url;
    bool in_memory;
  } cases[] = {
      {"sqlite:///:memory:", true},         {"sqlite:///%3Amemory%3A", true},
      {"sqlite:///:memory:?mode=ro", true}, {"sqlite:///memory.db", false},
      {"sqlite:///./:memory:", false},      {"postgresql:///:memory:", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(c.url);
    ASSERT_TRUE(url.ok()) << url.status();
    EXPECT_EQ(url->in_memory(), c.in_memory);
  }
}

class FromEnvironmentTest : public testing::Test {
 protected:
  static constexpr char kVariable[] = "DUO_DATABASE_URL";

  void SetUp() override {
    if (const char* value = std::getenv(kVariable); value != nullptr) saved_ = value;
  }
  void TearDown() override {
    if (saved_.has_value()) {
      setenv(kVariable, saved_->c_str(), /*overwrite=*/1);
    } else {
      unsetenv(kVariable);
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(FromEnvironmentTest, UnsetIsNotFound) {
  unsetenv(kVariable);
  EXPECT_EQ(DatabaseUrl::FromEnvironment().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FromEnvironmentTest, EmptyIsNotFound) {
  setenv(kVariable, "", /*overwrite=*/1);
  EXPECT_EQ(DatabaseUrl::FromEnvironment().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FromEnvironmentTest, ParsesTheVariable) {
  setenv(kVariable, "sqlite:///:memory:", /*overwrite=*/1);
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::FromEnvironment();
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->in_memory());
}

TEST_F(FromEnvironmentTest, MalformedIsInvalidArgument) {
  setenv(kVariable, "oracle://app@db/orders", /*overwrite=*/1);
  EXPECT_EQ(DatabaseUrl::FromEnvironment().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace duo::engine
