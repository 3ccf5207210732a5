// DatabaseOptions::on_statement and echo: every statement a Database runs
// is reported once, with its SQL, values (masked unless echo_values),
// duration, rows and status; on SQLite and PostgreSQL, sync and async.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "duo/async/async.h"
#include "duo/base/status_macros.h"
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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class StatementCallbackTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    DatabaseOptions options = Options();
    options.pool.size = 4;
    options.on_statement = [this](const StatementEvent& event) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(event);
      threads_.push_back(std::this_thread::get_id());
    };
    DUO_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(database().url(), options));
    db_.emplace(std::move(db));
    // VARCHAR: MariaDB keeps a unique TEXT column in a hash index, whose
    // concurrent inserts deadlock.
    DUO_ASSERT_OK(db_->Execute(Text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner "
                                    "VARCHAR(255) NOT NULL UNIQUE, balance INTEGER NOT NULL)"))
                      .status());
    Clear();
  }

  virtual DatabaseOptions Options() { return {}; }

  sql::Insert Deposit(int id, const std::string& owner, int64_t balance) {
    return Insert(accounts_).Values({{"id", id}, {"owner", owner}, {"balance", balance}});
  }

  std::vector<StatementEvent> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<std::string> Sql() {
    std::vector<std::string> sql;
    for (const StatementEvent& event : Events()) sql.push_back(event.sql);
    return sql;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    events_.clear();
    threads_.clear();
  }
  std::vector<std::thread::id> Threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }

  // What the dialect begins a managed transaction with ("BEGIN IMMEDIATE",
  // "BEGIN", "START TRANSACTION").
  std::string Begin() const { return db_->dialect().Transaction({.lock_at_begin = true}).begin; }
  // `name` quoted as the dialect quotes identifiers.
  std::string Quoted(const std::string& name) const {
    const std::string quote(1, db_->dialect().IdentifierQuote());
    return quote + name + quote;
  }

  Table accounts_{"accounts"};
  std::optional<Database> db_;
  std::mutex mu_;
  std::vector<StatementEvent> events_;
  std::vector<std::thread::id> threads_;
};

TEST_P(StatementCallbackTest, ExecuteIsReportedOnceWithItsRowsAndMaskedValues) {
  DUO_ASSERT_OK(db_->Execute(Deposit(1, "secret-owner", 5)).status());
  std::vector<StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].sql, StartsWith("INSERT INTO " + Quoted("accounts")));
  EXPECT_EQ(events[0].sql_with_values, events[0].sql);  // placeholders only
  EXPECT_THAT(events[0].sql_with_values, Not(HasSubstr("secret-owner")));
  EXPECT_TRUE(events[0].params.empty());
  EXPECT_EQ(events[0].param_count, 3u);
  EXPECT_EQ(events[0].rows_affected, 1);
  EXPECT_EQ(events[0].rows_returned, 0);
  EXPECT_GE(events[0].duration, absl::ZeroDuration());
  EXPECT_TRUE(events[0].status.ok()) << events[0].status;
  EXPECT_EQ(Threads()[0], std::this_thread::get_id());  // the caller's thread

  DUO_ASSERT_OK(db_->Execute(Deposit(2, "bob", 7)).status());
  Clear();
  DUO_ASSERT_OK_AND_ASSIGN(
      Result rows,
      db_->Execute(
          Select({accounts_.C("owner")}).From(accounts_).Where(accounts_.C("balance") > 1)));
  ASSERT_EQ(rows.size(), 2u);
  events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].sql, StartsWith("SELECT " + Quoted("accounts") + "." + Quoted("owner")));
  EXPECT_EQ(events[0].rows_returned, 2);
  EXPECT_EQ(events[0].rows_affected, 0);
  EXPECT_EQ(events[0].param_count, 1u);
}

TEST_P(StatementCallbackTest, FailuresAreReportedWithTheirStatus) {
  DUO_ASSERT_OK(db_->Execute(Deposit(1, "ada", 5)).status());
  Clear();
  const absl::Status duplicate = db_->Execute(Deposit(2, "ada", 5)).status();
  ASSERT_EQ(GetErrorKind(duplicate), ErrorKind::kUniqueViolation) << duplicate;
  const absl::Status unknown = db_->Execute(Text("SELECT nope FROM accounts")).status();
  ASSERT_FALSE(unknown.ok());
  const std::vector<StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[0].sql, StartsWith("INSERT INTO"));
  EXPECT_EQ(events[0].status, duplicate);  // what the caller got
  EXPECT_EQ(events[0].rows_affected, -1);
  EXPECT_EQ(events[1].sql, "SELECT nope FROM accounts");
  EXPECT_EQ(events[1].status, unknown);
}

TEST_P(StatementCallbackTest, TransactionControlGoesThroughTheSamePath) {
  DUO_ASSERT_OK(db_->Transaction([&](Session& session) -> absl::Status {
    DUO_RETURN_IF_ERROR(session.Execute(Deposit(1, "ada", 5)).status());
    return db_->Transaction([&](Session&) { return db_->Execute(Deposit(2, "bob", 5)).status(); });
  }));
  std::vector<std::string> sql = Sql();
  ASSERT_EQ(sql.size(), 6u) << ::testing::PrintToString(sql);
  EXPECT_EQ(sql[0], Begin());
  EXPECT_THAT(sql[1], StartsWith("INSERT INTO"));
  EXPECT_EQ(sql[2], "SAVEPOINT duo_savepoint_1");
  EXPECT_THAT(sql[3], StartsWith("INSERT INTO"));
  EXPECT_EQ(sql[4], "RELEASE SAVEPOINT duo_savepoint_1");
  EXPECT_EQ(sql[5], "COMMIT");
  for (const StatementEvent& event : Events()) {
    EXPECT_TRUE(event.status.ok()) << event.sql << ": " << event.status;
  }
  const std::vector<StatementEvent> events = Events();
  EXPECT_EQ(events[0].rows_affected, -1);  // a script
  EXPECT_EQ(events[0].param_count, 0u);

  Clear();
  const absl::Status failed = db_->Transaction([&](Session& session) -> absl::Status {
    return session.Execute(Deposit(3, "ada", 5)).status();  // a duplicate owner
  });
  ASSERT_FALSE(failed.ok());
  sql = Sql();
  ASSERT_EQ(sql.size(), 3u) << ::testing::PrintToString(sql);
  EXPECT_EQ(sql[0], Begin());
  EXPECT_EQ(Events()[1].status, failed);
  EXPECT_EQ(sql[2], "ROLLBACK");
}

TEST_P(StatementCallbackTest, ExecuteManyIsOneStatementWithTheRowsAffectedInTotal) {
  const std::vector<std::vector<sql::Value>> rows = {{1, "a", 1}, {2, "b", 2}, {3, "c", 3}};
  DUO_ASSERT_OK(db_->ExecuteMany(Deposit(0, "", 0), rows).status());
  const std::vector<StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 3u);  // BEGIN, the statement, COMMIT
  EXPECT_THAT(events[1].sql, StartsWith("INSERT INTO"));
  EXPECT_EQ(events[1].rows_affected, 3);
}

TEST_P(StatementCallbackTest, AStreamLeftUnreadIsReportedWhenItsCursorGoes) {
  for (int i = 1; i <= 5; ++i) {
    DUO_ASSERT_OK(db_->Execute(Deposit(i, absl::StrCat("o", i), i)).status());
  }
  DUO_ASSERT_OK_AND_ASSIGN(Session session, db_->StandaloneSession());
  Clear();
  {
    DUO_ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Cursor> cursor,
                             session.Stream(Text("SELECT id FROM accounts ORDER BY id")));
    ASSERT_TRUE(*cursor->Next());
    ASSERT_TRUE(*cursor->Next());
    EXPECT_TRUE(Events().empty());  // still running
  }
  const std::vector<StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].rows_returned, 2);
  EXPECT_EQ(events[0].rows_affected, -1);  // not read to the end
  EXPECT_TRUE(events[0].status.ok());
}

TEST_P(StatementCallbackTest, AsyncStatementsAreReportedToo) {
  DUO_ASSERT_OK(SyncWait(db_->ExecuteAsync(Deposit(1, "ada", 5))).status());
  const absl::Status duplicate = SyncWait(db_->ExecuteAsync(Deposit(2, "ada", 5))).status();
  ASSERT_FALSE(duplicate.ok());
  DUO_ASSERT_OK(SyncWait(db_->TransactionAsync([&](Session& session) -> Task<absl::Status> {
    co_return (co_await session.ExecuteAsync(Deposit(3, "cy", 5))).status();
  })));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Result> batch,
                           SyncWait(db_->ExecuteBatchAsync(
                               {Deposit(4, "dee", 1), Text("SELECT count(*) FROM accounts")})));
  ASSERT_EQ(batch.size(), 2u);
  const std::vector<StatementEvent> events = Events();
  std::vector<std::string> sql = Sql();
  ASSERT_EQ(sql.size(), 9u) << ::testing::PrintToString(sql);
  EXPECT_THAT(sql[0], StartsWith("INSERT INTO"));
  EXPECT_TRUE(events[0].status.ok());
  EXPECT_EQ(events[0].rows_affected, 1);
  EXPECT_EQ(events[1].status, duplicate);
  EXPECT_EQ(sql[2], Begin());
  EXPECT_THAT(sql[3], StartsWith("INSERT INTO"));
  EXPECT_EQ(sql[4], "COMMIT");
  EXPECT_EQ(sql[5], Begin());  // the batch's own transaction
  EXPECT_THAT(sql[6], StartsWith("INSERT INTO"));
  EXPECT_EQ(sql[7], "SELECT count(*) FROM accounts");
  EXPECT_EQ(events[7].rows_returned, 1);
  EXPECT_EQ(sql[8], "COMMIT");

  // A failing pipeline (PostgreSQL) or batch (SQLite) reports its error.
  Clear();
  const absl::Status failed =
      SyncWait(db_->ExecuteBatchAsync({Deposit(5, "eve", 1), Deposit(6, "eve", 1)})).status();
  ASSERT_FALSE(failed.ok());
  bool reported = false;
  for (const StatementEvent& event : Events()) reported = reported || event.status == failed;
  EXPECT_TRUE(reported) << ::testing::PrintToString(Sql());
}

TEST_P(StatementCallbackTest, ConcurrentStatementsFromAPoolAreEachReportedOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int id = t * kPerThread + i + 1;
        EXPECT_TRUE(db_->Execute(Deposit(id, absl::StrCat("owner", id), id)).ok());
        EXPECT_TRUE(db_->Execute(Text("SELECT count(*) FROM accounts")).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Events().size(), size_t{2 * kThreads * kPerThread});
  for (const StatementEvent& event : Events()) EXPECT_TRUE(event.status.ok()) << event.status;
}

DUO_INSTANTIATE_BACKEND_TEST(StatementCallbackTest);

class StatementCallbackValuesTest : public StatementCallbackTest {
 protected:
  DatabaseOptions Options() override {
    DatabaseOptions options;
    options.echo_values = true;
    return options;
  }
};

TEST_P(StatementCallbackValuesTest, EchoValuesShowsTheValues) {
  DUO_ASSERT_OK(db_->Execute(Deposit(1, "shown-owner", 5)).status());
  const std::vector<StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].sql, Not(HasSubstr("shown-owner")));
  EXPECT_THAT(events[0].sql_with_values, HasSubstr("'shown-owner'"));
  EXPECT_EQ(events[0].params, (std::vector<sql::Value>{1, "shown-owner", 5}));
  EXPECT_EQ(events[0].param_count, 3u);
}

DUO_INSTANTIATE_BACKEND_TEST(StatementCallbackValuesTest);

// echo is EchoStatement as a callback: its lines are what they were.
class EchoOutputTest : public StatementCallbackTest {
 protected:
  DatabaseOptions Options() override {
    DatabaseOptions options;
    options.echo = true;
    return options;
  }
};

TEST_P(EchoOutputTest, PrintsEachStatementWithItsDurationAndFailure) {
  ::testing::internal::CaptureStderr();
  const absl::Status inserted = db_->Execute(Deposit(1, "masked-owner", 5)).status();
  const absl::Status failed = db_->Execute(Text("SELECT nope FROM accounts")).status();
  const std::string output = ::testing::internal::GetCapturedStderr();
  DUO_ASSERT_OK(inserted);
  ASSERT_FALSE(failed.ok());
  const std::vector<StatementEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);  // echo and on_statement both see them
  EXPECT_THAT(output, HasSubstr(absl::StrCat("duo: ", events[0].sql, " (",
                                             absl::FormatDuration(events[0].duration), ")\n")));
  EXPECT_THAT(output, Not(HasSubstr("masked-owner")));
  EXPECT_THAT(output, HasSubstr(absl::StrCat("duo: SELECT nope FROM accounts (",
                                             absl::FormatDuration(events[1].duration),
                                             ") failed: ", failed.message(), "\n")));
}

DUO_INSTANTIATE_BACKEND_TEST(EchoOutputTest);

}  // namespace
}  // namespace duo
