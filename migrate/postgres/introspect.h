// PostgreSQL's introspection, from pg_catalog.

#ifndef MIGRATE_POSTGRES_INTROSPECT_H_
#define MIGRATE_POSTGRES_INTROSPECT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/session/database.h"
#include "duo/sql/types.h"
#include "migrate/types.h"

namespace duo::migrate {

// The tables, constraints, indexes, views and enum types of one schema
// (IntrospectOptions::schema; empty: current_schema()).
absl::StatusOr<LiveSchema> IntrospectPostgres(Session& session, const IntrospectOptions& options);

// The SqlType a column's type names as introspection spells it: built-in
// types as format_type() prints them ("character varying(20)",
// "integer[]"); any other type (an enum, a domain, an extension's citext)
// comes back as SqlType::Custom, schema-qualified ("public.mood") whatever
// the search_path: types are compared by identity, not by how one session
// would print them.
sql::SqlType ParsePostgresType(absl::string_view spelling);

}  // namespace duo::migrate

#endif  // MIGRATE_POSTGRES_INTROSPECT_H_
