// Turns a SchemaDiff into SQL for one dialect: each change as a step with
// its up statements, the statements that undo it, and whether either
// direction destroys data.
//
// PostgreSQL alters tables in place. SQLite's ALTER TABLE cannot change a
// column or a constraint, so a table with such changes is rebuilt the way
// SQLite documents it: create the new table under a temporary name, copy
// the rows, drop the old table, rename the new one, recreate its indexes
// and triggers. The plan then asks the runner to turn foreign keys off
// around the revision and to run `PRAGMA foreign_key_check` before commit,
// because dropping a parent table with foreign keys on would fire its
// ON DELETE actions on the children.

#ifndef MIGRATE_PLAN_H_
#define MIGRATE_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "migrate/diff.h"
#include "migrate/introspect.h"

namespace duo::migrate {

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

// `live` supplies what the diff does not carry: SQLite triggers and views
// to recreate around a rebuild, PostgreSQL primary-key constraint names.
absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                   const LiveSchema& live);

// SQLite statements that fail, with "CHECK constraint failed: <message>",
// when `count_sql` (a SELECT of one integer) yields anything but 0. SQLite
// has no statement that raises an error on a condition outside a trigger;
// these insert the count into a temporary table whose CHECK demands 0. A
// client running a script stops at the failure (with -bail), before COMMIT.
std::vector<std::string> SqliteFailUnlessZero(absl::string_view message,
                                              absl::string_view count_sql);

}  // namespace duo::migrate

#endif  // MIGRATE_PLAN_H_
