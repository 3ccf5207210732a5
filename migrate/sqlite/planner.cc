#include "migrate/sqlite/planner.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"
#include "migrate/internal/planner.h"
#include "migrate/sqlite/fail_unless_zero.h"

namespace duo::migrate {
namespace {

using migrate_internal::ColumnList;
using migrate_internal::IsIntegerKind;
using migrate_internal::IsRealKind;
using migrate_internal::IsWidening;
using migrate_internal::Q;
using migrate_internal::Qualified;

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

// Plans for SQLite, whose ALTER TABLE cannot change a column or a
// constraint: a table with such changes is rebuilt (see plan.h).
class SqlitePlanner final : public migrate_internal::Planner {
 public:
  using Planner::Planner;

 private:
  // SQLite alters in place only renames, plain nullable columns added
  // without a default, and indexes.
  bool NeedsRebuild(const TableChange& change) const override {
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

  // SQLite's documented procedure for the changes ALTER TABLE cannot make.
  absl::StatusOr<std::vector<std::string>> RebuildStatements(
      const sql::TableDef& from, const sql::TableDef& to,
      const std::vector<std::pair<std::string, std::string>>& renamed_columns) {
    const std::string scratch = absl::StrCat("_duo_new_", to.name);
    DUO_ASSIGN_OR_RETURN(std::vector<std::string> create,
                         dialect::CreateTableStatements(dialect(), to));
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
                            dialect().TypeName(to.FindColumn(targets[i])->type),
                            " (converting them failed)"),
               absl::StrCat("SELECT count(*) FROM ", Q(scratch), " WHERE ", condition))) {
        statements.push_back(std::move(statement));
      }
    }
    statements.push_back(absl::StrCat("DROP TABLE ", Q(from.name)));
    statements.push_back(absl::StrCat("ALTER TABLE ", Q(scratch), " RENAME TO ", Q(to.name)));
    statements.insert(statements.end(), create.begin() + 1, create.end());  // indexes
    for (const TriggerDef& trigger : live().triggers) {
      if (trigger.table == from.name) statements.push_back(trigger.sql);
    }
    return statements;
  }

  absl::Status Rebuild(const TableChange& change) override {
    plan().sqlite_foreign_keys_off = true;
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

  std::string ViewsNote() const override {
    return "rebuilds or drops: the view is dropped and created again around rebuilds (as "
           "stored, so it must still make sense after the change)";
  }
};

}  // namespace

absl::StatusOr<Plan> PlanSqlite(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                const LiveSchema& live) {
  return SqlitePlanner(dialect, live).Run(diff);
}

std::vector<std::string> SqliteFailUnlessZero(absl::string_view message,
                                              absl::string_view count_sql) {
  const std::string table = "temp.\"_duo_assert\"";
  return {absl::StrCat("CREATE TEMP TABLE \"_duo_assert\" (\"n\" INTEGER CONSTRAINT ", Q(message),
                       " CHECK (\"n\" = 0))"),
          absl::StrCat("INSERT INTO ", table, " (\"n\") ", count_sql),
          absl::StrCat("DROP TABLE ", table)};
}

}  // namespace duo::migrate
