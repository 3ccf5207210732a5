// The SQL functions DuoORM's SQLite dialect relies on, registered on every
// connection the driver opens.
//
//   regexp(pattern, text)  behind `text REGEXP pattern`, with RE2 syntax (the
//                          dialect renders case-insensitive matches as a
//                          "(?i)" prefix). An invalid pattern is an SQL error
//                          naming the pattern.
//   lower(text), upper(text)
//                          replace SQLite's ASCII-only built-ins with
//                          Unicode-aware case mapping, so that the dialect's
//                          ILIKE, lower(x) LIKE lower(p), matches 'CHLOÉ'
//                          with 'chloé' as PostgreSQL does. Mapping is per
//                          code point (no 'ß' -> 'SS'); bytes that are not
//                          UTF-8 pass through unchanged.

#ifndef DUO_ENGINE_SQLITE_FUNCTIONS_H_
#define DUO_ENGINE_SQLITE_FUNCTIONS_H_

#include "sqlite3.h"

namespace duo::engine::sqlite_internal {

// Registers the functions on `db`; an SQLite result code.
int RegisterFunctions(sqlite3* db);

// Whether lower() and upper() map beyond ASCII: false when the C library
// lacks the C.UTF-8 locale, where they fall back to ASCII.
bool HasUnicodeCaseMapping();

}  // namespace duo::engine::sqlite_internal

#endif  // DUO_ENGINE_SQLITE_FUNCTIONS_H_
