// The values that pass between duo-migrate's stages: the live schema that
// introspection reads (introspect.h), and the plan of SQL steps that a
// schema difference turns into (plan.h). Each database's implementation
// (impl.h) produces and consumes them; they are plain values.

#ifndef MIGRATE_TYPES_H_
#define MIGRATE_TYPES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
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
  // as quote_ident() spells it. MySQL: the database read.
  std::string schema;
  // MySQL: the index InnoDB made by itself for a foreign key no index
  // covered, by {table, foreign key name}. Introspection leaves it out of
  // the table's indexes (the models never declare it); dropping the
  // foreign key would leave it behind, so a plan drops it too.
  std::map<std::pair<std::string, std::string>, std::string> foreign_key_indexes;

  const sql::TableDef* FindTable(absl::string_view name) const;
};

struct IntrospectOptions {
  // PostgreSQL schema (MySQL database) to read; empty: current_schema()
  // (DATABASE()). Ignored on SQLite.
  std::string schema;
  // Tables left out (duo-migrate's own version table, for one).
  std::vector<std::string> exclude_tables;

  bool Excludes(absl::string_view table) const;
};

struct Step {
  std::string description;
  std::vector<std::string> up;
  std::vector<std::string> down;
  // Why running up (or down) loses data; empty when it does not.
  std::string destructive_up;
  std::string destructive_down;
};

struct Plan {
  std::vector<Step> steps;
  // Set by SQLite's table rebuilds: the runner turns foreign-key
  // enforcement off around the revision (the revision file's
  // `sqlite-foreign-keys: off`).
  bool sqlite_foreign_keys_off = false;
  // What a reviewer must know before running the plan, which the SQL alone
  // does not say: a NOT NULL column added without a default, a down step
  // that cannot run on a table with rows, views over a changed table.
  std::vector<std::string> warnings;

  bool empty() const { return steps.empty(); }
  std::vector<std::string> Up() const;
  // The steps' down statements, last step first.
  std::vector<std::string> Down() const;
  std::vector<std::string> DestructiveUp() const;
  std::vector<std::string> DestructiveDown() const;
};

}  // namespace duo::migrate

#endif  // MIGRATE_TYPES_H_
