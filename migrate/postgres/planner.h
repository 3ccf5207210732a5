// PostgreSQL's plans: everything altered in place, column types converted
// with USING, enum types created and extended (see migrate/plan.h).

#ifndef MIGRATE_POSTGRES_PLANNER_H_
#define MIGRATE_POSTGRES_PLANNER_H_

#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "migrate/diff.h"
#include "migrate/types.h"

namespace duo::migrate {

absl::StatusOr<Plan> PlanPostgres(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                  const LiveSchema& live);

}  // namespace duo::migrate

#endif  // MIGRATE_POSTGRES_PLANNER_H_
