// SQLite's introspection: sqlite_schema, pragma table_xinfo / index_list /
// index_xinfo / foreign_key_list, and each table's CREATE statement for
// constraint names and checks (what the pragmas do not say).

#ifndef MIGRATE_SQLITE_INTROSPECT_H_
#define MIGRATE_SQLITE_INTROSPECT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/session/database.h"
#include "duo/sql/types.h"
#include "migrate/types.h"

namespace duo::migrate {

// The schema of `session`'s SQLite database (IntrospectOptions::schema is
// ignored: a database file is one schema).
absl::StatusOr<LiveSchema> IntrospectSqlite(Session& session, const IntrospectOptions& options);

// The SqlType a column's declared type names: duo's own spellings (see the
// SQLite dialect) and the usual synonyms, any case; anything else is
// SqlType::Custom with the declared text.
sql::SqlType ParseSqliteType(absl::string_view spelling);

}  // namespace duo::migrate

#endif  // MIGRATE_SQLITE_INTROSPECT_H_
