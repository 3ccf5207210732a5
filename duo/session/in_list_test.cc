// IR statements with IN lists of 100,000 and 200,000 values through
// duo::Database on SQLite and PostgreSQL. Apart from database_test because it
// is slow: 200,000 expression nodes are built, hashed and compiled per
// statement (seconds at -O0, more under sanitizers).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/engine/error.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo {
namespace {

using sql::Insert;
using sql::Select;
using sql::Table;
using sql::Text;

class InListTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    absl::StatusOr<Database> db = Database::Open(database().url());
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
  }

  bool Script(const std::string& sql) {
    absl::StatusOr<Result> result = db_->Execute(Text(sql));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok();
  }

  bool is_postgres() const { return backend() == testing::Backend::kPostgres; }

  std::optional<Database> db_;
};

// An IN list of any length works on both databases (PostgreSQL would refuse
// more than 65,535 parameters: a long list is one array parameter there),
// with IN's answers, NOT IN and NULLs included, checked against the rows
// filtered in C++.
TEST_P(InListTest, InListsOfAHundredThousandValuesAndMore) {
  ASSERT_TRUE(
      Script("CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, "
             "score DOUBLE PRECISION)"));
  struct Item {
    int64_t id;
    std::string name;
    std::optional<double> score;
  };
  std::vector<Item> items;
  std::vector<std::vector<sql::Value>> rows;
  for (int64_t i = 0; i < 3000; ++i) {
    items.push_back({i * 7, absl::StrCat("item", i * 7),
                     i % 5 == 0 ? std::nullopt : std::optional<double>(i * 0.5)});
    rows.push_back({items.back().id, items.back().name,
                    items.back().score ? sql::Value(*items.back().score) : sql::Value()});
  }
  const Table table("items");
  DUO_ASSERT_OK(
      db_->ExecuteMany(Insert(table).Values({{"id", 0}, {"name", ""}, {"score", 0.0}}), rows)
          .status());
  const auto id = table.Col<int64_t>("id");
  const auto name = table.Col<std::string>("name");
  const auto score = table.Col<double>("score");
  // The ids of the rows `statement` returns, sorted.
  const auto ids_of = [&](const sql::Select& statement) {
    std::vector<int64_t> ids;
    absl::StatusOr<Result> result = db_->Execute(statement);
    EXPECT_TRUE(result.ok()) << ErrorString(result.status());
    if (!result.ok()) return ids;
    for (size_t r = 0; r < result->size(); ++r) ids.push_back(*result->Get<int64_t>(r, 0));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const auto expected = [&](auto keep) {
    std::vector<int64_t> ids;
    for (const Item& item : items) {
      if (keep(item)) ids.push_back(item.id);
    }
    return ids;
  };
  for (const size_t n : {size_t{100000}, size_t{200000}}) {
    SCOPED_TRACE(n);
    // Every third number: some ids match, most of the list does not.
    std::vector<int64_t> wanted_ids;
    std::vector<std::string> wanted_names;
    std::vector<double> wanted_scores;
    for (size_t k = 0; k < n; ++k) {
      wanted_ids.push_back(static_cast<int64_t>(k) * 3);
      wanted_names.push_back(absl::StrCat("item", k * 3));
      wanted_scores.push_back(static_cast<double>(k) * 1.5);
    }
    const std::set<double> score_set(wanted_scores.begin(), wanted_scores.end());
    const auto in_ids = [&](const Item& item) {
      return item.id % 3 == 0 && item.id / 3 < static_cast<int64_t>(n);
    };
    const sql::Select base = Select({id}).From(table);
    EXPECT_EQ(ids_of(sql::Select(base).Where(id.In(wanted_ids))), expected(in_ids));
    EXPECT_EQ(ids_of(sql::Select(base).Where(id.NotIn(wanted_ids))),
              expected([&](const Item& item) { return !in_ids(item); }));
    // Every kind of list once, at the smaller size (a sanitizer run is slow).
    if (n > 100000) continue;
    EXPECT_EQ(ids_of(sql::Select(base).Where(name.In(wanted_names))), expected(in_ids));
    EXPECT_EQ(
        ids_of(sql::Select(base).Where(score.In(wanted_scores))),
        expected([&](const Item& item) { return item.score && score_set.count(*item.score) > 0; }));
    // NOT IN over NULL scores is unknown: those rows are not returned.
    EXPECT_EQ(ids_of(sql::Select(base).Where(score.NotIn(wanted_scores))),
              expected([&](const Item& item) {
                return item.score && score_set.count(*item.score) == 0;
              }));
    // A NULL in the list makes NOT IN unknown for every row, as in SQL.
    std::vector<std::optional<int64_t>> with_null(wanted_ids.begin(), wanted_ids.end());
    with_null.push_back(std::nullopt);
    EXPECT_EQ(ids_of(sql::Select(base).Where(sql::In(id, with_null))), expected(in_ids));
    EXPECT_THAT(ids_of(sql::Select(base).Where(sql::NotIn(id, with_null))), ::testing::IsEmpty());
  }
}

// One array has one element type: a long list mixing kinds of values is
// refused on PostgreSQL, naming them, rather than compared some other way.
TEST_P(InListTest, ALongListMixingKindsOfValuesIsAClearError) {
  std::vector<sql::Expr> values;
  for (int i = 0; i < 2000; ++i) values.push_back(sql::Param(i));
  values.push_back(sql::Param("x"));
  const absl::StatusOr<Result> result =
      db_->Execute(Select({sql::Param(1).Label("one")}).Where(sql::In(sql::Param(5), values)));
  if (!is_postgres()) {
    ASSERT_TRUE(result.ok()) << ErrorString(result.status());
    EXPECT_EQ(result->size(), 1u);
    return;
  }
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), ::testing::HasSubstr("one kind"));
  EXPECT_THAT(std::string(result.status().message()), ::testing::HasSubstr("'x'"));
  EXPECT_LT(result.status().message().size(), 1500u);
}

// Not on MariaDB: a statement binds at most 65,535 values there, and the
// MySQL dialect has no array parameter yet to bind a longer list as one
// value (JSON_TABLE over a JSON array would be it); such a list is the
// server's error 1390 (kProgramming) today.
INSTANTIATE_TEST_SUITE_P(Backends, InListTest,
                         ::testing::ValuesIn(testing::SelectedBackends(
                             {testing::Backend::kSqlite, testing::Backend::kPostgres,
                              testing::Backend::kPgBouncer})),
                         testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(InListTest);

}  // namespace
}  // namespace duo
