// MySQL's and MariaDB's plans: tables altered in place, a column changed
// whole with MODIFY COLUMN, keys dropped by their kind (DROP PRIMARY KEY,
// DROP INDEX, DROP FOREIGN KEY), indexes dropped ON their table (see
// migrate/plan.h).

#ifndef MIGRATE_MYSQL_PLANNER_H_
#define MIGRATE_MYSQL_PLANNER_H_

#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "migrate/diff.h"
#include "migrate/types.h"

namespace duo::migrate {

absl::StatusOr<Plan> PlanMysql(const dialect::Dialect& dialect, const SchemaDiff& diff,
                               const LiveSchema& live);

}  // namespace duo::migrate

#endif  // MIGRATE_MYSQL_PLANNER_H_
