#include "testing/internal/mariadb_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "mysql.h"

namespace duo::testing_internal {
namespace {

namespace fs = std::filesystem;

// Kills the server the moment the test process is gone: the test process
// holds the write end of the pipe on the supervisor's stdin, and the kernel
// closes it however that process ends. Ignoring HUP/INT/TERM keeps a Ctrl-C
// or a harness timeout aimed at the test from skipping the cleanup. The data
// is thrown away, so SIGKILL, the fastest way down, is the right one. A
// "restart" line on the pipe (Restart()) shuts the server down normally
// (SIGTERM: clients are disconnected, InnoDB shuts down cleanly) and starts
// it again on the same data directory.
constexpr char kSupervisorScript[] = R"sh(
directory=$1
shift
trap '' HUP INT TERM
"$@" </dev/null &
server=$!
while read -r command; do
  if [ "$command" = restart ]; then
    kill -TERM "$server" 2>/dev/null
    wait "$server"
    "$@" </dev/null &
    server=$!
  fi
done
kill -KILL "$server" 2>/dev/null
wait "$server"
rm -rf "$directory"
)sh";

constexpr absl::Duration kStartupTimeout = absl::Seconds(60);

// Options for both mariadb-install-db and the server, so that the data
// directory is made the way the server then runs it.
const std::vector<std::string>& StorageOptions() {
  static const std::vector<std::string>* const options = new std::vector<std::string>{
      // Small caches: a test database holds kilobytes, and a machine runs
      // several test binaries, each with its own server, at once.
      "--innodb-buffer-pool-size=16M",
      "--innodb-log-file-size=8M",
      "--innodb-log-buffer-size=1M",
      "--key-buffer-size=1M",
      "--aria-pagecache-buffer-size=8M",
      // Durability is worthless for a database thrown away after the test.
      "--innodb-flush-log-at-trx-commit=0",
      "--innodb-doublewrite=0",
      "--sync-frm=0",
      // io_uring and libaio are not available in every container; plain
      // reads and writes always are.
      "--innodb-use-native-aio=0",
      "--innodb-buffer-pool-load-at-startup=0",
      "--innodb-buffer-pool-dump-at-shutdown=0",
      // The system tablespace grows in small steps (64 MB by default).
      "--innodb-data-file-path=ibdata1:4M:autoextend",
      "--innodb-temp-data-file-path=ibtmp1:4M:autoextend",
      "--innodb-autoextend-increment=4",
      "--performance-schema=OFF",
      "--skip-name-resolve",
      "--character-set-server=utf8mb4",
  };
  return *options;
}

// Where the server's directory goes: /dev/shm when it is a memory file
// system with room to spare, else /tmp (not the test's TMPDIR: a unix socket
// path is limited to about 100 bytes). On a busy machine's disk,
// mariadb-install-db waits seconds for its writes; in memory it takes under
// one. The directory holds about 30 MB.
std::string BaseDirectory() {
  constexpr uint64_t kMinimumFree = uint64_t{512} << 20;
  struct statvfs shm;
  if (statvfs("/dev/shm", &shm) == 0 && access("/dev/shm", W_OK | X_OK) == 0 &&
      static_cast<uint64_t>(shm.f_bavail) * shm.f_frsize >= kMinimumFree) {
    return "/dev/shm";
  }
  return "/tmp";
}

struct SpawnOptions {
  int stdin_fd = -1;  // -1: /dev/null
  std::string log_path;
  bool new_session = false;
};

// Starts argv[0] with `options`. Everything the child needs is prepared
// before fork(): between fork and exec only async-signal-safe calls are made,
// because the test process may have other threads.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  const int log_fd =
      open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", options.log_path, ": ", std::strerror(errno)));
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int stdin_fd = options.stdin_fd >= 0 ? options.stdin_fd : null_fd;

  const pid_t pid = fork();
  if (pid == 0) {
    if (options.new_session) setsid();
    dup2(stdin_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  return pid;
}

std::string Tail(const std::string& path, size_t max_bytes = 3000) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

absl::Status RunToCompletion(const std::vector<std::string>& argv, const SpawnOptions& options) {
  DUO_ASSIGN_OR_RETURN(const pid_t pid, Spawn(argv, options));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(argv[0], " failed (wait status ", status,
                                          "); its output:\n", Tail(options.log_path)));
}

bool IsExecutable(const fs::path& path) { return access(path.c_str(), X_OK) == 0; }

// The first of `names` that is an executable file in `dir`, or empty.
std::string FindIn(const fs::path& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (IsExecutable(dir / name)) return (dir / name).string();
  }
  return "";
}

// Makes `data_dir` a fresh data directory, as mariadb-install-db `args`
// would. mariadb-install-db takes about a second (several on a busy disk),
// a copy of its result a few hundredths of that, and every test binary needs
// a data directory: the first binary on the machine keeps one as a template
// in /tmp (per user, programs and arguments; built aside and renamed into
// place, so that a template is always whole), and the rest copy it, as the
// PostgreSQL fixture does with initdb.
absl::Status InitializeDataDir(const MariadbBinaries& binaries,
                               const std::vector<std::string>& args, const std::string& data_dir,
                               const std::string& log_path) {
  // The programs' change times stand for their version: a package upgrade
  // makes a new template.
  std::string identity = absl::StrJoin(args, " ");
  for (const std::string& program : {binaries.install_db, binaries.server}) {
    struct stat program_stat;
    if (stat(program.c_str(), &program_stat) != 0) {
      return absl::InternalError(absl::StrCat("stat ", program, ": ", std::strerror(errno)));
    }
    absl::StrAppend(&identity, " ", program, " ", program_stat.st_ctim.tv_sec, ".",
                    program_stat.st_ctim.tv_nsec);
  }
  const std::string template_dir =
      absl::StrCat("/tmp/duo-mariadb-template-", geteuid(), "-",
                   absl::Hex(std::hash<std::string>()(identity), absl::kZeroPad16));
  const SpawnOptions options{.log_path = log_path, .new_session = true};
  std::error_code error;
  // mariadb-install-db writes this file last.
  if (!fs::exists(template_dir + "/data/mysql_upgrade_info", error)) {
    // Made where it is fastest (in memory, when BaseDirectory() is), then
    // copied next to where it goes, and renamed into place.
    std::string scratch = absl::StrCat(BaseDirectory(), "/duo-mariadb-install-XXXXXX");
    std::string building = template_dir + ".XXXXXX";
    if (mkdtemp(scratch.data()) == nullptr || mkdtemp(building.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
    }
    std::vector<std::string> argv = {binaries.install_db, "--no-defaults",
                                     "--datadir=" + scratch + "/data", "--tmpdir=" + scratch};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::Status made = RunToCompletion(argv, options);
    if (made.ok()) {
      made = RunToCompletion({"/bin/cp", "-a", scratch + "/data", building + "/data"}, options);
    }
    fs::remove_all(scratch, error);
    // Another binary may have won the race: its template is as good.
    if (!made.ok() || rename(building.c_str(), template_dir.c_str()) != 0) {
      fs::remove_all(building, error);
      if (!made.ok()) return made;
    }
  }
  return RunToCompletion({"/bin/cp", "-a", template_dir + "/data", data_dir}, options);
}

// The server's pid from its pid file; 0 while there is none (the server is
// down or starting).
pid_t ReadServerPid(const std::string& pid_path) {
  std::ifstream pid_file(pid_path);
  std::string first_line;
  std::getline(pid_file, first_line);
  pid_t pid = 0;
  return absl::SimpleAtoi(first_line, &pid) ? pid : 0;
}

// A connection to the server as kUser, or null with `error` set.
MYSQL* Connect(const std::string& socket_path, const char* database, std::string& error) {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) {
    error = "mysql_init: out of memory";
    return nullptr;
  }
  const unsigned int timeout = 10;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (mysql_real_connect(mysql, nullptr, MariadbServer::kUser, nullptr, database, 0,
                         socket_path.c_str(), 0) == nullptr) {
    error = absl::StrCat(mysql_errno(mysql), ": ", mysql_error(mysql));
    mysql_close(mysql);
    return nullptr;
  }
  return mysql;
}

// The value of a one-row, one-column query.
absl::StatusOr<std::string> QueryValue(MYSQL* mysql, const std::string& sql) {
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) {
    return absl::InternalError(absl::StrCat(sql, ": ", mysql_error(mysql)));
  }
  MYSQL_RES* result = mysql_store_result(mysql);
  if (result == nullptr) return absl::InternalError(absl::StrCat(sql, ": no result"));
  MYSQL_ROW row = mysql_fetch_row(result);
  std::string value = row != nullptr && row[0] != nullptr ? row[0] : "";
  mysql_free_result(result);
  return value;
}

}  // namespace

absl::StatusOr<MariadbBinaries> FindMariadbBinaries() {
  auto find = [](const std::vector<fs::path>& dirs) -> std::optional<MariadbBinaries> {
    MariadbBinaries found;
    for (const fs::path& dir : dirs) {
      if (found.server.empty()) found.server = FindIn(dir, {"mariadbd", "mysqld"});
      if (found.install_db.empty()) {
        found.install_db = FindIn(dir, {"mariadb-install-db", "mysql_install_db"});
      }
      if (found.client.empty()) found.client = FindIn(dir, {"mariadb", "mysql"});
    }
    if (found.server.empty() || found.install_db.empty() || found.client.empty()) {
      return std::nullopt;
    }
    return found;
  };
  if (const char* configured = std::getenv("DUO_MARIADB_BIN"); configured != nullptr) {
    if (std::optional<MariadbBinaries> found = find({configured})) return *found;
    return absl::NotFoundError(
        absl::StrCat("DUO_MARIADB_BIN=", configured,
                     " does not hold executable mariadbd, mariadb-install-db and mariadb"));
  }
  if (std::optional<MariadbBinaries> found = find({"/usr/sbin", "/usr/bin"})) return *found;
  std::vector<fs::path> path_dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      path_dirs.emplace_back(std::string(dir));
    }
  }
  if (std::optional<MariadbBinaries> found = find(path_dirs)) return *found;
  return absl::NotFoundError(
      "MariaDB server programs (mariadbd, mariadb-install-db, mariadb) not found in /usr/sbin, "
      "/usr/bin or $PATH; install them with tools/setup.sh --postgres (the test servers), or "
      "point DUO_MARIADB_BIN at them");
}

absl::StatusOr<MariadbServer*> MariadbServer::Shared() {
  // Started once per process; never destroyed, because the supervisor, not a
  // destructor, guarantees the cleanup (a crashing test runs no destructors).
  static absl::StatusOr<MariadbServer*>* const shared = [] {
    auto* server = new MariadbServer();
    absl::Status started = server->Start();
    if (!started.ok()) {
      server->Stop();
      delete server;
      return new absl::StatusOr<MariadbServer*>(started);
    }
    std::atexit([] { (**shared)->Stop(); });
    return new absl::StatusOr<MariadbServer*>(server);
  }();
  return *shared;
}

absl::Status MariadbServer::Start() {
  const absl::Time start = absl::Now();
  absl::StatusOr<MariadbBinaries> binaries = FindMariadbBinaries();
  if (!binaries.ok()) return absl::UnavailableError(binaries.status().message());
  binaries_ = *binaries;

  std::string directory_template = absl::StrCat(BaseDirectory(), "/duo-mariadb-XXXXXX");
  if (mkdtemp(directory_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  directory_ = directory_template;
  socket_path_ = directory_ + "/mysqld.sock";
  const std::string data_dir = directory_ + "/data";
  const std::string log_path = directory_ + "/server.log";
  // mariadbd refuses to run as root unless told to, and then stays root.
  const bool root = geteuid() == 0;

  // The system tables in a data directory of our own; --no-defaults keeps
  // the host's my.cnf (and its datadir) out of it. "normal" gives
  // root@localhost no password, instead of socket authentication for the
  // account of whoever runs the test.
  std::vector<std::string> install = {"--auth-root-authentication-method=normal", "--skip-test-db"};
  if (root) install.push_back("--user=root");
  install.insert(install.end(), StorageOptions().begin(), StorageOptions().end());
  DUO_RETURN_IF_ERROR(InitializeDataDir(binaries_, install, data_dir, directory_ + "/install.log"));
  const absl::Time installed = absl::Now();
  install_time_ = installed - start;

  std::vector<std::string> server = {"/bin/sh",
                                     "-c",
                                     kSupervisorScript,
                                     "duo-mariadb-supervisor",
                                     directory_,
                                     binaries_.server,
                                     "--no-defaults",
                                     "--datadir=" + data_dir,
                                     "--socket=" + socket_path_,
                                     "--skip-networking",
                                     "--pid-file=" + directory_ + "/mariadbd.pid",
                                     "--log-error=" + log_path,
                                     "--tmpdir=" + directory_,
                                     "--max-connections=200",
                                     "--max-allowed-packet=64M"};
  if (root) server.push_back("--user=root");
  server.insert(server.end(), StorageOptions().begin(), StorageOptions().end());

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  absl::StatusOr<pid_t> supervisor = Spawn(
      server,
      {.stdin_fd = pipe_fds[0], .log_path = directory_ + "/supervisor.log", .new_session = true});
  close(pipe_fds[0]);
  if (!supervisor.ok()) {
    close(pipe_fds[1]);
    return supervisor.status();
  }
  supervisor_pid_ = *supervisor;
  supervisor_pipe_ = pipe_fds[1];

  absl::MutexLock lock(&mu_);
  DUO_RETURN_IF_ERROR(AwaitServer(/*old_pid=*/0, installed + kStartupTimeout));
  DUO_ASSIGN_OR_RETURN(version_, QueryValue(admin_, "SELECT VERSION()"));
  startup_time_ = absl::Now() - installed;
  std::fprintf(stderr,
               "duo/testing: MariaDB test server %s (%s) in %s ready after %lld ms "
               "(data directory %lld ms, server start %lld ms)\n",
               version_.c_str(), binaries_.server.c_str(), directory_.c_str(),
               static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start)),
               static_cast<long long>(absl::ToInt64Milliseconds(install_time_)),
               static_cast<long long>(absl::ToInt64Milliseconds(startup_time_)));
  return absl::OkStatus();
}

absl::Status MariadbServer::AwaitServer(pid_t old_pid, absl::Time deadline) {
  const std::string pid_path = directory_ + "/mariadbd.pid";
  std::string error = "no attempt yet";
  while (true) {
    const pid_t pid = ReadServerPid(pid_path);
    if (pid != 0 && pid != old_pid) {
      if (MYSQL* connected = Connect(socket_path_, nullptr, error)) {
        if (admin_ != nullptr) mysql_close(admin_);
        admin_ = connected;
        server_pid_ = pid;
        // A drop that waits for a metadata lock fails instead of hanging.
        return Execute("SET SESSION lock_wait_timeout = 30");
      }
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "MariaDB test server in ", directory_, " did not accept connections within ",
          absl::FormatDuration(kStartupTimeout), " (last error: ", error, "); its log:\n",
          Tail(directory_ + "/server.log"), Tail(directory_ + "/supervisor.log")));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::Status MariadbServer::Restart() {
  absl::MutexLock lock(&mu_);
  if (supervisor_pipe_ < 0) return absl::FailedPreconditionError("the server is not running");
  const pid_t old_pid = server_pid_;
  constexpr char kRestart[] = "restart\n";
  if (write(supervisor_pipe_, kRestart, sizeof(kRestart) - 1) != sizeof(kRestart) - 1) {
    return absl::InternalError(absl::StrCat("writing to the supervisor: ", std::strerror(errno)));
  }
  // The old server may answer for a moment after the request; its pid file
  // goes when it has stopped, and the new server writes its own.
  return AwaitServer(old_pid, absl::Now() + kStartupTimeout);
}

void MariadbServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (admin_ != nullptr) mysql_close(admin_);
    admin_ = nullptr;
  }
  if (supervisor_pipe_ >= 0) {
    close(supervisor_pipe_);
    supervisor_pipe_ = -1;
    while (waitpid(supervisor_pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  } else if (!directory_.empty()) {
    // Start() failed before the supervisor took ownership of the directory.
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
}

absl::Status MariadbServer::Execute(const std::string& sql) {
  if (mysql_real_query(admin_, sql.data(), sql.size()) != 0) {
    return absl::InternalError(
        absl::StrCat(sql, ": ", mysql_errno(admin_), " ", mysql_error(admin_)));
  }
  // Statements here return no rows; drop any that do.
  if (MYSQL_RES* result = mysql_store_result(admin_)) mysql_free_result(result);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MariadbServer::CreateDatabase() {
  absl::MutexLock lock(&mu_);
  std::string name = absl::StrCat("duo_test_", ++databases_created_);
  DUO_RETURN_IF_ERROR(Execute(absl::StrCat("CREATE DATABASE `", name, "` CHARACTER SET utf8mb4")));
  return name;
}

absl::Status MariadbServer::DropDatabase(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  // The name is one of CreateDatabase's, or a test's own: quoted, not
  // escaped, as it never holds a backtick or a quote.
  if (name.find_first_of("`'\\") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected database name ", name));
  }
  const std::string query =
      absl::StrCat("SELECT id FROM information_schema.processlist WHERE db = '", name,
                   "' AND id <> CONNECTION_ID()");
  if (mysql_real_query(admin_, query.data(), query.size()) != 0) {
    return absl::InternalError(absl::StrCat(query, ": ", mysql_error(admin_)));
  }
  std::vector<std::string> ids;
  if (MYSQL_RES* result = mysql_store_result(admin_)) {
    while (MYSQL_ROW row = mysql_fetch_row(result)) ids.emplace_back(row[0]);
    mysql_free_result(result);
  }
  for (const std::string& id : ids) {
    // Ignored: the connection may have gone meanwhile (unknown thread id).
    Execute(absl::StrCat("KILL ", id)).IgnoreError();
  }
  return Execute(absl::StrCat("DROP DATABASE IF EXISTS `", name, "`"));
}

std::string MariadbServer::Url(absl::string_view dbname) const {
  return absl::StrCat("mysql://", kUser, "@localhost/", dbname, "?unix_socket=", socket_path_);
}

std::vector<std::string> MariadbServer::ClientCommand(absl::string_view dbname) const {
  std::vector<std::string> command = {binaries_.client,
                                      "--no-defaults",
                                      "--socket=" + socket_path_,
                                      "--user=" + std::string(kUser),
                                      "--default-character-set=utf8mb4",
                                      "--batch",
                                      "--skip-column-names",
                                      "--raw"};
  if (!dbname.empty()) command.push_back("--database=" + std::string(dbname));
  return command;
}

}  // namespace duo::testing_internal
