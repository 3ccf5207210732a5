#include "migrate/plan.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"

namespace duo::migrate {
namespace {

using dialect::QuoteIdentifier;
using Kind = sql::SqlType::Kind;

std::string Q(absl::string_view name) { return QuoteIdentifier(name); }

std::string ColumnList(const std::vector<std::string>& columns) {
  return absl::StrJoin(columns, ", ",
                       [](std::string* out, const std::string& c) { out->append(Q(c)); });
}

// DDL cannot bind; the names it quotes come from the schema, not from input.
std::string StringLiteral(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

std::string Qualified(absl::string_view table, absl::string_view column) {
  return absl::StrCat(Q(table), ".", Q(column));
}

int IntegerRank(Kind kind) {
  switch (kind) {
    case Kind::kSmallInt:
      return 1;
    case Kind::kInteger:
      return 2;
    case Kind::kBigInt:
      return 3;
    default:
      return 0;
  }
}

// True when every value of `from` fits `to` unchanged.
bool IsWidening(const sql::SqlType& from, const sql::SqlType& to) {
  if (IntegerRank(from.kind) > 0 && IntegerRank(to.kind) > 0) {
    return IntegerRank(from.kind) <= IntegerRank(to.kind);
  }
  if (from.kind == Kind::kReal && to.kind == Kind::kDouble) return true;
  if (from.kind == Kind::kVarchar && to.kind == Kind::kVarchar) return from.length <= to.length;
  if (from.kind == Kind::kVarchar && to.kind == Kind::kText) return true;
  if (from.kind == Kind::kNumeric && to.kind == Kind::kNumeric) {
    return to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
  }
  // An array widens when its elements do (integer[] -> bigint[]).
  if (from.kind == Kind::kArray && to.kind == Kind::kArray) {
    return from.element == to.element ||
           IsWidening(sql::SqlType{from.element}, sql::SqlType{to.element});
  }
  return false;
}

bool IsIntegerKind(Kind kind) { return IntegerRank(kind) > 0; }
bool IsRealKind(Kind kind) { return kind == Kind::kReal || kind == Kind::kDouble; }

// SQLite's INSERT ... SELECT copies a value that does not convert to the
// new column's affinity as it is ('abc' stays text in an INTEGER column),
// where PostgreSQL's USING cast fails. The condition that finds such
// values after a rebuild's copy, or empty when every value converts.
std::string UnconvertedValues(const sql::ColumnDef& from, const sql::ColumnDef& to) {
  const std::string column = Q(to.name);
  if (IsIntegerKind(to.type.kind) && !IsIntegerKind(from.type.kind)) {
    return absl::StrCat("typeof(", column, ") NOT IN ('integer', 'null')");
  }
  if (IsRealKind(to.type.kind) && !IsRealKind(from.type.kind) && !IsIntegerKind(from.type.kind)) {
    return absl::StrCat("typeof(", column, ") NOT IN ('integer', 'real', 'null')");
  }
  return "";
}

std::string ForeignKeySql(const sql::ForeignKeyDef& fk) {
  std::string sql =
      absl::StrCat("FOREIGN KEY (", ColumnList(fk.columns), ") REFERENCES ", Q(fk.referenced_table),
                   " (", ColumnList(fk.referenced_columns), ")");
  if (fk.on_delete != sql::ReferentialAction::kNoAction) {
    absl::StrAppend(&sql, " ON DELETE ", dialect::ReferentialActionSql(fk.on_delete));
  }
  if (fk.on_update != sql::ReferentialAction::kNoAction) {
    absl::StrAppend(&sql, " ON UPDATE ", dialect::ReferentialActionSql(fk.on_update));
  }
  return sql;
}

class Planner {
 public:
  Planner(const dialect::Dialect& dialect, const LiveSchema& live)
      : dialect_(dialect), live_(live), sqlite_(dialect.name() == "sqlite") {}

  absl::StatusOr<Plan> Run(const SchemaDiff& diff) {
    if (!diff.enum_conflicts.empty()) {
      return absl::FailedPreconditionError(absl::StrJoin(diff.enum_conflicts, "\n"));
    }
    Warn(diff);
    // Enum types before the tables whose columns use them.
    for (const EnumTypeDef& type : diff.created_enums) {
      std::vector<std::string> labels;
      for (const std::string& label : type.labels) labels.push_back(dialect::QuoteLiteral(label));
      Step& step = NewStep(absl::StrCat("create enum type ", type.name));
      step.up.push_back(
          absl::StrCat("CREATE TYPE ", type.name, " AS ENUM (", absl::StrJoin(labels, ", "), ")"));
      step.down.push_back(absl::StrCat("DROP TYPE ", type.name));
    }
    for (const EnumLabelAdded& added : diff.added_enum_labels) {
      Step& step = NewStep(absl::StrCat("add label ", dialect::QuoteLiteral(added.label),
                                        " to enum type ", added.type));
      step.up.push_back(absl::StrCat(
          "ALTER TYPE ", added.type, " ADD VALUE ", dialect::QuoteLiteral(added.label),
          added.after.empty() ? absl::StrCat(" BEFORE ", dialect::QuoteLiteral(added.before))
                              : absl::StrCat(" AFTER ", dialect::QuoteLiteral(added.after))));
      // No down statement: PostgreSQL cannot drop an enum label.
      plan_.warnings.push_back(absl::StrCat(
          "label ", dialect::QuoteLiteral(added.label), " added to enum type ", added.type,
          " stays when the revision is downgraded: PostgreSQL cannot drop an enum label"));
    }
    // SQLite refuses to rename the rebuilt table while a view names a
    // table that is gone, so the views over rebuilt tables go first and
    // come back last, as they were.
    const std::vector<const ViewDef*> views =
        sqlite_ ? ViewsOverRebuilds(diff) : std::vector<const ViewDef*>();
    if (!views.empty()) DropViews(views);
    // Constraints go before the columns and tables they mention, and come
    // back after them.
    for (const TableChange& change : diff.changed_tables) {
      if (sqlite_ && NeedsRebuild(change)) continue;
      DUO_RETURN_IF_ERROR(DropConstraints(change));
    }
    for (const sql::TableDef* table : DependencyOrder(diff.created_tables)) {
      DUO_RETURN_IF_ERROR(CreateTable(*table));
    }
    for (const TableChange& change : diff.changed_tables) {
      if (sqlite_ && NeedsRebuild(change)) {
        DUO_RETURN_IF_ERROR(Rebuild(change));
      } else {
        DUO_RETURN_IF_ERROR(AlterColumns(change));
      }
    }
    for (const TableChange& change : diff.changed_tables) {
      if (sqlite_ && NeedsRebuild(change)) continue;
      DUO_RETURN_IF_ERROR(AddConstraints(change));
    }
    std::vector<const sql::TableDef*> dropped = DependencyOrder(diff.dropped_tables);
    for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) {
      DUO_RETURN_IF_ERROR(DropTable(**it));
    }
    if (!views.empty()) RecreateViews(views);
    return std::move(plan_);
  }

 private:
  // The views that read `tables`, directly or through other views, in
  // creation order.
  std::vector<const ViewDef*> ViewsOver(const std::set<std::string>& tables) const {
    std::set<std::string> reached = tables;
    std::set<std::string> chosen;
    for (bool grew = true; grew;) {
      grew = false;
      for (const ViewDef& view : live_.views) {
        if (chosen.count(view.name) != 0) continue;
        for (const std::string& name : view.depends_on) {
          if (reached.count(name) != 0) {
            chosen.insert(view.name);
            reached.insert(view.name);
            grew = true;
            break;
          }
        }
      }
    }
    std::vector<const ViewDef*> views;
    for (const ViewDef& view : live_.views) {
      if (chosen.count(view.name) != 0) views.push_back(&view);
    }
    return views;
  }

  std::vector<const ViewDef*> ViewsOverRebuilds(const SchemaDiff& diff) const {
    std::set<std::string> rebuilt;
    for (const TableChange& change : diff.changed_tables) {
      if (NeedsRebuild(change)) rebuilt.insert(change.from.name);
    }
    return ViewsOver(rebuilt);
  }

  void DropViews(const std::vector<const ViewDef*>& views) {
    std::vector<std::string> names;
    for (const ViewDef* view : views) names.push_back(Q(view->name));
    Step& step =
        NewStep(absl::StrCat("drop views ", absl::StrJoin(names, ", "), " around the rebuild"));
    for (auto it = views.rbegin(); it != views.rend(); ++it) {
      step.up.push_back(absl::StrCat("DROP VIEW ", Q((*it)->name)));
    }
    for (const ViewDef* view : views) step.down.push_back(view->sql);
  }

  void RecreateViews(const std::vector<const ViewDef*>& views) {
    std::vector<std::string> names;
    for (const ViewDef* view : views) names.push_back(Q(view->name));
    Step& step = NewStep(absl::StrCat("recreate views ", absl::StrJoin(names, ", ")));
    for (const ViewDef* view : views) step.up.push_back(view->sql);
    for (auto it = views.rbegin(); it != views.rend(); ++it) {
      step.down.push_back(absl::StrCat("DROP VIEW ", Q((*it)->name)));
    }
  }

  // What the SQL does not tell a reviewer.
  void Warn(const SchemaDiff& diff) {
    std::set<std::string> touched;
    for (const TableChange& change : diff.changed_tables) {
      const std::string table = Q(change.to.name);
      for (const sql::ColumnDef& column : change.added_columns) {
        if (!column.nullable && column.server_default.empty() && !column.autoincrement) {
          plan_.warnings.push_back(absl::StrCat(
              "column ", Qualified(change.to.name, column.name),
              " is added NOT NULL without a default: the upgrade fails if ", table,
              " has rows; give it a server default, or add it nullable, fill it, and make it "
              "NOT NULL in a later revision"));
        }
      }
      for (const sql::ColumnDef& column : change.dropped_columns) {
        if (!Normalized(column, change.from).nullable && column.server_default.empty() &&
            !column.autoincrement) {
          plan_.warnings.push_back(absl::StrCat(
              "column ", Qualified(change.to.name, column.name),
              " is dropped; it was NOT NULL without a default, so the downgrade (which adds it "
              "back empty) fails if ",
              table, " has rows"));
        }
      }
      const bool alters_in_place = !change.dropped_columns.empty() ||
                                   !change.altered_columns.empty() || change.primary_key_changed;
      if (alters_in_place || (sqlite_ && NeedsRebuild(change))) touched.insert(change.from.name);
    }
    for (const sql::TableDef& table : diff.dropped_tables) touched.insert(table.name);
    for (const ViewDef* view : ViewsOver(touched)) {
      std::vector<std::string> tables;
      for (const std::string& name : view->depends_on) {
        if (touched.count(name) != 0) tables.push_back(Q(name));
      }
      if (tables.empty()) continue;  // reached through another view
      plan_.warnings.push_back(absl::StrCat(
          "view ", Q(view->name), " reads ", absl::StrJoin(tables, ", "), ", which this revision ",
          sqlite_ ? "rebuilds or drops: the view is dropped and created again around rebuilds "
                    "(as stored, so it must still make sense after the change)"
                  : "alters or drops: PostgreSQL refuses to drop or retype what a view uses; "
                    "drop and recreate the view in this revision by hand"));
    }
  }

  static sql::ColumnDef Normalized(sql::ColumnDef column, const sql::TableDef& table) {
    const std::vector<std::string> key = table.PrimaryKeyColumns();
    if (std::find(key.begin(), key.end(), column.name) != key.end()) column.nullable = false;
    return column;
  }

  // The primary-key constraint's name as the live database has it.
  std::string PrimaryKeyName(const sql::TableDef& table) const {
    auto it = live_.primary_key_names.find(table.name);
    // PostgreSQL names it <table>_pkey unless told otherwise; duo's DDL does too.
    return it != live_.primary_key_names.end() ? it->second : absl::StrCat(table.name, "_pkey");
  }

  // SQLite alters in place only renames, plain nullable columns added
  // without a default, and indexes.
  bool NeedsRebuild(const TableChange& change) const {
    for (const sql::ColumnDef& column : change.added_columns) {
      if (!column.nullable || !column.server_default.empty() || column.primary_key ||
          column.autoincrement) {
        return true;
      }
    }
    for (const sql::UniqueDef& unique : change.to.uniques) {
      for (const sql::ColumnDef& column : change.added_columns) {
        if (unique.columns == std::vector<std::string>{column.name}) return true;
      }
    }
    return !change.dropped_columns.empty() || !change.altered_columns.empty() ||
           change.primary_key_changed || !change.added_uniques.empty() ||
           !change.dropped_uniques.empty() || !change.added_foreign_keys.empty() ||
           !change.dropped_foreign_keys.empty() || !change.added_checks.empty() ||
           !change.dropped_checks.empty();
  }

  Step& NewStep(std::string description) {
    plan_.steps.push_back(Step{std::move(description)});
    return plan_.steps.back();
  }

  absl::Status CreateTable(const sql::TableDef& table) {
    DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                         dialect::CreateTableStatements(dialect_, table));
    Step& step = NewStep(absl::StrCat("create table ", Q(table.name)));
    step.up = std::move(statements);
    step.down = {dialect::DropTableStatement(dialect_, table)};
    step.destructive_down = absl::StrCat("drop table ", Q(table.name));
    return absl::OkStatus();
  }

  absl::Status DropTable(const sql::TableDef& table) {
    DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                         dialect::CreateTableStatements(dialect_, table));
    Step& step = NewStep(absl::StrCat("drop table ", Q(table.name)));
    step.up = {dialect::DropTableStatement(dialect_, table)};
    step.down = std::move(statements);
    for (const TriggerDef& trigger : live_.triggers) {
      if (trigger.table == table.name) step.down.push_back(trigger.sql);
    }
    step.destructive_up = absl::StrCat("drop table ", Q(table.name));
    return absl::OkStatus();
  }

  // A comment for a statement that adds a column it cannot fill (the down
  // step of a dropped column, whose values are gone): NOT NULL without a
  // default fails on a table with rows.
  static std::string CannotRestoreNote(const sql::TableDef& table, const sql::ColumnDef& column) {
    if (Normalized(column, table).nullable || !column.server_default.empty() ||
        column.autoincrement) {
      return "";
    }
    return absl::StrCat("-- fails if ", Q(table.name), " has rows: ", Q(column.name),
                        " is NOT NULL with no default and nothing to fill it from\n");
  }

  std::string AlterTable(const sql::TableDef& table) const {
    return absl::StrCat("ALTER TABLE ", Q(table.name), " ");
  }

  absl::StatusOr<std::string> AddConstraintSql(const sql::TableDef& table, absl::string_view name,
                                               absl::string_view definition) const {
    return absl::StrCat(AlterTable(table), "ADD ",
                        name.empty() ? "" : absl::StrCat("CONSTRAINT ", Q(name), " "), definition);
  }

  std::string DropConstraintSql(const sql::TableDef& table, absl::string_view name) const {
    return absl::StrCat(AlterTable(table), "DROP CONSTRAINT ", Q(name));
  }

  // Where a constraint has no name (SQLite forgets them), the one
  // PostgreSQL would give it.
  static std::string UniqueName(const sql::TableDef& table, const sql::UniqueDef& unique) {
    if (!unique.name.empty()) return unique.name;
    return absl::StrCat(table.name, "_", absl::StrJoin(unique.columns, "_"), "_key");
  }
  static std::string ForeignKeyName(const sql::TableDef& table, const sql::ForeignKeyDef& fk) {
    if (!fk.name.empty()) return fk.name;
    return absl::StrCat(table.name, "_", absl::StrJoin(fk.columns, "_"), "_fkey");
  }

  absl::Status DropConstraints(const TableChange& change) {
    // Constraints and indexes are named on the table as it is now.
    const sql::TableDef& table = change.from;
    for (const sql::ForeignKeyDef& fk : change.dropped_foreign_keys) {
      Step& step = NewStep(
          absl::StrCat("drop foreign key ", Q(ForeignKeyName(table, fk)), " on ", Q(table.name)));
      step.up = {DropConstraintSql(table, ForeignKeyName(table, fk))};
      DUO_ASSIGN_OR_RETURN(std::string add,
                           AddConstraintSql(table, ForeignKeyName(table, fk), ForeignKeySql(fk)));
      step.down = {add};
    }
    for (const sql::CheckDef& check : change.dropped_checks) {
      Step& step = NewStep(absl::StrCat("drop check ", Q(check.name), " on ", Q(table.name)));
      step.up = {DropConstraintSql(table, check.name)};
      DUO_ASSIGN_OR_RETURN(std::string condition, dialect::InlineExpr(dialect_, check.condition));
      DUO_ASSIGN_OR_RETURN(
          std::string add,
          AddConstraintSql(table, check.name, absl::StrCat("CHECK (", condition, ")")));
      step.down = {add};
    }
    for (const sql::UniqueDef& unique : change.dropped_uniques) {
      const std::string name = UniqueName(table, unique);
      Step& step = NewStep(absl::StrCat("drop unique ", Q(name), " on ", Q(table.name)));
      step.up = {DropConstraintSql(table, name)};
      DUO_ASSIGN_OR_RETURN(
          std::string add,
          AddConstraintSql(table, name, absl::StrCat("UNIQUE (", ColumnList(unique.columns), ")")));
      step.down = {add};
    }
    for (const sql::IndexDef& index : change.dropped_indexes) {
      Step& step = NewStep(absl::StrCat("drop index ", Q(index.name), " on ", Q(table.name)));
      step.up = {absl::StrCat("DROP INDEX ", Q(index.name))};
      DUO_ASSIGN_OR_RETURN(std::string create,
                           dialect::CreateIndexStatement(dialect_, table, index));
      step.down = {create};
    }
    if (change.primary_key_changed && !change.from.PrimaryKeyColumns().empty()) {
      // Named as the database has it: someone else's name ("book_tags_pk"),
      // or the old table's after a rename, is not <table>_pkey.
      const std::string name = PrimaryKeyName(table);
      Step& step = NewStep(absl::StrCat("drop primary key of ", Q(table.name)));
      step.up = {DropConstraintSql(table, name)};
      DUO_ASSIGN_OR_RETURN(
          std::string add,
          AddConstraintSql(
              table, name,
              absl::StrCat("PRIMARY KEY (", ColumnList(change.from.PrimaryKeyColumns()), ")")));
      step.down = {add};
    }
    return absl::OkStatus();
  }

  absl::Status AddConstraints(const TableChange& change) {
    const sql::TableDef& table = change.to;
    if (change.primary_key_changed && !table.PrimaryKeyColumns().empty()) {
      // The name PostgreSQL gives a new table's key, as in the models' schema.
      const std::string name = absl::StrCat(table.name, "_pkey");
      Step& step = NewStep(absl::StrCat("add primary key to ", Q(table.name)));
      DUO_ASSIGN_OR_RETURN(
          std::string add,
          AddConstraintSql(
              table, name,
              absl::StrCat("PRIMARY KEY (", ColumnList(table.PrimaryKeyColumns()), ")")));
      step.up = {add};
      step.down = {DropConstraintSql(table, name)};
    }
    for (const sql::UniqueDef& unique : change.added_uniques) {
      const std::string name = UniqueName(table, unique);
      Step& step = NewStep(absl::StrCat("add unique ", Q(name), " on ", Q(table.name)));
      DUO_ASSIGN_OR_RETURN(
          std::string add,
          AddConstraintSql(table, name, absl::StrCat("UNIQUE (", ColumnList(unique.columns), ")")));
      step.up = {add};
      step.down = {DropConstraintSql(table, name)};
    }
    for (const sql::CheckDef& check : change.added_checks) {
      Step& step = NewStep(absl::StrCat("add check ", Q(check.name), " on ", Q(table.name)));
      DUO_ASSIGN_OR_RETURN(std::string condition, dialect::InlineExpr(dialect_, check.condition));
      DUO_ASSIGN_OR_RETURN(
          std::string add,
          AddConstraintSql(table, check.name, absl::StrCat("CHECK (", condition, ")")));
      step.up = {add};
      step.down = {DropConstraintSql(table, check.name)};
    }
    for (const sql::IndexDef& index : change.added_indexes) {
      Step& step = NewStep(absl::StrCat("add index ", Q(index.name), " on ", Q(table.name)));
      DUO_ASSIGN_OR_RETURN(std::string create,
                           dialect::CreateIndexStatement(dialect_, table, index));
      step.up = {create};
      step.down = {absl::StrCat("DROP INDEX ", Q(index.name))};
    }
    for (const sql::ForeignKeyDef& fk : change.added_foreign_keys) {
      const std::string name = ForeignKeyName(table, fk);
      Step& step = NewStep(absl::StrCat("add foreign key ", Q(name), " on ", Q(table.name)));
      DUO_ASSIGN_OR_RETURN(std::string add, AddConstraintSql(table, name, ForeignKeySql(fk)));
      step.up = {add};
      step.down = {DropConstraintSql(table, name)};
    }
    return absl::OkStatus();
  }

  // In-place column changes: renames, adds, drops, alterations.
  absl::Status AlterColumns(const TableChange& change) {
    const sql::TableDef& to = change.to;
    if (!change.renamed_from.empty()) {
      Step& step =
          NewStep(absl::StrCat("rename table ", Q(change.renamed_from), " to ", Q(to.name)));
      step.up = {absl::StrCat("ALTER TABLE ", Q(change.renamed_from), " RENAME TO ", Q(to.name))};
      step.down = {absl::StrCat("ALTER TABLE ", Q(to.name), " RENAME TO ", Q(change.renamed_from))};
    }
    for (const auto& [old_name, new_name] : change.renamed_columns) {
      Step& step = NewStep(
          absl::StrCat("rename column ", Qualified(to.name, old_name), " to ", Q(new_name)));
      step.up = {absl::StrCat(AlterTable(to), "RENAME COLUMN ", Q(old_name), " TO ", Q(new_name))};
      step.down = {
          absl::StrCat(AlterTable(to), "RENAME COLUMN ", Q(new_name), " TO ", Q(old_name))};
    }
    for (const sql::ColumnDef& column : change.dropped_columns) {
      Step& step = NewStep(absl::StrCat("drop column ", Qualified(to.name, column.name)));
      step.up = {absl::StrCat(AlterTable(to), "DROP COLUMN ", Q(column.name))};
      DUO_ASSIGN_OR_RETURN(std::string definition,
                           dialect::ColumnDefinition(dialect_, change.from, column));
      step.down = {absl::StrCat(CannotRestoreNote(change.from, column), AlterTable(to),
                                "ADD COLUMN ", definition)};
      step.destructive_up = absl::StrCat("drop column ", Qualified(to.name, column.name));
    }
    for (const sql::ColumnDef& column : change.added_columns) {
      Step& step = NewStep(absl::StrCat("add column ", Qualified(to.name, column.name)));
      DUO_ASSIGN_OR_RETURN(std::string definition, dialect::ColumnDefinition(dialect_, to, column));
      step.up = {absl::StrCat(AlterTable(to), "ADD COLUMN ", definition)};
      step.down = {absl::StrCat(AlterTable(to), "DROP COLUMN ", Q(column.name))};
      step.destructive_down = absl::StrCat("drop column ", Qualified(to.name, column.name));
    }
    for (const ColumnChange& altered : change.altered_columns) {
      DUO_RETURN_IF_ERROR(AlterColumn(to, altered));
    }
    return absl::OkStatus();
  }

  absl::Status AlterColumn(const sql::TableDef& table, const ColumnChange& altered) {
    const std::string prefix =
        absl::StrCat(AlterTable(table), "ALTER COLUMN ", Q(altered.to.name), " ");
    const std::string column = Qualified(table.name, altered.to.name);
    if (altered.type) {
      Step& step = NewStep(absl::StrCat("alter column ", column, " type"));
      auto alter_type = [&](const sql::SqlType& type) {
        const std::string name = dialect_.TypeName(type);
        return absl::StrCat(prefix, "TYPE ", name, " USING ", Q(altered.to.name), "::", name);
      };
      step.up = {alter_type(altered.to.type)};
      step.down = {alter_type(altered.from.type)};
      const std::string change =
          absl::StrCat("change type of ", column, " from ", dialect_.TypeName(altered.from.type),
                       " to ", dialect_.TypeName(altered.to.type));
      if (!IsWidening(altered.from.type, altered.to.type)) step.destructive_up = change;
      if (!IsWidening(altered.to.type, altered.from.type)) {
        step.destructive_down = absl::StrCat("change type of ", column, " back to ",
                                             dialect_.TypeName(altered.from.type));
      }
    }
    if (altered.nullable) {
      Step& step = NewStep(absl::StrCat("alter column ", column, " nullability"));
      const std::string set = prefix + "SET NOT NULL";
      const std::string drop = prefix + "DROP NOT NULL";
      step.up = {altered.to.nullable ? drop : set};
      step.down = {altered.to.nullable ? set : drop};
      (altered.to.nullable ? step.destructive_down : step.destructive_up) =
          absl::StrCat("set NOT NULL on ", column, " (fails if rows hold NULL)");
    }
    if (altered.server_default) {
      Step& step = NewStep(absl::StrCat("alter column ", column, " default"));
      auto set_default = [&](const sql::Expr& value) -> absl::StatusOr<std::string> {
        if (value.empty()) return prefix + "DROP DEFAULT";
        DUO_ASSIGN_OR_RETURN(std::string text, dialect::InlineExpr(dialect_, value));
        return absl::StrCat(prefix, "SET DEFAULT ", text);
      };
      DUO_ASSIGN_OR_RETURN(std::string up, set_default(altered.to.server_default));
      DUO_ASSIGN_OR_RETURN(std::string down, set_default(altered.from.server_default));
      step.up = {up};
      step.down = {down};
    }
    if (altered.autoincrement) {
      Step& step = NewStep(absl::StrCat("alter column ", column, " identity"));
      const std::string add = prefix + "ADD GENERATED BY DEFAULT AS IDENTITY";
      // A new identity starts at 1; rows already there would collide.
      const std::string restart = absl::StrCat(
          "DO $$ BEGIN PERFORM setval(pg_get_serial_sequence(", StringLiteral(Q(table.name)), ", ",
          StringLiteral(altered.to.name), "), COALESCE(MAX(", Q(altered.to.name),
          "), 0) + 1, false) FROM ", Q(table.name), "; END $$");
      const std::string drop = prefix + "DROP IDENTITY";
      if (altered.to.autoincrement) {
        step.up = {add, restart};
        step.down = {drop};
      } else {
        step.up = {drop};
        step.down = {add, restart};
      }
    }
    return absl::OkStatus();
  }

  // SQLite's documented procedure for the changes ALTER TABLE cannot make.
  absl::StatusOr<std::vector<std::string>> RebuildStatements(
      const sql::TableDef& from, const sql::TableDef& to,
      const std::vector<std::pair<std::string, std::string>>& renamed_columns) {
    const std::string scratch = absl::StrCat("_duo_new_", to.name);
    DUO_ASSIGN_OR_RETURN(std::vector<std::string> create,
                         dialect::CreateTableStatements(dialect_, to));
    std::vector<std::string> statements;
    const std::string prefix = absl::StrCat("CREATE TABLE ", Q(to.name));
    if (!absl::StartsWith(create[0], prefix)) {
      return absl::InternalError(absl::StrCat("unexpected CREATE TABLE for ", Q(to.name)));
    }
    statements.push_back(
        absl::StrCat("CREATE TABLE ", Q(scratch), create[0].substr(prefix.size())));
    std::vector<std::string> targets, sources;
    for (const sql::ColumnDef& column : to.columns) {
      std::string source = column.name;
      for (const auto& [old_name, new_name] : renamed_columns) {
        if (new_name == column.name) source = old_name;
      }
      if (from.FindColumn(source) == nullptr) continue;
      targets.push_back(column.name);
      sources.push_back(source);
    }
    std::string note;
    for (const sql::ColumnDef& column : to.columns) {
      bool copied = false;
      for (size_t i = 0; i < targets.size(); ++i) copied = copied || targets[i] == column.name;
      if (!copied) {
        absl::StrAppend(&note, CannotRestoreNote(to, column));
      }
    }
    statements.push_back(absl::StrCat(note, "INSERT INTO ", Q(scratch), " (", ColumnList(targets),
                                      ") SELECT ", ColumnList(sources), " FROM ", Q(from.name)));
    // Verify, as PostgreSQL's USING cast would, that each retyped column's
    // values converted.
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::string condition =
          UnconvertedValues(*from.FindColumn(sources[i]), *to.FindColumn(targets[i]));
      if (condition.empty()) continue;
      for (std::string& statement : SqliteFailUnlessZero(
               absl::StrCat(to.name, ".", targets[i], " holds values that are not ",
                            dialect_.TypeName(to.FindColumn(targets[i])->type),
                            " (converting them failed)"),
               absl::StrCat("SELECT count(*) FROM ", Q(scratch), " WHERE ", condition))) {
        statements.push_back(std::move(statement));
      }
    }
    statements.push_back(absl::StrCat("DROP TABLE ", Q(from.name)));
    statements.push_back(absl::StrCat("ALTER TABLE ", Q(scratch), " RENAME TO ", Q(to.name)));
    statements.insert(statements.end(), create.begin() + 1, create.end());  // indexes
    for (const TriggerDef& trigger : live_.triggers) {
      if (trigger.table == from.name) statements.push_back(trigger.sql);
    }
    return statements;
  }

  absl::Status Rebuild(const TableChange& change) {
    plan_.sqlite_foreign_keys_off = true;
    Step& step = NewStep(absl::StrCat("rebuild table ", Q(change.to.name)));
    std::vector<std::pair<std::string, std::string>> reversed;
    for (const auto& [old_name, new_name] : change.renamed_columns) {
      reversed.emplace_back(new_name, old_name);
    }
    DUO_ASSIGN_OR_RETURN(step.up,
                         RebuildStatements(change.from, change.to, change.renamed_columns));
    DUO_ASSIGN_OR_RETURN(step.down, RebuildStatements(change.to, change.from, reversed));
    std::vector<std::string> lost_up, lost_down;
    for (const sql::ColumnDef& column : change.dropped_columns) {
      lost_up.push_back(absl::StrCat("drop column ", Qualified(change.to.name, column.name)));
    }
    for (const sql::ColumnDef& column : change.added_columns) {
      lost_down.push_back(absl::StrCat("drop column ", Qualified(change.to.name, column.name)));
    }
    for (const ColumnChange& altered : change.altered_columns) {
      const std::string column = Qualified(change.to.name, altered.to.name);
      if (altered.type && !IsWidening(altered.from.type, altered.to.type)) {
        lost_up.push_back(absl::StrCat("change type of ", column));
      }
      if (altered.type && !IsWidening(altered.to.type, altered.from.type)) {
        lost_down.push_back(absl::StrCat("change type of ", column, " back"));
      }
      if (altered.nullable) {
        (altered.to.nullable ? lost_down : lost_up)
            .push_back(absl::StrCat("set NOT NULL on ", column, " (fails if rows hold NULL)"));
      }
    }
    step.destructive_up = absl::StrJoin(lost_up, "; ");
    step.destructive_down = absl::StrJoin(lost_down, "; ");
    return absl::OkStatus();
  }

  const dialect::Dialect& dialect_;
  const LiveSchema& live_;
  const bool sqlite_;
  Plan plan_;
};

}  // namespace

std::vector<std::string> SqliteFailUnlessZero(absl::string_view message,
                                              absl::string_view count_sql) {
  const std::string table = "temp.\"_duo_assert\"";
  return {absl::StrCat("CREATE TEMP TABLE \"_duo_assert\" (\"n\" INTEGER CONSTRAINT ", Q(message),
                       " CHECK (\"n\" = 0))"),
          absl::StrCat("INSERT INTO ", table, " (\"n\") ", count_sql),
          absl::StrCat("DROP TABLE ", table)};
}

std::vector<std::string> Plan::Up() const {
  std::vector<std::string> statements;
  for (const Step& step : steps)
    statements.insert(statements.end(), step.up.begin(), step.up.end());
  return statements;
}

std::vector<std::string> Plan::Down() const {
  std::vector<std::string> statements;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    statements.insert(statements.end(), it->down.begin(), it->down.end());
  }
  return statements;
}

std::vector<std::string> Plan::DestructiveUp() const {
  std::vector<std::string> reasons;
  for (const Step& step : steps) {
    if (!step.destructive_up.empty()) reasons.push_back(step.destructive_up);
  }
  return reasons;
}

std::vector<std::string> Plan::DestructiveDown() const {
  std::vector<std::string> reasons;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (!it->destructive_down.empty()) reasons.push_back(it->destructive_down);
  }
  return reasons;
}

absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                   const LiveSchema& live) {
  return Planner(dialect, live).Run(diff);
}

}  // namespace duo::migrate
