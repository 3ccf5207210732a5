#include "testing/mariadb.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "testing/internal/mariadb_server.h"

namespace duo::testing {
namespace {

using ::duo::testing_internal::MariadbServer;

bool EnvIsTrue(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return false;
  const std::string_view text = value;
  return text == "1" || text == "true" || text == "TRUE" || text == "yes";
}

// Everything `fd` holds until end of file.
std::string ReadAll(int fd) {
  std::string out;
  char buffer[8192];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

bool MariadbMustRun() {
  return EnvIsTrue("CI") || EnvIsTrue("DUO_REQUIRE_POSTGRES") || EnvIsTrue("DUO_REQUIRE_MARIADB");
}

absl::Status RestartMariadbServer() {
  DUO_ASSIGN_OR_RETURN(MariadbServer * server, MariadbServer::Shared());
  return server->Restart();
}

TestMariadbDatabase::TestMariadbDatabase(std::string name, std::string socket_path,
                                         std::string user, std::string url)
    : name_(std::move(name)),
      socket_path_(std::move(socket_path)),
      user_(std::move(user)),
      url_(std::move(url)) {}

TestMariadbDatabase::~TestMariadbDatabase() {
  absl::StatusOr<MariadbServer*> server = MariadbServer::Shared();
  if (!server.ok()) return;
  absl::Status dropped = (*server)->DropDatabase(name_);
  if (!dropped.ok()) ADD_FAILURE() << "dropping the test database: " << dropped;
}

absl::StatusOr<std::unique_ptr<TestMariadbDatabase>> TestMariadbDatabase::New() {
  DUO_ASSIGN_OR_RETURN(MariadbServer * server, MariadbServer::Shared());
  DUO_ASSIGN_OR_RETURN(std::string name, server->CreateDatabase());
  std::string url = server->Url(name);
  return std::unique_ptr<TestMariadbDatabase>(new TestMariadbDatabase(
      std::move(name), server->socket_path(), MariadbServer::kUser, std::move(url)));
}

absl::StatusOr<std::string> RunMariadbCli(const TestMariadbDatabase& database,
                                          absl::string_view sql) {
  DUO_ASSIGN_OR_RETURN(MariadbServer * server, MariadbServer::Shared());
  std::vector<std::string> argv = server->ClientCommand(database.name());
  argv.push_back("--execute=" + std::string(sql));
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);

  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError("pipe2 failed");
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  // The client writes its error after its output: reading stdout to its end
  // first cannot block on a full stderr pipe for a one-line message.
  std::string output = ReadAll(out[0]);
  const std::string errors = ReadAll(err[0]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("mariadb -e \"", sql, "\" failed (wait status ", status,
                                            "): ", errors, output));
  }
  if (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

void MariadbTest::SetUp() {
  absl::StatusOr<std::unique_ptr<TestMariadbDatabase>> created = TestMariadbDatabase::New();
  if (created.ok()) {
    database_ = *std::move(created);
    return;
  }
  if (absl::IsUnavailable(created.status()) && !MariadbMustRun()) {
    GTEST_SKIP() << "MariaDB tests skipped: " << created.status().message()
                 << " (CI=true, DUO_REQUIRE_POSTGRES=1 or DUO_REQUIRE_MARIADB=1 turns this into a "
                    "failure)";
  }
  FAIL() << "cannot create a MariaDB test database: " << created.status();
}

}  // namespace duo::testing
