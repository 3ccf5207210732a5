// duo-migrate on PostgreSQL (MigrateImpl, see migrate/impl.h):
// introspection from pg_catalog, plans that alter in place, the models'
// schema in a scratch schema rolled back, enum types compared apart, and
// an advisory lock for the run.

#include "migrate/impl.h"

#include <cstdint>
#include <memory>
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
#include "duo/dialect/postgres/dialect.h"
#include "duo/sql/text.h"
#include "migrate/postgres/introspect.h"
#include "migrate/postgres/planner.h"

namespace duo::migrate {
namespace {

// "duomigra": the PostgreSQL advisory lock every duo-migrate run takes.
constexpr int64_t kAdvisoryLockKey = 0x64756f6d69677261;

// The native enum types the models declare, each once (the first
// declaration wins: two enums sharing a type name are one type).
std::vector<sql::SqlType> ModelEnums(const std::vector<const ModelMeta*>& models) {
  std::vector<sql::SqlType> types;
  for (const ModelMeta* meta : models) {
    for (sql::SqlType& type : dialect::EnumTypes(meta->table_def())) {
      bool seen = false;
      for (const sql::SqlType& known : types) seen = seen || known.custom == type.custom;
      if (!seen) types.push_back(std::move(type));
    }
  }
  return types;
}

// The enum types as `schema` (quoted) would hold them, named as
// introspection names them: an unqualified name lands in that schema.
std::vector<EnumTypeDef> QualifiedEnums(const Database& database,
                                        const std::vector<const ModelMeta*>& models,
                                        absl::string_view schema) {
  std::vector<EnumTypeDef> enums;
  for (const sql::SqlType& type : ModelEnums(models)) {
    std::string name = database.dialect().TypeName(type);
    if (!absl::StrContains(name, '.')) name = absl::StrCat(schema, ".", name);
    enums.push_back({std::move(name), type.labels});
  }
  return enums;
}

std::vector<sql::TableDef> TableDefs(const std::vector<const ModelMeta*>& models) {
  std::vector<sql::TableDef> tables;
  for (const ModelMeta* meta : models) tables.push_back(meta->table_def());
  return tables;
}

absl::StatusOr<std::vector<sql::TableDef>> PostgresModelSchema(
    const Database& database, const std::vector<const ModelMeta*>& models) {
  std::random_device random;
  const std::string scratch = absl::StrCat("duo_migrate_scratch_", random() % 1000000000);
  DUO_ASSIGN_OR_RETURN(Session session, database.StandaloneSession());
  DUO_RETURN_IF_ERROR(session.Begin());
  // Nothing of the scratch schema outlives this function: the transaction
  // is always rolled back.
  auto body = [&]() -> absl::StatusOr<std::vector<sql::TableDef>> {
    DUO_ASSIGN_OR_RETURN(Result current,
                         session.Execute(sql::Text("SELECT quote_ident(current_schema())")));
    DUO_ASSIGN_OR_RETURN(const std::string live_schema, current.Get<std::string>(0, 0));
    DUO_RETURN_IF_ERROR(
        session.ExecuteScript(absl::StrCat("CREATE SCHEMA ", dialect::QuoteIdentifier(scratch))));
    // The scratch schema first, so that the models' tables (and their
    // foreign keys) land and resolve there; then the user's own path, so
    // that a type the models name (an enum in public, an extension's
    // citext) resolves exactly as it does on the live tables.
    DUO_RETURN_IF_ERROR(
        session
            .Execute(sql::Text("SELECT set_config('search_path', quote_ident(:scratch) || "
                               "COALESCE(', ' || NULLIF(current_setting('search_path'), ''), ''), "
                               "true)")
                         .Bind("scratch", scratch))
            .status());
    // Enum types the live schema lacks are made in the scratch schema (first
    // on the path); one it has is used as it is, so that its columns spell
    // their type as the live ones do. Labels are compared apart (DiffEnums).
    for (const sql::SqlType& type : ModelEnums(models)) {
      const std::string name = database.dialect().TypeName(type);
      std::vector<std::string> labels;
      for (const std::string& label : type.labels) labels.push_back(dialect::QuoteLiteral(label));
      DUO_RETURN_IF_ERROR(session.ExecuteScript(
          absl::StrCat("DO $duo$ BEGIN IF to_regtype(", dialect::QuoteLiteral(name),
                       ") IS NULL THEN CREATE TYPE ", name, " AS ENUM (",
                       absl::StrJoin(labels, ", "), "); END IF; END $duo$")));
    }
    const std::vector<sql::TableDef> tables = TableDefs(models);
    for (const sql::TableDef* table : DependencyOrder(tables)) {
      DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                           dialect::CreateTableStatements(database.dialect(), *table));
      for (const std::string& statement : statements) {
        absl::Status status = session.ExecuteScript(statement);
        if (!status.ok()) {
          return absl::Status(status.code(), absl::StrCat("creating the models' table ",
                                                          dialect::QuoteIdentifier(table->name),
                                                          ": ", status.message()));
        }
      }
    }
    DUO_ASSIGN_OR_RETURN(LiveSchema schema, IntrospectPostgres(session, {.schema = scratch}));
    // A type made in the scratch schema is the one a revision will make in
    // the live schema.
    // The scratch name is lowercase: quote_ident() leaves it bare.
    const std::string prefix = absl::StrCat(scratch, ".");
    for (sql::TableDef& table : schema.tables) {
      for (sql::ColumnDef& column : table.columns) {
        if (column.type.kind == sql::SqlType::Kind::kCustom &&
            absl::StartsWith(column.type.custom, prefix)) {
          column.type.custom =
              absl::StrCat(live_schema, ".", column.type.custom.substr(prefix.size()));
        }
      }
    }
    return std::move(schema.tables);
  };
  absl::StatusOr<std::vector<sql::TableDef>> tables = body();
  session.Rollback().IgnoreError();
  return tables;
}

// A session advisory lock, held by the run's session.
class AdvisoryLock final : public RunLock {
 public:
  explicit AdvisoryLock(Session* session) : session_(session) {}
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;
  ~AdvisoryLock() override {
    session_->Execute(sql::Text("SELECT pg_advisory_unlock(:key)").Bind("key", kAdvisoryLockKey))
        .IgnoreError();
    // The session's connection returns to the application's pool.
    session_->Execute(sql::Text("RESET client_connection_check_interval")).IgnoreError();
  }

 private:
  Session* const session_;
};

class PostgresImpl final : public MigrateImpl {
 public:
  absl::StatusOr<LiveSchema> Introspect(Session& session,
                                        const IntrospectOptions& options) const override {
    return IntrospectPostgres(session, options);
  }

  // A scratch schema in a transaction that is rolled back.
  absl::StatusOr<std::vector<sql::TableDef>> ModelSchema(
      const Database& database, const std::vector<const ModelMeta*>& models) const override {
    return PostgresModelSchema(database, models);
  }

  // Enum types are types of the schema, compared by their labels.
  void DiffTypes(const Database& database, const std::vector<const ModelMeta*>& models,
                 const LiveSchema& live, SchemaDiff& diff) const override {
    DiffEnums(live.enums, QualifiedEnums(database, models, live.schema), diff);
  }

  absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                     const LiveSchema& live) const override {
    return PlanPostgres(dialect, diff, live);
  }

  absl::StatusOr<bool> TableExists(Session& session, absl::string_view table) const override {
    DUO_ASSIGN_OR_RETURN(Result result,
                         session.Execute(sql::Text("SELECT count(*) FROM pg_catalog.pg_tables "
                                                   "WHERE schemaname = current_schema() AND "
                                                   "tablename = :name")
                                             .Bind("name", std::string(table))));
    DUO_ASSIGN_OR_RETURN(int64_t count, result.Scalar<int64_t>());
    return count > 0;
  }

  absl::StatusOr<std::unique_ptr<RunLock>> LockRun(Session& session) const override {
    // A duo-migrate killed mid-revision (a deploy job's timeout) must not
    // leave its backend running the statement it was in, holding this lock
    // and the revision's table locks, until that statement ends on its own:
    // the next run would wait for it. PostgreSQL 14+ can check every second
    // that the client is still there and abort the query (rolling the
    // revision back) when it is not. Older servers lack the setting and
    // keep their behaviour, so a failure here is ignored.
    session.Execute(sql::Text("SELECT set_config('client_connection_check_interval', '1s', false)"))
        .IgnoreError();
    DUO_RETURN_IF_ERROR(
        session
            .Execute(
                sql::Text("SELECT 1 FROM pg_advisory_lock(:key)").Bind("key", kAdvisoryLockKey))
            .status());
    return std::make_unique<AdvisoryLock>(&session);
  }

  // psql goes on after an error by default, and would COMMIT what came
  // before the failing statement.
  std::vector<std::string> ScriptStart() const override {
    return {
        "-- duo-migrate script: run it with `psql -v ON_ERROR_STOP=1 -f FILE` (or a client "
        "that stops at the first error)",
        absl::StrCat("SELECT pg_advisory_lock(", kAdvisoryLockKey, ");")};
  }
  std::vector<std::string> ScriptEnd() const override {
    return {absl::StrCat("SELECT pg_advisory_unlock(", kAdvisoryLockKey, ");")};
  }
};

const PostgresImpl* const kPostgresImpl = new PostgresImpl();
const ImplRegistrar kPostgresRegistration(dialect::PostgresDialect().name(), kPostgresImpl);

}  // namespace
}  // namespace duo::migrate
