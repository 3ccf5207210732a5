// The SQL functions DuoORM's SQLite dialect relies on, registered on every
// connection the driver opens.
//
//   regexp(pattern, text)  behind `text REGEXP pattern`, with RE2 syntax (the
//                          dialect renders case-insensitive matches as a
//                          "(?i)" prefix). An invalid pattern is an SQL error
//                          naming the pattern.
//   duo_lower(text), duo_upper(text)
//                          Unicode-aware case mapping, which SQLite's
//                          lower() and upper() (ASCII only) lack: the
//                          dialect compiles the IR's lower/upper and ILIKE
//                          (duo_lower(x) LIKE duo_lower(p)) to these, so
//                          that 'CHLOÉ' matches 'chloé' as on PostgreSQL.
//                          The built-ins keep their meaning: an index or
//                          CHECK on lower(x) means the same to every client
//                          of the file. Mapping is per code point (no 'ß' ->
//                          'SS'); bytes that are not UTF-8 pass through.

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
