// Golden tests: the SQL text and bound values of each construct, for both
// dialects. Execution on real databases is in execution_test.cc.

#include <optional>
#include <string>
#include <vector>

#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/dialect/statement_cache.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo::dialect {
namespace {

using sql::Case;
using sql::Cte;
using sql::Delete;
using sql::Excluded;
using sql::Expr;
using sql::FrameBound;
using sql::Insert;
using sql::Select;
using sql::Statement;
using sql::Table;
using sql::Text;
using sql::Update;
using sql::Value;
using sql::Window;
using ::testing::HasSubstr;
namespace func = ::duo::func;

const Dialect& Lite() { return SqliteDialect(); }
const Dialect& Pg() { return PostgresDialect(); }

std::string Params(const std::vector<Value>& params) {
  std::string out;
  for (const Value& v : params) out += v.DebugString() + "; ";
  return out;
}

void ExpectSql(const Statement& statement, const Dialect& dialect, const std::string& sql,
               const std::vector<Value>& params = {}) {
  absl::StatusOr<CompiledStatement> compiled = dialect.Compile(statement);
  ASSERT_TRUE(compiled.ok()) << dialect.name() << ": " << compiled.status();
  EXPECT_EQ(compiled->sql, sql) << dialect.name();
  EXPECT_EQ(compiled->params, params)
      << dialect.name() << ": got " << Params(compiled->params) << " want " << Params(params);
}

void ExpectError(const Statement& statement, const Dialect& dialect, absl::StatusCode code,
                 const std::string& message_part) {
  absl::StatusOr<CompiledStatement> compiled = dialect.Compile(statement);
  ASSERT_FALSE(compiled.ok()) << dialect.name() << " compiled: " << compiled->sql;
  EXPECT_EQ(compiled.status().code(), code) << compiled.status();
  EXPECT_THAT(std::string(compiled.status().message()), HasSubstr(message_part));
}

// The SQL of `where` as a WHERE condition on orders, for each dialect.
void ExpectWhere(const Expr& where, const std::string& sqlite, const std::string& postgres,
                 const std::vector<Value>& params) {
  const Table orders("orders");
  const Select select = Select({orders.C("id")}).From(orders).Where(where);
  const std::string prefix = "SELECT \"orders\".\"id\" FROM \"orders\" WHERE ";
  ExpectSql(select, Lite(), prefix + sqlite, params);
  ExpectSql(select, Pg(), prefix + postgres, params);
}

const Table kOrders("orders");

TEST(GoldenTest, ColumnsAreQualifiedAndQuoted) {
  const Table weird("Order Items");
  const Table alias = weird.Alias("o\"i");
  const Select select = Select({alias.C("group"), alias.C("MixedCase")}).From(alias);
  const std::string sql =
      "SELECT \"o\"\"i\".\"group\", \"o\"\"i\".\"MixedCase\" FROM \"Order Items\" AS \"o\"\"i\"";
  ExpectSql(select, Lite(), sql);
  ExpectSql(select, Pg(), sql);
  ExpectSql(Select().From(Table("t", "sales")), Pg(), "SELECT * FROM \"sales\".\"t\"");
}

TEST(GoldenTest, LiteralsAreParametersNumberedPerDialect) {
  const auto status = kOrders.Col<std::string>("status");
  const auto total = kOrders.Col<double>("total");
  ExpectWhere(status == "paid" && total > 10.5 && total <= 99,
              "\"orders\".\"status\" = ? AND \"orders\".\"total\" > ? AND \"orders\".\"total\" <= ?",
              "\"orders\".\"status\" = $1 AND \"orders\".\"total\" > $2 AND \"orders\".\"total\" <= $3",
              {"paid", 10.5, 99});
}

TEST(GoldenTest, NullComparisonsBecomeIsNull) {
  const auto note = kOrders.Col<std::optional<std::string>>("note");
  ExpectWhere(note == std::nullopt, "\"orders\".\"note\" IS NULL", "\"orders\".\"note\" IS NULL", {});
  ExpectWhere(note != std::optional<std::string>(), "\"orders\".\"note\" IS NOT NULL",
              "\"orders\".\"note\" IS NOT NULL", {});
}

TEST(GoldenTest, PrecedenceIsKeptWithMinimalParentheses) {
  const Expr a = kOrders.C("a");
  const Expr b = kOrders.C("b");
  const Expr c = kOrders.C("c");
  ExpectWhere((a - (b - c)) * 2 == a / (b % 3), "(\"orders\".\"a\" - (\"orders\".\"b\" - \"orders\".\"c\")) * ? = \"orders\".\"a\" / (\"orders\".\"b\" % ?)",
              "(\"orders\".\"a\" - (\"orders\".\"b\" - \"orders\".\"c\")) * $1 = \"orders\".\"a\" / (\"orders\".\"b\" % $2)",
              {2, 3});
  ExpectWhere((a == 1 || b == 2) && !(c == 3),
              "(\"orders\".\"a\" = ? OR \"orders\".\"b\" = ?) AND NOT (\"orders\".\"c\" = ?)",
              "(\"orders\".\"a\" = $1 OR \"orders\".\"b\" = $2) AND NOT (\"orders\".\"c\" = $3)",
              {1, 2, 3});
  // || binds tighter than = on both databases.
  ExpectWhere(sql::Concat(a, b) == "x", "\"orders\".\"a\" || \"orders\".\"b\" = ?",
              "\"orders\".\"a\" || \"orders\".\"b\" = $1", {"x"});
  ExpectWhere(sql::Concat(sql::Concat(a, b), c) == "x",
              "(\"orders\".\"a\" || \"orders\".\"b\") || \"orders\".\"c\" = ?",
              "(\"orders\".\"a\" || \"orders\".\"b\") || \"orders\".\"c\" = $1", {"x"});
}

TEST(GoldenTest, SeveralWhereCallsAreAndedAndEmptyOnesSkipped) {
  const Select select = Select({kOrders.C("id")})
                            .From(kOrders)
                            .Where(kOrders.C("a") == 1 || kOrders.C("b") == 2)
                            .Where(sql::And({}))
                            .Where(kOrders.C("c") == 3);
  ExpectSql(select, Pg(),
            "SELECT \"orders\".\"id\" FROM \"orders\" WHERE (\"orders\".\"a\" = $1 OR "
            "\"orders\".\"b\" = $2) AND \"orders\".\"c\" = $3",
            {1, 2, 3});
}

TEST(GoldenTest, InBetweenAndEmptyLists) {
  const auto status = kOrders.Col<std::string>("status");
  ExpectWhere(status.In({"a", "b"}), "\"orders\".\"status\" IN (?, ?)",
              "\"orders\".\"status\" IN ($1, $2)", {"a", "b"});
  ExpectWhere(status.NotIn(std::vector<std::string>{}), "1 = 1", "1 = 1", {});
  ExpectWhere(status.In(std::vector<std::string>{}), "1 = 0", "1 = 0", {});
  ExpectWhere(kOrders.Col<int>("n").Between(1, 5), "\"orders\".\"n\" BETWEEN ? AND ?",
              "\"orders\".\"n\" BETWEEN $1 AND $2", {1, 5});
  const Table c("customers");
  ExpectWhere(kOrders.Col<int64_t>("customer_id")
                  .In(Select({c.C("id")}).From(c).Where(c.C("vip") == true)),
              "\"orders\".\"customer_id\" IN (SELECT \"customers\".\"id\" FROM \"customers\" "
              "WHERE \"customers\".\"vip\" = ?)",
              "\"orders\".\"customer_id\" IN (SELECT \"customers\".\"id\" FROM \"customers\" "
              "WHERE \"customers\".\"vip\" = $1)",
              {true});
}

// On SQLite a timestamp column is compared through one text form, whatever
// form each row's writer stored (sqlite/dialect.cc); PostgreSQL compares
// timestamptz natively.
TEST(GoldenTest, TimestampColumnsAreComparedNormalizedOnSqlite) {
  const Table events(
      sql::TableDef("events").AddColumn({.name = "at", .type = sql::SqlType::Timestamp()}));
  const auto at = events.Col<absl::Time>("at");
  const absl::Time x = absl::FromUnixSeconds(1767261600);  // 2026-01-01 10:00:00 UTC
  const std::string normalized =
      "(replace(substr(\"events\".\"at\", 1, 19), 'T', ' ') || CASE WHEN "
      "substr(\"events\".\"at\", 20, 1) = '.' THEN substr(rtrim(substr(\"events\".\"at\", 20), "
      "'Z') || '00000', 1, 7) ELSE '.000000' END)";
  const std::string prefix = "SELECT \"events\".\"at\" FROM \"events\" WHERE ";
  const Select select = Select({events.C("at")}).From(events).Where(at >= x);
  ExpectSql(select, Lite(), prefix + normalized + " >= ?", {x});
  ExpectSql(select, Pg(), prefix + "\"events\".\"at\" >= $1", {x});
  ExpectSql(Select({events.C("at")}).From(events).Where(at.Between(x, x)), Lite(),
            prefix + normalized + " BETWEEN ? AND ?", {x, x});
  // Other columns, and the result list, are as they were.
  ExpectSql(Select({events.C("at")}).From(events).Where(events.C("id") == 1), Lite(),
            prefix + "\"events\".\"id\" = ?", {1});
}

TEST(GoldenTest, PatternsPerDialect) {
  const auto name = kOrders.Col<std::string>("name");
  ExpectWhere(name.Like("a%"), "\"orders\".\"name\" LIKE ? ESCAPE '\\'",
              "\"orders\".\"name\" LIKE $1 ESCAPE '\\'", {"a%"});
  ExpectWhere(name.NotLike("a%"), "\"orders\".\"name\" NOT LIKE ? ESCAPE '\\'",
              "\"orders\".\"name\" NOT LIKE $1 ESCAPE '\\'", {"a%"});
  ExpectWhere(name.ILike("a%"), "duo_lower(\"orders\".\"name\") LIKE duo_lower(?) ESCAPE '\\'",
              "\"orders\".\"name\" ILIKE $1 ESCAPE '\\'", {"a%"});
  ExpectWhere(name.Matches("^a"), "\"orders\".\"name\" REGEXP ?", "\"orders\".\"name\" ~ $1",
              {"^a"});
  ExpectWhere(name.Matches("^a", /*case_insensitive=*/true),
              "\"orders\".\"name\" REGEXP ('(?i)' || ?)", "\"orders\".\"name\" ~* $1", {"^a"});
  ExpectWhere(sql::MakeRegex(name, sql::Param("^a"), false, true),
              "NOT (\"orders\".\"name\" REGEXP ?)", "\"orders\".\"name\" !~ $1", {"^a"});
  ExpectWhere(name.Like("%" + sql::EscapeLike("50%_") + "%"),
              "\"orders\".\"name\" LIKE ? ESCAPE '\\'", "\"orders\".\"name\" LIKE $1 ESCAPE '\\'",
              {"%50\\%\\_%"});
}

TEST(GoldenTest, CaseCastCoalesceExistsAndScalarSubqueries) {
  const auto total = kOrders.Col<double>("total");
  const Table items("items");
  const Select count_items =
      Select({func::Count()}).From(items).Where(items.C("order_id") == kOrders.C("id"));
  const Select select =
      Select({Case().When(total > 100, "big").Else("small").Label("size"),
              Case(kOrders.C("status")).When("a", 1).End(),
              sql::Cast<int64_t>(total), sql::Cast(total, sql::SqlType::Numeric(10, 2)),
              sql::Coalesce(kOrders.C("note"), "-"), count_items.AsScalar().Label("n")})
          .From(kOrders)
          .Where(sql::Exists(count_items) && sql::NotExists(Select({sql::Param(1)})));
  ExpectSql(select, Pg(),
            "SELECT CASE WHEN \"orders\".\"total\" > $1 THEN $2 ELSE $3 END AS \"size\", "
            "CASE \"orders\".\"status\" WHEN $4 THEN $5 END, CAST(\"orders\".\"total\" AS bigint), "
            "CAST(\"orders\".\"total\" AS numeric(10, 2)), coalesce(\"orders\".\"note\", $6), "
            "(SELECT count(*) FROM \"items\" WHERE \"items\".\"order_id\" = \"orders\".\"id\") "
            "AS \"n\" FROM \"orders\" WHERE EXISTS (SELECT count(*) FROM \"items\" WHERE "
            "\"items\".\"order_id\" = \"orders\".\"id\") AND NOT EXISTS (SELECT $7)",
            {100, "big", "small", "a", 1, "-", 1});
  ExpectSql(Select({sql::Cast(total, sql::SqlType::Numeric(10, 2)),
                    sql::Cast<bool>(total), sql::Cast(total, sql::SqlType::Json())}),
            Lite(),
            "SELECT CAST(\"orders\".\"total\" AS DECIMAL_TEXT(10, 2)), "
            "CAST(\"orders\".\"total\" AS BOOLEAN), CAST(\"orders\".\"total\" AS JSON_TEXT)");
}

TEST(GoldenTest, FunctionsAggregatesAndFilters) {
  const auto total = kOrders.Col<double>("total");
  const Select select =
      Select({func::Count(), func::Count(kOrders.C("customer_id")).Distinct(), func::Sum(total),
              func::Avg(total), func::Min(total), func::Max(total), func::Lower(kOrders.C("s")),
              func::Sum(total).Filter(kOrders.C("status") == "paid"),
              func::Call("json_extract", kOrders.C("doc"), "$.a"), func::Now()})
          .From(kOrders);
  ExpectSql(select, Pg(),
            "SELECT count(*), count(DISTINCT \"orders\".\"customer_id\"), "
            "sum(\"orders\".\"total\"), avg(\"orders\".\"total\"), min(\"orders\".\"total\"), "
            "max(\"orders\".\"total\"), lower(\"orders\".\"s\"), sum(\"orders\".\"total\") "
            "FILTER (WHERE \"orders\".\"status\" = $1), json_extract(\"orders\".\"doc\", $2), "
            "CURRENT_TIMESTAMP FROM \"orders\"",
            {"paid", "$.a"});
  ExpectSql(Select({func::Now()}), Lite(),
            "SELECT strftime('%Y-%m-%d %H:%M:%f000', 'now')");
  ExpectError(Select({func::Call("drop table x; --")}), Pg(), absl::StatusCode::kInvalidArgument,
              "not a valid SQL function name");
}

TEST(GoldenTest, WindowFunctionsAndFrames) {
  const Expr customer = kOrders.C("customer_id");
  const Expr id = kOrders.C("id");
  const Select select =
      Select({func::RowNumber().Over(Window().PartitionBy(customer).OrderBy(id.Desc())),
              func::Sum(kOrders.C("total"))
                  .Over(Window().OrderBy(id).Rows(FrameBound::UnboundedPreceding(),
                                                  FrameBound::CurrentRow())),
              func::Avg(kOrders.C("total"))
                  .Over(Window().OrderBy(id).Range(FrameBound::Preceding(2),
                                                   FrameBound::Following(1))),
              func::Lag(id, 2).Over(Window().OrderBy(id)), func::Rank().Over(Window())})
          .From(kOrders);
  const std::string sql =
      "SELECT row_number() OVER (PARTITION BY \"orders\".\"customer_id\" ORDER BY "
      "\"orders\".\"id\" DESC), sum(\"orders\".\"total\") OVER (ORDER BY \"orders\".\"id\" ROWS "
      "BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), avg(\"orders\".\"total\") OVER (ORDER BY "
      "\"orders\".\"id\" RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING), lag(\"orders\".\"id\", ?) "
      "OVER (ORDER BY \"orders\".\"id\"), rank() OVER () FROM \"orders\"";
  ExpectSql(select, Lite(), sql, {2});
}

TEST(GoldenTest, JoinsGroupingOrderingAndPagination) {
  const Table c("customers");
  const Table boss = c.Alias("boss");
  const Select select = Select({c.C("name"), func::Count().Label("orders")})
                            .From(c)
                            .LeftJoin(kOrders, kOrders.C("customer_id") == c.C("id"))
                            .Join(boss, boss.C("id") == c.C("boss_id"))
                            .RightJoin(Table("r"), Table("r").C("x") == c.C("id"))
                            .FullJoin(Table("f"), Table("f").C("x") == c.C("id"))
                            .CrossJoin(Table("z"))
                            .GroupBy(c.C("name"))
                            .Having(func::Count() > 1)
                            .OrderBy(c.C("name").Desc().NullsLast(), func::Count().Label("orders"))
                            .Limit(10)
                            .Offset(20);
  ExpectSql(select, Pg(),
            "SELECT \"customers\".\"name\", count(*) AS \"orders\" FROM \"customers\" LEFT JOIN "
            "\"orders\" ON \"orders\".\"customer_id\" = \"customers\".\"id\" JOIN \"customers\" AS "
            "\"boss\" ON \"boss\".\"id\" = \"customers\".\"boss_id\" RIGHT JOIN \"r\" ON "
            "\"r\".\"x\" = \"customers\".\"id\" FULL JOIN \"f\" ON \"f\".\"x\" = "
            "\"customers\".\"id\" CROSS JOIN \"z\" GROUP BY \"customers\".\"name\" HAVING count(*) "
            "> $1 ORDER BY \"customers\".\"name\" DESC NULLS LAST, \"orders\" LIMIT $2 OFFSET $3",
            {1, 10, 20});
  ExpectSql(Select().From(kOrders).Offset(5), Lite(), "SELECT * FROM \"orders\" LIMIT -1 OFFSET ?",
            {5});
  ExpectSql(Select().From(kOrders).Offset(5), Pg(), "SELECT * FROM \"orders\" OFFSET $1", {5});
  ExpectSql(Select({kOrders.C("s")}).Distinct().From(kOrders), Lite(),
            "SELECT DISTINCT \"orders\".\"s\" FROM \"orders\"");
}

TEST(GoldenTest, DistinctOnAndLockingArePostgresOnly) {
  const Select latest = Select().DistinctOn({kOrders.C("customer_id")}).From(kOrders);
  ExpectSql(latest, Pg(), "SELECT DISTINCT ON (\"orders\".\"customer_id\") * FROM \"orders\"");
  ExpectError(latest, Lite(), absl::StatusCode::kUnimplemented, "sqlite does not support DISTINCT ON");

  const Select locked = Select().From(kOrders).ForUpdate(sql::LockClause::Wait::kSkipLocked,
                                                         {"orders"});
  ExpectSql(locked, Pg(), "SELECT * FROM \"orders\" FOR UPDATE OF \"orders\" SKIP LOCKED");
  ExpectSql(Select().From(kOrders).ForShare(sql::LockClause::Wait::kNowait), Pg(),
            "SELECT * FROM \"orders\" FOR SHARE NOWAIT");
  ExpectError(locked, Lite(), absl::StatusCode::kUnimplemented, "sqlite does not support row locking");
}

TEST(GoldenTest, HintsAppearOnlyForTheirDialect) {
  const Select select = Select()
                            .From(kOrders)
                            .WithHint(kOrders, "INDEXED BY orders_status", "sqlite")
                            .WithHint(kOrders, "USE INDEX (x)", "mysql")
                            .WithStatementHint("/*+ SeqScan(orders) */", "postgresql");
  ExpectSql(select, Lite(), "SELECT * FROM \"orders\" INDEXED BY orders_status");
  ExpectSql(select, Pg(), "SELECT /*+ SeqScan(orders) */ * FROM \"orders\"");
}

TEST(GoldenTest, SetOperationsPerDialect) {
  const Select a = Select({kOrders.C("id")}).From(kOrders).Where(kOrders.C("a") == 1);
  const Select limited = Select({kOrders.C("id")}).From(kOrders).OrderBy(kOrders.C("id")).Limit(1);
  const Select unioned = a.Union(limited).UnionAll(a).OrderBy(kOrders.C("id").Desc());
  ExpectSql(unioned, Pg(),
            "((SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"a\" = $1) UNION "
            "(SELECT \"orders\".\"id\" FROM \"orders\" ORDER BY \"orders\".\"id\" LIMIT $2)) UNION "
            "ALL (SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"a\" = $3) ORDER BY "
            "\"id\" DESC",
            {1, 1, 1});
  ExpectSql(a.Intersect(a).Except(limited), Lite(),
            "SELECT * FROM (SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"a\" = ? "
            "INTERSECT SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"a\" = ?) EXCEPT "
            "SELECT * FROM (SELECT \"orders\".\"id\" FROM \"orders\" ORDER BY \"orders\".\"id\" "
            "LIMIT ?)",
            {1, 1, 1});
}

TEST(GoldenTest, CtesAndDerivedTables) {
  const Table nodes("nodes");
  Cte tree = Cte::Recursive("tree", {"id", "depth"});
  tree = tree.As(Select({nodes.C("id"), sql::Param(0)})
                     .From(nodes)
                     .Where(nodes.C("parent_id") == std::nullopt)
                     .UnionAll(Select({nodes.C("id"), tree.C("depth") + 1})
                                   .From(nodes)
                                   .Join(tree, nodes.C("parent_id") == tree.C("id"))));
  const auto deep = Select({tree.C("id")}).From(tree).Where(tree.C("depth") > 2).Subquery("deep");
  const Select select = Select({deep.C("id")}).With(tree).From(deep);
  ExpectSql(select, Lite(),
            "WITH RECURSIVE \"tree\" (\"id\", \"depth\") AS (SELECT \"nodes\".\"id\", ? FROM "
            "\"nodes\" WHERE \"nodes\".\"parent_id\" IS NULL UNION ALL SELECT \"nodes\".\"id\", "
            "\"tree\".\"depth\" + ? FROM \"nodes\" JOIN \"tree\" ON \"nodes\".\"parent_id\" = "
            "\"tree\".\"id\") SELECT \"deep\".\"id\" FROM (SELECT \"tree\".\"id\" FROM \"tree\" "
            "WHERE \"tree\".\"depth\" > ?) AS \"deep\"",
            {0, 1, 2});
  ExpectError(Select().With(Cte::Recursive("empty")).From(Table("empty")), Pg(),
              absl::StatusCode::kInvalidArgument, "CTE \"empty\" has no query");
}

TEST(GoldenTest, InsertForms) {
  const Table t("t");
  ExpectSql(Insert(t).Values({{"a", 1}, {"b", "x"}}).Returning({t.C("id")}), Pg(),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES ($1, $2) RETURNING \"t\".\"id\"", {1, "x"});
  ExpectSql(Insert(t).Columns({"a", "b"}).Row(1, "x").Row(2, std::nullopt), Lite(),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?), (?, NULL)", {1, "x", 2});
  ExpectSql(Insert(t), Lite(), "INSERT INTO \"t\" DEFAULT VALUES");
  ExpectSql(Insert(t).FromSelect({"a"}, Select({kOrders.C("id")}).From(kOrders)), Pg(),
            "INSERT INTO \"t\" (\"a\") SELECT \"orders\".\"id\" FROM \"orders\"");
  ExpectError(Insert(t).BulkValues({{{"a", 1}, {"b", 2}}, {{"a", 3}}}), Pg(),
              absl::StatusCode::kInvalidArgument, "row 1 has no value for column b");
}

TEST(GoldenTest, Upserts) {
  const Table counters("counters");
  const Insert upsert = Insert(counters)
                            .Values({{"name", "home"}, {"hits", 1}})
                            .OnConflict({"name"})
                            .DoUpdate({{"hits", counters.C("hits") + Excluded("hits")}},
                                      counters.C("locked") == false);
  ExpectSql(upsert, Pg(),
            "INSERT INTO \"counters\" (\"name\", \"hits\") VALUES ($1, $2) ON CONFLICT (\"name\") "
            "DO UPDATE SET \"hits\" = \"counters\".\"hits\" + excluded.\"hits\" WHERE "
            "\"counters\".\"locked\" = $3",
            {"home", 1, false});
  const Insert from_select = Insert(counters)
                                 .FromSelect({"name"}, Select({kOrders.C("s")}).From(kOrders))
                                 .OnConflict()
                                 .DoNothing();
  ExpectSql(from_select, Lite(),
            "INSERT INTO \"counters\" (\"name\") SELECT \"orders\".\"s\" FROM \"orders\" WHERE "
            "true ON CONFLICT DO NOTHING");
  ExpectSql(from_select, Pg(),
            "INSERT INTO \"counters\" (\"name\") SELECT \"orders\".\"s\" FROM \"orders\" ON "
            "CONFLICT DO NOTHING");
  ExpectError(Insert(counters).Values({{"name", "x"}}).OnConflict().DoUpdate({{"hits", 1}}), Pg(),
              absl::StatusCode::kInvalidArgument, "needs conflict columns");
}

TEST(GoldenTest, UpdateAndDelete) {
  const Table totals("totals");
  ExpectSql(Update(kOrders)
                .Set("status", "paid")
                .Set("total", kOrders.C("total") * 2)
                .From(totals)
                .Where(totals.C("id") == kOrders.C("id"))
                .Returning({kOrders.C("id")}),
            Lite(),
            "UPDATE \"orders\" SET \"status\" = ?, \"total\" = \"orders\".\"total\" * ? FROM "
            "\"totals\" WHERE \"totals\".\"id\" = \"orders\".\"id\" RETURNING \"orders\".\"id\"",
            {"paid", 2});
  ExpectError(Update(kOrders), Pg(), absl::StatusCode::kInvalidArgument,
              "UPDATE orders sets no column");
  ExpectSql(Delete(kOrders).Where(kOrders.C("id") == 3).Returning({kOrders.C("id").Label("gone")}),
            Pg(), "DELETE FROM \"orders\" WHERE \"orders\".\"id\" = $1 RETURNING \"orders\".\"id\" AS \"gone\"",
            {3});
}

TEST(GoldenTest, TextWithNamedParameters) {
  const Text text = Text("SELECT * FROM t WHERE a = :a AND b = :a AND c::int = :c AND d = ':a'")
                        .Bind("a", 1)
                        .Bind("c", "x");
  ExpectSql(text, Pg(), "SELECT * FROM t WHERE a = $1 AND b = $2 AND c::int = $3 AND d = ':a'",
            {1, 1, "x"});
  ExpectSql(text, Lite(), "SELECT * FROM t WHERE a = ? AND b = ? AND c::int = ? AND d = ':a'",
            {1, 1, "x"});
  ExpectError(Text("SELECT :missing"), Pg(), absl::StatusCode::kInvalidArgument,
              "Text parameter :missing has no bound value");
  ExpectError(Text("SELECT :a").Bind("a", 1).Bind("b", 2), Pg(),
              absl::StatusCode::kInvalidArgument, "binds :b, which the SQL does not contain");
  ExpectWhere(Text("length(name) > :n").Bind("n", 3) && kOrders.C("x") == 1,
              "(length(name) > ?) AND \"orders\".\"x\" = ?",
              "(length(name) > $1) AND \"orders\".\"x\" = $2", {3, 1});
}

// A ":name" inside a literal, a quoted identifier or a comment is text the
// server reads as written, never a parameter.
TEST(GoldenTest, TextFindsNoParametersInsideLiteralsIdentifiersOrComments) {
  for (const char* sql : {
           "SELECT $$ :a $$ AS v",
           "SELECT $tag$ :a $$ :a $tag$ AS v",
           "SELECT $tag$ :a $TAG$ :a $tag$ AS v",  // tags are case-sensitive
           "SELECT E'it\\'s :a' AS v",
           "SELECT e'\\\\' || ':a' AS v",  // E'\\' ends after the escaped backslash
           "SELECT E'it''s :a' AS v",
           "SELECT 'it''s :a' AS v",
           "SELECT 1 AS \":a\"\"b\"",
           "SELECT 1 -- :a",
           "SELECT 1 -- :a\r",
           "SELECT /* :a /* nested :a */ still :a */ 1",
           "SELECT $$ unterminated :a",
           "SELECT E'unterminated \\' :a",
       }) {
    SCOPED_TRACE(sql);
    ExpectSql(Text(sql), Pg(), sql);
    ExpectSql(Text(sql), Lite(), sql);
    ExpectError(Text(sql).Bind("a", 5), Pg(), absl::StatusCode::kInvalidArgument,
                "binds :a, which the SQL does not contain");
  }
}

TEST(GoldenTest, TextFindsParametersBetweenLiteralsAndComments) {
  const Text text =
      Text("SELECT $$ :a $$, $q$:a$q$, E'\\' :a', ':a', \"a:a\", x::int, /* :a */ :a -- :a\n"
           ", $1, y$$z, :b$$")
          .Bind("a", 5)
          .Bind("b", 6);
  // `$1` is a positional parameter and `y$$z` an identifier (PostgreSQL
  // takes '$' inside names): neither opens a dollar-quoted string, so :b
  // is found.
  ExpectSql(text, Pg(),
            "SELECT $$ :a $$, $q$:a$q$, E'\\' :a', ':a', \"a:a\", x::int, /* :a */ $1 -- :a\n"
            ", $1, y$$z, $2$$",
            {5, 6});
  ExpectSql(text, Lite(),
            "SELECT $$ :a $$, $q$:a$q$, E'\\' :a', ':a', \"a:a\", x::int, /* :a */ ? -- :a\n"
            ", $1, y$$z, ?$$",
            {5, 6});
  // A name ending in E does not prefix an escape string: 'x\' ends at its
  // second quote, so :a follows it.
  ExpectSql(Text("SELECT namE'x\\' :a").Bind("a", 1), Pg(), "SELECT namE'x\\' $1", {1});
}

TEST(GoldenTest, ValuesThatLookLikeSqlStayParameters) {
  const std::string payload = "'; DROP TABLE orders; --";
  absl::StatusOr<CompiledStatement> compiled =
      Pg().Compile(Select().From(kOrders).Where(kOrders.C("status") == payload));
  ASSERT_TRUE(compiled.ok());
  EXPECT_EQ(compiled->sql.find("DROP"), std::string::npos);
  EXPECT_EQ(compiled->params, std::vector<Value>{payload});
  EXPECT_EQ(Pg().DebugSql(*compiled),
            "SELECT * FROM \"orders\" WHERE \"orders\".\"status\" = '''; DROP TABLE orders; --'");
}

TEST(GoldenTest, DebugSqlInlinesValuesOutsideQuotesOnly) {
  const CompiledStatement compiled{"SELECT '?', \"a?\", ? WHERE x = ?", {Value("it's"), Value(2)}};
  EXPECT_EQ(Lite().DebugSql(compiled), "SELECT '?', \"a?\", 'it''s' WHERE x = 2");
  const CompiledStatement pg{"SELECT $2, $1, '$1'", {Value(1), Value(2)}};
  EXPECT_EQ(Pg().DebugSql(pg), "SELECT 2, 1, '$1'");
}

template <typename L, typename R>
concept CanCompare = requires(L l, R r) { l == r; };
template <typename E>
concept CanLike = requires(E e) { e.Like("x"); };

TEST(GoldenTest, TypesAreCheckedAtCompileTime) {
  using Id = sql::TypedExpr<int64_t>;
  using Name = sql::TypedExpr<std::string>;
  static_assert(CanCompare<Id, int>);
  static_assert(!CanCompare<Id, const char*>);
  static_assert(!CanCompare<Name, double>);
  static_assert(CanCompare<Name, std::string>);
  static_assert(CanCompare<Id, std::nullopt_t>);
  static_assert(CanCompare<Expr, const char*>);  // untyped: the database decides
  static_assert(CanLike<Name>);
  static_assert(!CanLike<Id>);
}

TEST(GoldenTest, ArithmeticOnTypedColumnsKeepsTheType) {
  const auto quantity = kOrders.Col<int64_t>("quantity");
  const auto price = kOrders.Col<double>("price");
  static_assert(std::is_same_v<decltype(quantity + 1), sql::TypedExpr<int64_t>>);
  static_assert(std::is_same_v<decltype(quantity * price), sql::TypedExpr<double>>);
  static_assert(std::is_same_v<decltype(kOrders.C("x") + 1), Expr>);
  ExpectWhere(quantity * (price / 2) > 10,
              "\"orders\".\"quantity\" * (\"orders\".\"price\" / ?) > ?",
              "\"orders\".\"quantity\" * (\"orders\".\"price\" / $1) > $2", {2, 10});
  ExpectError(Select({sql::Cast(quantity, sql::SqlType())}), Pg(),
              absl::StatusCode::kInvalidArgument, "CAST needs a target type");
}

TEST(GoldenTest, StatementsAreValues) {
  const Select base = Select({kOrders.C("id")}).From(kOrders);
  const Select narrowed = base.Where(kOrders.C("id") > 5).Limit(3);
  ExpectSql(base, Pg(), "SELECT \"orders\".\"id\" FROM \"orders\"");
  ExpectSql(narrowed, Pg(),
            "SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"id\" > $1 LIMIT $2",
            {5, 3});
}

TEST(StatementCacheTest, SameShapeReusesTheCompiledSql) {
  StatementCache cache;
  const auto query = [](int64_t id, const std::string& status) {
    return Select()
        .From(kOrders)
        .Where(kOrders.Col<int64_t>("id") > id && kOrders.Col<std::string>("status") == status);
  };
  absl::StatusOr<CompiledStatement> first = cache.Compile(Pg(), query(1, "a"));
  absl::StatusOr<CompiledStatement> second = cache.Compile(Pg(), query(2, "b"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->sql, second->sql);
  EXPECT_EQ(second->params, (std::vector<Value>{2, "b"}));
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(cache.stats().hits, 1);

  absl::StatusOr<CompiledStatement> lite = cache.Compile(Lite(), query(3, "c"));
  ASSERT_TRUE(lite.ok());
  EXPECT_THAT(lite->sql, HasSubstr("?"));
  EXPECT_EQ(cache.stats().entries, 2u);

  // NULL renders differently, so it is a different shape.
  ASSERT_TRUE(cache.Compile(Pg(), Select().From(kOrders).Where(kOrders.C("x") == std::nullopt)).ok());
  EXPECT_EQ(cache.stats().entries, 3u);
  ASSERT_TRUE(cache.Compile(Pg(), Select().DistinctOn({kOrders.C("x")})).ok());
  EXPECT_EQ(cache.Compile(Lite(), Select().DistinctOn({kOrders.C("x")})).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(cache.stats().entries, 4u);  // errors are not cached
}

TEST(StatementCacheTest, BindsParametersEvenWhenTheDialectRepeatsOrReordersThem) {
  StatementCache cache;
  const auto query = [](int64_t offset) { return Select().From(kOrders).Offset(offset); };
  ASSERT_TRUE(cache.Compile(Lite(), query(5)).ok());
  absl::StatusOr<CompiledStatement> hit = cache.Compile(Lite(), query(7));
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->sql, "SELECT * FROM \"orders\" LIMIT -1 OFFSET ?");
  EXPECT_EQ(hit->params, std::vector<Value>{7});
}

}  // namespace
}  // namespace duo::dialect
