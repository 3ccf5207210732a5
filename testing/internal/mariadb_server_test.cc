#include "testing/internal/mariadb_server.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/mariadb.h"

namespace duo::testing_internal {
namespace {

// MariadbTest supplies the skip-or-fail policy for a missing MariaDB.
class MariadbServerTest : public duo::testing::MariadbTest {};

struct Helper {
  pid_t pid = -1;
  pid_t server = -1;
  std::string directory;
};

std::string HelperPath() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") +
         "/testing/mariadb_exit_helper";
}

struct Account {
  uid_t uid;
  gid_t gid;
};

// Runs the helper at `path` in `mode` (as `account` when given) and reads
// which server it started.
std::optional<Helper> StartHelper(const char* mode, const std::string& path = HelperPath(),
                                  std::optional<Account> account = std::nullopt) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  Helper helper;
  helper.pid = fork();
  if (helper.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    if (account &&
        (setgroups(0, nullptr) != 0 || setgid(account->gid) != 0 || setuid(account->uid) != 0)) {
      _exit(126);
    }
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
  if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &helper.server)) return std::nullopt;
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
    if (ProcessGone(helper.server) && !std::filesystem::exists(helper.directory)) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// The real user id of process `pid`, from /proc.
std::optional<uid_t> ProcessUid(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "Uid:")) continue;
    std::vector<absl::string_view> ids = absl::StrSplit(rest, '\t', absl::SkipEmpty());
    uid_t uid = 0;
    if (!ids.empty() && absl::SimpleAtoi(ids[0], &uid)) return uid;
  }
  return std::nullopt;
}

TEST_F(MariadbServerTest, ServerIsGoneAsSoonAsTheBinaryExitsNormally) {
  std::optional<Helper> helper = StartHelper("exit");
  ASSERT_TRUE(helper.has_value());
  EXPECT_GT(helper->server, 0);
  const int status = Wait(helper->pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // A normal exit waits for the cleanup: nothing may be left at this point.
  EXPECT_TRUE(ProcessGone(helper->server));
  EXPECT_FALSE(std::filesystem::exists(helper->directory)) << helper->directory;
}

TEST_F(MariadbServerTest, ServerIsGoneAfterTheBinaryCrashes) {
  std::optional<Helper> helper = StartHelper("crash");
  ASSERT_TRUE(helper.has_value());
  const int status = Wait(helper->pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_TRUE(ServerGoneWithin(*helper, absl::Seconds(10)))
      << "server " << helper->server << " or " << helper->directory << " survived";
}

TEST_F(MariadbServerTest, ServerIsGoneAfterTheBinaryIsKilled) {
  std::optional<Helper> helper = StartHelper("hang");
  ASSERT_TRUE(helper.has_value());
  EXPECT_FALSE(ProcessGone(helper->server));
  ASSERT_EQ(kill(helper->pid, SIGKILL), 0);
  Wait(helper->pid);
  EXPECT_TRUE(ServerGoneWithin(*helper, absl::Seconds(10)))
      << "server " << helper->server << " or " << helper->directory << " survived";
}

// CI runs as root, where the server runs as root too (--user=root); a
// developer runs as themselves. Run as root, this also starts a server as
// an unprivileged account, from a copy of the helper it can execute.
TEST_F(MariadbServerTest, RunsAsTheUserTheTestRunsAs) {
  absl::StatusOr<MariadbServer*> server = MariadbServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ProcessUid((*server)->server_pid()), geteuid());
  if (geteuid() != 0) return;
  struct passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no 'nobody' account to run a server as";
  char directory[] = "/tmp/duo-mariadb-helper-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  const std::string copy = std::string(directory) + "/mariadb_exit_helper";
  std::filesystem::copy_file(HelperPath(), copy);
  ASSERT_EQ(chmod(directory, 0755), 0);
  ASSERT_EQ(chmod(copy.c_str(), 0755), 0);
  std::optional<Helper> helper =
      StartHelper("hang", copy, Account{.uid = nobody->pw_uid, .gid = nobody->pw_gid});
  ASSERT_TRUE(helper.has_value()) << "the helper failed as nobody";
  EXPECT_EQ(ProcessUid(helper->server), nobody->pw_uid);
  ASSERT_EQ(kill(helper->pid, SIGKILL), 0);
  Wait(helper->pid);
  EXPECT_TRUE(ServerGoneWithin(*helper, absl::Seconds(10)))
      << "server " << helper->server << " or " << helper->directory << " survived";
  std::filesystem::remove_all(directory);
}

TEST_F(MariadbServerTest, EachCallCreatesADistinctDatabase) {
  absl::StatusOr<MariadbServer*> server = MariadbServer::Shared();
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
  // Informational: what the fixture costs.
  std::printf("MariaDB test server: data directory %s, start %s; fresh database %s each\n",
              absl::FormatDuration((*server)->install_time()).c_str(),
              absl::FormatDuration((*server)->startup_time()).c_str(),
              absl::FormatDuration(per_database).c_str());
}

TEST_F(MariadbServerTest, TheServerIsPrivateAndSetUpForTests) {
  absl::StatusOr<MariadbServer*> server = MariadbServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::string> settings = duo::testing::RunMariadbCli(
      database(), "SELECT @@skip_networking, @@socket = '" + database().socket_path() +
                      "', @@character_set_server, @@datadir = '" + (*server)->directory() +
                      "/data/', "
                      "@@performance_schema, DATABASE(), @@character_set_database");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(*settings, absl::StrCat("1\t1\tutf8mb4\t1\t0\t", database().name(), "\tutf8mb4"));
  EXPECT_TRUE(absl::StartsWith(database().url(), "mysql://root@localhost/duo_test_"))
      << database().url();
}

TEST_F(MariadbServerTest, DroppingADatabaseEndsTheTransactionsHoldingIt) {
  absl::StatusOr<MariadbServer*> server = MariadbServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::string> name = (*server)->CreateDatabase();
  ASSERT_TRUE(name.ok()) << name.status();
  // A client that keeps a transaction (and its metadata lock) open: the
  // drop must not wait for it.
  std::vector<std::string> argv = (*server)->ClientCommand(*name);
  argv.push_back(
      "--execute=CREATE TABLE t (x int); BEGIN; INSERT INTO t VALUES (1); SELECT SLEEP(60)");
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t client = fork();
  if (client == 0) {
    execv(args[0], args.data());
    _exit(127);
  }
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time start = absl::Now();
  EXPECT_TRUE((*server)->DropDatabase(*name).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  kill(client, SIGKILL);
  Wait(client);
}

TEST_F(MariadbServerTest, RestartKeepsTheData) {
  ASSERT_TRUE(duo::testing::RunMariadbCli(database(),
                                          "CREATE TABLE t (x int); "
                                          "INSERT INTO t VALUES (42)")
                  .ok());
  absl::StatusOr<MariadbServer*> server = MariadbServer::Shared();
  ASSERT_TRUE(server.ok()) << server.status();
  const pid_t before = (*server)->server_pid();
  ASSERT_TRUE(duo::testing::RestartMariadbServer().ok());
  EXPECT_NE((*server)->server_pid(), before);
  EXPECT_TRUE(ProcessGone(before));
  EXPECT_EQ(duo::testing::RunMariadbCli(database(), "SELECT x FROM t").value_or("error"), "42");
}

TEST_F(MariadbServerTest, TheClientReportsErrors) {
  absl::StatusOr<std::string> failed = duo::testing::RunMariadbCli(database(), "SELECT nope");
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "Unknown column")) << failed.status();
}

TEST(FindMariadbBinariesTest, NamesTheConfiguredDirectoryWhenItLacksThePrograms) {
  setenv("DUO_MARIADB_BIN", "/nonexistent/mariadb/bin", 1);
  absl::StatusOr<MariadbBinaries> found = FindMariadbBinaries();
  unsetenv("DUO_MARIADB_BIN");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(found.status().message(), "/nonexistent/mariadb/bin"));
}

}  // namespace
}  // namespace duo::testing_internal
