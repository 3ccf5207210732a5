// duo::Database and duo::Session on real databases: the same test body on
// SQLite and PostgreSQL.

#include "duo/session/database.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/engine/read.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/database.h"
#include "testing/status.h"

namespace duo {
namespace {

enum class Tier { kFree, kPro };
enum class Level { kLow = 1, kHigh = 10 };

}  // namespace
}  // namespace duo

template <>
struct duo::sql::EnumTraits<duo::Tier> {
  static constexpr EnumStorage kStorage = EnumStorage::kText;
  static constexpr std::pair<duo::Tier, std::string_view> kNames[] = {{duo::Tier::kFree, "free"},
                                                                      {duo::Tier::kPro, "pro"}};
};

template <>
struct duo::sql::EnumTraits<duo::Level> {
  static constexpr EnumStorage kStorage = EnumStorage::kInteger;
  static constexpr std::pair<duo::Level, std::string_view> kNames[] = {{duo::Level::kLow, "low"},
                                                                       {duo::Level::kHigh, "high"}};
};

namespace duo {
namespace {

using sql::Insert;
using sql::Select;
using sql::Table;
using sql::Text;
using ::testing::HasSubstr;

class DatabaseTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    absl::StatusOr<Database> db = Database::Open(database().url(), Options());
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
    // MySQL's TEXT holds 64 KiB; its unique key is then named after the
    // column alone.
    ASSERT_TRUE(Script(absl::StrCat("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner ",
                                    is_mariadb() ? "LONGTEXT" : "TEXT",
                                    " NOT NULL UNIQUE, balance INTEGER NOT NULL CHECK "
                                    "(balance >= 0))")));
  }

  virtual DatabaseOptions Options() { return {}; }

  bool Script(const std::string& sql) {
    absl::StatusOr<Result> result = db_->Execute(Text(sql));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok();
  }

  int64_t Count(const std::string& table) {
    absl::StatusOr<Result> result = db_->Execute(Select({func::Count()}).From(Table(table)));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result->Scalar<int64_t>() : -1;
  }

  sql::Insert Deposit(int id, const std::string& owner, int64_t balance) {
    return Insert(accounts_).Values({{"id", id}, {"owner", owner}, {"balance", balance}});
  }

  bool is_postgres() const { return backend() == testing::Backend::kPostgres; }
  bool is_mariadb() const { return backend() == testing::Backend::kMariadb; }
  // `name` quoted as the dialect's SQL quotes it.
  std::string Quoted(absl::string_view name) const {
    const char quote = db_->dialect().IdentifierQuote();
    return absl::StrCat(std::string(1, quote), name, std::string(1, quote));
  }
  // The unique key on accounts.owner as each database names it.
  std::string OwnerKey() const {
    if (is_postgres()) return "accounts_owner_key";
    return is_mariadb() ? "owner" : "accounts.owner";
  }

  Table accounts_{"accounts"};
  std::optional<Database> db_;
};

TEST_P(DatabaseTest, StatementsRunOnTheirOwn) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "ada", 100)).ok());
  absl::StatusOr<Result> rows =
      db_->Execute(Select({accounts_.C("owner"), accounts_.C("balance")}).From(accounts_));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->columns(), (std::vector<std::string>{"owner", "balance"}));
  EXPECT_EQ(*rows->Get<std::string>(0, "owner"), "ada");
  EXPECT_EQ(*rows->Get<int64_t>(0, "balance"), 100);
}

TEST_P(DatabaseTest, ReturningAndRowsAffected) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "ada", 100)).ok());
  ASSERT_TRUE(db_->Execute(Deposit(2, "bob", 50)).ok());
  absl::StatusOr<Result> updated = db_->Execute(sql::Update(accounts_)
                                                    .Set("balance", accounts_.C("balance") + 1)
                                                    .Where(accounts_.C("balance") > 10));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->rows_affected(), 2);
  absl::StatusOr<Result> deleted = db_->Execute(
      sql::Delete(accounts_).Where(accounts_.C("id") == 2).Returning({accounts_.C("owner")}));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted->Get<std::string>(0, 0), "bob");
}

TEST_P(DatabaseTest, ScalarsReadTheFirstColumnOfEveryRow) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "ada", 100)).ok());
  ASSERT_TRUE(db_->Execute(Deposit(2, "bob", 50)).ok());
  ASSERT_TRUE(db_->Execute(Deposit(3, "cy", 7)).ok());
  absl::StatusOr<Result> rows =
      db_->Execute(Text("SELECT b AS balance, k FROM (SELECT 1 AS k, 100 AS b UNION ALL "
                        "SELECT 2, 3000000000 UNION ALL SELECT 3, 7) AS t ORDER BY k"));
  ASSERT_TRUE(rows.ok()) << rows.status();
  absl::StatusOr<std::vector<int64_t>> balances = rows->Scalars<int64_t>();
  ASSERT_TRUE(balances.ok()) << balances.status();
  EXPECT_EQ(*balances, (std::vector<int64_t>{100, 3000000000, 7}));
  // The row that does not fit is named, never wrapped.
  absl::StatusOr<std::vector<int32_t>> narrow = rows->Scalars<int32_t>();
  EXPECT_EQ(narrow.status().code(), absl::StatusCode::kOutOfRange) << narrow.status();
  EXPECT_THAT(std::string(narrow.status().message()), HasSubstr("row 1"));
  EXPECT_THAT(std::string(narrow.status().message()), HasSubstr("balance"));
  // NULLs only into optionals.
  absl::StatusOr<Result> nulls =
      db_->Execute(Text("SELECT NULLIF(owner, 'bob') AS owner FROM accounts ORDER BY id"));
  ASSERT_TRUE(nulls.ok()) << nulls.status();
  EXPECT_EQ(nulls->Scalars<std::optional<std::string>>().value(),
            (std::vector<std::optional<std::string>>{"ada", std::nullopt, "cy"}));
  EXPECT_FALSE(nulls->Scalars<std::string>().ok());
  absl::StatusOr<Result> none = db_->Execute(Text("SELECT id FROM accounts WHERE id < 0"));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->Scalars<int64_t>().value().empty());
}

TEST_P(DatabaseTest, ExecuteManyRebindsOneStatementForEveryRow) {
  const std::vector<std::vector<sql::Value>> rows = {
      {1, "ada", 100}, {2, "bob", 50}, {3, std::string(100 * 1024, 'c'), 7}};
  DUO_ASSERT_OK_AND_ASSIGN(const int64_t inserted, db_->ExecuteMany(Deposit(0, "", 0), rows));
  EXPECT_EQ(inserted, 3);
  EXPECT_EQ(Count("accounts"), 3);

  // Compiled once, the values replaced in place: SET's value, then WHERE's.
  DUO_ASSERT_OK_AND_ASSIGN(const dialect::CompiledStatement raise,
                           db_->Compile(sql::Update(accounts_)
                                            .Set("balance", accounts_.C("balance") + 0)
                                            .Where(accounts_.C("id") == 0)));
  ASSERT_EQ(raise.params.size(), 2u);
  DUO_ASSERT_OK_AND_ASSIGN(
      const int64_t updated,
      db_->ExecuteMany(raise, 4, [](int64_t row, std::vector<sql::Value>& params) {
        params[0] = int64_t{10};
        params[1] = row + 1;  // row 3 matches no account
        return absl::OkStatus();
      }));
  EXPECT_EQ(updated, 3);
  absl::StatusOr<Result> total = db_->Execute(Text("SELECT sum(balance) FROM accounts"));
  DUO_ASSERT_OK(total.status());
  EXPECT_EQ(*total->Scalar<int64_t>(), 187);
}

TEST_P(DatabaseTest, ExecuteManyStopsAtTheFailingRowAndKeepsNoneOnItsOwn) {
  const std::vector<std::vector<sql::Value>> duplicate = {{1, "ada", 1}, {2, "ada", 2}};
  absl::StatusOr<int64_t> failed = db_->ExecuteMany(Deposit(0, "", 0), duplicate);
  EXPECT_EQ(GetErrorKind(failed.status()), ErrorKind::kUniqueViolation);
  EXPECT_THAT(std::string(failed.status().message()), ::testing::StartsWith("row 1: "));
  EXPECT_EQ(Count("accounts"), 0);

  const std::vector<std::vector<sql::Value>> short_row = {{1, "ada", 1}, {2, "bob"}};
  failed = db_->ExecuteMany(Deposit(0, "", 0), short_row);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.status().message(), "row 1: has 2 values; the statement takes 3");
  EXPECT_EQ(Count("accounts"), 0);

  // Inside a transaction the rows before the failure are the caller's to
  // keep or roll back (PostgreSQL aborts the whole transaction instead).
  if (is_postgres()) return;
  DUO_ASSERT_OK(db_->Transaction([&](Session& session) -> absl::Status {
    EXPECT_FALSE(session.ExecuteMany(Deposit(0, "", 0), duplicate).ok());
    return absl::OkStatus();
  }));
  EXPECT_EQ(Count("accounts"), 1);
}

struct Holding {
  int64_t id = 0;
  std::string owner;
  int32_t balance = 0;
  std::optional<std::string> note;
};

TEST_P(DatabaseTest, RowReaderFillsPlainStructsAndNamesTheColumnAtFault) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "ada", 100)).ok());
  ASSERT_TRUE(db_->Execute(Deposit(2, "bob", 50)).ok());
  const engine::RowReader<Holding> read_holding(&Holding::id, &Holding::owner, &Holding::balance,
                                                &Holding::note);
  const auto read_all = [&](const std::string& sql) -> absl::StatusOr<std::vector<Holding>> {
    std::vector<Holding> holdings;
    DUO_RETURN_IF_ERROR(db_->Read(Text(sql), [&](engine::Cursor& cursor) -> absl::Status {
      while (true) {
        DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
        if (!row) return absl::OkStatus();
        DUO_RETURN_IF_ERROR(read_holding(cursor, holdings.emplace_back()));
      }
    }));
    return holdings;
  };
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Holding> holdings,
                           read_all("SELECT id, owner, balance, CASE WHEN id = 2 THEN 'vip' END "
                                    "FROM accounts ORDER BY id"));
  ASSERT_EQ(holdings.size(), 2u);
  EXPECT_EQ(holdings[0].owner, "ada");
  EXPECT_EQ(holdings[0].balance, 100);
  EXPECT_EQ(holdings[0].note, std::nullopt);
  EXPECT_EQ(holdings[1].id, 2);
  EXPECT_EQ(holdings[1].note, "vip");

  absl::StatusOr<std::vector<Holding>> null_owner =
      read_all("SELECT id, NULL AS owner, balance, NULL FROM accounts");
  EXPECT_EQ(GetErrorKind(null_owner.status()), ErrorKind::kDataError);
  EXPECT_THAT(std::string(null_owner.status().message()), HasSubstr("column \"owner\" is NULL"));
  absl::StatusOr<std::vector<Holding>> too_big =
      read_all("SELECT id, owner, 4294967296, NULL FROM accounts");
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(DatabaseTest, EveryTypeRoundTrips) {
  const char* create =
      "CREATE TABLE everything (i BIGINT, i32 INTEGER, d DOUBLE PRECISION, b BOOLEAN, t TEXT, "
      "bytes BLOB, ts TIMESTAMP, day DATE, dec DECIMAL_TEXT(40, 10), j JSON_TEXT)";
  if (is_postgres()) {
    create =
        "CREATE TABLE everything (i BIGINT, i32 INTEGER, d DOUBLE PRECISION, b BOOLEAN, t TEXT, "
        "bytes BYTEA, ts TIMESTAMPTZ, day DATE, dec NUMERIC(40, 10), j JSONB)";
  } else if (is_mariadb()) {
    // DEC is a keyword there (DECIMAL's other name).
    create =
        "CREATE TABLE everything (i BIGINT, i32 INTEGER, d DOUBLE, b BOOLEAN, t LONGTEXT, "
        "bytes LONGBLOB, ts DATETIME(6), day DATE, \"dec\" DECIMAL(40, 10), j JSON)";
  }
  ASSERT_TRUE(Script(create));
  Table everything("everything");
  const absl::Time ts = absl::FromUnixMicros(-1'234'567'890'123'456);  // 1930, microseconds
  const sql::Decimal dec = *sql::Decimal::Parse("123456789012345678901234567890.1234567890");
  const std::string bytes("\0\x01\xff binary", 10);
  const std::string text = "Chloé — 東京 \"quoted\" 'single'";
  ASSERT_TRUE(db_->Execute(Insert(everything)
                               .Values({{"i", std::numeric_limits<int64_t>::min()},
                                        {"i32", 2147483647},
                                        {"d", -0.1},
                                        {"b", true},
                                        {"t", text},
                                        {"bytes", sql::Blob{bytes}},
                                        {"ts", ts},
                                        {"day", absl::CivilDay(1999, 12, 31)},
                                        {"dec", dec},
                                        {"j", sql::JsonText{"{\"k\": [1, 2]}"}}}))
                  .ok());
  ASSERT_TRUE(db_->Execute(Insert(everything).Values({{"i", 0}, {"t", ""}})).ok());

  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor;
  absl::StatusOr<Session> session = db_->StandaloneSession();
  ASSERT_TRUE(session.ok()) << session.status();
  cursor = session->Stream(Select().From(everything).OrderBy(everything.C("i")));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  engine::Cursor& c = **cursor;
  ASSERT_TRUE(*c.Next());
  EXPECT_EQ(*engine::ReadColumn<int64_t>(c, 0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*engine::ReadColumn<int32_t>(c, 1), 2147483647);
  EXPECT_EQ(*engine::ReadColumn<double>(c, 2), -0.1);
  EXPECT_EQ(*engine::ReadColumn<bool>(c, 3), true);
  EXPECT_EQ(*engine::ReadColumn<std::string>(c, 4), text);
  EXPECT_EQ(engine::ReadColumn<sql::Blob>(c, 5)->bytes, bytes);
  EXPECT_EQ(*engine::ReadColumn<absl::Time>(c, 6), ts);
  EXPECT_EQ(*engine::ReadColumn<absl::CivilDay>(c, 7), absl::CivilDay(1999, 12, 31));
  EXPECT_EQ(engine::ReadColumn<sql::Decimal>(c, 8)->digits(), dec.digits());
  EXPECT_EQ((*engine::ReadColumn<nlohmann::json>(c, 9))["k"][1], 2);
  ASSERT_TRUE(*c.Next());
  EXPECT_EQ(*engine::ReadColumn<int64_t>(c, 0), 0);
  EXPECT_EQ(*engine::ReadColumn<std::optional<double>>(c, 2), std::nullopt);
  EXPECT_EQ(*engine::ReadColumn<std::string>(c, 4), "");
  absl::StatusOr<int32_t> null_into_int = engine::ReadColumn<int32_t>(c, 1);
  EXPECT_THAT(null_into_int.status().message(), HasSubstr("\"i32\" is NULL"));
  EXPECT_FALSE(*c.Next());
}

TEST_P(DatabaseTest, DeclaredEnumsRoundTripAsTextOrInteger) {
  ASSERT_TRUE(Script("CREATE TABLE plans (tier TEXT NOT NULL, level INTEGER NOT NULL)"));
  Table plans("plans");
  ASSERT_TRUE(
      db_->Execute(Insert(plans).Values({{"tier", Tier::kPro}, {"level", Level::kHigh}})).ok());
  ASSERT_TRUE(Script("INSERT INTO plans VALUES ('gold', 3)"));
  absl::StatusOr<Result> rows =
      db_->Execute(Select({plans.C("tier"), plans.C("level")})
                       .From(plans)
                       .Where(plans.Col<Tier>("tier") == Tier::kPro || plans.C("tier") == "gold")
                       .OrderBy(plans.C("level").Desc()));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(*rows->Get<Tier>(0, "tier"), Tier::kPro);
  EXPECT_EQ(*rows->Get<Level>(0, "level"), Level::kHigh);
  EXPECT_EQ(GetErrorKind(rows->Get<Tier>(1, "tier").status()), ErrorKind::kDataError);
  EXPECT_EQ(GetErrorKind(rows->Get<Level>(1, "level").status()), ErrorKind::kDataError);
}

TEST_P(DatabaseTest, IntegrityErrorsNameTheConstraint) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "ada", 100)).ok());
  absl::StatusOr<Result> duplicate = db_->Execute(Deposit(2, "ada", 5));
  EXPECT_EQ(GetErrorKind(duplicate.status()), ErrorKind::kUniqueViolation);
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  std::optional<ErrorDetails> details = GetErrorDetails(duplicate.status());
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->constraint, OwnerKey());
  EXPECT_THAT(details->sql, HasSubstr("INSERT INTO " + Quoted("accounts")));
  EXPECT_THAT(std::string(duplicate.status().message()), ::testing::Not(HasSubstr("ada")));

  absl::StatusOr<Result> negative = db_->Execute(Deposit(3, "cy", -1));
  EXPECT_EQ(GetErrorKind(negative.status()), ErrorKind::kCheckViolation);
}

// Beyond PostgreSQL's and MySQL's 65,535 parameters per statement, the
// error says so and quotes a bounded part of the SQL.
TEST_P(DatabaseTest, TooManyParametersIsAClearError) {
  // Each occurrence of :v is a parameter of its own.
  std::string sql = "SELECT 1 WHERE 1 IN (:v";
  for (int i = 1; i < 70000; ++i) sql += ", :v";
  sql += ")";
  const absl::StatusOr<Result> result = db_->Execute(Text(sql).Bind("v", 1));
  if (backend() == testing::Backend::kSqlite) {
    EXPECT_TRUE(result.ok()) << ErrorString(result.status());
    return;
  }
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("70000 values"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("at most 65535"));
  EXPECT_LT(result.status().ToString().size(), 1500u);
}

// What a user prints of a database error reads as text on both databases:
// ToString() ends with the details in words, ErrorString() with the SQL, and
// neither holds an escaped byte.
TEST_P(DatabaseTest, PrintedErrorsReadCleanly) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "ada", 100)).ok());
  const absl::Status duplicate = db_->Execute(Deposit(2, "ada", 5)).status();
  ASSERT_EQ(GetErrorKind(duplicate), ErrorKind::kUniqueViolation);
  const std::string line = ErrorString(duplicate);
  EXPECT_THAT(line, ::testing::StartsWith("ALREADY_EXISTS: "));
  EXPECT_THAT(line, ::testing::EndsWith("]"));
  EXPECT_THAT(line, HasSubstr("[INSERT INTO " + Quoted("accounts")));
  EXPECT_THAT(line, ::testing::Not(HasSubstr("type.duo.dev")));
  const std::string full = duplicate.ToString();
  EXPECT_EQ(full.substr(0, line.size()), line);
  const char* origin = "sqlite code 2067";
  if (is_postgres()) origin = "sqlstate 23505";
  if (is_mariadb()) origin = "sqlstate 23000";
  EXPECT_THAT(full.substr(line.size()),
              ::testing::MatchesRegex(
                  absl::StrCat(" \\[type.duo.dev/duo.ErrorDetails='unique violation; ", origin,
                               "; sql [0-9]+ bytes; constraint ", OwnerKey(), "'\\]")));
  for (const std::string& printed : {line, full}) {
    EXPECT_THAT(printed, ::testing::Not(HasSubstr("\\x"))) << printed;
    for (const char c : printed) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << printed;
  }
}

TEST_P(DatabaseTest, TransactionCommitsOnOkAndRollsBackOnError) {
  EXPECT_TRUE(db_->Transaction([&](Session& s) -> absl::Status {
                   return s.Execute(Deposit(1, "ada", 100)).status();
                 })
                  .ok());
  const absl::Status failed = db_->Transaction([&](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(Deposit(2, "bob", 1)).status());
    return absl::AbortedError("changed my mind");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Count("accounts"), 1);
}

TEST_P(DatabaseTest, TransactionRollsBackWhenTheBodyThrows) {
  EXPECT_THROW((void)db_->Transaction([&](Session& s) -> absl::Status {
    (void)s.Execute(Deposit(1, "ada", 100));
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(Count("accounts"), 0);
  EXPECT_EQ(db_->CurrentSession(), nullptr);
}

TEST_P(DatabaseTest, CodeInsideATransactionJoinsItImplicitly) {
  const absl::Status status = db_->Transaction([&](Session& s) -> absl::Status {
    EXPECT_EQ(db_->CurrentSession(), &s);
    DUO_RETURN_IF_ERROR(db_->Execute(Deposit(1, "ada", 100)).status());  // no session passed
    return absl::InternalError("roll back");
  });
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Count("accounts"), 0);
}

TEST_P(DatabaseTest, NestedTransactionRollsBackOnlyItsPart) {
  const absl::Status status = db_->Transaction([&](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(Deposit(1, "outer", 1)).status());
    const absl::Status inner = db_->Transaction([&](Session& nested) -> absl::Status {
      EXPECT_EQ(&nested, &s);
      DUO_RETURN_IF_ERROR(nested.Execute(Deposit(2, "inner", 1)).status());
      return nested.Execute(Deposit(3, "outer", 1)).status();  // unique violation
    });
    EXPECT_EQ(GetErrorKind(inner), ErrorKind::kUniqueViolation);
    return db_->Transaction([&](Session& nested) -> absl::Status {
      return nested.Execute(Deposit(4, "kept", 1)).status();
    });
  });
  ASSERT_TRUE(status.ok()) << status;
  absl::StatusOr<Result> owners =
      db_->Execute(Select({accounts_.C("owner")}).From(accounts_).OrderBy(accounts_.C("id")));
  ASSERT_TRUE(owners.ok());
  ASSERT_EQ(owners->size(), 2u);
  EXPECT_EQ(*owners->Get<std::string>(0, 0), "outer");
  EXPECT_EQ(*owners->Get<std::string>(1, 0), "kept");
}

TEST_P(DatabaseTest, StandaloneSessionOwnsItsTransaction) {
  {
    absl::StatusOr<Session> session = db_->StandaloneSession();
    ASSERT_TRUE(session.ok()) << session.status();
    ASSERT_TRUE(session->Begin().ok());
    ASSERT_TRUE(session->Execute(Deposit(1, "ada", 1)).ok());
    ASSERT_TRUE(session->Commit().ok());
    ASSERT_TRUE(session->Begin().ok());
    ASSERT_TRUE(session->Execute(Deposit(2, "bob", 1)).ok());
    EXPECT_TRUE(session->in_transaction());
    // Destroyed with the transaction open: rolled back.
  }
  EXPECT_EQ(Count("accounts"), 1);
  absl::StatusOr<Session> session = db_->StandaloneSession();
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->Commit().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(DatabaseTest, AFailedStatementAbortsAPostgresTransaction) {
  absl::StatusOr<Session> session = db_->StandaloneSession();
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(session->Begin().ok());
  ASSERT_TRUE(session->Execute(Deposit(1, "ada", 1)).ok());
  EXPECT_FALSE(session->Execute(Deposit(2, "ada", 1)).ok());
  absl::StatusOr<Result> next = session->Execute(Select().From(accounts_));
  if (is_postgres()) {
    EXPECT_EQ(GetErrorKind(next.status()), ErrorKind::kTransactionAborted);
    EXPECT_THAT(next.status().message(), HasSubstr("transaction is aborted"));
  } else {
    EXPECT_TRUE(next.ok()) << next.status();  // SQLite keeps the transaction usable
  }
  EXPECT_TRUE(session->Rollback().ok());
}

TEST_P(DatabaseTest, ReadOnlyTransactionsRefuseWrites) {
  const absl::Status status = db_->Transaction(
      [&](Session& s) { return s.Execute(Deposit(1, "ada", 1)).status(); },
      TransactionOptions{.isolation = IsolationLevel::kSerializable, .read_only = true});
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Count("accounts"), 0);
  // The connection went back to the pool writable.
  EXPECT_TRUE(db_->Execute(Deposit(1, "ada", 1)).ok());
}

TEST_P(DatabaseTest, EightThreadsShareOnePool) {
  constexpr int kThreads = 8;
  constexpr int kOperations = 500;
  ASSERT_TRUE(Script("CREATE TABLE hits (thread INTEGER NOT NULL, n INTEGER NOT NULL)"));
  Table hits("hits");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kOperations; ++n) {
        absl::Status status =
            n % 10 == 0 ? db_->Transaction([&](Session& s) {
              return s.Execute(Insert(hits).Values({{"thread", t}, {"n", n}})).status();
            })
                        : db_->Execute(Insert(hits).Values({{"thread", t}, {"n", n}})).status();
        if (!status.ok()) {
          ADD_FAILURE() << status;
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("hits"), kThreads * kOperations);
  const engine::PoolOptions limits = DatabaseOptions().pool;
  EXPECT_LE(db_->pool_stats().open, limits.size + limits.max_overflow);
}

TEST_P(DatabaseTest, DisconnectThenReconnectOnDemand) {
  ASSERT_TRUE(db_->Connect().ok());
  EXPECT_GE(db_->pool_stats().idle, 1);
  db_->Disconnect();
  EXPECT_EQ(db_->pool_stats().idle, 0);
  EXPECT_TRUE(db_->Execute(Deposit(1, "ada", 1)).ok());
  EXPECT_EQ(Count("accounts"), 1);
}

TEST_P(DatabaseTest, AConnectionKilledByTheServerIsReplaced) {
  if (!is_postgres()) GTEST_SKIP() << "pg_terminate_backend is PostgreSQL's";
  if (via_pgbouncer()) {
    GTEST_SKIP() << "through PgBouncer, a connection is to PgBouncer, which replaces the server "
                    "connections it loses itself (see PgBouncerTest)";
  }
  absl::StatusOr<Result> pid = db_->Execute(Text("SELECT pg_backend_pid()"));
  ASSERT_TRUE(pid.ok()) << pid.status();
  const int64_t backend = *pid->Scalar<int64_t>();
  absl::StatusOr<Database> admin = Database::Open(database().url());
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(admin->Execute(Text("SELECT pg_terminate_backend(:pid)").Bind("pid", backend)).ok());
  // pg_terminate_backend only signals the backend; wait until it has gone
  // (having sent its FATAL), as an idle connection that died some time ago
  // has. (One killed at the very moment of checkout fails its statement with
  // kConnectionLost, which the caller may retry.)
  for (int i = 0; i < 500; ++i) {
    absl::StatusOr<Result> alive = admin->Execute(
        Text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid").Bind("pid", backend));
    ASSERT_TRUE(alive.ok());
    if (*alive->Scalar<int64_t>() == 0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }

  // The idle connection died under the pool: the next caller must not see it.
  absl::StatusOr<Result> after = db_->Execute(Text("SELECT pg_backend_pid()"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(*after->Scalar<int64_t>(), backend);

  // Killed while a session holds it: that call fails as connection lost,
  // and the next checkout gets a working connection.
  {
    absl::StatusOr<Session> session = db_->StandaloneSession();
    ASSERT_TRUE(session.ok());
    absl::StatusOr<Result> mine = session->Execute(Text("SELECT pg_backend_pid()"));
    ASSERT_TRUE(mine.ok());
    ASSERT_TRUE(
        admin
            ->Execute(
                Text("SELECT pg_terminate_backend(:pid)").Bind("pid", *mine->Scalar<int64_t>()))
            .ok());
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    absl::StatusOr<Result> lost;
    do {
      lost = session->Execute(Text("SELECT 1"));
    } while (lost.ok() && absl::Now() < deadline);
    EXPECT_EQ(GetErrorKind(lost.status()), ErrorKind::kConnectionLost) << lost.status();
    EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_TRUE(db_->Execute(Text("SELECT 1")).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DatabaseTest);

class EchoTest : public DatabaseTest {
 protected:
  DatabaseOptions Options() override {
    DatabaseOptions options;
    options.slow_statement_threshold = absl::ZeroDuration();
    options.on_slow_statement = [this](const StatementEvent& event) { events_.push_back(event); };
    return options;
  }
  std::vector<StatementEvent> events_;
};

TEST_P(EchoTest, SlowStatementHookSeesSqlWithoutValues) {
  ASSERT_TRUE(db_->Execute(Deposit(1, "secret-owner", 1)).ok());
  ASSERT_FALSE(events_.empty());
  const StatementEvent& last = events_.back();
  EXPECT_THAT(last.sql, HasSubstr("INSERT INTO " + Quoted("accounts")));
  EXPECT_THAT(last.sql_with_values, ::testing::Not(HasSubstr("secret-owner")));
  EXPECT_TRUE(last.status.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, EchoTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EchoTest);

TEST(DatabaseOpenTest, RejectsBadUrlsNamingThePart) {
  EXPECT_EQ(Database::Open("oracle://localhost/db").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Database> bad_port = Database::Open("postgresql://u:hunter2@host:99999/db");
  EXPECT_EQ(bad_port.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_port.status().message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(DatabaseOpenTest, ConnectSurfacesAnUnreachableServer) {
  absl::StatusOr<Database> db =
      Database::Open("postgresql://duo:hunter2@/nowhere?host=/nonexistent-socket-dir");
  ASSERT_TRUE(db.ok()) << db.status();
  const absl::Status status = db->Connect();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(db->url(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(DatabaseOpenTest, InMemorySqliteIsSharedByEverySession) {
  absl::StatusOr<Database> db = Database::Open("sqlite:///:memory:");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(db->Execute(Text("CREATE TABLE t (x INTEGER)")).ok());
  ASSERT_TRUE(db->Execute(Text("INSERT INTO t VALUES (1)")).ok());
  db->Disconnect();  // the database outlives its pooled connections
  absl::StatusOr<Result> rows = db->Execute(Text("SELECT count(*) FROM t"));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows->Scalar<int64_t>(), 1);

  absl::StatusOr<Database> other = Database::Open("sqlite:///:memory:");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->Execute(Text("SELECT count(*) FROM t")).ok());  // a separate database
}

}  // namespace
}  // namespace duo
