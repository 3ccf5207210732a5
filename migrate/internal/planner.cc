#include "migrate/internal/planner.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"

namespace duo::migrate_internal {
namespace {

using migrate::DependencyOrder;
using migrate::TriggerDef;
using Kind = sql::SqlType::Kind;

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

}  // namespace

std::string Planner::ForeignKeySql(const sql::ForeignKeyDef& fk) const {
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

namespace {

// Where a constraint has no name (SQLite forgets them), the one
// PostgreSQL would give it.
std::string UniqueName(const sql::TableDef& table, const sql::UniqueDef& unique) {
  if (!unique.name.empty()) return unique.name;
  return absl::StrCat(table.name, "_", absl::StrJoin(unique.columns, "_"), "_key");
}
std::string ForeignKeyName(const sql::TableDef& table, const sql::ForeignKeyDef& fk) {
  if (!fk.name.empty()) return fk.name;
  return absl::StrCat(table.name, "_", absl::StrJoin(fk.columns, "_"), "_fkey");
}

}  // namespace

std::string Q(absl::string_view name) { return dialect::QuoteIdentifier(name); }

std::string ColumnList(const std::vector<std::string>& columns) {
  return absl::StrJoin(columns, ", ",
                       [](std::string* out, const std::string& c) { out->append(Q(c)); });
}

std::string StringLiteral(absl::string_view text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

std::string Qualified(absl::string_view table, absl::string_view column) {
  return absl::StrCat(Q(table), ".", Q(column));
}

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
  // An enum (MySQL's inline ENUM) widens when it keeps every label: rows
  // are converted by label.
  if (from.kind == Kind::kEnum && to.kind == Kind::kEnum) {
    return std::all_of(from.labels.begin(), from.labels.end(), [&](const std::string& label) {
      return std::find(to.labels.begin(), to.labels.end(), label) != to.labels.end();
    });
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

Planner::Planner(const dialect::Dialect& dialect, const LiveSchema& live)
    : dialect_(dialect), live_(live) {}

std::string Planner::Q(absl::string_view name) const {
  return dialect::QuoteIdentifier(dialect_, name);
}

std::string Planner::ColumnList(const std::vector<std::string>& columns) const {
  return absl::StrJoin(columns, ", ",
                       [this](std::string* out, const std::string& c) { out->append(Q(c)); });
}

std::string Planner::Qualified(absl::string_view table, absl::string_view column) const {
  return absl::StrCat(Q(table), ".", Q(column));
}

absl::StatusOr<Plan> Planner::Run(const SchemaDiff& diff) && {
  if (!diff.enum_conflicts.empty()) {
    return absl::FailedPreconditionError(absl::StrJoin(diff.enum_conflicts, "\n"));
  }
  Warn(diff);
  // Enum types before the tables whose columns use them.
  DUO_RETURN_IF_ERROR(PlanEnumTypes(diff));
  // A rebuild drops the table and renames its new copy, which SQLite
  // refuses while a view names a table that is gone: the views over
  // rebuilt tables go first and come back last, as they were.
  const std::vector<const ViewDef*> views = ViewsOverRebuilds(diff);
  if (!views.empty()) DropViews(views);
  // Constraints go before the columns and tables they mention, and come
  // back after them.
  for (const TableChange& change : diff.changed_tables) {
    if (NeedsRebuild(change)) continue;
    DUO_RETURN_IF_ERROR(DropConstraints(change));
  }
  for (const sql::TableDef* table : DependencyOrder(diff.created_tables)) {
    DUO_RETURN_IF_ERROR(CreateTable(*table));
  }
  for (const TableChange& change : diff.changed_tables) {
    if (NeedsRebuild(change)) {
      DUO_RETURN_IF_ERROR(Rebuild(change));
    } else {
      DUO_RETURN_IF_ERROR(AlterColumns(change));
    }
  }
  for (const TableChange& change : diff.changed_tables) {
    if (NeedsRebuild(change)) continue;
    DUO_RETURN_IF_ERROR(AddConstraints(change));
  }
  std::vector<const sql::TableDef*> dropped = DependencyOrder(diff.dropped_tables);
  for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) {
    DUO_RETURN_IF_ERROR(DropTable(**it));
  }
  if (!views.empty()) RecreateViews(views);
  return std::move(plan_);
}

absl::Status Planner::PlanEnumTypes(const SchemaDiff& diff) {
  if (diff.created_enums.empty() && diff.added_enum_labels.empty()) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat(dialect_.name(), " has no enum types of its own to create or extend"));
}

absl::Status Planner::Rebuild(const TableChange& change) {
  return absl::InternalError(absl::StrCat(dialect_.name(), " cannot rebuild table ",
                                          Q(change.to.name), ": it alters tables in place"));
}

absl::StatusOr<std::vector<std::string>> Planner::AlterColumnType(const sql::TableDef& table,
                                                                  absl::string_view column,
                                                                  const sql::SqlType&) {
  return absl::UnimplementedError(absl::StrCat(dialect_.name(), " cannot change the type of ",
                                               Qualified(table.name, column), " in place"));
}

absl::StatusOr<std::vector<std::string>> Planner::AlterColumnIdentity(const sql::TableDef& table,
                                                                      absl::string_view column,
                                                                      bool) {
  return absl::UnimplementedError(absl::StrCat(dialect_.name(), " cannot change whether ",
                                               Qualified(table.name, column),
                                               " generates its values in place"));
}

// The views that read `tables`, directly or through other views, in
// creation order.
std::vector<const ViewDef*> Planner::ViewsOver(const std::set<std::string>& tables) const {
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

std::vector<const ViewDef*> Planner::ViewsOverRebuilds(const SchemaDiff& diff) const {
  std::set<std::string> rebuilt;
  for (const TableChange& change : diff.changed_tables) {
    if (NeedsRebuild(change)) rebuilt.insert(change.from.name);
  }
  return ViewsOver(rebuilt);
}

void Planner::DropViews(const std::vector<const ViewDef*>& views) {
  std::vector<std::string> names;
  for (const ViewDef* view : views) names.push_back(Q(view->name));
  Step& step =
      NewStep(absl::StrCat("drop views ", absl::StrJoin(names, ", "), " around the rebuild"));
  for (auto it = views.rbegin(); it != views.rend(); ++it) {
    step.up.push_back(absl::StrCat("DROP VIEW ", Q((*it)->name)));
  }
  for (const ViewDef* view : views) step.down.push_back(view->sql);
}

void Planner::RecreateViews(const std::vector<const ViewDef*>& views) {
  std::vector<std::string> names;
  for (const ViewDef* view : views) names.push_back(Q(view->name));
  Step& step = NewStep(absl::StrCat("recreate views ", absl::StrJoin(names, ", ")));
  for (const ViewDef* view : views) step.up.push_back(view->sql);
  for (auto it = views.rbegin(); it != views.rend(); ++it) {
    step.down.push_back(absl::StrCat("DROP VIEW ", Q((*it)->name)));
  }
}

// What the SQL does not tell a reviewer.
void Planner::Warn(const SchemaDiff& diff) {
  std::set<std::string> touched;
  for (const TableChange& change : diff.changed_tables) {
    const std::string table = Q(change.to.name);
    for (const sql::ColumnDef& column : change.added_columns) {
      if (!column.nullable && column.server_default.empty() && !column.autoincrement) {
        plan_.warnings.push_back(absl::StrCat(
            "column ", Qualified(change.to.name, column.name),
            " is added NOT NULL without a default: ",
            ZeroFillsAddedNotNullColumns()
                ? absl::StrCat(dialect_.name(),
                               " fills it with its type's zero value ('', 0) in the rows ", table,
                               " has")
                : absl::StrCat("the upgrade fails if ", table, " has rows"),
            "; give it a server default, or add it nullable, fill it, and make it "
            "NOT NULL in a later revision"));
      }
    }
    for (const sql::ColumnDef& column : change.dropped_columns) {
      if (!Normalized(column, change.from).nullable && column.server_default.empty() &&
          !column.autoincrement) {
        plan_.warnings.push_back(absl::StrCat(
            "column ", Qualified(change.to.name, column.name),
            " is dropped; it was NOT NULL without a default, so the downgrade (which adds it "
            "back empty) ",
            ZeroFillsAddedNotNullColumns()
                ? absl::StrCat("fills it with its type's zero value ('', 0) in the rows ", table,
                               " has")
                : absl::StrCat("fails if ", table, " has rows")));
      }
    }
    const bool alters_in_place = !change.dropped_columns.empty() ||
                                 !change.altered_columns.empty() || change.primary_key_changed;
    if (alters_in_place || NeedsRebuild(change)) touched.insert(change.from.name);
  }
  for (const sql::TableDef& table : diff.dropped_tables) touched.insert(table.name);
  for (const ViewDef* view : ViewsOver(touched)) {
    std::vector<std::string> tables;
    for (const std::string& name : view->depends_on) {
      if (touched.count(name) != 0) tables.push_back(Q(name));
    }
    if (tables.empty()) continue;  // reached through another view
    plan_.warnings.push_back(absl::StrCat("view ", Q(view->name), " reads ",
                                          absl::StrJoin(tables, ", "), ", which this revision ",
                                          ViewsNote()));
  }
}

sql::ColumnDef Planner::Normalized(sql::ColumnDef column, const sql::TableDef& table) {
  const std::vector<std::string> key = table.PrimaryKeyColumns();
  if (std::find(key.begin(), key.end(), column.name) != key.end()) column.nullable = false;
  return column;
}

// The primary-key constraint's name as the live database has it.
std::string Planner::PrimaryKeyName(const sql::TableDef& table) const {
  auto it = live_.primary_key_names.find(table.name);
  // PostgreSQL names it <table>_pkey unless told otherwise; duo's DDL does too.
  return it != live_.primary_key_names.end() ? it->second : absl::StrCat(table.name, "_pkey");
}

Step& Planner::NewStep(std::string description) {
  plan_.steps.push_back(Step{std::move(description)});
  return plan_.steps.back();
}

absl::Status Planner::CreateTable(const sql::TableDef& table) {
  DUO_ASSIGN_OR_RETURN(std::vector<std::string> statements,
                       dialect::CreateTableStatements(dialect_, table));
  Step& step = NewStep(absl::StrCat("create table ", Q(table.name)));
  step.up = std::move(statements);
  step.down = {dialect::DropTableStatement(dialect_, table)};
  step.destructive_down = absl::StrCat("drop table ", Q(table.name));
  return absl::OkStatus();
}

absl::Status Planner::DropTable(const sql::TableDef& table) {
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
std::string Planner::CannotRestoreNote(const sql::TableDef& table,
                                       const sql::ColumnDef& column) const {
  if (Normalized(column, table).nullable || !column.server_default.empty() ||
      column.autoincrement) {
    return "";
  }
  if (ZeroFillsAddedNotNullColumns()) {
    return absl::StrCat("-- fills ", Q(column.name),
                        " with its type's zero value ('', 0) in the rows ", Q(table.name),
                        " has: it is NOT NULL with no default and nothing to fill it "
                        "from\n");
  }
  return absl::StrCat("-- fails if ", Q(table.name), " has rows: ", Q(column.name),
                      " is NOT NULL with no default and nothing to fill it from\n");
}

std::string Planner::AlterTable(const sql::TableDef& table) const {
  return absl::StrCat("ALTER TABLE ", Q(table.name), " ");
}

absl::StatusOr<std::string> Planner::AddConstraintSql(const sql::TableDef& table,
                                                      absl::string_view name,
                                                      absl::string_view definition) const {
  return absl::StrCat(AlterTable(table), "ADD ",
                      name.empty() ? "" : absl::StrCat("CONSTRAINT ", Q(name), " "), definition);
}

std::string Planner::DropConstraintSql(const sql::TableDef& table, Constraint /*kind*/,
                                       absl::string_view name) const {
  return absl::StrCat(AlterTable(table), "DROP CONSTRAINT ", Q(name));
}

std::string Planner::DropIndexSql(const sql::TableDef& /*table*/, absl::string_view name) const {
  return absl::StrCat("DROP INDEX ", Q(name));
}

absl::Status Planner::DropConstraints(const TableChange& change) {
  // Constraints and indexes are named on the table as it is now.
  const sql::TableDef& table = change.from;
  for (const sql::ForeignKeyDef& fk : change.dropped_foreign_keys) {
    Step& step = NewStep(
        absl::StrCat("drop foreign key ", Q(ForeignKeyName(table, fk)), " on ", Q(table.name)));
    step.up = {DropConstraintSql(table, Constraint::kForeignKey, ForeignKeyName(table, fk))};
    DUO_ASSIGN_OR_RETURN(std::string add,
                         AddConstraintSql(table, ForeignKeyName(table, fk), ForeignKeySql(fk)));
    step.down = {add};
  }
  for (const sql::CheckDef& check : change.dropped_checks) {
    Step& step = NewStep(absl::StrCat("drop check ", Q(check.name), " on ", Q(table.name)));
    step.up = {DropConstraintSql(table, Constraint::kCheck, check.name)};
    DUO_ASSIGN_OR_RETURN(std::string condition, dialect::InlineExpr(dialect_, check.condition));
    DUO_ASSIGN_OR_RETURN(
        std::string add,
        AddConstraintSql(table, check.name, absl::StrCat("CHECK (", condition, ")")));
    step.down = {add};
  }
  for (const sql::UniqueDef& unique : change.dropped_uniques) {
    const std::string name = UniqueName(table, unique);
    Step& step = NewStep(absl::StrCat("drop unique ", Q(name), " on ", Q(table.name)));
    step.up = {DropConstraintSql(table, Constraint::kUnique, name)};
    DUO_ASSIGN_OR_RETURN(
        std::string add,
        AddConstraintSql(table, name, absl::StrCat("UNIQUE (", ColumnList(unique.columns), ")")));
    step.down = {add};
  }
  for (const sql::IndexDef& index : change.dropped_indexes) {
    Step& step = NewStep(absl::StrCat("drop index ", Q(index.name), " on ", Q(table.name)));
    step.up = {DropIndexSql(table, index.name)};
    DUO_ASSIGN_OR_RETURN(std::string create, dialect::CreateIndexStatement(dialect_, table, index));
    step.down = {create};
  }
  if (change.primary_key_changed && !change.from.PrimaryKeyColumns().empty()) {
    // Named as the database has it: someone else's name ("book_tags_pk"),
    // or the old table's after a rename, is not <table>_pkey.
    const std::string name = PrimaryKeyName(table);
    Step& step = NewStep(absl::StrCat("drop primary key of ", Q(table.name)));
    step.up = {DropConstraintSql(table, Constraint::kPrimaryKey, name)};
    DUO_ASSIGN_OR_RETURN(
        std::string add,
        AddConstraintSql(
            table, name,
            absl::StrCat("PRIMARY KEY (", ColumnList(change.from.PrimaryKeyColumns()), ")")));
    step.down = {add};
  }
  return absl::OkStatus();
}

absl::Status Planner::AddConstraints(const TableChange& change) {
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
    step.down = {DropConstraintSql(table, Constraint::kPrimaryKey, name)};
  }
  for (const sql::UniqueDef& unique : change.added_uniques) {
    const std::string name = UniqueName(table, unique);
    Step& step = NewStep(absl::StrCat("add unique ", Q(name), " on ", Q(table.name)));
    DUO_ASSIGN_OR_RETURN(
        std::string add,
        AddConstraintSql(table, name, absl::StrCat("UNIQUE (", ColumnList(unique.columns), ")")));
    step.up = {add};
    step.down = {DropConstraintSql(table, Constraint::kUnique, name)};
  }
  for (const sql::CheckDef& check : change.added_checks) {
    Step& step = NewStep(absl::StrCat("add check ", Q(check.name), " on ", Q(table.name)));
    DUO_ASSIGN_OR_RETURN(std::string condition, dialect::InlineExpr(dialect_, check.condition));
    DUO_ASSIGN_OR_RETURN(
        std::string add,
        AddConstraintSql(table, check.name, absl::StrCat("CHECK (", condition, ")")));
    step.up = {add};
    step.down = {DropConstraintSql(table, Constraint::kCheck, check.name)};
  }
  for (const sql::IndexDef& index : change.added_indexes) {
    Step& step = NewStep(absl::StrCat("add index ", Q(index.name), " on ", Q(table.name)));
    DUO_ASSIGN_OR_RETURN(std::string create, dialect::CreateIndexStatement(dialect_, table, index));
    step.up = {create};
    step.down = {DropIndexSql(table, index.name)};
  }
  for (const sql::ForeignKeyDef& fk : change.added_foreign_keys) {
    const std::string name = ForeignKeyName(table, fk);
    Step& step = NewStep(absl::StrCat("add foreign key ", Q(name), " on ", Q(table.name)));
    DUO_ASSIGN_OR_RETURN(std::string add, AddConstraintSql(table, name, ForeignKeySql(fk)));
    step.up = {add};
    step.down = {DropConstraintSql(table, Constraint::kForeignKey, name)};
  }
  return absl::OkStatus();
}

// In-place column changes: renames, adds, drops, alterations.
absl::Status Planner::AlterColumns(const TableChange& change) {
  const sql::TableDef& to = change.to;
  if (!change.renamed_from.empty()) {
    Step& step = NewStep(absl::StrCat("rename table ", Q(change.renamed_from), " to ", Q(to.name)));
    step.up = {absl::StrCat("ALTER TABLE ", Q(change.renamed_from), " RENAME TO ", Q(to.name))};
    step.down = {absl::StrCat("ALTER TABLE ", Q(to.name), " RENAME TO ", Q(change.renamed_from))};
  }
  for (const auto& [old_name, new_name] : change.renamed_columns) {
    Step& step =
        NewStep(absl::StrCat("rename column ", Qualified(to.name, old_name), " to ", Q(new_name)));
    step.up = {absl::StrCat(AlterTable(to), "RENAME COLUMN ", Q(old_name), " TO ", Q(new_name))};
    step.down = {absl::StrCat(AlterTable(to), "RENAME COLUMN ", Q(new_name), " TO ", Q(old_name))};
  }
  for (const sql::ColumnDef& column : change.dropped_columns) {
    Step& step = NewStep(absl::StrCat("drop column ", Qualified(to.name, column.name)));
    step.up = {absl::StrCat(AlterTable(to), "DROP COLUMN ", Q(column.name))};
    DUO_ASSIGN_OR_RETURN(std::string definition,
                         dialect::ColumnDefinition(dialect_, change.from, column));
    step.down = {absl::StrCat(CannotRestoreNote(change.from, column), AlterTable(to), "ADD COLUMN ",
                              definition)};
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

absl::Status Planner::AlterColumn(const sql::TableDef& table, const ColumnChange& altered) {
  const std::string prefix =
      absl::StrCat(AlterTable(table), "ALTER COLUMN ", Q(altered.to.name), " ");
  const std::string column = Qualified(table.name, altered.to.name);
  if (altered.type) {
    Step& step = NewStep(absl::StrCat("alter column ", column, " type"));
    DUO_ASSIGN_OR_RETURN(step.up, AlterColumnType(table, altered.to.name, altered.to.type));
    DUO_ASSIGN_OR_RETURN(step.down, AlterColumnType(table, altered.to.name, altered.from.type));
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
    DUO_ASSIGN_OR_RETURN(step.up,
                         AlterColumnIdentity(table, altered.to.name, altered.to.autoincrement));
    DUO_ASSIGN_OR_RETURN(step.down,
                         AlterColumnIdentity(table, altered.to.name, !altered.to.autoincrement));
  }
  return absl::OkStatus();
}

}  // namespace duo::migrate_internal
