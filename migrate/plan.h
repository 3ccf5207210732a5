// Turns a SchemaDiff into SQL for one dialect: each change as a step with
// its up statements, the statements that undo it, and whether either
// direction destroys data (Step and Plan: types.h).
//
// How is the database's own (MigrateImpl::PlanMigration, impl.h), on a
// planner they share (migrate/internal/planner.h). PostgreSQL alters tables
// in place. SQLite's ALTER TABLE cannot change a column or a constraint, so
// a table with such changes is rebuilt the way SQLite documents it: create
// the new table under a temporary name, copy the rows, drop the old table,
// rename the new one, recreate its indexes and triggers. The plan then asks
// the runner to turn foreign keys off around the revision and to run
// `PRAGMA foreign_key_check` before commit, because dropping a parent table
// with foreign keys on would fire its ON DELETE actions on the children.

#ifndef MIGRATE_PLAN_H_
#define MIGRATE_PLAN_H_

#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "migrate/diff.h"
#include "migrate/types.h"

namespace duo::migrate {

// `live` supplies what the diff does not carry: SQLite triggers and views
// to recreate around a rebuild, PostgreSQL primary-key constraint names.
// FailedPrecondition when this program links no MigrateImpl for `dialect`.
absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                   const LiveSchema& live);

}  // namespace duo::migrate

#endif  // MIGRATE_PLAN_H_
