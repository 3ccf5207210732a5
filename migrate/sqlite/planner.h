// SQLite's plans: tables altered in place where ALTER TABLE can, rebuilt
// where it cannot (see migrate/plan.h).

#ifndef MIGRATE_SQLITE_PLANNER_H_
#define MIGRATE_SQLITE_PLANNER_H_

#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "migrate/diff.h"
#include "migrate/types.h"

namespace duo::migrate {

absl::StatusOr<Plan> PlanSqlite(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                const LiveSchema& live);

}  // namespace duo::migrate

#endif  // MIGRATE_SQLITE_PLANNER_H_
