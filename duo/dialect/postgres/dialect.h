// The PostgreSQL dialect of the compiler: $n placeholders, native ILIKE and
// regular expressions (~, ~*), DISTINCT ON, and row locking.

#ifndef DUO_DIALECT_POSTGRES_DIALECT_H_
#define DUO_DIALECT_POSTGRES_DIALECT_H_

#include <cstddef>

#include "duo/dialect/compiler.h"

namespace duo::dialect {

// The process-wide PostgreSQL dialect.
const Dialect& PostgresDialect();

// The most bound values an IN list is written with inline, one placeholder
// each; a longer one is one array parameter, `x = ANY($1)` (`x <> ALL($1)`
// for NOT IN), typed from the values: bigint[], text[], double
// precision[], boolean[], timestamptz[], date[], numeric[].
inline constexpr size_t kPostgresMaxInlineInList = 1000;

}  // namespace duo::dialect

#endif  // DUO_DIALECT_POSTGRES_DIALECT_H_
