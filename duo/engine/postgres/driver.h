// The PostgreSQL driver: Connection and Cursor over libpq.
//
// OpenPostgres() opens one connection and sets up its session:
//
//   * application_name, so that pg_stat_activity shows who is connected;
//   * client_encoding UTF8, the encoding of every std::string DuoORM hands
//     over or returns;
//   * TimeZone UTC, so that timestamps PostgreSQL renders as text (in SQL
//     such as ts::text or to_char, and in ExecuteScript output) are UTC like
//     every absl::Time the driver returns;
//   * statement_timeout, when one is given.
//
//   absl::StatusOr<std::unique_ptr<duo::engine::Connection>> connection =
//       duo::engine::OpenPostgres({.conninfo = "host=/run/postgresql dbname=shop"});
//
// Statements use the extended protocol only, with every value bound, never
// spliced into the SQL. Each statement is prepared once per connection and
// kept (see PostgresOptions::statement_cache_size), so that running it again
// costs one round trip. A kept statement that a schema change has made stale
// (a column changed type, a table was created anew, a script ran DEALLOCATE
// ALL) is prepared again: outside a transaction the call then simply
// succeeds; inside one, its error aborts the transaction as any error does,
// and the transaction's retry succeeds.
//
// Parameters are typed as the type mapping in duo/engine/connection.h says,
// with these choices worth knowing:
//
//   * an integer that fits in 32 bits is sent as integer (int4), a larger
//     one as bigint: functions such as lag(x, n) or generate_series take
//     integer arguments, and PostgreSQL widens int4 wherever bigint is
//     wanted. Arithmetic on two parameters alone ($1 + $2) is therefore int4
//     arithmetic; cast one of them when it may overflow.
//   * a string is sent untyped, so that the server infers its type from the
//     context: it compares with varchar, date or jsonb columns as a literal
//     would. Where nothing gives a type (SELECT $1), cast it ($1::text).
//     Strings cannot hold NUL bytes (use sql::Blob).
//   * sql::JsonText is sent as jsonb, so a json column stores jsonb's
//     spelling of the document (keys sorted, spacing normalized).
//   * an array's type follows its elements (int8[], float8[], text[], bool[],
//     numeric[], timestamptz[], date[]); an empty or all-NULL array is sent
//     untyped, like a string.
//
// Run() reports the errors of starting a statement, and in kBuffered mode
// all of them. A kStreaming cursor holds one row at a time and reports later
// errors from Next(); while it lives, the connection runs nothing else.
// Destroying it early reads and drops the remaining rows: the statement runs
// to completion, because cancelling it would abort a half-done data change
// (and the caller's transaction with it). Before a stream starts, the server
// describes its columns (once per kept statement; per stream for the
// unnamed statement), and the types among them that the database created
// (enums, citext), whose binary form the driver asks the server about, are
// looked up while the connection is still free to ask.
//
// Results arrive in PostgreSQL's binary format (measured faster than text;
// see result_format_bench.cc). Getters are strict: each reads only the
// column types listed on it below and returns a kDataError (OutOfRange)
// naming the column for anything else, NULL included:
//
//   GetBool       boolean
//   GetInt        smallint, integer, bigint, oid; numeric with no fraction
//                 that fits in int64
//   GetDouble     real, double precision, numeric, the integer types (as long
//                 as no digit is lost: |value| <= 2^53)
//   GetText       text, varchar, char(n), name, "char", json, jsonb (its text)
//   GetBytes      bytea
//   GetTimestamp  timestamp with time zone; timestamp without time zone,
//                 read as UTC; +-infinity as absl::InfiniteFuture/Past
//   GetDate       date (not +-infinity)
//   GetDecimal    numeric (every digit, exactly), the integer types
//   GetArray      one-dimensional arrays of boolean, the integer and floating
//                 point types, numeric, text, varchar, char(n), name,
//                 timestamp (with or without time zone) and date
//   GetValue      any of them, as the closest sql::Value kind (numeric NaN
//                 and +-Infinity as kDouble)
//
// Other column types (uuid, interval, inet, enums, ...) are read by casting
// them to text in the SQL (id::text).
//
// Errors are duo::DatabaseError statuses (duo/engine/error.h) carrying the
// SQLSTATE and, for integrity violations other than NOT NULL, the
// constraint's name. Their message is the server's primary message, never
// its detail line, which quotes the row's values (though a few primary
// messages quote the offending input: invalid input syntax for type integer:
// "abc"), followed by the SQL, which holds placeholders, never values.
//
// LooksAlive() notices, without a round trip, a backend that went away
// while the connection was idle (pg_terminate_backend, a server shutdown);
// Ping() makes the round trip.
//
// Thread safety: a connection, and the cursors it returns, must be used by
// one thread at a time (the pool hands each connection to one user); the
// connection may move between threads between uses.

#ifndef DUO_ENGINE_POSTGRES_DRIVER_H_
#define DUO_ENGINE_POSTGRES_DRIVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/engine/connection.h"

namespace duo::engine {

struct PostgresOptions {
  // A libpq connection string, either "key=value ..." or a
  // "postgresql://" URI. An application_name in it wins over the one below;
  // client_encoding is always UTF8.
  std::string conninfo;
  // Shown in pg_stat_activity and the server's log lines.
  std::string application_name = "duo";
  // The longest any one statement may run before the server cancels it with
  // ErrorKind::kTimeout (DeadlineExceeded), rounded up to milliseconds. Zero
  // keeps the server's setting for the role and database (by default, no
  // limit).
  absl::Duration statement_timeout = absl::ZeroDuration();
  // Prepared statements kept per connection, by SQL text and parameter
  // types, least recently used deallocated first; 0 prepares every statement
  // afresh (as the unnamed statement).
  size_t statement_cache_size = 256;
  TransactionPooling transaction_pooling = TransactionPooling::kAuto;
  // The longest opening a connection may take (libpq's connect_timeout,
  // whole seconds, at least 2); zero leaves it to the conninfo (by default,
  // no limit). A proxy that accepts the socket but has no server connection
  // to give would otherwise hold the caller forever.
  absl::Duration connect_timeout = absl::ZeroDuration();
};

// Opens a connection. Fails with ErrorKind::kConnectionLost (Unavailable)
// when the server cannot be reached or refuses the connection (libpq's
// message says why, or the connect_timeout passed), and with kProgramming
// (InvalidArgument) for a negative statement_timeout, or a statement_timeout
// behind a transaction-pooling proxy, which cannot keep a session setting.
absl::StatusOr<std::unique_ptr<Connection>> OpenPostgres(const PostgresOptions& options);

}  // namespace duo::engine

#endif  // DUO_ENGINE_POSTGRES_DRIVER_H_
