#include "testing/internal/postgres_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libpq-fe.h"
#include "testing/database.h"

namespace duo::testing_internal {
namespace {

// PostgresTest supplies the skip-or-fail policy for a missing PostgreSQL.
class PostgresServerTest : public duo::testing::PostgresTest {};

struct Helper {
  pid_t pid = -1;
  pid_t postmaster = -1;
  std::string directory;
};

std::string HelperPath() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") +
         "/testing/postgres_exit_helper";
}

// Runs the helper in `mode` and reads which server it started.
std::optional<Helper> StartHelper(const char* mode) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  const std::string path = HelperPath();
  Helper helper;
  helper.pid = fork();
  if (helper.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(path.c_str(), path.c_str(), mode, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  FILE* out = fdopen(fds[0], "r");
  char line[512] = {};
  const bool got_line = std::fgets(line, sizeof line, out) != nullptr;
  std::fclose(out);
  if (!got_line) return std::nullopt;
  std::vector<std::string> fields = absl::StrSplit(absl::StripAsciiWhitespace(line), ' ');
  if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &helper.postmaster)) return std::nullopt;
  helper.directory = fields[1];
  return helper;
}

int Wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

// The supervisor notices a crash asynchronously; give it a few seconds.
bool ServerGoneWithin(const Helper& helper, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (ProcessGone(helper.postmaster) && !std::filesystem::exists(helper.directory)) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// PgBouncer 1.18 can die on a cancel (pgbouncer#822): the next test asking
// for it gets a working one, not the dead one's socket.
TEST_F(PostgresServerTest, ADeadPgBouncerIsReplacedForTheNextTest) {
  absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  const auto mode = PostgresServer::PgBouncerMode::kSession;
  absl::StatusOr<std::string> first = (*server)->PgBouncerUrl(mode, "postgres");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string directory =
      (*first).substr(first->find("host=") + 5, first->find("&port") - first->find("host=") - 5);
  // The pgbouncer process itself, not its supervisor nor this shell.
  const std::string kill = "pkill -KILL -f '^[^ ]*pgbouncer " + directory + "/pgbouncer.ini$'";
  ASSERT_EQ(std::system(kill.c_str()), 0) << kill;
  const std::string dead = "host=" + directory + " port=6432 user=duo dbname=postgres";
  for (int i = 0; i < 100 && PQping(dead.c_str()) == PQPING_OK; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_NE(PQping(dead.c_str()), PQPING_OK);
  absl::StatusOr<std::string> second = (*server)->PgBouncerUrl(mode, "postgres");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *first);
  PGconn* conn = PQconnectdb(second->c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQfinish(conn);
}

TEST_F(PostgresServerTest, ServerIsGoneAsSoonAsTheBinaryExitsNormally) {
  std::optional<Helper> helper = StartHelper("exit");
  ASSERT_TRUE(helper.has_value());
  EXPECT_FALSE(ProcessGone(helper->postmaster) && helper->postmaster > 0);
  const int status = Wait(helper->pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // A normal exit waits for the cleanup: nothing may be left at this point.
  EXPECT_TRUE(ProcessGone(helper->postmaster));
  EXPECT_FALSE(std::filesystem::exists(helper->directory)) << helper->directory;
}

TEST_F(PostgresServerTest, ServerIsGoneAfterTheBinaryCrashes) {
  std::optional<Helper> helper = StartHelper("crash");
  ASSERT_TRUE(helper.has_value());
  const int status = Wait(helper->pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_TRUE(ServerGoneWithin(*helper, absl::Seconds(10)))
      << "postmaster " << helper->postmaster << " or " << helper->directory << " survived";
}

TEST_F(PostgresServerTest, ServerIsGoneAfterTheBinaryIsKilled) {
  std::optional<Helper> helper = StartHelper("hang");
  ASSERT_TRUE(helper.has_value());
  ASSERT_EQ(kill(helper->pid, SIGKILL), 0);
  Wait(helper->pid);
  EXPECT_TRUE(ServerGoneWithin(*helper, absl::Seconds(10)))
      << "postmaster " << helper->postmaster << " or " << helper->directory << " survived";
}

TEST_F(PostgresServerTest, EachCallCreatesADistinctDatabase) {
  absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  constexpr int kDatabases = 10;
  std::vector<std::string> names;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kDatabases; ++i) {
    absl::StatusOr<std::string> name = (*server)->CreateDatabase();
    ASSERT_TRUE(name.ok()) << name.status();
    names.push_back(*name);
  }
  const absl::Duration per_database = (absl::Now() - start) / kDatabases;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) EXPECT_TRUE((*server)->DropDatabase(name).ok());
  // Informational: the cost a test pays for its fresh database.
  std::printf("fresh PostgreSQL database: %s each\n", absl::FormatDuration(per_database).c_str());
}

TEST(FindPostgresBinDirTest, NamesTheConfiguredDirectoryWhenItLacksTheBinaries) {
  setenv("DUO_POSTGRES_BIN", "/nonexistent/postgres/bin", 1);
  // The shared server may already run in this process; the lookup itself is
  // what decides for a process that has none yet.
  absl::StatusOr<std::string> found = FindPostgresBinDir();
  unsetenv("DUO_POSTGRES_BIN");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(found.status().message().find("/nonexistent/postgres/bin"), std::string::npos);
}

}  // namespace
}  // namespace duo::testing_internal
