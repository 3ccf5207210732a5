// The MySQL and MariaDB dialect of the compiler: `backtick` identifiers, ?
// placeholders, CONCAT() for ||, REGEXP with the case rule in the pattern,
// ON DUPLICATE KEY UPDATE upserts, RETURNING after INSERT and DELETE
// (MariaDB 10.5 and later), row locking with LOCK IN SHARE MODE, and index
// hints (USE INDEX, FORCE INDEX) and optimizer hints (/*+ ... */) scoped to
// "mysql" or "mariadb".
//
// Text is compared as the server's utf8mb4_bin collation compares it (code
// point by code point, case and accents significant), as on SQLite and
// PostgreSQL: tables are created with it (Dialect::TableOptions), and LIKE
// and REGEXP state their case rule themselves, so that a column or a
// connection with a case-insensitive collation does not change the answer.
// ILIKE's meaning is LOWER() on both sides, which maps every Unicode
// letter, not only ASCII.
//
// The SQL is the server's default sql_mode's: backslashes escape in string
// literals (LIKE's ESCAPE '\\'), which the driver's sql_mode keeps. It holds
// no double-quoted identifier and no ||, so it reads the same with or
// without ANSI_QUOTES and PIPES_AS_CONCAT.

#ifndef DUO_DIALECT_MYSQL_DIALECT_H_
#define DUO_DIALECT_MYSQL_DIALECT_H_

#include "duo/dialect/compiler.h"

namespace duo::dialect {

// The process-wide MySQL/MariaDB dialect; its name() is "mysql", and it
// emits hints scoped to "mysql" and to "mariadb".
const Dialect& MysqlDialect();

// The length a text column that takes part in a key (primary key, unique
// constraint, index, foreign key) is declared with, VARCHAR(255): InnoDB
// cannot index a TEXT column whole, and 255 utf8mb4 characters (1,020
// bytes) leave room for three such columns in one key (3,072 bytes).
inline constexpr int kMysqlKeyedTextLength = 255;

}  // namespace duo::dialect

#endif  // DUO_DIALECT_MYSQL_DIALECT_H_
