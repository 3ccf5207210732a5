// Fault injection through duo::Database: what a caller sees when the
// database fails underneath it, and that it loses nothing committed, keeps
// nothing half-written, and recovers without a new Database or process.
//
// PostgreSQL: a backend killed mid-transaction, the server restarted under
// a pool, a statement timeout, a serialization failure. MariaDB: a
// connection killed mid-transaction, the server restarted under a pool, a
// deadlock's victim. SQLite: a database
// another connection keeps write-locked, and a full disk (the page limit,
// and the process's file-size limit). The drivers' own tests check the
// error mapping of a single connection; these check the layers above it
// (transactions, the pool) on a real server or file.

#include <signal.h>
#include <sys/resource.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/sync_wait.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/mariadb.h"
#include "testing/status.h"

namespace duo {
namespace {

using sql::Text;
using ::testing::AnyOf;
using ::testing::HasSubstr;

absl::StatusOr<int64_t> Count(const Database& db, absl::string_view table) {
  DUO_ASSIGN_OR_RETURN(Result result,
                       db.Execute(Text(absl::StrCat("SELECT count(*) FROM ", table))));
  return result.Scalar<int64_t>();
}

// Prints what the caller saw, so that a test log shows each fault's status.
void Saw(absl::string_view fault, const absl::Status& status) {
  std::cerr << "fault " << fault << ": " << status << " (" << ErrorKindName(GetErrorKind(status))
            << ")\n";
}

// Count(), or -1 (and a test failure) when the count itself fails.
int64_t Rows(const Database& db, absl::string_view table) {
  absl::StatusOr<int64_t> count = Count(db, table);
  if (!count.ok()) {
    ADD_FAILURE() << count.status();
    return -1;
  }
  return *count;
}

absl::StatusOr<int64_t> BackendPid(Session& session) {
  DUO_ASSIGN_OR_RETURN(Result result, session.Execute(Text("SELECT pg_backend_pid()")));
  return result.Scalar<int64_t>();
}

// pg_terminate_backend only signals; waits until the backend is gone.
absl::Status Terminate(const Database& admin, int64_t pid) {
  DUO_ASSIGN_OR_RETURN(Result killed,
                       admin.Execute(Text("SELECT pg_terminate_backend(:pid)").Bind("pid", pid)));
  DUO_ASSIGN_OR_RETURN(bool signalled, killed.Scalar<bool>());
  if (!signalled) return absl::NotFoundError(absl::StrCat("no backend ", pid));
  for (int i = 0; i < 200; ++i) {
    DUO_ASSIGN_OR_RETURN(
        Result alive,
        admin.Execute(
            Text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid").Bind("pid", pid)));
    DUO_ASSIGN_OR_RETURN(int64_t left, alive.Scalar<int64_t>());
    if (left == 0) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(25));
  }
  return absl::DeadlineExceededError(absl::StrCat("backend ", pid, " still alive"));
}

class PostgresFaultTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    testing::PostgresTest::SetUp();
    if (IsSkipped()) return;
    DUO_ASSERT_OK_AND_ASSIGN(db_, Database::Open(database().url()));
    DUO_ASSERT_OK_AND_ASSIGN(admin_, Database::Open(database().url()));
    DUO_ASSERT_OK(
        db_->Execute(Text("CREATE TABLE canary (id INTEGER PRIMARY KEY, note TEXT)")).status());
    DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO canary VALUES (1, 'committed')")).status());
  }

  std::optional<Database> db_;
  std::optional<Database> admin_;
};

TEST_F(PostgresFaultTest, BackendKilledMidTransactionLosesOnlyTheTransaction) {
  const absl::Status status = db_->Transaction([&](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(Text("INSERT INTO canary VALUES (2, 'uncommitted')")).status());
    DUO_ASSIGN_OR_RETURN(const int64_t pid, BackendPid(s));
    DUO_RETURN_IF_ERROR(Terminate(*admin_, pid));
    return s.Execute(Text("INSERT INTO canary VALUES (3, 'after the kill')")).status();
  });
  Saw("backend killed mid-transaction", status);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kConnectionLost) << status;
  // The next call gets a live connection from the same pool, and sees the
  // committed row only.
  EXPECT_EQ(Rows(*db_, "canary"), 1);
  DUO_ASSERT_OK(db_->Transaction([](Session& s) {
    return s.Execute(Text("INSERT INTO canary VALUES (2, 'retried')")).status();
  }));
  EXPECT_EQ(Rows(*admin_, "canary"), 2);
}

// A server that stops answering (here its backend, frozen with SIGSTOP,
// which also ignores the cancel request until it runs again) must not hold
// an async call past its deadline: the call fails near its time and the
// connection, in an unknown state, is not reused.
TEST_F(PostgresFaultTest, AFrozenServerCannotHoldAnAsyncCallPastItsDeadline) {
  const int discarded_before = db_->pool_stats().discarded;
  {
    DUO_ASSERT_OK_AND_ASSIGN(Session session, db_->StandaloneSession());
    DUO_ASSERT_OK_AND_ASSIGN(const int64_t pid, BackendPid(session));
    ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGSTOP), 0) << "cannot stop the backend";
    const absl::Time start = absl::Now();
    absl::StatusOr<Result> frozen =
        SyncWait(session.ExecuteAsync(Text("SELECT 1"), absl::Milliseconds(500)));
    const absl::Duration waited = absl::Now() - start;
    kill(static_cast<pid_t>(pid), SIGCONT);
    Saw("frozen backend, 500 ms deadline", frozen.status());
    EXPECT_EQ(GetErrorKind(frozen.status()), ErrorKind::kTimeout) << frozen.status();
    EXPECT_EQ(frozen.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_LT(waited, absl::Seconds(2)) << "the deadline did not hold";
  }
  // The session handed its connection back: discarded, not reused.
  EXPECT_EQ(db_->pool_stats().discarded, discarded_before + 1);
  EXPECT_EQ(Rows(*db_, "canary"), 1);
}

// The same for a blocking call under a ScopedDeadline: the cancel goes
// unanswered, so the connection is severed after the grace period and the
// call returns; the pool closes that connection.
TEST_F(PostgresFaultTest, AFrozenServerCannotHoldABlockingCallPastItsDeadline) {
  const int discarded_before = db_->pool_stats().discarded;
  {
    DUO_ASSERT_OK_AND_ASSIGN(Session session, db_->StandaloneSession());
    DUO_ASSERT_OK_AND_ASSIGN(const int64_t pid, BackendPid(session));
    ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGSTOP), 0) << "cannot stop the backend";
    const absl::Time start = absl::Now();
    absl::StatusOr<Result> frozen;
    {
      ScopedDeadline deadline(absl::Milliseconds(500));
      frozen = session.Execute(Text("SELECT 1"));
    }
    const absl::Duration waited = absl::Now() - start;
    kill(static_cast<pid_t>(pid), SIGCONT);
    Saw("frozen backend, blocking call, 500 ms deadline", frozen.status());
    EXPECT_EQ(GetErrorKind(frozen.status()), ErrorKind::kTimeout) << frozen.status();
    EXPECT_EQ(frozen.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_THAT(frozen.status().message(), HasSubstr("the connection is discarded"));
    EXPECT_GE(waited, absl::Milliseconds(500));
    EXPECT_LT(waited, absl::Seconds(2)) << "the deadline did not hold";
  }
  EXPECT_EQ(db_->pool_stats().discarded, discarded_before + 1);
  EXPECT_EQ(Rows(*db_, "canary"), 1);
}

TEST_F(PostgresFaultTest, BackendKilledAtCommitLeavesNoPartialWrite) {
  // The kill lands between the last statement and COMMIT.
  absl::Status status = db_->Transaction([&](Session& s) -> absl::Status {
    for (int i = 10; i < 20; ++i) {
      DUO_RETURN_IF_ERROR(
          s.Execute(Text("INSERT INTO canary VALUES (:id, 'batch')").Bind("id", i)).status());
    }
    DUO_ASSIGN_OR_RETURN(const int64_t pid, BackendPid(s));
    return Terminate(*admin_, pid);
  });
  Saw("backend killed before COMMIT", status);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(Rows(*admin_, "canary"), 1);
}

TEST_F(PostgresFaultTest, ServerRestartUnderThePoolRecovers) {
  // Several pooled connections, all idle when the server goes away.
  {
    std::vector<Session> sessions;
    for (int i = 0; i < 3; ++i) {
      DUO_ASSERT_OK_AND_ASSIGN(Session session, db_->StandaloneSession());
      DUO_ASSERT_OK(session.Execute(Text("SELECT 1")).status());
      sessions.push_back(std::move(session));
    }
  }
  // And one transaction in flight across the restart.
  DUO_ASSERT_OK_AND_ASSIGN(Session in_flight, db_->StandaloneSession());
  DUO_ASSERT_OK(in_flight.Begin());
  DUO_ASSERT_OK(in_flight.Execute(Text("INSERT INTO canary VALUES (5, 'in flight')")).status());

  DUO_ASSERT_OK(testing::RestartPostgresServer());

  const absl::Status commit = in_flight.Commit();
  Saw("server restarted, COMMIT of the transaction in flight", commit);
  EXPECT_EQ(commit.code(), absl::StatusCode::kUnavailable) << commit;
  EXPECT_EQ(GetErrorKind(commit), ErrorKind::kConnectionLost) << commit;

  // Every call after the restart succeeds: the pool drops the dead
  // connections instead of handing them out.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Rows(*db_, "canary"), 1) << "call " << i;
  }
  DUO_ASSERT_OK(db_->Transaction([](Session& s) {
    return s.Execute(Text("INSERT INTO canary VALUES (6, 'after restart')")).status();
  }));
  EXPECT_EQ(Rows(*admin_, "canary"), 2);
}

TEST_F(PostgresFaultTest, StatementTimeoutRollsBackTheTransaction) {
  DUO_ASSERT_OK_AND_ASSIGN(
      Database limited,
      Database::Open(database().url(), {.statement_timeout = absl::Milliseconds(200)}));
  const absl::Time start = absl::Now();
  const absl::Status status = limited.Transaction([](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(Text("INSERT INTO canary VALUES (7, 'slow')")).status());
    return s.Execute(Text("SELECT pg_sleep(10)")).status();
  });
  Saw("statement timeout", status);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kTimeout) << status;
  EXPECT_EQ(Rows(limited, "canary"), 1);
}

TEST_F(PostgresFaultTest, SerializationFailureIsAbortedAndRetrySucceeds) {
  // Write skew: each transaction reads what the other writes.
  DUO_ASSERT_OK_AND_ASSIGN(Session first, db_->StandaloneSession());
  DUO_ASSERT_OK_AND_ASSIGN(Session second, db_->StandaloneSession());
  const TransactionOptions serializable{.isolation = IsolationLevel::kSerializable};
  DUO_ASSERT_OK(first.Begin(serializable));
  DUO_ASSERT_OK(second.Begin(serializable));
  DUO_ASSERT_OK(first.Execute(Text("SELECT count(*) FROM canary WHERE id >= 100")).status());
  DUO_ASSERT_OK(second.Execute(Text("SELECT count(*) FROM canary WHERE id >= 100")).status());
  DUO_ASSERT_OK(first.Execute(Text("INSERT INTO canary VALUES (100, 'first')")).status());
  const absl::Status written =
      second.Execute(Text("INSERT INTO canary VALUES (101, 'second')")).status();
  DUO_ASSERT_OK(first.Commit());
  const absl::Status committed = written.ok() ? second.Commit() : written;
  Saw("serialization failure", committed);
  EXPECT_EQ(committed.code(), absl::StatusCode::kAborted) << committed;
  EXPECT_EQ(GetErrorKind(committed), ErrorKind::kSerializationFailure) << committed;
  EXPECT_EQ(GetErrorDetails(committed)->sqlstate, "40001");
  if (second.in_transaction()) DUO_ASSERT_OK(second.Rollback());
  EXPECT_EQ(Rows(*db_, "canary"), 2);  // 1 and 100; not 101
  // kAborted means: run the transaction again.
  DUO_ASSERT_OK(db_->Transaction(
      [](Session& s) {
        return s.Execute(Text("INSERT INTO canary VALUES (101, 'retried')")).status();
      },
      serializable));
  EXPECT_EQ(Rows(*db_, "canary"), 3);
}

TEST_F(PostgresFaultTest, DiskFullIsResourceExhaustedAndRollsBack) {
  // A full disk cannot be arranged on a shared test machine; the server's
  // own error for it can: SQLSTATE 53100, raised mid-transaction.
  const absl::Status status = db_->Transaction([](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(Text("INSERT INTO canary VALUES (8, 'before')")).status());
    return s.ExecuteScript(
        "DO $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$");
  });
  Saw("disk_full (53100, raised)", status);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kResourceExhausted) << status;
  EXPECT_EQ(Rows(*db_, "canary"), 1);
}

// ---- MariaDB --------------------------------------------------------------------

absl::StatusOr<int64_t> ConnectionId(Session& session) {
  DUO_ASSIGN_OR_RETURN(Result result, session.Execute(Text("SELECT CONNECTION_ID()")));
  return result.Scalar<int64_t>();
}

class MariadbFaultTest : public testing::MariadbTest {
 protected:
  void SetUp() override {
    testing::MariadbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    DUO_ASSERT_OK_AND_ASSIGN(db_, Database::Open(database().url()));
    DUO_ASSERT_OK_AND_ASSIGN(admin_, Database::Open(database().url()));
    DUO_ASSERT_OK(
        db_->Execute(Text("CREATE TABLE canary (id INTEGER PRIMARY KEY, note TEXT)")).status());
    DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO canary VALUES (1, 'committed'), (2, 'committed')"))
                      .status());
  }

  // KILL CONNECTION from another client; the id is the server's own number.
  absl::Status Kill(int64_t id) {
    DUO_ASSIGN_OR_RETURN(Session admin, admin_->StandaloneSession());
    return admin.ExecuteScript(absl::StrCat("KILL CONNECTION ", id));
  }

  std::optional<Database> db_;
  std::optional<Database> admin_;
};

TEST_F(MariadbFaultTest, ConnectionKilledMidTransactionLosesOnlyTheTransaction) {
  const absl::Status status = db_->Transaction([&](Session& s) -> absl::Status {
    DUO_RETURN_IF_ERROR(s.Execute(Text("INSERT INTO canary VALUES (3, 'uncommitted')")).status());
    DUO_ASSIGN_OR_RETURN(const int64_t id, ConnectionId(s));
    DUO_RETURN_IF_ERROR(Kill(id));
    return s.Execute(Text("INSERT INTO canary VALUES (4, 'after the kill')")).status();
  });
  Saw("connection killed mid-transaction", status);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kConnectionLost) << status;
  EXPECT_EQ(Rows(*db_, "canary"), 2);
  DUO_ASSERT_OK(db_->Transaction([](Session& s) {
    return s.Execute(Text("INSERT INTO canary VALUES (3, 'retried')")).status();
  }));
  EXPECT_EQ(Rows(*admin_, "canary"), 3);
}

TEST_F(MariadbFaultTest, ServerRestartUnderThePoolRecovers) {
  {
    std::vector<Session> sessions;
    for (int i = 0; i < 3; ++i) {
      DUO_ASSERT_OK_AND_ASSIGN(Session session, db_->StandaloneSession());
      DUO_ASSERT_OK(session.Execute(Text("SELECT 1")).status());
      sessions.push_back(std::move(session));
    }
  }
  DUO_ASSERT_OK_AND_ASSIGN(Session in_flight, db_->StandaloneSession());
  DUO_ASSERT_OK(in_flight.Begin());
  DUO_ASSERT_OK(in_flight.Execute(Text("INSERT INTO canary VALUES (5, 'in flight')")).status());

  DUO_ASSERT_OK(testing::RestartMariadbServer());

  const absl::Status commit = in_flight.Commit();
  Saw("server restarted, COMMIT of the transaction in flight", commit);
  EXPECT_EQ(commit.code(), absl::StatusCode::kUnavailable) << commit;
  EXPECT_EQ(GetErrorKind(commit), ErrorKind::kConnectionLost) << commit;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Rows(*db_, "canary"), 2) << "call " << i;
  }
  DUO_ASSERT_OK(db_->Transaction([](Session& s) {
    return s.Execute(Text("INSERT INTO canary VALUES (6, 'after restart')")).status();
  }));
  EXPECT_EQ(Rows(*admin_, "canary"), 3);
}

// MySQL rolls a deadlock's victim back whole, and its error carries no
// server status: a session that went on reading the status of the answer
// before would run the next statement outside any transaction, where it
// commits alone. It must fail instead, and Commit with it.
TEST_F(MariadbFaultTest, ADeadlockVictimRunsNothingMoreAndCommitsNothing) {
  DUO_ASSERT_OK_AND_ASSIGN(Session first, db_->StandaloneSession());
  DUO_ASSERT_OK_AND_ASSIGN(Session second, db_->StandaloneSession());
  DUO_ASSERT_OK(first.Begin());
  DUO_ASSERT_OK(second.Begin());
  DUO_ASSERT_OK(first.Execute(Text("UPDATE canary SET note = 'first' WHERE id = 1")).status());
  DUO_ASSERT_OK(second.Execute(Text("UPDATE canary SET note = 'second' WHERE id = 2")).status());
  absl::Status first_crossed;
  std::thread waiter([&] {
    first_crossed = first.Execute(Text("UPDATE canary SET note = 'first' WHERE id = 2")).status();
  });
  absl::SleepFor(absl::Milliseconds(300));  // first is waiting for second's lock
  const absl::Status second_crossed =
      second.Execute(Text("UPDATE canary SET note = 'second' WHERE id = 1")).status();
  waiter.join();
  Saw("deadlock, first", first_crossed);
  Saw("deadlock, second", second_crossed);
  ASSERT_NE(first_crossed.ok(), second_crossed.ok()) << "one of the two is the victim";
  Session& victim = first_crossed.ok() ? second : first;
  Session& survivor = first_crossed.ok() ? first : second;
  const absl::Status deadlock = first_crossed.ok() ? second_crossed : first_crossed;
  EXPECT_EQ(GetErrorKind(deadlock), ErrorKind::kSerializationFailure) << deadlock;

  const absl::Status after =
      victim.Execute(Text("INSERT INTO canary VALUES (50, 'alone')")).status();
  Saw("a statement after the deadlock", after);
  EXPECT_EQ(after.code(), absl::StatusCode::kAborted) << after;
  EXPECT_EQ(GetErrorKind(after), ErrorKind::kSerializationFailure) << after;
  const absl::Status commit = victim.Commit();
  EXPECT_EQ(commit.code(), absl::StatusCode::kAborted) << commit;
  DUO_ASSERT_OK(survivor.Commit());
  DUO_ASSERT_OK_AND_ASSIGN(Result alone,
                           admin_->Execute(Text("SELECT count(*) FROM canary WHERE id = 50")));
  EXPECT_EQ(alone.Scalar<int64_t>().value_or(-1), 0);

  // The session is usable again: a new transaction begins and commits.
  DUO_ASSERT_OK(victim.Begin());
  DUO_ASSERT_OK(victim.Execute(Text("INSERT INTO canary VALUES (51, 'retried')")).status());
  DUO_ASSERT_OK(victim.Commit());
  EXPECT_EQ(Rows(*admin_, "canary"), 3);
}

// ---- SQLite ---------------------------------------------------------------------

class SqliteFaultTest : public testing::SqliteTest {
 protected:
  void SetUp() override {
    testing::SqliteTest::SetUp();
    DUO_ASSERT_OK_AND_ASSIGN(
        db_, Database::Open(database().url(), {.sqlite_busy_timeout = absl::Milliseconds(100)}));
    DUO_ASSERT_OK(
        db_->Execute(Text("CREATE TABLE canary (id INTEGER PRIMARY KEY, note TEXT)")).status());
    DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO canary VALUES (1, 'committed')")).status());
  }

  void ExpectIntact(int64_t rows) {
    DUO_ASSERT_OK_AND_ASSIGN(Result check, db_->Execute(Text("PRAGMA integrity_check")));
    EXPECT_EQ(check.Scalar<std::string>().value_or("?"), "ok");
    EXPECT_EQ(Rows(*db_, "canary"), rows);
  }

  std::optional<Database> db_;
};

TEST_F(SqliteFaultTest, WriteLockedDatabaseTimesOutAndStaysIntact) {
  DUO_ASSERT_OK_AND_ASSIGN(Database other, Database::Open(database().url()));
  DUO_ASSERT_OK_AND_ASSIGN(Session holder, other.StandaloneSession());
  DUO_ASSERT_OK(holder.ExecuteScript("BEGIN IMMEDIATE"));
  DUO_ASSERT_OK(holder.Execute(Text("INSERT INTO canary VALUES (2, 'holder')")).status());

  const absl::Status status = db_->Transaction([](Session& s) {
    return s.Execute(Text("INSERT INTO canary VALUES (3, 'blocked')")).status();
  });
  Saw("sqlite write lock held elsewhere", status);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kTimeout) << status;
  EXPECT_THAT(status.message(), HasSubstr("locked"));
  // Readers are not blocked (WAL), and see only what is committed.
  EXPECT_EQ(Rows(*db_, "canary"), 1);

  DUO_ASSERT_OK(holder.ExecuteScript("COMMIT"));
  DUO_ASSERT_OK(db_->Transaction([](Session& s) {
    return s.Execute(Text("INSERT INTO canary VALUES (3, 'after')")).status();
  }));
  ExpectIntact(3);
}

TEST_F(SqliteFaultTest, PageLimitReachedMidTransactionRollsBack) {
  // max_page_count is per connection: a standalone session keeps one.
  DUO_ASSERT_OK_AND_ASSIGN(Session session, db_->StandaloneSession());
  DUO_ASSERT_OK_AND_ASSIGN(Result pages, session.Execute(Text("PRAGMA page_count")));
  DUO_ASSERT_OK_AND_ASSIGN(const int64_t page_count, pages.Scalar<int64_t>());
  DUO_ASSERT_OK(session.ExecuteScript(absl::StrCat("PRAGMA max_page_count = ", page_count + 2)));
  DUO_ASSERT_OK(session.Begin());
  absl::Status status;
  for (int i = 10; i < 200 && status.ok(); ++i) {
    status = session
                 .Execute(Text("INSERT INTO canary VALUES (:id, :note)")
                              .Bind("id", i)
                              .Bind("note", std::string(4000, 'x')))
                 .status();
  }
  Saw("sqlite max_page_count reached", status);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kResourceExhausted) << status;
  EXPECT_THAT(status.message(), HasSubstr("full")) << status;
  // SQLite rolled the transaction back itself: what the session runs next,
  // until it rolls back too, would commit alone, so it is refused.
  if (!session.in_transaction()) {
    const absl::Status alone =
        session.Execute(Text("INSERT INTO canary VALUES (3, 'alone')")).status();
    EXPECT_EQ(GetErrorKind(alone), ErrorKind::kSerializationFailure) << alone;
  }
  DUO_ASSERT_OK(session.Rollback());
  ExpectIntact(1);
  // Lifting the limit makes the same writes work on the same connection.
  DUO_ASSERT_OK(session.ExecuteScript("PRAGMA max_page_count = 1073741823"));
  DUO_ASSERT_OK(
      session
          .Execute(
              Text("INSERT INTO canary VALUES (2, :note)").Bind("note", std::string(4000, 'x')))
          .status());
  ExpectIntact(2);
}

TEST_F(SqliteFaultTest, FileSizeLimitFailsTheWriteAndKeepsTheDatabase) {
  // The process's RLIMIT_FSIZE stands in for a full disk: a write past it
  // fails with EFBIG (SIGXFSZ, which would kill the process, is ignored).
  // Nothing is printed while the limit is on: the test log is a file too.
  DUO_ASSERT_OK(db_->Execute(Text("PRAGMA wal_checkpoint(TRUNCATE)")).status());
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct sigaction ignore = {}, previous = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &previous), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const absl::Status status = db_->Transaction([](Session& s) -> absl::Status {
    for (int i = 10; i < 100; ++i) {
      DUO_RETURN_IF_ERROR(s.Execute(Text("INSERT INTO canary VALUES (:id, :note)")
                                        .Bind("id", i)
                                        .Bind("note", std::string(4000, 'y')))
                              .status());
    }
    return absl::OkStatus();
  });
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  ASSERT_EQ(sigaction(SIGXFSZ, &previous, nullptr), 0);
  Saw("sqlite RLIMIT_FSIZE reached", status);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), AnyOf(HasSubstr("full"), HasSubstr("I/O"))) << status;
  EXPECT_NE(GetErrorKind(status), ErrorKind::kOther) << status;
  ExpectIntact(1);
  DUO_ASSERT_OK(db_->Execute(Text("INSERT INTO canary VALUES (2, 'after')")).status());
  ExpectIntact(2);
}

}  // namespace
}  // namespace duo
