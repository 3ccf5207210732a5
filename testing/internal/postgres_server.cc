#include "testing/internal/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "libpq-fe.h"

namespace duo::testing_internal {
namespace {

namespace fs = std::filesystem;

// Stops the server the moment the test process is gone: the test process
// holds the write end of the pipe on the supervisor's stdin, and the kernel
// closes it however that process ends. Ignoring HUP/INT/TERM keeps a Ctrl-C
// or a harness timeout aimed at the test from skipping the cleanup. A
// "restart" line on the pipe (Restart()) stops the server with a fast
// shutdown and starts it again on the same data directory, so that a test
// can see what clients go through when their server restarts.
constexpr char kSupervisorScript[] = R"sh(
directory=$1
shift
trap '' HUP INT TERM
"$@" </dev/null &
postmaster=$!
while read -r command; do
  if [ "$command" = restart ]; then
    kill -INT "$postmaster" 2>/dev/null
    wait "$postmaster"
    "$@" </dev/null &
    postmaster=$!
  fi
done
kill -QUIT "$postmaster" 2>/dev/null
wait "$postmaster"
rm -rf "$directory"
)sh";

// PgBouncer's supervisor: as above, without restarts; SIGINT stops
// PgBouncer at once (the database goes with the test process anyway).
constexpr char kPgBouncerSupervisorScript[] = R"sh(
directory=$1
shift
trap '' HUP INT TERM
"$@" </dev/null &
bouncer=$!
while read -r command; do :; done
kill -TERM "$bouncer" 2>/dev/null
wait "$bouncer"
rm -rf "$directory"
)sh";

// The replica's supervisor: the server's, without restarts; SIGQUIT stops
// the standby at once.
constexpr char kReplicaSupervisorScript[] = R"sh(
directory=$1
shift
trap '' HUP INT TERM
"$@" </dev/null &
standby=$!
while read -r command; do :; done
kill -QUIT "$standby" 2>/dev/null
wait "$standby"
rm -rf "$directory"
)sh";

constexpr int kPgBouncerPort = 6432;

constexpr absl::Duration kStartupTimeout = absl::Seconds(60);

struct Identity {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// PostgreSQL refuses to run as root; as root, pick an unprivileged account.
absl::StatusOr<Identity> ServerIdentity() {
  Identity identity;
  if (geteuid() != 0) return identity;
  for (const char* name : {"postgres", "nobody"}) {
    struct passwd entry;
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwnam_r(name, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
      identity.switch_user = true;
      identity.uid = found->pw_uid;
      identity.gid = found->pw_gid;
      return identity;
    }
  }
  return absl::FailedPreconditionError(
      "running as root, and neither a 'postgres' nor a 'nobody' user exists "
      "to run the PostgreSQL test server as");
}

struct SpawnOptions {
  Identity identity;
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

  int log_fd = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open ", options.log_path, ": ", std::strerror(errno)));
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int stdin_fd = options.stdin_fd >= 0 ? options.stdin_fd : null_fd;

  const pid_t pid = fork();
  if (pid == 0) {
    if (options.new_session) setsid();
    dup2(stdin_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    if (options.identity.switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(options.identity.gid) != 0 ||
          setuid(options.identity.uid) != 0) {
        _exit(126);
      }
    }
    execv(args[0], args.data());
    _exit(127);
  }
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  }
  return pid;
}

std::string Tail(const std::string& path, size_t max_bytes = 2000) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

absl::Status RunToCompletion(const std::vector<std::string>& argv, const SpawnOptions& options) {
  DUO_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, options));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(argv[0], " failed (wait status ", status,
                                          "); its output:\n", Tail(options.log_path)));
}

bool IsExecutable(const fs::path& path) { return access(path.c_str(), X_OK) == 0; }

bool HasServerBinaries(const fs::path& dir) {
  return IsExecutable(dir / "initdb") && IsExecutable(dir / "postgres");
}

// Makes `data_dir` a fresh cluster, as initdb `args` would. initdb takes
// about a second, a copy of its result a tenth of that, and every test
// binary needs a cluster: the first binary on the machine keeps one as a
// template in /tmp (per user, server binaries and initdb arguments; built
// aside and renamed into place, so that a template is always whole), and
// the rest copy it.
absl::Status InitializeDataDir(const std::string& bin_dir, const std::vector<std::string>& args,
                               const std::string& data_dir, const std::string& log_path,
                               const Identity& identity) {
  const std::string initdb = bin_dir + "/initdb";
  struct stat initdb_stat;
  if (stat(initdb.c_str(), &initdb_stat) != 0) {
    return absl::InternalError(absl::StrCat("stat ", initdb, ": ", std::strerror(errno)));
  }
  // The binary's change time stands for its version: a package upgrade
  // makes a new template.
  const size_t key = std::hash<std::string>()(absl::StrCat(initdb, " ", initdb_stat.st_ctim.tv_sec,
                                                           ".", initdb_stat.st_ctim.tv_nsec, " ",
                                                           absl::StrJoin(args, " ")));
  const std::string template_dir =
      absl::StrCat("/tmp/duo-pg-template-", identity.switch_user ? identity.uid : geteuid(), "-",
                   absl::Hex(key, absl::kZeroPad16));
  const SpawnOptions options{.identity = identity, .log_path = log_path};
  std::error_code error;
  if (!fs::exists(template_dir + "/data/PG_VERSION", error)) {
    std::string building = template_dir + ".XXXXXX";
    if (mkdtemp(building.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
    }
    if (identity.switch_user && chown(building.c_str(), identity.uid, identity.gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", building, ": ", std::strerror(errno)));
    }
    std::vector<std::string> argv = {initdb, "--pgdata=" + building + "/data"};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::Status made = RunToCompletion(argv, options);
    // Another binary may have won the race: its template is as good.
    if (!made.ok() || rename(building.c_str(), template_dir.c_str()) != 0) {
      fs::remove_all(building, error);
      if (!made.ok()) return made;
    }
  }
  return RunToCompletion({"/bin/cp", "-a", template_dir + "/data", data_dir}, options);
}

std::string PgBouncerConnInfo(const std::string& directory) {
  return absl::StrCat("host=", directory, " port=", kPgBouncerPort, " user=", PostgresServer::kUser,
                      " dbname=postgres");
}

// The postmaster's pid from the first line of its pid file; 0 while there
// is none (the server is down or starting).
pid_t ReadPostmasterPid(const std::string& data_dir) {
  std::ifstream pid_file(data_dir + "/postmaster.pid");
  std::string first_line;
  std::getline(pid_file, first_line);
  pid_t pid = 0;
  return absl::SimpleAtoi(first_line, &pid) ? pid : 0;
}

std::string PgError(PGconn* conn) {
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  absl::StripTrailingAsciiWhitespace(&message);
  return message;
}

}  // namespace

absl::StatusOr<std::string> FindPostgresBinDir() {
  std::vector<std::string> searched;
  if (const char* configured = std::getenv("DUO_POSTGRES_BIN"); configured != nullptr) {
    if (HasServerBinaries(configured)) return std::string(configured);
    return absl::NotFoundError(absl::StrCat("DUO_POSTGRES_BIN=", configured,
                                            " does not hold executable initdb and postgres"));
  }

  std::optional<std::pair<int, fs::path>> newest;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    int version = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &version)) continue;
    const fs::path bin = entry.path() / "bin";
    if (HasServerBinaries(bin) && (!newest || version > newest->first)) {
      newest.emplace(version, bin);
    }
  }
  if (newest) return newest->second.string();
  searched.push_back("/usr/lib/postgresql/<version>/bin");

  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      if (HasServerBinaries(fs::path(std::string(dir)))) return std::string(dir);
    }
    searched.push_back("$PATH");
  }
  return absl::NotFoundError(absl::StrCat(
      "PostgreSQL server binaries (initdb, postgres) not found in ", absl::StrJoin(searched, ", "),
      "; install them with tools/setup.sh --postgres, or point DUO_POSTGRES_BIN at them"));
}

absl::StatusOr<PostgresServer*> PostgresServer::Shared() {
  // Started once per process; never destroyed, because the supervisor, not a
  // destructor, guarantees the cleanup (a crashing test runs no destructors).
  static absl::StatusOr<PostgresServer*>* const shared = [] {
    auto* server = new PostgresServer();
    absl::Status started = server->Start();
    if (!started.ok()) {
      server->Stop();
      delete server;
      return new absl::StatusOr<PostgresServer*>(started);
    }
    std::atexit([] { (**shared)->Stop(); });
    return new absl::StatusOr<PostgresServer*>(server);
  }();
  return *shared;
}

absl::Status PostgresServer::Start() {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> bin_dir = FindPostgresBinDir();
  if (!bin_dir.ok()) return absl::UnavailableError(bin_dir.status().message());
  bin_dir_ = *bin_dir;
  DUO_ASSIGN_OR_RETURN(Identity identity, ServerIdentity());

  // /tmp rather than the test's TMPDIR: the server's user must reach it, and
  // a unix socket path is limited to about 100 bytes.
  std::string directory_template = "/tmp/duo-pg-XXXXXX";
  if (mkdtemp(directory_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  directory_ = directory_template;
  if (identity.switch_user && chown(directory_.c_str(), identity.uid, identity.gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", directory_, ": ", std::strerror(errno)));
  }
  const std::string data_dir = directory_ + "/data";
  const std::string log_path = directory_ + "/server.log";

  DUO_RETURN_IF_ERROR(
      InitializeDataDir(bin_dir_,
                        {"--username=" + std::string(kUser), "--auth=trust", "--encoding=UTF8",
                         "--locale=C.UTF-8", "--no-sync", "--no-instructions"},
                        data_dir, directory_ + "/initdb.log", identity));
  const absl::Time initialized = absl::Now();

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  SpawnOptions supervisor_options{
      .identity = identity, .stdin_fd = pipe_fds[0], .log_path = log_path, .new_session = true};
  absl::StatusOr<pid_t> supervisor =
      Spawn({"/bin/sh", "-c", kSupervisorScript, "duo-pg-supervisor", directory_,
             bin_dir_ + "/postgres", "-D", data_dir, "-k", directory_, "-c", "listen_addresses=",
             // Durability is worthless for a database thrown away after the test.
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
             "max_connections=200"},
            supervisor_options);
  close(pipe_fds[0]);
  if (!supervisor.ok()) {
    close(pipe_fds[1]);
    return supervisor.status();
  }
  supervisor_pid_ = *supervisor;
  supervisor_pipe_ = pipe_fds[1];

  const std::string conninfo = ConnInfo("postgres");
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (absl::Now() - initialized > kStartupTimeout) {
      return absl::DeadlineExceededError(absl::StrCat(
          "PostgreSQL test server in ", directory_, " did not accept connections within ",
          absl::FormatDuration(kStartupTimeout), "; its log:\n", Tail(log_path)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }

  const pid_t postmaster = ReadPostmasterPid(data_dir);
  if (postmaster <= 0) {
    return absl::InternalError(absl::StrCat("cannot read ", data_dir, "/postmaster.pid"));
  }
  postmaster_pid_ = postmaster;

  absl::MutexLock lock(&mu_);
  admin_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(admin_) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("connecting to the PostgreSQL test server: ", PgError(admin_)));
  }
  std::fprintf(stderr,
               "duo/testing: PostgreSQL test server (%s) in %s ready after %lld ms "
               "(data directory %lld ms)\n",
               bin_dir_.c_str(), directory_.c_str(),
               static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start)),
               static_cast<long long>(absl::ToInt64Milliseconds(initialized - start)));
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  absl::MutexLock lock(&mu_);
  const pid_t old_postmaster = postmaster_pid_;
  if (supervisor_pipe_ < 0) return absl::FailedPreconditionError("the server is not running");
  constexpr char kRestart[] = "restart\n";
  if (write(supervisor_pipe_, kRestart, sizeof(kRestart) - 1) != sizeof(kRestart) - 1) {
    return absl::InternalError(absl::StrCat("writing to the supervisor: ", std::strerror(errno)));
  }
  const std::string data_dir = directory_ + "/data";
  const std::string conninfo = ConnInfo("postgres");
  const absl::Time deadline = absl::Now() + kStartupTimeout;
  // Up again means a new postmaster that answers; the old one may still be
  // answering for a moment after the request.
  pid_t postmaster = 0;
  while ((postmaster = ReadPostmasterPid(data_dir)) == old_postmaster || postmaster == 0 ||
         PQping(conninfo.c_str()) != PQPING_OK) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "PostgreSQL test server in ", directory_, " did not come back within ",
          absl::FormatDuration(kStartupTimeout), "; its log:\n", Tail(directory_ + "/server.log")));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  postmaster_pid_ = postmaster;
  if (admin_ != nullptr) PQfinish(admin_);
  admin_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(admin_) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("reconnecting to the PostgreSQL test server: ", PgError(admin_)));
  }
  return absl::OkStatus();
}

void PostgresServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (admin_ != nullptr) PQfinish(admin_);
    admin_ = nullptr;
    // The supervisors stop PgBouncer and remove its directory on their own.
    for (int pipe : pgbouncer_pipes_) close(pipe);
    pgbouncer_pipes_.clear();
    if (replica_admin_ != nullptr) PQfinish(replica_admin_);
    replica_admin_ = nullptr;
    if (replica_pipe_ >= 0) close(replica_pipe_);
    replica_pipe_ = -1;
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

absl::Status PostgresServer::Execute(const std::string& sql) {
  PGresult* result = PQexec(admin_, sql.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  absl::Status status =
      ok ? absl::OkStatus() : absl::InternalError(absl::StrCat(sql, ": ", PgError(admin_)));
  PQclear(result);
  return status;
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  absl::MutexLock lock(&mu_);
  std::string name = absl::StrCat("duo_test_", ++databases_created_);
  // template0 rather than template1: a test that connects to template1 by
  // mistake must not be able to leak objects into later databases.
  DUO_RETURN_IF_ERROR(Execute(absl::StrCat("CREATE DATABASE ", name, " TEMPLATE template0")));
  return name;
}

absl::Status PostgresServer::DropDatabase(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  return Execute(absl::StrCat("DROP DATABASE IF EXISTS \"", name, "\" WITH (FORCE)"));
}

absl::StatusOr<std::string> PostgresServer::PgBouncerUrl(PgBouncerMode mode,
                                                         absl::string_view dbname) {
  absl::MutexLock lock(&mu_);
  std::string& directory = pgbouncer_directory_[static_cast<int>(mode)];
  // Debian bookworm's PgBouncer 1.18 can die when a cancel crosses the
  // statement's answer (pgbouncer/pgbouncer#822, see
  // duo/session/deadline_test.cc): the next test gets a new one rather than
  // failing for what an earlier test's cancel did.
  if (!directory.empty() && PQping(PgBouncerConnInfo(directory).c_str()) != PQPING_OK) {
    std::fprintf(stderr, "duo/testing: PgBouncer in %s is gone; starting another\n",
                 directory.c_str());
    directory.clear();
  }
  if (directory.empty()) {
    DUO_ASSIGN_OR_RETURN(directory, StartPgBouncer(mode));
  }
  return absl::StrCat("postgresql://", kUser, "@/", dbname, "?host=", directory,
                      "&port=", kPgBouncerPort);
}

absl::StatusOr<std::string> PostgresServer::StartPgBouncer(PgBouncerMode mode) {
  std::string binary;
  for (const char* candidate :
       {"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"}) {
    if (IsExecutable(candidate)) {
      binary = candidate;
      break;
    }
  }
  if (binary.empty()) {
    return absl::UnavailableError(
        "pgbouncer not found in /usr/sbin, /usr/bin or /usr/local/bin; install it with "
        "tools/setup.sh --postgres");
  }
  DUO_ASSIGN_OR_RETURN(Identity identity, ServerIdentity());
  const bool transaction = mode == PgBouncerMode::kTransaction;
  // A directory of its own for each start: one that died may have left its
  // socket behind.
  const std::string directory = absl::StrCat(
      directory_, "/pgbouncer-", transaction ? "transaction" : "session", ++pgbouncers_started_);
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return absl::InternalError(absl::StrCat("mkdir ", directory, ": ", error.message()));
  {
    std::ofstream users(directory + "/users.txt");
    users << "\"" << kUser << "\" \"\"\n";
    std::ofstream ini(directory + "/pgbouncer.ini");
    ini << "[databases]\n"
        << "* = host=" << directory_ << "\n"
        << "[pgbouncer]\n"
        << "listen_addr =\n"
        << "listen_port = " << kPgBouncerPort << "\n"
        << "unix_socket_dir = " << directory << "\n"
        << "auth_type = trust\n"
        << "auth_file = " << directory << "/users.txt\n"
        << "pool_mode = " << (transaction ? "transaction" : "session") << "\n"
        << "default_pool_size = " << (transaction ? 4 : 2) << "\n"
        << "max_client_conn = 1000\n"
        << "logfile = " << directory << "/pgbouncer.log\n";
    if (!ini || !users) return absl::InternalError(absl::StrCat("cannot write in ", directory));
  }
  if (identity.switch_user) {
    for (const char* name : {"", "/users.txt", "/pgbouncer.ini"}) {
      const std::string path = directory + name;
      if (chown(path.c_str(), identity.uid, identity.gid) != 0) {
        return absl::InternalError(absl::StrCat("chown ", path, ": ", std::strerror(errno)));
      }
    }
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  const std::string log_path = directory + "/supervisor.log";
  absl::StatusOr<pid_t> supervisor = Spawn(
      {"/bin/sh", "-c", kPgBouncerSupervisorScript, "duo-pgbouncer-supervisor", directory, binary,
       directory + "/pgbouncer.ini"},
      {.identity = identity, .stdin_fd = pipe_fds[0], .log_path = log_path, .new_session = true});
  close(pipe_fds[0]);
  if (!supervisor.ok()) {
    close(pipe_fds[1]);
    return supervisor.status();
  }
  pgbouncer_pipes_.push_back(pipe_fds[1]);
  const std::string conninfo = PgBouncerConnInfo(directory);
  const absl::Time deadline = absl::Now() + kStartupTimeout;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("PgBouncer in ", directory, " did not accept connections within ",
                       absl::FormatDuration(kStartupTimeout), "; its log:\n",
                       Tail(directory + "/pgbouncer.log"), Tail(log_path)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return directory;
}

absl::StatusOr<std::string> PostgresServer::ReplicaUrl(absl::string_view dbname) {
  absl::MutexLock lock(&mu_);
  DUO_RETURN_IF_ERROR(EnsureReplica());
  return absl::StrCat("postgresql://", kUser, "@/", dbname, "?host=", replica_socket_);
}

absl::Status PostgresServer::EnsureReplica() {
  if (!replica_socket_.empty()) return absl::OkStatus();
  const std::string basebackup = bin_dir_ + "/pg_basebackup";
  if (!IsExecutable(basebackup)) {
    return absl::UnavailableError(absl::StrCat(
        basebackup,
        " not found; install the PostgreSQL server package (tools/setup.sh --postgres)"));
  }
  DUO_ASSIGN_OR_RETURN(Identity identity, ServerIdentity());
  const absl::Time start = absl::Now();
  // The data directory and the socket share one directory, which the
  // replica's supervisor removes.
  const std::string directory = directory_ + "/replica";
  const std::string data_dir = directory + "/data";
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return absl::InternalError(absl::StrCat("mkdir ", directory, ": ", error.message()));
  if (identity.switch_user && chown(directory.c_str(), identity.uid, identity.gid) != 0) {
    return absl::InternalError(absl::StrCat("chown ", directory, ": ", std::strerror(errno)));
  }
  // -R writes standby.signal and primary_conninfo (this server's socket);
  // -X stream copies the WAL written during the backup; initdb's
  // pg_hba.conf lets local replication connections in (trust).
  DUO_RETURN_IF_ERROR(
      RunToCompletion({basebackup, "--pgdata=" + data_dir, "--host=" + directory_,
                       "--username=" + std::string(kUser), "--write-recovery-conf",
                       "--wal-method=stream", "--checkpoint=fast", "--no-sync"},
                      {.identity = identity, .log_path = directory + "/basebackup.log"}));

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  const std::string log_path = directory + "/server.log";
  absl::StatusOr<pid_t> supervisor = Spawn(
      {"/bin/sh", "-c", kReplicaSupervisorScript, "duo-pg-replica-supervisor", directory,
       bin_dir_ + "/postgres", "-D", data_dir, "-k", directory, "-c", "listen_addresses=", "-c",
       "fsync=off", "-c", "full_page_writes=off", "-c", "hot_standby=on",
       // A standby needs at least the primary's max_connections.
       "-c", "max_connections=200"},
      {.identity = identity, .stdin_fd = pipe_fds[0], .log_path = log_path, .new_session = true});
  close(pipe_fds[0]);
  if (!supervisor.ok()) {
    close(pipe_fds[1]);
    return supervisor.status();
  }
  replica_pipe_ = pipe_fds[1];
  const std::string conninfo =
      absl::StrCat("host=", directory, " user=", kUser, " dbname=postgres");
  const absl::Time deadline = absl::Now() + kStartupTimeout;
  // A standby answers once it has reached a consistent state.
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "PostgreSQL test replica in ", directory, " did not accept connections within ",
          absl::FormatDuration(kStartupTimeout), "; its log:\n", Tail(log_path)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  replica_admin_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(replica_admin_) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("connecting to the PostgreSQL test replica: ", PgError(replica_admin_)));
  }
  replica_socket_ = directory;
  std::fprintf(stderr, "duo/testing: PostgreSQL test replica in %s ready after %lld ms\n",
               directory.c_str(),
               static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - start)));
  return absl::OkStatus();
}

absl::Status PostgresServer::WaitForReplica() {
  absl::MutexLock lock(&mu_);
  DUO_RETURN_IF_ERROR(EnsureReplica());
  PGresult* result = PQexec(admin_, "SELECT pg_current_wal_insert_lsn()::text");
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    PQclear(result);
    return absl::InternalError(absl::StrCat("pg_current_wal_insert_lsn(): ", PgError(admin_)));
  }
  const std::string lsn = PQgetvalue(result, 0, 0);
  PQclear(result);
  const std::string check =
      absl::StrCat("SELECT coalesce(pg_last_wal_replay_lsn() >= '", lsn, "'::pg_lsn, false)");
  const absl::Time deadline = absl::Now() + kStartupTimeout;
  while (true) {
    result = PQexec(replica_admin_, check.c_str());
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
      PQclear(result);
      return absl::InternalError(
          absl::StrCat("pg_last_wal_replay_lsn() on the replica: ", PgError(replica_admin_)));
    }
    const bool replayed = std::string(PQgetvalue(result, 0, 0)) == "t";
    PQclear(result);
    if (replayed) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the PostgreSQL test replica did not replay up to ", lsn, " within ",
                       absl::FormatDuration(kStartupTimeout), "; its log:\n",
                       Tail(replica_socket_ + "/server.log")));
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
}

std::string PostgresServer::ConnInfo(absl::string_view dbname) const {
  return absl::StrCat("host=", directory_, " user=", kUser, " dbname=", dbname);
}

std::string PostgresServer::Url(absl::string_view dbname) const {
  return absl::StrCat("postgresql://", kUser, "@/", dbname, "?host=", directory_);
}

}  // namespace duo::testing_internal
