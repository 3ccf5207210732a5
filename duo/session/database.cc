#include "duo/session/database.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/dialect/statement_cache.h"
#include "duo/engine/postgres/driver.h"
#include "duo/engine/sqlite/driver.h"
#include "duo/engine/url.h"
#include "duo/session/context.h"

namespace duo {
namespace session_internal {

class DatabaseState {
 public:
  DatabaseState(engine::DatabaseUrl url, DatabaseOptions options)
      : url_(std::move(url)),
        masked_url_(url_.ToString()),
        options_(std::move(options)),
        dialect_(url_.backend == engine::DatabaseUrl::Backend::kSqlite
                     ? &dialect::SqliteDialect()
                     : &dialect::PostgresDialect()) {}

  // Prepares what the connections share; the pool is built here because
  // an in-memory SQLite database changes its shape.
  absl::Status Init() {
    engine::PoolOptions pool_options = options_.pool;
    if (url_.backend == engine::DatabaseUrl::Backend::kSqlite) {
      sqlite_options_.busy_timeout = options_.sqlite_busy_timeout;
      sqlite_options_.read_only = url_.Option("mode") == "ro";
      if (url_.in_memory()) {
        // A private shared-cache database, kept alive by an anchor
        // connection, served by a single pooled connection at a time.
        static std::atomic<int> counter{0};
        sqlite_options_.filename = absl::StrCat("file:duo-memory-", getpid(), "-", ++counter,
                                                "?mode=memory&cache=shared");
        DUO_ASSIGN_OR_RETURN(anchor_, engine::OpenSqlite(sqlite_options_));
        pool_options.size = 1;
        pool_options.max_overflow = 0;
      } else {
        sqlite_options_.filename = std::filesystem::absolute(url_.database).string();
      }
    } else {
      postgres_options_.conninfo = url_.LibpqConnInfo();
      postgres_options_.application_name = options_.application_name;
      postgres_options_.statement_timeout = options_.statement_timeout;
    }
    pool_ = std::make_unique<engine::ConnectionPool>(
        [this]() -> absl::StatusOr<std::unique_ptr<engine::Connection>> { return Open(); },
        pool_options);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<engine::Connection>> Open() const {
    if (url_.backend == engine::DatabaseUrl::Backend::kSqlite) {
      return engine::OpenSqlite(sqlite_options_);
    }
    absl::StatusOr<std::unique_ptr<engine::Connection>> connection =
        engine::OpenPostgres(postgres_options_);
    if (!connection.ok()) {
      // libpq's messages name the host, never the password; add which
      // database (masked) the caller asked for.
      return absl::Status(connection.status().code(),
                          absl::StrCat(connection.status().message(), " (", masked_url_, ")"));
    }
    return connection;
  }

  absl::StatusOr<dialect::CompiledStatement> Compile(const sql::Statement& statement) {
    return cache_.Compile(*dialect_, statement);
  }

  // Whether statements are timed at all: reading the clock twice per
  // statement is measurable on a hot insert loop.
  bool reporting() const { return options_.echo || options_.on_slow_statement != nullptr; }

  // Echo and slow-statement reporting around one statement.
  void Report(const dialect::CompiledStatement& compiled, absl::Duration duration,
              const absl::Status& status) const {
    const bool slow = duration >= options_.slow_statement_threshold &&
                      options_.on_slow_statement != nullptr;
    if (!options_.echo && !slow) return;
    StatementEvent event{compiled.sql,
                         options_.echo_values ? dialect_->DebugSql(compiled) : compiled.sql,
                         duration, status};
    if (options_.echo) {
      std::fprintf(stderr, "duo: %s (%s)%s%s\n", event.sql_with_values.c_str(),
                   absl::FormatDuration(duration).c_str(), status.ok() ? "" : " failed: ",
                   status.ok() ? "" : std::string(status.message()).c_str());
    }
    if (slow) options_.on_slow_statement(event);
  }

  engine::ConnectionPool& pool() { return *pool_; }
  const dialect::Dialect& dialect() const { return *dialect_; }
  const std::string& masked_url() const { return masked_url_; }

 private:
  const engine::DatabaseUrl url_;
  const std::string masked_url_;
  const DatabaseOptions options_;
  const dialect::Dialect* const dialect_;
  engine::SqliteOptions sqlite_options_;
  engine::PostgresOptions postgres_options_;
  std::unique_ptr<engine::Connection> anchor_;
  dialect::StatementCache cache_;
  // Last: destroyed first, while what its factory uses still exists.
  std::unique_ptr<engine::ConnectionPool> pool_;
};

}  // namespace session_internal

namespace {

using session_internal::DatabaseState;

std::string BeginStatement(const dialect::Dialect& dialect, const TransactionOptions& options) {
  if (dialect.name() != "postgresql") return "BEGIN";
  std::string sql = "BEGIN";
  switch (options.isolation) {
    case IsolationLevel::kDefault:
      break;
    case IsolationLevel::kReadCommitted:
      sql += " ISOLATION LEVEL READ COMMITTED";
      break;
    case IsolationLevel::kRepeatableRead:
      sql += " ISOLATION LEVEL REPEATABLE READ";
      break;
    case IsolationLevel::kSerializable:
      sql += " ISOLATION LEVEL SERIALIZABLE";
      break;
  }
  if (options.read_only) sql += " READ ONLY";
  return sql;
}

}  // namespace

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
  auto state = std::make_shared<DatabaseState>(std::move(url), std::move(options));
  DUO_RETURN_IF_ERROR(state->Init());
  return Database(std::move(state));
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
  DUO_ASSIGN_OR_RETURN(Session session, StandaloneSession());
  return session.Execute(statement);
}

absl::Status Database::Read(const sql::Statement& statement,
                            absl::FunctionRef<absl::Status(engine::Cursor&)> read,
                            engine::RunMode mode) const {
  if (Session* current = CurrentSession(); current != nullptr) {
    return current->Read(statement, read, mode);
  }
  DUO_ASSIGN_OR_RETURN(Session session, StandaloneSession());
  return session.Read(statement, read, mode);
}

absl::StatusOr<Session> Database::StandaloneSession() const {
  DUO_ASSIGN_OR_RETURN(engine::PooledConnection connection, state_->pool().Acquire());
  return Session(state_, std::move(connection));
}

absl::Status Database::Transaction(absl::FunctionRef<absl::Status(Session&)> body,
                                   TransactionOptions options) const {
  if (Session* current = CurrentSession(); current != nullptr && current->in_transaction()) {
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
  if (!session.in_transaction()) {
    return absl::FailedPreconditionError(
        "the transaction was ended inside Database::Transaction; let Transaction commit or "
        "roll back, or use StandaloneSession");
  }
  return session.Commit();
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
    read_only_ = other.read_only_;
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
  if (!database_->reporting()) return connection_->Run(compiled, mode);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = connection_->Run(compiled, mode);
  database_->Report(compiled, absl::Now() - start, cursor.status());
  return cursor;
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

absl::Status Session::Script(absl::string_view sql) {
  if (!connection_) return absl::FailedPreconditionError("the session was moved from");
  const absl::Time start = absl::Now();
  absl::Status status = connection_->ExecuteScript(sql);
  database_->Report({std::string(sql), {}}, absl::Now() - start, status);
  return status;
}

absl::Status Session::Begin(TransactionOptions options) {
  if (in_transaction()) {
    return absl::FailedPreconditionError("Begin: the session is already in a transaction");
  }
  DUO_RETURN_IF_ERROR(Script(BeginStatement(dialect(), options)));
  if (options.read_only && dialect().name() == "sqlite") {
    DUO_RETURN_IF_ERROR(Script("PRAGMA query_only = ON"));
    read_only_ = true;
  }
  return absl::OkStatus();
}

absl::Status Session::Commit() {
  if (!in_transaction()) return absl::FailedPreconditionError("Commit: no transaction is open");
  identity_map_.Clear();
  absl::Status status = Script("COMMIT");
  if (read_only_) {
    Script("PRAGMA query_only = OFF").IgnoreError();
    read_only_ = false;
  }
  return status;
}

absl::Status Session::Rollback() {
  if (!in_transaction()) return absl::FailedPreconditionError("Rollback: no transaction is open");
  identity_map_.Clear();
  absl::Status status = Script("ROLLBACK");
  if (read_only_) {
    Script("PRAGMA query_only = OFF").IgnoreError();
    read_only_ = false;
  }
  // A connection that cannot roll back cannot be trusted with the next
  // transaction.
  if (!status.ok()) connection_.Discard();
  return status;
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
  if (!undone.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), "; and undoing the savepoint failed: ",
                                     undone.message()));
  }
  return status;
}

}  // namespace duo
