#include "testing/database.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "duo/base/status_macros.h"
#include "testing/internal/postgres_server.h"
#include "testing/mariadb.h"

namespace duo::testing {
namespace {

using ::duo::testing_internal::PostgresServer;

bool EnvIsTrue(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return false;
  const std::string_view text = value;
  return text == "1" || text == "true" || text == "TRUE" || text == "yes";
}

// Creates a fresh database, or records why the test cannot have one: a skip
// when PostgreSQL is merely missing on a developer's machine, a failure
// otherwise.
void CreateOrSkip(Backend backend, std::unique_ptr<TestDatabase>& database) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> created = TestDatabase::New(backend);
  if (created.ok()) {
    database = *std::move(created);
    return;
  }
  if (backend == Backend::kMariadb) {
    if (absl::IsUnavailable(created.status()) && !MariadbMustRun()) {
      GTEST_SKIP() << "MariaDB tests skipped: " << created.status().message()
                   << " (CI=true or DUO_REQUIRE_MARIADB=1 turns this into a failure)";
    }
  } else if (absl::IsUnavailable(created.status()) && !PostgresMustRun()) {
    GTEST_SKIP() << "PostgreSQL tests skipped: " << created.status().message()
                 << " (CI=true or DUO_REQUIRE_POSTGRES=1 turns this into a failure)";
  }
  FAIL() << "cannot create a " << BackendName(backend) << " test database: " << created.status();
}

}  // namespace

std::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kPostgres:
      return "postgres";
    case Backend::kPgBouncer:
      return "pgbouncer";
    case Backend::kMariadb:
      return "mariadb";
  }
  return "unknown";
}

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return std::string(BackendName(info.param));
}

std::vector<Backend> SelectedBackends(std::initializer_list<Backend> all) {
  const char* const listed = std::getenv("DUO_TEST_BACKENDS");
  if (listed == nullptr || *listed == '\0') return std::vector<Backend>(all);
  const std::vector<std::string> names = absl::StrSplit(listed, ',');
  std::vector<Backend> selected;
  for (const Backend backend : all) {
    if (absl::c_linear_search(names, std::string(BackendName(backend)))) {
      selected.push_back(backend);
    }
  }
  return selected;
}

absl::Status RestartPostgresServer() {
  DUO_ASSIGN_OR_RETURN(testing_internal::PostgresServer * server,
                       testing_internal::PostgresServer::Shared());
  return server->Restart();
}

bool PostgresMustRun() { return EnvIsTrue("CI") || EnvIsTrue("DUO_REQUIRE_POSTGRES"); }

TestDatabase::TestDatabase(Backend backend, std::string url, std::string native_target,
                           std::string file_to_remove, std::string postgres_database)
    : backend_(backend),
      url_(url),
      direct_url_(std::move(url)),
      native_target_(std::move(native_target)),
      file_to_remove_(std::move(file_to_remove)),
      postgres_database_(std::move(postgres_database)) {}

TestDatabase::~TestDatabase() {
  if (!file_to_remove_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(file_to_remove_, ignored);
  }
  if (!postgres_database_.empty()) {
    absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
    if (server.ok()) {
      absl::Status dropped = (*server)->DropDatabase(postgres_database_);
      if (!dropped.ok()) ADD_FAILURE() << "dropping the test database: " << dropped;
    }
  }
}

absl::StatusOr<std::string> TestDatabase::ReplicaUrl() const {
  if (postgres_database_.empty()) {
    return absl::FailedPreconditionError("only PostgreSQL test databases have a replica");
  }
  DUO_ASSIGN_OR_RETURN(PostgresServer * server, PostgresServer::Shared());
  return server->ReplicaUrl(postgres_database_);
}

absl::Status TestDatabase::WaitForReplica() const {
  if (postgres_database_.empty()) {
    return absl::FailedPreconditionError("only PostgreSQL test databases have a replica");
  }
  DUO_ASSIGN_OR_RETURN(PostgresServer * server, PostgresServer::Shared());
  return server->WaitForReplica();
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::NewSqliteFile() {
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  std::string directory =
      absl::StrCat(test_tmpdir != nullptr ? test_tmpdir : "/tmp", "/duo-sqlite-XXXXXX");
  if (mkdtemp(directory.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", directory, ": ", std::strerror(errno)));
  }
  // The directory, not just the file, goes at the end: SQLite keeps -wal and
  // -shm files beside the database.
  std::string path = directory + "/test.db";
  return std::unique_ptr<TestDatabase>(new TestDatabase(Backend::kSqlite, "sqlite:///" + path, path,
                                                        directory, /*postgres_database=*/""));
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::NewSqliteInMemory() {
  return std::unique_ptr<TestDatabase>(
      new TestDatabase(Backend::kSqlite, "sqlite:///:memory:", ":memory:", /*file_to_remove=*/"",
                       /*postgres_database=*/""));
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::NewPostgres() {
  DUO_ASSIGN_OR_RETURN(PostgresServer * server, PostgresServer::Shared());
  DUO_ASSIGN_OR_RETURN(std::string name, server->CreateDatabase());
  return std::unique_ptr<TestDatabase>(new TestDatabase(Backend::kPostgres, server->Url(name),
                                                        server->ConnInfo(name),
                                                        /*file_to_remove=*/"", name));
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::NewMariadb() {
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<TestMariadbDatabase> mariadb, TestMariadbDatabase::New());
  std::unique_ptr<TestDatabase> database(new TestDatabase(Backend::kMariadb, mariadb->url(),
                                                          mariadb->socket_path(),
                                                          /*file_to_remove=*/"",
                                                          /*postgres_database=*/""));
  database->mariadb_ = std::move(mariadb);
  return database;
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::NewPostgresThroughPgBouncer(
    PoolMode mode) {
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<TestDatabase> database, NewPostgres());
  DUO_ASSIGN_OR_RETURN(PostgresServer * server, PostgresServer::Shared());
  DUO_ASSIGN_OR_RETURN(database->url_,
                       server->PgBouncerUrl(mode == PoolMode::kTransaction
                                                ? PostgresServer::PgBouncerMode::kTransaction
                                                : PostgresServer::PgBouncerMode::kSession,
                                            database->postgres_database_));
  return database;
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::New(Backend backend) {
  switch (backend) {
    case Backend::kSqlite:
      return NewSqliteFile();
    case Backend::kPostgres:
      return NewPostgres();
    case Backend::kPgBouncer:
      return NewPostgresThroughPgBouncer(PoolMode::kTransaction);
    case Backend::kMariadb:
      return NewMariadb();
  }
  return absl::InvalidArgumentError("unknown backend");
}

void BackendTest::SetUp() { CreateOrSkip(GetParam(), database_); }

void BackendTest::TearDown() { database_.reset(); }

void SqliteTest::SetUp() { CreateOrSkip(Backend::kSqlite, database_); }

void PostgresTest::SetUp() { CreateOrSkip(Backend::kPostgres, database_); }

}  // namespace duo::testing
