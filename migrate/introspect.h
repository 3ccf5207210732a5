// Reads a live schema into the metadata structures models produce.
//
// Every table of one schema becomes a sql::TableDef: columns (type parsed
// back into a SqlType, nullability, default, identity/rowid keys), primary
// key, unique constraints, indexes (partial ones with their condition),
// foreign keys with their actions, check constraints. Expressions the
// database stores as text (defaults, checks, index conditions) come back as
// sql::Text holding the database's own spelling, so that DDL rendered from
// an introspected table recreates it as it was.
//
// SQLite: sqlite_schema, pragma table_xinfo / index_list / index_xinfo /
// foreign_key_list, and the table's CREATE statement for constraint names
// and checks. PostgreSQL: pg_catalog.

#ifndef MIGRATE_INTROSPECT_H_
#define MIGRATE_INTROSPECT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/session/database.h"
#include "duo/sql/table.h"
#include "migrate/diff.h"

namespace duo::migrate {

// A trigger, kept so that a SQLite table rebuild can recreate it.
struct TriggerDef {
  std::string name;
  std::string table;
  std::string sql;  // the CREATE TRIGGER statement as stored
};

// A view, kept so that a SQLite table rebuild can drop and recreate the
// views over the table (SQLite's RENAME refuses to run while a view names a
// table that is gone), and so that `create` can warn about views a change
// touches.
struct ViewDef {
  std::string name;
  // SQLite: the CREATE VIEW statement as stored. PostgreSQL: empty (the
  // server tracks dependencies itself and refuses changes that break them).
  std::string sql;
  // Tables and views the view reads. SQLite: every table or view whose name
  // the view's text mentions as an identifier (a superset: a column sharing
  // a table's name counts). PostgreSQL: from pg_depend.
  std::vector<std::string> depends_on;
};

struct LiveSchema {
  std::vector<sql::TableDef> tables;  // by name
  std::vector<TriggerDef> triggers;
  std::vector<ViewDef> views;  // in creation order (SQLite), by name (PostgreSQL)
  // PostgreSQL: each table's primary-key constraint by its real name, which
  // is <table>_pkey only when nobody named it (and the table was never
  // renamed). Empty on SQLite, whose keys have no name to drop them by.
  std::map<std::string, std::string> primary_key_names;
  // PostgreSQL: the schema's enum types, by name. Empty on SQLite.
  std::vector<EnumTypeDef> enums;
  // PostgreSQL: the schema read (current_schema() unless one was given),
  // as quote_ident() spells it.
  std::string schema;

  const sql::TableDef* FindTable(absl::string_view name) const;
};

struct IntrospectOptions {
  // PostgreSQL schema to read; empty: current_schema(). Ignored on SQLite.
  std::string schema;
  // Tables left out (duo-migrate's own version table, for one).
  std::vector<std::string> exclude_tables;
};

absl::StatusOr<LiveSchema> Introspect(Session& session, const IntrospectOptions& options = {});

// The SqlType a column's declared type names in `dialect` ("character
// varying(20)" → Varchar(20)); types duo does not model come back as
// SqlType::Custom with the database's spelling. PostgreSQL introspection
// spells a type that is not built in (an enum, a domain, an extension's
// citext) schema-qualified, "public.mood", whatever the search_path: types
// are compared by identity, not by how one session would print them.
sql::SqlType ParseSqlType(absl::string_view dialect, absl::string_view spelling);

}  // namespace duo::migrate

#endif  // MIGRATE_INTROSPECT_H_
