// Test fixtures that give a test a fresh MariaDB database.
//
// The MariaDB counterpart of testing/database.h's PostgreSQL fixtures: a
// new empty database (utf8mb4) on a throwaway server that this test binary
// starts on first use (mariadb-install-db into a temporary directory, the
// server listening only on a unix socket inside it, see
// testing/internal/mariadb_server.h) and that stops when the binary exits,
// however it exits.
//
//   class OrdersTest : public duo::testing::MariadbTest {};
//
//   TEST_F(OrdersTest, StartsEmpty) {
//     absl::StatusOr<std::unique_ptr<duo::engine::Connection>> connection =
//         duo::engine::OpenMysql({.unix_socket = database().socket_path(),
//                                 .user = database().user(),
//                                 .database = database().name()});
//     ...
//     // A second opinion, from the mariadb command-line client:
//     EXPECT_EQ(duo::testing::RunMariadbCli(database(), "SELECT COUNT(*) FROM orders").value(),
//               "0");
//   }
//
// When the MariaDB server programs are missing, the tests are skipped with a
// message saying how to install them, except when the environment has
// CI=true, DUO_REQUIRE_POSTGRES=1 (which tools/test.sh sets: it promises the
// test servers) or DUO_REQUIRE_MARIADB=1: there they fail, so that a CI run
// can never pass by not testing MariaDB. Tests using MariaDB must be declared
// with duo_cc_test(..., postgres = True) (//bazel:cc.bzl: they may start
// the test servers) and tagged "mariadb".

#ifndef DUO_TESTING_MARIADB_H_
#define DUO_TESTING_MARIADB_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace duo::testing {

// A MariaDB database that exists for the lifetime of this object and is
// dropped with it. Not copyable: it owns the database. Not thread-safe, but
// the database it names may be used from any number of threads.
class TestMariadbDatabase {
 public:
  // A new, empty database on this binary's throwaway server, starting the
  // server on first use. Unavailable when the server programs are missing;
  // see MariadbMustRun().
  static absl::StatusOr<std::unique_ptr<TestMariadbDatabase>> New();

  TestMariadbDatabase(const TestMariadbDatabase&) = delete;
  TestMariadbDatabase& operator=(const TestMariadbDatabase&) = delete;
  ~TestMariadbDatabase();

  // The database's name on the server ("duo_test_3").
  const std::string& name() const { return name_; }
  // The server's unix socket, and the account to connect as (no password).
  const std::string& socket_path() const { return socket_path_; }
  const std::string& user() const { return user_; }
  // The database as a DuoORM URL, in the form the MySQL driver's URLs are
  // expected to take:
  //   mysql://root@localhost/duo_test_3?unix_socket=/dev/shm/duo-mariadb-Ab/mysqld.sock
  const std::string& url() const { return url_; }

 private:
  TestMariadbDatabase(std::string name, std::string socket_path, std::string user, std::string url);

  std::string name_;
  std::string socket_path_;
  std::string user_;
  std::string url_;
};

// Runs `sql` (one or more statements) in `database` with the `mariadb`
// command-line client and returns what it printed: one line per row, the
// columns separated by tabs, values raw (NULL as "NULL"), without the last
// newline. An error of the client (its exit status, its message) is
// InternalError. For checking what the driver wrote with a program that
// shares none of its code.
absl::StatusOr<std::string> RunMariadbCli(const TestMariadbDatabase& database,
                                          absl::string_view sql);

// Restarts this binary's MariaDB test server, as an operator would: a
// normal shutdown drops every connection (clients see their connections
// lost), then the server starts again on the same data and this returns
// once it accepts connections. For fault-injection tests; every MariaDB
// test of the binary sees it.
absl::Status RestartMariadbServer();

// True when a missing MariaDB must fail the test rather than skip it:
// CI=true (or 1), DUO_REQUIRE_POSTGRES=1 or DUO_REQUIRE_MARIADB=1 in the
// environment.
bool MariadbMustRun();

// Base fixture for a test that needs a MariaDB database. SetUp() creates a
// fresh one; a missing MariaDB skips or fails the test as MariadbMustRun()
// decides.
class MariadbTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override { database_.reset(); }
  const TestMariadbDatabase& database() const { return *database_; }

 private:
  std::unique_ptr<TestMariadbDatabase> database_;
};

}  // namespace duo::testing

#endif  // DUO_TESTING_MARIADB_H_
