// The registry of duo-migrate's per-database implementations: a program
// without a database's package says which dialect it lacks, and a package
// that registers one is all a database needs (this test links neither
// //migrate/sqlite nor //migrate/postgres).

#include "migrate/impl.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "migrate/diff.h"
#include "migrate/plan.h"
#include "migrate/types.h"

namespace duo::migrate {
namespace {

using ::testing::HasSubstr;

// Plans one step whatever the difference.
class ExampleImpl final : public MigrateImpl {
 public:
  absl::StatusOr<LiveSchema> Introspect(Session&, const IntrospectOptions&) const override {
    return LiveSchema();
  }
  absl::StatusOr<std::vector<sql::TableDef>> ModelSchema(
      const Database&, const std::vector<const ModelMeta*>&) const override {
    return std::vector<sql::TableDef>();
  }
  absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff&,
                                     const LiveSchema&) const override {
    Plan plan;
    plan.steps.push_back({.description = std::string(dialect.name()), .up = {"SELECT 1"}});
    return plan;
  }
  absl::StatusOr<bool> TableExists(Session&, absl::string_view) const override { return false; }
  absl::StatusOr<std::unique_ptr<RunLock>> LockRun(Session&) const override {
    return std::make_unique<RunLock>();
  }
  std::vector<std::string> ScriptStart() const override { return {"-- example"}; }
};

const ExampleImpl* const kExample = new ExampleImpl();
const ImplRegistrar kExampleRegistration(dialect::PostgresDialect().name(), kExample);

TEST(ImplRegistryTest, PlansGoToTheRegisteredImplementation) {
  absl::StatusOr<const MigrateImpl*> impl = ImplFor(dialect::PostgresDialect());
  ASSERT_TRUE(impl.ok()) << impl.status();
  EXPECT_EQ(*impl, kExample);
  absl::StatusOr<Plan> plan = PlanMigration(dialect::PostgresDialect(), SchemaDiff(), LiveSchema());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->Up(), std::vector<std::string>{"SELECT 1"});
  EXPECT_EQ(plan->steps[0].description, "postgresql");
}

TEST(ImplRegistryTest, AMissingImplementationNamesTheDialect) {
  absl::StatusOr<Plan> plan = PlanMigration(dialect::SqliteDialect(), SchemaDiff(), LiveSchema());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("duo-migrate has no implementation for the sqlite dialect linked into "
                        "this program (it has postgresql)"));
  EXPECT_THAT(plan.status().message(), HasSubstr("duo_migrate_binary"));
}

}  // namespace
}  // namespace duo::migrate
