// The MySQL and MariaDB driver: Connection and Cursor over MariaDB
// Connector/C (libmariadb), which speaks to MariaDB and to MySQL 5.7 and 8.
//
// OpenMysql() opens one connection and sets up its session:
//
//   * the character set (utf8mb4 unless told otherwise), the encoding of
//     every std::string DuoORM hands over or returns;
//   * time_zone +00:00, so that TIMESTAMP columns, which the server keeps
//     in UTC and converts to and from the session's zone, read and write the
//     same instants as DATETIME columns, which the driver reads and writes
//     as UTC. The rule: a DATETIME holds a UTC date and time; a TIMESTAMP an
//     instant; both read as the absl::Time they mean in UTC;
//   * sql_mode (MysqlOptions::sql_mode): strict by default, so that a value
//     a column cannot hold is an error instead of a truncated or zeroed
//     value, and no zero dates;
//   * the statement timeout, when one is given: max_statement_time on
//     MariaDB (any statement), max_execution_time on MySQL (SELECT only).
//
// It connects with CLIENT_FOUND_ROWS, so that rows_affected() of an UPDATE
// counts the rows it matched, as PostgreSQL and SQLite do, not only those it
// changed, and with multi-statements on, for ExecuteScript; LOAD DATA LOCAL
// is off, and so is the library's automatic reconnect (it would silently
// drop the session's transaction and settings).
//
//   absl::StatusOr<std::unique_ptr<duo::engine::Connection>> connection =
//       duo::engine::OpenMysql({.unix_socket = "/run/mysqld/mysqld.sock",
//                               .user = "shop", .database = "shop"});
//
// Statements are server-side prepared statements (the binary protocol),
// with every value bound, never spliced into the SQL. Each SQL text is
// prepared once per connection and kept (MysqlOptions::statement_cache_size),
// so that running it again costs one round trip. The server re-prepares a
// kept statement by itself after a schema change (ALTER TABLE, a table
// dropped and created anew), and the driver reads each execution's own
// result columns. Two cases need the driver:
//
//   * a kept statement the server no longer knows (1243, after
//     mysql_reset_connection) or could not re-prepare (1615) is prepared
//     again and run once more, which is safe because it never ran;
//   * when the number of result columns changed (SELECT * after ADD
//     COLUMN), Connector/C refuses the result (2057) after the server ran
//     the statement. A statement that only reads (its first word SELECT,
//     WITH, SHOW, DESCRIBE, EXPLAIN, VALUES or TABLE) is prepared again and
//     run once more; one that writes (INSERT ... RETURNING *) has written,
//     and is reported as ErrorKind::kOther saying so. Either way the next
//     call prepares it afresh.
//
// Mind the server's global limit on prepared statements
// (max_prepared_stmt_count, 16382 by default): a server with N connections
// of this driver holds up to N times the cache size; when the limit is
// reached, the driver closes its idle statements and tries once more.
//
// Parameters are bound by their sql::Value kind, typed (the server converts
// them to the column's type as it would a literal of that type):
//
//   kNull       NULL
//   kBool       TINYINT 0 or 1 (MySQL's BOOLEAN)
//   kInt        BIGINT
//   kDouble     DOUBLE; NaN and the infinities, which MySQL cannot store or
//               compute with, are a kDataError naming the parameter
//   kText       text in the connection's character set, which must be valid
//               UTF-8 (a kDataError naming the parameter otherwise: bind
//               bytes as sql::Blob)
//   kBlob       binary string
//   kTimestamp  DATETIME(6) in UTC, years 0 to 9999 (microseconds; a finer
//               part is truncated toward the past)
//   kDate       DATE, years 0 to 9999
//   kDecimal    DECIMAL, every digit (an unsigned 64-bit number above
//               INT64_MAX arrives this way and fits BIGINT UNSIGNED)
//   kJson       text (JSON columns are LONGTEXT on MariaDB)
//   kUuid       CHAR(32), the 32 hexadecimal digits SQLAlchemy's Uuid keeps
//               where there is no native type
//   kTimeOfDay  TIME(6)
//   kInterval   DATETIME(6): 1970-01-01 plus the interval (SQLAlchemy's
//               Interval where there is none)
//   kArray      refused: MySQL has no arrays
//
// Results are read in the binary protocol, typed, without text round trips
// (DECIMAL, which the protocol itself carries as digits, excepted). Getters
// are strict: each reads only the column types listed on it below and
// returns a kDataError (OutOfRange) naming the column for anything else,
// NULL included:
//
//   GetBool       the integer types and BIT, holding 0 or 1 (BOOLEAN is
//                 TINYINT(1))
//   GetInt        the integer types (an unsigned BIGINT above INT64_MAX is
//                 an error naming the column, never a wrapped number), YEAR,
//                 BIT up to 63 bits, DECIMAL without a fraction that fits
//   GetDouble     FLOAT, DOUBLE, DECIMAL, the integer types (as long as no
//                 digit is lost: |value| <= 2^53)
//   GetText       CHAR, VARCHAR, TEXT, ENUM, SET, JSON (non-binary strings)
//   GetBytes      BINARY, VARBINARY, BLOB, BIT, GEOMETRY (binary strings)
//   GetTimestamp  DATETIME and TIMESTAMP, as UTC; a zero date
//                 (0000-00-00) is an error naming the column
//   GetDate       DATE (not a zero date)
//   GetDecimal    DECIMAL (every digit), the integer types (all of BIGINT
//                 UNSIGNED)
//   GetArray      nothing: MySQL has no arrays
//   GetValue      any of them, as the closest sql::Value kind: the integer
//                 types as kInt (an unsigned BIGINT above INT64_MAX as
//                 kDecimal, as sql::Value holds such numbers), FLOAT and
//                 DOUBLE as kDouble, DECIMAL as kDecimal, DATETIME and
//                 TIMESTAMP as kTimestamp, DATE as kDate, TIME from 00:00:00
//                 to 24:00:00 as kTimeOfDay and other TIMEs (negative, or
//                 longer than a day) as kInterval, JSON (MySQL's type, or a
//                 MariaDB column the server describes as json) as kJson,
//                 other strings as kText or kBlob by their character set
//
// Errors are duo::DatabaseError statuses (duo/engine/error.h) carrying the
// server's SQLSTATE; the message ends with the server's error number, as
// "(MySQL error 1062)". The kinds:
//
//   1062 1586 1022 duplicate key                kUniqueViolation, with the
//                                               key's name as the constraint
//                                               (the duplicate value is left
//                                               out of the message)
//   1451 1452 1216 1217 foreign key             kForeignKeyViolation, with
//                                               the constraint's name
//   1048 column cannot be null, 1364 no default kNotNullViolation
//   4025 (MariaDB) 3819 (MySQL) CHECK           kCheckViolation, with its name
//   1213 deadlock                               kSerializationFailure: retry
//                                               the transaction, which the
//                                               server has rolled back
//   1205 lock wait timeout, 1969 (MariaDB       kTimeout (a lock wait timeout
//   max_statement_time), 3024 (MySQL            rolls back the statement,
//   max_execution_time), 1317 interrupted       not the transaction)
//   2006 2013 2055 and other client-side        kConnectionLost
//   connection errors, 1927 killed, 1053
//   shutdown
//   1040 1203 too many connections, 1153 2020   kResourceExhausted
//   packet too large, 1041 1037 1038 out of
//   memory, 1021 1114 disk or table full,
//   1461 too many prepared statements
//   values out of range, too long, of the       kDataError
//   wrong form, invalid strings; SQLSTATE 22
//   syntax, unknown names, access; SQLSTATE 42  kProgramming
//
// Interrupt() (a blocking call's deadline) asks the server, over a second
// connection opened for the purpose on a thread of its own, to KILL QUERY
// the running statement, which then fails with kTimeout; the connection is
// not trusted afterwards (Broken()), because the request may arrive after
// the statement ended. Sever() shuts the socket down, ending a blocked call.
//
// The async side (AsyncConnection) runs Connector/C's non-blocking API
// (mysql_stmt_prepare_start, mysql_stmt_execute_start, ..._cont) with the
// socket awaited on the connection's event loop (Connection::event_loop()),
// so one thread keeps statements in flight on many connections. A deadline
// kills the statement on the server (KILL QUERY, as Interrupt) and returns
// kTimeout; the connection stays usable unless the server answers neither
// the statement nor the kill within a second, when it is given up
// (Broken()). RunBatchAsync runs its statements one after another: MySQL's
// protocol has no pipelining.
//
// Values whose COM_STMT_EXECUTE packet would exceed the server's
// max_allowed_packet (read when connecting) are refused before they are
// sent, with kResourceExhausted: the server would answer 1153 and close the
// connection.
//
// InTransaction() reads the status the server sent with its last answer.
// An error carries none: after a deadlock, which ends the transaction on
// the server, it stays true until the next statement's answer.
//
// LooksAlive() notices, without a round trip, a server that closed an idle
// connection (KILL, wait_timeout, shutdown); Ping() makes the round trip.
//
// Thread safety: a connection, and the cursors it returns, must be used by
// one thread at a time (the pool hands each connection to one user); the
// connection may move between threads between uses. Interrupt() and Sever()
// may be called from any thread.

#ifndef DUO_ENGINE_MYSQL_DRIVER_H_
#define DUO_ENGINE_MYSQL_DRIVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/async/task.h"
#include "duo/dialect/compiler.h"
#include "duo/engine/connection.h"

namespace duo::engine {

// The strict sql_mode the driver sets by default: errors instead of silently
// adjusted values, in every table (not only transactional ones), no zero
// dates, division by zero an error. ANSI_QUOTES and PIPES_AS_CONCAT make
// raw SQL written the standard way (sql::Text, revision files) mean on this
// database what it means on SQLite and PostgreSQL: "name" an identifier,
// || concatenation (the dialect's own SQL uses `name` and CONCAT(), so it
// reads the same in any sql_mode). Valid on MariaDB and on MySQL 5.7 and 8.
inline constexpr char kMysqlStrictSqlMode[] =
    "STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION,ANSI_QUOTES,PIPES_AS_CONCAT";

struct MysqlOptions {
  // Where the server is: `unix_socket` when set, else `host` and `port`
  // over TCP (an empty host and no socket: "localhost", which Connector/C
  // reaches through its default socket). Port 0 is 3306.
  std::string host;
  int port = 0;
  std::string unix_socket;
  std::string user;
  std::string password;
  // The database (schema) to use; empty selects none.
  std::string database;
  // The connection's character set; results and parameters are text in it.
  // DuoORM's strings are UTF-8: keep utf8mb4 (MySQL's "utf8" is utf8mb3,
  // which cannot hold characters beyond the Basic Multilingual Plane).
  std::string charset = "utf8mb4";
  // The session's sql_mode; empty keeps the server's.
  std::string sql_mode = kMysqlStrictSqlMode;
  // Limits of Connector/C's own, each rounded up to whole seconds; zero
  // means none. `read_timeout` bounds every wait for the server's answer,
  // the longest statement included: prefer statement_timeout for that.
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration read_timeout = absl::ZeroDuration();
  absl::Duration write_timeout = absl::ZeroDuration();
  // The longest any one statement may run before the server stops it with
  // ErrorKind::kTimeout (DeadlineExceeded): MariaDB's max_statement_time
  // (microseconds), MySQL's max_execution_time (milliseconds, SELECT only).
  // Zero keeps the server's setting.
  absl::Duration statement_timeout = absl::ZeroDuration();
  // Prepared statements kept per connection, by SQL text, least recently
  // used closed first; 0 prepares every statement afresh.
  size_t statement_cache_size = 128;
  // The dialect Connection::dialect() reports; null: MySQL's
  // (duo/dialect/mysql). Must outlive the connection.
  const dialect::Dialect* dialect = nullptr;
};

// Opens a connection. Fails with ErrorKind::kConnectionLost (Unavailable)
// when the server cannot be reached or refuses the connection (the message
// says why), kResourceExhausted when it has no connection to spare (1040),
// and kProgramming (InvalidArgument) for a negative timeout.
absl::StatusOr<std::unique_ptr<Connection>> OpenMysql(const MysqlOptions& options);

// The same, connecting and setting the session up with Connector/C's
// non-blocking API on `event_loop` (null: EventLoop::Default()), which
// becomes the connection's (Connection::event_loop()); `deadline` bounds
// the whole opening (then kConnectionLost). `options` must outlive the task.
Task<absl::StatusOr<std::unique_ptr<Connection>>> OpenMysqlAsync(
    const MysqlOptions& options, absl::Time deadline = absl::InfiniteFuture(),
    async::EventLoop* event_loop = nullptr);

}  // namespace duo::engine

#endif  // DUO_ENGINE_MYSQL_DRIVER_H_
