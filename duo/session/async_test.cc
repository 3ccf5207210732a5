// The async twins of duo::Database and duo::Session on both databases:
// the same results as the sync calls, concurrent transactions without
// cross-talk, real overlap on PostgreSQL, timeouts that cancel.

#include "duo/async/async.h"

#include <algorithm>
#include <cstdint>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo {
namespace {

using sql::Text;
using ::testing::HasSubstr;

class AsyncSessionTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    DatabaseOptions options;
    options.pool.size = 4;
    options.pool.max_overflow = 16;
    absl::StatusOr<Database> db = Database::Open(database().url(), options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_.emplace(*std::move(db));
    ASSERT_TRUE(db_->Execute(Text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance "
                                  "INTEGER NOT NULL)"))
                    .ok());
    ASSERT_TRUE(db_->Execute(Text("CREATE TABLE ledger (account INTEGER NOT NULL, tag "
                                  "INTEGER NOT NULL, amount INTEGER NOT NULL)"))
                    .ok());
    ASSERT_TRUE(db_->Execute(Text("INSERT INTO accounts VALUES (1, 0), (2, 0)")).ok());
  }

  int64_t Scalar(const std::string& sql) {
    absl::StatusOr<Result> result = db_->Execute(Text(sql));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->Scalar<int64_t>().value_or(-1) : -1;
  }

  bool is_postgres() const { return backend() == testing::Backend::kPostgres; }

  // A statement that runs for seconds unless cancelled.
  Text Slow() const {
    switch (backend()) {
      case testing::Backend::kSqlite:
        return Text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
            "1000000000) SELECT count(*) FROM n");
      case testing::Backend::kMariadb:
        return Text("SELECT BENCHMARK(100000000000, SHA2('duo', 256))");
      default:
        return Text("SELECT 1 FROM pg_sleep(30)");
    }
  }

  std::optional<Database> db_;
};

TEST_P(AsyncSessionTest, ExecuteAsyncGivesWhatExecuteGives) {
  const Text select("SELECT id, balance FROM accounts ORDER BY id");
  absl::StatusOr<Result> sync = db_->Execute(select);
  absl::StatusOr<Result> async = SyncWait(db_->ExecuteAsync(select));
  ASSERT_TRUE(sync.ok()) << sync.status();
  ASSERT_TRUE(async.ok()) << async.status();
  EXPECT_EQ(async->columns(), sync->columns());
  ASSERT_EQ(async->size(), 2u);
  for (size_t row = 0; row < 2; ++row) EXPECT_EQ(async->row(row), sync->row(row));

  absl::StatusOr<Result> updated =
      SyncWait(db_->ExecuteAsync(Text("UPDATE accounts SET balance = balance + 5")));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->rows_affected(), 2);

  // Errors come back as statuses with their category, as from Execute.
  absl::StatusOr<Result> bad = SyncWait(db_->ExecuteAsync(Text("SELECT nope FROM accounts")));
  EXPECT_EQ(GetErrorKind(bad.status()), ErrorKind::kProgramming) << bad.status();
}

TEST_P(AsyncSessionTest, FiftyConcurrentTransactionsKeepTheirOwnSessions) {
  constexpr int kTasks = 50;
  Database& db = *db_;
  auto transfer = [&db](int tag) -> Task<absl::Status> {
    co_return co_await db.TransactionAsync([&db, tag](Session& session) -> Task<absl::Status> {
      DUO_CO_RETURN_IF_ERROR(
          (co_await db.ExecuteAsync(
               Text("INSERT INTO ledger (account, tag, amount) VALUES (1, :tag, 10)")
                   .Bind("tag", tag)))
              .status());
      // Let the other tasks run in between.
      co_await async::EventLoop::Default().Sleep(absl::Milliseconds(tag % 5));
      if (db.CurrentSession() != &session) co_return absl::InternalError("lost the session");
      // Through the implicit session: this transaction's uncommitted row,
      // and no other task's.
      DUO_CO_ASSIGN_OR_RETURN(
          Result mine, co_await db.ExecuteAsync(
                           Text("SELECT count(*) FROM ledger WHERE tag = :tag").Bind("tag", tag)));
      if (mine.Scalar<int64_t>().value_or(-1) != 1) {
        co_return absl::InternalError(absl::StrCat("task ", tag, " does not see its own row"));
      }
      DUO_CO_RETURN_IF_ERROR((co_await session.ExecuteAsync(
                                  Text("UPDATE accounts SET balance = balance + 10 WHERE id = 1")))
                                 .status());
      // Every fifth task fails after writing: its rows must vanish.
      if (tag % 5 == 4) co_return absl::AbortedError("changed my mind");
      co_return absl::OkStatus();
    });
  };
  std::vector<Task<absl::Status>> tasks;
  for (int tag = 0; tag < kTasks; ++tag) tasks.push_back(transfer(tag));
  const std::vector<absl::Status> statuses = SyncWait(WhenAllSettled(std::move(tasks)));
  for (int tag = 0; tag < kTasks; ++tag) {
    if (tag % 5 == 4) {
      EXPECT_EQ(statuses[tag].code(), absl::StatusCode::kAborted) << tag;
    } else {
      EXPECT_TRUE(statuses[tag].ok()) << tag << ": " << statuses[tag];
    }
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger"), 40);
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger WHERE tag % 5 = 4"), 0);
  EXPECT_EQ(Scalar("SELECT balance FROM accounts WHERE id = 1"), 400);
  EXPECT_EQ(db_->CurrentSession(), nullptr);
}

TEST_P(AsyncSessionTest, NestedTransactionAsyncRollsBackOnlyItsPart) {
  Database& db = *db_;
  absl::Status status = SyncWait(db.TransactionAsync([&db](Session&) -> Task<absl::Status> {
    DUO_CO_RETURN_IF_ERROR(
        (co_await db.ExecuteAsync(Text("UPDATE accounts SET balance = 1 WHERE id = 1"))).status());
    absl::Status inner = co_await db.TransactionAsync([&db](Session&) -> Task<absl::Status> {
      DUO_CO_RETURN_IF_ERROR(
          (co_await db.ExecuteAsync(Text("UPDATE accounts SET balance = 2 WHERE id = 2")))
              .status());
      co_return absl::CancelledError("undo the inner part");
    });
    if (inner.code() != absl::StatusCode::kCancelled) co_return absl::InternalError("inner");
    co_return absl::OkStatus();
  }));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Scalar("SELECT balance FROM accounts WHERE id = 1"), 1);
  EXPECT_EQ(Scalar("SELECT balance FROM accounts WHERE id = 2"), 0);
}

TEST_P(AsyncSessionTest, AnExceptionInTheBodyRollsBackAndBecomesAStatus) {
  Database& db = *db_;
  absl::Status status = SyncWait(db.TransactionAsync([&db](Session&) -> Task<absl::Status> {
    DUO_CO_RETURN_IF_ERROR(
        (co_await db.ExecuteAsync(Text("UPDATE accounts SET balance = 9 WHERE id = 1"))).status());
    throw std::runtime_error("bug in the body");
  }));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("bug in the body"));
  EXPECT_EQ(Scalar("SELECT balance FROM accounts WHERE id = 1"), 0);
}

TEST_P(AsyncSessionTest, BatchesRunTogetherAndAllOrNothing) {
  std::vector<sql::Statement> statements;
  for (int i = 0; i < 100; ++i) {
    statements.push_back(
        Text("INSERT INTO ledger (account, tag, amount) VALUES (2, :i, 1)").Bind("i", i));
  }
  statements.push_back(Text("SELECT count(*) FROM ledger"));
  absl::StatusOr<std::vector<Result>> results = SyncWait(db_->ExecuteBatchAsync(statements));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 101u);
  EXPECT_EQ((*results)[0].rows_affected(), 1);
  EXPECT_EQ(results->back().Scalar<int64_t>().value(), 100);

  // A failure in the middle: nothing of the batch stays.
  std::vector<sql::Statement> failing = {
      Text("INSERT INTO ledger (account, tag, amount) VALUES (2, 500, 1)"),
      Text("INSERT INTO ledger (account, tag, amount) VALUES (2, 501, NULL)"),
      Text("INSERT INTO ledger (account, tag, amount) VALUES (2, 502, 1)")};
  absl::StatusOr<std::vector<Result>> failed = SyncWait(db_->ExecuteBatchAsync(failing));
  EXPECT_EQ(GetErrorKind(failed.status()), ErrorKind::kNotNullViolation) << failed.status();
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger"), 100);
  // The sync twin does the same.
  absl::StatusOr<std::vector<Result>> sync = db_->ExecuteBatch(failing);
  EXPECT_EQ(GetErrorKind(sync.status()), ErrorKind::kNotNullViolation) << sync.status();
  EXPECT_EQ(Scalar("SELECT count(*) FROM ledger"), 100);
}

TEST_P(AsyncSessionTest, ATimeoutCancelsTheStatementAndTheSessionGoesOn) {
  absl::StatusOr<Session> session = SyncWait(db_->StandaloneSessionAsync());
  ASSERT_TRUE(session.ok()) << session.status();
  // Seconds of work on every database.
  const Text slow = Slow();
  const absl::Time start = absl::Now();
  absl::StatusOr<Result> result =
      SyncWait(session->ExecuteAsync(slow, /*timeout=*/absl::Milliseconds(200)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  EXPECT_EQ(GetErrorKind(result.status()), ErrorKind::kTimeout);
  absl::StatusOr<Result> after = SyncWait(session->ExecuteAsync(Text("SELECT 42")));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->Scalar<int64_t>().value(), 42);
  if (is_postgres()) {
    // Cancelled on the server, not merely abandoned by the client.
    EXPECT_EQ(Scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
                     "AND state = 'active' AND pid <> pg_backend_pid()"),
              0);
  }
}

TEST_P(AsyncSessionTest, StreamingReadsWorkInAsyncCode) {
  int64_t sum = 0;
  absl::Status status = SyncWait(db_->ReadAsync(
      Text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
           "SELECT i FROM n"),
      [&sum](engine::Cursor& cursor) -> absl::Status {
        while (true) {
          DUO_ASSIGN_OR_RETURN(bool more, cursor.Next());
          if (!more) return absl::OkStatus();
          DUO_ASSIGN_OR_RETURN(int64_t i, cursor.GetInt(0));
          sum += i;
        }
      },
      engine::RunMode::kStreaming));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(sum, 500500);
}

// A database given a loop of its own (DatabaseOptions::event_loop) waits,
// resumes and times out there: with the process's default loop held up
// for the whole test, its calls still finish, on the loop it was given.
TEST_P(AsyncSessionTest, ADatabaseOnItsOwnLoopNeedsNoOtherLoop) {
  async::EventLoop loop;
  std::promise<void> release_default;
  std::promise<void> default_held;
  async::EventLoop::Default().Post(
      [held = &default_held, release = release_default.get_future()]() mutable {
        held->set_value();
        release.wait();
      });
  default_held.get_future().wait();
  {
    DatabaseOptions options;
    options.event_loop = &loop;
    absl::StatusOr<Database> db = Database::Open(database().url(), options);
    ASSERT_TRUE(db.ok()) << db.status();
    auto work = [](Database& db, async::EventLoop& loop) -> Task<absl::StatusOr<int64_t>> {
      DUO_CO_ASSIGN_OR_RETURN(Result result, co_await db.ExecuteAsync(Text("SELECT 7")));
      if (!loop.InLoopThread() || async::EventLoop::Default().InLoopThread()) {
        co_return absl::InternalError("resumed off the database's loop");
      }
      co_return result.Scalar<int64_t>();
    };
    absl::StatusOr<int64_t> seven = SyncWait(work(*db, loop));
    ASSERT_TRUE(seven.ok()) << seven.status();
    EXPECT_EQ(*seven, 7);
    // The timeout's timer runs on the database's loop too.
    const Text slow = Slow();
    const absl::Time start = absl::Now();
    absl::StatusOr<Result> timed_out =
        SyncWait(db->ExecuteAsync(slow, /*timeout=*/absl::Milliseconds(200)));
    EXPECT_LT(absl::Now() - start, absl::Seconds(10));
    EXPECT_EQ(GetErrorKind(timed_out.status()), ErrorKind::kTimeout) << timed_out.status();
    absl::Status in_transaction =
        SyncWait(db->TransactionAsync([](Session& session) -> Task<absl::Status> {
          co_return (co_await session.ExecuteAsync(Text("SELECT 1"))).status();
        }));
    EXPECT_TRUE(in_transaction.ok()) << in_transaction;
  }
  release_default.set_value();
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncSessionTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kPgBouncer,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AsyncSessionTest);

class AsyncPostgresTest : public testing::PostgresTest {};

TEST_F(AsyncPostgresTest, TwentySleepsOverlapOnTwentyConnections) {
  DatabaseOptions options;
  options.pool.size = 20;
  options.pool.max_overflow = 0;
  absl::StatusOr<Database> db = Database::Open(database().url(), options);
  ASSERT_TRUE(db.ok()) << db.status();
  // Open the connections first: the test is about queries, not connects.
  {
    std::vector<Session> sessions;
    for (int i = 0; i < 20; ++i) sessions.push_back(db->StandaloneSession().value());
  }
  std::vector<Task<absl::StatusOr<Result>>> sleeps;
  for (int i = 0; i < 20; ++i) {
    sleeps.push_back(db->ExecuteAsync(
        Text("SELECT extract(epoch FROM statement_timestamp())::float8 AS started, "
             "extract(epoch FROM clock_timestamp())::float8 AS ended FROM pg_sleep(0.2)")));
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<Result>> results = SyncWait(WhenAll(std::move(sleeps)));
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_TRUE(results.ok()) << results.status();
  double last_start = 0, first_end = 1e18;
  for (const Result& result : *results) {
    last_start = std::max(last_start, result.Get<double>(0, "started").value());
    first_end = std::min(first_end, result.Get<double>(0, "ended").value());
  }
  // Every query had started on the server before the first one finished.
  EXPECT_LT(last_start, first_end);
  // 20 x 0.2 s one after another would take 4 s.
  EXPECT_LT(elapsed, absl::Seconds(2)) << elapsed;
}

}  // namespace
}  // namespace duo
