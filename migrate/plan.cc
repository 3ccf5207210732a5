#include "migrate/plan.h"

#include "duo/base/status_macros.h"
#include "migrate/impl.h"

namespace duo::migrate {

absl::StatusOr<Plan> PlanMigration(const dialect::Dialect& dialect, const SchemaDiff& diff,
                                   const LiveSchema& live) {
  DUO_ASSIGN_OR_RETURN(const MigrateImpl* impl, ImplFor(dialect));
  return impl->PlanMigration(dialect, diff, live);
}

}  // namespace duo::migrate
