#include "testing/database.h"

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libpq-fe.h"
#include "mysql.h"
#include "sqlite3.h"

namespace duo::testing {
namespace {

// The fixture's own tests talk to the databases through the C APIs, so that
// they prove the fixture without depending on the engine it serves.
class NativeConnection {
 public:
  explicit NativeConnection(const TestDatabase& database) : backend_(database.backend()) {
    if (backend_ == Backend::kSqlite) {
      EXPECT_EQ(sqlite3_open_v2(database.native_target().c_str(), &sqlite_,
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
                SQLITE_OK);
    } else if (backend_ == Backend::kMariadb) {
      // mysql://user@localhost/name?unix_socket=...: the socket is the
      // native target; the user and the database are read from the URL.
      const std::string& url = database.url();
      const size_t user_start = url.find("://") + 3;
      const std::string user = url.substr(user_start, url.find('@') - user_start);
      const size_t name_start = url.find('/', user_start) + 1;
      const std::string name = url.substr(name_start, url.find('?') - name_start);
      mysql_ = mysql_init(nullptr);
      EXPECT_NE(mysql_real_connect(mysql_, nullptr, user.c_str(), nullptr, name.c_str(), 0,
                                   database.native_target().c_str(), 0),
                nullptr)
          << mysql_error(mysql_);
    } else {
      pg_ = PQconnectdb(database.native_target().c_str());
      EXPECT_EQ(PQstatus(pg_), CONNECTION_OK) << PQerrorMessage(pg_);
    }
  }
  ~NativeConnection() {
    sqlite3_close_v2(sqlite_);
    if (pg_ != nullptr) PQfinish(pg_);
    if (mysql_ != nullptr) mysql_close(mysql_);
  }

  void Execute(const std::string& sql) {
    if (backend_ == Backend::kMariadb) {
      EXPECT_EQ(mysql_query(mysql_, sql.c_str()), 0) << sql << ": " << mysql_error(mysql_);
    } else if (backend_ == Backend::kSqlite) {
      char* error = nullptr;
      EXPECT_EQ(sqlite3_exec(sqlite_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
          << sql << ": " << (error ? error : "");
      sqlite3_free(error);
    } else {
      PGresult* result = PQexec(pg_, sql.c_str());
      EXPECT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << sql << ": " << PQerrorMessage(pg_);
      PQclear(result);
    }
  }

  // Tables the user created (catalogs excluded).
  int CountTables() {
    if (backend_ == Backend::kSqlite) {
      return QueryInt(
          "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    }
    if (backend_ == Backend::kMariadb) {
      return QueryInt(
          "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()");
    }
    return QueryInt(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
  }

  int QueryInt(const std::string& sql) {
    if (backend_ == Backend::kMariadb) {
      EXPECT_EQ(mysql_query(mysql_, sql.c_str()), 0) << sql << ": " << mysql_error(mysql_);
      MYSQL_RES* result = mysql_store_result(mysql_);
      if (result == nullptr) return -1;
      MYSQL_ROW row = mysql_fetch_row(result);
      const int value = row != nullptr && row[0] != nullptr ? std::atoi(row[0]) : -1;
      mysql_free_result(result);
      return value;
    }
    if (backend_ == Backend::kSqlite) {
      sqlite3_stmt* statement = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(sqlite_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
      EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
      const int value = sqlite3_column_int(statement, 0);
      sqlite3_finalize(statement);
      return value;
    }
    PGresult* result = PQexec(pg_, sql.c_str());
    EXPECT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQerrorMessage(pg_);
    const int value = PQntuples(result) == 1 ? std::atoi(PQgetvalue(result, 0, 0)) : -1;
    PQclear(result);
    return value;
  }

 private:
  Backend backend_;
  sqlite3* sqlite_ = nullptr;
  PGconn* pg_ = nullptr;
  MYSQL* mysql_ = nullptr;
};

class FixtureTest : public BackendTest {};

TEST_P(FixtureTest, FreshDatabaseIsEmptyAndUsable) {
  NativeConnection connection(database());
  EXPECT_EQ(connection.CountTables(), 0);
  connection.Execute("CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT)");
  connection.Execute("INSERT INTO widgets (id, name) VALUES (1, 'bolt'), (2, 'nut')");
  EXPECT_EQ(connection.QueryInt("SELECT count(*) FROM widgets"), 2);
  EXPECT_EQ(connection.CountTables(), 1);
}

// These two run in this order; the second must not see what the first left.
TEST_P(FixtureTest, FirstTestLeavesATableBehind) {
  NativeConnection connection(database());
  connection.Execute("CREATE TABLE leftover (id INTEGER)");
  EXPECT_EQ(connection.CountTables(), 1);
}

TEST_P(FixtureTest, SecondTestDoesNotSeeIt) {
  NativeConnection connection(database());
  EXPECT_EQ(connection.CountTables(), 0);
}

TEST_P(FixtureTest, DatabasesAreIndependentOfEachOther) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> other = TestDatabase::New(backend());
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE((*other)->url(), database().url());

  NativeConnection mine(database());
  NativeConnection theirs(**other);
  mine.Execute("CREATE TABLE mine_only (id INTEGER)");
  EXPECT_EQ(mine.CountTables(), 1);
  EXPECT_EQ(theirs.CountTables(), 0);
}

TEST_P(FixtureTest, UrlNamesTheBackend) {
  const std::string& url = database().url();
  if (backend() == Backend::kSqlite) {
    EXPECT_EQ(url.rfind("sqlite:///", 0), 0u) << url;
  } else if (backend() == Backend::kMariadb) {
    EXPECT_EQ(url.rfind("mysql://", 0), 0u) << url;
    EXPECT_NE(url.find("/duo_test_"), std::string::npos) << url;
    EXPECT_NE(url.find("?unix_socket=/"), std::string::npos) << url;
  } else {
    EXPECT_EQ(url.rfind("postgresql://duo@/duo_test_", 0), 0u) << url;
    EXPECT_NE(url.find("?host=/tmp/duo-pg-"), std::string::npos) << url;
  }
}

DUO_INSTANTIATE_BACKEND_TEST(FixtureTest);

// The sanitizer passes' way to leave the PgBouncer runs out.
TEST(SelectedBackendsTest, DuoTestBackendsKeepsOnlyTheListedOnes) {
  const char* const before = std::getenv("DUO_TEST_BACKENDS");
  const std::optional<std::string> saved =
      before != nullptr ? std::optional<std::string>(before) : std::nullopt;
  const std::initializer_list<Backend> all = {Backend::kSqlite, Backend::kPostgres,
                                              Backend::kPgBouncer};
  unsetenv("DUO_TEST_BACKENDS");
  EXPECT_EQ(SelectedBackends(all), std::vector<Backend>(all));
  setenv("DUO_TEST_BACKENDS", "sqlite,postgres", 1);
  EXPECT_EQ(SelectedBackends(all), (std::vector<Backend>{Backend::kSqlite, Backend::kPostgres}));
  setenv("DUO_TEST_BACKENDS", "pgbouncer", 1);
  EXPECT_EQ(SelectedBackends(all), std::vector<Backend>{Backend::kPgBouncer});
  if (saved.has_value()) {
    setenv("DUO_TEST_BACKENDS", saved->c_str(), 1);
  } else {
    unsetenv("DUO_TEST_BACKENDS");
  }
}

TEST(SqliteFixtureTest, FileDatabaseIsSharedAcrossConnectionsAndRemovedAfterwards) {
  std::string path;
  {
    absl::StatusOr<std::unique_ptr<TestDatabase>> database = TestDatabase::NewSqliteFile();
    ASSERT_TRUE(database.ok()) << database.status();
    path = (*database)->native_target();
    NativeConnection writer(**database);
    NativeConnection reader(**database);
    writer.Execute("CREATE TABLE shared (id INTEGER)");
    writer.Execute("INSERT INTO shared VALUES (1)");
    EXPECT_EQ(reader.QueryInt("SELECT count(*) FROM shared"), 1);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(path).parent_path()));
}

TEST(SqliteFixtureTest, InMemoryDatabaseIsPrivateToItsConnection) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> database = TestDatabase::NewSqliteInMemory();
  ASSERT_TRUE(database.ok()) << database.status();
  EXPECT_EQ((*database)->url(), "sqlite:///:memory:");
  NativeConnection first(**database);
  NativeConnection second(**database);
  first.Execute("CREATE TABLE private_table (id INTEGER)");
  EXPECT_EQ(first.CountTables(), 1);
  EXPECT_EQ(second.CountTables(), 0);
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Runs `sql` on `conninfo` and returns the first value of its first row.
std::string QueryOne(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* result = PQexec(conn, sql.c_str());
  std::string value;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
    value = PQgetvalue(result, 0, 0);
  } else {
    value = std::string("error: ") + PQerrorMessage(conn);
  }
  PQclear(result);
  PQfinish(conn);
  return value;
}

TEST(PostgresReplicaFixtureTest, ReplicaIsAHotStandbyThatReplaysThePrimary) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> database = TestDatabase::NewPostgres();
  if (absl::IsUnavailable(database.status()) && !PostgresMustRun()) GTEST_SKIP();
  ASSERT_TRUE(database.ok()) << database.status();
  absl::StatusOr<std::string> replica_url = (*database)->ReplicaUrl();
  ASSERT_TRUE(replica_url.ok()) << replica_url.status();
  // postgresql://duo@/NAME?host=DIR as a conninfo.
  const std::string host = replica_url->substr(replica_url->find("?host=") + 6);
  const std::string replica =
      "host=" + host + " user=duo dbname=" + (*database)->postgres_database();
  EXPECT_EQ(QueryOne((*database)->native_target(), "SELECT pg_is_in_recovery()"), "f");

  const std::string primary = (*database)->native_target();
  EXPECT_EQ(QueryOne(primary, "CREATE TABLE t AS SELECT 42 AS x; SELECT 1"), "1");
  ASSERT_TRUE((*database)->WaitForReplica().ok());
  EXPECT_EQ(QueryOne(replica, "SELECT pg_is_in_recovery()"), "t");
  EXPECT_EQ(QueryOne(replica, "SELECT x FROM t"), "42");
  EXPECT_NE(QueryOne(replica, "CREATE TABLE u (x int); SELECT 1").find("read-only"),
            std::string::npos);
}

TEST(PostgresPolicyTest, MissingPostgresFailsInCiAndWhenRequired) {
  {
    ScopedEnv ci("CI", nullptr);
    ScopedEnv require("DUO_REQUIRE_POSTGRES", nullptr);
    EXPECT_FALSE(PostgresMustRun());
  }
  {
    ScopedEnv ci("CI", "true");
    ScopedEnv require("DUO_REQUIRE_POSTGRES", nullptr);
    EXPECT_TRUE(PostgresMustRun());
  }
  {
    ScopedEnv ci("CI", "false");
    ScopedEnv require("DUO_REQUIRE_POSTGRES", "1");
    EXPECT_TRUE(PostgresMustRun());
  }
}

}  // namespace
}  // namespace duo::testing
