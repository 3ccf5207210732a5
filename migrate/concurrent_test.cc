// Several duo-migrate processes upgrading one database at once, on each
// backend: every revision applies exactly once, whatever runs at the same
// time, and every process exits with a code that means what the docs say
// (0: done, the others having nothing left to do).
//
// The revisions are not idempotent (a CREATE TABLE, an INSERT), and one is
// `transactional: false`, which the version-table re-read inside a
// revision's transaction cannot protect: only a lock held for the whole
// run can. Before it, SQLite applied such a revision once per process, and
// the processes that lost the race exited 3 ("refused before anything
// ran") after running its statements.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "gtest/gtest.h"
#include "migrate/revision.h"
#include "migrate/runner.h"
#include "testing/database.h"
#include "testing/status.h"

namespace duo::migrate {
namespace {

constexpr int kProcesses = 4;
constexpr int kRounds = 3;

class ConcurrentUpgradeTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    testing::BackendTest::SetUp();
    if (IsSkipped()) return;
    directory_ = std::filesystem::path(::testing::TempDir()) /
                 absl::StrCat("concurrent_", std::string(testing::BackendName(backend())));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    DUO_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(database().url()));
    db_.emplace(std::move(db));
  }

  // Starts the CLI's `upgrade`; returns its pid.
  pid_t StartUpgrade() {
    const std::string binary = std::filesystem::absolute("migrate/library_migrate").string();
    const std::string url = database().url();
    const std::string dir = directory_.string();
    const pid_t pid = fork();
    if (pid == 0) {
      // Quiet: the parent reads exit codes, not logs.
      if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
      execl(binary.c_str(), binary.c_str(), "upgrade", "--url", url.c_str(), "--dir", dir.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  }

  static int Wait(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  int64_t Count(const std::string& sql) {
    absl::StatusOr<Result> result = db_->Execute(sql::Text(sql));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->Scalar<int64_t>().value_or(-1) : -1;
  }

  std::filesystem::path directory_;
  std::optional<Database> db_;
};

TEST_P(ConcurrentUpgradeTest, EachRevisionAppliesOnceAndEveryProcessExitsZero) {
  std::string parent;
  for (int round = 0; round < kRounds; ++round) {
    // Two revisions a round: a transactional one, then one that is not.
    for (int i = 0; i < 2; ++i) {
      const int n = round * 2 + i;
      Revision revision{.id = absl::StrCat("c0ffee0000", n < 10 ? "0" : "", n),
                        .parent = parent,
                        .message = absl::StrCat("step ", n),
                        .dialect = std::string(db_->dialect().name()),
                        .transactional = i == 0};
      revision.up = {absl::StrCat("CREATE TABLE step_", n, " (id INTEGER PRIMARY KEY)"),
                     absl::StrCat("INSERT INTO step_", n, " (id) VALUES (1)")};
      revision.down = {absl::StrCat("DROP TABLE step_", n)};
      DUO_ASSERT_OK(WriteRevisionFile(directory_.string(), revision).status());
      parent = revision.id;
    }
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) children.push_back(StartUpgrade());
    for (const pid_t child : children) {
      ASSERT_GT(child, 0);
      EXPECT_EQ(Wait(child), 0) << "round " << round;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM duo_migrations"), (round + 1) * 2);
    for (int n = 0; n < (round + 1) * 2; ++n) {
      EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM step_", n)), 1) << "step " << n;
    }
  }
}

// duo-migrate takes a session lock for its run: against the server, not PgBouncer.
INSTANTIATE_TEST_SUITE_P(Backends, ConcurrentUpgradeTest,
                         ::testing::ValuesIn(::duo::testing::SelectedBackends(
                             {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,
                              ::duo::testing::Backend::kMariadb})),
                         ::duo::testing::BackendParamName);

}  // namespace
}  // namespace duo::migrate
