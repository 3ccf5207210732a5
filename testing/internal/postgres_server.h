// A throwaway PostgreSQL server private to one test process.
//
// The server lives in a temporary directory under /tmp: its data directory,
// its log, and the unix socket it listens on (no TCP port, so parallel test
// binaries never collide). A supervisor process, started in its own session,
// owns the postmaster; it stops the server and removes the directory as soon
// as the test process goes away, which it notices when the pipe from the test
// process closes. That happens on a normal exit, on a crash, and on SIGKILL
// alike, so no server outlives its test binary.
//
// PostgreSQL refuses to run as root. When the test runs as root, the server
// and the supervisor run as the "postgres" user (or "nobody").

#ifndef DUO_TESTING_INTERNAL_POSTGRES_SERVER_H_
#define DUO_TESTING_INTERNAL_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

typedef struct pg_conn PGconn;

namespace duo::testing_internal {

// Thread-safe.
class PostgresServer {
 public:
  // The superuser every connection to the server uses; trust authentication.
  static constexpr char kUser[] = "duo";

  // The server of this process, started on the first call (half a second;
  // a second more for the machine's first, which runs initdb). Unavailable
  // when the server binaries are missing.
  static absl::StatusOr<PostgresServer*> Shared();

  // Creates a new empty database and returns its name.
  absl::StatusOr<std::string> CreateDatabase() ABSL_LOCKS_EXCLUDED(mu_);
  // Drops `name`, disconnecting whoever is still connected to it.
  absl::Status DropDatabase(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the server (fast shutdown: every connection is dropped, as when an
  // operator restarts it) and starts it again on the same data, returning
  // once it accepts connections. Databases and committed data survive.
  absl::Status Restart() ABSL_LOCKS_EXCLUDED(mu_);

  // A PgBouncer in front of this server in `mode`, started on first use
  // (once per mode, supervised like the server: it goes when the process
  // goes). Its pools are small on purpose, so that clients contend: 4 server
  // connections per database in transaction mode, 2 in session mode.
  // Unavailable when pgbouncer is not installed.
  enum class PgBouncerMode { kTransaction, kSession };
  absl::StatusOr<std::string> PgBouncerUrl(PgBouncerMode mode, absl::string_view dbname)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The URL of database `dbname` on a hot-standby streaming replica of this
  // server, made on first use with `pg_basebackup -R` into its own data
  // directory and started on its own unix socket directory (supervised like
  // the server: it goes when the process goes). Databases created here
  // reach it by replication; it refuses writes. Unavailable when
  // pg_basebackup is missing.
  absl::StatusOr<std::string> ReplicaUrl(absl::string_view dbname) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once the replica has replayed everything this server has
  // written so far (its pg_current_wal_insert_lsn(): with
  // synchronous_commit off, a commit may not be written yet), so that a
  // test reading
  // from the replica right after a write sees it. Starts the replica if
  // needed.
  absl::Status WaitForReplica() ABSL_LOCKS_EXCLUDED(mu_);

  // libpq conninfo and DuoORM URL for database `dbname` on this server.
  std::string ConnInfo(absl::string_view dbname) const;
  std::string Url(absl::string_view dbname) const;

  // The temporary directory holding the data directory and the socket.
  const std::string& directory() const { return directory_; }
  // Changes with Restart().
  pid_t postmaster_pid() const { return postmaster_pid_.load(); }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  PostgresServer() = default;

  absl::Status Start();
  // Closes the pipe to the supervisor and waits until the server is gone and
  // its directory removed. Runs at exit.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Execute(const std::string& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> StartPgBouncer(PgBouncerMode mode) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes and starts the replica unless it runs; sets replica_socket_.
  absl::Status EnsureReplica() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string bin_dir_;
  std::string directory_;
  pid_t supervisor_pid_ = -1;
  int supervisor_pipe_ = -1;
  std::atomic<pid_t> postmaster_pid_ = -1;

  absl::Mutex mu_;
  PGconn* admin_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t databases_created_ ABSL_GUARDED_BY(mu_) = 0;
  // Per PgBouncerMode: the directory holding its socket, once started.
  std::string pgbouncer_directory_[2] ABSL_GUARDED_BY(mu_);
  // Write ends of the PgBouncer supervisors' pipes, closed by Stop().
  std::vector<int> pgbouncer_pipes_ ABSL_GUARDED_BY(mu_);
  int pgbouncers_started_ ABSL_GUARDED_BY(mu_) = 0;
  // The replica's socket directory once it runs, the write end of its
  // supervisor's pipe, and a connection to it for WaitForReplica.
  std::string replica_socket_ ABSL_GUARDED_BY(mu_);
  int replica_pipe_ ABSL_GUARDED_BY(mu_) = -1;
  PGconn* replica_admin_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// The directory holding initdb and postgres: $DUO_POSTGRES_BIN, else the
// newest /usr/lib/postgresql/<version>/bin, else the directory on PATH that
// holds initdb. NotFound names every place it looked.
absl::StatusOr<std::string> FindPostgresBinDir();

}  // namespace duo::testing_internal

#endif  // DUO_TESTING_INTERNAL_POSTGRES_SERVER_H_
