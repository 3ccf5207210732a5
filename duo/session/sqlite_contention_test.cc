// SQLite under contention: many writers on one file, each transaction
// reading before it writes; and the URL options that tune it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/engine/error.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo {
namespace {

using ::duo::sql::Text;
using ::testing::HasSubstr;

class SqliteContentionTest : public testing::SqliteTest {
 protected:
  Database Open(absl::string_view suffix = "") {
    absl::StatusOr<Database> db = Database::Open(absl::StrCat(database().url(), suffix));
    EXPECT_TRUE(db.ok()) << db.status();
    return *db;
  }

  // `threads` threads each run `each` read-then-write transactions with
  // `options`; returns how many committed, and counts the failures by code.
  int64_t Increment(Database& db, int threads, int each, TransactionOptions options,
                    std::atomic<int>& aborted, std::atomic<int>& other) {
    std::atomic<int64_t> committed{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < each; ++i) {
          absl::Status status = db.Transaction(
              [&](Session& s) -> absl::Status {
                absl::StatusOr<Result> read = s.Execute(Text("SELECT n FROM counter"));
                if (!read.ok()) return read.status();
                absl::StatusOr<int64_t> n = read->Scalar<int64_t>();
                if (!n.ok()) return n.status();
                return s.Execute(Text("UPDATE counter SET n = :n").Bind("n", *n + 1)).status();
              },
              options);
          if (status.ok()) {
            ++committed;
          } else if (absl::IsAborted(status)) {
            ++aborted;
          } else {
            ++other;
            ADD_FAILURE() << status;
          }
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    return committed;
  }

  int64_t Counter(Database& db) {
    absl::StatusOr<Result> n = db.Execute(Text("SELECT n FROM counter"));
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? n->Scalar<int64_t>().value_or(-1) : -1;
  }
};

TEST_F(SqliteContentionTest, ReadThenWriteTransactionsAllCommitByDefault) {
  Database db = Open();
  ASSERT_TRUE(db.Execute(Text("CREATE TABLE counter (n INTEGER NOT NULL)")).ok());
  ASSERT_TRUE(db.Execute(Text("INSERT INTO counter VALUES (0)")).ok());
  std::atomic<int> aborted{0}, other{0};
  // BEGIN IMMEDIATE: each transaction waits for the write lock up front,
  // within the busy timeout, so none fails and no increment is lost.
  const int64_t committed = Increment(db, 16, 25, {}, aborted, other);
  EXPECT_EQ(committed, 16 * 25);
  EXPECT_EQ(aborted.load(), 0);
  EXPECT_EQ(Counter(db), 16 * 25);
}

TEST_F(SqliteContentionTest, DeferredTransactionsThatCannotUpgradeAreRetryable) {
  Database db = Open();
  ASSERT_TRUE(db.Execute(Text("CREATE TABLE counter (n INTEGER NOT NULL)")).ok());
  ASSERT_TRUE(db.Execute(Text("INSERT INTO counter VALUES (0)")).ok());
  std::atomic<int> aborted{0}, other{0};
  const int64_t committed =
      Increment(db, 16, 25, {.sqlite_locking = SqliteLocking::kDeferred}, aborted, other);
  // Every failure says "retry the transaction" (Aborted), none says the busy
  // timeout passed; and every commit counted exactly once.
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(committed + aborted.load(), 16 * 25);
  EXPECT_EQ(Counter(db), committed);
}

TEST_F(SqliteContentionTest, TheBusyTimeoutInTheUrlIsHonoured) {
  Database holder = Open();
  ASSERT_TRUE(holder.Execute(Text("CREATE TABLE t (x INTEGER)")).ok());
  absl::StatusOr<Session> session = holder.StandaloneSession();
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(session->Begin().ok());  // IMMEDIATE: holds the write lock
  ASSERT_TRUE(session->Execute(Text("INSERT INTO t VALUES (1)")).ok());

  Database impatient = Open("?busy_timeout_ms=100");
  const absl::Time start = absl::Now();
  absl::Status blocked = impatient.Execute(Text("INSERT INTO t VALUES (2)")).status();
  const absl::Duration waited = absl::Now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(blocked)) << blocked;
  EXPECT_GE(waited, absl::Milliseconds(80));
  EXPECT_LT(waited, absl::Seconds(2));  // not the default 5 s
  ASSERT_TRUE(session->Rollback().ok());
}

TEST_F(SqliteContentionTest, UrlOptionsAreCheckedAndHonoured) {
  for (const char* bad :
       {"?mode=bogus", "?busy_timeout_ms=soon", "?journal=wal", "?cache=shared"}) {
    absl::StatusOr<Database> refused = Database::Open(absl::StrCat(database().url(), bad));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  Database writer = Open();
  ASSERT_TRUE(writer.Execute(Text("CREATE TABLE t (x INTEGER)")).ok());
  Database reader = Open("?mode=ro");
  EXPECT_TRUE(reader.Execute(Text("SELECT count(*) FROM t")).ok());
  absl::Status write = reader.Execute(Text("INSERT INTO t VALUES (1)")).status();
  EXPECT_FALSE(write.ok());
}

}  // namespace
}  // namespace duo
