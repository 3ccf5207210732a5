// The SQLite driver: Connection and Cursor over the SQLite C API.
//
// OpenSqlite() opens one connection set up the way DuoORM's SQLite dialect
// expects (see duo/dialect/sqlite/dialect.h):
//
//   * PRAGMA foreign_keys = ON, so that REFERENCES is enforced;
//   * PRAGMA case_sensitive_like = ON, so that LIKE is case-sensitive as on
//     PostgreSQL;
//   * lower() and upper() that map Unicode case, so that the dialect's
//     ILIKE (lower(x) LIKE lower(p)) matches 'CHLOÉ' with 'chloé';
//   * regexp() with RE2 syntax behind the REGEXP operator;
//   * write-ahead logging for file databases, so that readers and one writer
//     do not block each other, and a busy timeout, so that a writer waits
//     for another connection's write transaction instead of failing at once.
//
//   absl::StatusOr<std::unique_ptr<duo::engine::Connection>> connection =
//       duo::engine::OpenSqlite({.filename = "/var/lib/shop/shop.db"});
//
// Values are stored as the type mapping in duo/engine/connection.h says:
// absl::Time as TEXT "2026-11-25 02:30:00.123456" (UTC, microseconds: the
// form SQLite's date functions print; every earlier or other writer's form
// is read too, see duo/sql/time_text.h),
// absl::CivilDay as "2026-11-25", sql::Decimal as its exact digits, arrays as
// JSON array text. Because such TEXT sorts and compares like the value it
// holds, WHERE and ORDER BY work on it directly. Only years 0000 to 9999 are
// stored (longer years would break that ordering); others are an error.
//
// Getters are strict: they read the storage class SQLite reports for the
// value (INTEGER, REAL, TEXT, BLOB, NULL) and never convert between them
// silently; GetInt on a REAL or TEXT is an error naming the column. Keep in
// mind that SQLite's column affinity converts stored values: a NUMERIC
// (or BOOLEAN, DECIMAL, JSON, ...) column turns the TEXT "12.50" into the
// REAL 12.5, which loses digits beyond the 15th. Declare exact decimals'
// columns TEXT (or with no type) to keep every digit. GetDecimal reads a REAL
// only when its shortest form has at most 15 significant digits (the one
// decimal of that length SQLite turns into it); any other REAL is an error
// naming the column, never a nearby number.
//
// Errors are duo::DatabaseError statuses (duo/engine/error.h) carrying the
// SQLite extended result code.
//
// Thread safety: a connection, and the cursors it returns, must be used by
// one thread at a time (the pool hands each connection to one user); the
// connection may move between threads between uses. Any number of
// connections may use the same database file from any threads.

#ifndef DUO_ENGINE_SQLITE_DRIVER_H_
#define DUO_ENGINE_SQLITE_DRIVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/engine/connection.h"

namespace duo::engine {

struct SqliteOptions {
  // A path, ":memory:" (a private in-memory database), or a "file:" URI
  // such as "file:/shared?vfs=memdb" (an in-memory database the process's
  // connections share).
  std::string filename;
  // Opens the database read-only: statements that write fail, and a missing
  // file is an error rather than created.
  bool read_only = false;
  // How long a statement waits for another connection's lock before failing
  // with ErrorKind::kTimeout.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Prepared statements kept per connection, by SQL text, least recently
  // used dropped first; 0 prepares every statement afresh.
  size_t statement_cache_size = 128;
};

// Opens a connection. Fails with ErrorKind::kConnectionLost (Unavailable)
// when the database cannot be opened or is not an SQLite database, and with
// kProgramming (InvalidArgument) for an empty filename, which SQLite would
// take to mean a private temporary database.
absl::StatusOr<std::unique_ptr<Connection>> OpenSqlite(const SqliteOptions& options);

}  // namespace duo::engine

#endif  // DUO_ENGINE_SQLITE_DRIVER_H_
