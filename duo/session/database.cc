#include "duo/session/database.h"

#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "duo/async/event_loop.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/statement_cache.h"
#include "duo/engine/driver.h"
#include "duo/engine/error.h"
#include "duo/engine/url.h"
#include "duo/session/context.h"

namespace duo {
namespace session_internal {
namespace {

// How long a statement past its deadline may take to come back cancelled
// before its connection is severed: a live server answers a cancel in
// milliseconds; a frozen one never does.
constexpr absl::Duration kDeadlineGrace = absl::Milliseconds(250);

// Holds one blocking call on `connection` to the thread's ScopedDeadline: at
// the deadline its timer interrupts the statement, kDeadlineGrace later it
// severs the connection. The timers run on the event loop thread; the mutex
// makes sure neither touches the connection once the call is over (it may
// be someone else's by then).
class DeadlineWatch {
 public:
  // Watches nothing when no deadline applies.
  explicit DeadlineWatch(engine::Connection& connection)
      : deadline_(ScopedDeadline::Current()),
        interrupt_can_end_quietly_(connection.InterruptCanEndQuietly()) {
    if (deadline_ == absl::InfiniteFuture()) return;
    shared_ = std::make_shared<Shared>();
    shared_->connection = &connection;
    loop_ = &connection.event_loop();
    async::EventLoop& loop = *loop_;
    interrupt_timer_ = loop.AddTimer(deadline_, [shared = shared_] {
      std::lock_guard<std::mutex> lock(shared->mu);
      if (shared->connection == nullptr) return;
      shared->fired = true;
      shared->connection->Interrupt();
    });
    sever_timer_ = loop.AddTimer(deadline_ + kDeadlineGrace, [shared = shared_] {
      std::lock_guard<std::mutex> lock(shared->mu);
      if (shared->connection == nullptr) return;
      shared->severed = true;
      shared->connection->Sever();
    });
  }
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;
  ~DeadlineWatch() { Disarm(); }

  // DeadlineExceeded, before anything is sent, when the deadline has passed.
  absl::Status CheckNotPast() const {
    if (deadline_ == absl::InfiniteFuture() || absl::Now() < deadline_) return absl::OkStatus();
    return DatabaseError(
        "the deadline (duo::ScopedDeadline) passed before the statement "
        "was sent",
        {.kind = ErrorKind::kTimeout});
  }

  // Ends the watch, then: `status` as it is when the deadline played no
  // part in it, else DeadlineExceeded saying what happened.
  absl::Status Outcome(absl::Status status, absl::string_view sql) {
    Disarm();
    if (shared_ == nullptr || !shared_->fired) return status;
    if (status.ok()) {
      if (!interrupt_can_end_quietly_) return status;
      return DatabaseError(
          "the deadline (duo::ScopedDeadline) passed while the statement ran; it was killed, and "
          "on this database a killed statement may end without an error, its result cut short, "
          "so the result is not used",
          {.kind = ErrorKind::kTimeout, .sql = std::string(sql)});
    }
    return DatabaseError(
        shared_->severed
            ? "the deadline (duo::ScopedDeadline) passed and the server answered neither the "
              "statement nor its cancellation; the connection is discarded"
            : absl::StrCat("the deadline (duo::ScopedDeadline) passed: the statement was "
                           "cancelled (",
                           status.message(), ")"),
        {.kind = ErrorKind::kTimeout, .sql = std::string(sql)});
  }

 private:
  struct Shared {
    std::mutex mu;
    engine::Connection* connection = nullptr;  // null once the call is over
    bool fired = false;
    bool severed = false;
  };

  void Disarm() {
    if (shared_ == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      if (shared_->connection == nullptr) return;
      shared_->connection = nullptr;
    }
    loop_->CancelTimer(interrupt_timer_);
    loop_->CancelTimer(sever_timer_);
  }

  const absl::Time deadline_;
  const bool interrupt_can_end_quietly_;
  std::shared_ptr<Shared> shared_;
  async::EventLoop* loop_ = nullptr;  // the connection's, whose timers these are
  uint64_t interrupt_timer_ = 0;
  uint64_t sever_timer_ = 0;
};

// A cursor that hands every call to another one; subclasses watch Next().
class ForwardingCursor : public engine::Cursor {
 public:
  explicit ForwardingCursor(std::unique_ptr<engine::Cursor> cursor) : cursor_(std::move(cursor)) {}

  absl::StatusOr<bool> Next() override { return cursor_->Next(); }
  int column_count() const override { return cursor_->column_count(); }
  absl::string_view column_name(int column) const override { return cursor_->column_name(column); }
  bool IsNull(int column) const override { return cursor_->IsNull(column); }
  absl::StatusOr<bool> GetBool(int column) const override { return cursor_->GetBool(column); }
  absl::StatusOr<int64_t> GetInt(int column) const override { return cursor_->GetInt(column); }
  absl::StatusOr<double> GetDouble(int column) const override { return cursor_->GetDouble(column); }
  absl::StatusOr<absl::string_view> GetText(int column) const override {
    return cursor_->GetText(column);
  }
  absl::StatusOr<absl::string_view> GetBytes(int column) const override {
    return cursor_->GetBytes(column);
  }
  absl::StatusOr<absl::Time> GetTimestamp(int column) const override {
    return cursor_->GetTimestamp(column);
  }
  absl::StatusOr<absl::CivilDay> GetDate(int column) const override {
    return cursor_->GetDate(column);
  }
  absl::StatusOr<sql::Decimal> GetDecimal(int column) const override {
    return cursor_->GetDecimal(column);
  }
  absl::StatusOr<sql::Array> GetArray(int column) const override {
    return cursor_->GetArray(column);
  }
  absl::StatusOr<sql::Value> GetValue(int column) const override {
    return cursor_->GetValue(column);
  }
  absl::Status ReadRow(std::span<const engine::RowSlot> slots, int first,
                       void* object) const override {
    return cursor_->ReadRow(slots, first, object);
  }
  int64_t rows_affected() const override { return cursor_->rows_affected(); }

 private:
  std::unique_ptr<engine::Cursor> cursor_;
};

// A streamed cursor whose rows are still to come: the deadline watch lives
// as long as it does, so that reading the rows is bounded too.
class WatchedCursor final : public ForwardingCursor {
 public:
  WatchedCursor(std::unique_ptr<engine::Cursor> cursor, std::unique_ptr<DeadlineWatch> watch,
                std::string sql)
      : ForwardingCursor(std::move(cursor)), watch_(std::move(watch)), sql_(std::move(sql)) {}

  absl::StatusOr<bool> Next() override {
    absl::StatusOr<bool> more = ForwardingCursor::Next();
    if (more.ok() && *more) return more;
    // At the end too: a statement its deadline killed may end quietly.
    DUO_RETURN_IF_ERROR(watch_->Outcome(more.status(), sql_));
    return false;
  }

 private:
  std::unique_ptr<DeadlineWatch> watch_;
  std::string sql_;
};

// Whether `select` only reads as far as the IR shows: no locking clause in
// it, its CTEs, set members or derived tables. (Its CTEs are SELECTs: the
// IR has no data-modifying WITH.) Text inside it is not looked into: a
// replica refusing it sends the read back to the primary.
bool OnlyReads(const sql::SelectData& select);

bool OnlyReads(const sql::FromItem& item) {
  switch (item.kind()) {
    case sql::FromItem::Kind::kTable:
      return true;
    case sql::FromItem::Kind::kSubquery:
      return item.subquery() == nullptr || OnlyReads(*item.subquery());
    case sql::FromItem::Kind::kJoin:
      return OnlyReads(item.join().left) && OnlyReads(item.join().right);
  }
  return false;
}

bool OnlyReads(const sql::SelectData& select) {
  if (select.lock.strength != sql::LockClause::Strength::kNone) return false;
  for (const sql::CteData& cte : select.ctes) {
    if (cte.query != nullptr && !OnlyReads(*cte.query)) return false;
  }
  for (const auto& member : select.set_members) {
    if (member != nullptr && !OnlyReads(*member)) return false;
  }
  for (const sql::FromItem& item : select.from) {
    if (!OnlyReads(item)) return false;
  }
  return true;
}

// What a replica's failure to run a statement means for it.
enum class ReplicaFailure {
  kFinal,        // the statement's own error: the primary would fail alike
  kUnreachable,  // the replica is down: skip it, try another
  kRefused,      // a write (read-only transaction) or a recovery conflict:
                 // run it on the primary
};

ReplicaFailure ClassifyReplicaFailure(const absl::Status& status) {
  std::optional<ErrorDetails> details = GetErrorDetails(status);
  if (details.has_value()) {
    // read_only_sql_transaction; serialization_failure, which a standby
    // reports for "canceling statement due to conflict with recovery".
    if (details->sqlstate == "25006" || details->sqlstate == "40001") {
      return ReplicaFailure::kRefused;
    }
    if (details->kind == ErrorKind::kConnectionLost) return ReplicaFailure::kUnreachable;
  }
  if (absl::IsUnavailable(status)) return ReplicaFailure::kUnreachable;
  return ReplicaFailure::kFinal;
}

}  // namespace

class DatabaseState;

// One read replica: its own state (pool, cache) and when it may be tried
// again after failing to answer.
struct Replica {
  std::shared_ptr<DatabaseState> state;
  std::atomic<int64_t> skip_until_nanos{0};
};

class DatabaseState {
 public:
  DatabaseState(engine::DatabaseUrl url, DatabaseOptions options)
      : url_(std::move(url)), masked_url_(url_.ToString()), options_(std::move(options)) {
    // echo is one statement callback among others.
    if (options_.echo) listeners_.push_back(&EchoStatement);
    if (options_.on_statement != nullptr) listeners_.push_back(options_.on_statement);
    reporting_ = !listeners_.empty() || options_.on_slow_statement != nullptr;
  }

  // Opens the database through the driver registered for the URL's scheme,
  // which takes its own URL options; then the pool, whose size the
  // database may limit (an in-memory SQLite database is one connection).
  absl::Status Init() {
    engine::PoolOptions pool_options = options_.pool;
    DUO_ASSIGN_OR_RETURN(
        connector_, engine::OpenConnector(std::move(url_),
                                          {
                                              .connect_timeout = pool_options.connect_timeout,
                                              .application_name = options_.application_name,
                                              .statement_timeout = options_.statement_timeout,
                                              .transaction_pooling = options_.transaction_pooling,
                                              .sqlite_busy_timeout = options_.sqlite_busy_timeout,
                                          }));
    dialect_ = &connector_->dialect();
    if (const int limit = connector_->max_connections(); limit > 0) {
      pool_options.size = limit;
      pool_options.max_overflow = 0;
    }
    pool_ = std::make_unique<engine::ConnectionPool>(
        [this]() -> absl::StatusOr<std::unique_ptr<engine::Connection>> {
          return connector_->Connect();
        },
        pool_options, options_.event_loop);
    return absl::OkStatus();
  }

  absl::StatusOr<dialect::CompiledStatement> Compile(const sql::Statement& statement) {
    absl::StatusOr<dialect::CompiledStatement> compiled = cache_.Compile(*dialect_, statement);
    if (compiled.ok()) {
      const sql::Select* select = std::get_if<sql::Select>(&statement);
      compiled->reads_only = select != nullptr && OnlyReads(select->data());
    }
    return compiled;
  }

  // Runs `compiled` on `connection`, reporting it when asked to.
  // Held to the thread's ScopedDeadline, if any.
  absl::StatusOr<std::unique_ptr<engine::Cursor>> Run(engine::Connection& connection,
                                                      const dialect::CompiledStatement& compiled,
                                                      engine::RunMode mode) const {
    if (ScopedDeadline::Current() != absl::InfiniteFuture()) {
      return RunWithDeadline(connection, compiled, mode);
    }
    if (!reporting()) return connection.Run(compiled, mode);
    const absl::Time start = absl::Now();
    return Reported(compiled, start, connection.Run(compiled, mode));
  }

  // RunMany on `connection`, reported as one statement.
  absl::StatusOr<int64_t> RunMany(engine::Connection& connection,
                                  const dialect::CompiledStatement& compiled, int64_t rows,
                                  engine::Connection::FillParams fill) const {
    DeadlineWatch watch(connection);
    DUO_RETURN_IF_ERROR(watch.CheckNotPast());
    if (!reporting()) {
      absl::StatusOr<int64_t> affected = connection.RunMany(compiled, rows, fill);
      DUO_RETURN_IF_ERROR(watch.Outcome(affected.status(), compiled.sql));
      return affected;
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<int64_t> affected = connection.RunMany(compiled, rows, fill);
    if (absl::Status outcome = watch.Outcome(affected.status(), compiled.sql); !outcome.ok()) {
      affected = outcome;
    }
    Report(compiled, absl::Now() - start, affected.status(), /*rows_returned=*/0,
           affected.ok() ? *affected : -1);
    return affected;
  }

  // A script (transaction control, DDL) on `connection`, reported.
  absl::Status Script(engine::Connection& connection, absl::string_view sql) const {
    DeadlineWatch watch(connection);
    DUO_RETURN_IF_ERROR(watch.CheckNotPast());
    if (!reporting()) return watch.Outcome(connection.ExecuteScript(sql), sql);
    const absl::Time start = absl::Now();
    absl::Status status = watch.Outcome(connection.ExecuteScript(sql), sql);
    ReportScript(sql, absl::Now() - start, status);
    return status;
  }

  absl::StatusOr<std::unique_ptr<engine::Cursor>> RunWithDeadline(
      engine::Connection& connection, const dialect::CompiledStatement& compiled,
      engine::RunMode mode) const {
    auto watch = std::make_unique<DeadlineWatch>(connection);
    DUO_RETURN_IF_ERROR(watch->CheckNotPast());
    const absl::Time start = reporting() ? absl::Now() : absl::InfinitePast();
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = connection.Run(compiled, mode);
    if (!cursor.ok()) {
      cursor = watch->Outcome(cursor.status(), compiled.sql);
    } else if (mode == engine::RunMode::kStreaming || connector_->buffered_cursors_read_lazily()) {
      // Rows still to be read from the database: when streaming, and on
      // databases that step rows on demand (SQLite) always.
      cursor = std::make_unique<WatchedCursor>(*std::move(cursor), std::move(watch), compiled.sql);
    } else if (absl::Status outcome = watch->Outcome(absl::OkStatus(), compiled.sql);
               !outcome.ok()) {
      cursor = outcome;
    }
    if (!reporting()) return cursor;
    return Reported(compiled, start, std::move(cursor));
  }

  // Whether statements are timed and reported at all: reading the clock
  // twice per statement is measurable on a hot insert loop.
  bool reporting() const { return reporting_; }

  // `cursor`, the outcome of running `compiled` from `start`, made to
  // report the statement: now if it failed, else once its rows are read
  // (see StatementEvent::duration). Only when reporting().
  absl::StatusOr<std::unique_ptr<engine::Cursor>> Reported(
      const dialect::CompiledStatement& compiled, absl::Time start,
      absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor) const;

  // Reports one statement to the callbacks (DatabaseOptions::echo,
  // on_statement, on_slow_statement) that want it.
  void Report(const dialect::CompiledStatement& compiled, absl::Duration duration,
              const absl::Status& status, int64_t rows_returned, int64_t rows_affected) const {
    const bool slow =
        duration >= options_.slow_statement_threshold && options_.on_slow_statement != nullptr;
    if (listeners_.empty() && !slow) return;
    StatementEvent event;
    event.sql = compiled.sql;
    event.sql_with_values = options_.echo_values ? dialect_->DebugSql(compiled) : compiled.sql;
    if (options_.echo_values) event.params = compiled.params;
    event.param_count = compiled.params.size();
    event.duration = duration;
    event.rows_returned = rows_returned;
    event.rows_affected = rows_affected;
    event.status = status;
    for (const auto& listener : listeners_) listener(event);
    if (slow) options_.on_slow_statement(event);
  }
  // A script: SQL without parameters or rows.
  void ReportScript(absl::string_view sql, absl::Duration duration,
                    const absl::Status& status) const {
    Report(dialect::CompiledStatement{std::string(sql), {}}, duration, status,
           /*rows_returned=*/0, /*rows_affected=*/-1);
  }

  engine::ConnectionPool& pool() { return *pool_; }
  const dialect::Dialect& dialect() const { return *dialect_; }
  const std::string& masked_url() const { return masked_url_; }
  const DatabaseOptions& options() const { return options_; }

  bool has_replicas() const { return !replicas_.empty(); }
  void AddReplica(std::shared_ptr<DatabaseState> replica) {
    auto added = std::make_unique<Replica>();
    added->state = std::move(replica);
    replicas_.push_back(std::move(added));
  }

  // Runs `compiled` on the next reachable replica and hands its cursor to
  // `read`; false in `*done` when it must run on the primary instead (no
  // replica reachable, or the replica refused it).
  absl::Status ReadOnReplica(const dialect::CompiledStatement& compiled,
                             absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                             engine::RunMode mode, bool* done) {
    *done = false;
    const size_t count = replicas_.size();
    const size_t first = next_replica_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < count; ++i) {
      Replica& replica = *replicas_[(first + i) % count];
      if (Skipped(replica)) continue;
      absl::StatusOr<engine::PooledConnection> connection =
          replica.state->pool().Acquire(ScopedDeadline::Current());
      if (!connection.ok()) {
        Skip(replica);
        continue;
      }
      absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
          replica.state->Run(**connection, compiled, mode);
      if (!cursor.ok()) {
        switch (ClassifyReplicaFailure(cursor.status())) {
          case ReplicaFailure::kFinal:
            *done = true;
            return cursor.status();
          case ReplicaFailure::kUnreachable:
            connection->Discard();
            Skip(replica);
            continue;
          case ReplicaFailure::kRefused:
            return absl::OkStatus();
        }
      }
      *done = true;
      return read(**cursor);
    }
    return absl::OkStatus();
  }

  // The next reachable replica's state, for the async calls (which check
  // reachability by acquiring); nullptr when every replica is skipped.
  Replica* NextReplica() {
    const size_t count = replicas_.size();
    const size_t first = next_replica_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < count; ++i) {
      Replica& replica = *replicas_[(first + i) % count];
      if (!Skipped(replica)) return &replica;
    }
    return nullptr;
  }

  bool Skipped(const Replica& replica) const {
    const int64_t until = replica.skip_until_nanos.load(std::memory_order_relaxed);
    return until != 0 && absl::GetCurrentTimeNanos() < until;
  }
  void Skip(Replica& replica) const {
    replica.skip_until_nanos.store(
        absl::GetCurrentTimeNanos() + absl::ToInt64Nanoseconds(options_.replica_retry_after),
        std::memory_order_relaxed);
  }

 private:
  engine::DatabaseUrl url_;  // handed to the driver by Init
  const std::string masked_url_;
  DatabaseOptions options_;
  // What Report calls for every statement: EchoStatement, on_statement.
  std::vector<std::function<void(const StatementEvent&)>> listeners_;
  bool reporting_ = false;
  // Set by Init, from the driver.
  std::unique_ptr<engine::Connector> connector_;
  const dialect::Dialect* dialect_ = nullptr;
  dialect::StatementCache cache_;
  // Read replicas; empty unless DatabaseOptions::replica_urls.
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::atomic<size_t> next_replica_{0};
  // Last: destroyed first, while what its factory uses still exists.
  std::unique_ptr<engine::ConnectionPool> pool_;
};

namespace {

// A cursor that reports its statement once: when Next() reaches the end or
// fails, or else when it is destroyed (rows left unread).
class ReportedCursor final : public ForwardingCursor {
 public:
  ReportedCursor(std::unique_ptr<engine::Cursor> cursor, const DatabaseState* database,
                 dialect::CompiledStatement compiled, absl::Time start)
      : ForwardingCursor(std::move(cursor)),
        database_(database),
        compiled_(std::move(compiled)),
        start_(start) {}
  ~ReportedCursor() override { Done(absl::OkStatus(), /*rows_affected=*/-1); }

  absl::StatusOr<bool> Next() override {
    absl::StatusOr<bool> more = ForwardingCursor::Next();
    if (!more.ok()) {
      Done(more.status(), -1);
    } else if (*more) {
      ++rows_;
    } else {
      Done(absl::OkStatus(), rows_affected());
    }
    return more;
  }

 private:
  void Done(const absl::Status& status, int64_t rows_affected) {
    if (reported_) return;
    reported_ = true;
    database_->Report(compiled_, absl::Now() - start_, status, rows_, rows_affected);
  }

  const DatabaseState* const database_;
  const dialect::CompiledStatement compiled_;
  const absl::Time start_;
  int64_t rows_ = 0;
  bool reported_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<engine::Cursor>> DatabaseState::Reported(
    const dialect::CompiledStatement& compiled, absl::Time start,
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor) const {
  if (!cursor.ok()) {
    Report(compiled, absl::Now() - start, cursor.status(), /*rows_returned=*/0,
           /*rows_affected=*/-1);
    return cursor;
  }
  return std::make_unique<ReportedCursor>(*std::move(cursor), this, compiled, start);
}

}  // namespace session_internal

namespace {

using session_internal::DatabaseState;

// ExecuteMany's rows of values as a FillParams, each checked against the
// statement's parameter count. `rows` must outlive it.
auto RowsFrom(const dialect::CompiledStatement& compiled,
              std::span<const std::vector<sql::Value>> rows) {
  return [&compiled, rows](int64_t row, std::vector<sql::Value>& params) -> absl::Status {
    const std::vector<sql::Value>& values = rows[static_cast<size_t>(row)];
    if (values.size() != compiled.params.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "has ", values.size(), " values; the statement takes ", compiled.params.size()));
    }
    params = values;
    return absl::OkStatus();
  };
}

// The statements of a transaction of `options`, as the dialect spells them.
dialect::TransactionStatements TransactionSql(const dialect::Dialect& dialect,
                                              const TransactionOptions& options) {
  using Isolation = dialect::TransactionSpec::Isolation;
  Isolation isolation = Isolation::kDefault;
  switch (options.isolation) {
    case IsolationLevel::kDefault:
      break;
    case IsolationLevel::kReadCommitted:
      isolation = Isolation::kReadCommitted;
      break;
    case IsolationLevel::kRepeatableRead:
      isolation = Isolation::kRepeatableRead;
      break;
    case IsolationLevel::kSerializable:
      isolation = Isolation::kSerializable;
      break;
  }
  return dialect.Transaction(
      {.isolation = isolation,
       .read_only = options.read_only,
       .lock_at_begin = options.sqlite_locking == SqliteLocking::kImmediate ||
                        (options.sqlite_locking == SqliteLocking::kAuto && !options.read_only)});
}

// A nested transaction's error, and the failure to undo its savepoint if
// that failed too.
absl::Status WithUndoFailure(absl::Status status, const absl::Status& undone) {
  if (undone.ok()) return status;
  return absl::Status(
      status.code(),
      absl::StrCat(status.message(), "; and undoing the savepoint failed: ", undone.message()));
}

}  // namespace

// ---- Statement callbacks -----------------------------------------------------

void EchoStatement(const StatementEvent& event) {
  std::fprintf(stderr, "duo: %s (%s)%s%s\n", event.sql_with_values.c_str(),
               absl::FormatDuration(event.duration).c_str(), event.status.ok() ? "" : " failed: ",
               event.status.ok() ? "" : std::string(event.status.message()).c_str());
}

// ---- Database ---------------------------------------------------------------

absl::StatusOr<Database> Database::Open(absl::string_view url, DatabaseOptions options) {
  DUO_ASSIGN_OR_RETURN(engine::DatabaseUrl parsed, engine::DatabaseUrl::Parse(url));
  return Open(std::move(parsed), std::move(options));
}

absl::StatusOr<Database> Database::FromEnvironment(DatabaseOptions options) {
  DUO_ASSIGN_OR_RETURN(engine::DatabaseUrl parsed, engine::DatabaseUrl::FromEnvironment());
  return Open(std::move(parsed), std::move(options));
}

absl::StatusOr<Database> Database::Open(engine::DatabaseUrl url, DatabaseOptions options) {
  std::vector<std::string> replica_urls = std::move(options.replica_urls);
  options.replica_urls.clear();
  DatabaseOptions replica_options;
  if (!replica_urls.empty()) replica_options = options;
  auto state = std::make_shared<DatabaseState>(std::move(url), std::move(options));
  DUO_RETURN_IF_ERROR(state->Init());
  for (const std::string& replica_url : replica_urls) {
    absl::StatusOr<engine::DatabaseUrl> parsed = engine::DatabaseUrl::Parse(replica_url);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("replica URL: ", parsed.status().message()));
    }
    auto replica = std::make_shared<DatabaseState>(*std::move(parsed), replica_options);
    DUO_RETURN_IF_ERROR(replica->Init());
    if (&replica->dialect() != &state->dialect()) {
      return absl::InvalidArgumentError(
          absl::StrCat("replica ", replica->masked_url(),
                       " is not the same kind of database as the primary ", state->masked_url()));
    }
    state->AddReplica(std::move(replica));
  }
  return Database(std::move(state));
}

Database Database::OnPrimary() const {
  Database view = *this;
  view.route_ = Route::kPrimary;
  return view;
}

Database Database::OnReplica() const {
  Database view = *this;
  view.route_ = Route::kReplica;
  return view;
}

bool Database::has_replicas() const { return state_->has_replicas(); }

bool Database::ToReplica(const dialect::CompiledStatement& compiled) const {
  return state_->has_replicas() && route_ != Route::kPrimary &&
         (compiled.reads_only || route_ == Route::kReplica);
}

absl::Status Database::Connect() const { return state_->pool().Acquire().status(); }

void Database::Disconnect() const { state_->pool().CloseIdle(); }

const dialect::Dialect& Database::dialect() const { return state_->dialect(); }

const std::string& Database::url() const { return state_->masked_url(); }

engine::ConnectionPool::Stats Database::pool_stats() const { return state_->pool().stats(); }

Session* Database::CurrentSession() const { return SessionContext::Current(state_.get()); }

absl::StatusOr<Result> Database::Execute(const sql::Statement& statement) const {
  if (Session* current = CurrentSession(); current != nullptr) {
    return current->Execute(statement);
  }
  Result result;
  DUO_RETURN_IF_ERROR(Read(statement, [&result](engine::Cursor& cursor) -> absl::Status {
    DUO_ASSIGN_OR_RETURN(result, Result::FromCursor(cursor));
    return absl::OkStatus();
  }));
  return result;
}

absl::Status Database::Read(const sql::Statement& statement,
                            absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                            engine::RunMode mode) const {
  if (Session* current = CurrentSession(); current != nullptr) {
    return current->Read(statement, read, mode);
  }
  DUO_ASSIGN_OR_RETURN(const dialect::CompiledStatement compiled, Compile(statement));
  return Read(compiled, read, mode);
}

absl::StatusOr<dialect::CompiledStatement> Database::Compile(
    const sql::Statement& statement) const {
  return state_->Compile(statement);
}

absl::Status Database::Read(const dialect::CompiledStatement& compiled,
                            absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                            engine::RunMode mode) const {
  if (Session* current = CurrentSession(); current != nullptr) {
    return current->Read(compiled, read, mode);
  }
  if (ToReplica(compiled)) {
    bool done = false;
    absl::Status status = state_->ReadOnReplica(compiled, read, mode, &done);
    if (done) return status;
  }
  // A statement of its own needs a connection, not a Session: no
  // transaction to end, no identity map. A connection the statement left
  // inside a transaction (a Text "BEGIN") is discarded by the pool.
  DUO_ASSIGN_OR_RETURN(engine::PooledConnection connection,
                       state_->pool().Acquire(ScopedDeadline::Current()));
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<engine::Cursor> cursor,
                       state_->Run(*connection, compiled, mode));
  return read(*cursor);
}

absl::StatusOr<int64_t> Database::ExecuteMany(const sql::Statement& statement,
                                              std::span<const std::vector<sql::Value>> rows) const {
  DUO_ASSIGN_OR_RETURN(const dialect::CompiledStatement compiled, Compile(statement));
  return ExecuteMany(compiled, static_cast<int64_t>(rows.size()), RowsFrom(compiled, rows));
}

absl::StatusOr<int64_t> Database::ExecuteMany(const dialect::CompiledStatement& compiled,
                                              int64_t rows,
                                              engine::Connection::FillParams fill) const {
  if (Session* current = CurrentSession();
      current != nullptr && (current->in_transaction() || current->began())) {
    return current->ExecuteMany(compiled, rows, fill);
  }
  int64_t affected = 0;
  DUO_RETURN_IF_ERROR(Transaction([&](Session& session) -> absl::Status {
    DUO_ASSIGN_OR_RETURN(affected, session.ExecuteMany(compiled, rows, fill));
    return absl::OkStatus();
  }));
  return affected;
}

absl::StatusOr<Session> Database::StandaloneSession() const {
  DUO_ASSIGN_OR_RETURN(engine::PooledConnection connection,
                       state_->pool().Acquire(ScopedDeadline::Current()));
  return Session(state_, std::move(connection));
}

absl::Status Database::Transaction(absl::FunctionRef<absl::Status(Session&)> body,
                                   TransactionOptions options) const {
  // A transaction the database ended is still the caller's: what runs
  // inside it fails (Session::CheckTransactionKept) instead of committing
  // on a connection of its own.
  if (Session* current = CurrentSession();
      current != nullptr && (current->in_transaction() || current->began())) {
    return current->RunNested(body);
  }
  DUO_ASSIGN_OR_RETURN(Session session, StandaloneSession());
  DUO_RETURN_IF_ERROR(session.Begin(options));
  absl::Status status;
  {
    SessionContext::Scope scope(state_.get(), &session);
    // If the body throws, ~Session rolls the transaction back as the
    // exception unwinds past it.
    status = body(session);
  }
  if (!status.ok()) {
    // The body's error is what the caller needs; a failing rollback closes
    // the connection instead (Session::Rollback discards it).
    session.Rollback().IgnoreError();
    return status;
  }
  if (!session.began()) {
    return absl::FailedPreconditionError(
        "the transaction was ended inside Database::Transaction; let Transaction commit or "
        "roll back, or use StandaloneSession");
  }
  return session.Commit();
}

// The async twins copy the Database handle into the task, which may outlive
// the object it was called on.

Task<absl::StatusOr<Session>> Database::StandaloneSessionAsync() const {
  return [](Database db) -> Task<absl::StatusOr<Session>> {
    DUO_CO_ASSIGN_OR_RETURN(engine::PooledConnection connection,
                            co_await db.state_->pool().AcquireAsync());
    co_return Session(db.state_, std::move(connection));
  }(*this);
}

Task<absl::Status> Database::ReplicaReadAsync(
    dialect::CompiledStatement compiled, absl::AnyInvocable<absl::Status(engine::Cursor&)>& read,
    engine::RunMode mode, absl::Duration timeout, bool* done) const {
  *done = true;
  while (session_internal::Replica* replica = state_->NextReplica()) {
    absl::StatusOr<engine::PooledConnection> connection =
        co_await replica->state->pool().AcquireAsync();
    if (!connection.ok()) {
      state_->Skip(*replica);
      continue;
    }
    Session session(replica->state, *std::move(connection));
    bool read_called = false;
    absl::Status status = co_await session.ReadAsync(
        compiled,
        [&read, &read_called](engine::Cursor& cursor) {
          read_called = true;
          return read(cursor);
        },
        mode, timeout);
    if (status.ok() || read_called) co_return status;
    switch (session_internal::ClassifyReplicaFailure(status)) {
      case session_internal::ReplicaFailure::kFinal:
        co_return status;
      case session_internal::ReplicaFailure::kUnreachable:
        state_->Skip(*replica);
        continue;
      case session_internal::ReplicaFailure::kRefused:
        *done = false;
        co_return absl::OkStatus();
    }
  }
  *done = false;
  co_return absl::OkStatus();
}

Task<absl::StatusOr<Result>> Database::ExecuteAsync(sql::Statement statement,
                                                    absl::Duration timeout) const {
  return [](Database db, sql::Statement statement,
            absl::Duration timeout) -> Task<absl::StatusOr<Result>> {
    if (Session* current = db.CurrentSession(); current != nullptr) {
      co_return co_await current->ExecuteAsync(std::move(statement), timeout);
    }
    if (db.state_->has_replicas() && db.route_ != Route::kPrimary) {
      DUO_CO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, db.Compile(statement));
      if (db.ToReplica(compiled)) {
        Result result;
        absl::AnyInvocable<absl::Status(engine::Cursor&)> read =
            [&result](engine::Cursor& cursor) -> absl::Status {
          DUO_ASSIGN_OR_RETURN(result, Result::FromCursor(cursor));
          return absl::OkStatus();
        };
        bool done = false;
        absl::Status status = co_await db.ReplicaReadAsync(
            std::move(compiled), read, engine::RunMode::kBuffered, timeout, &done);
        if (done) {
          if (!status.ok()) co_return status;
          co_return result;
        }
      }
    }
    DUO_CO_ASSIGN_OR_RETURN(Session session, co_await db.StandaloneSessionAsync());
    co_return co_await session.ExecuteAsync(std::move(statement), timeout);
  }(*this, std::move(statement), timeout);
}

Task<absl::Status> Database::ReadAsync(sql::Statement statement,
                                       absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                                       engine::RunMode mode) const {
  return [](Database db, sql::Statement statement,
            absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
            engine::RunMode mode) -> Task<absl::Status> {
    if (Session* current = db.CurrentSession(); current != nullptr) {
      co_return co_await current->ReadAsync(std::move(statement), std::move(read), mode);
    }
    if (db.state_->has_replicas() && db.route_ != Route::kPrimary) {
      DUO_CO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, db.Compile(statement));
      if (db.ToReplica(compiled)) {
        bool done = false;
        absl::Status status =
            co_await db.ReplicaReadAsync(compiled, read, mode, absl::InfiniteDuration(), &done);
        if (done) co_return status;
      }
      DUO_CO_ASSIGN_OR_RETURN(Session session, co_await db.StandaloneSessionAsync());
      co_return co_await session.ReadAsync(std::move(compiled), std::move(read), mode);
    }
    DUO_CO_ASSIGN_OR_RETURN(Session session, co_await db.StandaloneSessionAsync());
    co_return co_await session.ReadAsync(std::move(statement), std::move(read), mode);
  }(*this, std::move(statement), std::move(read), mode);
}

Task<absl::Status> Database::ReadAsync(dialect::CompiledStatement compiled,
                                       absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                                       engine::RunMode mode) const {
  return [](Database db, dialect::CompiledStatement compiled,
            absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
            engine::RunMode mode) -> Task<absl::Status> {
    if (Session* current = db.CurrentSession(); current != nullptr) {
      co_return co_await current->ReadAsync(std::move(compiled), std::move(read), mode);
    }
    if (db.ToReplica(compiled)) {
      bool done = false;
      absl::Status status =
          co_await db.ReplicaReadAsync(compiled, read, mode, absl::InfiniteDuration(), &done);
      if (done) co_return status;
    }
    DUO_CO_ASSIGN_OR_RETURN(Session session, co_await db.StandaloneSessionAsync());
    co_return co_await session.ReadAsync(std::move(compiled), std::move(read), mode);
  }(*this, std::move(compiled), std::move(read), mode);
}

absl::StatusOr<std::vector<Result>> Database::ExecuteBatch(
    const std::vector<sql::Statement>& statements) const {
  std::vector<Result> results;
  DUO_RETURN_IF_ERROR(Transaction([&](Session& session) -> absl::Status {
    DUO_ASSIGN_OR_RETURN(results, session.ExecuteBatch(statements));
    return absl::OkStatus();
  }));
  return results;
}

Task<absl::StatusOr<std::vector<Result>>> Database::ExecuteBatchAsync(
    std::vector<sql::Statement> statements) const {
  return [](Database db,
            std::vector<sql::Statement> statements) -> Task<absl::StatusOr<std::vector<Result>>> {
    std::vector<Result> results;
    DUO_CO_RETURN_IF_ERROR(
        co_await db.TransactionAsync([&](Session& session) -> Task<absl::Status> {
          DUO_CO_ASSIGN_OR_RETURN(results,
                                  co_await session.ExecuteBatchAsync(std::move(statements)));
          co_return absl::OkStatus();
        }));
    co_return results;
  }(*this, std::move(statements));
}

Task<absl::Status> Database::TransactionAsync(absl::AnyInvocable<Task<absl::Status>(Session&)> body,
                                              TransactionOptions options) const {
  return [](Database db, absl::AnyInvocable<Task<absl::Status>(Session&)> body,
            TransactionOptions options) -> Task<absl::Status> {
    if (Session* current = db.CurrentSession();
        current != nullptr && (current->in_transaction() || current->began())) {
      co_return co_await current->RunNestedAsync(body);
    }
    DUO_CO_ASSIGN_OR_RETURN(Session session, co_await db.StandaloneSessionAsync());
    DUO_CO_RETURN_IF_ERROR(co_await session.BeginAsync(options));
    absl::Status status;
    {
      // The scope lives in this task's context: the body's tasks inherit
      // it, other tasks never see it.
      SessionContext::Scope scope(db.state_.get(), &session);
      status = co_await body(session);
    }
    if (!status.ok()) {
      (co_await session.RollbackAsync()).IgnoreError();
      co_return status;
    }
    if (!session.began()) {
      co_return absl::FailedPreconditionError(
          "the transaction was ended inside Database::TransactionAsync; let it commit or roll "
          "back, or use StandaloneSessionAsync");
    }
    co_return co_await session.CommitAsync();
  }(*this, std::move(body), options);
}

// ---- Session ------------------------------------------------------------------

Session::Session(std::shared_ptr<DatabaseState> database, engine::PooledConnection connection)
    : database_(std::move(database)), connection_(std::move(connection)) {}

Session::Session(Session&&) noexcept = default;

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    Close();
    database_ = std::move(other.database_);
    connection_ = std::move(other.connection_);
    savepoints_created_ = other.savepoints_created_;
    began_ = std::exchange(other.began_, false);
    after_transaction_ = std::move(other.after_transaction_);
    identity_map_ = std::move(other.identity_map_);
  }
  return *this;
}

Session::~Session() { Close(); }

void Session::Close() {
  if (connection_ && connection_->InTransaction()) Rollback().IgnoreError();
  connection_ = engine::PooledConnection();
}

const dialect::Dialect& Session::dialect() const { return database_->dialect(); }

bool Session::in_transaction() const { return connection_ && connection_->InTransaction(); }

absl::StatusOr<std::unique_ptr<engine::Cursor>> Session::Run(const sql::Statement& statement,
                                                             engine::RunMode mode) {
  if (!connection_) return absl::FailedPreconditionError("the session was moved from");
  DUO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, database_->Compile(statement));
  return Run(compiled, mode);
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> Session::Run(
    const dialect::CompiledStatement& compiled, engine::RunMode mode) {
  if (!connection_) return absl::FailedPreconditionError("the session was moved from");
  DUO_RETURN_IF_ERROR(CheckTransactionKept());
  return database_->Run(*connection_, compiled, mode);
}

absl::StatusOr<Result> Session::Execute(const sql::Statement& statement) {
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<engine::Cursor> cursor,
                       Run(statement, engine::RunMode::kBuffered));
  return Result::FromCursor(*cursor);
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> Session::Stream(const sql::Statement& statement) {
  return Run(statement, engine::RunMode::kStreaming);
}

absl::Status Session::Read(const sql::Statement& statement,
                           absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                           engine::RunMode mode) {
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<engine::Cursor> cursor, Run(statement, mode));
  return read(*cursor);
}

absl::Status Session::Read(const dialect::CompiledStatement& compiled,
                           absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                           engine::RunMode mode) {
  DUO_ASSIGN_OR_RETURN(std::unique_ptr<engine::Cursor> cursor, Run(compiled, mode));
  return read(*cursor);
}

absl::Status Session::Script(absl::string_view sql) {
  if (!connection_) return absl::FailedPreconditionError("the session was moved from");
  DUO_RETURN_IF_ERROR(CheckTransactionKept());
  return database_->Script(*connection_, sql);
}

absl::Status Session::Begin(TransactionOptions options) {
  if (in_transaction()) {
    return absl::FailedPreconditionError("Begin: the session is already in a transaction");
  }
  dialect::TransactionStatements statements = TransactionSql(dialect(), options);
  DUO_RETURN_IF_ERROR(Script(statements.begin));
  began_ = true;
  if (!statements.after_begin.empty()) {
    DUO_RETURN_IF_ERROR(Script(statements.after_begin));
    after_transaction_ = std::move(statements.after_end);
  }
  return absl::OkStatus();
}

absl::Status Session::CheckTransactionKept() const {
  if (!began_ || !connection_ || connection_->InTransaction()) return absl::OkStatus();
  return DatabaseError(
      "the database ended this session's transaction on its own (it rolls back a deadlock's "
      "victim, or after some errors); statements would now run outside it and commit alone, so "
      "none runs: roll back and run the transaction again",
      {.kind = ErrorKind::kSerializationFailure});
}

void Session::ForgetTransaction() {
  began_ = false;
  identity_map_.Clear();
  if (!after_transaction_.empty()) Script(std::exchange(after_transaction_, "")).IgnoreError();
}

absl::Status Session::EndTransaction(const char* sql) {
  began_ = false;
  identity_map_.Clear();
  absl::Status status = Script(sql);
  if (!after_transaction_.empty()) {
    Script(after_transaction_).IgnoreError();
    after_transaction_.clear();
  }
  return status;
}

absl::Status Session::Commit() {
  if (!in_transaction()) {
    if (!began_) return absl::FailedPreconditionError("Commit: no transaction is open");
    absl::Status lost = CheckTransactionKept();
    ForgetTransaction();
    return lost;
  }
  return EndTransaction("COMMIT");
}

absl::Status Session::Rollback() {
  if (!in_transaction()) {
    if (!began_) return absl::FailedPreconditionError("Rollback: no transaction is open");
    ForgetTransaction();  // the database rolled it back already
    return absl::OkStatus();
  }
  absl::Status status = EndTransaction("ROLLBACK");
  // A connection that cannot roll back cannot be trusted with the next
  // transaction.
  if (!status.ok()) connection_.Discard();
  return status;
}

absl::StatusOr<int64_t> Session::ExecuteMany(const sql::Statement& statement,
                                             std::span<const std::vector<sql::Value>> rows) {
  if (!connection_) return absl::FailedPreconditionError("the session was moved from");
  DUO_ASSIGN_OR_RETURN(const dialect::CompiledStatement compiled, database_->Compile(statement));
  return ExecuteMany(compiled, static_cast<int64_t>(rows.size()), RowsFrom(compiled, rows));
}

absl::StatusOr<int64_t> Session::ExecuteMany(const dialect::CompiledStatement& compiled,
                                             int64_t rows, engine::Connection::FillParams fill) {
  if (!connection_) return absl::FailedPreconditionError("the session was moved from");
  DUO_RETURN_IF_ERROR(CheckTransactionKept());
  return database_->RunMany(*connection_, compiled, rows, fill);
}

absl::StatusOr<std::vector<Result>> Session::ExecuteBatch(
    const std::vector<sql::Statement>& statements) {
  std::vector<Result> results;
  results.reserve(statements.size());
  for (const sql::Statement& statement : statements) {
    DUO_ASSIGN_OR_RETURN(Result result, Execute(statement));
    results.push_back(std::move(result));
  }
  return results;
}

// ---- Session, async ---------------------------------------------------------

Task<absl::Status> Session::ReadAsync(sql::Statement statement,
                                      absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                                      engine::RunMode mode, absl::Duration timeout) {
  if (!connection_) co_return absl::FailedPreconditionError("the session was moved from");
  DUO_CO_ASSIGN_OR_RETURN(dialect::CompiledStatement compiled, database_->Compile(statement));
  co_return co_await ReadAsync(std::move(compiled), std::move(read), mode, timeout);
}

Task<absl::Status> Session::ReadAsync(dialect::CompiledStatement compiled,
                                      absl::AnyInvocable<absl::Status(engine::Cursor&)> read,
                                      engine::RunMode mode, absl::Duration timeout) {
  if (!connection_) co_return absl::FailedPreconditionError("the session was moved from");
  DUO_CO_RETURN_IF_ERROR(CheckTransactionKept());
  const bool reporting = database_->reporting();
  // The clock is read only when needed: a hot path without a timeout and
  // without statement callbacks does without.
  const absl::Time start =
      reporting || timeout != absl::InfiniteDuration() ? absl::Now() : absl::InfinitePast();
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : start + timeout;
  engine::Connection* const connection = connection_.get();
  engine::AsyncConnection* const async = connection->async();
  if (async != nullptr && mode == engine::RunMode::kBuffered) {
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
        co_await async->RunAsync(compiled, deadline);
    if (reporting) cursor = database_->Reported(compiled, start, std::move(cursor));
    if (!cursor.ok()) co_return cursor.status();
    co_return read(**cursor);
  }
  // Blocking calls go to the connection's worker; a timer interrupts them.
  async::EventLoop& loop = connection->event_loop();
  const uint64_t timer = deadline == absl::InfiniteFuture()
                             ? 0
                             : loop.AddTimer(deadline, [connection] { connection->Interrupt(); });
  absl::Status status = co_await connection->worker().Run([&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = connection->Run(compiled, mode);
    if (reporting) cursor = database_->Reported(compiled, start, std::move(cursor));
    if (!cursor.ok()) return cursor.status();
    return read(**cursor);
  });
  // Back on the loop thread, where the timer runs: it has run or never will.
  if (timer != 0) loop.CancelTimer(timer);
  co_return status;
}

Task<absl::StatusOr<Result>> Session::ExecuteAsync(sql::Statement statement,
                                                   absl::Duration timeout) {
  Result result;
  DUO_CO_RETURN_IF_ERROR(co_await ReadAsync(
      std::move(statement),
      [&result](engine::Cursor& cursor) -> absl::Status {
        DUO_ASSIGN_OR_RETURN(result, Result::FromCursor(cursor));
        return absl::OkStatus();
      },
      engine::RunMode::kBuffered, timeout));
  co_return result;
}

Task<absl::StatusOr<std::vector<Result>>> Session::ExecuteBatchAsync(
    std::vector<sql::Statement> statements) {
  if (!connection_) co_return absl::FailedPreconditionError("the session was moved from");
  DUO_CO_RETURN_IF_ERROR(CheckTransactionKept());
  engine::Connection* const connection = connection_.get();
  engine::AsyncConnection* const async = connection->async();
  if (async == nullptr) {
    co_return co_await connection->worker().Run([&] { return ExecuteBatch(statements); });
  }
  std::vector<dialect::CompiledStatement> compiled;
  compiled.reserve(statements.size());
  for (const sql::Statement& statement : statements) {
    DUO_CO_ASSIGN_OR_RETURN(dialect::CompiledStatement one, database_->Compile(statement));
    compiled.push_back(std::move(one));
  }
  const bool reporting = database_->reporting();
  const absl::Time start = reporting ? absl::Now() : absl::InfinitePast();
  absl::StatusOr<std::vector<std::unique_ptr<engine::Cursor>>> cursors =
      co_await async->RunBatchAsync(compiled, absl::InfiniteFuture());
  if (reporting) {
    if (!cursors.ok()) {
      // The pipeline fails as a whole: every statement in it is reported
      // with its error.
      const absl::Duration duration = absl::Now() - start;
      for (const dialect::CompiledStatement& one : compiled) {
        database_->Report(one, duration, cursors.status(), /*rows_returned=*/0,
                          /*rows_affected=*/-1);
      }
    } else {
      for (size_t i = 0; i < cursors->size(); ++i) {
        absl::StatusOr<std::unique_ptr<engine::Cursor>> reported =
            database_->Reported(compiled[i], start, std::move((*cursors)[i]));
        (*cursors)[i] = *std::move(reported);  // cannot fail: the cursor was there
      }
    }
  }
  if (!cursors.ok()) co_return cursors.status();
  std::vector<Result> results;
  results.reserve(cursors->size());
  for (std::unique_ptr<engine::Cursor>& cursor : *cursors) {
    DUO_CO_ASSIGN_OR_RETURN(Result result, Result::FromCursor(*cursor));
    results.push_back(std::move(result));
  }
  co_return results;
}

Task<absl::Status> Session::ExecuteScriptAsync(std::string sql) {
  if (!connection_) co_return absl::FailedPreconditionError("the session was moved from");
  DUO_CO_RETURN_IF_ERROR(CheckTransactionKept());
  engine::Connection* const connection = connection_.get();
  const bool reporting = database_->reporting();
  const absl::Time start = reporting ? absl::Now() : absl::InfinitePast();
  absl::Status status;
  if (engine::AsyncConnection* async = connection->async(); async != nullptr) {
    status = co_await async->ExecuteScriptAsync(sql, absl::InfiniteFuture());
    if (reporting) database_->ReportScript(sql, absl::Now() - start, status);
  } else {
    status = co_await connection->worker().Run([&] {
      absl::Status done = connection->ExecuteScript(sql);
      // On the worker, like the statements it runs.
      if (reporting) database_->ReportScript(sql, absl::Now() - start, done);
      return done;
    });
  }
  co_return status;
}

Task<absl::Status> Session::BeginAsync(TransactionOptions options) {
  if (in_transaction()) {
    co_return absl::FailedPreconditionError("Begin: the session is already in a transaction");
  }
  dialect::TransactionStatements statements = TransactionSql(dialect(), options);
  DUO_CO_RETURN_IF_ERROR(co_await ExecuteScriptAsync(std::move(statements.begin)));
  began_ = true;
  if (!statements.after_begin.empty()) {
    DUO_CO_RETURN_IF_ERROR(co_await ExecuteScriptAsync(std::move(statements.after_begin)));
    after_transaction_ = std::move(statements.after_end);
  }
  co_return absl::OkStatus();
}

Task<absl::Status> Session::EndTransactionAsync(const char* sql) {
  began_ = false;
  identity_map_.Clear();
  absl::Status status = co_await ExecuteScriptAsync(sql);
  if (!after_transaction_.empty()) {
    (co_await ExecuteScriptAsync(std::exchange(after_transaction_, std::string()))).IgnoreError();
  }
  co_return status;
}

Task<absl::Status> Session::CommitAsync() {
  if (!in_transaction()) {
    if (!began_) co_return absl::FailedPreconditionError("Commit: no transaction is open");
    absl::Status lost = CheckTransactionKept();
    ForgetTransaction();
    co_return lost;
  }
  co_return co_await EndTransactionAsync("COMMIT");
}

Task<absl::Status> Session::RollbackAsync() {
  if (!in_transaction()) {
    if (!began_) co_return absl::FailedPreconditionError("Rollback: no transaction is open");
    ForgetTransaction();
    co_return absl::OkStatus();
  }
  absl::Status status = co_await EndTransactionAsync("ROLLBACK");
  if (!status.ok()) connection_.Discard();
  co_return status;
}

Task<absl::Status> Session::RunNestedAsync(absl::AnyInvocable<Task<absl::Status>(Session&)>& body) {
  const std::string savepoint = absl::StrCat("duo_savepoint_", ++savepoints_created_);
  DUO_CO_RETURN_IF_ERROR(co_await ExecuteScriptAsync(absl::StrCat("SAVEPOINT ", savepoint)));
  absl::Status status = co_await body(*this);
  if (status.ok())
    co_return co_await ExecuteScriptAsync(absl::StrCat("RELEASE SAVEPOINT ", savepoint));
  identity_map_.Clear();
  absl::Status undone =
      co_await ExecuteScriptAsync(absl::StrCat("ROLLBACK TO SAVEPOINT ", savepoint));
  if (undone.ok())
    undone = co_await ExecuteScriptAsync(absl::StrCat("RELEASE SAVEPOINT ", savepoint));
  co_return WithUndoFailure(std::move(status), undone);
}

absl::Status Session::RunNested(absl::FunctionRef<absl::Status(Session&)> body) {
  const std::string savepoint = absl::StrCat("duo_savepoint_", ++savepoints_created_);
  DUO_RETURN_IF_ERROR(Script(absl::StrCat("SAVEPOINT ", savepoint)));
  // An exception leaves the savepoint to the enclosing Transaction, which
  // rolls everything back as the exception passes it.
  absl::Status status = body(*this);
  if (status.ok()) return Script(absl::StrCat("RELEASE SAVEPOINT ", savepoint));
  // Undo only the nested part; the outer transaction goes on. Objects
  // loaded or saved inside it may now differ from their rows.
  identity_map_.Clear();
  absl::Status undone = Script(absl::StrCat("ROLLBACK TO SAVEPOINT ", savepoint));
  if (undone.ok()) undone = Script(absl::StrCat("RELEASE SAVEPOINT ", savepoint));
  return WithUndoFailure(std::move(status), undone);
}

}  // namespace duo
