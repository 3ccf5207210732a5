// A throwaway MariaDB server private to one test process.
//
// The server lives in a temporary directory (in /dev/shm when that is a
// memory file system with room, else in /tmp): its data directory (a copy
// of one mariadb-install-db made once per machine and user, kept in /tmp as
// a template; no system table of the host is touched),
// its log, its temporary files and the unix socket it listens on. It runs
// with skip-networking (no TCP port, so parallel test binaries never
// collide) and with everything a throwaway database does not need turned
// off or made small: no durability (no doublewrite, no flush at commit),
// small InnoDB and Aria caches, no performance schema, no buffer pool dump.
//
// As for PostgreSQL (postgres_server.h), a supervisor process, started in
// its own session, owns the server; it kills the server and removes the
// directory as soon as the test process goes away, which it notices when
// the pipe from the test process closes. That happens on a normal exit, on
// a crash, and on SIGKILL alike, so no server outlives its test binary.
//
// MariaDB, unlike PostgreSQL, runs as root when told to (--user=root): as
// root the server runs as root, as any other user as that user. Its root
// account has no password and is reached through the socket only.

#ifndef DUO_TESTING_INTERNAL_MARIADB_SERVER_H_
#define DUO_TESTING_INTERNAL_MARIADB_SERVER_H_

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

typedef struct st_mysql MYSQL;

namespace duo::testing_internal {

// Where the MariaDB (or MySQL) programs the fixture runs are.
struct MariadbBinaries {
  std::string server;      // mariadbd (or mysqld)
  std::string install_db;  // mariadb-install-db (or mysql_install_db)
  std::string client;      // mariadb (or mysql), the command-line client
};

// Thread-safe.
class MariadbServer {
 public:
  // The account every connection to the server uses: no password, reached
  // through the unix socket.
  static constexpr char kUser[] = "root";

  // The server of this process, started on the first call (a third of a
  // second; a second more for the first binary on the machine, which runs
  // mariadb-install-db for the template). Unavailable when the server
  // programs are missing.
  static absl::StatusOr<MariadbServer*> Shared();

  // Creates a new empty database (utf8mb4) and returns its name.
  absl::StatusOr<std::string> CreateDatabase() ABSL_LOCKS_EXCLUDED(mu_);
  // Drops `name`, first killing the connections that use it (an open
  // transaction of theirs would otherwise hold the drop forever).
  absl::Status DropDatabase(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the server (a normal shutdown: every connection is dropped, as
  // when an operator restarts it) and starts it again on the same data,
  // returning once it accepts connections. Databases and committed data
  // survive.
  absl::Status Restart() ABSL_LOCKS_EXCLUDED(mu_);

  // A DuoORM URL for database `dbname` on this server, in the form the
  // MySQL driver's URLs are expected to take:
  //   mysql://root@localhost/duo_test_3?unix_socket=/dev/shm/duo-mariadb-Ab/mysqld.sock
  std::string Url(absl::string_view dbname) const;

  // The command line of the `mariadb` client connected to `dbname` (empty:
  // none) in batch mode (tab-separated, no column names, raw values), to
  // which a test appends -e "<sql>". See RunMariadbCli (testing/mariadb.h).
  std::vector<std::string> ClientCommand(absl::string_view dbname) const;

  const std::string& socket_path() const { return socket_path_; }
  // The temporary directory holding the data directory and the socket.
  const std::string& directory() const { return directory_; }
  const MariadbBinaries& binaries() const { return binaries_; }
  // The server's version, as SELECT VERSION() says.
  const std::string& version() const { return version_; }
  // Changes with Restart().
  pid_t server_pid() const { return server_pid_.load(); }
  // How long Start() took: the data directory (a copy of the template,
  // made first if need be), then the server until it accepted a connection.
  absl::Duration install_time() const { return install_time_; }
  absl::Duration startup_time() const { return startup_time_; }

  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

 private:
  MariadbServer() = default;

  absl::Status Start();
  // Closes the pipe to the supervisor and waits until the server is gone and
  // its directory removed. Runs at exit.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until a new server answers (not `old_pid`), then connects admin_.
  absl::Status AwaitServer(pid_t old_pid, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Execute(const std::string& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  MariadbBinaries binaries_;
  std::string directory_;
  std::string socket_path_;
  std::string version_;
  absl::Duration install_time_;
  absl::Duration startup_time_;
  pid_t supervisor_pid_ = -1;
  int supervisor_pipe_ = -1;
  std::atomic<pid_t> server_pid_ = -1;

  absl::Mutex mu_;
  MYSQL* admin_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t databases_created_ ABSL_GUARDED_BY(mu_) = 0;
};

// The MariaDB programs: those in $DUO_MARIADB_BIN (a directory), else in
// /usr/sbin and /usr/bin (Debian's mariadb-server), else on PATH; the
// MariaDB names first, then MySQL's. NotFound names every place it looked.
absl::StatusOr<MariadbBinaries> FindMariadbBinaries();

}  // namespace duo::testing_internal

#endif  // DUO_TESTING_INTERNAL_MARIADB_SERVER_H_
