// duo::Database and duo::Session: how statements reach a database.
//
// A Database is opened from a URL and owns a connection pool and a
// compiled-statement cache. It offers DuoORM's two modes of work:
//
//   * Statement-driven (the default): db.Execute(stmt) outside any
//     transaction runs as its own short transaction on a pooled connection.
//
//   * Managed: db.Transaction(fn) runs fn with one session that everything
//     inside shares, including code that does not receive it (db.Execute,
//     model calls): commit when fn returns OK, roll back when it returns an
//     error or throws. A Transaction inside a Transaction is a SAVEPOINT: its
//     failure rolls back only its own part.
//
//   * Unmanaged: db.StandaloneSession() hands the caller a session whose
//     BEGIN / COMMIT / ROLLBACK it owns. Destroying a session with an open
//     transaction rolls it back.
//
//   DUO_ASSIGN_OR_RETURN(duo::Database db, duo::Database::Open("sqlite:///app.db"));
//   absl::Status status = db.Transaction([&](duo::Session& s) -> absl::Status {
//     DUO_RETURN_IF_ERROR(s.Execute(insert).status());
//     return db.Execute(update).status();  // joins the same transaction
//   });
//
// URLs: sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory:,
// postgresql://user:password@host:port/dbname?options (see
// duo/engine/url.h). An in-memory SQLite database lives as long as its
// Database and is shared by everything using it, one connection at a time.
//
// Async: every operation has an ...Async twin with the same arguments and
// results, returning a duo::Task (duo/async/task.h):
//
//   absl::Status status = co_await db.TransactionAsync(
//       [&](duo::Session& s) -> duo::Task<absl::Status> {
//         DUO_CO_RETURN_IF_ERROR((co_await s.ExecuteAsync(insert)).status());
//         co_return (co_await db.ExecuteAsync(update)).status();  // same transaction
//       });
//
// On PostgreSQL the I/O is non-blocking (libpq's asynchronous API, awaited
// on the event loop), so many statements are in flight at once on different
// connections; batches are pipelined. On SQLite, blocking by nature, each
// connection's calls run on a worker thread of its own. The current session
// follows each task across co_await and threads, so concurrent tasks in
// different transactions never see each other's. A `timeout` cancels the
// statement (PQcancel on PostgreSQL, sqlite3_interrupt on SQLite) and
// returns ErrorKind::kTimeout (DeadlineExceeded); the connection stays
// usable. Streaming reads (RunMode::kStreaming) run on the connection's
// worker on both databases. Blocking calls take their deadline from a
// duo::ScopedDeadline (deadline.h) instead.
//
// Database is a cheap, copyable handle, safe to use from many threads.
// A Session is used by one thread (or one task) at a time.

#ifndef DUO_SESSION_DATABASE_H_
#define DUO_SESSION_DATABASE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/async/task.h"
#include "duo/dialect/compiler.h"
#include "duo/engine/connection.h"
#include "duo/engine/pool.h"
#include "duo/engine/url.h"
#include "duo/session/deadline.h"
#include "duo/session/identity_map.h"
#include "duo/session/result.h"
#include "duo/sql/statement.h"
#include "duo/sql/value.h"

namespace duo {

// One statement a Database ran, as its statement callbacks see it
// (DatabaseOptions::on_statement, on_slow_statement, and echo, which is
// one such callback: EchoStatement).
struct StatementEvent {
  // The SQL as sent, with the dialect's placeholders ("?" on SQLite, "$1"
  // on PostgreSQL).
  std::string sql;
  // `sql` with the values inlined, only with DatabaseOptions::echo_values;
  // otherwise the same as `sql`, its placeholders standing in for every
  // value, so that logs never hold user data.
  std::string sql_with_values;
  // The values bound to the placeholders, in order, only with echo_values;
  // otherwise empty. `param_count` says how many there were either way.
  std::vector<sql::Value> params;
  size_t param_count = 0;
  // From sending the statement until it was done: for a statement that
  // returns rows, until they were read to the end (or the cursor failed or
  // was dropped), so reading the rows counts.
  absl::Duration duration;
  // Rows the statement handed to the caller, as far as the caller read.
  int64_t rows_returned = 0;
  // Rows inserted, updated or deleted as the driver counts them (0 for a
  // SELECT); -1 when unknown: a script, or rows not read to the end.
  int64_t rows_affected = -1;
  // OK, or the error the statement failed with (as the caller sees it).
  absl::Status status;
};

// Prints `event` on stderr as DatabaseOptions::echo does, one line:
//   duo: SELECT ... WHERE "id" = $1 (1.234ms)
//   duo: INSERT ... (0.5ms) failed: <message>
// The statement text is event.sql_with_values: values masked unless
// echo_values.
void EchoStatement(const StatementEvent& event);

struct DatabaseOptions {
  engine::PoolOptions pool;

  // The loop the database's async calls wait on and resume on, and its
  // timers (timeouts, deadlines, pool waits) run on; null:
  // async::EventLoop::Default(). It must outlive the Database. A test or a
  // program may give databases loops of their own to keep their tasks
  // apart (see duo/async/event_loop.h).
  async::EventLoop* event_loop = nullptr;

  // Statement callbacks. Each is called once after every statement the
  // database runs, on the primary and on replicas: Execute and Read, the
  // ORM's statements (Create, All, Get, ...), ExecuteMany (once, with the
  // rows affected in total), scripts, and transaction control (BEGIN,
  // COMMIT, ROLLBACK, SAVEPOINT ...), failures included with their status.
  // A pipelined ExecuteBatchAsync on PostgreSQL reports each statement;
  // when the batch fails, each with the batch's error. A statement that
  // returns rows is reported once its rows are read (see
  // StatementEvent::duration).
  //
  // Threads: a callback runs on the thread that finished the statement,
  // which is the caller's for blocking calls; for async calls the thread
  // resuming the task on PostgreSQL (the event loop's) and the
  // connection's worker thread on SQLite. With a pool, several threads may
  // call it at once: it must be thread-safe, and quick, since its
  // statement's caller waits for it. Inside it, run no statement on the
  // same database.
  //
  // Cost: with no callback (and no echo) statements are neither timed nor
  // formatted. With one, each statement reads the clock twice and copies
  // its SQL; echo_values also renders the values.
  //
  // Called for every statement: logging, tracing, metrics.
  std::function<void(const StatementEvent&)> on_statement;
  // Calls EchoStatement for every statement, as an on_statement would (and
  // before it).
  bool echo = false;
  // Whether StatementEvents carry the values (in sql_with_values and
  // params): for debugging only, as they may be user data.
  bool echo_values = false;
  // Called for every statement that took at least
  // `slow_statement_threshold`.
  absl::Duration slow_statement_threshold = absl::InfiniteDuration();
  std::function<void(const StatementEvent&)> on_slow_statement;
  // PostgreSQL: reported to the server; a per-statement time limit (zero:
  // none; URL: ?statement_timeout_ms=N).
  std::string application_name = "duo";
  absl::Duration statement_timeout = absl::ZeroDuration();
  // PostgreSQL behind a transaction-pooling proxy such as PgBouncer (see
  // engine::TransactionPooling and docs/sessions.md): auto detects one.
  // URL: ?transaction_pooling=auto|on|off.
  engine::TransactionPooling transaction_pooling = engine::TransactionPooling::kAuto;
  // SQLite: how long a writer waits for another one. URL: ?busy_timeout_ms=N.
  absl::Duration sqlite_busy_timeout = absl::Seconds(5);
  // Read replicas of the database the URL names (hot standbys, same
  // backend), each with a pool of its own (sized by `pool`). Reads outside
  // a transaction go to them in turn; everything else to the primary. See
  // Database::OnPrimary and "Read replicas" in docs/sessions.md.
  std::vector<std::string> replica_urls;
  // How long a replica that could not be reached is skipped before it is
  // tried again.
  absl::Duration replica_retry_after = absl::Seconds(5);
};

enum class IsolationLevel : uint8_t {
  kDefault,  // the database's own (READ COMMITTED on PostgreSQL)
  kReadCommitted,
  kRepeatableRead,
  kSerializable,
};

// SQLite: when a transaction takes the database's write lock.
enum class SqliteLocking : uint8_t {
  // kImmediate, unless the transaction is read_only (kDeferred).
  kAuto,
  // BEGIN DEFERRED: the lock is taken at the first write. If another
  // connection holds it, or wrote since this transaction began reading, that
  // write fails at once with Aborted (kSerializationFailure): SQLite cannot
  // wait without risking a deadlock, so the whole transaction must be
  // retried.
  kDeferred,
  // BEGIN IMMEDIATE: the lock is taken at BEGIN, waiting for other writers
  // up to the busy timeout; no statement of the transaction then fails for
  // want of it. Readers (in WAL mode) are not blocked.
  kImmediate,
};

// SQLite runs every transaction serializable; its isolation level is
// accepted and needs no statement. read_only holds on both databases.
struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::kDefault;
  bool read_only = false;
  SqliteLocking sqlite_locking = SqliteLocking::kAuto;
};

class Session;

namespace session_internal {
class DatabaseState;
}  // namespace session_internal

// Read replicas (DatabaseOptions::replica_urls): a statement run outside
// any transaction (no current session) goes to a replica, round-robin
// across those reachable, when Compile marks it reads_only: a SELECT
// without a locking clause. Everything else runs on the primary: writes,
// raw sql::Text, ExecuteMany, ExecuteBatch, Transaction and
// StandaloneSession, and everything in them. A replica that cannot be
// reached is skipped for replica_retry_after; a read it refuses as a
// write (read-only transaction) or cancels for a replication conflict runs
// again on the primary; with no replica left the primary serves. Replicas
// lag: a read right after a write may not see it, unless it runs inside a
// transaction or through OnPrimary().
class Database {
 public:
  // Opens the database `url` names. Connections open on first use (see
  // Connect); a malformed URL is InvalidArgument naming the part at fault.
  static absl::StatusOr<Database> Open(absl::string_view url, DatabaseOptions options = {});
  // Open($DUO_DATABASE_URL).
  static absl::StatusOr<Database> FromEnvironment(DatabaseOptions options = {});

  // Opens a connection now, so that a misconfiguration (wrong host,
  // password, missing file directory) surfaces at start-up.
  absl::Status Connect() const;
  // Closes idle connections; the database reopens them on demand.
  void Disconnect() const;

  const dialect::Dialect& dialect() const;
  // The URL with its password masked.
  const std::string& url() const;

  // Runs `statement` in the current session of this database, if any (inside
  // Transaction), else on its own.
  absl::StatusOr<Result> Execute(const sql::Statement& statement) const;

  // Runs `statement` like Execute and hands its cursor, before the first
  // row, to `read`, which reads the rows in place (no copy into a Result).
  // The cursor is valid only during the call.
  absl::Status Read(const sql::Statement& statement,
                    absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                    engine::RunMode mode = engine::RunMode::kBuffered) const;

  // Compiles `statement` for this database's dialect, through its
  // statement cache. A statement run many times with different values can
  // be compiled once and run with Read(compiled, ...) after replacing its
  // params, skipping the IR on the hot path (what the ORM's Get does).
  absl::StatusOr<dialect::CompiledStatement> Compile(const sql::Statement& statement) const;
  // Runs one statement once per row of parameters (an INSERT, UPDATE or
  // DELETE) and returns the rows affected in total; see
  // Session::ExecuteMany. In the current transaction, else in one of its
  // own: every row or none.
  absl::StatusOr<int64_t> ExecuteMany(const sql::Statement& statement,
                                      std::span<const std::vector<sql::Value>> rows) const;
  absl::StatusOr<int64_t> ExecuteMany(const dialect::CompiledStatement& compiled, int64_t rows,
                                      engine::Connection::FillParams fill) const;

  // Read of a statement compiled for this database's dialect.
  absl::Status Read(const dialect::CompiledStatement& compiled,
                    absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                    engine::RunMode mode = engine::RunMode::kBuffered) const;

  absl::Status Transaction(absl::FunctionRef<absl::Status(Session&)> body,
                           TransactionOptions options = {}) const;

  absl::StatusOr<Session> StandaloneSession() const;

  // Async twins. Statements are taken by value: a task may outlive the
  // caller's temporaries.
  Task<absl::StatusOr<Result>> ExecuteAsync(
      sql::Statement statement, absl::Duration timeout = absl::InfiniteDuration()) const;
  Task<absl::Status> ReadAsync(sql::Statement statement,
                               absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                               engine::RunMode mode = engine::RunMode::kBuffered) const;
  Task<absl::Status> ReadAsync(dialect::CompiledStatement compiled,
                               absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                               engine::RunMode mode = engine::RunMode::kBuffered) const;
  // Runs `statements` in order in the current transaction, or in one of
  // their own; on PostgreSQL they are sent together (pipeline mode), one
  // round trip for all.
  Task<absl::StatusOr<std::vector<Result>>> ExecuteBatchAsync(
      std::vector<sql::Statement> statements) const;
  absl::StatusOr<std::vector<Result>> ExecuteBatch(
      const std::vector<sql::Statement>& statements) const;
  Task<absl::Status> TransactionAsync(absl::AnyInvocable<Task<absl::Status>(Session&)> body,
                                      TransactionOptions options = {}) const;
  Task<absl::StatusOr<Session>> StandaloneSessionAsync() const;

  // The session Transaction made current for this database, or nullptr.
  Session* CurrentSession() const;

  // This database with every statement routed to the primary, for reads
  // that must see the caller's own writes; it shares the pools, the cache
  // and the current session (a Transaction on either joins the other's).
  // Hand it to the ORM with Query::Using or Models::Bind. Without replicas,
  // the same as *this.
  Database OnPrimary() const;
  // This database with every statement run outside a transaction sent to
  // a replica (falling back to the primary as above), raw sql::Text
  // included: for reads the IR cannot vouch for. A write sent this way
  // fails on the replica and runs again on the primary.
  Database OnReplica() const;
  // Whether replicas were configured.
  bool has_replicas() const;

  engine::ConnectionPool::Stats pool_stats() const;

 private:
  enum class Route : uint8_t { kAuto, kPrimary, kReplica };

  explicit Database(std::shared_ptr<session_internal::DatabaseState> state)
      : state_(std::move(state)) {}
  static absl::StatusOr<Database> Open(engine::DatabaseUrl url, DatabaseOptions options);
  // Whether `compiled`, run outside a session, goes to a replica.
  bool ToReplica(const dialect::CompiledStatement& compiled) const;
  // Runs `compiled` on a reachable replica, handing its cursor to `read`;
  // false in `*done` when it must run on the primary instead.
  Task<absl::Status> ReplicaReadAsync(dialect::CompiledStatement compiled,
                                      absl::AnyInvocable<absl::Status(engine::Cursor&)>& read,
                                      engine::RunMode mode, absl::Duration timeout,
                                      bool* done) const;

  std::shared_ptr<session_internal::DatabaseState> state_;
  Route route_ = Route::kAuto;
};

// A connection checked out of a Database's pool, with its transaction
// state. Movable, not copyable.
class Session {
 public:
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // Runs `statement` and reads its rows.
  absl::StatusOr<Result> Execute(const sql::Statement& statement);
  // Runs `statement` and streams its rows in constant memory. Destroy the
  // cursor before the session's next call.
  absl::StatusOr<std::unique_ptr<engine::Cursor>> Stream(const sql::Statement& statement);
  // Runs `statement` and hands its cursor to `read` (see Database::Read).
  absl::Status Read(const sql::Statement& statement,
                    absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                    engine::RunMode mode = engine::RunMode::kBuffered);
  // Read of a statement compiled for this session's dialect (see
  // Database::Compile).
  absl::Status Read(const dialect::CompiledStatement& compiled,
                    absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                    engine::RunMode mode = engine::RunMode::kBuffered);

  // Runs one statement once per row: `rows` gives each row's values, in
  // the order of the statement's parameters (an INSERT's VALUES, or the
  // SET values then the WHERE's). Returns the rows affected in total; rows
  // the statement returns are dropped. The first failure stops it, its
  // message starting "row N: "; the rows before it are done, and stay when
  // the caller commits. The statement is prepared once and rebound for
  // each row, so that writing many small rows costs what the C API's own
  // loop does; on PostgreSQL each row is still a round trip (for one round
  // trip, ExecuteBatchAsync pipelines, and CreateBulk writes multi-row
  // INSERTs).
  absl::StatusOr<int64_t> ExecuteMany(const sql::Statement& statement,
                                      std::span<const std::vector<sql::Value>> rows);
  // The same without a vector per row: `fill` replaces the values in
  // `params` (the previous row's; the compiled statement's own for row 0)
  // for row 0, 1, ... rows - 1.
  absl::StatusOr<int64_t> ExecuteMany(const dialect::CompiledStatement& compiled, int64_t rows,
                                      engine::Connection::FillParams fill);

  // Runs SQL without parameters or result rows: DDL, or several statements
  // separated by ';'. Never build it from user input: nothing is bound.
  absl::Status ExecuteScript(absl::string_view sql) { return Script(sql); }

  absl::Status Begin(TransactionOptions options = {});
  // After the database ended the transaction on its own (MySQL rolls back
  // a deadlock's victim; SQLite may roll back after a full disk), Commit
  // fails with kAborted (kSerializationFailure: run it again) and Rollback
  // succeeds; every statement in between fails the same way without
  // running, since it would run outside any transaction and commit alone.
  absl::Status Commit();
  absl::Status Rollback();
  bool in_transaction() const;

  // Runs `statements` in order, stopping at the first failure.
  absl::StatusOr<std::vector<Result>> ExecuteBatch(const std::vector<sql::Statement>& statements);

  // Async twins (see Database).
  Task<absl::StatusOr<Result>> ExecuteAsync(sql::Statement statement,
                                            absl::Duration timeout = absl::InfiniteDuration());
  Task<absl::Status> ReadAsync(sql::Statement statement,
                               absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                               engine::RunMode mode = engine::RunMode::kBuffered,
                               absl::Duration timeout = absl::InfiniteDuration());
  Task<absl::Status> ReadAsync(dialect::CompiledStatement compiled,
                               absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                               engine::RunMode mode = engine::RunMode::kBuffered,
                               absl::Duration timeout = absl::InfiniteDuration());
  Task<absl::StatusOr<std::vector<Result>>> ExecuteBatchAsync(
      std::vector<sql::Statement> statements);
  Task<absl::Status> ExecuteScriptAsync(std::string sql);
  Task<absl::Status> BeginAsync(TransactionOptions options = {});
  Task<absl::Status> CommitAsync();
  Task<absl::Status> RollbackAsync();

  const dialect::Dialect& dialect() const;

  // The objects the ORM loaded in this session's transaction; emptied when
  // a transaction or savepoint ends.
  IdentityMap& identity_map() { return identity_map_; }

 private:
  friend class Database;
  Session(std::shared_ptr<session_internal::DatabaseState> database,
          engine::PooledConnection connection);

  absl::StatusOr<std::unique_ptr<engine::Cursor>> Run(const sql::Statement& statement,
                                                      engine::RunMode mode);
  absl::StatusOr<std::unique_ptr<engine::Cursor>> Run(const dialect::CompiledStatement& compiled,
                                                      engine::RunMode mode);
  absl::Status Script(absl::string_view sql);
  // Whether Begin succeeded and the transaction has not been ended here
  // since, whatever the database did meanwhile.
  bool began() const { return began_; }
  // kAborted when the database ended the transaction this session began
  // (see Commit); checked before every statement.
  absl::Status CheckTransactionKept() const;
  // Forgets a transaction the database ended, as Rollback would have.
  void ForgetTransaction();
  absl::Status RunNested(absl::FunctionRef<absl::Status(Session&)> body);
  Task<absl::Status> RunNestedAsync(absl::AnyInvocable<Task<absl::Status>(Session&)>& body);
  // Ends the transaction with `sql` (COMMIT or ROLLBACK), then runs
  // after_transaction_ (dialect::TransactionStatements::after_end).
  absl::Status EndTransaction(const char* sql);
  Task<absl::Status> EndTransactionAsync(const char* sql);
  void Close();

  std::shared_ptr<session_internal::DatabaseState> database_;
  engine::PooledConnection connection_;
  int savepoints_created_ = 0;
  bool began_ = false;
  // What the dialect runs after this transaction ends (SQLite: PRAGMA
  // query_only = OFF after a read-only one); empty when nothing.
  std::string after_transaction_;
  IdentityMap identity_map_;
};

}  // namespace duo

#endif  // DUO_SESSION_DATABASE_H_
