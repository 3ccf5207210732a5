// duo-migrate on MySQL and MariaDB (MigrateImpl, see migrate/impl.h):
// introspection from information_schema, plans that alter in place, the
// models' schema in a scratch database dropped afterwards, and a named
// lock (GET_LOCK) for the run.
//
// DDL commits as it runs on this database (the dialect's TransactionalDdl
// says so): the runner records each revision's progress statement by
// statement instead of relying on a rollback (migrate/runner.h).

#include "migrate/impl.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/engine/mysql/driver.h"
#include "duo/sql/text.h"
#include "migrate/mysql/introspect.h"
#include "migrate/mysql/planner.h"

namespace duo::migrate {
namespace {

// The name of the lock a run takes: one per database on the server (a
// lock name is server-wide), at most 64 characters whatever the
// database's name.
constexpr absl::string_view kLockName = "CONCAT('duo-migrate:', SHA1(DATABASE()))";
// How long a run waits for another to finish: as long as it takes, within
// what every server version accepts.
constexpr int64_t kLockWaitSeconds = 365 * 24 * 3600;

std::string Quote(absl::string_view name) {
  return dialect::QuoteIdentifier(dialect::MysqlDialect(), name);
}

// A foreign key created without a name is named <table>_ibfk_<n> by the
// server, numbered in creation order: in the scratch database that number
// says nothing about the live one, and adding it there could collide. The
// name a plan gives it instead is PostgreSQL's, which duo uses where a
// name is needed (migrate/internal/planner.cc).
void NameForeignKeys(std::vector<sql::TableDef>& tables) {
  for (sql::TableDef& table : tables) {
    for (sql::ForeignKeyDef& fk : table.foreign_keys) {
      const std::string generated = absl::StrCat(table.name, "_ibfk_");
      if (absl::StartsWith(fk.name, generated)) {
        fk.name = absl::StrCat(table.name, "_", absl::StrJoin(fk.columns, "_"), "_fkey");
      }
    }
  }
}

absl::StatusOr<std::vector<sql::TableDef>> MysqlModelSchema(
    const Database& database, const std::vector<const ModelMeta*>& models) {
  std::random_device random;
  const std::string scratch = absl::StrCat("duo_migrate_scratch_", random() % 1000000000);
  DUO_ASSIGN_OR_RETURN(Session session, database.StandaloneSession());
  DUO_ASSIGN_OR_RETURN(Result current, session.Execute(sql::Text("SELECT DATABASE()")));
  DUO_ASSIGN_OR_RETURN(std::optional<std::string> live,
                       current.Get<std::optional<std::string>>(0, 0));
  if (!live.has_value()) {
    return absl::FailedPreconditionError(
        "the database URL names no database: duo-migrate works on one database");
  }
  // The models' tables are created with the scratch database as the
  // session's default (USE), so that their foreign keys resolve there; the
  // session's connection goes back to the application's pool, so it is put
  // back on the live database whatever happens. What runs on it meanwhile
  // names its database explicitly: a statement that said DATABASE(),
  // prepared in the scratch database and cached on the connection, went
  // on reading that database after the USE back (measured on MariaDB
  // 10.11). A Database of its own for the scratch database would need the
  // URL's password, which Database::url() masks.
  DUO_RETURN_IF_ERROR(session.ExecuteScript(
      absl::StrCat("CREATE DATABASE ", Quote(scratch), dialect::MysqlDialect().TableOptions())));
  auto body = [&]() -> absl::StatusOr<std::vector<sql::TableDef>> {
    DUO_RETURN_IF_ERROR(session.ExecuteScript(absl::StrCat("USE ", Quote(scratch))));
    std::vector<sql::TableDef> tables;
    for (const ModelMeta* meta : models) tables.push_back(meta->table_def());
    for (const sql::TableDef* table : DependencyOrder(tables)) {
      DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                           dialect::CreateTableStatements(database.dialect(), *table));
      for (const std::string& statement : statements) {
        absl::Status status = session.ExecuteScript(statement);
        if (!status.ok()) {
          return absl::Status(status.code(),
                              absl::StrCat("creating the models' table ", Quote(table->name), ": ",
                                           status.message()));
        }
      }
    }
    DUO_ASSIGN_OR_RETURN(LiveSchema schema, IntrospectMysql(session, {.schema = scratch}));
    NameForeignKeys(schema.tables);
    return std::move(schema.tables);
  };
  absl::StatusOr<std::vector<sql::TableDef>> tables = body();
  // DDL cannot be rolled back: the scratch database is dropped whatever
  // happened once it was created.
  const absl::Status restored = session.ExecuteScript(absl::StrCat("USE ", Quote(*live)));
  const absl::Status dropped =
      session.ExecuteScript(absl::StrCat("DROP DATABASE ", Quote(scratch)));
  if (tables.ok() && !restored.ok()) return restored;
  if (tables.ok() && !dropped.ok()) {
    return absl::Status(dropped.code(), absl::StrCat("dropping the scratch database ",
                                                     Quote(scratch), ": ", dropped.message()));
  }
  return tables;
}

// A named lock, held by the run's session (its connection): the server
// releases it when that connection ends, a killed duo-migrate's included.
class NamedLock final : public RunLock {
 public:
  explicit NamedLock(Session* session) : session_(session) {}
  NamedLock(const NamedLock&) = delete;
  NamedLock& operator=(const NamedLock&) = delete;
  ~NamedLock() override {
    session_->Execute(sql::Text(absl::StrCat("SELECT RELEASE_LOCK(", kLockName, ")")))
        .IgnoreError();
  }

 private:
  Session* const session_;
};

class MysqlImpl final : public MigrateImpl {
 public:
  absl::StatusOr<LiveSchema> Introspect(Session& session,
                                        const IntrospectOptions& options) const override {
    return IntrospectMysql(session, options);
  }

  // A scratch database, dropped afterwards.
  absl::StatusOr<std::vector<sql::TableDef>> ModelSchema(
      const Database& database, const std::vector<const ModelMeta*>& models) const override {
    return MysqlModelSchema(database, models);
  }

  absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                     const LiveSchema& live) const override {
    return PlanMysql(dialect, diff, live);
  }

  absl::StatusOr<bool> TableExists(Session& session, absl::string_view table) const override {
    DUO_ASSIGN_OR_RETURN(
        Result result,
        session.Execute(sql::Text("SELECT COUNT(*) FROM information_schema.TABLES "
                                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name")
                            .Bind("name", std::string(table))));
    DUO_ASSIGN_OR_RETURN(int64_t count, result.Scalar<int64_t>());
    return count > 0;
  }

  absl::StatusOr<std::unique_ptr<RunLock>> LockRun(Session& session) const override {
    DUO_ASSIGN_OR_RETURN(Result result,
                         session.Execute(sql::Text(absl::StrCat("SELECT GET_LOCK(", kLockName, ", ",
                                                                kLockWaitSeconds, ")"))));
    DUO_ASSIGN_OR_RETURN(std::optional<int64_t> got, result.Get<std::optional<int64_t>>(0, 0));
    if (!got.has_value() || *got != 1) {
      return absl::UnavailableError(
          absl::StrCat("could not take duo-migrate's lock on the database (GET_LOCK returned ",
                       got.has_value() ? absl::StrCat(*got) : "NULL",
                       "): another run holds it, or the URL names no database"));
    }
    return std::make_unique<NamedLock>(&session);
  }

  std::vector<std::string> ScriptStart() const override {
    return {
        "-- duo-migrate script: run it with `mariadb DATABASE < FILE` (or `mysql`, or a client "
        "that stops at the first error)",
        "-- DDL commits as it runs on MySQL and MariaDB: a failing statement leaves the ones "
        "before it applied, and its revision unrecorded",
        absl::StrCat("SELECT GET_LOCK(", kLockName, ", ", kLockWaitSeconds, ");"),
        // The session duo-migrate's own runs have (duo/engine/mysql):
        // DATETIME columns hold UTC, CURRENT_TIMESTAMP included; the
        // driver's strict sql_mode, with ANSI_QUOTES and PIPES_AS_CONCAT,
        // so that a revision written by hand the standard way ("name",
        // ||) means in the client what it means online.
        absl::StrCat("SET time_zone = '+00:00', sql_mode = '", engine::kMysqlStrictSqlMode, "';")};
  }
  std::vector<std::string> ScriptEnd() const override {
    return {absl::StrCat("SELECT RELEASE_LOCK(", kLockName, ");")};
  }
};

const MysqlImpl* const kMysqlImpl = new MysqlImpl();
const ImplRegistrar kMysqlRegistration(dialect::MysqlDialect().name(), kMysqlImpl);

}  // namespace
}  // namespace duo::migrate
