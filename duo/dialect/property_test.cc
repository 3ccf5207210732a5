// A property test of the IR: random well-typed expressions and statements
// (SELECT with WHERE, ORDER BY and LIMIT; INSERT; UPDATE; DELETE) compile
// for both dialects, run on SQLite and on the PostgreSQL fixture without an
// error, and render no value of the caller's into the SQL text: every
// literal travels as a bound parameter.
//
// The generator is seeded, so a failure reproduces; the message names the
// seed, the statement's SQL and its parameters.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/internal/test_executor.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/sql/dml.h"
#include "duo/sql/expr.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/table.h"
#include "duo/sql/value.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo::dialect_internal {
namespace {

namespace sql = ::duo::sql;
namespace func = ::duo::func;
using ::duo::dialect::CompiledStatement;
using sql::TypedExpr;

constexpr int kStatements = 250;
constexpr int kMaxDepth = 4;

// Text values a caller might pass, each distinctive enough to be found in
// the SQL if it were spliced in.
const std::vector<std::string>& Texts() {
  static const auto* const kTexts = new std::vector<std::string>{
      "O'Brien", "say \"hi\"", "50% off_", "back\\slash", "semi; colon",         "-- not a comment",
      "$1",      "?",          ":name",    "Chloé",       "'; DROP TABLE t; --", "line\nbreak"};
  return *kTexts;
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : random_(seed) {}

  TypedExpr<int64_t> Int(int depth) {
    switch (depth >= kMaxDepth ? Below(2) : Below(6)) {
      case 0:
        return table_.Col<int64_t>("n");
      case 1:
        return IntLiteral();
      case 2:
        return Int(depth + 1) + Int(depth + 1);
      case 3:
        return Int(depth + 1) - IntLiteral();
      case 4:
        return -Int(depth + 1);
      default:
        return func::Length(Text(depth + 1));
    }
  }

  TypedExpr<std::string> Text(int depth) {
    switch (depth >= kMaxDepth ? Below(2) : Below(4)) {
      case 0:
        return table_.Col<std::string>("s");
      case 1:
        return TextLiteral();
      case 2:
        return func::Lower(Text(depth + 1));
      default:
        return func::Upper(Text(depth + 1));
    }
  }

  TypedExpr<bool> Bool(int depth) {
    const TypedExpr<std::string> s = table_.Col<std::string>("s");
    switch (depth >= kMaxDepth ? Below(3) : Below(13)) {
      case 0:
        return table_.Col<bool>("b");
      case 1:
        return Int(depth + 1) < Int(depth + 1);
      case 2:
        return s == TextLiteral();
      case 3:
        return Int(depth + 1) == Int(depth + 1);
      case 4:
        return Int(depth + 1) >= IntLiteral();
      case 5:
        return Text(depth + 1) != s;
      case 6:
        return Bool(depth + 1) && Bool(depth + 1);
      case 7:
        return Bool(depth + 1) || Bool(depth + 1);
      case 8:
        return !Bool(depth + 1);
      case 9:
        return table_.Col<int64_t>("n").In({Number(), Number(), Number()});
      case 10:
        return Int(depth + 1).Between(Number(), Number());
      case 11:
        return Below(2) == 0 ? s.Contains(AnyText()) : s.StartsWith(AnyText());
      default:
        return TypedExpr<bool>(Below(2) == 0 ? s.IsNull() : table_.Col<double>("x").IsNotNull());
    }
  }

  sql::Statement Statement() {
    switch (Below(5)) {
      case 0:
      case 1: {
        sql::Select select =
            sql::Select({table_.C("n"), table_.C("s"), Int(1).Label("i"), Text(1).Label("t")})
                .From(table_)
                .Where(Bool(0))
                .OrderBy(Int(1).Desc())
                .Limit(1 + Below(20));
        return select;
      }
      case 2:
        return sql::Insert(table_).Values(
            {{"n", Number()}, {"x", 0.5 + Number()}, {"s", AnyText()}, {"b", Below(2) == 0}});
      case 3:
        return sql::Update(table_).Set("s", Text(1)).Set("n", Int(2)).Where(Bool(0));
      default:
        return sql::Delete(table_).Where(Bool(0));
    }
  }

  const sql::Table& table() const { return table_; }

 private:
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random_); }
  // Four digits: long enough to be recognisable in the SQL if spliced.
  int64_t Number() { return static_cast<int64_t>(1000 + Below(9000)); }
  TypedExpr<int64_t> IntLiteral() { return TypedExpr<int64_t>(sql::Param(sql::Value(Number()))); }
  std::string AnyText() { return Texts()[Below(Texts().size())]; }
  TypedExpr<std::string> TextLiteral() {
    return TypedExpr<std::string>(sql::Param(sql::Value(AnyText())));
  }

  std::mt19937_64 random_;
  sql::Table table_{"t"};
};

// The SQL without its quoted identifiers, placeholders and the literals the
// compilers write themselves (LIKE's ESCAPE '\', MySQL's '\\', the case
// flags of its REGEXP, the utf8mb4_bin its LIKE compares in): what is left
// must hold no digit and no quote, or a value was spliced in.
std::string Structure(absl::string_view sql) {
  std::string out;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '"' || c == '`') {
      for (++i; i < sql.size(); ++i) {
        if (sql[i] == c && !(i + 1 < sql.size() && sql[i + 1] == c)) break;
        if (sql[i] == c) ++i;
      }
      out += "<id>";
    } else if (c == '$' && i + 1 < sql.size() && absl::ascii_isdigit(sql[i + 1])) {
      while (i + 1 < sql.size() && absl::ascii_isdigit(sql[i + 1])) ++i;
      out += "<param>";
    } else if (c == '?') {
      out += "<param>";
    } else {
      out.push_back(c);
    }
  }
  return absl::StrReplaceAll(out, {{" ESCAPE '\\\\'", ""},
                                   {" ESCAPE '\\'", ""},
                                   {"'(?i)'", "<flag>"},
                                   {"'(?-i)'", "<flag>"},
                                   {" COLLATE utf8mb4_bin", ""}});
}

class IrPropertyTest : public duo::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<TestExecutor>> executor = TestExecutor::Open(database());
    ASSERT_TRUE(executor.ok()) << executor.status();
    db_ = *std::move(executor);
    // A BOOLEAN column on the servers (MySQL's is TINYINT(1)); SQLite's
    // integers stand for it.
    const bool booleans = backend() != duo::testing::Backend::kSqlite;
    ASSERT_TRUE(db_->Exec(absl::StrCat("CREATE TABLE t (n BIGINT, x DOUBLE PRECISION, s TEXT, b ",
                                       booleans ? "BOOLEAN" : "INTEGER", ")"))
                    .ok());
    ASSERT_TRUE(
        db_->Exec(absl::StrCat("INSERT INTO t VALUES (1, 1.5, 'a', ", booleans ? "true" : "1",
                               "), (2, NULL, NULL, ", booleans ? "false" : "0", ")"))
            .ok());
  }

  std::unique_ptr<TestExecutor> db_;
};

TEST_P(IrPropertyTest, RandomStatementsCompileRunAndBindEveryValue) {
  constexpr uint64_t kSeed = 20261201;
  Generator generator(kSeed);
  int executed = 0;
  for (int i = 0; i < kStatements; ++i) {
    const sql::Statement statement = generator.Statement();
    // Both dialects compile it and bind every value; the backend's own
    // runs it.
    for (const dialect::Dialect* dialect :
         {&dialect::SqliteDialect(), &dialect::PostgresDialect(), &dialect::MysqlDialect()}) {
      absl::StatusOr<CompiledStatement> compiled = dialect->Compile(statement);
      ASSERT_TRUE(compiled.ok()) << "seed " << kSeed << " #" << i << ": " << compiled.status();
      const std::string structure = Structure(compiled->sql);
      EXPECT_FALSE(std::any_of(structure.begin(), structure.end(),
                               [](char c) { return absl::ascii_isdigit(c) || c == '\''; }))
          << "seed " << kSeed << " #" << i << ": a value in the SQL: " << compiled->sql;
      for (const std::string& text : Texts()) {
        EXPECT_FALSE(absl::StrContains(compiled->sql, text) && text.size() > 2)
            << "seed " << kSeed << " #" << i << ": \"" << text << "\" in " << compiled->sql;
      }
      if (dialect != &db_->dialect()) continue;
      ++executed;
      absl::StatusOr<Rows> rows = db_->Query(statement);
      EXPECT_TRUE(rows.ok()) << "seed " << kSeed << " #" << i << ": " << rows.status() << "\n  "
                             << dialect->DebugSql(*compiled);
    }
  }
  EXPECT_EQ(executed, kStatements);
}

INSTANTIATE_TEST_SUITE_P(Backends, IrPropertyTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(IrPropertyTest);

}  // namespace
}  // namespace duo::dialect_internal
