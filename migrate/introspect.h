// Reads a live schema into the metadata structures models produce.
//
// Every table of one schema becomes a sql::TableDef: columns (type parsed
// back into a SqlType, nullability, default, identity/rowid keys), primary
// key, unique constraints, indexes (partial ones with their condition),
// foreign keys with their actions, check constraints. Expressions the
// database stores as text (defaults, checks, index conditions) come back as
// sql::Text holding the database's own spelling, so that DDL rendered from
// an introspected table recreates it as it was.
//
// How is the database's own (MigrateImpl::Introspect, impl.h): SQLite
// reads sqlite_schema, its pragmas and each table's CREATE statement
// (migrate/sqlite); PostgreSQL reads pg_catalog (migrate/postgres).

#ifndef MIGRATE_INTROSPECT_H_
#define MIGRATE_INTROSPECT_H_

#include "absl/status/statusor.h"
#include "duo/session/database.h"
#include "migrate/types.h"

namespace duo::migrate {

// The schema `session` sees, read by its database's MigrateImpl;
// FailedPrecondition when this program links none for its dialect.
absl::StatusOr<LiveSchema> Introspect(Session& session, const IntrospectOptions& options = {});

}  // namespace duo::migrate

#endif  // MIGRATE_INTROSPECT_H_
