// The PostgreSQL dialect of the compiler: $n placeholders, native ILIKE and
// regular expressions (~, ~*), DISTINCT ON, and row locking.

#ifndef DUO_DIALECT_POSTGRES_DIALECT_H_
#define DUO_DIALECT_POSTGRES_DIALECT_H_

#include "duo/dialect/compiler.h"

namespace duo::dialect {

// The process-wide PostgreSQL dialect.
const Dialect& PostgresDialect();

}  // namespace duo::dialect

#endif  // DUO_DIALECT_POSTGRES_DIALECT_H_
