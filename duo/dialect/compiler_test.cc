// Golden tests of the SQL compilers: the exact text and bound values of each
// construct of duo/sql, on SQLite and on PostgreSQL, and where MySQL spells
// it otherwise or lacks it, on MySQL/MariaDB.

#include "duo/dialect/compiler.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/dialect/ddl.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/dialect/statement_cache.h"
#include "duo/sql/dml.h"
#include "duo/sql/expr.h"
#include "duo/sql/functions.h"
#include "duo/sql/json.h"
#include "duo/sql/select.h"
#include "duo/sql/statement.h"
#include "duo/sql/table.h"
#include "duo/sql/text.h"
#include "duo/sql/types.h"
#include "duo/sql/value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo::dialect {
namespace {

using sql::Case;
using sql::Cte;
using sql::Delete;
using sql::DerivedTable;
using sql::Excluded;
using sql::Expr;
using sql::FrameBound;
using sql::Insert;
using sql::LockClause;
using sql::Select;
using sql::SqlType;
using sql::Statement;
using sql::Table;
using sql::Text;
using sql::Update;
using sql::Value;
using sql::Window;
using sql::WindowSpec;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Matcher;
using ::testing::Not;
namespace func = ::duo::func;

constexpr absl::string_view kSqliteNow = "strftime('%Y-%m-%d %H:%M:%f000', 'now')";

const Dialect& Lite() { return SqliteDialect(); }
const Dialect& Pg() { return PostgresDialect(); }
const Dialect& My() { return MysqlDialect(); }

std::string DebugValues(const std::vector<Value>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", values[i].DebugString());
  }
  return out + "}";
}

void ExpectSql(const Statement& statement, const Dialect& dialect, const std::string& sql,
               const std::vector<Value>& params = {}) {
  const absl::StatusOr<CompiledStatement> compiled = dialect.Compile(statement);
  ASSERT_TRUE(compiled.ok()) << dialect.name() << ": " << compiled.status();
  EXPECT_EQ(compiled->sql, sql) << dialect.name();
  EXPECT_TRUE(compiled->params == params)
      << dialect.name() << " params: got " << DebugValues(compiled->params) << ", want "
      << DebugValues(params);
}

void ExpectBoth(const Statement& statement, const std::string& sqlite, const std::string& postgres,
                const std::vector<Value>& params = {}) {
  ExpectSql(statement, Lite(), sqlite, params);
  ExpectSql(statement, Pg(), postgres, params);
}

void ExpectError(const Statement& statement, const Dialect& dialect, absl::StatusCode code,
                 const Matcher<const std::string&>& message) {
  const absl::StatusOr<CompiledStatement> compiled = dialect.Compile(statement);
  ASSERT_FALSE(compiled.ok()) << dialect.name() << " compiled: " << compiled->sql;
  EXPECT_EQ(compiled.status().code(), code) << dialect.name() << ": " << compiled.status();
  EXPECT_THAT(std::string(compiled.status().message()), message) << dialect.name();
}

void ExpectErrorOnBoth(const Statement& statement, absl::StatusCode code,
                       const Matcher<const std::string&>& message) {
  ExpectError(statement, Lite(), code, message);
  ExpectError(statement, Pg(), code, message);
}

// `where` as the condition of SELECT * FROM "t".
void ExpectWhere(const Expr& where, const std::string& sqlite, const std::string& postgres,
                 const std::vector<Value>& params = {}) {
  const Select select = Select().From(Table("t")).Where(where);
  const std::string prefix = R"sql(SELECT * FROM "t" WHERE )sql";
  ExpectBoth(select, prefix + sqlite, prefix + postgres, params);
}

// ---- Identifiers and parameters ---------------------------------------------

// Query::Alchemize() of a query whose string filters failed: wherever the
// failed statement ends up, compiling returns its error, never other SQL.
TEST(CompilerTest, AFailedSelectCompilesToItsErrorWhereverItIs) {
  const absl::Status error = absl::InvalidArgumentError("orders has no column \"colour\"");
  const Select failed = Select::Failed(error);
  const Table t("t");
  const std::vector<Statement> carriers = {
      failed,
      failed.From(t).Where(t.C("id") == 1).Limit(3),
      Select().From(t).Where(t.Col<int64_t>("id").In(failed)),
      Select().From(t).Where(sql::Exists(failed)),
      Select().From(t).Union(failed),
      Select().From(failed.Subquery("d")),
      Insert(t).FromSelect({"id"}, failed),
  };
  for (const Statement& statement : carriers) {
    ExpectErrorOnBoth(statement, absl::StatusCode::kInvalidArgument, HasSubstr("colour"));
  }
  // The statement cache knows a failed statement from an empty one.
  StatementCache cache;
  ASSERT_TRUE(cache.Compile(Lite(), Select()).ok());
  EXPECT_EQ(cache.Compile(Lite(), failed).status(), error);
  EXPECT_EQ(cache.Compile(Lite(), Select::Failed(absl::NotFoundError("other"))).status(),
            absl::NotFoundError("other"));
  EXPECT_TRUE(Select().error().ok());
  EXPECT_EQ(failed.error(), error);
}

TEST(CompilerTest, IdentifiersAreDoubleQuotedWithQuotesDoubled) {
  const Table items = Table("Order Items").Alias("o\"i");
  const Select select =
      Select({items.C("order"), items.C("group"), items.C("MixedCase"), items.C("say \"hi\"")})
          .From(items);
  const std::string sql =
      R"sql(SELECT "o""i"."order", "o""i"."group", "o""i"."MixedCase", "o""i"."say ""hi""" )sql"
      R"sql(FROM "Order Items" AS "o""i")sql";
  ExpectBoth(select, sql, sql);
}

TEST(CompilerTest, ColumnsAreQualifiedByTableNameOrAlias) {
  const Table orders("orders", "sales");
  const Select select =
      Select({orders.C("id"), sql::ColumnRef("", "total"), orders.AllColumns(), sql::Star()})
          .From(orders);
  const std::string sql =
      R"sql(SELECT "orders"."id", "total", "orders".*, * FROM "sales"."orders")sql";
  ExpectBoth(select, sql, sql);
}

TEST(CompilerTest, LiteralsBecomeParametersNumberedInOrderOfAppearance) {
  const Table orders("orders");
  const Select select =
      Select({orders.C("id"), sql::Param("label")})
          .From(orders)
          .Where(orders.Col<std::string>("status") == "paid" && orders.Col<double>("total") > 10.5)
          .Limit(5);
  ExpectBoth(select,
             R"sql(SELECT "orders"."id", ? FROM "orders" WHERE "orders"."status" = ? AND )sql"
             R"sql("orders"."total" > ? LIMIT ?)sql",
             R"sql(SELECT "orders"."id", $1 FROM "orders" WHERE "orders"."status" = $2 AND )sql"
             R"sql("orders"."total" > $3 LIMIT $4)sql",
             {"label", "paid", 10.5, 5});
}

TEST(CompilerTest, ParametersOfAConditionAreNumberedPerDialect) {
  const Table t("t");
  const auto status = t.Col<std::string>("status");
  const auto total = t.Col<double>("total");
  ExpectWhere(status == "paid" && total > 10.5 && total <= 99,
              R"sql("t"."status" = ? AND "t"."total" > ? AND "t"."total" <= ?)sql",
              R"sql("t"."status" = $1 AND "t"."total" > $2 AND "t"."total" <= $3)sql",
              {"paid", 10.5, 99});
}

TEST(CompilerTest, EveryKindOfValueIsBound) {
  const std::vector<Value> values = {true,
                                     int16_t{3},
                                     int64_t{1} << 40,
                                     2.5,
                                     "text",
                                     sql::Blob{std::string("\0\xff", 2)},
                                     absl::FromUnixSeconds(1764037800),
                                     absl::CivilDay(2026, 11, 25),
                                     *sql::Decimal::Parse("12.50"),
                                     sql::JsonText{R"({"a":1})"}};
  std::vector<Expr> row;
  for (const Value& value : values) row.push_back(sql::Param(value));
  const Insert insert = Insert(Table("t"))
                            .Columns({"b", "s", "i", "d", "x", "blob", "at", "day", "n", "j"})
                            .AddRow(row);
  ExpectBoth(insert,
             R"sql(INSERT INTO "t" ("b", "s", "i", "d", "x", "blob", "at", "day", "n", "j") )sql"
             R"sql(VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql",
             R"sql(INSERT INTO "t" ("b", "s", "i", "d", "x", "blob", "at", "day", "n", "j") )sql"
             R"sql(VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10))sql",
             values);
}

TEST(CompilerTest, ComparisonWithNullRendersIsNull) {
  const auto note = Table("t").Col<std::optional<std::string>>("note");
  ExpectWhere(note == std::nullopt, R"sql("t"."note" IS NULL)sql", R"sql("t"."note" IS NULL)sql");
  ExpectWhere(note != std::nullopt, R"sql("t"."note" IS NOT NULL)sql",
              R"sql("t"."note" IS NOT NULL)sql");
  ExpectWhere(std::nullopt == note, R"sql("t"."note" IS NULL)sql", R"sql("t"."note" IS NULL)sql");
  ExpectWhere(note == std::optional<std::string>(), R"sql("t"."note" IS NULL)sql",
              R"sql("t"."note" IS NULL)sql");
  ExpectWhere(note != std::optional<std::string>(), R"sql("t"."note" IS NOT NULL)sql",
              R"sql("t"."note" IS NOT NULL)sql");
  ExpectWhere(note == std::optional<std::string>("x"), R"sql("t"."note" = ?)sql",
              R"sql("t"."note" = $1)sql", {"x"});
}

// On SQLite a timestamp column is compared through one text form, whatever
// form each row's writer stored (sqlite/dialect.cc); PostgreSQL compares
// timestamptz natively.
TEST(CompilerTest, TimestampColumnsAreComparedNormalizedOnSqlite) {
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

// ---- Operators and parentheses ----------------------------------------------

TEST(CompilerTest, ArithmeticKeepsItsGrouping) {
  const Table t("t");
  const Expr a = t.C("a");
  const Expr b = t.C("b");
  const Expr c = t.C("c");
  ExpectWhere(a - (b - c) == a - b - c,
              R"sql("t"."a" - ("t"."b" - "t"."c") = "t"."a" - "t"."b" - "t"."c")sql",
              R"sql("t"."a" - ("t"."b" - "t"."c") = "t"."a" - "t"."b" - "t"."c")sql");
  ExpectWhere((a + b) * c > a + b * c,
              R"sql(("t"."a" + "t"."b") * "t"."c" > "t"."a" + "t"."b" * "t"."c")sql",
              R"sql(("t"."a" + "t"."b") * "t"."c" > "t"."a" + "t"."b" * "t"."c")sql");
  ExpectWhere(a / (b * c) < a % (b % c),
              R"sql("t"."a" / ("t"."b" * "t"."c") < "t"."a" % ("t"."b" % "t"."c"))sql",
              R"sql("t"."a" / ("t"."b" * "t"."c") < "t"."a" % ("t"."b" % "t"."c"))sql");
  ExpectWhere(-(a + b) <= -(-a), R"sql(-("t"."a" + "t"."b") <= -(-"t"."a"))sql",
              R"sql(-("t"."a" + "t"."b") <= -(-"t"."a"))sql");
  ExpectWhere(a - -b >= a * 2 + 1, R"sql("t"."a" - -"t"."b" >= "t"."a" * ? + ?)sql",
              R"sql("t"."a" - -"t"."b" >= "t"."a" * $1 + $2)sql", {2, 1});
}

// a * (b / c) is not (a * b) / c in integer arithmetic: 2 * (3 / 2) = 2, but
// 2 * 3 / 2 = 3; likewise 2 * (3 % 2) = 2 but 2 * 3 % 2 = 0.
TEST(CompilerTest, MultiplicationKeepsGroupingOfDivisionAndModuloOnItsRight) {
  const Table t("t");
  const Expr a = t.C("a");
  const Expr b = t.C("b");
  const Expr c = t.C("c");
  ExpectWhere(a * (b / c) == a * (b % c),
              R"sql("t"."a" * ("t"."b" / "t"."c") = "t"."a" * ("t"."b" % "t"."c"))sql",
              R"sql("t"."a" * ("t"."b" / "t"."c") = "t"."a" * ("t"."b" % "t"."c"))sql");
}

TEST(CompilerTest, EveryComparisonOperator) {
  const Table t("t");
  const auto a = t.Col<int64_t>("a");
  const auto b = t.Col<int64_t>("b");
  ExpectWhere(a == 1 && a != 2 && a < 3 && a <= 4 && b > 5 && b >= 6,
              R"sql("t"."a" = ? AND "t"."a" <> ? AND "t"."a" < ? AND "t"."a" <= ? AND )sql"
              R"sql("t"."b" > ? AND "t"."b" >= ?)sql",
              R"sql("t"."a" = $1 AND "t"."a" <> $2 AND "t"."a" < $3 AND "t"."a" <= $4 AND )sql"
              R"sql("t"."b" > $5 AND "t"."b" >= $6)sql",
              {1, 2, 3, 4, 5, 6});
  ExpectWhere((a == 1) == (b == 2), R"sql(("t"."a" = ?) = ("t"."b" = ?))sql",
              R"sql(("t"."a" = $1) = ("t"."b" = $2))sql", {1, 2});
}

TEST(CompilerTest, BooleanConnectivesKeepTheirGrouping) {
  const Table t("t");
  const auto a = t.Col<int64_t>("a");
  const auto b = t.Col<int64_t>("b");
  const auto c = t.Col<int64_t>("c");
  const auto flag = t.Col<bool>("flag");
  ExpectWhere((a == 1 || b == 2) && c == 3, R"sql(("t"."a" = ? OR "t"."b" = ?) AND "t"."c" = ?)sql",
              R"sql(("t"."a" = $1 OR "t"."b" = $2) AND "t"."c" = $3)sql", {1, 2, 3});
  ExpectWhere(a == 1 || (b == 2 && c == 3), R"sql("t"."a" = ? OR "t"."b" = ? AND "t"."c" = ?)sql",
              R"sql("t"."a" = $1 OR "t"."b" = $2 AND "t"."c" = $3)sql", {1, 2, 3});
  ExpectWhere(!(a == 1 && b == 2) || !flag,
              R"sql(NOT ("t"."a" = ? AND "t"."b" = ?) OR NOT "t"."flag")sql",
              R"sql(NOT ("t"."a" = $1 AND "t"."b" = $2) OR NOT "t"."flag")sql", {1, 2});
  ExpectWhere(sql::Not(a == 1), R"sql(NOT ("t"."a" = ?))sql", R"sql(NOT ("t"."a" = $1))sql", {1});
}

TEST(CompilerTest, ConcatenationIsParenthesizedAsAnOperand) {
  const Table t("t");
  const auto first = t.Col<std::string>("first");
  const auto last = t.Col<std::string>("last");
  ExpectWhere(sql::Concat(first, last) == "ab", R"sql("t"."first" || "t"."last" = ?)sql",
              R"sql("t"."first" || "t"."last" = $1)sql", {"ab"});
  ExpectWhere(sql::Concat(sql::Concat(first, sql::Param(" ")), last) == "a b",
              R"sql(("t"."first" || ?) || "t"."last" = ?)sql",
              R"sql(("t"."first" || $1) || "t"."last" = $2)sql", {" ", "a b"});
  ExpectWhere(sql::Concat(first, last) == std::nullopt,
              R"sql("t"."first" || "t"."last" IS NULL)sql",
              R"sql("t"."first" || "t"."last" IS NULL)sql");
}

TEST(CompilerTest, MixedOperatorsKeepTheirGroupingWithMinimalParentheses) {
  const Table t("t");
  const Expr a = t.C("a");
  const Expr b = t.C("b");
  const Expr c = t.C("c");
  ExpectWhere((a - (b - c)) * 2 == a / (b % 3),
              R"sql(("t"."a" - ("t"."b" - "t"."c")) * ? = "t"."a" / ("t"."b" % ?))sql",
              R"sql(("t"."a" - ("t"."b" - "t"."c")) * $1 = "t"."a" / ("t"."b" % $2))sql", {2, 3});
  ExpectWhere((a == 1 || b == 2) && !(c == 3),
              R"sql(("t"."a" = ? OR "t"."b" = ?) AND NOT ("t"."c" = ?))sql",
              R"sql(("t"."a" = $1 OR "t"."b" = $2) AND NOT ("t"."c" = $3))sql", {1, 2, 3});
  // || binds tighter than = on both databases.
  ExpectWhere(sql::Concat(sql::Concat(a, b), c) == "x",
              R"sql(("t"."a" || "t"."b") || "t"."c" = ?)sql",
              R"sql(("t"."a" || "t"."b") || "t"."c" = $1)sql", {"x"});
}

TEST(CompilerTest, AndOrSkipEmptyPiecesAndFlatten) {
  const Table t("t");
  const auto a = t.Col<int64_t>("a");
  const auto b = t.Col<int64_t>("b");
  const auto c = t.Col<int64_t>("c");
  ExpectWhere(sql::And({a == 1, Expr(), b == 2}), R"sql("t"."a" = ? AND "t"."b" = ?)sql",
              R"sql("t"."a" = $1 AND "t"."b" = $2)sql", {1, 2});
  ExpectWhere(sql::Or({Expr(), a == 1}), R"sql("t"."a" = ?)sql", R"sql("t"."a" = $1)sql", {1});
  ExpectWhere(sql::Or({sql::And({a == 1, b == 2}), c == 3}),
              R"sql("t"."a" = ? AND "t"."b" = ? OR "t"."c" = ?)sql",
              R"sql("t"."a" = $1 AND "t"."b" = $2 OR "t"."c" = $3)sql", {1, 2, 3});
  ExpectWhere(sql::And({sql::Or({a == 1, b == 2}), sql::And({c == 3, a == 4})}),
              R"sql(("t"."a" = ? OR "t"."b" = ?) AND "t"."c" = ? AND "t"."a" = ?)sql",
              R"sql(("t"."a" = $1 OR "t"."b" = $2) AND "t"."c" = $3 AND "t"."a" = $4)sql",
              {1, 2, 3, 4});
  EXPECT_TRUE(sql::And({}).empty());
  EXPECT_TRUE(sql::Or({Expr(), Expr()}).empty());
  ExpectBoth(Select().From(t).Where(sql::And({})), R"sql(SELECT * FROM "t")sql",
             R"sql(SELECT * FROM "t")sql");
}

TEST(CompilerTest, SeveralWhereCallsAreAnded) {
  const Table t("t");
  const Select select = Select()
                            .From(t)
                            .Where(t.C("a") == 1 || t.C("b") == 2)
                            .Where(sql::And({}))
                            .Where(t.C("c") == 3);
  ExpectBoth(select,
             R"sql(SELECT * FROM "t" WHERE ("t"."a" = ? OR "t"."b" = ?) AND "t"."c" = ?)sql",
             R"sql(SELECT * FROM "t" WHERE ("t"."a" = $1 OR "t"."b" = $2) AND "t"."c" = $3)sql",
             {1, 2, 3});
}

// ---- IN, BETWEEN, LIKE and regular expressions ------------------------------

TEST(CompilerTest, InWithValues) {
  const Table t("t");
  const auto status = t.Col<std::string>("status");
  const auto id = t.Col<int64_t>("id");
  ExpectWhere(status.In({"a", "b"}), R"sql("t"."status" IN (?, ?))sql",
              R"sql("t"."status" IN ($1, $2))sql", {"a", "b"});
  ExpectWhere(status.NotIn({"a"}), R"sql("t"."status" NOT IN (?))sql",
              R"sql("t"."status" NOT IN ($1))sql", {"a"});
  ExpectWhere(id.In({1, 2, 3}), R"sql("t"."id" IN (?, ?, ?))sql",
              R"sql("t"."id" IN ($1, $2, $3))sql", {1, 2, 3});
}

// PostgreSQL takes at most 65,535 parameters per statement: a longer IN list
// of bound values is one array parameter there. SQLite binds each value.
TEST(CompilerTest, LongInListIsOneArrayParameterOnPostgres) {
  const Table t("t");
  const auto id = t.Col<int64_t>("id");
  const auto status = t.Col<std::string>("status");
  std::vector<int64_t> ids;
  for (int64_t i = 0; i <= static_cast<int64_t>(kPostgresMaxInlineInList); ++i) ids.push_back(i);
  sql::Array id_array;
  for (const int64_t i : ids) id_array.elements.emplace_back(i);
  ExpectSql(Select().From(t).Where(id.In(ids)), Pg(),
            R"sql(SELECT * FROM "t" WHERE "t"."id" = ANY($1))sql", {Value(id_array)});
  ExpectSql(Select().From(t).Where(id.NotIn(ids) && t.C("x") == 7), Pg(),
            R"sql(SELECT * FROM "t" WHERE "t"."id" <> ALL($1) AND "t"."x" = $2)sql",
            {Value(id_array), 7});
  const absl::StatusOr<CompiledStatement> lite = Lite().Compile(Select().From(t).Where(id.In(ids)));
  ASSERT_TRUE(lite.ok()) << lite.status();
  EXPECT_EQ(lite->params.size(), ids.size());
  EXPECT_THAT(lite->sql, HasSubstr(R"sql("t"."id" IN (?, ?, )sql"));

  // Up to the limit the list stays inline.
  ids.pop_back();
  const absl::StatusOr<CompiledStatement> inline_list =
      Pg().Compile(Select().From(t).Where(id.In(ids)));
  ASSERT_TRUE(inline_list.ok()) << inline_list.status();
  EXPECT_EQ(inline_list->params.size(), kPostgresMaxInlineInList);
  EXPECT_THAT(inline_list->sql, EndsWith(absl::StrCat("$", kPostgresMaxInlineInList, ")")));

  // Text values and NULLs go into the array as they are.
  std::vector<std::optional<std::string>> names(kPostgresMaxInlineInList + 1, "n");
  names[3] = std::nullopt;
  sql::Array name_array;
  for (const auto& name : names) name_array.elements.push_back(name ? Value(*name) : Value());
  ExpectSql(Select().From(t).Where(sql::In(t.C("name"), names)), Pg(),
            R"sql(SELECT * FROM "t" WHERE "t"."name" = ANY($1))sql", {Value(name_array)});

  // A list holding an expression stays inline: an array carries values only.
  std::vector<Expr> mixed(kPostgresMaxInlineInList + 1, sql::Param(1));
  mixed.back() = t.C("other");
  const absl::StatusOr<CompiledStatement> with_column =
      Pg().Compile(Select().From(t).Where(sql::In(status, mixed)));
  ASSERT_TRUE(with_column.ok()) << with_column.status();
  EXPECT_THAT(with_column->sql, EndsWith(R"sql(, "t"."other"))sql"));
}

TEST(CompilerTest, InWithAnEmptyListIsConstant) {
  const Table t("t");
  const auto status = t.Col<std::string>("status");
  ExpectWhere(status.In(std::vector<std::string>{}), "1 = 0", "1 = 0");
  ExpectWhere(status.NotIn(std::vector<std::string>{}), "1 = 1", "1 = 1");
  ExpectWhere(status.In(std::vector<std::string>{}) || t.C("x") == 1,
              R"sql(1 = 0 OR "t"."x" = ?)sql", R"sql(1 = 0 OR "t"."x" = $1)sql", {1});
}

TEST(CompilerTest, InWithSubquery) {
  const Table t("t");
  const Table vips("vips");
  const Select vip_ids = Select({vips.C("id")}).From(vips).Where(vips.C("level") > 2);
  ExpectWhere(t.Col<int64_t>("customer_id").In(vip_ids) && t.C("x") == 1,
              R"sql("t"."customer_id" IN (SELECT "vips"."id" FROM "vips" WHERE )sql"
              R"sql("vips"."level" > ?) AND "t"."x" = ?)sql",
              R"sql("t"."customer_id" IN (SELECT "vips"."id" FROM "vips" WHERE )sql"
              R"sql("vips"."level" > $1) AND "t"."x" = $2)sql",
              {2, 1});
  ExpectWhere(t.Col<int64_t>("customer_id").NotIn(vip_ids),
              R"sql("t"."customer_id" NOT IN (SELECT "vips"."id" FROM "vips" WHERE )sql"
              R"sql("vips"."level" > ?))sql",
              R"sql("t"."customer_id" NOT IN (SELECT "vips"."id" FROM "vips" WHERE )sql"
              R"sql("vips"."level" > $1))sql",
              {2});
  const Table customers("customers");
  ExpectWhere(
      t.Col<int64_t>("customer_id")
          .In(Select({customers.C("id")}).From(customers).Where(customers.C("vip") == true)),
      R"sql("t"."customer_id" IN (SELECT "customers"."id" FROM "customers" WHERE )sql"
      R"sql("customers"."vip" = ?))sql",
      R"sql("t"."customer_id" IN (SELECT "customers"."id" FROM "customers" WHERE )sql"
      R"sql("customers"."vip" = $1))sql",
      {true});
}

TEST(CompilerTest, Between) {
  const Table t("t");
  const auto id = t.Col<int64_t>("id");
  const Expr x = t.C("x");
  ExpectWhere(id.Between(1, 5), R"sql("t"."id" BETWEEN ? AND ?)sql",
              R"sql("t"."id" BETWEEN $1 AND $2)sql", {1, 5});
  ExpectWhere(id.Between(x + 1, x * 2), R"sql("t"."id" BETWEEN "t"."x" + ? AND "t"."x" * ?)sql",
              R"sql("t"."id" BETWEEN "t"."x" + $1 AND "t"."x" * $2)sql", {1, 2});
  ExpectWhere(sql::MakeBetween(id, sql::Param(1), sql::Param(5), /*negated=*/true),
              R"sql("t"."id" NOT BETWEEN ? AND ?)sql", R"sql("t"."id" NOT BETWEEN $1 AND $2)sql",
              {1, 5});
}

TEST(CompilerTest, LikeAndNotLikeEscapeWithBackslash) {
  const auto name = Table("t").Col<std::string>("name");
  ExpectWhere(name.Like("a%"), R"sql("t"."name" LIKE ? ESCAPE '\')sql",
              R"sql("t"."name" LIKE $1 ESCAPE '\')sql", {"a%"});
  ExpectWhere(name.NotLike("a%"), R"sql("t"."name" NOT LIKE ? ESCAPE '\')sql",
              R"sql("t"."name" NOT LIKE $1 ESCAPE '\')sql", {"a%"});
}

TEST(CompilerTest, ILikeIsNativeOnPostgresAndCaseMappedOnSqlite) {
  const auto name = Table("t").Col<std::string>("name");
  ExpectWhere(name.ILike("a%"), R"sql(duo_lower("t"."name") LIKE duo_lower(?) ESCAPE '\')sql",
              R"sql("t"."name" ILIKE $1 ESCAPE '\')sql", {"a%"});
  ExpectWhere(name.NotILike("a%"),
              R"sql(duo_lower("t"."name") NOT LIKE duo_lower(?) ESCAPE '\')sql",
              R"sql("t"."name" NOT ILIKE $1 ESCAPE '\')sql", {"a%"});
}

TEST(CompilerTest, EscapeLikeMakesUserTextMatchLiterally) {
  EXPECT_EQ(sql::EscapeLike(R"(50%_off\)"), R"(50\%\_off\\)");
  EXPECT_EQ(sql::EscapeLike("plain"), "plain");
  const auto name = Table("t").Col<std::string>("name");
  ExpectWhere(name.Like("%" + sql::EscapeLike("50%_off") + "%"),
              R"sql("t"."name" LIKE ? ESCAPE '\')sql", R"sql("t"."name" LIKE $1 ESCAPE '\')sql",
              {R"(%50\%\_off%)"});
}

TEST(CompilerTest, RegularExpressionsPerDialect) {
  const auto name = Table("t").Col<std::string>("name");
  ExpectWhere(name.Matches("^a"), R"sql("t"."name" REGEXP ?)sql", R"sql("t"."name" ~ $1)sql",
              {"^a"});
  ExpectWhere(name.Matches("^a", /*case_insensitive=*/true),
              R"sql("t"."name" REGEXP ('(?i)' || ?))sql", R"sql("t"."name" ~* $1)sql", {"^a"});
  ExpectWhere(sql::MakeRegex(name, sql::Param("^a"), /*case_insensitive=*/false, /*negated=*/true),
              R"sql(NOT ("t"."name" REGEXP ?))sql", R"sql("t"."name" !~ $1)sql", {"^a"});
  ExpectWhere(sql::MakeRegex(name, sql::Param("^a"), /*case_insensitive=*/true, /*negated=*/true),
              R"sql(NOT ("t"."name" REGEXP ('(?i)' || ?)))sql", R"sql("t"."name" !~* $1)sql",
              {"^a"});
}

// On PostgreSQL ~ and || share one precedence level and associate left, so an
// unparenthesized `x ~ p || '$'` is `(x ~ p) || '$'`: a text, not a match.
TEST(CompilerTest, RegexPatternBuiltByConcatenationKeepsItsGrouping) {
  const Table t("t");
  const auto name = t.Col<std::string>("name");
  ExpectWhere(name.Matches(sql::Concat(t.C("prefix"), sql::Param("$"))),
              R"sql("t"."name" REGEXP "t"."prefix" || ?)sql",
              R"sql("t"."name" ~ ("t"."prefix" || $1))sql", {"$"});
}

// ---- CASE, CAST, COALESCE, EXISTS, scalar subqueries ------------------------

TEST(CompilerTest, CaseWithAndWithoutOperand) {
  const Table orders("orders");
  const auto total = orders.Col<double>("total");
  const auto status = orders.Col<std::string>("status");
  const Select select =
      Select(
          {Case().When(total > 100, "big").When(total > 10, "medium").Else("small").Label("size"),
           Case(status).When("paid", 1).When("new", 2).End(),
           Case(status).When("paid", true).Else(false)})
          .From(orders);
  ExpectBoth(
      select,
      R"sql(SELECT CASE WHEN "orders"."total" > ? THEN ? WHEN "orders"."total" > ? THEN ? )sql"
      R"sql(ELSE ? END AS "size", CASE "orders"."status" WHEN ? THEN ? WHEN ? THEN ? END, )sql"
      R"sql(CASE "orders"."status" WHEN ? THEN ? ELSE ? END FROM "orders")sql",
      R"sql(SELECT CASE WHEN "orders"."total" > $1 THEN $2 WHEN "orders"."total" > $3 )sql"
      R"sql(THEN $4 ELSE $5 END AS "size", CASE "orders"."status" WHEN $6 THEN $7 WHEN $8 )sql"
      R"sql(THEN $9 END, CASE "orders"."status" WHEN $10 THEN $11 ELSE $12 END FROM )sql"
      R"sql("orders")sql",
      {100, "big", 10, "medium", "small", "paid", 1, "new", 2, "paid", true, false});
}

TEST(CompilerTest, CaseWithoutWhenIsAnError) {
  const Table t("t");
  ExpectErrorOnBoth(Select({Case().Else(1)}).From(t), absl::StatusCode::kInvalidArgument,
                    HasSubstr("CASE needs at least one WHEN"));
  ExpectErrorOnBoth(Select({Case(t.C("x")).End()}).From(t), absl::StatusCode::kInvalidArgument,
                    HasSubstr("CASE needs at least one WHEN"));
}

TEST(CompilerTest, CastSpellsTypesPerDialect) {
  struct Spelling {
    SqlType type;
    std::string sqlite;
    std::string postgres;
  };
  const std::vector<Spelling> spellings = {
      {SqlType::Boolean(), "BOOLEAN", "boolean"},
      {SqlType::SmallInt(), "SMALLINT", "smallint"},
      {SqlType::Integer(), "INTEGER", "integer"},
      {SqlType::BigInt(), "BIGINT", "bigint"},
      {SqlType::Real(), "REAL", "real"},
      {SqlType::Double(), "DOUBLE", "double precision"},
      {SqlType::Numeric(10, 2), "DECIMAL_TEXT(10, 2)", "numeric(10, 2)"},
      {SqlType::Text(), "TEXT", "text"},
      {SqlType::Varchar(20), "VARCHAR(20)", "varchar(20)"},
      {SqlType::Blob(), "BLOB", "bytea"},
      {SqlType::Json(), "JSON_TEXT", "jsonb"},
      {SqlType::Custom("citext"), "citext", "citext"},
  };
  const Table t("t");
  for (const Spelling& spelling : spellings) {
    SCOPED_TRACE(spelling.postgres);
    ExpectBoth(
        Select({sql::Cast(t.C("x"), spelling.type)}).From(t),
        absl::StrCat(R"sql(SELECT CAST("t"."x" AS )sql", spelling.sqlite, R"sql() FROM "t")sql"),
        absl::StrCat(R"sql(SELECT CAST("t"."x" AS )sql", spelling.postgres, R"sql() FROM "t")sql"));
  }
  ExpectSql(
      Select({sql::Cast<absl::Time>(t.C("x")), sql::Cast<absl::CivilDay>(t.C("x"))}).From(t), Pg(),
      R"sql(SELECT CAST("t"."x" AS timestamp with time zone), CAST("t"."x" AS date) FROM "t")sql");
  ExpectWhere(sql::Cast(t.C("x"), SqlType::BigInt()) / 2 > sql::Cast<int32_t>(t.C("y")),
              R"sql(CAST("t"."x" AS BIGINT) / ? > CAST("t"."y" AS INTEGER))sql",
              R"sql(CAST("t"."x" AS bigint) / $1 > CAST("t"."y" AS integer))sql", {2});
}

TEST(CompilerTest, CaseCastCoalesceExistsAndScalarSubqueriesInOneStatement) {
  const Table orders("orders");
  const auto total = orders.Col<double>("total");
  const Table items("items");
  const Select count_items =
      Select({func::Count()}).From(items).Where(items.C("order_id") == orders.C("id"));
  const Select select =
      Select({Case().When(total > 100, "big").Else("small").Label("size"),
              Case(orders.C("status")).When("a", 1).End(), sql::Cast<int64_t>(total),
              sql::Cast(total, sql::SqlType::Numeric(10, 2)), sql::Coalesce(orders.C("note"), "-"),
              count_items.AsScalar().Label("n")})
          .From(orders)
          .Where(sql::Exists(count_items) && sql::NotExists(Select({sql::Param(1)})));
  ExpectSql(select, Pg(),
            "SELECT CASE WHEN \"orders\".\"total\" > $1 THEN $2 ELSE $3 END AS \"size\", "
            "CASE \"orders\".\"status\" WHEN $4 THEN $5 END, CAST(\"orders\".\"total\" AS bigint), "
            "CAST(\"orders\".\"total\" AS numeric(10, 2)), coalesce(\"orders\".\"note\", $6), "
            "(SELECT count(*) FROM \"items\" WHERE \"items\".\"order_id\" = \"orders\".\"id\") "
            "AS \"n\" FROM \"orders\" WHERE EXISTS (SELECT count(*) FROM \"items\" WHERE "
            "\"items\".\"order_id\" = \"orders\".\"id\") AND NOT EXISTS (SELECT $7)",
            {100, "big", "small", "a", 1, "-", 1});
  ExpectSql(Select({sql::Cast(total, sql::SqlType::Numeric(10, 2)), sql::Cast<bool>(total),
                    sql::Cast(total, sql::SqlType::Json())}),
            Lite(),
            "SELECT CAST(\"orders\".\"total\" AS DECIMAL_TEXT(10, 2)), "
            "CAST(\"orders\".\"total\" AS BOOLEAN), CAST(\"orders\".\"total\" AS JSON_TEXT)");
}

// SQLite's type affinity rules (https://www.sqlite.org/datatype3.html, 3.1).
std::string SqliteAffinity(absl::string_view declared_type) {
  const std::string type = absl::AsciiStrToUpper(declared_type);
  if (absl::StrContains(type, "INT")) return "INTEGER";
  if (absl::StrContains(type, "CHAR") || absl::StrContains(type, "CLOB") ||
      absl::StrContains(type, "TEXT")) {
    return "TEXT";
  }
  if (absl::StrContains(type, "BLOB") || type.empty()) return "BLOB";
  if (absl::StrContains(type, "REAL") || absl::StrContains(type, "FLOA") ||
      absl::StrContains(type, "DOUB")) {
    return "REAL";
  }
  return "NUMERIC";
}

// DuoORM stores timestamps and dates on SQLite as ISO-8601 text. A CAST to a
// type of NUMERIC affinity keeps only the leading number of that text:
// CAST('2026-11-25T02:30:00.000000Z' AS TIMESTAMP) is the integer 2026.
TEST(CompilerTest, SqliteCastsToTextStoredTypesKeepTextAffinity) {
  const std::vector<SqlType> text_stored = {SqlType::Text(),         SqlType::Varchar(20),
                                            SqlType::Numeric(10, 2), SqlType::Json(),
                                            SqlType::Timestamp(),    SqlType::Date()};
  for (const SqlType& type : text_stored) {
    const std::string name = Lite().TypeName(type);
    EXPECT_EQ(SqliteAffinity(name), "TEXT") << "CAST(x AS " << name << ")";
  }
}

TEST(CompilerTest, Coalesce) {
  const Table t("t");
  const Select select = Select({sql::Coalesce(t.Col<std::optional<std::string>>("note"), "-"),
                                sql::Coalesce(t.C("a"), t.C("b"), 0)})
                            .From(t);
  ExpectBoth(select,
             R"sql(SELECT coalesce("t"."note", ?), coalesce("t"."a", "t"."b", ?) FROM "t")sql",
             R"sql(SELECT coalesce("t"."note", $1), coalesce("t"."a", "t"."b", $2) FROM "t")sql",
             {"-", 0});
}

TEST(CompilerTest, ExistsAndNotExists) {
  const Table orders("orders");
  const Table items("items");
  const Table refunds("refunds");
  const Select big_items = Select({items.C("id")})
                               .From(items)
                               .Where(items.C("order_id") == orders.C("id"))
                               .Where(items.C("qty") > 5);
  const Select refunded = Select().From(refunds).Where(refunds.C("order_id") == orders.C("id"));
  ExpectBoth(
      Select({orders.C("id")})
          .From(orders)
          .Where(sql::Exists(big_items) && sql::NotExists(refunded)),
      R"sql(SELECT "orders"."id" FROM "orders" WHERE EXISTS (SELECT "items"."id" FROM )sql"
      R"sql("items" WHERE "items"."order_id" = "orders"."id" AND "items"."qty" > ?) AND )sql"
      R"sql(NOT EXISTS (SELECT * FROM "refunds" WHERE "refunds"."order_id" = )sql"
      R"sql("orders"."id"))sql",
      R"sql(SELECT "orders"."id" FROM "orders" WHERE EXISTS (SELECT "items"."id" FROM )sql"
      R"sql("items" WHERE "items"."order_id" = "orders"."id" AND "items"."qty" > $1) AND )sql"
      R"sql(NOT EXISTS (SELECT * FROM "refunds" WHERE "refunds"."order_id" = )sql"
      R"sql("orders"."id"))sql",
      {5});
  ExpectBoth(Select().From(orders).Where(!sql::Exists(refunded)),
             R"sql(SELECT * FROM "orders" WHERE NOT EXISTS (SELECT * FROM "refunds" WHERE )sql"
             R"sql("refunds"."order_id" = "orders"."id"))sql",
             R"sql(SELECT * FROM "orders" WHERE NOT EXISTS (SELECT * FROM "refunds" WHERE )sql"
             R"sql("refunds"."order_id" = "orders"."id"))sql");
}

TEST(CompilerTest, ScalarSubquery) {
  const Table orders("orders");
  const Table items("items");
  const Select item_count =
      Select({func::Count()}).From(items).Where(items.C("order_id") == orders.C("id"));
  const Select select = Select({orders.C("id"), item_count.AsScalar().Label("item_count")})
                            .From(orders)
                            .Where(item_count.AsScalar<int64_t>() > 2);
  const std::string subquery =
      R"sql((SELECT count(*) FROM "items" WHERE "items"."order_id" = "orders"."id"))sql";
  ExpectBoth(select,
             absl::StrCat(R"sql(SELECT "orders"."id", )sql", subquery,
                          R"sql( AS "item_count" FROM "orders" WHERE )sql", subquery, " > ?"),
             absl::StrCat(R"sql(SELECT "orders"."id", )sql", subquery,
                          R"sql( AS "item_count" FROM "orders" WHERE )sql", subquery, " > $1"),
             {2});
}

// ---- Labels, functions, aggregates and windows ------------------------------

TEST(CompilerTest, LabelNamesAColumnAndOrderByUsesTheName) {
  const Table t("t");
  const Expr sum = (t.C("a") + t.C("b")).Label("s");
  const Select select = Select({sum}).From(t).Where(sum > 5).OrderBy(sum.Desc());
  ExpectBoth(select,
             R"sql(SELECT "t"."a" + "t"."b" AS "s" FROM "t" WHERE "t"."a" + "t"."b" > ? )sql"
             R"sql(ORDER BY "s" DESC)sql",
             R"sql(SELECT "t"."a" + "t"."b" AS "s" FROM "t" WHERE "t"."a" + "t"."b" > $1 )sql"
             R"sql(ORDER BY "s" DESC)sql",
             {5});
  ExpectBoth(Select({(t.C("a") * 2).Label("double")}).From(t),
             R"sql(SELECT "t"."a" * ? AS "double" FROM "t")sql",
             R"sql(SELECT "t"."a" * $1 AS "double" FROM "t")sql", {2});
}

TEST(CompilerTest, AggregatesAndFunctionsByName) {
  const Table t("t");
  const auto total = t.Col<double>("total");
  const auto name = t.Col<std::string>("name");
  const Select select =
      Select({func::Count(), func::Count(t.C("customer_id")).Distinct(), func::Sum(total),
              func::Avg(total), func::Min(total), func::Max(total), func::Lower(name),
              func::Upper(name), func::Length(name), func::Call("json_extract", t.C("doc"), "$.a"),
              func::Call("random"), func::Call("pg_catalog.lower", name)})
          .From(t);
  ExpectBoth(
      select,
      R"sql(SELECT count(*), count(DISTINCT "t"."customer_id"), sum("t"."total"), )sql"
      R"sql(avg("t"."total"), min("t"."total"), max("t"."total"), duo_lower("t"."name"), )sql"
      R"sql(duo_upper("t"."name"), length("t"."name"), json_extract("t"."doc", ?), random(), )sql"
      R"sql(pg_catalog.lower("t"."name") FROM "t")sql",
      R"sql(SELECT count(*), count(DISTINCT "t"."customer_id"), sum("t"."total"), )sql"
      R"sql(avg("t"."total"), min("t"."total"), max("t"."total"), lower("t"."name"), )sql"
      R"sql(upper("t"."name"), length("t"."name"), json_extract("t"."doc", $1), random(), )sql"
      R"sql(pg_catalog.lower("t"."name") FROM "t")sql",
      {"$.a"});
}

TEST(CompilerTest, FunctionsAggregatesAndFiltersInOneStatement) {
  const Table orders("orders");
  const auto total = orders.Col<double>("total");
  const Select select =
      Select({func::Count(), func::Count(orders.C("customer_id")).Distinct(), func::Sum(total),
              func::Avg(total), func::Min(total), func::Max(total), func::Lower(orders.C("s")),
              func::Sum(total).Filter(orders.C("status") == "paid"),
              func::Call("json_extract", orders.C("doc"), "$.a"), func::Now()})
          .From(orders);
  ExpectSql(select, Pg(),
            "SELECT count(*), count(DISTINCT \"orders\".\"customer_id\"), "
            "sum(\"orders\".\"total\"), avg(\"orders\".\"total\"), min(\"orders\".\"total\"), "
            "max(\"orders\".\"total\"), lower(\"orders\".\"s\"), sum(\"orders\".\"total\") "
            "FILTER (WHERE \"orders\".\"status\" = $1), json_extract(\"orders\".\"doc\", $2), "
            "CURRENT_TIMESTAMP FROM \"orders\"",
            {"paid", "$.a"});
}

TEST(CompilerTest, InvalidFunctionNameIsAnError) {
  for (const char* name : {"drop table x; --", "1st", "f(x)", "a b", ""}) {
    SCOPED_TRACE(name);
    ExpectErrorOnBoth(Select({func::Call(name, 1)}), absl::StatusCode::kInvalidArgument,
                      HasSubstr("is not a valid SQL function name"));
  }
}

TEST(CompilerTest, AggregateFilter) {
  const Table t("t");
  const auto total = t.Col<double>("total");
  const auto status = t.Col<std::string>("status");
  const Select select = Select({func::Count().Filter(status == "paid"),
                                func::Sum(total).Filter(status == "paid").Filter(total > 10),
                                func::Count(t.C("customer_id")).Distinct().Filter(total > 0)})
                            .From(t);
  ExpectBoth(select,
             R"sql(SELECT count(*) FILTER (WHERE "t"."status" = ?), sum("t"."total") FILTER )sql"
             R"sql((WHERE "t"."status" = ? AND "t"."total" > ?), count(DISTINCT )sql"
             R"sql("t"."customer_id") FILTER (WHERE "t"."total" > ?) FROM "t")sql",
             R"sql(SELECT count(*) FILTER (WHERE "t"."status" = $1), sum("t"."total") FILTER )sql"
             R"sql((WHERE "t"."status" = $2 AND "t"."total" > $3), count(DISTINCT )sql"
             R"sql("t"."customer_id") FILTER (WHERE "t"."total" > $4) FROM "t")sql",
             {"paid", "paid", 10, 0});
}

TEST(CompilerTest, RankingAndOffsetWindowFunctions) {
  const Table orders("orders");
  const auto total = orders.Col<double>("total");
  const Expr customer = orders.C("customer_id");
  const WindowSpec by_customer =
      Window().PartitionBy(customer).OrderBy(orders.C("created_at").Desc());
  const Select select =
      Select({func::RowNumber().Over(by_customer).Label("rn"),
              func::Rank().Over(Window().OrderBy(total.Desc())),
              func::DenseRank().Over(
                  Window().PartitionBy(customer, orders.C("status")).OrderBy(total)),
              func::Lag(total).Over(by_customer), func::Lead(total, 2).Over(by_customer),
              func::FirstValue(total).Over(by_customer)})
          .From(orders);
  const std::string over =
      R"sql(OVER (PARTITION BY "orders"."customer_id" ORDER BY "orders"."created_at" DESC))sql";
  const std::string common = absl::StrCat(
      "SELECT row_number() ", over,
      R"sql( AS "rn", rank() OVER (ORDER BY "orders"."total" DESC), dense_rank() OVER )sql"
      R"sql((PARTITION BY "orders"."customer_id", "orders"."status" ORDER BY )sql"
      R"sql("orders"."total"), )sql");
  ExpectBoth(
      select,
      absl::StrCat(common, R"sql(lag("orders"."total", ?) )sql", over,
                   R"sql(, lead("orders"."total", ?) )sql", over,
                   R"sql(, first_value("orders"."total") )sql", over, R"sql( FROM "orders")sql"),
      absl::StrCat(common, R"sql(lag("orders"."total", $1) )sql", over,
                   R"sql(, lead("orders"."total", $2) )sql", over,
                   R"sql(, first_value("orders"."total") )sql", over, R"sql( FROM "orders")sql"),
      {1, 2});
}

TEST(CompilerTest, AggregatesOverWindowFrames) {
  const Table orders("orders");
  const auto total = orders.Col<double>("total");
  const Expr id = orders.C("id");
  const Select select =
      Select({func::Sum(total).Over(
                  Window()
                      .PartitionBy(orders.C("customer_id"))
                      .OrderBy(id)
                      .Rows(FrameBound::UnboundedPreceding(), FrameBound::CurrentRow())),
              func::Avg(total).Over(
                  Window().OrderBy(id).Range(FrameBound::Preceding(3), FrameBound::Following(1))),
              func::Max(total).Over(Window().OrderBy(id).Rows(FrameBound::CurrentRow(),
                                                              FrameBound::UnboundedFollowing())),
              func::Count().Over(Window()),
              func::Count().Filter(total > 5).Over(Window().PartitionBy(orders.C("customer_id")))})
          .From(orders);
  const std::string head =
      R"sql(SELECT sum("orders"."total") OVER (PARTITION BY "orders"."customer_id" ORDER BY )sql"
      R"sql("orders"."id" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), )sql"
      R"sql(avg("orders"."total") OVER (ORDER BY "orders"."id" RANGE BETWEEN 3 PRECEDING AND 1 )sql"
      R"sql(FOLLOWING), )sql"
      R"sql(max("orders"."total") OVER (ORDER BY "orders"."id" ROWS BETWEEN CURRENT ROW AND )sql"
      R"sql(UNBOUNDED FOLLOWING), count(*) OVER (), count(*) FILTER (WHERE "orders"."total" > )sql";
  const std::string tail = R"sql() OVER (PARTITION BY "orders"."customer_id") FROM "orders")sql";
  ExpectBoth(select, head + "?" + tail, head + "$1" + tail, {5});
}

TEST(CompilerTest, WindowFunctionsAndFramesInOneStatement) {
  const Table orders("orders");
  const Expr customer = orders.C("customer_id");
  const Expr id = orders.C("id");
  const Select select =
      Select({func::RowNumber().Over(Window().PartitionBy(customer).OrderBy(id.Desc())),
              func::Sum(orders.C("total"))
                  .Over(Window().OrderBy(id).Rows(FrameBound::UnboundedPreceding(),
                                                  FrameBound::CurrentRow())),
              func::Avg(orders.C("total"))
                  .Over(Window().OrderBy(id).Range(FrameBound::Preceding(2),
                                                   FrameBound::Following(1))),
              func::Lag(id, 2).Over(Window().OrderBy(id)), func::Rank().Over(Window())})
          .From(orders);
  const std::string sql =
      "SELECT row_number() OVER (PARTITION BY \"orders\".\"customer_id\" ORDER BY "
      "\"orders\".\"id\" DESC), sum(\"orders\".\"total\") OVER (ORDER BY \"orders\".\"id\" ROWS "
      "BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), avg(\"orders\".\"total\") OVER (ORDER BY "
      "\"orders\".\"id\" RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING), lag(\"orders\".\"id\", ?) "
      "OVER (ORDER BY \"orders\".\"id\"), rank() OVER () FROM \"orders\"";
  ExpectSql(select, Lite(), sql, {2});
}

// A window's ORDER BY cannot name a result column: PostgreSQL rejects
// `OVER (ORDER BY "spent")` (column "spent" does not exist), and SQLite reads
// the unknown "spent" as the string 'spent', so every row ranks first.
TEST(CompilerTest, LabelInsideWindowOrderByRendersItsExpression) {
  const Table orders("orders");
  const Expr customer = orders.C("customer_id");
  const auto spent = func::Sum(orders.Col<double>("total")).Label("spent");
  const Select select =
      Select({customer, spent, func::Rank().Over(Window().OrderBy(spent.Desc())).Label("rank")})
          .From(orders)
          .GroupBy(customer)
          .OrderBy(spent.Desc());
  const std::string sql =
      R"sql(SELECT "orders"."customer_id", sum("orders"."total") AS "spent", rank() OVER )sql"
      R"sql((ORDER BY sum("orders"."total") DESC) AS "rank" FROM "orders" GROUP BY )sql"
      R"sql("orders"."customer_id" ORDER BY "spent" DESC)sql";
  ExpectBoth(select, sql, sql);
}

TEST(CompilerTest, CurrentTimestampPerDialect) {
  const Table orders("orders");
  const Select select = Select({sql::CurrentTimestamp().Label("now")})
                            .From(orders)
                            .Where(orders.Col<absl::Time>("created_at") < func::Now());
  ExpectBoth(
      select,
      absl::StrCat("SELECT ", kSqliteNow,
                   R"sql( AS "now" FROM "orders" WHERE "orders"."created_at" < )sql", kSqliteNow),
      R"sql(SELECT CURRENT_TIMESTAMP AS "now" FROM "orders" WHERE )sql"
      R"sql("orders"."created_at" < CURRENT_TIMESTAMP)sql");
}

// ---- SELECT clauses ---------------------------------------------------------

TEST(CompilerTest, JoinsOfEveryKind) {
  const Table customers("customers");
  const Table orders("orders");
  const Table items("items");
  const Table regions("regions");
  const Table notes("notes");
  const Table days("days");
  const Select select = Select({customers.C("name"), orders.C("id")})
                            .From(customers)
                            .Join(orders, orders.C("customer_id") == customers.C("id") &&
                                              orders.C("status") == "paid")
                            .LeftJoin(items, items.C("order_id") == orders.C("id"))
                            .RightJoin(regions, regions.C("id") == customers.C("region_id"))
                            .FullJoin(notes, notes.C("order_id") == orders.C("id"))
                            .CrossJoin(days);
  const std::string head =
      R"sql(SELECT "customers"."name", "orders"."id" FROM "customers" JOIN "orders" ON )sql"
      R"sql("orders"."customer_id" = "customers"."id" AND "orders"."status" = )sql";
  const std::string tail =
      R"sql( LEFT JOIN "items" ON "items"."order_id" = "orders"."id" RIGHT JOIN "regions" ON )sql"
      R"sql("regions"."id" = "customers"."region_id" FULL JOIN "notes" ON "notes"."order_id" = )sql"
      R"sql("orders"."id" CROSS JOIN "days")sql";
  ExpectBoth(select, head + "?" + tail, head + "$1" + tail, {"paid"});
  ExpectBoth(Select().From(customers).From(orders), R"sql(SELECT * FROM "customers", "orders")sql",
             R"sql(SELECT * FROM "customers", "orders")sql");
}

TEST(CompilerTest, SelfJoinThroughAliases) {
  const Table employees("employees");
  const Table manager = employees.Alias("manager");
  const std::string sql =
      R"sql(SELECT "employees"."name", "manager"."name" AS "manager_name" FROM "employees" )sql"
      R"sql(LEFT JOIN "employees" AS "manager" ON "employees"."manager_id" = "manager"."id")sql";
  ExpectBoth(Select({employees.C("name"), manager.C("name").Label("manager_name")})
                 .From(employees)
                 .LeftJoin(manager, employees.C("manager_id") == manager.C("id")),
             sql, sql);
  const Table e = employees.Alias("e");
  const Table m = employees.Alias("m");
  const std::string both =
      R"sql(SELECT "m"."name" FROM "employees" AS "e" JOIN "employees" AS "m" ON )sql"
      R"sql("e"."manager_id" = "m"."id")sql";
  ExpectBoth(Select({m.C("name")}).From(e).Join(m, e.C("manager_id") == m.C("id")), both, both);
}

TEST(CompilerTest, GroupByHavingOrderByLimitOffset) {
  const Table orders("orders");
  const Expr customer = orders.C("customer_id");
  const auto total = orders.Col<double>("total");
  const Select select = Select({customer, func::Sum(total).Label("spent")})
                            .From(orders)
                            .Where(orders.C("status") == "paid")
                            .Where(total > 0)
                            .GroupBy(customer)
                            .Having(func::Sum(total) > 100)
                            .Having(func::Count() >= 2)
                            .OrderBy(func::Sum(total).Label("spent").Desc(), customer.Asc())
                            .Limit(10)
                            .Offset(20);
  const std::string head =
      R"sql(SELECT "orders"."customer_id", sum("orders"."total") AS "spent" FROM "orders" )sql"
      R"sql(WHERE )sql";
  ExpectBoth(
      select,
      head + R"sql("orders"."status" = ? AND "orders"."total" > ? GROUP BY )sql"
             R"sql("orders"."customer_id" HAVING sum("orders"."total") > ? AND count(*) >= ? )sql"
             R"sql(ORDER BY "spent" DESC, "orders"."customer_id" LIMIT ? OFFSET ?)sql",
      head + R"sql("orders"."status" = $1 AND "orders"."total" > $2 GROUP BY )sql"
             R"sql("orders"."customer_id" HAVING sum("orders"."total") > $3 AND count(*) >= )sql"
             R"sql($4 ORDER BY "spent" DESC, "orders"."customer_id" LIMIT $5 OFFSET $6)sql",
      {"paid", 0, 100, 2, 10, 20});
}

TEST(CompilerTest, JoinsGroupingOrderingAndPaginationInOneStatement) {
  const Table orders("orders");
  const Table c("customers");
  const Table boss = c.Alias("boss");
  const Select select = Select({c.C("name"), func::Count().Label("orders")})
                            .From(c)
                            .LeftJoin(orders, orders.C("customer_id") == c.C("id"))
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
}

TEST(CompilerTest, OrderByDirectionsAndNulls) {
  const Table t("t");
  const Select select = Select().From(t).OrderBy(t.C("a"), t.C("b").Asc().NullsFirst(),
                                                 t.C("c").Desc(), t.C("d").Desc().NullsLast());
  const std::string sql =
      R"sql(SELECT * FROM "t" ORDER BY "t"."a", "t"."b" NULLS FIRST, "t"."c" DESC, "t"."d" )sql"
      R"sql(DESC NULLS LAST)sql";
  ExpectBoth(select, sql, sql);
}

TEST(CompilerTest, LimitAndOffset) {
  const Table t("t");
  ExpectBoth(Select().From(t).Limit(10), R"sql(SELECT * FROM "t" LIMIT ?)sql",
             R"sql(SELECT * FROM "t" LIMIT $1)sql", {10});
  ExpectBoth(Select().From(t).Offset(20), R"sql(SELECT * FROM "t" LIMIT -1 OFFSET ?)sql",
             R"sql(SELECT * FROM "t" OFFSET $1)sql", {20});
  ExpectBoth(Select().From(t).Where(t.C("a") == 1).Limit(10).Offset(20),
             R"sql(SELECT * FROM "t" WHERE "t"."a" = ? LIMIT ? OFFSET ?)sql",
             R"sql(SELECT * FROM "t" WHERE "t"."a" = $1 LIMIT $2 OFFSET $3)sql", {1, 10, 20});
}

TEST(CompilerTest, Distinct) {
  const Table t("t");
  const std::string sql = R"sql(SELECT DISTINCT "t"."status" FROM "t")sql";
  ExpectBoth(Select({t.C("status")}).Distinct().From(t), sql, sql);
}

TEST(CompilerTest, DistinctOnIsPostgresOnly) {
  const Table orders("orders");
  const Select latest = Select()
                            .DistinctOn({orders.C("customer_id")})
                            .From(orders)
                            .OrderBy(orders.C("customer_id"), orders.C("created_at").Desc());
  ExpectSql(latest, Pg(),
            R"sql(SELECT DISTINCT ON ("orders"."customer_id") * FROM "orders" ORDER BY )sql"
            R"sql("orders"."customer_id", "orders"."created_at" DESC)sql");
  ExpectError(latest, Lite(), absl::StatusCode::kUnimplemented,
              AllOf(HasSubstr("sqlite"), HasSubstr("DISTINCT ON")));
  ExpectError(Select().DistinctOn({orders.C("customer_id")}).From(orders), Lite(),
              absl::StatusCode::kUnimplemented, HasSubstr("sqlite does not support DISTINCT ON"));
}

// ---- Set operations ---------------------------------------------------------

TEST(CompilerTest, SetOperations) {
  const Table orders("orders");
  const Table archive("archive");
  const Select paid = Select({orders.C("id")}).From(orders).Where(orders.C("status") == "paid");
  const Select archived = Select({archive.C("id")}).From(archive);
  const std::string paid_sql =
      R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = )sql";
  const std::string archived_sql = R"sql(SELECT "archive"."id" FROM "archive")sql";
  const std::vector<std::pair<Select, std::string>> compounds = {
      {paid.Union(archived), "UNION"},
      {paid.UnionAll(archived), "UNION ALL"},
      {paid.Intersect(archived), "INTERSECT"},
      {paid.Except(archived), "EXCEPT"}};
  for (const auto& [compound, keyword] : compounds) {
    SCOPED_TRACE(keyword);
    ExpectBoth(compound, absl::StrCat(paid_sql, "? ", keyword, " ", archived_sql),
               absl::StrCat("(", paid_sql, "$1) ", keyword, " (", archived_sql, ")"), {"paid"});
  }
}

TEST(CompilerTest, ChainedAndMixedSetOperations) {
  const Table a("a");
  const Table b("b");
  const Table c("c");
  const Select from_a = Select({a.C("id")}).From(a);
  const Select from_b = Select({b.C("id")}).From(b);
  const Select from_c = Select({c.C("id")}).From(c);
  ExpectBoth(
      from_a.Union(from_b).Union(from_c),
      R"sql(SELECT "a"."id" FROM "a" UNION SELECT "b"."id" FROM "b" UNION SELECT "c"."id" )sql"
      R"sql(FROM "c")sql",
      R"sql((SELECT "a"."id" FROM "a") UNION (SELECT "b"."id" FROM "b") UNION (SELECT )sql"
      R"sql("c"."id" FROM "c"))sql");
  ExpectBoth(
      from_a.Union(from_b).Except(from_c),
      R"sql(SELECT * FROM (SELECT "a"."id" FROM "a" UNION SELECT "b"."id" FROM "b") EXCEPT )sql"
      R"sql(SELECT "c"."id" FROM "c")sql",
      R"sql(((SELECT "a"."id" FROM "a") UNION (SELECT "b"."id" FROM "b")) EXCEPT (SELECT )sql"
      R"sql("c"."id" FROM "c"))sql");
  ExpectBoth(from_a.Intersect(from_b.UnionAll(from_c)),
             R"sql(SELECT "a"."id" FROM "a" INTERSECT SELECT * FROM (SELECT "b"."id" FROM "b" )sql"
             R"sql(UNION ALL SELECT "c"."id" FROM "c"))sql",
             R"sql((SELECT "a"."id" FROM "a") INTERSECT ((SELECT "b"."id" FROM "b") UNION ALL )sql"
             R"sql((SELECT "c"."id" FROM "c")))sql");
}

TEST(CompilerTest, ChainedSetOperationsWithALimitedMember) {
  const Table orders("orders");
  const Select a = Select({orders.C("id")}).From(orders).Where(orders.C("a") == 1);
  const Select limited = Select({orders.C("id")}).From(orders).OrderBy(orders.C("id")).Limit(1);
  const Select unioned = a.Union(limited).UnionAll(a).OrderBy(orders.C("id").Desc());
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

TEST(CompilerTest, SetMembersWithTheirOwnOrderAndLimit) {
  const Table orders("orders");
  const Table archive("archive");
  const Select paid = Select({orders.C("id")}).From(orders).Where(orders.C("status") == "paid");
  const Select latest =
      Select({archive.C("id")}).From(archive).OrderBy(archive.C("id").Desc()).Limit(5);
  const Select select = paid.UnionAll(latest).OrderBy(orders.C("id").Desc().NullsLast()).Limit(10);
  ExpectBoth(
      select,
      R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = ? UNION ALL )sql"
      R"sql(SELECT * FROM (SELECT "archive"."id" FROM "archive" ORDER BY "archive"."id" )sql"
      R"sql(DESC LIMIT ?) ORDER BY "id" DESC NULLS LAST LIMIT ?)sql",
      R"sql((SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = $1) UNION ALL )sql"
      R"sql((SELECT "archive"."id" FROM "archive" ORDER BY "archive"."id" DESC LIMIT $2) )sql"
      R"sql(ORDER BY "id" DESC NULLS LAST LIMIT $3)sql",
      {"paid", 5, 10});
  ExpectBoth(paid.Union(paid).Offset(3),
             R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = ? UNION SELECT )sql"
             R"sql("orders"."id" FROM "orders" WHERE "orders"."status" = ? LIMIT -1 OFFSET ?)sql",
             R"sql((SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = $1) UNION )sql"
             R"sql((SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = $2) OFFSET $3)sql",
             {"paid", "paid", 3});
}

// ---- Subqueries in FROM and CTEs --------------------------------------------

TEST(CompilerTest, SubqueryInFrom) {
  const Table orders("orders");
  const Table customers("customers");
  const DerivedTable totals =
      Select({orders.C("customer_id"), func::Sum(orders.C("total")).Label("spent")})
          .From(orders)
          .Where(orders.C("status") == "paid")
          .GroupBy(orders.C("customer_id"))
          .Subquery("totals");
  const Select select = Select({customers.C("name"), totals.C("spent")})
                            .From(customers)
                            .Join(totals, totals.C("customer_id") == customers.C("id"))
                            .Where(totals.C("spent") > 1000);
  const std::string head =
      R"sql(SELECT "customers"."name", "totals"."spent" FROM "customers" JOIN (SELECT )sql"
      R"sql("orders"."customer_id", sum("orders"."total") AS "spent" FROM "orders" WHERE )sql"
      R"sql("orders"."status" = )sql";
  const std::string middle =
      R"sql( GROUP BY "orders"."customer_id") AS "totals" ON "totals"."customer_id" = )sql"
      R"sql("customers"."id" WHERE "totals"."spent" > )sql";
  ExpectBoth(select, head + "?" + middle + "?", head + "$1" + middle + "$2", {"paid", 1000});
  ExpectBoth(Select({totals.C("customer_id")}).From(totals),
             R"sql(SELECT "totals"."customer_id" FROM (SELECT "orders"."customer_id", )sql"
             R"sql(sum("orders"."total") AS "spent" FROM "orders" WHERE "orders"."status" = ? )sql"
             R"sql(GROUP BY "orders"."customer_id") AS "totals")sql",
             R"sql(SELECT "totals"."customer_id" FROM (SELECT "orders"."customer_id", )sql"
             R"sql(sum("orders"."total") AS "spent" FROM "orders" WHERE "orders"."status" = $1 )sql"
             R"sql(GROUP BY "orders"."customer_id") AS "totals")sql",
             {"paid"});
}

TEST(CompilerTest, SeveralCtes) {
  const Table orders("orders");
  const Table customers("customers");
  const Cte paid("paid_orders", Select({orders.C("id"), orders.C("customer_id")})
                                    .From(orders)
                                    .Where(orders.C("status") == "paid"));
  const Cte gold("gold",
                 Select({customers.C("id")}).From(customers).Where(customers.C("tier") == "gold"),
                 {"customer_id"});
  const Select select = Select({paid.C("id")})
                            .With(paid)
                            .With(gold)
                            .From(paid)
                            .Join(gold, gold.C("customer_id") == paid.C("customer_id"));
  ExpectBoth(select,
             R"sql(WITH "paid_orders" AS (SELECT "orders"."id", "orders"."customer_id" FROM )sql"
             R"sql("orders" WHERE "orders"."status" = ?), "gold" ("customer_id") AS (SELECT )sql"
             R"sql("customers"."id" FROM "customers" WHERE "customers"."tier" = ?) SELECT )sql"
             R"sql("paid_orders"."id" FROM "paid_orders" JOIN "gold" ON "gold"."customer_id" = )sql"
             R"sql("paid_orders"."customer_id")sql",
             R"sql(WITH "paid_orders" AS (SELECT "orders"."id", "orders"."customer_id" FROM )sql"
             R"sql("orders" WHERE "orders"."status" = $1), "gold" ("customer_id") AS (SELECT )sql"
             R"sql("customers"."id" FROM "customers" WHERE "customers"."tier" = $2) SELECT )sql"
             R"sql("paid_orders"."id" FROM "paid_orders" JOIN "gold" ON "gold"."customer_id" = )sql"
             R"sql("paid_orders"."customer_id")sql",
             {"paid", "gold"});
}

TEST(CompilerTest, RecursiveCte) {
  const Table nodes("nodes");
  Cte tree = Cte::Recursive("tree", {"id", "depth"});
  tree = tree.As(Select({nodes.C("id"), sql::Param(0)})
                     .From(nodes)
                     .Where(nodes.C("parent_id") == std::nullopt)
                     .UnionAll(Select({nodes.C("id"), tree.C("depth") + 1})
                                   .From(nodes)
                                   .Join(tree, nodes.C("parent_id") == tree.C("id"))));
  const Select select = Select({tree.C("id")}).With(tree).From(tree).Where(tree.C("depth") < 5);
  ExpectBoth(
      select,
      R"sql(WITH RECURSIVE "tree" ("id", "depth") AS (SELECT "nodes"."id", ? FROM "nodes" )sql"
      R"sql(WHERE "nodes"."parent_id" IS NULL UNION ALL SELECT "nodes"."id", "tree"."depth" + )sql"
      R"sql(? FROM "nodes" JOIN "tree" ON "nodes"."parent_id" = "tree"."id") SELECT )sql"
      R"sql("tree"."id" FROM "tree" WHERE "tree"."depth" < ?)sql",
      R"sql(WITH RECURSIVE "tree" ("id", "depth") AS ((SELECT "nodes"."id", $1 FROM )sql"
      R"sql("nodes" WHERE "nodes"."parent_id" IS NULL) UNION ALL (SELECT "nodes"."id", )sql"
      R"sql("tree"."depth" + $2 FROM "nodes" JOIN "tree" ON "nodes"."parent_id" = )sql"
      R"sql("tree"."id")) SELECT "tree"."id" FROM "tree" WHERE "tree"."depth" < $3)sql",
      {0, 1, 5});
}

TEST(CompilerTest, RecursiveCteReadThroughADerivedTable) {
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
}

TEST(CompilerTest, CteWithoutQueryIsAnError) {
  ExpectErrorOnBoth(Select().With(Cte::Recursive("empty")).From(Table("empty")),
                    absl::StatusCode::kInvalidArgument, HasSubstr("CTE \"empty\" has no query"));
}

// ---- Locking and hints ------------------------------------------------------

TEST(CompilerTest, RowLockingOnPostgres) {
  const Table orders("orders");
  const Select select = Select().From(orders).Where(orders.C("id") == 1);
  const std::string base = R"sql(SELECT * FROM "orders" WHERE "orders"."id" = $1)sql";
  ExpectSql(select.ForUpdate(), Pg(), base + " FOR UPDATE", {1});
  ExpectSql(select.ForUpdate(LockClause::Wait::kNowait), Pg(), base + " FOR UPDATE NOWAIT", {1});
  ExpectSql(select.ForUpdate(LockClause::Wait::kSkipLocked, {"orders"}), Pg(),
            base + R"sql( FOR UPDATE OF "orders" SKIP LOCKED)sql", {1});
  ExpectSql(select.ForShare(), Pg(), base + " FOR SHARE", {1});
  ExpectSql(select.ForShare(LockClause::Wait::kNowait, {"o", "c"}), Pg(),
            base + R"sql( FOR SHARE OF "o", "c" NOWAIT)sql", {1});
  ExpectSql(select.WithLock({LockClause::Strength::kNoKeyUpdate}), Pg(),
            base + " FOR NO KEY UPDATE", {1});
  ExpectSql(select.WithLock({LockClause::Strength::kKeyShare}), Pg(), base + " FOR KEY SHARE", {1});
  ExpectSql(select.Limit(5).ForUpdate(LockClause::Wait::kSkipLocked), Pg(),
            base + " LIMIT $2 FOR UPDATE SKIP LOCKED", {1, 5});
  ExpectSql(Select().From(orders).ForShare(LockClause::Wait::kNowait), Pg(),
            R"sql(SELECT * FROM "orders" FOR SHARE NOWAIT)sql");
}

TEST(CompilerTest, RowLockingIsUnimplementedOnSqlite) {
  const Table orders("orders");
  const Select select = Select().From(orders);
  for (const Select& locked : {select.ForUpdate(), select.ForShare(LockClause::Wait::kNowait),
                               select.ForUpdate(LockClause::Wait::kSkipLocked, {"orders"})}) {
    ExpectError(locked, Lite(), absl::StatusCode::kUnimplemented,
                AllOf(HasSubstr("sqlite"), HasSubstr("FOR UPDATE")));
  }
  ExpectError(select.ForUpdate(LockClause::Wait::kSkipLocked, {"orders"}), Lite(),
              absl::StatusCode::kUnimplemented, HasSubstr("sqlite does not support row locking"));
}

TEST(CompilerTest, RowLockingOfASetOperationIsAnError) {
  const Table t("t");
  const Select select = Select().From(t);
  ExpectErrorOnBoth(select.Union(select).ForUpdate(), absl::StatusCode::kInvalidArgument,
                    HasSubstr("row locking does not apply"));
}

TEST(CompilerTest, HintsAppearOnlyForTheirDialect) {
  const Table orders("orders");
  const Table customers("customers");
  const Select select = Select()
                            .From(orders)
                            .Join(customers, customers.C("id") == orders.C("customer_id"))
                            .WithHint(orders, "INDEXED BY orders_by_status", "sqlite")
                            .WithHint(customers, "NOT INDEXED", "sqlite")
                            .WithHint(customers, "USE INDEX (PRIMARY)", "mysql")
                            .WithStatementHint("/*+ SeqScan(orders) */", "postgresql")
                            .WithStatementHint("/*+ MAX_EXECUTION_TIME(1000) */", "mysql");
  ExpectBoth(select,
             R"sql(SELECT * FROM "orders" INDEXED BY orders_by_status JOIN "customers" NOT )sql"
             R"sql(INDEXED ON "customers"."id" = "orders"."customer_id")sql",
             R"sql(SELECT /*+ SeqScan(orders) */ * FROM "orders" JOIN "customers" ON )sql"
             R"sql("customers"."id" = "orders"."customer_id")sql");
  const Table o = orders.Alias("o");
  ExpectBoth(Select().From(o).WithHint(o, "INDEXED BY orders_by_status", "sqlite"),
             R"sql(SELECT * FROM "orders" AS "o" INDEXED BY orders_by_status)sql",
             R"sql(SELECT * FROM "orders" AS "o")sql");
}

// ---- INSERT -----------------------------------------------------------------

TEST(CompilerTest, InsertOneRow) {
  const Table orders("orders");
  const Insert insert = Insert(orders)
                            .Values({{"customer_id", 7},
                                     {"status", "new"},
                                     {"note", std::nullopt},
                                     {"created_at", sql::CurrentTimestamp()}})
                            .Returning({orders.C("id")});
  ExpectBoth(insert,
             absl::StrCat(R"sql(INSERT INTO "orders" ("customer_id", "status", "note", )sql"
                          R"sql("created_at") VALUES (?, ?, NULL, )sql",
                          kSqliteNow, R"sql() RETURNING "orders"."id")sql"),
             R"sql(INSERT INTO "orders" ("customer_id", "status", "note", "created_at") VALUES )sql"
             R"sql(($1, $2, NULL, CURRENT_TIMESTAMP) RETURNING "orders"."id")sql",
             {7, "new"});
}

TEST(CompilerTest, InsertManyRows) {
  const Table t("t");
  const std::string lite = R"sql(INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?))sql";
  const std::string pg = R"sql(INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4))sql";
  ExpectBoth(Insert(t).BulkValues({{{"a", 1}, {"b", "x"}}, {{"b", "y"}, {"a", 2}}}), lite, pg,
             {1, "x", 2, "y"});
  ExpectBoth(Insert(t).Values({{"a", 1}, {"b", "x"}}).Values({{"a", 2}, {"b", "y"}}), lite, pg,
             {1, "x", 2, "y"});
  ExpectBoth(Insert(t).Columns({"a", "b"}).Row(1, "x").Row(2, std::nullopt),
             R"sql(INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, NULL))sql",
             R"sql(INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, NULL))sql", {1, "x", 2});
}

TEST(CompilerTest, InsertFromSelectAndDefaultValues) {
  const Table archive("archive");
  const Table orders("orders");
  ExpectBoth(
      Insert(archive).FromSelect({"id", "total"}, Select({orders.C("id"), orders.C("total")})
                                                      .From(orders)
                                                      .Where(orders.C("status") == "old")),
      R"sql(INSERT INTO "archive" ("id", "total") SELECT "orders"."id", "orders"."total" )sql"
      R"sql(FROM "orders" WHERE "orders"."status" = ?)sql",
      R"sql(INSERT INTO "archive" ("id", "total") SELECT "orders"."id", "orders"."total" )sql"
      R"sql(FROM "orders" WHERE "orders"."status" = $1)sql",
      {"old"});
  ExpectBoth(Insert(archive), R"sql(INSERT INTO "archive" DEFAULT VALUES)sql",
             R"sql(INSERT INTO "archive" DEFAULT VALUES)sql");
  ExpectBoth(Insert(archive).Returning({archive.C("id")}),
             R"sql(INSERT INTO "archive" DEFAULT VALUES RETURNING "archive"."id")sql",
             R"sql(INSERT INTO "archive" DEFAULT VALUES RETURNING "archive"."id")sql");
}

TEST(CompilerTest, InsertRowWithoutAValueForAColumnIsAnError) {
  const Table t("t");
  ExpectErrorOnBoth(Insert(t).BulkValues({{{"a", 1}, {"b", 2}}, {{"a", 3}}}),
                    absl::StatusCode::kInvalidArgument,
                    HasSubstr("row 1 has no value for column b"));
  ExpectErrorOnBoth(Insert(t).BulkValues({{{"a", 1}}, {{"a", 2}, {"b", 3}}}),
                    absl::StatusCode::kInvalidArgument,
                    HasSubstr("row 0 has no value for column b"));
  ExpectErrorOnBoth(Insert(t).Columns({"a", "b"}).Row(1), absl::StatusCode::kInvalidArgument,
                    HasSubstr("row 0 has 1 values for 2 columns"));
}

TEST(CompilerTest, OnConflictDoNothing) {
  const Table t("t");
  ExpectBoth(Insert(t).Values({{"name", "x"}}).OnConflict({"name"}),
             R"sql(INSERT INTO "t" ("name") VALUES (?) ON CONFLICT ("name") DO NOTHING)sql",
             R"sql(INSERT INTO "t" ("name") VALUES ($1) ON CONFLICT ("name") DO NOTHING)sql",
             {"x"});
  ExpectBoth(Insert(t).Values({{"name", "x"}}).OnConflict().DoNothing(),
             R"sql(INSERT INTO "t" ("name") VALUES (?) ON CONFLICT DO NOTHING)sql",
             R"sql(INSERT INTO "t" ("name") VALUES ($1) ON CONFLICT DO NOTHING)sql", {"x"});
}

TEST(CompilerTest, OnConflictDoUpdate) {
  const Table counters("counters");
  const Insert upsert = Insert(counters)
                            .Values({{"name", "home"}, {"hits", 1}})
                            .OnConflict({"name"})
                            .DoUpdate({{"hits", counters.C("hits") + Excluded("hits")},
                                       {"updated_at", sql::CurrentTimestamp()}},
                                      counters.C("locked") == false)
                            .Returning({counters.C("hits")});
  ExpectBoth(
      upsert,
      absl::StrCat(R"sql(INSERT INTO "counters" ("name", "hits") VALUES (?, ?) ON CONFLICT )sql"
                   R"sql(("name") DO UPDATE SET "hits" = "counters"."hits" + )sql"
                   R"sql(excluded."hits", "updated_at" = )sql",
                   kSqliteNow,
                   R"sql( WHERE "counters"."locked" = ? RETURNING "counters"."hits")sql"),
      R"sql(INSERT INTO "counters" ("name", "hits") VALUES ($1, $2) ON CONFLICT ("name") )sql"
      R"sql(DO UPDATE SET "hits" = "counters"."hits" + excluded."hits", "updated_at" = )sql"
      R"sql(CURRENT_TIMESTAMP WHERE "counters"."locked" = $3 RETURNING "counters"."hits")sql",
      {"home", 1, false});
  ExpectErrorOnBoth(Insert(counters).Values({{"name", "x"}}).OnConflict().DoUpdate({{"hits", 1}}),
                    absl::StatusCode::kInvalidArgument, HasSubstr("needs conflict columns"));
}

TEST(CompilerTest, UpsertFromSelectGetsAWhereOnSqlite) {
  const Table counters("counters");
  const Table orders("orders");
  const Select statuses = Select({orders.C("status")}).From(orders);
  ExpectBoth(
      Insert(counters).FromSelect({"name"}, statuses).OnConflict().DoNothing(),
      R"sql(INSERT INTO "counters" ("name") SELECT "orders"."status" FROM "orders" WHERE )sql"
      R"sql(true ON CONFLICT DO NOTHING)sql",
      R"sql(INSERT INTO "counters" ("name") SELECT "orders"."status" FROM "orders" ON )sql"
      R"sql(CONFLICT DO NOTHING)sql");
  ExpectBoth(
      Insert(counters)
          .FromSelect({"name"}, statuses.GroupBy(orders.C("status")))
          .OnConflict({"name"}),
      R"sql(INSERT INTO "counters" ("name") SELECT "orders"."status" FROM "orders" WHERE )sql"
      R"sql(true GROUP BY "orders"."status" ON CONFLICT ("name") DO NOTHING)sql",
      R"sql(INSERT INTO "counters" ("name") SELECT "orders"."status" FROM "orders" GROUP )sql"
      R"sql(BY "orders"."status" ON CONFLICT ("name") DO NOTHING)sql");
  ExpectBoth(
      Insert(counters)
          .FromSelect({"name"}, statuses.Where(orders.C("total") > 0))
          .OnConflict({"name"}),
      R"sql(INSERT INTO "counters" ("name") SELECT "orders"."status" FROM "orders" WHERE )sql"
      R"sql("orders"."total" > ? ON CONFLICT ("name") DO NOTHING)sql",
      R"sql(INSERT INTO "counters" ("name") SELECT "orders"."status" FROM "orders" WHERE )sql"
      R"sql("orders"."total" > $1 ON CONFLICT ("name") DO NOTHING)sql",
      {0});
}

// SQLite cannot parse `... FROM "archive" ON CONFLICT`: it reads ON as a join
// constraint (near "DO": syntax error). The compound needs a WHERE as well.
TEST(CompilerTest, UpsertFromCompoundSelectParsesOnSqlite) {
  const Table counters("counters");
  const Table orders("orders");
  const Table archive("archive");
  const Select statuses =
      Select({orders.C("status")}).From(orders).Union(Select({archive.C("status")}).From(archive));
  ExpectBoth(
      Insert(counters).FromSelect({"name"}, statuses).OnConflict().DoNothing(),
      R"sql(INSERT INTO "counters" ("name") SELECT * FROM (SELECT "orders"."status" FROM )sql"
      R"sql("orders" UNION SELECT "archive"."status" FROM "archive") AS "duo_rows" WHERE true ON )sql"
      R"sql(CONFLICT DO NOTHING)sql",
      R"sql(INSERT INTO "counters" ("name") (SELECT "orders"."status" FROM "orders") )sql"
      R"sql(UNION (SELECT "archive"."status" FROM "archive") ON CONFLICT DO NOTHING)sql");
}

// ---- UPDATE and DELETE ------------------------------------------------------

TEST(CompilerTest, UpdateSetWhereReturning) {
  const Table orders("orders");
  const Update update = Update(orders)
                            .Set("status", "shipped")
                            .Set("total", orders.C("total") * 2)
                            .Where(orders.C("id") == 7)
                            .Where(orders.C("status") != "cancelled")
                            .Returning({orders.C("id"), orders.C("status").Label("new_status")});
  ExpectBoth(update,
             R"sql(UPDATE "orders" SET "status" = ?, "total" = "orders"."total" * ? WHERE )sql"
             R"sql("orders"."id" = ? AND "orders"."status" <> ? RETURNING "orders"."id", )sql"
             R"sql("orders"."status" AS "new_status")sql",
             R"sql(UPDATE "orders" SET "status" = $1, "total" = "orders"."total" * $2 WHERE )sql"
             R"sql("orders"."id" = $3 AND "orders"."status" <> $4 RETURNING "orders"."id", )sql"
             R"sql("orders"."status" AS "new_status")sql",
             {"shipped", 2, 7, "cancelled"});
}

TEST(CompilerTest, UpdateFrom) {
  const Table orders("orders");
  const Table totals("totals");
  const Update update = Update(orders)
                            .Set({{"total", totals.C("sum")}, {"note", std::nullopt}})
                            .From(totals)
                            .Where(totals.C("order_id") == orders.C("id"));
  const std::string sql =
      R"sql(UPDATE "orders" SET "total" = "totals"."sum", "note" = NULL FROM "totals" WHERE )sql"
      R"sql("totals"."order_id" = "orders"."id")sql";
  ExpectBoth(update, sql, sql);
}

TEST(CompilerTest, UpdateFromWithReturning) {
  const Table orders("orders");
  const Table totals("totals");
  ExpectSql(Update(orders)
                .Set("status", "paid")
                .Set("total", orders.C("total") * 2)
                .From(totals)
                .Where(totals.C("id") == orders.C("id"))
                .Returning({orders.C("id")}),
            Lite(),
            "UPDATE \"orders\" SET \"status\" = ?, \"total\" = \"orders\".\"total\" * ? FROM "
            "\"totals\" WHERE \"totals\".\"id\" = \"orders\".\"id\" RETURNING \"orders\".\"id\"",
            {"paid", 2});
}

TEST(CompilerTest, UpdateWithoutSetIsAnError) {
  ExpectErrorOnBoth(Update(Table("orders")).Where(Table("orders").C("id") == 1),
                    absl::StatusCode::kInvalidArgument, HasSubstr("UPDATE orders sets no column"));
}

TEST(CompilerTest, DeleteWhereReturning) {
  const Table orders("orders");
  ExpectBoth(Delete(orders)
                 .Where(orders.C("status") == "cancelled")
                 .Where(orders.C("total") < 1)
                 .Returning({orders.C("id"), sql::Star()}),
             R"sql(DELETE FROM "orders" WHERE "orders"."status" = ? AND "orders"."total" < ? )sql"
             R"sql(RETURNING "orders"."id", *)sql",
             R"sql(DELETE FROM "orders" WHERE "orders"."status" = $1 AND "orders"."total" < $2 )sql"
             R"sql(RETURNING "orders"."id", *)sql",
             {"cancelled", 1});
  ExpectBoth(Delete(orders), R"sql(DELETE FROM "orders")sql", R"sql(DELETE FROM "orders")sql");
  ExpectSql(Delete(orders).Where(orders.C("id") == 3).Returning({orders.C("id").Label("gone")}),
            Pg(),
            R"sql(DELETE FROM "orders" WHERE "orders"."id" = $1 RETURNING "orders"."id" AS )sql"
            R"sql("gone")sql",
            {3});
}

// ---- Text -------------------------------------------------------------------

TEST(CompilerTest, TextBindsNamedParameters) {
  const Text text =
      Text(
          "SELECT id FROM orders WHERE total > :min AND status = :status AND note <> ':min' "
          "AND total::text <> :min AND \"a:b\" = 1")
          .Bind("min", 100)
          .Bind("status", "paid");
  ExpectBoth(text,
             "SELECT id FROM orders WHERE total > ? AND status = ? AND note <> ':min' AND "
             "total::text <> ? AND \"a:b\" = 1",
             "SELECT id FROM orders WHERE total > $1 AND status = $2 AND note <> ':min' AND "
             "total::text <> $3 AND \"a:b\" = 1",
             {100, "paid", 100});
  ExpectBoth(Text("SELECT :n::int, 'it''s :n'").Bind("n", 5), "SELECT ?::int, 'it''s :n'",
             "SELECT $1::int, 'it''s :n'", {5});
  ExpectBoth(
      Text("UPDATE t SET note = :note WHERE id = :id").Bind("note", std::nullopt).Bind("id", 3),
      "UPDATE t SET note = NULL WHERE id = ?", "UPDATE t SET note = NULL WHERE id = $1", {3});
  ExpectBoth(Text("SELECT * FROM t WHERE a = :a AND b = :a AND c::int = :c AND d = ':a'")
                 .Bind("a", 1)
                 .Bind("c", "x"),
             "SELECT * FROM t WHERE a = ? AND b = ? AND c::int = ? AND d = ':a'",
             "SELECT * FROM t WHERE a = $1 AND b = $2 AND c::int = $3 AND d = ':a'", {1, 1, "x"});
}

TEST(CompilerTest, TextParameterErrorsNameTheParameter) {
  ExpectErrorOnBoth(Text("SELECT * FROM t WHERE a = :a AND b = :b").Bind("a", 1),
                    absl::StatusCode::kInvalidArgument,
                    HasSubstr("Text parameter :b has no bound value"));
  ExpectErrorOnBoth(Text("SELECT * FROM t WHERE a = :a").Bind("a", 1).Bind("typo", 2),
                    absl::StatusCode::kInvalidArgument,
                    HasSubstr("binds :typo, which the SQL does not contain"));
}

// A ":name" inside a literal, a quoted identifier or a comment is text the
// server reads as written, never a parameter.
TEST(CompilerTest, TextFindsNoParametersInsideLiteralsIdentifiersOrComments) {
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
                HasSubstr("binds :a, which the SQL does not contain"));
  }
}

TEST(CompilerTest, TextFindsParametersBetweenLiteralsAndComments) {
  const Text text =
      Text(
          "SELECT $$ :a $$, $q$:a$q$, E'\\' :a', ':a', \"a:a\", x::int, /* :a */ :a -- :a\n"
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

TEST(CompilerTest, TextAsAnExpression) {
  const Table orders("orders");
  const Text long_note = Text("length(note) > :n").Bind("n", 3);
  ExpectBoth(Select({orders.C("id")}).From(orders).Where(long_note),
             R"sql(SELECT "orders"."id" FROM "orders" WHERE length(note) > ?)sql",
             R"sql(SELECT "orders"."id" FROM "orders" WHERE length(note) > $1)sql", {3});
  ExpectBoth(
      Select({orders.C("id")}).From(orders).Where(long_note).Where(orders.C("status") == "paid"),
      R"sql(SELECT "orders"."id" FROM "orders" WHERE (length(note) > ?) AND )sql"
      R"sql("orders"."status" = ?)sql",
      R"sql(SELECT "orders"."id" FROM "orders" WHERE (length(note) > $1) AND )sql"
      R"sql("orders"."status" = $2)sql",
      {3, "paid"});
  ExpectWhere(long_note || !long_note, "(length(note) > ?) OR NOT (length(note) > ?)",
              "(length(note) > $1) OR NOT (length(note) > $2)", {3, 3});
  ExpectWhere(Text("length(name) > :n").Bind("n", 3) && Table("t").C("x") == 1,
              R"sql((length(name) > ?) AND "t"."x" = ?)sql",
              R"sql((length(name) > $1) AND "t"."x" = $2)sql", {3, 1});
}

// ---- Values, types and injection --------------------------------------------

TEST(CompilerTest, StatementsAreValues) {
  const Table orders("orders");
  const Select base = Select({orders.C("id")}).From(orders).Where(orders.C("status") == "paid");
  const std::string base_lite =
      R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = ?)sql";
  const std::string base_pg =
      R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = $1)sql";
  ExpectBoth(base, base_lite, base_pg, {"paid"});
  const Select derived = base.Where(orders.C("total") > 100).OrderBy(orders.C("id")).Limit(5);
  ExpectBoth(derived,
             base_lite + R"sql( AND "orders"."total" > ? ORDER BY "orders"."id" LIMIT ?)sql",
             base_pg + R"sql( AND "orders"."total" > $2 ORDER BY "orders"."id" LIMIT $3)sql",
             {"paid", 100, 5});
  ExpectBoth(base, base_lite, base_pg, {"paid"});

  const Update update = Update(orders).Set("status", "x");
  const Update narrowed = update.Where(orders.C("id") == 1);
  ExpectBoth(narrowed, R"sql(UPDATE "orders" SET "status" = ? WHERE "orders"."id" = ?)sql",
             R"sql(UPDATE "orders" SET "status" = $1 WHERE "orders"."id" = $2)sql", {"x", 1});
  ExpectBoth(update, R"sql(UPDATE "orders" SET "status" = ?)sql",
             R"sql(UPDATE "orders" SET "status" = $1)sql", {"x"});

  const Insert insert = Insert(orders).Values({{"status", "x"}});
  const Insert returning = insert.Returning({orders.C("id")});
  ExpectBoth(returning,
             R"sql(INSERT INTO "orders" ("status") VALUES (?) RETURNING "orders"."id")sql",
             R"sql(INSERT INTO "orders" ("status") VALUES ($1) RETURNING "orders"."id")sql", {"x"});
  ExpectBoth(insert, R"sql(INSERT INTO "orders" ("status") VALUES (?))sql",
             R"sql(INSERT INTO "orders" ("status") VALUES ($1))sql", {"x"});
}

template <typename Column>
constexpr bool kComparesWithInteger = requires(const Column& column) {
  column == 7;
};
template <typename Column>
constexpr bool kComparesWithText = requires(const Column& column) {
  column == "seven";
};
template <typename Column>
constexpr bool kHasLike = requires(const Column& column) {
  column.Like("a%");
};
template <typename Column>
constexpr bool kComparesWithDouble = requires(const Column& column) {
  column == 7.5;
};
template <typename Column>
constexpr bool kComparesWithNull = requires(const Column& column) {
  column == std::nullopt;
};

TEST(CompilerTest, OperandTypesAreCheckedAtCompileTime) {
  const Table orders("orders");
  using Id = decltype(orders.Col<int64_t>("id"));
  using Status = decltype(orders.Col<std::string>("status"));
  static_assert(kComparesWithInteger<Id>);
  static_assert(!kComparesWithText<Id>);
  static_assert(kComparesWithText<Status>);
  static_assert(!kComparesWithInteger<Status>);
  static_assert(!kComparesWithDouble<Status>);
  static_assert(kComparesWithNull<Id>);
  static_assert(kHasLike<Status>);
  static_assert(!kHasLike<Id>);
  static_assert(kComparesWithText<Expr> && kComparesWithInteger<Expr>);
  ExpectBoth(Select().From(orders).Where(orders.Col<int64_t>("id") == 7),
             R"sql(SELECT * FROM "orders" WHERE "orders"."id" = ?)sql",
             R"sql(SELECT * FROM "orders" WHERE "orders"."id" = $1)sql", {7});
}

TEST(CompilerTest, ArithmeticOnTypedColumnsKeepsTheType) {
  const Table t("t");
  const auto quantity = t.Col<int64_t>("quantity");
  const auto price = t.Col<double>("price");
  static_assert(std::is_same_v<decltype(quantity + 1), sql::TypedExpr<int64_t>>);
  static_assert(std::is_same_v<decltype(quantity * price), sql::TypedExpr<double>>);
  static_assert(std::is_same_v<decltype(t.C("x") + 1), Expr>);
  ExpectWhere(quantity * (price / 2) > 10, R"sql("t"."quantity" * ("t"."price" / ?) > ?)sql",
              R"sql("t"."quantity" * ("t"."price" / $1) > $2)sql", {2, 10});
  ExpectError(Select({sql::Cast(quantity, sql::SqlType())}), Pg(),
              absl::StatusCode::kInvalidArgument, HasSubstr("CAST needs a target type"));
}

TEST(CompilerTest, ValuesThatLookLikeSqlOnlyReachTheParameters) {
  const std::string payload = "'; DROP TABLE orders; --";
  const Table orders("orders");
  const auto status = orders.Col<std::string>("status");
  const std::vector<Statement> statements = {
      Select().From(orders).Where(status == payload),
      Select().From(orders).Where(status.Like("%" + sql::EscapeLike(payload) + "%")),
      Select().From(orders).Where(status.ILike(payload) || status.Matches(payload, true)),
      Insert(orders).Values({{"status", payload}}),
      Update(orders).Set("status", payload).Where(orders.C("note") == payload),
      Delete(orders).Where(status.In({payload})),
      Text("SELECT * FROM orders WHERE status = :s").Bind("s", payload),
  };
  for (const Dialect* dialect : {&Lite(), &Pg()}) {
    for (const Statement& statement : statements) {
      const absl::StatusOr<CompiledStatement> compiled = dialect->Compile(statement);
      ASSERT_TRUE(compiled.ok()) << compiled.status();
      EXPECT_THAT(compiled->sql, Not(HasSubstr("DROP"))) << compiled->sql;
      bool bound = false;
      for (const Value& param : compiled->params) {
        bound |= param.kind() == Value::Kind::kText &&
                 absl::StrContains(param.as_text(), "DROP TABLE orders; --");
      }
      EXPECT_TRUE(bound) << dialect->name() << ": " << compiled->sql;
    }
  }
}

TEST(CompilerTest, ValuesThatLookLikeSqlStayParametersAndDebugSqlQuotesThem) {
  const std::string payload = "'; DROP TABLE orders; --";
  const Table orders("orders");
  absl::StatusOr<CompiledStatement> compiled =
      Pg().Compile(Select().From(orders).Where(orders.C("status") == payload));
  ASSERT_TRUE(compiled.ok());
  EXPECT_EQ(compiled->sql.find("DROP"), std::string::npos);
  EXPECT_EQ(compiled->params, std::vector<Value>{payload});
  EXPECT_EQ(Pg().DebugSql(*compiled),
            "SELECT * FROM \"orders\" WHERE \"orders\".\"status\" = '''; DROP TABLE orders; --'");
}

// ---- DebugSql ---------------------------------------------------------------

TEST(CompilerTest, DebugSqlInlinesValues) {
  const Table t("t");
  const Select select = Select().From(t).Where(t.C("name") == "it's" && t.C("n") > 2 &&
                                               t.C("x") == 2.5 && t.C("ok") == true);
  const std::string debug =
      R"sql(SELECT * FROM "t" WHERE "t"."name" = 'it''s' AND "t"."n" > 2 AND "t"."x" = 2.5 AND )sql"
      R"sql("t"."ok" = TRUE)sql";
  for (const Dialect* dialect : {&Lite(), &Pg()}) {
    const absl::StatusOr<CompiledStatement> compiled = dialect->Compile(select);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    EXPECT_EQ(dialect->DebugSql(*compiled), debug) << dialect->name();
  }
  const absl::StatusOr<CompiledStatement> many = Pg().Compile(
      Select().From(t).Where(t.Col<int64_t>("id").In({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})));
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(Pg().DebugSql(*many),
            R"sql(SELECT * FROM "t" WHERE "t"."id" IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))sql");
}

TEST(CompilerTest, DebugSqlLeavesQuotedTextAlone) {
  const absl::StatusOr<CompiledStatement> regex = Lite().Compile(
      Select().From(Table("t")).Where(Table("t").Col<std::string>("name").Matches("^a?", true)));
  ASSERT_TRUE(regex.ok()) << regex.status();
  EXPECT_EQ(Lite().DebugSql(*regex),
            R"sql(SELECT * FROM "t" WHERE "t"."name" REGEXP ('(?i)' || '^a?'))sql");
  EXPECT_EQ(Lite().DebugSql({R"sql(SELECT '?', "a?", ? WHERE x = ?)sql", {"it's", 2}}),
            R"sql(SELECT '?', "a?", 'it''s' WHERE x = 2)sql");
  EXPECT_EQ(Pg().DebugSql({"SELECT $2, $1, '$1'", {1, 2}}), "SELECT 2, 1, '$1'");
}

// `?` is a PostgreSQL operator (jsonb key exists), not a placeholder there.
TEST(CompilerTest, PostgresDebugSqlLeavesQuestionMarkOperatorsAlone) {
  const Text has_key = Text("SELECT id FROM docs WHERE body ? :key").Bind("key", "a");
  ExpectSql(has_key, Pg(), "SELECT id FROM docs WHERE body ? $1", {"a"});
  const absl::StatusOr<CompiledStatement> compiled = Pg().Compile(has_key);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ(Pg().DebugSql(*compiled), "SELECT id FROM docs WHERE body ? 'a'");
}

// ---- StatementCache ---------------------------------------------------------

Select OrdersAbove(double total, const std::string& status) {
  const Table orders("orders");
  return Select({orders.C("id")})
      .From(orders)
      .Where(orders.Col<double>("total") > total && orders.Col<std::string>("status") == status);
}

TEST(StatementCacheTest, SameShapeSharesTheSqlAndBindsItsOwnValues) {
  StatementCache cache;
  const std::string pg =
      R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."total" > $1 AND )sql"
      R"sql("orders"."status" = $2)sql";
  const absl::StatusOr<CompiledStatement> first = cache.Compile(Pg(), OrdersAbove(10, "paid"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->sql, pg);
  EXPECT_TRUE(first->params == (std::vector<Value>{10.0, "paid"})) << DebugValues(first->params);
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(cache.stats().hits, 0);

  const absl::StatusOr<CompiledStatement> second = cache.Compile(Pg(), OrdersAbove(20, "new"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->sql, pg);
  EXPECT_TRUE(second->params == (std::vector<Value>{20.0, "new"})) << DebugValues(second->params);
  const absl::StatusOr<CompiledStatement> third = cache.Compile(Pg(), OrdersAbove(30, "old"));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE(third->params == (std::vector<Value>{30.0, "old"})) << DebugValues(third->params);
  EXPECT_EQ(cache.stats().misses, 1);
  EXPECT_EQ(cache.stats().hits, 2);
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(StatementCacheTest, NullsAndDialectsMakeOtherShapesAndErrorsAreNotCached) {
  const Table orders("orders");
  StatementCache cache;
  const auto query = [&orders](int64_t id, const std::string& status) {
    return Select().From(orders).Where(orders.Col<int64_t>("id") > id &&
                                       orders.Col<std::string>("status") == status);
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
  ASSERT_TRUE(cache.Compile(Pg(), Select().From(orders).Where(orders.C("x") == std::nullopt)).ok());
  EXPECT_EQ(cache.stats().entries, 3u);
  ASSERT_TRUE(cache.Compile(Pg(), Select().DistinctOn({orders.C("x")})).ok());
  EXPECT_EQ(cache.Compile(Lite(), Select().DistinctOn({orders.C("x")})).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(cache.stats().entries, 4u);  // errors are not cached
}

TEST(StatementCacheTest, DifferentShapesAndDialectsAreDifferentEntries) {
  StatementCache cache;
  ASSERT_TRUE(cache.Compile(Pg(), OrdersAbove(10, "paid")).ok());
  const absl::StatusOr<CompiledStatement> limited =
      cache.Compile(Pg(), OrdersAbove(10, "paid").Limit(3));
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_THAT(limited->sql, EndsWith("LIMIT $3"));
  EXPECT_EQ(cache.stats().entries, 2u);

  const absl::StatusOr<CompiledStatement> lite = cache.Compile(Lite(), OrdersAbove(10, "paid"));
  ASSERT_TRUE(lite.ok()) << lite.status();
  EXPECT_EQ(lite->sql, R"sql(SELECT "orders"."id" FROM "orders" WHERE "orders"."total" > ? AND )sql"
                       R"sql("orders"."status" = ?)sql");
  EXPECT_TRUE(lite->params == (std::vector<Value>{10.0, "paid"})) << DebugValues(lite->params);
  EXPECT_EQ(cache.stats().entries, 3u);
  EXPECT_EQ(cache.stats().misses, 3);
  EXPECT_EQ(cache.stats().hits, 0);

  const Table orders("orders");
  const Select latest = Select().DistinctOn({orders.C("customer_id")}).From(orders);
  EXPECT_EQ(cache.Compile(Lite(), latest).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(cache.stats().entries, 3u);
}

TEST(StatementCacheTest, CachedCompilationMatchesDirectCompilation) {
  const Table orders("orders");
  const Table archive("archive");
  const Table counters("counters");
  const std::vector<std::function<Statement(int)>> builders = {
      [&](int n) {
        return Select({orders.C("id")})
            .From(orders)
            .Where(orders.C("n") == n)
            .UnionAll(Select({archive.C("id")}).From(archive).OrderBy(archive.C("id")).Limit(n + 1))
            .Offset(n + 2);
      },
      [&](int n) {
        return Insert(counters)
            .FromSelect({"name"}, Select({orders.C("status")}).From(orders))
            .OnConflict({"name"})
            .DoUpdate({{"hits", counters.C("hits") + n}}, counters.C("hits") < n + 1);
      },
      [&](int n) { return Text("SELECT :a, :b, :a").Bind("a", n).Bind("b", n + 1); },
      [&](int n) {
        // Long IN lists, bound as arrays on PostgreSQL, between other values.
        std::vector<int64_t> ids(kPostgresMaxInlineInList + 5);
        for (size_t i = 0; i < ids.size(); ++i) ids[i] = n * 10000 + static_cast<int64_t>(i);
        std::vector<std::optional<std::string>> names(kPostgresMaxInlineInList + 1,
                                                      absl::StrCat("n", n));
        names[1] = std::nullopt;
        return Select({orders.C("id")})
            .From(orders)
            .Where(orders.C("x") == n && orders.Col<int64_t>("id").In(ids) &&
                   orders.C("y") == n + 1 && sql::NotIn(orders.C("name"), names))
            .Limit(n + 2);
      },
      [&](int n) {
        return Select({func::Lag(orders.C("total"), n).Over(Window().OrderBy(orders.C("id")))})
            .From(orders)
            .Where(orders.C("x") == n + 1);
      },
  };
  for (const Dialect* dialect : {&Lite(), &Pg()}) {
    StatementCache cache;
    for (const auto& build : builders) {
      ASSERT_TRUE(cache.Compile(*dialect, build(1)).ok());
      const absl::StatusOr<CompiledStatement> cached = cache.Compile(*dialect, build(10));
      const absl::StatusOr<CompiledStatement> direct = dialect->Compile(build(10));
      ASSERT_TRUE(cached.ok() && direct.ok()) << cached.status() << direct.status();
      EXPECT_EQ(cached->sql, direct->sql);
      EXPECT_TRUE(cached->params == direct->params)
          << dialect->name() << ": " << direct->sql << ": got " << DebugValues(cached->params)
          << ", want " << DebugValues(direct->params);
    }
    EXPECT_EQ(cache.stats().hits, static_cast<int64_t>(builders.size()));
  }
}

TEST(StatementCacheTest, BindsParametersEvenWhenTheDialectRepeatsOrReordersThem) {
  const Table orders("orders");
  StatementCache cache;
  const auto query = [&orders](int64_t offset) { return Select().From(orders).Offset(offset); };
  ASSERT_TRUE(cache.Compile(Lite(), query(5)).ok());
  absl::StatusOr<CompiledStatement> hit = cache.Compile(Lite(), query(7));
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->sql, "SELECT * FROM \"orders\" LIMIT -1 OFFSET ?");
  EXPECT_EQ(hit->params, std::vector<Value>{7});
}

// One Expr used twice puts one parameter node at two places. A statement of
// the same shape built from two distinct values must still get both values.
TEST(StatementCacheTest, ReusedParameterDoesNotBindAnotherStatementsValuesTwice) {
  const Table t("t");
  const Expr shared = sql::Param(5);
  const Select reused = Select().From(t).Where(t.C("a") == shared || t.C("b") == shared);
  const Select distinct = Select().From(t).Where(t.C("a") == 6 || t.C("b") == 7);
  StatementCache cache;
  const absl::StatusOr<CompiledStatement> first = cache.Compile(Pg(), reused);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->params == (std::vector<Value>{5, 5})) << DebugValues(first->params);
  const absl::StatusOr<CompiledStatement> second = cache.Compile(Pg(), distinct);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->sql, R"sql(SELECT * FROM "t" WHERE "t"."a" = $1 OR "t"."b" = $2)sql");
  EXPECT_TRUE(second->params == (std::vector<Value>{6, 7})) << DebugValues(second->params);
}

// ---- Capabilities and the hooks that carry the differences between
// databases (what callers above the dialect ask instead of comparing names).

// A dialect that lacks what SQLite and PostgreSQL share: UPDATE ...
// RETURNING and ON CONFLICT upserts.
class LimitedDialect final : public Dialect {
 public:
  absl::string_view name() const override { return "limited"; }
  void WritePlaceholder(SqlWriter& writer, int) const override { writer.Write("?"); }
  std::string TypeName(const SqlType&) const override { return "ANY"; }
  void WriteRegex(SqlWriter& writer, const sql::ExprNode&) const override {
    writer.Unsupported("regular expressions");
  }
  void WriteCurrentTimestamp(SqlWriter& writer) const override { writer.Write("NOW()"); }
  bool ParenthesizesSetMembers() const override { return true; }
  bool NumberedPlaceholders() const override { return false; }
  int64_t MaxBindParameters() const override { return 100; }
  bool SupportsReturning(StatementKind kind) const override {
    return kind != StatementKind::kUpdate;
  }
  void WriteUpsert(SqlWriter& writer, const sql::InsertData&) const override {
    writer.Unsupported("ON CONFLICT");
  }
};

TEST(CapabilitiesTest, ReturningWhereTheDialectLacksItIsAnErrorNamingIt) {
  const LimitedDialect limited;
  const Table t("t");
  absl::StatusOr<CompiledStatement> update =
      limited.Compile(Update(t).Set("a", 1).Returning({t.C("id")}));
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(update.status().message(), "limited does not support UPDATE ... RETURNING");
  absl::StatusOr<CompiledStatement> del = limited.Compile(Delete(t).Returning({t.C("id")}));
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->sql, R"sql(DELETE FROM "t" RETURNING "t"."id")sql");
  // Without RETURNING the UPDATE compiles.
  EXPECT_TRUE(limited.Compile(Update(t).Set("a", 1)).ok());
}

TEST(CapabilitiesTest, UpsertsAreTheDialectsToWrite) {
  const LimitedDialect limited;
  const Table t("t");
  absl::StatusOr<CompiledStatement> upsert =
      limited.Compile(Insert(t).Values({{"name", "x"}}).OnConflict({"name"}));
  ASSERT_FALSE(upsert.ok());
  EXPECT_EQ(upsert.status().message(), "limited does not support ON CONFLICT");
}

// ---- JSON and arrays -----------------------------------------------------------

TEST(JsonTest, TextAndNumberAtAPathBindEveryStep) {
  const Expr doc = Table("t").C("doc");
  ExpectWhere(
      sql::JsonTextAt(doc, {"meta", "color"}) == "red",
      R"sql((SELECT CASE WHEN "duo_json_2".type = 'text' THEN "duo_json_2".value END FROM json_each("t"."doc") AS "duo_json_1", json_each(CASE WHEN "duo_json_1".type IN ('object', 'array') THEN "duo_json_1".value END) AS "duo_json_2" WHERE "duo_json_1".key = ? AND "duo_json_2".key = ?) = ?)sql",
      R"sql((jsonb_path_query_first((CAST("t"."doc" AS jsonb) -> CAST($1 AS text) -> CAST($2 AS text)), 'strict $ ? (@.type() == "string")') #>> '{}') = $3)sql",
      {Value("meta"), Value("color"), Value("red")});
  // A declared jsonb column is read as it is; an index is an integer step.
  const Expr typed = sql::ColumnRef("t", "doc", SqlType::Json());
  ExpectWhere(
      sql::JsonNumberAt(typed, {"sizes", 0}) > 40,
      R"sql((SELECT CASE WHEN "duo_json_2".type IN ('integer', 'real') THEN CAST("duo_json_2".value AS REAL) END FROM json_each("t"."doc") AS "duo_json_1", json_each(CASE WHEN "duo_json_1".type IN ('object', 'array') THEN "duo_json_1".value END) AS "duo_json_2" WHERE "duo_json_1".key = ? AND "duo_json_2".key = ?) > ?)sql",
      R"sql(CAST(jsonb_path_query_first(("t"."doc" -> CAST($1 AS text) -> CAST($2 AS integer)), 'strict $ ? (@.type() == "number")') #>> '{}' AS double precision) > $3)sql",
      {Value("sizes"), Value(int64_t{0}), Value(40)});
}

TEST(JsonTest, KeysThatLookLikeSqlOrPathsAreOnlyValues) {
  const Expr doc = sql::ColumnRef("t", "doc", SqlType::Json());
  const std::string hostile = R"(a.b"'; DROP TABLE t; --$[0])";
  ExpectWhere(
      sql::JsonHasKey(doc, {}, hostile),
      R"sql(EXISTS (SELECT 1 FROM json_each("t"."doc") AS "duo_json_1" WHERE "duo_json_1".key = ?))sql",
      R"sql(("t"."doc" ? CAST($1 AS text) AND jsonb_typeof("t"."doc") = 'object'))sql",
      {Value(hostile)});
  ExpectWhere(
      sql::JsonHasKey(doc, {"a", 2}, "k"),
      R"sql(EXISTS (SELECT 1 FROM json_each("t"."doc") AS "duo_json_1", json_each(CASE WHEN "duo_json_1".type IN ('object', 'array') THEN "duo_json_1".value END) AS "duo_json_2", json_each(CASE WHEN "duo_json_2".type IN ('object', 'array') THEN "duo_json_2".value END) AS "duo_json_3" WHERE "duo_json_1".key = ? AND "duo_json_2".key = ? AND "duo_json_3".key = ?))sql",
      R"sql(("t"."doc" -> CAST($1 AS text) -> CAST($2 AS integer) -> CAST($3 AS text)) IS NOT NULL)sql",
      {Value("a"), Value(int64_t{2}), Value("k")});
}

TEST(JsonTest, ContainmentIsPostgresOnlyAndSqliteNamesItself) {
  const Expr doc = sql::ColumnRef("t", "doc", SqlType::Json());
  const Select select =
      Select().From(Table("t")).Where(sql::JsonContains(doc, sql::JsonText{R"({"a":1})"}));
  ExpectSql(select, Pg(), R"sql(SELECT * FROM "t" WHERE "t"."doc" @> CAST($1 AS jsonb))sql",
            {Value(sql::JsonText{R"({"a":1})"})});
  ExpectError(select, Lite(), absl::StatusCode::kUnimplemented,
              HasSubstr("sqlite does not support JSON containment (@>)"));
}

TEST(JsonTest, ANegativeIndexIsAnErrorOnEveryDialect) {
  const Select select =
      Select().From(Table("t")).Where(sql::JsonTextAt(Table("t").C("doc"), {"a", -1}) == "x");
  ExpectErrorOnBoth(select, absl::StatusCode::kInvalidArgument,
                    HasSubstr("JSON path index must not be negative, not -1"));
}

// A dialect that has not implemented the operators (a database being
// added) fails naming itself and the operator.
TEST(JsonTest, TheDefaultHookIsUnimplementedNamingTheDialect) {
  class Bare final : public Dialect {
   public:
    absl::string_view name() const override { return "bare"; }
    void WritePlaceholder(SqlWriter& writer, int) const override { writer.Write("?"); }
    std::string TypeName(const SqlType&) const override { return "TEXT"; }
    void WriteRegex(SqlWriter& writer, const sql::ExprNode&) const override {
      writer.Unsupported("regex");
    }
    void WriteCurrentTimestamp(SqlWriter& writer) const override { writer.Write("NOW()"); }
    bool ParenthesizesSetMembers() const override { return true; }
    bool NumberedPlaceholders() const override { return false; }
    int64_t MaxBindParameters() const override { return 100; }
  };
  const Bare bare;
  ExpectError(Select().From(Table("t")).Where(sql::ArrayLength(Table("t").C("tags")) > 1), bare,
              absl::StatusCode::kUnimplemented, HasSubstr("bare does not support array length"));
}

TEST(JsonTest, ArrayOperators) {
  const Expr tags = sql::ColumnRef("t", "tags", SqlType::Array(SqlType::Kind::kInteger));
  const sql::Array wanted{{Value(1), Value(7)}};
  ExpectWhere(
      sql::ArrayContains(tags, wanted),
      R"sql(NOT EXISTS (SELECT 1 FROM json_each(?) WHERE value NOT IN (SELECT value FROM json_each("t"."tags"))))sql",
      R"sql("t"."tags" @> CAST($1 AS integer[]))sql", {Value(wanted)});
  ExpectWhere(
      sql::ArrayOverlaps(tags, wanted),
      R"sql(EXISTS (SELECT 1 FROM json_each("t"."tags") WHERE value IN (SELECT value FROM json_each(?))))sql",
      R"sql("t"."tags" && CAST($1 AS integer[]))sql", {Value(wanted)});
  ExpectWhere(sql::ArrayHas(tags, 7) && sql::ArrayLength(tags) >= 2,
              R"sql(EXISTS (SELECT 1 FROM json_each("t"."tags") WHERE value = ?) AND )sql"
              R"sql(json_array_length("t"."tags") >= ?)sql",
              R"sql($1 = ANY("t"."tags") AND cardinality("t"."tags") >= $2)sql",
              {Value(7), Value(2)});
}

TEST(JsonTest, ContainingNoValuesIsNotNull) {
  const Expr tags = Table("t").C("tags");
  ExpectWhere(sql::ArrayContains(tags, sql::Array{}), R"sql("t"."tags" IS NOT NULL)sql",
              R"sql("t"."tags" IS NOT NULL)sql");
}

TEST(JsonTest, StepKindsArePartOfTheShape) {
  const Expr doc = Table("t").C("doc");
  // Same values, a key "0" against an index 0: two compiled forms.
  EXPECT_NE(sql::JsonTextAt(doc, {"0"}).node().shape_hash,
            sql::JsonTextAt(doc, {0}).node().shape_hash);
  EXPECT_EQ(sql::JsonTextAt(doc, {"a"}).node().shape_hash,
            sql::JsonTextAt(doc, {"b"}).node().shape_hash);
}

TEST(CapabilitiesTest, BindParameterLimits) {
  EXPECT_EQ(Lite().MaxBindParameters(), 32766);
  EXPECT_EQ(Pg().MaxBindParameters(), 65535);
}

TEST(CapabilitiesTest, BothDatabasesReturnAndRollBackDdl) {
  for (const Dialect* dialect : {&Lite(), &Pg()}) {
    SCOPED_TRACE(dialect->name());
    EXPECT_TRUE(dialect->TransactionalDdl());
    for (StatementKind kind :
         {StatementKind::kInsert, StatementKind::kUpdate, StatementKind::kDelete}) {
      EXPECT_TRUE(dialect->SupportsReturning(kind));
    }
  }
}

TEST(CapabilitiesTest, TransactionStatements) {
  using Isolation = TransactionSpec::Isolation;
  const TransactionStatements pg = Pg().Transaction(
      {.isolation = Isolation::kSerializable, .read_only = true, .lock_at_begin = true});
  EXPECT_EQ(pg.begin, "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY");
  EXPECT_EQ(pg.after_begin, "");
  EXPECT_EQ(pg.after_end, "");
  EXPECT_EQ(Pg().Transaction({.isolation = Isolation::kReadCommitted}).begin,
            "BEGIN ISOLATION LEVEL READ COMMITTED");
  EXPECT_EQ(Pg().Transaction({}).begin, "BEGIN");

  // SQLite: serializable always; the write lock and read-only are its own.
  EXPECT_EQ(Lite().Transaction({.isolation = Isolation::kRepeatableRead}).begin, "BEGIN");
  EXPECT_EQ(Lite().Transaction({.lock_at_begin = true}).begin, "BEGIN IMMEDIATE");
  const TransactionStatements lite = Lite().Transaction({.read_only = true});
  EXPECT_EQ(lite.begin, "BEGIN");
  EXPECT_EQ(lite.after_begin, "PRAGMA query_only = ON");
  EXPECT_EQ(lite.after_end, "PRAGMA query_only = OFF");
}

TEST(CapabilitiesTest, AutoincrementColumnDeclarations) {
  sql::TableDef table("t");
  table.AddColumn(
      {.name = "id", .type = SqlType::BigInt(), .primary_key = true, .autoincrement = true});
  const sql::ColumnDef& id = table.columns[0];
  const ColumnDeclaration lite = Lite().DeclareColumn(table, id);
  EXPECT_EQ(lite.type, "INTEGER PRIMARY KEY");
  EXPECT_TRUE(lite.is_key);
  const ColumnDeclaration pg = Pg().DeclareColumn(table, id);
  EXPECT_EQ(pg.type, "bigint GENERATED BY DEFAULT AS IDENTITY");
  EXPECT_FALSE(pg.is_key);

  // In a composite key SQLite has no rowid to give: the type alone.
  table.AddColumn({.name = "n", .type = SqlType::Integer(), .primary_key = true});
  const ColumnDeclaration composite = Lite().DeclareColumn(table, table.columns[0]);
  EXPECT_EQ(composite.type, "BIGINT");
  EXPECT_FALSE(composite.is_key);
}

TEST(CapabilitiesTest, EnumTypesArePostgresOnly) {
  const SqlType mood = SqlType::Enum("mood", {"sad", "it's ok"});
  EXPECT_THAT(Pg().CreateEnumType(mood, /*if_not_exists=*/false),
              ::testing::ElementsAre("CREATE TYPE mood AS ENUM ('sad', 'it''s ok')"));
  EXPECT_THAT(Pg().CreateEnumType(mood, /*if_not_exists=*/true),
              ::testing::ElementsAre("DO $duo$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'it''s "
                                     "ok'); EXCEPTION WHEN duplicate_object THEN NULL; END $duo$"));
  EXPECT_TRUE(Lite().CreateEnumType(mood, /*if_not_exists=*/true).empty());
}

// ---- MySQL and MariaDB --------------------------------------------------------

TEST(MysqlCompilerTest, BackticksAndQuestionMarks) {
  const Table orders("orders");
  ExpectSql(Select({orders.C("id"), orders.C("we`ird").Label("x")})
                .From(orders.Alias("o"))
                .Where(orders.Alias("o").C("status") == "paid"),
            My(),
            "SELECT `orders`.`id`, `orders`.`we``ird` AS `x` FROM `orders` AS `o` WHERE "
            "`o`.`status` = ?",
            {"paid"});
  // DebugSql knows backticks from string literals.
  const absl::StatusOr<CompiledStatement> compiled =
      My().Compile(Select().From(Table("it's")).Where(Table("it's").C("a") == "b"));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ(My().DebugSql(*compiled), "SELECT * FROM `it's` WHERE `it's`.`a` = 'b'");
}

TEST(MysqlCompilerTest, LimitOffsetConcatAndCast) {
  const Table t("t");
  ExpectSql(Select().From(t).Limit(5).Offset(10), My(), "SELECT * FROM `t` LIMIT ? OFFSET ?",
            {5, 10});
  ExpectSql(Select().From(t).Offset(10), My(),
            "SELECT * FROM `t` LIMIT 18446744073709551615 OFFSET ?", {10});
  ExpectSql(Select({sql::Concat(t.C("a"), sql::Param("!")).Label("c")}).From(t), My(),
            "SELECT CONCAT(`t`.`a`, ?) AS `c` FROM `t`", {"!"});
  ExpectSql(Select({sql::Cast(t.C("a"), SqlType::BigInt()), sql::Cast(t.C("b"), SqlType::Text()),
                    sql::Cast(t.C("c"), SqlType::Numeric(10, 2))})
                .From(t),
            My(),
            "SELECT CAST(`t`.`a` AS SIGNED), CAST(`t`.`b` AS CHAR), CAST(`t`.`c` AS "
            "DECIMAL(10, 2)) FROM `t`");
  ExpectError(Select({sql::Cast(t.C("a"), SqlType::Json())}).From(t), My(),
              absl::StatusCode::kUnimplemented, HasSubstr("mysql does not support CAST to JSON"));
}

// MySQL refuses LIMIT inside IN (subquery) (error 1235) and reads it from a
// derived table; without a limit, and on the other databases, the subquery
// stands as written.
TEST(MysqlCompilerTest, ALimitedInSubqueryReadsFromADerivedTable) {
  const Table t("t");
  const Table u("u");
  const Select limited = Select({u.C("id")}).From(u).OrderBy(u.C("id")).Limit(3);
  ExpectSql(Select().From(t).Where(t.Col<int64_t>("id").In(limited)), My(),
            "SELECT * FROM `t` WHERE `t`.`id` IN (SELECT * FROM (SELECT `u`.`id` FROM `u` ORDER "
            "BY `u`.`id` LIMIT ?) AS duo_limited)",
            {3});
  ExpectSql(
      Select().From(t).Where(t.Col<int64_t>("id").NotIn(Select({u.C("id")}).From(u).Offset(2))),
      My(),
      "SELECT * FROM `t` WHERE `t`.`id` NOT IN (SELECT * FROM (SELECT `u`.`id` FROM `u` LIMIT "
      "18446744073709551615 OFFSET ?) AS duo_limited)",
      {2});
  ExpectSql(Select().From(t).Where(t.Col<int64_t>("id").In(Select({u.C("id")}).From(u))), My(),
            "SELECT * FROM `t` WHERE `t`.`id` IN (SELECT `u`.`id` FROM `u`)");
  ExpectSql(
      Select().From(t).Where(t.Col<int64_t>("id").In(limited)), Pg(),
      R"sql(SELECT * FROM "t" WHERE "t"."id" IN (SELECT "u"."id" FROM "u" ORDER BY "u"."id" LIMIT $1))sql",
      {3});
}

// `ORDER BY ?` bound to 2 sorts by the second column on MySQL: a bound
// sort key is written as an expression there, and as it is elsewhere.
TEST(MysqlCompilerTest, BoundSortKeysAreNotColumnPositions) {
  const Table t("t");
  const Select query = Select({t.C("a"), func::Count()})
                           .From(t)
                           .GroupBy({t.C("a"), sql::Param(int64_t{2})})
                           .OrderBy(sql::Param(int64_t{2}), t.C("a").Desc());
  ExpectSql(query, My(),
            "SELECT `t`.`a`, count(*) FROM `t` GROUP BY `t`.`a`, COALESCE(?) ORDER BY COALESCE(?), "
            "`t`.`a` DESC",
            {2, 2});
  ExpectSql(
      query, Pg(),
      R"sql(SELECT "t"."a", count(*) FROM "t" GROUP BY "t"."a", $1 ORDER BY $2, "t"."a" DESC)sql",
      {2, 2});
}

TEST(MysqlCompilerTest, LikeAndRegexStateTheirCaseRule) {
  const Table t("t");
  const auto name = t.Col<std::string>("name");
  const std::string prefix = "SELECT * FROM `t` WHERE ";
  ExpectSql(Select().From(t).Where(name.Like("a%")), My(),
            prefix + "`t`.`name` LIKE (? COLLATE utf8mb4_bin) ESCAPE '\\\\'", {"a%"});
  ExpectSql(Select().From(t).Where(name.NotILike("é%")), My(),
            prefix + "LOWER(`t`.`name`) NOT LIKE (LOWER(?) COLLATE utf8mb4_bin) ESCAPE '\\\\'",
            {"é%"});
  ExpectSql(Select().From(t).Where(name.Matches("^a")), My(),
            prefix + "`t`.`name` REGEXP CONCAT('(?-i)', ?)", {"^a"});
  ExpectSql(Select().From(t).Where(sql::MakeRegex(name, sql::Param("^a"), /*case_insensitive=*/true,
                                                  /*negated=*/true)),
            My(), prefix + "NOT (`t`.`name` REGEXP CONCAT('(?i)', ?))", {"^a"});
}

TEST(MysqlCompilerTest, NullsOrderingWhereMysqlDiffers) {
  const Table t("t");
  ExpectSql(Select().From(t).OrderBy(t.C("a").Asc().NullsLast(), t.C("b").Desc().NullsFirst(),
                                     t.C("c").Asc().NullsFirst(), t.C("d").Desc().NullsLast()),
            My(),
            "SELECT * FROM `t` ORDER BY `t`.`a` IS NULL, `t`.`a`, `t`.`b` IS NULL DESC, "
            "`t`.`b` DESC, `t`.`c`, `t`.`d` DESC");
}

TEST(MysqlCompilerTest, UpsertsAreOnDuplicateKeyUpdate) {
  const Table counters("counters");
  ExpectSql(Insert(counters)
                .Values({{"name", "home"}, {"hits", 1}})
                .OnConflict({"name"})
                .DoUpdate({{"hits", counters.C("hits") + Excluded("hits")},
                           {"updated_at", sql::CurrentTimestamp()}})
                .Returning({counters.C("hits")}),
            My(),
            "INSERT INTO `counters` (`name`, `hits`) VALUES (?, ?) ON DUPLICATE KEY UPDATE "
            "`hits` = `counters`.`hits` + VALUES(`hits`), `updated_at` = CURRENT_TIMESTAMP(6) "
            "RETURNING `counters`.`hits`",
            {"home", 1});
  ExpectSql(Insert(counters).Values({{"name", "x"}}).OnConflict({"name"}), My(),
            "INSERT INTO `counters` (`name`) VALUES (?) ON DUPLICATE KEY UPDATE `name` = `name`",
            {"x"});
  ExpectError(Insert(counters)
                  .Values({{"name", "x"}})
                  .OnConflict({"name"})
                  .DoUpdate({{"hits", 1}}, counters.C("locked") == false),
              My(), absl::StatusCode::kUnimplemented,
              HasSubstr("mysql does not support ON CONFLICT DO UPDATE ... WHERE"));
  ExpectSql(Insert(counters), My(), "INSERT INTO `counters` () VALUES ()");
}

TEST(MysqlCompilerTest, ReturningAfterInsertAndDeleteOnly) {
  const Table orders("orders");
  ExpectSql(Delete(orders).Where(orders.C("id") == 3).Returning({orders.C("id")}), My(),
            "DELETE FROM `orders` WHERE `orders`.`id` = ? RETURNING `orders`.`id`", {3});
  ExpectError(Update(orders).Set("status", "x").Returning({orders.C("id")}), My(),
              absl::StatusCode::kUnimplemented,
              HasSubstr("mysql does not support UPDATE ... RETURNING"));
  EXPECT_TRUE(My().SupportsReturning(StatementKind::kInsert));
  EXPECT_TRUE(My().SupportsReturning(StatementKind::kDelete));
  EXPECT_FALSE(My().SupportsReturning(StatementKind::kUpdate));
  EXPECT_FALSE(My().TransactionalDdl());
  EXPECT_EQ(My().MaxBindParameters(), 65535);
}

TEST(MysqlCompilerTest, ConstructsMysqlLacksAreErrorsNamingIt) {
  const Table a("a");
  const Table b("b");
  ExpectError(Select().From(a).FullJoin(b, a.C("id") == b.C("id")), My(),
              absl::StatusCode::kUnimplemented, HasSubstr("mysql does not support FULL JOIN"));
  ExpectError(Update(a).Set("x", b.C("x")).From(b).Where(a.C("id") == b.C("id")), My(),
              absl::StatusCode::kUnimplemented,
              HasSubstr("mysql does not support UPDATE ... FROM"));
  ExpectError(Select({func::Count().Filter(a.C("x") == 1)}).From(a), My(),
              absl::StatusCode::kUnimplemented,
              HasSubstr("mysql does not support aggregate FILTER"));
  ExpectError(Select().From(a).DistinctOn({a.C("x")}), My(), absl::StatusCode::kUnimplemented,
              HasSubstr("mysql does not support DISTINCT ON"));
}

TEST(MysqlCompilerTest, CtesAndWindows) {
  const Table nodes("nodes");
  Cte tree = Cte::Recursive("tree", {"id", "depth"});
  tree = tree.As(Select({nodes.C("id"), sql::Param(0)})
                     .From(nodes)
                     .Where(nodes.C("parent_id") == std::nullopt)
                     .UnionAll(Select({nodes.C("id"), tree.C("depth") + 1})
                                   .From(nodes)
                                   .Join(tree, nodes.C("parent_id") == tree.C("id"))));
  ExpectSql(
      Select({tree.C("id"), func::RowNumber()
                                .Over(Window().PartitionBy(tree.C("depth")).OrderBy(tree.C("id")))
                                .Label("rn")})
          .With(tree)
          .From(tree),
      My(),
      "WITH RECURSIVE `tree` (`id`, `depth`) AS ((SELECT `nodes`.`id`, ? FROM `nodes` "
      "WHERE `nodes`.`parent_id` IS NULL) UNION ALL (SELECT `nodes`.`id`, `tree`.`depth` "
      "+ ? FROM `nodes` JOIN `tree` ON `nodes`.`parent_id` = `tree`.`id`)) SELECT "
      "`tree`.`id`, row_number() OVER (PARTITION BY `tree`.`depth` ORDER BY `tree`.`id`) "
      "AS `rn` FROM `tree`",
      {0, 1});
}

TEST(MysqlCompilerTest, LockingAndHintsForMysqlAndMariadb) {
  const Table orders("orders");
  const Select select = Select().From(orders).Where(orders.C("id") == 1);
  const std::string base = "SELECT * FROM `orders` WHERE `orders`.`id` = ?";
  ExpectSql(select.ForUpdate(), My(), base + " FOR UPDATE", {1});
  ExpectSql(select.Limit(5).ForUpdate(LockClause::Wait::kSkipLocked), My(),
            base + " LIMIT ? FOR UPDATE SKIP LOCKED", {1, 5});
  ExpectSql(select.ForShare(LockClause::Wait::kNowait), My(), base + " LOCK IN SHARE MODE NOWAIT",
            {1});
  ExpectError(select.WithLock({LockClause::Strength::kNoKeyUpdate}), My(),
              absl::StatusCode::kUnimplemented, HasSubstr("mysql does not support FOR NO KEY"));
  ExpectError(select.ForUpdate(LockClause::Wait::kWait, {"orders"}), My(),
              absl::StatusCode::kUnimplemented, HasSubstr("mysql does not support row locking OF"));

  const Table customers("customers");
  ExpectSql(Select()
                .From(orders)
                .Join(customers, customers.C("id") == orders.C("customer_id"))
                .WithHint(orders, "FORCE INDEX (orders_by_status)", "mariadb")
                .WithHint(customers, "USE INDEX (PRIMARY)", "mysql")
                .WithHint(customers, "NOT INDEXED", "sqlite")
                .WithStatementHint("/*+ MAX_EXECUTION_TIME(1000) */", "mysql")
                .WithStatementHint("/*+ SeqScan(orders) */", "postgresql"),
            My(),
            "SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM `orders` FORCE INDEX "
            "(orders_by_status) JOIN `customers` USE INDEX (PRIMARY) ON `customers`.`id` = "
            "`orders`.`customer_id`");
}

TEST(MysqlCompilerTest, TransactionStatements) {
  using Isolation = TransactionSpec::Isolation;
  EXPECT_EQ(My().Transaction({}).begin, "START TRANSACTION");
  EXPECT_EQ(My().Transaction({.isolation = Isolation::kSerializable, .read_only = true}).begin,
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; START TRANSACTION READ ONLY");
}

TEST(MysqlCompilerTest, Ddl) {
  sql::TableDef table("posts");
  table.AddColumn(
      {.name = "id", .type = SqlType::BigInt(), .primary_key = true, .autoincrement = true});
  table.AddColumn({.name = "slug", .type = SqlType::Text(), .nullable = false, .unique = true});
  table.AddColumn({.name = "body", .type = SqlType::Text()});
  table.AddColumn({.name = "mood", .type = SqlType::Enum("mood", {"sad", "it's ok"})});
  table.AddColumn({.name = "at",
                   .type = SqlType::Timestamp(),
                   .nullable = false,
                   .server_default = sql::CurrentTimestamp()});
  const absl::StatusOr<std::vector<std::string>> create = CreateTableStatements(My(), table);
  ASSERT_TRUE(create.ok()) << create.status();
  ASSERT_EQ(create->size(), 1u);
  EXPECT_EQ((*create)[0],
            "CREATE TABLE `posts` (\n  `id` BIGINT AUTO_INCREMENT,\n  `slug` "
            "VARCHAR(255) NOT NULL,\n  `body` LONGTEXT,\n  `mood` ENUM('sad', 'it''s ok'),\n  "
            "`at` DATETIME(6) NOT NULL DEFAULT (CURRENT_TIMESTAMP(6)),\n  CONSTRAINT "
            "`posts_pkey` PRIMARY KEY (`id`),\n  CONSTRAINT `posts_slug_key` UNIQUE (`slug`)\n) "
            "DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  EXPECT_TRUE(My().CreateEnumType(table.columns[3].type, /*if_not_exists=*/false).empty());

  // Arrays are refused when the table is declared, naming the column.
  table.AddColumn({.name = "tags", .type = SqlType::Array(SqlType::Kind::kText)});
  const absl::StatusOr<std::vector<std::string>> refused = CreateTableStatements(My(), table);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              AllOf(HasSubstr("tags"), HasSubstr("posts"), HasSubstr("mysql has no array")));

  sql::TableDef indexed("t");
  indexed.AddColumn({.name = "a", .type = SqlType::Integer()});
  indexed.indexes.push_back({.name = "t_a", .columns = {"a"}, .where = Table("t").C("a") > 1});
  EXPECT_EQ(CreateIndexStatement(My(), indexed, indexed.indexes[0]).status().code(),
            absl::StatusCode::kUnimplemented);
}

// PostgreSQL writes an index's access method; a database without it leaves
// the index out of CREATE TABLE's statements and refuses it alone, naming
// it; a method no database has is refused everywhere, since the name would
// reach the DDL as written.
TEST(DdlTest, IndexAccessMethods) {
  sql::TableDef table("docs");
  table.AddColumn({.name = "id", .type = SqlType::BigInt(), .primary_key = true});
  table.AddColumn({.name = "body", .type = SqlType::Json()});
  table.indexes.push_back({.name = "docs_body_gin", .columns = {"body"}, .method = "gin"});
  table.indexes.push_back({.name = "docs_id_tree", .columns = {"id"}, .method = "btree"});
  const absl::StatusOr<std::vector<std::string>> pg = CreateTableStatements(Pg(), table);
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_EQ(pg->size(), 3u);
  EXPECT_EQ((*pg)[1], R"sql(CREATE INDEX "docs_body_gin" ON "docs" USING gin ("body"))sql");
  EXPECT_EQ((*pg)[2], R"sql(CREATE INDEX "docs_id_tree" ON "docs" ("id"))sql");
  for (const Dialect* dialect : {&Lite(), &My()}) {
    SCOPED_TRACE(dialect->name());
    const absl::StatusOr<std::vector<std::string>> created = CreateTableStatements(*dialect, table);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_EQ(created->size(), 2u);
    EXPECT_THAT((*created)[1], HasSubstr("docs_id_tree"));
    const absl::StatusOr<std::string> alone =
        CreateIndexStatement(*dialect, table, table.indexes[0]);
    EXPECT_EQ(alone.status().code(), absl::StatusCode::kUnimplemented);
    EXPECT_THAT(std::string(alone.status().message()),
                AllOf(HasSubstr(dialect->name()), HasSubstr("gin"), HasSubstr("docs_body_gin")));
  }
  table.indexes.push_back({.name = "docs_evil", .columns = {"id"}, .method = "gin (id); DROP"});
  for (const Dialect* dialect : {&Pg(), &Lite(), &My()}) {
    const absl::StatusOr<std::vector<std::string>> refused = CreateTableStatements(*dialect, table);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(refused.status().message()),
                AllOf(HasSubstr("docs_evil"), HasSubstr("unknown access method")));
  }
}

}  // namespace
}  // namespace duo::dialect
