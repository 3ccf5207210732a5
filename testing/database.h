// Test fixtures that give a test a fresh, real database.
//
// Every test that touches a database asks for one here and gets one nobody
// else can see:
//
//   * SQLite: a temporary file (several connections can share it) or a
//     private in-memory database.
//   * PostgreSQL: a new empty database on a throwaway server that this test
//     binary starts on first use (in a temporary directory, listening
//     only on a unix socket inside it) and that stops when the binary exits,
//     however it exits.
//
// The same test body runs against both backends with BackendTest:
//
//   class OrdersTest : public duo::testing::BackendTest {};
//
//   TEST_P(OrdersTest, StartsEmpty) {
//     absl::StatusOr<duo::Database> db = duo::Database::Open(database().url());
//     ...
//   }
//
//   DUO_INSTANTIATE_BACKEND_TEST(OrdersTest);
//
// When the PostgreSQL server binaries are missing, PostgreSQL tests are
// skipped with a message saying how to install them, except when the
// environment has CI=true or DUO_REQUIRE_POSTGRES=1: there they fail, so that
// a CI run can never pass by not testing PostgreSQL. Tests using PostgreSQL
// must be declared with duo_cc_test(..., postgres = True) (//bazel:cc.bzl).

#ifndef DUO_TESTING_DATABASE_H_
#define DUO_TESTING_DATABASE_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace duo::testing {

class TestMariadbDatabase;  // testing/mariadb.h

// kPgBouncer is PostgreSQL reached through PgBouncer in transaction mode:
// a backend of its own for parameterised tests (the shared suites run
// through it, as production does), while TestDatabase::backend() and
// BackendTest::backend() say kPostgres, since that is the database.
// kMariadb is a fresh database on the throwaway MariaDB server of
// testing/mariadb.h, reached with mysql:// URLs.
enum class Backend { kSqlite, kPostgres, kPgBouncer, kMariadb };

// "sqlite", "postgres", "pgbouncer" or "mariadb"; also the suffix of
// parameterised test names.
std::string_view BackendName(Backend backend);

// A database that exists for the lifetime of this object and is dropped (or
// deleted) with it. Not copyable: it owns the database. Not thread-safe, but
// the database it names may be used from any number of threads.
class TestDatabase {
 public:
  // A new SQLite database in a temporary file.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> NewSqliteFile();
  // A private SQLite in-memory database: a single connection sees it.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> NewSqliteInMemory();
  // A new, empty PostgreSQL database on this binary's throwaway server,
  // starting the server on first use. Returns Unavailable when the server
  // binaries are missing; see PostgresMustRun().
  static absl::StatusOr<std::unique_ptr<TestDatabase>> NewPostgres();
  // A new, empty PostgreSQL database on this binary's throwaway server,
  // whose url() goes through a PgBouncer in front of it (started on first
  // use, in transaction or session pooling: see PostgresServer). Unavailable
  // when PostgreSQL or pgbouncer is missing.
  enum class PoolMode { kTransaction, kSession };
  static absl::StatusOr<std::unique_ptr<TestDatabase>> NewPostgresThroughPgBouncer(PoolMode mode);
  // A new, empty MariaDB database on this binary's throwaway server
  // (testing/mariadb.h), starting the server on first use. Unavailable when
  // the server programs are missing; see MariadbMustRun().
  static absl::StatusOr<std::unique_ptr<TestDatabase>> NewMariadb();
  // One of the above: a file for SQLite, a fresh database for PostgreSQL
  // (through PgBouncer in transaction mode for kPgBouncer) and MariaDB.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> New(Backend backend);

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  Backend backend() const { return backend_; }

  // The database as a DuoORM URL, for example "sqlite:////tmp/x/test.db" or
  // "postgresql://duo@/duo_test_3?host=/tmp/duo-pg-Ab12cd".
  const std::string& url() const { return url_; }

  // What the backend's C API opens: the filename for sqlite3_open_v2, the
  // conninfo string for libpq's PQconnectdb, or MariaDB's unix socket.
  const std::string& native_target() const { return native_target_; }

  // The database name on the PostgreSQL server; empty for SQLite.
  const std::string& postgres_database() const { return postgres_database_; }

  // The URL of the same database straight on the server, bypassing any
  // proxy (the same as url() without one).
  const std::string& direct_url() const { return direct_url_; }
  bool via_pgbouncer() const { return url_ != direct_url_; }

  // PostgreSQL: the URL of this database on the throwaway server's
  // streaming replica (a hot standby, read-only), started on first use; see
  // PostgresServer::ReplicaUrl. Unavailable when pg_basebackup is missing;
  // FailedPrecondition on SQLite.
  absl::StatusOr<std::string> ReplicaUrl() const;
  // Returns once the replica has replayed every write the server has made
  // so far: a read on the replica after it sees them.
  absl::Status WaitForReplica() const;

 private:
  TestDatabase(Backend backend, std::string url, std::string native_target,
               std::string file_to_remove, std::string postgres_database);

  Backend backend_;
  std::string url_;
  std::string direct_url_;
  std::string native_target_;
  std::string file_to_remove_;
  std::string postgres_database_;
  // kMariadb: the database, dropped with this object.
  std::unique_ptr<TestMariadbDatabase> mariadb_;
};

// Restarts this binary's PostgreSQL test server, as an operator would: a
// fast shutdown drops every connection (clients see their connections
// lost), then the server starts again on the same data and this returns
// once it accepts connections. Committed data and the databases survive.
// For fault-injection tests; every PostgreSQL test of the binary sees it.
absl::Status RestartPostgresServer();

// True when a missing PostgreSQL must fail the test rather than skip it:
// CI=true (or 1) or DUO_REQUIRE_POSTGRES=1 in the environment.
bool PostgresMustRun();

// Base fixture for a test body shared by both backends. SetUp() creates a
// fresh database for the parameter's backend; a missing PostgreSQL skips or
// fails the test as PostgresMustRun() decides.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The database: kPostgres for the kPgBouncer parameter too.
  Backend backend() const {
    return GetParam() == Backend::kPgBouncer ? Backend::kPostgres : GetParam();
  }
  // Whether the connections go through PgBouncer (transaction mode).
  bool via_pgbouncer() const { return GetParam() == Backend::kPgBouncer; }
  const TestDatabase& database() const { return *database_; }

 private:
  std::unique_ptr<TestDatabase> database_;
};

// The same, for tests that only make sense on one backend.
class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override { database_.reset(); }
  const TestDatabase& database() const { return *database_; }

 private:
  std::unique_ptr<TestDatabase> database_;
};

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override { database_.reset(); }
  const TestDatabase& database() const { return *database_; }

 private:
  std::unique_ptr<TestDatabase> database_;
};

// gtest's name generator for Backend parameters ("sqlite", "postgres").
std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info);

// `all` without the backends that DUO_TEST_BACKENDS, when set, does not
// list (names as BackendName gives them, separated by commas). The
// sanitizer passes of tools/test.sh leave PgBouncer out this way: through
// the proxy the same native code runs as without it, and pgbouncer_test
// still covers what differs.
std::vector<Backend> SelectedBackends(std::initializer_list<Backend> all);

}  // namespace duo::testing

// Runs every TEST_P of `suite` once per backend: SQLite, PostgreSQL,
// PostgreSQL through PgBouncer in transaction mode, and MariaDB.
#define DUO_INSTANTIATE_BACKEND_TEST(suite)                                           \
  INSTANTIATE_TEST_SUITE_P(                                                           \
      Backends, suite,                                                                \
      ::testing::ValuesIn(::duo::testing::SelectedBackends(                           \
          {::duo::testing::Backend::kSqlite, ::duo::testing::Backend::kPostgres,      \
           ::duo::testing::Backend::kPgBouncer, ::duo::testing::Backend::kMariadb})), \
      ::duo::testing::BackendParamName)

// The same without PgBouncer, for suites that hold session state across
// transactions (advisory locks, killed backends, server restarts), which a
// transaction-pooling proxy does not keep by design.
#define DUO_INSTANTIATE_DIRECT_BACKEND_TEST(suite)                                                \
  INSTANTIATE_TEST_SUITE_P(                                                                       \
      Backends, suite,                                                                            \
      ::testing::ValuesIn(::duo::testing::SelectedBackends({::duo::testing::Backend::kSqlite,     \
                                                            ::duo::testing::Backend::kPostgres,   \
                                                            ::duo::testing::Backend::kMariadb})), \
      ::duo::testing::BackendParamName)

#endif  // DUO_TESTING_DATABASE_H_
