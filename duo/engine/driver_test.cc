// A database added to the engine by its packages alone: a URL scheme and a
// driver registered here, as duo/engine/<db> registers them, and nothing
// else in the engine told about it. The test links no driver of its own
// (//duo/engine/sqlite:driver is not a dependency), which shows the error a
// program gets for a scheme whose driver it lacks.

#include "duo/engine/driver.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/engine/url.h"
#include "duo/engine/url_scheme.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo::engine {
namespace {

using ::testing::HasSubstr;

const UrlSchemeRegistrar kExampleScheme({
    .names = {"exampledb", "example"},
    .form = UrlScheme::Form::kServer,
    .driver_target = "//example/engine:driver",
});

// What the driver was last given.
struct Seen {
  DatabaseUrl url;
  ConnectOptions options;
};
Seen& LastSeen() {
  static Seen* const seen = new Seen();
  return *seen;
}

class ExampleConnector final : public Connector {
 public:
  // Any dialect will do: the engine only hands it on.
  const dialect::Dialect& dialect() const override { return dialect::SqliteDialect(); }
  absl::StatusOr<std::unique_ptr<Connection>> Connect() override {
    return absl::UnavailableError("exampledb: no server here");
  }
  int max_connections() const override { return 3; }
};

absl::StatusOr<std::unique_ptr<Connector>> OpenExample(DatabaseUrl url,
                                                       const ConnectOptions& options) {
  for (const auto& [key, value] : url.options) {
    if (key != "charset") {
      return absl::InvalidArgumentError(absl::StrCat("unknown exampledb URL option \"", key, "\""));
    }
  }
  LastSeen() = {std::move(url), options};
  return std::make_unique<ExampleConnector>();
}

const DriverRegistrar kExampleDriver("exampledb", &OpenExample);

TEST(DriverRegistryTest, ANewSchemeParsesAndMasksLikeTheOthers) {
  absl::StatusOr<DatabaseUrl> url =
      DatabaseUrl::Parse("example://app:s3cr3t@db.internal:3306/shop?charset=utf8mb4");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "exampledb");
  EXPECT_EQ(url->user, "app");
  EXPECT_EQ(url->password, "s3cr3t");
  EXPECT_EQ(url->host, "db.internal");
  EXPECT_EQ(url->port, 3306);
  EXPECT_EQ(url->database, "shop");
  EXPECT_EQ(url->Option("charset"), "utf8mb4");
  EXPECT_EQ(url->ToString(), "exampledb://app:***@db.internal:3306/shop?charset=utf8mb4");
  EXPECT_FALSE(url->in_memory());

  absl::StatusOr<DatabaseUrl> bad = DatabaseUrl::Parse("exampledb://app:s3cr3t@db:99999/shop");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("invalid port"));
  EXPECT_THAT(bad.status().message(), ::testing::Not(HasSubstr("s3cr3t")));
}

TEST(DriverRegistryTest, TheDriverGetsTheUrlAndTheSettings) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse("exampledb://db.internal/shop?charset=x");
  ASSERT_TRUE(url.ok()) << url.status();
  absl::StatusOr<std::unique_ptr<Connector>> connector =
      OpenConnector(*url, {.application_name = "reports"});
  ASSERT_TRUE(connector.ok()) << connector.status();
  EXPECT_EQ(LastSeen().url.database, "shop");
  EXPECT_EQ(LastSeen().url.Option("charset"), "x");
  EXPECT_EQ(LastSeen().options.application_name, "reports");
  EXPECT_EQ((*connector)->dialect().name(), "sqlite");
  EXPECT_EQ((*connector)->max_connections(), 3);
  EXPECT_EQ((*connector)->Connect().status().code(), absl::StatusCode::kUnavailable);
}

TEST(DriverRegistryTest, TheDriverRefusesOptionsItDoesNotKnow) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse("exampledb://db/shop?compress=1");
  ASSERT_TRUE(url.ok()) << url.status();
  absl::StatusOr<std::unique_ptr<Connector>> connector = OpenConnector(*url, {});
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(connector.status().message(), HasSubstr("\"compress\""));
}

// sqlite:// parses in every program (//duo/engine:url knows the schemes of
// every database DuoORM ships), but this one links no SQLite driver.
TEST(DriverRegistryTest, ASchemeWhoseDriverIsNotLinkedNamesTheTargetToAdd) {
  absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse("sqlite:///app.db");
  ASSERT_TRUE(url.ok()) << url.status();
  absl::StatusOr<std::unique_ptr<Connector>> connector = OpenConnector(*url, {});
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(connector.status().message(),
            "no driver for sqlite:// URLs is linked into this program (it has drivers for "
            "exampledb): add //duo/engine/sqlite:driver to its deps, or //duo/session:database, "
            "which links every driver DuoORM ships");
}

}  // namespace
}  // namespace duo::engine
