// MySQL's and MariaDB's introspection, from information_schema.

#ifndef MIGRATE_MYSQL_INTROSPECT_H_
#define MIGRATE_MYSQL_INTROSPECT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/session/database.h"
#include "duo/sql/types.h"
#include "migrate/types.h"

namespace duo::migrate {

// The base tables of one database (IntrospectOptions::schema; empty:
// DATABASE()), with their columns, keys, indexes, foreign keys and CHECK
// constraints.
//
// What MySQL does not keep apart is read one way, the same on both sides
// of a diff: a unique constraint and a unique index are one thing (a
// UNIQUE key, read as a sql::UniqueDef); the index InnoDB makes by itself
// for a foreign key that no index covers is not reported (it is recorded
// in LiveSchema::foreign_key_indexes, so that a plan drops it with its
// foreign key); MariaDB's JSON is LONGTEXT with a column-level
// json_valid() CHECK, read back as JSON (the CHECK is not reported).
absl::StatusOr<LiveSchema> IntrospectMysql(Session& session, const IntrospectOptions& options);

// The SqlType of an information_schema COLUMN_TYPE, spelled the way the
// mysql dialect's DDL declares it reads back: tinyint(1) as BOOLEAN,
// int(11) as INT (display widths are not types), longtext as TEXT,
// datetime(6) as TIMESTAMP, char(32) as UUID, enum('a','b') as an ENUM with
// those labels; any other type (unsigned integers, TEXT, ...) as
// SqlType::Custom with the server's spelling.
sql::SqlType ParseMysqlType(absl::string_view column_type);

}  // namespace duo::migrate

#endif  // MIGRATE_MYSQL_INTROSPECT_H_
