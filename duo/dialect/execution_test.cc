// The IR end to end: statements compiled for each dialect and run on real
// SQLite and PostgreSQL databases, checking the rows that come back. The
// same test body runs on both backends.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "duo/dialect/internal/test_executor.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo::dialect {
namespace {

using ::duo::dialect_internal::Rows;
using ::duo::dialect_internal::TestExecutor;
using ::duo::sql::Case;
using ::duo::sql::Cast;
using ::duo::sql::Coalesce;
using ::duo::sql::Cte;
using ::duo::sql::Delete;
using ::duo::sql::Excluded;
using ::duo::sql::Exists;
using ::duo::sql::Expr;
using ::duo::sql::FrameBound;
using ::duo::sql::Insert;
using ::duo::sql::Param;
using ::duo::sql::Select;
using ::duo::sql::Table;
using ::duo::sql::Text;
using ::duo::sql::Update;
using ::duo::sql::Window;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Row = std::vector<std::string>;
namespace func = ::duo::func;

class ExecutionTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<TestExecutor>> executor = TestExecutor::Open(database());
    ASSERT_TRUE(executor.ok()) << executor.status();
    db_ = *std::move(executor);
    ASSERT_TRUE(db_->Exec(R"sql(
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, region TEXT);
        CREATE TABLE orders (
          id INTEGER PRIMARY KEY,
          customer_id INTEGER NOT NULL REFERENCES customers (id),
          status TEXT NOT NULL,
          total_amount DOUBLE PRECISION NOT NULL,
          note TEXT);
        INSERT INTO customers VALUES (1, 'Ada', 'north'), (2, 'Brian', 'south'),
                                     (3, 'Chloé', NULL);
        INSERT INTO orders VALUES
          (1, 1, 'completed', 9000, NULL),
          (2, 1, 'completed', 4000, 'gift'),
          (3, 2, 'pending', 250, NULL),
          (4, 2, 'completed', 750, NULL),
          (5, 3, 'cancelled', 12000, 'refund'),
          (6, 1, 'pending', 100, NULL);
    )sql")
                    .ok());
  }

  Rows Run(const sql::Statement& statement) {
    absl::StatusOr<Rows> rows = db_->Query(statement);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : Rows{};
  }

  Rows RunRaw(const std::string& sql) {
    absl::StatusOr<Rows> rows = db_->QueryRaw(sql);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : Rows{};
  }

  std::string Sql(const sql::Statement& statement) {
    absl::StatusOr<CompiledStatement> compiled = db_->dialect().Compile(statement);
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    return compiled.ok() ? compiled->sql : "";
  }

  bool is_postgres() const { return backend() == duo::testing::Backend::kPostgres; }

  Table customers_{"customers"};
  Table orders_{"orders"};
  std::unique_ptr<TestExecutor> db_;
};

TEST_P(ExecutionTest, SeedExampleGroupsHavingWithAForeignHint) {
  // The seed's flow: a builder-style query on orders, extended with GROUP
  // BY / HAVING and a MySQL index hint that other databases must not see,
  // and MySQL's (MariaDB here) runs with, on the index it names.
  const bool hinted = db_->dialect().EmitsHintsFor("mysql");
  if (hinted) {
    ASSERT_TRUE(db_->Exec("CREATE INDEX order_customer_idx ON orders (customer_id)").ok());
  }
  const auto status = orders_.Col<std::string>("status");
  const auto total = orders_.Col<double>("total_amount");
  const Expr customer = orders_.C("customer_id");
  const Select stmt = Select({customer, func::Sum(total).Label("revenue")})
                          .From(orders_)
                          .Where(status != "pending")
                          .GroupBy(customer)
                          .Having(func::Sum(total) > 10'000)
                          .OrderBy(customer.Desc())
                          .Limit(100)
                          .WithHint(orders_, "USE INDEX (order_customer_idx)", "mysql");

  if (hinted) {
    EXPECT_THAT(Sql(stmt), HasSubstr("FROM `orders` USE INDEX (order_customer_idx) WHERE"));
  } else {
    EXPECT_THAT(Sql(stmt), ::testing::Not(HasSubstr("INDEX")));
  }
  EXPECT_THAT(Run(stmt), ElementsAre(Row{"3", "12000"}, Row{"1", "13000"}));
}

TEST_P(ExecutionTest, RecursiveCteWalksATree) {
  ASSERT_TRUE(db_->Exec(R"sql(
      CREATE TABLE nodes (id INTEGER PRIMARY KEY, parent_id INTEGER, name TEXT NOT NULL);
      INSERT INTO nodes VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'a1'),
                               (5, 4, 'a1x'), (6, NULL, 'other-root');
  )sql")
                  .ok());
  Table nodes("nodes");
  Cte tree = Cte::Recursive("tree", {"id", "name", "depth"});
  tree = tree.As(Select({nodes.C("id"), nodes.C("name"), Param(0)})
                     .From(nodes)
                     .Where(nodes.C("id") == 1)
                     .UnionAll(Select({nodes.C("id"), nodes.C("name"), tree.C("depth") + 1})
                                   .From(nodes)
                                   .Join(tree, nodes.C("parent_id") == tree.C("id"))));
  const Select walk = Select({tree.C("name"), tree.C("depth")})
                          .With(tree)
                          .From(tree)
                          .OrderBy(tree.C("depth"), tree.C("name"));

  EXPECT_THAT(Run(walk), ElementsAre(Row{"root", "0"}, Row{"a", "1"}, Row{"b", "1"}, Row{"a1", "2"},
                                     Row{"a1x", "3"}));
}

TEST_P(ExecutionTest, SeveralCtesReferToEachOther) {
  const Cte completed("completed", Select({orders_.C("customer_id"), orders_.C("total_amount")})
                                       .From(orders_)
                                       .Where(orders_.C("status") == "completed"));
  const Cte per_customer(
      "per_customer",
      Select({completed.C("customer_id"), func::Sum(completed.C("total_amount")).Label("total")})
          .From(completed)
          .GroupBy(completed.C("customer_id")));
  const Select top = Select({customers_.C("name"), per_customer.C("total")})
                         .With(completed)
                         .With(per_customer)
                         .From(per_customer)
                         .Join(customers_, customers_.C("id") == per_customer.C("customer_id"))
                         .OrderBy(per_customer.C("total").Desc());

  EXPECT_THAT(Run(top), ElementsAre(Row{"Ada", "13000"}, Row{"Brian", "750"}));
}

TEST_P(ExecutionTest, WindowFunctionsComputeRunningTotalsAndRanks) {
  const Expr id = orders_.C("id");
  const Expr customer = orders_.C("customer_id");
  const Expr total = orders_.C("total_amount");
  const Select stmt =
      Select({id,
              func::Sum(total)
                  .Over(Window().PartitionBy(customer).OrderBy(id).Rows(
                      FrameBound::UnboundedPreceding(), FrameBound::CurrentRow()))
                  .Label("running"),
              func::RowNumber().Over(Window().PartitionBy(customer).OrderBy(id)).Label("n"),
              func::Rank().Over(Window().OrderBy(total.Desc())).Label("rank"),
              func::DenseRank().Over(Window().OrderBy(customer)).Label("dense"),
              func::Lag(total).Over(Window().PartitionBy(customer).OrderBy(id)).Label("prev"),
              func::Lead(id, 1).Over(Window().OrderBy(id)).Label("next"),
              func::FirstValue(total).Over(Window().PartitionBy(customer).OrderBy(id))})
          .From(orders_)
          .OrderBy(id);

  EXPECT_THAT(Run(stmt), ElementsAre(Row{"1", "9000", "1", "2", "1", "NULL", "2", "9000"},
                                     Row{"2", "13000", "2", "3", "1", "9000", "3", "9000"},
                                     Row{"3", "250", "1", "5", "2", "NULL", "4", "250"},
                                     Row{"4", "1000", "2", "4", "2", "250", "5", "250"},
                                     Row{"5", "12000", "1", "1", "3", "NULL", "6", "12000"},
                                     Row{"6", "13100", "3", "6", "1", "4000", "NULL", "9000"}));
}

TEST_P(ExecutionTest, RangeFrameAveragesPeers) {
  const Expr total = orders_.C("total_amount");
  const Select stmt =
      Select({orders_.C("id"), func::Avg(total).Over(Window()
                                                         .OrderBy(orders_.C("customer_id"))
                                                         .Range(FrameBound::UnboundedPreceding(),
                                                                FrameBound::CurrentRow()))})
          .From(orders_)
          .Where(orders_.C("customer_id") != 3)
          .OrderBy(orders_.C("id"));
  // Peers (same customer) share one frame under RANGE.
  EXPECT_THAT(Run(stmt), ElementsAre(Row{"1", "4366.67"}, Row{"2", "4366.67"}, Row{"3", "2820"},
                                     Row{"4", "2820"}, Row{"6", "4366.67"}));
}

TEST_P(ExecutionTest, AggregateFilterAndDistinct) {
  // aggregate FILTER: compiler_test has its Unimplemented error.
  if (!(db_->dialect().SupportsAggregateFilter()))
    GTEST_SKIP() << db_->dialect().name() << " has no aggregate FILTER";
  const Expr status = orders_.C("status");
  const Select stmt = Select({func::Count(), func::Count(orders_.C("customer_id")).Distinct(),
                              func::Sum(orders_.C("total_amount")).Filter(status == "completed")})
                          .From(orders_);
  EXPECT_THAT(Run(stmt), ElementsAre(Row{"6", "3", "13750"}));

  const Select statuses = Select({status}).Distinct().From(orders_).OrderBy(status);
  EXPECT_THAT(Run(statuses), ElementsAre(Row{"cancelled"}, Row{"completed"}, Row{"pending"}));
}

TEST_P(ExecutionTest, UpsertDoNothingAndDoUpdate) {
  // VARCHAR: InnoDB cannot key a whole TEXT column.
  ASSERT_TRUE(db_->Exec("CREATE TABLE counters (name VARCHAR(255) PRIMARY KEY, hits INTEGER NOT "
                        "NULL, locked INTEGER NOT NULL DEFAULT 0)")
                  .ok());
  Table counters("counters");
  const auto hit = [&](const std::string& name, int n) {
    return Insert(counters)
        .Values({{"name", name}, {"hits", n}})
        .OnConflict({"name"})
        .DoUpdate({{"hits", counters.C("hits") + Excluded("hits")}}, counters.C("locked") == 0);
  };
  // MySQL has no DO UPDATE ... WHERE: compiler_test has its Unimplemented
  // error, and its ON DUPLICATE KEY UPDATE runs in the ORM's suites.
  const absl::StatusOr<CompiledStatement> upsert = db_->dialect().Compile(hit("home", 1));
  if (!upsert.ok()) GTEST_SKIP() << upsert.status();
  Run(hit("home", 1));
  Run(hit("home", 2));
  Run(hit("about", 5));
  Run(Insert(counters).Values({{"name", "home"}, {"hits", 100}}).OnConflict({"name"}).DoNothing());
  ASSERT_TRUE(db_->Exec("UPDATE counters SET locked = 1 WHERE name = 'about'").ok());
  Run(hit("about", 5));  // the WHERE of DO UPDATE keeps the locked row

  EXPECT_THAT(RunRaw("SELECT name, hits FROM counters ORDER BY name"),
              ElementsAre(Row{"about", "5"}, Row{"home", "3"}));

  // INSERT ... SELECT with an upsert (SQLite needs its WHERE to parse).
  Run(Insert(counters)
          .FromSelect({"name", "hits"},
                      Select({customers_.C("name"), customers_.C("id")}).From(customers_))
          .OnConflict({"name"})
          .DoNothing());
  EXPECT_THAT(RunRaw("SELECT count(*) FROM counters"), ElementsAre(Row{"5"}));
}

TEST_P(ExecutionTest, ReturningFromInsertUpdateDelete) {
  // UPDATE ... RETURNING: compiler_test has its Unimplemented error.
  if (!(db_->dialect().SupportsReturning(StatementKind::kUpdate)))
    GTEST_SKIP() << db_->dialect().name() << " has no UPDATE ... RETURNING";
  const Insert insert = Insert(customers_)
                            .Columns({"id", "name", "region"})
                            .Row(10, "Dora", "east")
                            .Row(11, "Emil", std::optional<std::string>())
                            .Returning({customers_.C("id"), customers_.C("region")});
  EXPECT_THAT(Run(insert), ElementsAre(Row{"10", "east"}, Row{"11", "NULL"}));

  const Update update = Update(customers_)
                            .Set("region", "west")
                            .Where(customers_.C("region") == std::nullopt)
                            .Returning({customers_.C("name")});
  EXPECT_THAT(Run(update), UnorderedElementsAre(Row{"Chloé"}, Row{"Emil"}));

  const Delete del = Delete(customers_)
                         .Where(customers_.C("id") >= 10)
                         .Returning({customers_.C("id"), customers_.C("name")});
  EXPECT_THAT(Run(del), UnorderedElementsAre(Row{"10", "Dora"}, Row{"11", "Emil"}));
  EXPECT_THAT(RunRaw("SELECT count(*) FROM customers"), ElementsAre(Row{"3"}));
}

TEST_P(ExecutionTest, UpdateFromAnotherTable) {
  // UPDATE ... FROM: compiler_test has its Unimplemented error.
  if (!(db_->dialect().SupportsUpdateFrom()))
    GTEST_SKIP() << db_->dialect().name() << " has no UPDATE ... FROM";
  ASSERT_TRUE(db_->Exec("ALTER TABLE customers ADD COLUMN spent DOUBLE PRECISION").ok());
  const Select spent = Select({orders_.C("customer_id").Label("customer_id"),
                               func::Sum(orders_.C("total_amount")).Label("total")})
                           .From(orders_)
                           .GroupBy(orders_.C("customer_id"));
  const auto totals = spent.Subquery("totals");
  Run(Update(customers_)
          .Set("spent", totals.C("total"))
          .From(totals)
          .Where(customers_.C("id") == totals.C("customer_id")));
  EXPECT_THAT(RunRaw("SELECT id, spent FROM customers ORDER BY id"),
              ElementsAre(Row{"1", "13100"}, Row{"2", "1000"}, Row{"3", "12000"}));
}

TEST_P(ExecutionTest, SetOperations) {
  const auto region = [&](const std::string& r) {
    return Select({customers_.C("name")}).From(customers_).Where(customers_.C("region") == r);
  };
  const Select big = Select({customers_.C("name")})
                         .From(customers_)
                         .Join(orders_, orders_.C("customer_id") == customers_.C("id"))
                         .Where(orders_.C("total_amount") > 5000);

  EXPECT_THAT(Run(region("north").Union(region("south")).OrderBy(customers_.C("name"))),
              ElementsAre(Row{"Ada"}, Row{"Brian"}));
  EXPECT_THAT(Run(region("north").UnionAll(big).OrderBy(customers_.C("name").Desc())),
              ElementsAre(Row{"Chloé"}, Row{"Ada"}, Row{"Ada"}));
  EXPECT_THAT(Run(big.Intersect(region("north"))), ElementsAre(Row{"Ada"}));
  EXPECT_THAT(Run(big.Except(region("north"))), ElementsAre(Row{"Chloé"}));
  // A member with its own ORDER BY and LIMIT keeps them.
  const Select cheapest =
      Select({orders_.C("status")}).From(orders_).OrderBy(orders_.C("total_amount")).Limit(1);
  EXPECT_THAT(Run(cheapest.UnionAll(cheapest)), ElementsAre(Row{"pending"}, Row{"pending"}));
}

TEST_P(ExecutionTest, CorrelatedSubqueries) {
  Table o = orders_.Alias("o");
  const Select latest_total = Select({o.C("total_amount")})
                                  .From(o)
                                  .Where(o.C("customer_id") == customers_.C("id"))
                                  .OrderBy(o.C("id").Desc())
                                  .Limit(1);
  const Select has_pending =
      Select({o.C("id")})
          .From(o)
          .Where(o.C("customer_id") == customers_.C("id") && o.C("status") == "pending");
  const Select stmt = Select({customers_.C("name"), latest_total.AsScalar().Label("latest")})
                          .From(customers_)
                          .Where(Exists(has_pending))
                          .OrderBy(customers_.C("name"));
  EXPECT_THAT(Run(stmt), ElementsAre(Row{"Ada", "100"}, Row{"Brian", "750"}));

  const Select in_subquery =
      Select({customers_.C("name")})
          .From(customers_)
          .Where(customers_.C("id").IsNotNull() &&
                 sql::In(customers_.C("id"),
                         Select({o.C("customer_id")}).From(o).Where(o.C("status") == "cancelled")));
  EXPECT_THAT(Run(in_subquery), ElementsAre(Row{"Chloé"}));
}

TEST_P(ExecutionTest, JoinsOfEveryKind) {
  // FULL JOIN: compiler_test has its Unimplemented error.
  if (!(db_->dialect().SupportsFullJoin()))
    GTEST_SKIP() << db_->dialect().name() << " has no FULL JOIN";
  ASSERT_TRUE(db_->Exec("INSERT INTO customers VALUES (4, 'Dan', 'east')").ok());
  const auto names = [&](Select s) {
    return Run(s.OrderBy(customers_.C("name"), orders_.C("id")));
  };
  const Select base = Select({customers_.C("name"), orders_.C("id")}).From(customers_);

  EXPECT_EQ(names(base.Join(orders_, orders_.C("customer_id") == customers_.C("id"))).size(), 6u);
  EXPECT_THAT(
      names(base.LeftJoin(orders_, (orders_.C("customer_id") == customers_.C("id")) &&
                                       (orders_.C("status") == "cancelled"))),
      ElementsAre(Row{"Ada", "NULL"}, Row{"Brian", "NULL"}, Row{"Chloé", "5"}, Row{"Dan", "NULL"}));
  EXPECT_EQ(names(base.RightJoin(orders_, orders_.C("customer_id") == customers_.C("id"))).size(),
            6u);
  EXPECT_EQ(names(base.FullJoin(orders_, orders_.C("customer_id") == customers_.C("id"))).size(),
            7u);
  EXPECT_EQ(names(base.CrossJoin(orders_)).size(), 24u);

  // A self-join through aliases.
  Table a = customers_.Alias("a");
  Table b = customers_.Alias("b");
  EXPECT_THAT(Run(Select({a.C("name"), b.C("name")})
                      .From(a)
                      .Join(b, a.C("id") + 1 == b.C("id"))
                      .OrderBy(a.C("id"))),
              ElementsAre(Row{"Ada", "Brian"}, Row{"Brian", "Chloé"}, Row{"Chloé", "Dan"}));
}

TEST_P(ExecutionTest, PatternsAndRegularExpressions) {
  const auto name = customers_.Col<std::string>("name");
  const auto matching = [&](Expr where) {
    return Run(Select({name}).From(customers_).Where(where).OrderBy(name));
  };
  EXPECT_THAT(matching(name.Like("A%")), ElementsAre(Row{"Ada"}));
  EXPECT_THAT(matching(name.Like("a%")), IsEmpty());  // LIKE is case-sensitive on both
  EXPECT_THAT(matching(name.ILike("a%")), ElementsAre(Row{"Ada"}));
  EXPECT_THAT(matching(name.NotILike("%A%")), ElementsAre(Row{"Chloé"}));
  EXPECT_THAT(matching(name.Like("%" + sql::EscapeLike("é"))), ElementsAre(Row{"Chloé"}));
  EXPECT_THAT(matching(name.Matches("^[AB]")), ElementsAre(Row{"Ada"}, Row{"Brian"}));
  EXPECT_THAT(matching(name.Matches("^b", /*case_insensitive=*/true)), ElementsAre(Row{"Brian"}));

  ASSERT_TRUE(db_->Exec("INSERT INTO customers VALUES (7, '100%_sure', NULL)").ok());
  EXPECT_THAT(matching(name.Like("%" + sql::EscapeLike("%_") + "%")),
              ElementsAre(Row{"100%_sure"}));
}

TEST_P(ExecutionTest, ConditionalsCastsAndRanges) {
  const auto total = orders_.Col<double>("total_amount");
  const Select stmt =
      Select({orders_.C("id"),
              Case().When(total >= 9000, "big").When(total >= 1000, "medium").Else("small"),
              Coalesce(orders_.C("note"), "-"), Cast<int64_t>(total)})
          .From(orders_)
          .Where(total.Between(200, 9500) && orders_.C("id").IsNotNull())
          .Where(sql::In(orders_.C("status"), {"completed", "pending"}))
          .OrderBy(orders_.C("id"));
  EXPECT_THAT(Run(stmt),
              ElementsAre(Row{"1", "big", "-", "9000"}, Row{"2", "medium", "gift", "4000"},
                          Row{"3", "small", "-", "250"}, Row{"4", "small", "-", "750"}));
}

TEST_P(ExecutionTest, SubqueryInFromWithPagination) {
  const auto per_customer = Select({orders_.C("customer_id"), func::Count().Label("orders")})
                                .From(orders_)
                                .GroupBy(orders_.C("customer_id"))
                                .Subquery("per_customer");
  const Select stmt = Select({customers_.C("name"), per_customer.C("orders")})
                          .From(customers_)
                          .Join(per_customer, per_customer.C("customer_id") == customers_.C("id"))
                          .OrderBy(per_customer.C("orders").Desc(), customers_.C("name"))
                          .Limit(2)
                          .Offset(1);
  EXPECT_THAT(Run(stmt), ElementsAre(Row{"Brian", "2"}, Row{"Chloé", "1"}));
  EXPECT_THAT(
      Run(Select({customers_.C("id")}).From(customers_).OrderBy(customers_.C("id")).Offset(2)),
      ElementsAre(Row{"3"}));
}

TEST_P(ExecutionTest, TextFragmentsBindNamedParameters) {
  const Text text = Text(
                        "SELECT name FROM customers WHERE id >= :low AND region = :region "
                        "AND name <> ':low' ORDER BY name")
                        .Bind("low", 2)
                        .Bind("region", "south");
  EXPECT_THAT(Run(text), ElementsAre(Row{"Brian"}));

  const Select mixed = Select({customers_.C("name")})
                           .From(customers_)
                           .Where(Text("length(name) = :n").Bind("n", 3))
                           .OrderBy(customers_.C("name"));
  EXPECT_THAT(Run(mixed), ElementsAre(Row{"Ada"}));
}

// What reads like a parameter inside a string, a quoted identifier or a
// comment reaches the server as written, and comes back unchanged.
TEST_P(ExecutionTest, TextLeavesLiteralsAndCommentsAsWritten) {
  // Binding a name that only a literal and a comment hold is a typo.
  const absl::StatusOr<Rows> typo = db_->Query(Text("SELECT ':a' AS v -- :a\n").Bind("a", 1));
  EXPECT_TRUE(absl::IsInvalidArgument(typo.status())) << typo.status();
  EXPECT_THAT(Run(Text("SELECT ':a' AS \":b\" /* :a */, :b AS w").Bind("b", 7)),
              ElementsAre(Row{":a", "7"}));
  if (is_postgres()) {
    EXPECT_THAT(Run(Text("SELECT $$ :a $$ AS v, $tag$ it's :a $$ $tag$ AS w, "
                         "E'it\\'s :a' AS x, :a AS y")
                        .Bind("a", 5)),
                ElementsAre(Row{" :a ", " it's :a $$ ", "it's :a", "5"}));
  }
}

TEST_P(ExecutionTest, ValuesThatLookLikeSqlAreOnlyData) {
  const std::string payload = "'; DROP TABLE orders; --";
  Run(Insert(orders_).Values({{"id", 99},
                              {"customer_id", 1},
                              {"status", payload},
                              {"total_amount", 1.0},
                              {"note", "\" OR 1=1 --"}}));
  EXPECT_THAT(Run(Select({orders_.C("id")}).From(orders_).Where(orders_.C("status") == payload)),
              ElementsAre(Row{"99"}));
  EXPECT_THAT(
      Run(Select({orders_.C("id")}).From(orders_).Where(orders_.C("note") == "x' OR '1'='1")),
      IsEmpty());
  EXPECT_THAT(RunRaw("SELECT count(*) FROM orders"), ElementsAre(Row{"7"}));
}

TEST_P(ExecutionTest, ReservedWordsAndMixedCaseIdentifiers) {
  ASSERT_TRUE(
      db_->Exec(R"sql(CREATE TABLE "order" ("group" TEXT, "MixedCase" INTEGER, "select" TEXT))sql")
          .ok());
  Table order("order");
  Run(Insert(order).Values({{"group", "g1"}, {"MixedCase", 1}, {"select", "s"}}));
  Run(Insert(order).Values({{"group", "g2"}, {"MixedCase", 2}, {"select", "t"}}));
  const Select stmt = Select({order.C("group"), order.C("select")})
                          .From(order)
                          .Where(order.C("MixedCase") > 1)
                          .OrderBy(order.C("group"));
  EXPECT_THAT(Run(stmt), ElementsAre(Row{"g2", "t"}));
}

TEST_P(ExecutionTest, DialectOnlyConstructsRunOrFailClearly) {
  const Select latest_per_customer = Select({orders_.C("customer_id"), orders_.C("id")})
                                         .DistinctOn({orders_.C("customer_id")})
                                         .From(orders_)
                                         .OrderBy(orders_.C("customer_id"), orders_.C("id").Desc());
  const Select locked = Select({orders_.C("id")})
                            .From(orders_)
                            .Where(orders_.C("status") == "pending")
                            .OrderBy(orders_.C("id"))
                            .ForUpdate(sql::LockClause::Wait::kSkipLocked);
  // Each runs where the dialect compiles it (PostgreSQL both, MariaDB the
  // lock), and elsewhere is Unimplemented naming the dialect, never other SQL.
  const auto runs_or_fails_clearly = [&](const Select& select, const Rows& expected) {
    const absl::StatusOr<CompiledStatement> compiled = db_->dialect().Compile(select);
    if (compiled.ok()) {
      EXPECT_EQ(Run(select), expected);
      return true;
    }
    EXPECT_EQ(compiled.status().code(), absl::StatusCode::kUnimplemented);
    EXPECT_THAT(compiled.status().message(),
                HasSubstr(absl::StrCat(db_->dialect().name(), " does not support")));
    EXPECT_EQ(db_->Query(select).status(), compiled.status());
    return false;
  };
  EXPECT_EQ(runs_or_fails_clearly(latest_per_customer, {{"1", "6"}, {"2", "4"}, {"3", "5"}}),
            is_postgres());
  EXPECT_EQ(runs_or_fails_clearly(locked, {{"3"}, {"6"}}),
            backend() != duo::testing::Backend::kSqlite);
}

DUO_INSTANTIATE_BACKEND_TEST(ExecutionTest);

}  // namespace
}  // namespace duo::dialect
