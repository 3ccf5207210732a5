// Compares two schemas (what the database has, what the models declare)
// and says what differs, dialect-neutrally.
//
// Both sides are expected in the database's own spelling: duo-migrate
// introspects the live schema, and introspects the models' schema too after
// creating it in a scratch space of the same database (see autogenerate.h).
// Letting the database normalise types, defaults and conditions is what
// makes a schema created from the models diff to exactly nothing, with no
// per-dialect guesswork about how a server rewrites `DEFAULT 0` or a CHECK.
//
// Matching rules, chosen to never invent a change:
//   * tables and columns by name; a rename is never guessed: it is a drop
//     plus an add (destructive) unless declared in DiffOptions;
//   * indexes and check constraints by name, then by definition;
//   * unique constraints and foreign keys by their columns (SQLite keeps no
//     names for them); a foreign key whose actions changed is dropped and
//     added again;
//   * the primary key by its columns; primary-key columns count as NOT NULL.

#ifndef MIGRATE_DIFF_H_
#define MIGRATE_DIFF_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/table.h"

namespace duo::migrate {

struct ColumnChange {
  sql::ColumnDef from;
  sql::ColumnDef to;
  bool type = false;
  bool nullable = false;
  bool server_default = false;
  bool autoincrement = false;
};

// Everything that differs inside one table present on both sides.
struct TableChange {
  sql::TableDef from;        // as it is
  sql::TableDef to;          // as it should be
  std::string renamed_from;  // a declared table rename: from.name
  std::vector<std::pair<std::string, std::string>> renamed_columns;  // old → new
  std::vector<sql::ColumnDef> added_columns;
  std::vector<sql::ColumnDef> dropped_columns;
  std::vector<ColumnChange> altered_columns;
  bool primary_key_changed = false;
  std::vector<sql::IndexDef> added_indexes, dropped_indexes;
  std::vector<sql::UniqueDef> added_uniques, dropped_uniques;
  std::vector<sql::ForeignKeyDef> added_foreign_keys, dropped_foreign_keys;
  std::vector<sql::CheckDef> added_checks, dropped_checks;

  bool empty() const;
};

// A PostgreSQL enum type (CREATE TYPE ... AS ENUM).
struct EnumTypeDef {
  std::string name;                 // schema-qualified, as column types spell it: public.mood
  std::vector<std::string> labels;  // in their sort order
  friend bool operator==(const EnumTypeDef&, const EnumTypeDef&) = default;
};

// Labels the models add to an existing PostgreSQL enum type, each placed
// after the label before it in the declaration (`after` empty: before
// `before`, the type's first label).
struct EnumLabelAdded {
  std::string type;  // schema-qualified
  std::string label;
  std::string after;
  std::string before;
};

struct SchemaDiff {
  std::vector<sql::TableDef> created_tables;
  std::vector<sql::TableDef> dropped_tables;
  std::vector<TableChange> changed_tables;
  // PostgreSQL enum types the models declare and the schema lacks.
  std::vector<EnumTypeDef> created_enums;
  std::vector<EnumLabelAdded> added_enum_labels;
  // Enum changes PostgreSQL cannot make (a label dropped or moved): each
  // says which and what to do. Planning refuses a diff that has any,
  // rather than silently keep or drop a label rows may hold.
  std::vector<std::string> enum_conflicts;

  bool empty() const {
    return created_tables.empty() && dropped_tables.empty() && changed_tables.empty() &&
           created_enums.empty() && added_enum_labels.empty() && enum_conflicts.empty();
  }
  // One line per change, e.g. `add column "orders"."note" (text)`.
  std::vector<std::string> Describe(const dialect::Dialect& dialect) const;
};

struct DiffOptions {
  // Declared renames: old table name → new one.
  std::map<std::string, std::string> table_renames;
  // Declared column renames: {table (new name), old column} → new column.
  std::map<std::pair<std::string, std::string>, std::string> column_renames;
};

// What turns `from` into `to`. `dialect` spells the expressions compared.
SchemaDiff Diff(const dialect::Dialect& dialect, const std::vector<sql::TableDef>& from,
                const std::vector<sql::TableDef>& to, const DiffOptions& options = {});

// Adds to `diff` what turns the live enum types into the models' (both
// named schema-qualified, as EnumTypeDef says). A live type the models do
// not declare is left alone: other clients' columns may use it.
void DiffEnums(const std::vector<EnumTypeDef>& live, const std::vector<EnumTypeDef>& models,
               SchemaDiff& diff);

// Tables referenced by others first, so that CREATE TABLE finds its
// parents; a cycle is broken at the table listed first.
std::vector<const sql::TableDef*> DependencyOrder(const std::vector<sql::TableDef>& tables);

// Expression text compared the way the diff does: outer parentheses,
// letter case outside quotes and runs of whitespace do not matter.
std::string NormalizeSqlText(absl::string_view sql);

}  // namespace duo::migrate

#endif  // MIGRATE_DIFF_H_
