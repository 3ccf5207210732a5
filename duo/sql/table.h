// Table metadata, usable without the ORM.
//
// A TableDef describes a table the way DDL does (columns, keys, indexes,
// constraints); models produce one, migrations diff them, and the IR uses
// them to name columns. A Table is a cheap handle on a shared TableDef plus
// an optional alias, which is how self-joins are written:
//
//   Table employees(TableDef("employees").AddColumn(...));
//   Table manager = employees.Alias("manager");
//   Select({employees.C("name"), manager.C("name")})
//       .From(employees)
//       .LeftJoin(manager, employees.C("manager_id") == manager.C("id"));

#ifndef DUO_SQL_TABLE_H_
#define DUO_SQL_TABLE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "duo/sql/expr.h"
#include "duo/sql/types.h"
#include "duo/sql/value.h"

namespace duo::sql {

struct ColumnDef {
  std::string name;
  SqlType type;
  bool nullable = true;
  bool primary_key = false;
  bool autoincrement = false;
  bool unique = false;
  // Filled in by the client when an insert leaves the column out.
  std::optional<Value> default_value;
  // DEFAULT clause of the column's DDL (for example CurrentTimestamp()).
  Expr server_default;
};

enum class ReferentialAction : uint8_t { kNoAction, kRestrict, kCascade, kSetNull, kSetDefault };

struct ForeignKeyDef {
  std::string name;  // empty: the database names it
  std::vector<std::string> columns;
  std::string referenced_table;
  std::vector<std::string> referenced_columns;
  ReferentialAction on_delete = ReferentialAction::kNoAction;
  ReferentialAction on_update = ReferentialAction::kNoAction;
};

struct IndexDef {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
  Expr where;  // partial index condition, if any
  // The index's access method where the database has several and the
  // default does not serve the queries (PostgreSQL's "gin", which serves
  // JSON containment and key existence and array containment and overlap,
  // duo/sql/json.h). Empty: the database's default (a B-tree).
  std::string method;
};

struct UniqueDef {
  std::string name;
  std::vector<std::string> columns;
};

struct CheckDef {
  std::string name;
  Expr condition;
};

struct TableDef {
  TableDef() = default;
  explicit TableDef(std::string table_name) : name(std::move(table_name)) {}

  // Builder-style helpers for hand-written metadata.
  TableDef& AddColumn(ColumnDef column) {
    columns.push_back(std::move(column));
    return *this;
  }

  // nullptr when the table has no such column.
  const ColumnDef* FindColumn(absl::string_view column_name) const;
  // The primary key's columns: `primary_key` if set, else the columns
  // flagged primary_key, in declaration order.
  std::vector<std::string> PrimaryKeyColumns() const;

  std::string schema;  // empty: the connection's default schema
  std::string name;
  std::vector<ColumnDef> columns;
  std::vector<std::string> primary_key;
  std::vector<ForeignKeyDef> foreign_keys;
  std::vector<IndexDef> indexes;
  std::vector<UniqueDef> uniques;
  std::vector<CheckDef> checks;
};

// A table (or a CTE, by name) as statements refer to it. Copying shares the
// metadata.
class Table {
 public:
  // A table known only by name: any column name is accepted.
  explicit Table(std::string name, std::string schema = "");
  explicit Table(TableDef def);
  explicit Table(std::shared_ptr<const TableDef> def);

  const std::string& name() const { return def_->name; }
  const std::string& schema() const { return def_->schema; }
  const std::string& alias() const { return alias_; }
  // What columns are qualified with: the alias if any, else the name.
  const std::string& ref_name() const { return alias_.empty() ? def_->name : alias_; }
  const TableDef& def() const { return *def_; }
  const std::shared_ptr<const TableDef>& def_ptr() const { return def_; }

  // The same table under another name in the FROM clause.
  Table Alias(std::string alias) const;

  // `ref_name.column`, untyped; C++ does not check that the column exists.
  Expr C(absl::string_view column) const;
  // `ref_name.column` with the C++ type of its values.
  template <typename T>
  TypedExpr<T> Col(absl::string_view column) const {
    return TypedExpr<T>(C(column));
  }
  // `ref_name.*`.
  Expr AllColumns() const { return Star(ref_name()); }
  // Every declared column, in order (empty for a table known only by name).
  std::vector<Expr> Columns() const;

 private:
  std::shared_ptr<const TableDef> def_;
  std::string alias_;
};

}  // namespace duo::sql

#endif  // DUO_SQL_TABLE_H_
