#include "migrate/introspect.h"

#include "duo/base/status_macros.h"
#include "migrate/impl.h"

namespace duo::migrate {

absl::StatusOr<LiveSchema> Introspect(Session& session, const IntrospectOptions& options) {
  DUO_ASSIGN_OR_RETURN(const MigrateImpl* impl, ImplFor(session.dialect()));
  return impl->Introspect(session, options);
}

}  // namespace duo::migrate
