#include "migrate/mysql/planner.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/ddl.h"
#include "migrate/internal/planner.h"

namespace duo::migrate {
namespace {

using migrate_internal::IsWidening;

class MysqlPlanner final : public migrate_internal::Planner {
 public:
  using Planner::Planner;

 private:
  // MySQL names a key's kind in the statement that drops it, and keeps a
  // unique constraint as a UNIQUE index. Dropping a foreign key leaves the
  // index InnoDB made for it, which goes in the same statement.
  std::string DropConstraintSql(const sql::TableDef& table, Constraint kind,
                                absl::string_view name) const override {
    const std::string alter = absl::StrCat("ALTER TABLE ", Q(table.name), " ");
    switch (kind) {
      case Constraint::kPrimaryKey:
        return alter + "DROP PRIMARY KEY";
      case Constraint::kUnique:
        return absl::StrCat(alter, "DROP INDEX ", Q(name));
      case Constraint::kForeignKey: {
        std::string sql = absl::StrCat(alter, "DROP FOREIGN KEY ", Q(name));
        auto index = live().foreign_key_indexes.find({table.name, std::string(name)});
        if (index != live().foreign_key_indexes.end()) {
          absl::StrAppend(&sql, ", DROP INDEX ", Q(index->second));
        }
        return sql;
      }
      case Constraint::kCheck:
        return absl::StrCat(alter, "DROP CONSTRAINT ", Q(name));
    }
    return "";
  }

  // Index names are per table.
  std::string DropIndexSql(const sql::TableDef& table, absl::string_view name) const override {
    return absl::StrCat("DROP INDEX ", Q(name), " ON ", Q(table.name));
  }

  // MODIFY COLUMN restates the whole column (type, NULL, default,
  // AUTO_INCREMENT): one statement each way, whatever changed. A type
  // change converts the rows as the server's strict mode does, failing on
  // a value that does not fit.
  absl::Status AlterColumn(const sql::TableDef& table, const ColumnChange& altered) override {
    const std::string column = Qualified(table.name, altered.to.name);
    Step& step = NewStep(absl::StrCat("alter column ", column));
    DUO_ASSIGN_OR_RETURN(std::string to, dialect::ColumnDefinition(dialect(), table, altered.to));
    DUO_ASSIGN_OR_RETURN(std::string from,
                         dialect::ColumnDefinition(dialect(), table, altered.from));
    const std::string modify = absl::StrCat("ALTER TABLE ", Q(table.name), " MODIFY COLUMN ");
    step.up = {modify + to};
    step.down = {modify + from};
    std::vector<std::string> lost_up, lost_down;
    if (altered.type) {
      if (!IsWidening(altered.from.type, altered.to.type)) {
        lost_up.push_back(absl::StrCat("change type of ", column, " from ",
                                       dialect().TypeName(altered.from.type), " to ",
                                       dialect().TypeName(altered.to.type)));
      }
      if (!IsWidening(altered.to.type, altered.from.type)) {
        lost_down.push_back(absl::StrCat("change type of ", column, " back to ",
                                         dialect().TypeName(altered.from.type)));
      }
    }
    if (altered.nullable) {
      (altered.to.nullable ? lost_down : lost_up)
          .push_back(absl::StrCat("set NOT NULL on ", column, " (fails if rows hold NULL)"));
    }
    step.destructive_up = absl::StrJoin(lost_up, "; ");
    step.destructive_down = absl::StrJoin(lost_down, "; ");
    return absl::OkStatus();
  }

  bool ZeroFillsAddedNotNullColumns() const override { return true; }

  std::string ViewsNote() const override {
    return "alters or drops: MySQL does not check the views over a table it changes, and a view "
           "reading a column or table that is gone fails when queried; recreate the view in this "
           "revision by hand";
  }
};

}  // namespace

absl::StatusOr<Plan> PlanMysql(const dialect::Dialect& dialect, const SchemaDiff& diff,
                               const LiveSchema& live) {
  return MysqlPlanner(dialect, live).Run(diff);
}

}  // namespace duo::migrate
