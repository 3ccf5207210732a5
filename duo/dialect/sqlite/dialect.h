// The SQLite dialect of the compiler.
//
// SQL for SQLite 3.39 or newer (RETURNING, UPDATE ... FROM, RIGHT and FULL
// JOIN, NULLS FIRST/LAST, aggregate FILTER). It assumes a connection set up
// the way DuoORM's SQLite driver sets it up:
//   * PRAGMA case_sensitive_like = ON, so that LIKE is case-sensitive as on
//     PostgreSQL; ILIKE is rendered as lower(x) LIKE lower(pattern);
//   * a regexp() function (RE2 syntax) behind the REGEXP operator;
//   * timestamps stored as UTC text with six fractional digits, the form
//     SQLite's date functions print (2026-11-25 02:30:00.123000), which
//     CurrentTimestamp() produces too; comparisons of timestamp columns
//     normalize other writers' forms first (WriteComparedTimestamp).
// DISTINCT ON and row locking (FOR UPDATE / FOR SHARE) do not exist in
// SQLite: compiling them fails with Unimplemented.

#ifndef DUO_DIALECT_SQLITE_DIALECT_H_
#define DUO_DIALECT_SQLITE_DIALECT_H_

#include "duo/dialect/compiler.h"

namespace duo::dialect {

// The process-wide SQLite dialect.
const Dialect& SqliteDialect();

}  // namespace duo::dialect

#endif  // DUO_DIALECT_SQLITE_DIALECT_H_
