// duo::ScopedDeadline: a client-side deadline for blocking calls, on both
// databases (and through PgBouncer). The slow work is real: statements that
// run long, locks another connection holds, a pool with nothing free.

#include "duo/session/deadline.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo {
namespace {

using sql::Text;
using ::testing::HasSubstr;

// Well above how long a cancelled statement takes to come back (tens of
// milliseconds, more under the sanitizers), far below what the slow work
// would take without the deadline (seconds to minutes).
constexpr absl::Duration kMustReturnWithin = absl::Seconds(3);

TEST(ScopedDeadlineTest, ScopesNestAndTheEarlierDeadlineHolds) {
  EXPECT_EQ(ScopedDeadline::Current(), absl::InfiniteFuture());
  const absl::Time soon = absl::Now() + absl::Seconds(1);
  {
    ScopedDeadline outer(soon);
    EXPECT_EQ(ScopedDeadline::Current(), soon);
    {
      ScopedDeadline later(soon + absl::Hours(1));
      EXPECT_EQ(ScopedDeadline::Current(), soon);
      ScopedDeadline sooner(soon - absl::Milliseconds(10));
      EXPECT_EQ(ScopedDeadline::Current(), soon - absl::Milliseconds(10));
    }
    EXPECT_EQ(ScopedDeadline::Current(), soon);
    // The deadline is the thread's own.
    absl::Time seen_elsewhere;
    std::thread([&] { seen_elsewhere = ScopedDeadline::Current(); }).join();
    EXPECT_EQ(seen_elsewhere, absl::InfiniteFuture());
  }
  EXPECT_EQ(ScopedDeadline::Current(), absl::InfiniteFuture());
}

class DeadlineTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    DatabaseOptions options;
    options.pool.size = 2;
    options.pool.max_overflow = 0;
    absl::StatusOr<Database> db = Database::Open(database().url(), options);
    DUO_ASSERT_OK(db.status());
    db_ = std::make_unique<Database>(*std::move(db));
    DUO_ASSERT_OK(
        db_->Execute(Text("CREATE TABLE item (id INTEGER PRIMARY KEY, note TEXT)")).status());
  }

  int64_t Rows() {
    absl::StatusOr<Result> count = db_->Execute(Text("SELECT count(*) FROM item"));
    EXPECT_TRUE(count.ok()) << count.status();
    if (!count.ok()) return -1;
    return count->Get<int64_t>(0, 0).value_or(-1);
  }

  // A statement that runs for minutes unless stopped.
  Text Slow() const {
    if (backend() == testing::Backend::kSqlite) {
      return Text(
          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000000000) "
          "SELECT count(*) FROM n");
    }
    // Killed, MariaDB's BENCHMARK() returns 0 and its statement succeeds:
    // the deadline's error must come from DuoORM (InterruptCanEndQuietly).
    if (backend() == testing::Backend::kMariadb) {
      return Text("SELECT BENCHMARK(100000000000, SHA2('duo', 256))");
    }
    return Text("SELECT pg_sleep(300)");
  }

  static void ExpectDeadlineExceeded(const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
    EXPECT_EQ(GetErrorKind(status), ErrorKind::kTimeout) << status;
    EXPECT_THAT(status.message(), HasSubstr("deadline")) << status;
  }

  std::unique_ptr<Database> db_;
};

// Deadlines that cancel a statement the server is running. Not through
// PgBouncer: Debian bookworm's PgBouncer 1.18 dies ("server_proto: server
// in bad state: 11") when the server answers a statement while the cancel
// request for it is still in flight, a race every cancel can lose;
// PgBouncer 1.20 fixed it (pgbouncer/pgbouncer#822). docs/sessions.md says so.
class CancellingDeadlineTest : public DeadlineTest {};

TEST_P(CancellingDeadlineTest, AStatementStillRunningAtTheDeadlineIsCancelled) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Result> slow;
  {
    ScopedDeadline deadline(absl::Milliseconds(300));
    slow = db_->Execute(Slow());
  }
  const absl::Duration waited = absl::Now() - start;
  ExpectDeadlineExceeded(slow.status());
  EXPECT_GE(waited, absl::Milliseconds(300));
  EXPECT_LT(waited, kMustReturnWithin);
  // The database is as usable as before.
  DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO item (id, note) VALUES (1, 'after')")).status());
  EXPECT_EQ(Rows(), 1);
}

TEST_P(DeadlineTest, AStatementAfterTheDeadlineIsNeverSent) {
  {
    ScopedDeadline deadline(absl::Now() - absl::Milliseconds(1));
    ExpectDeadlineExceeded(
        db_->Execute(Text("INSERT INTO item (id, note) VALUES (1, 'late')")).status());
    ExpectDeadlineExceeded(db_->Transaction([](Session& session) {
      return session.Execute(Text("INSERT INTO item (id, note) VALUES (2, 'late')")).status();
    }));
  }
  EXPECT_EQ(Rows(), 0);
}

// The deadline passes inside a transaction: the statement running then
// fails, and with it the transaction, whose earlier writes roll back.
TEST_P(CancellingDeadlineTest, ATransactionPastItsDeadlineLeavesNothingBehind) {
  absl::Status status;
  {
    ScopedDeadline deadline(absl::Milliseconds(300));
    status = db_->Transaction([&](Session& session) -> absl::Status {
      DUO_RETURN_IF_ERROR(
          session.Execute(Text("INSERT INTO item (id, note) VALUES (1, 'first')")).status());
      return session.Execute(Slow()).status();
    });
  }
  ExpectDeadlineExceeded(status);
  EXPECT_EQ(Rows(), 0);
}

// Waiting for a lock another connection holds: SQLite's busy wait (the
// database's busy timeout is 5 s) and PostgreSQL's row lock wait.
TEST_P(CancellingDeadlineTest, WaitingForAnotherWritersLockEndsAtTheDeadline) {
  DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO item (id, note) VALUES (1, 'locked')")).status());
  DUO_ASSERT_OK_AND_ASSIGN(Session holder, db_->StandaloneSession());
  DUO_ASSERT_OK(holder.Begin());
  DUO_ASSERT_OK(holder.Execute(Text("UPDATE item SET note = 'holder' WHERE id = 1")).status());

  const absl::Time start = absl::Now();
  absl::Status status;
  {
    ScopedDeadline deadline(absl::Milliseconds(300));
    status = db_->Execute(Text("UPDATE item SET note = 'waiter' WHERE id = 1")).status();
  }
  const absl::Duration waited = absl::Now() - start;
  ExpectDeadlineExceeded(status);
  EXPECT_LT(waited, kMustReturnWithin);

  DUO_ASSERT_OK(holder.Commit());
  absl::StatusOr<Result> note = db_->Execute(Text("SELECT note FROM item WHERE id = 1"));
  DUO_ASSERT_OK(note.status());
  EXPECT_EQ(note->Get<std::string>(0, 0).value_or(""), "holder");
}

TEST_P(DeadlineTest, WaitingForAPooledConnectionEndsAtTheDeadline) {
  DUO_ASSERT_OK_AND_ASSIGN(Session first, db_->StandaloneSession());
  DUO_ASSERT_OK_AND_ASSIGN(Session second, db_->StandaloneSession());
  const absl::Time start = absl::Now();
  absl::Status status;
  {
    ScopedDeadline deadline(absl::Milliseconds(200));
    status = db_->Execute(Text("SELECT 1")).status();
  }
  const absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("deadline passed while waiting for a database connection"));
  EXPECT_LT(waited, kMustReturnWithin);
}

// Rows read one by one after the statement started (SQLite always,
// PostgreSQL when streaming) are bounded too.
TEST_P(CancellingDeadlineTest, ReadingStreamedRowsEndsAtTheDeadline) {
  Text slow_rows("SELECT g, pg_sleep(0.05) FROM generate_series(1, 100000) AS g");
  if (backend() == testing::Backend::kSqlite) {
    slow_rows = Text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 5000000000) SELECT i FROM n WHERE i % 100000000 = 0");
  } else if (backend() == testing::Backend::kMariadb) {
    // seq_1_to_N: MariaDB's sequence engine.
    slow_rows = Text("SELECT seq, BENCHMARK(200000, SHA2('duo', 256)) FROM seq_1_to_100000");
  }
  const absl::Time start = absl::Now();
  int64_t rows = 0;
  absl::Status status;
  {
    ScopedDeadline deadline(absl::Milliseconds(500));
    status = db_->Read(
        slow_rows,
        [&rows](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(const bool more, cursor.Next());
            if (!more) return absl::OkStatus();
            ++rows;
          }
        },
        engine::RunMode::kStreaming);
  }
  const absl::Duration waited = absl::Now() - start;
  ExpectDeadlineExceeded(status);
  EXPECT_LT(waited, kMustReturnWithin);
  EXPECT_LT(rows, 100000);
  DUO_ASSERT_OK(db_->Execute(Text("SELECT 1")).status());
}

// A deadline that does not pass changes nothing.
TEST_P(DeadlineTest, WorkDoneBeforeTheDeadlineSucceeds) {
  ScopedDeadline deadline(absl::Seconds(30));
  DUO_ASSERT_OK(db_->Transaction([](Session& session) -> absl::Status {
    for (int id = 1; id <= 20; ++id) {
      DUO_RETURN_IF_ERROR(
          session.Execute(Text("INSERT INTO item (id, note) VALUES (:id, 'x')").Bind("id", id))
              .status());
    }
    return absl::OkStatus();
  }));
  EXPECT_EQ(Rows(), 20);
}

DUO_INSTANTIATE_BACKEND_TEST(DeadlineTest);
INSTANTIATE_TEST_SUITE_P(Backends, CancellingDeadlineTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CancellingDeadlineTest);

}  // namespace
}  // namespace duo
