// The driver interface: one open connection to one database, and the rows
// a statement returns.
//
// Drivers (//duo/engine/sqlite:driver, //duo/engine/postgres:driver)
// implement these; the pool, sessions and the ORM use only this interface.
// Values reach the database as bound parameters of a CompiledStatement;
// results are read in place from the driver's buffers, typed, one row at a
// time, so that a large result never needs to be materialised.
//
// Type mapping (identical on both databases as far as they allow):
//
//   C++ / sql::Value      PostgreSQL                 SQLite
//   bool                  boolean                    INTEGER 0/1
//   int32_t / int64_t     integer / bigint           INTEGER
//   double                double precision           REAL
//   std::string           text / varchar             TEXT
//   sql::Blob             bytea                      BLOB
//   absl::Time            timestamp with time zone   TEXT 2026-11-25 02:30:00.123456
//   absl::CivilDay        date                       TEXT 2026-11-25
//   sql::Decimal          numeric (exact)            TEXT (exact digits)
//   sql::JsonText         jsonb                      TEXT
//   sql::Array            array of the element type  TEXT (a JSON array)
//   sql::Uuid             uuid                       TEXT, 32 hex digits
//   sql::TimeOfDay        time                       TEXT 09:30:00.000000
//   absl::Duration        interval (microseconds)    TEXT 1970-01-02 02:00:00.000000
//                                                    (1970-01-01 plus it: SQLAlchemy's form)
//   std::nullopt          NULL                       NULL
//
// PostgreSQL types with no C++ type (inet, timetz, citext, an enum, ...)
// read as their text through GetText, as psql prints them.

#ifndef DUO_ENGINE_CONNECTION_H_
#define DUO_ENGINE_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/async/task.h"
#include "duo/async/worker.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/value.h"

namespace duo::engine {

// What a typed getter says of a NULL, after the column's name.
inline constexpr absl::string_view kNullAdvice = "is NULL; read it as std::optional to accept NULL";

class Cursor;

// Reads one column of the current row into a member of an object. The
// ORM's typed column accessors implement it.
class MemberReader {
 public:
  virtual absl::Status Read(void* object, const Cursor& cursor, int column) const = 0;

 protected:
  ~MemberReader() = default;
};

// One column of Cursor::ReadRow: the member it goes into. Members of the
// types nearly every model has are named by kind and offset, so that a
// driver can store a value that needs no conversion straight into them;
// everything else (other types, values to convert, NULLs, errors) goes
// through `reader`, so the outcome is always the reader's.
struct RowSlot {
  enum class Member : uint8_t { kOther, kInt64, kDouble, kString };
  Member member = Member::kOther;
  size_t offset = 0;  // of the int64_t / double / std::string within the object
  const MemberReader* reader = nullptr;
};

// The rows of one statement, read forward once. Getters read the current
// row; a getter for a type the column's value cannot be (a NULL, text that
// is not a number, a number out of the type's range) returns an error naming
// the column (for a NULL: "column \"note\" " followed by kNullAdvice). Views
// (GetText, GetBytes) stay valid until the next Next(). Not thread-safe.
class Cursor {
 public:
  virtual ~Cursor() = default;

  // Moves to the next row: true if there is one.
  virtual absl::StatusOr<bool> Next() = 0;

  virtual int column_count() const = 0;
  virtual absl::string_view column_name(int column) const = 0;
  // The column's index, or NotFound naming it.
  absl::StatusOr<int> ColumnIndex(absl::string_view name) const;

  virtual bool IsNull(int column) const = 0;
  virtual absl::StatusOr<bool> GetBool(int column) const = 0;
  virtual absl::StatusOr<int64_t> GetInt(int column) const = 0;
  virtual absl::StatusOr<double> GetDouble(int column) const = 0;
  virtual absl::StatusOr<absl::string_view> GetText(int column) const = 0;
  virtual absl::StatusOr<absl::string_view> GetBytes(int column) const = 0;
  virtual absl::StatusOr<absl::Time> GetTimestamp(int column) const = 0;
  virtual absl::StatusOr<absl::CivilDay> GetDate(int column) const = 0;
  virtual absl::StatusOr<sql::Decimal> GetDecimal(int column) const = 0;
  virtual absl::StatusOr<sql::Array> GetArray(int column) const = 0;
  // The value in the kind the database reports for it (NULL as kNull).
  virtual absl::StatusOr<sql::Value> GetValue(int column) const = 0;

  // Reads columns `first`, `first` + 1, ... of the current row into
  // `object`, one per slot, stopping at the first error: the same as
  // calling each slot's reader, but one virtual call per row instead of two
  // per column, which is most of what hydrating a large result costs.
  virtual absl::Status ReadRow(std::span<const RowSlot> slots, int first, void* object) const;

  // Rows inserted, updated or deleted by the statement; valid once Next()
  // has returned false.
  virtual int64_t rows_affected() const = 0;

 protected:
  // The loop of every ReadRow: `store(member, column, target)` writes the
  // column into the slot's member at `target` when it can take the value
  // as it is, and says whether it did; the slot's reader does the rest.
  template <typename Store>
  absl::Status ReadSlots(std::span<const RowSlot> slots, int first, void* object,
                         Store store) const {
    char* const base = static_cast<char*>(object);
    int column = first;
    for (const RowSlot& slot : slots) {
      if (!store(slot.member, column, base + slot.offset)) {
        absl::Status status = slot.reader->Read(object, *this, column);
        if (!status.ok()) return status;
      }
      ++column;
    }
    return absl::OkStatus();
  }
};

// Whether a server connection goes through a transaction-pooling proxy
// (PgBouncer with pool_mode=transaction, and the like), which may give each
// transaction, and each statement outside one, a different server
// connection. Named prepared statements then meet other clients' (or vanish),
// and a statement prepared in one round trip and executed in the next may
// run on another server: so behind such a proxy every statement is sent in
// one round trip as the unnamed statement (parse, bind, execute; results
// still binary), and nothing is cached on the server.
enum class TransactionPooling : uint8_t {
  // Detects a proxy when connecting (the backend pid the server reports
  // differs from the one the connection was given: PgBouncer and other
  // proxies hand out their own) and then behaves as kOn. Safe with session
  // pooling too, at the cost of a parse per statement.
  kAuto,
  kOn,   // always unnamed statements, one round trip each
  kOff,  // named, cached prepared statements: direct connections only
};

// How a statement's rows arrive. kBuffered reads them all in one go (the
// fastest path for ordinary results); kStreaming keeps memory flat for
// results of any size (Iterate). SQLite always streams.
enum class RunMode : uint8_t { kBuffered, kStreaming };

// Non-blocking execution, for drivers whose client library has it
// (PostgreSQL). Each call suspends the awaiting task on the event loop while
// the server works, so one thread keeps many statements in flight on
// different connections. A deadline cancels the statement on the server
// and returns ErrorKind::kTimeout (DeadlineExceeded); the connection stays
// usable (a transaction it was in is aborted, as any error aborts it).
// Results are buffered. The statements must outlive the tasks.
class AsyncConnection {
 public:
  virtual ~AsyncConnection() = default;

  virtual Task<absl::StatusOr<std::unique_ptr<Cursor>>> RunAsync(
      const dialect::CompiledStatement& statement, absl::Time deadline) = 0;
  // Sends every statement before reading any result (pipelining): one
  // round trip for the batch. The first failure fails the rest; inside a
  // transaction it aborts it.
  virtual Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> RunBatchAsync(
      const std::vector<dialect::CompiledStatement>& statements, absl::Time deadline) = 0;
  virtual Task<absl::Status> ExecuteScriptAsync(std::string sql, absl::Time deadline) = 0;
};

// `status` with "row N: " before its message and its payloads (the error
// kind and details) kept: how RunMany reports the row that failed.
absl::Status WithRow(int64_t row, const absl::Status& status);

// One connection. Not thread-safe: the pool hands it to one user at a time.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual const dialect::Dialect& dialect() const = 0;

  // Runs `statement` and returns its rows. The cursor borrows the
  // connection: destroy it before the next call.
  virtual absl::StatusOr<std::unique_ptr<Cursor>> Run(const dialect::CompiledStatement& statement,
                                                      RunMode mode = RunMode::kBuffered) = 0;

  // Fills a statement's parameters for one row of RunMany: `params` holds
  // the previous row's values (the statement's own for row 0) to replace.
  using FillParams = absl::FunctionRef<absl::Status(int64_t row, std::vector<sql::Value>& params)>;

  // Runs `statement` once per row, 0 to rows - 1, its parameters set by
  // `fill`, in order, and returns the rows affected in total; rows the
  // statement returns are read and dropped. The first error (from `fill`
  // too) stops it and is returned with the row's number; the rows before
  // it stay done, so callers run it inside a transaction. The statement is
  // looked up once and rebound for each row, which makes a loop of small
  // writes cost what the C API's own loop does.
  virtual absl::StatusOr<int64_t> RunMany(const dialect::CompiledStatement& statement, int64_t rows,
                                          FillParams fill);

  // Runs SQL without parameters or result rows: transaction control
  // (BEGIN, SAVEPOINT, ...), DDL, or several statements separated by ';'.
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;

  // True when the connection still works, checking with the server if
  // needed (a round trip).
  virtual bool Ping() = 0;

  // A check without a round trip, cheap enough for every checkout: false
  // when the driver can already tell the connection is gone (for example
  // the server closed the socket of an idle connection).
  virtual bool LooksAlive() { return true; }

  // What the driver already knows, without even a system call: true once
  // the connection is certainly unusable (lost during a statement, closed
  // by the server). The pool checks it when a connection comes back, and
  // LooksAlive when it goes out again.
  virtual bool Broken() const { return false; }

  // True inside a transaction the caller began.
  virtual bool InTransaction() const = 0;

  // Non-blocking execution, or null when the driver has none (SQLite):
  // async callers then run the blocking calls on worker().
  virtual AsyncConnection* async() { return nullptr; }

  // Asks the statement running on this connection, on another thread, to
  // stop (a timeout); it fails with ErrorKind::kTimeout. Any thread. A
  // statement that has not started yet, or has just ended, is not affected.
  virtual void Interrupt() {}
  // Whether an interrupted statement can end without an error, its result
  // made up: MySQL's KILL QUERY makes SLEEP() return 1 and BENCHMARK() 0,
  // and the statement succeeds. A caller whose Interrupt fired during a
  // statement then treats a success as the timeout it is.
  virtual bool InterruptCanEndQuietly() const { return false; }

  // Gives up on the statement running on this connection, from another
  // thread, when Interrupt did not stop it in time (a server that answers
  // nothing): the blocked call returns an error and the connection is
  // Broken() from then on. Drivers whose statements always heed Interrupt
  // (SQLite) need do nothing.
  virtual void Sever() {}

  // The loop this connection's tasks wait on and resume on: the pool's
  // (set when the pool opens the connection), else EventLoop::Default().
  async::EventLoop& event_loop() const {
    return event_loop_ != nullptr ? *event_loop_ : async::EventLoop::Default();
  }
  // Before the connection's first async call.
  void set_event_loop(async::EventLoop& loop) { event_loop_ = &loop; }

  // A thread for this connection's blocking calls made on behalf of tasks,
  // started on first use; it hands tasks back to event_loop().
  async::Worker& worker();

 private:
  async::EventLoop* event_loop_ = nullptr;
  std::unique_ptr<async::Worker> worker_;
};

}  // namespace duo::engine

#endif  // DUO_ENGINE_CONNECTION_H_
