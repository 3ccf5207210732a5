// A stand-in for the MySQL dialect of the compiler, until duo/dialect/mysql
// exists (issue 23: the dialects move into per-database packages first).
//
// The driver must name a dialect (Connection::dialect()), and this one is
// what it names unless MysqlOptions::dialect gives another. It renders `?`
// placeholders, MySQL's type names, REGEXP and LIMIT/OFFSET, and refuses
// DISTINCT ON; everything else is the compiler's standard SQL, including
// identifiers in double quotes, which MySQL reads as identifiers only with
// sql_mode ANSI_QUOTES. It is not meant for statements compiled from the
// IR: the driver's tests run SQL written for MySQL.

#ifndef DUO_ENGINE_MYSQL_INTERIM_DIALECT_H_
#define DUO_ENGINE_MYSQL_INTERIM_DIALECT_H_

#include "duo/dialect/compiler.h"

namespace duo::engine::mysql_internal {

// The process-wide stand-in; its name() is "mysql".
const dialect::Dialect& InterimMysqlDialect();

}  // namespace duo::engine::mysql_internal

#endif  // DUO_ENGINE_MYSQL_INTERIM_DIALECT_H_
