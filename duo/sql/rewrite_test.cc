#include "duo/sql/rewrite.h"

#include "absl/status/status.h"
#include "duo/sql/select.h"
#include "duo/sql/table.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo::sql {
namespace {

using ::testing::HasSubstr;

TEST(RequalifyTest, MovesTheNamedTableOntoTheAliasAndSharesWhatItDoesNotChange) {
  Table employees("employees");
  Table teams("teams");
  const Expr condition =
      employees.Col<int64_t>("level") > 2 && teams.Col<std::string>("name") == "x";
  absl::StatusOr<Expr> moved = Requalify(condition, "employees", "duo_rel_reports");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->DebugString(), "(and (> duo_rel_reports.level $2) (= teams.name $'x'))");
  EXPECT_EQ(condition.DebugString(), "(and (> employees.level $2) (= teams.name $'x'))");

  const Expr untouched = teams.Col<std::string>("name") == "x";
  absl::StatusOr<Expr> same = Requalify(untouched, "employees", "duo_rel_reports");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->node_ptr(), untouched.node_ptr());
}

TEST(RequalifyTest, FollowsCorrelatedSubqueriesUnlessTheyBindTheNameThemselves) {
  Table employees("employees");
  Table badges("badges");
  // Correlated: badges.owner = employees.id refers to the outer row.
  const Expr correlated =
      Exists(Select({badges.C("id")})
                 .From(badges)
                 .Where(badges.Col<int64_t>("owner") == employees.Col<int64_t>("id")));
  absl::StatusOr<Expr> moved = Requalify(correlated, "employees", "e2");
  ASSERT_TRUE(moved.ok());
  ASSERT_NE(moved->node().subquery, nullptr);
  EXPECT_EQ(moved->node().subquery->where[0].DebugString(), "(= badges.owner e2.id)");

  // A subquery over employees itself: its references mean its own rows.
  const Expr shadowed = Exists(
      Select({employees.C("id")}).From(employees).Where(employees.Col<int64_t>("level") > 1));
  absl::StatusOr<Expr> kept = Requalify(shadowed, "employees", "e2");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->node_ptr(), shadowed.node_ptr());
}

TEST(RequalifyTest, RefusesRawTextNamingTheTable) {
  absl::StatusOr<Expr> refused = Requalify(Text("EMPLOYEES.level > 1"), "employees", "e2");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("\"employees\""));
  // Another word that merely contains the name is not the table.
  EXPECT_TRUE(Requalify(Text("employees_archive.level > 1"), "employees", "e2").ok());
  EXPECT_TRUE(Requalify(Text("level > 1"), "employees", "e2").ok());
}

}  // namespace
}  // namespace duo::sql
