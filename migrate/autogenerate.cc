#include "migrate/autogenerate.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"
#include "duo/model/models.h"
#include "duo/sql/text.h"

namespace duo::migrate {
namespace {

absl::Status DeclarationsOk(const std::vector<const ModelMeta*>& models) {
  for (const ModelMeta* meta : models) DUO_RETURN_IF_ERROR(meta->declaration_status());
  return absl::OkStatus();
}

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
    DUO_ASSIGN_OR_RETURN(LiveSchema schema, Introspect(session, {.schema = scratch}));
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

absl::StatusOr<std::vector<sql::TableDef>> SqliteModelSchema(
    const std::vector<const ModelMeta*>& models) {
  DUO_ASSIGN_OR_RETURN(Database scratch, Database::Open("sqlite:///:memory:"));
  DUO_RETURN_IF_ERROR(Models::CreateTables(scratch, models));
  DUO_ASSIGN_OR_RETURN(Session session, scratch.StandaloneSession());
  DUO_ASSIGN_OR_RETURN(LiveSchema schema, Introspect(session));
  return std::move(schema.tables);
}

}  // namespace

absl::StatusOr<std::vector<sql::TableDef>> ModelSchema(
    const Database& database, const std::vector<const ModelMeta*>& models) {
  DUO_RETURN_IF_ERROR(DeclarationsOk(models));
  if (database.dialect().name() == "postgresql") return PostgresModelSchema(database, models);
  return SqliteModelSchema(models);
}

absl::StatusOr<LiveSchema> LiveSchemaOf(const Database& database) {
  DUO_ASSIGN_OR_RETURN(Session session, database.StandaloneSession());
  return Introspect(session, {.exclude_tables = {kVersionTable}});
}

absl::StatusOr<Autogenerated> Autogenerate(const Database& database,
                                           const std::vector<const ModelMeta*>& models,
                                           const DiffOptions& options) {
  Autogenerated result;
  DUO_ASSIGN_OR_RETURN(result.target, ModelSchema(database, models));
  DUO_ASSIGN_OR_RETURN(result.live, LiveSchemaOf(database));
  result.diff = Diff(database.dialect(), result.live.tables, result.target, options);
  if (database.dialect().name() == "postgresql") {
    DiffEnums(result.live.enums, QualifiedEnums(database, models, result.live.schema), result.diff);
  }
  DUO_ASSIGN_OR_RETURN(result.plan, PlanMigration(database.dialect(), result.diff, result.live));
  return result;
}

}  // namespace duo::migrate
