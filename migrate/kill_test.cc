// duo-migrate killed in the middle of `upgrade`, on each backend: the
// database stays at the last revision that completed, the version table
// agrees with the schema, and the next `upgrade` finishes the job.
//
// The second revision's statement runs for as long as a "knob" table says
// (pg_sleep on PostgreSQL, a recursive CTE on SQLite, SLEEP on MariaDB), so
// the test can SIGKILL the CLI while that statement runs, then turn the
// knob down and upgrade again with the same files.
//
// On MariaDB, whose DDL commits as it runs, the killed revision's first
// statement stays, the next `upgrade` reports the revision part way and
// runs nothing, and `upgrade --resume` finishes it (runner.h).

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gtest/gtest.h"
#include "migrate/runner.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo::migrate {
namespace {

using sql::Text;
using testing::Backend;

constexpr char kFirst[] = "aaaaaaaaaaa1";
constexpr char kSecond[] = "bbbbbbbbbbb2";

class MigrateKillTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    testing::BackendTest::SetUp();
    if (IsSkipped()) return;
    directory_ = std::filesystem::path(::testing::TempDir()) /
                 absl::StrCat("kill_test_", std::string(testing::BackendName(backend())));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    const bool pg = backend() == Backend::kPostgres;
    const bool mariadb = backend() == Backend::kMariadb;
    const std::string dialect = pg ? "postgresql" : mariadb ? "mysql" : "sqlite";
    Write(absl::StrCat(kFirst, "_knob.sql"),
          absl::StrCat("-- duo-migrate revision\n-- id: ", kFirst,
                       "\n-- parent: base\n-- message: knob\n-- dialect: ", dialect,
                       "\n\n-- duo:up\nCREATE TABLE knob (n INTEGER NOT NULL);\n"
                       "INSERT INTO knob VALUES (",
                       // MariaDB goes on sleeping after its client died:
                       // long enough to kill the CLI in it, short enough
                       // for the next run to wait out.
                       pg        ? "600"
                       : mariadb ? "3"
                                 : "2000000000",
                       ");\n\n-- duo:down\nDROP TABLE knob;\n-- duo:end\n"));
    // The slow statement comes after a write of the same revision, so a
    // kill mid-revision has something to roll back.
    const std::string slow =
        pg        ? "SELECT pg_sleep((SELECT n FROM knob))"
        : mariadb ? "DO SLEEP((SELECT n FROM knob))"
                  : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                    "WHERE x < (SELECT n FROM knob)) INSERT INTO slow SELECT x FROM c";
    Write(absl::StrCat(kSecond, "_slow.sql"),
          absl::StrCat("-- duo-migrate revision\n-- id: ", kSecond, "\n-- parent: ", kFirst,
                       "\n-- message: slow\n-- dialect: ", dialect,
                       "\n\n-- duo:up\nCREATE TABLE slow (x INTEGER);\n", slow,
                       ";\n\n-- duo:down\nDROP TABLE slow;\n-- duo:end\n"));
    DUO_ASSERT_OK_AND_ASSIGN(db_, Database::Open(database().url()));
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(directory_ / name) << text;
  }

  // Starts the CLI's `upgrade` (with --resume when `resume`); returns its
  // pid.
  pid_t StartUpgrade(bool resume = false) {
    const std::string binary = std::filesystem::absolute("migrate/library_migrate").string();
    const std::string url = database().url();
    const std::string dir = directory_.string();
    const pid_t pid = fork();
    if (pid == 0) {
      execl(binary.c_str(), binary.c_str(), "upgrade", "--url", url.c_str(), "--dir", dir.c_str(),
            resume ? "--resume" : static_cast<char*>(nullptr), static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }

  // Waits for the child; its exit code, or -signal.
  static int Wait(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  std::optional<std::string> Current() {
    absl::StatusOr<std::optional<std::string>> current =
        Migrator(*db_, directory_.string()).Current();
    EXPECT_TRUE(current.ok()) << current.status();
    return current.ok() ? *current : std::nullopt;
  }

  // Whether the slow statement is running now (PostgreSQL: the server says
  // so; SQLite: the first revision is recorded and the file is growing).
  bool SlowStatementRunning() {
    if (backend() == Backend::kPostgres) {
      absl::StatusOr<Result> running = db_->Execute(Text(
          "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep((SELECT%'"));
      return running.ok() && *running->Scalar<int64_t>() > 0;
    }
    if (backend() == Backend::kMariadb) {
      absl::StatusOr<Result> running = db_->Execute(
          Text("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP%'"));
      return running.ok() && *running->Scalar<int64_t>() > 0;
    }
    return Current() == kFirst;
  }

  std::filesystem::path directory_;
  std::optional<Database> db_;
};

TEST_P(MigrateKillTest, KilledUpgradeLeavesThePreviousRevisionAndResumes) {
  const pid_t child = StartUpgrade();
  ASSERT_GT(child, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!SlowStatementRunning() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(SlowStatementRunning()) << "the upgrade never reached the slow statement";
  // Well into the statement (SQLite has been writing rows for a while).
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(Wait(child), -SIGKILL);

  // On PostgreSQL the backend outlives its client for up to a second (the
  // runner sets client_connection_check_interval), then aborts the slow
  // statement, rolling the revision back and releasing the advisory lock;
  // the next upgrade waits for that lock. Without the setting the backend
  // would sleep on for ten minutes, holding the lock.
  const absl::Time killed = absl::Now();
  // At the first revision, recorded once; nothing of the second remains.
  EXPECT_EQ(Current(), kFirst);
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<AppliedRevision> applied,
                           Migrator(*db_, directory_.string()).Applied());
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].id, kFirst);
  const absl::Status slow_table = db_->Execute(Text("SELECT count(*) FROM slow")).status();
  if (backend() == Backend::kMariadb) {
    // Its CREATE TABLE committed; the next run (once the server has ended
    // the dead client's SLEEP and with it the lock) says where it stopped
    // and runs nothing.
    EXPECT_TRUE(slow_table.ok()) << slow_table;
    const pid_t reported = StartUpgrade();
    ASSERT_GT(reported, 0);
    EXPECT_EQ(Wait(reported), 3);
    EXPECT_EQ(Current(), kFirst);
  } else {
    EXPECT_FALSE(slow_table.ok()) << "the killed revision's table survived";
  }

  // Same files, a shorter statement: the next upgrade completes (on
  // MariaDB when told to resume, from the statement that was running).
  DUO_ASSERT_OK(db_->Execute(Text("UPDATE knob SET n = 3")).status());
  const pid_t again = StartUpgrade(backend() == Backend::kMariadb);
  ASSERT_GT(again, 0);
  EXPECT_EQ(Wait(again), 0);
  EXPECT_LT(absl::Now() - killed, absl::Seconds(30));
  EXPECT_EQ(Current(), kSecond);
  DUO_ASSERT_OK_AND_ASSIGN(applied, Migrator(*db_, directory_.string()).Applied());
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[1].id, kSecond);
  EXPECT_TRUE(db_->Execute(Text("SELECT count(*) FROM slow")).ok());
}

// Kills server backends and holds locks across statements: direct only.
INSTANTIATE_TEST_SUITE_P(Backends, MigrateKillTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);

}  // namespace
}  // namespace duo::migrate
