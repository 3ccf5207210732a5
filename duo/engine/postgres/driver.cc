#include "duo/engine/postgres/driver.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/async/task.h"
#include "duo/base/lru_cache.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/engine/error.h"
#include "duo/engine/postgres/codec.h"
#include "libpq-fe.h"

// Result format. libpq takes one format for all of a statement's columns,
// so the choice is per driver, not per column type. result_format_bench.cc
// reads 100,000 rows of (int8, float8, text, timestamptz) with raw libpq;
// medians of 5 runs (-c opt) on a shared 2-core x86-64 machine, PostgreSQL
// 15 on the same machine over a unix socket:
//
//                                    text        binary
//   PQexecParams + decode            49.4 ms     25.1 ms    2.0x
//   single-row mode + decode         32.1 ms     21.0 ms    1.5x
//   decode only (result in memory)    7.50 ms     1.68 ms   4.5x
//
// An earlier run gave 49.6 / 29.7, 35.7 / 20.8 and 7.65 / 1.70 ms. Binary
// wins on both ends: the server skips formatting numbers and timestamps,
// the client skips parsing them, and bytea arrives raw instead of hex, so
// GetBytes can return a view into the result. The price is a decoder per
// type (codec.cc); types without one are read by casting them to text in
// the SQL.

namespace duo::engine {
namespace {

using postgres_internal::EncodedParams;

constexpr int kBinaryResults = 1;

struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

struct FinishConnection {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using ConnectionPtr = std::unique_ptr<PGconn, FinishConnection>;

// ---- Errors ------------------------------------------------------------------

ErrorKind KindForSqlstate(absl::string_view sqlstate) {
  if (sqlstate == "23505") return ErrorKind::kUniqueViolation;
  if (sqlstate == "23503") return ErrorKind::kForeignKeyViolation;
  if (sqlstate == "23502") return ErrorKind::kNotNullViolation;
  if (sqlstate == "23514") return ErrorKind::kCheckViolation;
  if (sqlstate == "25P02") return ErrorKind::kTransactionAborted;
  if (sqlstate == "40001" || sqlstate == "40P01") return ErrorKind::kSerializationFailure;
  if (sqlstate == "57014") return ErrorKind::kTimeout;
  // A protocol violation on a connection that is still up is a bad request,
  // not a lost connection: a statement given fewer values than it has
  // placeholders fails this way.
  if (sqlstate == "08P01") return ErrorKind::kProgramming;
  const absl::string_view error_class = sqlstate.substr(0, 2);
  if (error_class == "08") return ErrorKind::kConnectionLost;
  if (error_class == "42") return ErrorKind::kProgramming;
  if (error_class == "22") return ErrorKind::kDataError;
  // Insufficient resources: disk_full, out_of_memory, too_many_connections.
  if (error_class == "53") return ErrorKind::kResourceExhausted;
  return ErrorKind::kOther;
}

std::string ResultField(const PGresult* result, int field) {
  const char* value = result != nullptr ? PQresultErrorField(result, field) : nullptr;
  return value != nullptr ? value : "";
}

// libpq's own messages ("server closed the connection unexpectedly\n\tThis
// probably means...") without the explanation lines.
std::string FirstLine(absl::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

// The error of a failed `result` (null when libpq had none to give). A
// connection that went bad is lost whatever the server said last: a killed
// backend reports 57P01 before it hangs up.
absl::Status ServerError(PGconn* conn, const PGresult* result, absl::string_view sql) {
  ErrorDetails details{.sqlstate = ResultField(result, PG_DIAG_SQLSTATE),
                       .constraint = ResultField(result, PG_DIAG_CONSTRAINT_NAME),
                       .sql = std::string(sql)};
  details.kind = PQstatus(conn) == CONNECTION_BAD ? ErrorKind::kConnectionLost
                                                  : KindForSqlstate(details.sqlstate);
  // The primary message alone: the detail line may quote the row's values.
  std::string message = ResultField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty() && result != nullptr) message = FirstLine(PQresultErrorMessage(result));
  if (message.empty()) message = FirstLine(PQerrorMessage(conn));
  if (message.empty() && result != nullptr) {
    // Not an error the server sent: a result of a kind the caller did not
    // expect. Say which, rather than nothing.
    message = absl::StrCat("unexpected result ", PQresStatus(PQresultStatus(result)));
  }
  return DatabaseError(std::move(message), std::move(details));
}

absl::Status ProgrammingError(std::string message, absl::string_view sql) {
  return DatabaseError(std::move(message),
                       {.kind = ErrorKind::kProgramming, .sql = std::string(sql)});
}

// The protocol counts a statement's parameters in 16 bits; libpq refuses
// more with a message that does not say which statement or why.
constexpr size_t kMaxParams = 65535;

absl::Status CheckParamCount(const dialect::CompiledStatement& statement) {
  if (statement.params.size() <= kMaxParams) return absl::OkStatus();
  return ProgrammingError(
      absl::StrCat("the statement binds ", statement.params.size(),
                   " values; PostgreSQL takes at most 65535 per statement (an IN list of "
                   "bound values longer than ",
                   dialect::kPostgresMaxInlineInList,
                   " binds them as one array: put many values there)"),
      statement.sql);
}

absl::Status DataError(std::string message, absl::string_view sql) {
  return DatabaseError(std::move(message),
                       {.kind = ErrorKind::kDataError, .sql = std::string(sql)});
}

// ---- Results -----------------------------------------------------------------

// Reads and drops what remains of the current command, so that the
// connection can take the next one.
void Drain(PGconn* conn) {
  while (PGresult* result = PQgetResult(conn)) PQclear(result);
}

// COPY FROM STDIN / TO STDOUT would leave the connection waiting for data
// DuoORM never sends or reads: end it, then report misuse.
absl::Status AbandonCopy(PGconn* conn, ExecStatusType status, absl::string_view sql) {
  if (status == PGRES_COPY_IN) {
    PQputCopyEnd(conn, "DuoORM does not run COPY FROM STDIN");
  } else if (status == PGRES_COPY_OUT) {
    char* buffer = nullptr;
    while (PQgetCopyData(conn, &buffer, /*async=*/0) > 0) PQfreemem(buffer);
  }
  Drain(conn);
  return ProgrammingError("COPY to or from the client is not supported", sql);
}

// OK when `result` ended a statement or holds (some of) its rows; the
// command is drained on error.
absl::Status CheckResult(PGconn* conn, const PGresult* result, absl::string_view sql) {
  const ExecStatusType status = PQresultStatus(result);
  switch (status) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_SINGLE_TUPLE:
      return absl::OkStatus();
    case PGRES_EMPTY_QUERY:
      return ProgrammingError("the SQL holds no statement", sql);
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
      return AbandonCopy(conn, status, sql);
    default:
      absl::Status error = ServerError(conn, result, sql);
      Drain(conn);
      return error;
  }
}

// Rows a statement inserted, updated or deleted: PQcmdTuples also counts
// the rows a SELECT (or CREATE TABLE AS, FETCH, MOVE) returned, which the
// interface does not, as on SQLite.
int64_t RowsAffected(PGresult* result) {
  const absl::string_view tag = PQcmdStatus(result);
  if (absl::StartsWith(tag, "SELECT") || absl::StartsWith(tag, "FETCH") ||
      absl::StartsWith(tag, "MOVE")) {
    return 0;
  }
  int64_t rows = 0;
  return absl::SimpleAtoi(PQcmdTuples(result), &rows) ? rows : 0;
}

// ---- Types the database created ----------------------------------------------

// What the driver learns about types with OIDs a database assigns (enums,
// an extension's citext), whose binary forms differ per type: one catalog
// query per type per connection, cached. A type whose send function sends
// its text (every enum, citext) is read as text; any other is not read.
class CreatedTypes {
 public:
  explicit CreatedTypes(PGconn* conn) : conn_(conn) {}

  // Whether `type`'s binary form is its text. Asks the server the first
  // time, which needs the connection idle: a streaming cursor cannot, so
  // streams look up their result columns' types before they start
  // (PostgresConnection::LookUpResultTypes), and `connection_busy` with a
  // type not yet known is left for a statement that bypassed that.
  absl::StatusOr<bool> SendsText(Oid type, bool connection_busy) {
    const auto found = sends_text_.find(type);
    if (found != sends_text_.end()) return found->second;
    if (connection_busy) {
      return absl::InvalidArgumentError(absl::StrCat(
          "holds ", postgres_internal::TypeName(type),
          " (a type the database created), which a streaming result cannot look up; read it "
          "once in a buffered result, or cast it to text in the SQL"));
    }
    const std::string oid = absl::StrCat(type);
    const char* values[] = {oid.c_str()};
    ResultPtr result(
        PQexecParams(conn_,
                     "SELECT p.proname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_proc p "
                     "ON p.oid = t.typsend WHERE t.oid = $1::oid",
                     1, nullptr, values, nullptr, nullptr, /*resultFormat=*/0));
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("holds ", postgres_internal::TypeName(type),
                       ", which the driver could not look up: ", FirstLine(PQerrorMessage(conn_))));
    }
    bool text = false;
    if (PQntuples(result.get()) == 1) {
      const absl::string_view send = PQgetvalue(result.get(), 0, 0);
      text = send == "enum_send" || send == "textsend" || send == "varcharsend" ||
             send == "bpcharsend" || send == "namesend" || send == "citextsend";
    }
    sends_text_[type] = text;
    return text;
  }

 private:
  PGconn* conn_;
  absl::flat_hash_map<Oid, bool> sends_text_;
};

// ---- Cursor ------------------------------------------------------------------

// Reads a buffered result (every row in one PGresult) or a stream of
// single-row results, which it fetches from the connection as Next() goes.
class PostgresCursor final : public Cursor {
 public:
  // `first` is the whole result, or the first of a stream on `stream`;
  // `*streaming` is cleared when the stream ends.
  // `created_types` (the connection's) reads types the database created.
  PostgresCursor(ResultPtr first, std::string sql, PGconn* stream, bool* streaming,
                 CreatedTypes* created_types);
  ~PostgresCursor() override { EndStream(); }

  absl::StatusOr<bool> Next() override;

  int column_count() const override { return static_cast<int>(names_.size()); }
  absl::string_view column_name(int column) const override;

  bool IsNull(int column) const override;
  absl::StatusOr<bool> GetBool(int column) const override {
    return Get(column, postgres_internal::DecodeBool);
  }
  absl::StatusOr<int64_t> GetInt(int column) const override {
    absl::string_view bytes;
    if (!Locate(column, bytes)) return FieldError(column);
    int64_t value;
    if (postgres_internal::DecodeCommonInt(types_[column], bytes, value)) return value;
    return Decoded(column, postgres_internal::DecodeInt(types_[column], bytes));
  }
  absl::StatusOr<double> GetDouble(int column) const override {
    absl::string_view bytes;
    if (!Locate(column, bytes)) return FieldError(column);
    double value;
    if (postgres_internal::DecodeCommonDouble(types_[column], bytes, value)) return value;
    return Decoded(column, postgres_internal::DecodeDouble(types_[column], bytes));
  }
  absl::StatusOr<absl::string_view> GetText(int column) const override {
    absl::string_view bytes;
    if (!Locate(column, bytes)) return FieldError(column);
    if (postgres_internal::IsCommonText(types_[column])) return bytes;
    absl::StatusOr<absl::string_view> text = postgres_internal::DecodeText(types_[column], bytes);
    if (text.ok()) return text;
    return Decoded(column, TextOf(column, bytes));
  }
  absl::StatusOr<absl::string_view> GetBytes(int column) const override {
    return Get(column, postgres_internal::DecodeBytes);
  }
  absl::StatusOr<absl::Time> GetTimestamp(int column) const override {
    return Get(column, postgres_internal::DecodeTimestamp);
  }
  absl::StatusOr<absl::CivilDay> GetDate(int column) const override {
    return Get(column, postgres_internal::DecodeDate);
  }
  absl::StatusOr<sql::Decimal> GetDecimal(int column) const override {
    return Get(column, postgres_internal::DecodeDecimal);
  }
  absl::StatusOr<sql::Array> GetArray(int column) const override {
    return Get(column, postgres_internal::DecodeArray);
  }
  absl::StatusOr<sql::Value> GetValue(int column) const override;
  absl::Status ReadRow(std::span<const RowSlot> slots, int first, void* object) const override;

  int64_t rows_affected() const override { return rows_affected_; }

 private:
  enum class State { kReading, kOnRow, kDone, kFailed };

  bool streaming() const { return stream_ != nullptr; }
  // Moves result_ to its next row, fetching the next result of a stream.
  absl::StatusOr<bool> Advance();
  void Finish();
  void EndStream();
  absl::Status CheckColumn(int column) const;
  // A field of a type the codec does not read as text, as its text: what
  // psql would print for a built-in type (kept in rendered_ until the next
  // row), the bytes themselves for a created type that sends its text.
  absl::StatusOr<absl::string_view> TextOf(int column, absl::string_view bytes) const;

  // The current row's bytes in `column`; false when there is no current
  // row, no such column, or the field is NULL (FieldError says which). Every
  // getter runs this per field, so it asks libpq as little as it can.
  bool Locate(int column, absl::string_view& bytes) const {
    if (state_ != State::kOnRow || static_cast<size_t>(column) >= types_.size()) return false;
    const int length = PQgetlength(result_.get(), row_, column);
    // A NULL has length 0: only an empty field needs the second question.
    if (length == 0 && PQgetisnull(result_.get(), row_, column)) return false;
    bytes = absl::string_view(PQgetvalue(result_.get(), row_, column), static_cast<size_t>(length));
    return true;
  }
  // Why Locate returned false.
  absl::Status FieldError(int column) const;
  absl::Status ValueError(int column, absl::string_view what) const;

  // A decoder's result, its error naming the column.
  template <typename T>
  absl::StatusOr<T> Decoded(int column, absl::StatusOr<T> value) const {
    if (!value.ok()) return ValueError(column, value.status().message());
    return value;
  }

  template <typename T>
  absl::StatusOr<T> Get(int column, absl::StatusOr<T> (*decode)(Oid, absl::string_view)) const {
    absl::string_view bytes;
    if (!Locate(column, bytes)) return FieldError(column);
    return Decoded(column, decode(types_[column], bytes));
  }

  ResultPtr result_;
  const std::string sql_;
  PGconn* stream_;   // null once the stream ended, and for buffered results
  bool* streaming_;  // the connection's flag
  std::vector<std::string> names_;
  std::vector<Oid> types_;
  CreatedTypes* created_types_;
  mutable std::vector<std::string> rendered_;  // per column, see TextOf
  int row_ = -1;
  State state_ = State::kReading;
  absl::Status error_;
  int64_t rows_affected_ = 0;
};

// Names and types come from the first result: later ones of a stream have
// the same, and the names must outlive each row.
PostgresCursor::PostgresCursor(ResultPtr first, std::string sql, PGconn* stream, bool* streaming,
                               CreatedTypes* created_types)
    : result_(std::move(first)),
      sql_(std::move(sql)),
      stream_(stream),
      streaming_(streaming),
      created_types_(created_types) {
  const int columns = PQnfields(result_.get());
  names_.reserve(columns);
  types_.reserve(columns);
  for (int i = 0; i < columns; ++i) {
    names_.emplace_back(PQfname(result_.get(), i));
    types_.push_back(PQftype(result_.get(), i));
  }
}

absl::StatusOr<bool> PostgresCursor::Next() {
  switch (state_) {
    case State::kDone:
      return false;
    case State::kFailed:
      return error_;
    default:
      break;
  }
  absl::StatusOr<bool> more = Advance();
  if (!more.ok()) {
    state_ = State::kFailed;
    error_ = more.status();
    Finish();
  } else if (!*more) {
    state_ = State::kDone;
    rows_affected_ = RowsAffected(result_.get());
    Finish();
  } else {
    state_ = State::kOnRow;
  }
  return more;
}

absl::StatusOr<bool> PostgresCursor::Advance() {
  ++row_;
  while (row_ >= PQntuples(result_.get())) {
    // Only a single-row result has a successor; any other ends the rows.
    if (PQresultStatus(result_.get()) != PGRES_SINGLE_TUPLE || !streaming()) return false;
    result_.reset(PQgetResult(stream_));
    row_ = 0;
    if (result_ == nullptr) {
      return DatabaseError("the result ended without a final status",
                           {.kind = ErrorKind::kOther, .sql = sql_});
    }
    DUO_RETURN_IF_ERROR(CheckResult(stream_, result_.get(), sql_));
  }
  return true;
}

// Frees the rows as soon as they are read, and hands the connection back.
void PostgresCursor::Finish() {
  EndStream();
  if (state_ == State::kDone || state_ == State::kFailed) result_.reset();
}

// Rows not yet read are read and dropped: cancelling instead would abort a
// data-changing statement (and with it the transaction) half done.
void PostgresCursor::EndStream() {
  if (!streaming()) return;
  Drain(stream_);
  stream_ = nullptr;
  *streaming_ = false;
}

absl::string_view PostgresCursor::column_name(int column) const {
  if (column < 0 || column >= column_count()) return "";
  return names_[column];
}

absl::Status PostgresCursor::CheckColumn(int column) const {
  if (state_ != State::kOnRow) {
    return ProgrammingError("no current row: call Next() until it returns true before reading",
                            sql_);
  }
  if (column < 0 || column >= column_count()) {
    return ProgrammingError(absl::StrCat("column ", column, " does not exist (the result has ",
                                         column_count(), " columns)"),
                            sql_);
  }
  return absl::OkStatus();
}

bool PostgresCursor::IsNull(int column) const {
  return !CheckColumn(column).ok() || PQgetisnull(result_.get(), row_, column) != 0;
}

absl::Status PostgresCursor::FieldError(int column) const {
  DUO_RETURN_IF_ERROR(CheckColumn(column));
  return ValueError(column, kNullAdvice);
}

// The getters' fast paths, written into the members directly; any field
// they would not take as it is goes to the slot's reader.
absl::Status PostgresCursor::ReadRow(std::span<const RowSlot> slots, int first,
                                     void* object) const {
  return ReadSlots(slots, first, object, [this](RowSlot::Member member, int column, void* target) {
    absl::string_view bytes;
    if (member == RowSlot::Member::kOther || !Locate(column, bytes)) return false;
    const Oid type = types_[column];
    switch (member) {
      case RowSlot::Member::kInt64:
        return postgres_internal::DecodeCommonInt(type, bytes, *static_cast<int64_t*>(target));
      case RowSlot::Member::kDouble:
        return postgres_internal::DecodeCommonDouble(type, bytes, *static_cast<double*>(target));
      case RowSlot::Member::kString:
        if (!postgres_internal::IsCommonText(type)) return false;
        static_cast<std::string*>(target)->assign(bytes.data(), bytes.size());
        return true;
      case RowSlot::Member::kOther:
        break;
    }
    return false;
  });
}

absl::Status PostgresCursor::ValueError(int column, absl::string_view what) const {
  return DataError(absl::StrCat("column \"", column_name(column), "\" ", what), sql_);
}

absl::StatusOr<sql::Value> PostgresCursor::GetValue(int column) const {
  DUO_RETURN_IF_ERROR(CheckColumn(column));
  if (PQgetisnull(result_.get(), row_, column)) return sql::Value();
  if (types_[column] >= postgres_internal::oid::kFirstNormalObjectId) {
    // An enum's label, citext's text: see CreatedTypes.
    absl::string_view bytes;
    if (!Locate(column, bytes)) return FieldError(column);
    DUO_ASSIGN_OR_RETURN(const absl::string_view text, Decoded(column, TextOf(column, bytes)));
    return sql::Value(text);
  }
  return Get(column, postgres_internal::DecodeValue);
}

absl::StatusOr<absl::string_view> PostgresCursor::TextOf(int column,
                                                         absl::string_view bytes) const {
  const Oid type = types_[column];
  if (type >= postgres_internal::oid::kFirstNormalObjectId && created_types_ != nullptr) {
    DUO_ASSIGN_OR_RETURN(const bool sends_text,
                         created_types_->SendsText(type, /*connection_busy=*/streaming()));
    if (sends_text) return bytes;
    return absl::InvalidArgumentError(absl::StrCat(
        "holds ", postgres_internal::TypeName(type),
        " (a type the database created, not sent as text), which the driver does not read; "
        "cast it to text in the SQL"));
  }
  DUO_ASSIGN_OR_RETURN(std::string text, postgres_internal::RenderAsText(type, bytes));
  if (rendered_.size() < types_.size()) rendered_.resize(types_.size());
  rendered_[column] = std::move(text);
  return rendered_[column];
}

// ---- Statement cache ---------------------------------------------------------

// The statements one connection has prepared, by SQL text and parameter
// types (the same text with other types is another statement), least
// recently used first out (a duo::LruCache).
class PostgresStatementCache {
 public:
  explicit PostgresStatementCache(size_t capacity) : statements_(capacity) {}

  size_t capacity() const { return statements_.capacity(); }

  // The prepared statement's name, or null; counts as a use.
  const std::string* Find(absl::string_view key) {
    Statement* const found = statements_.Find(key);
    return found == nullptr ? nullptr : &found->name;
  }
  // Records a newly prepared statement. Returns the names of those evicted
  // to make room, for the caller to DEALLOCATE.
  std::vector<std::string> Insert(std::string key, std::string name) {
    std::vector<std::string> evicted;
    for (auto& [evicted_key, statement] :
         statements_.Insert(std::move(key), Statement{std::move(name)})) {
      evicted.push_back(std::move(statement.name));
    }
    return evicted;
  }
  void Erase(absl::string_view key) { statements_.Erase(key); }
  // Whether the cached statement's result columns were described and their
  // created types looked up (PostgresConnection::LookUpResultTypes); false
  // for a statement not in the cache. Neither counts as a use.
  bool Described(absl::string_view key) const {
    const Statement* const found = statements_.Peek(key);
    return found != nullptr && found->described;
  }
  void MarkDescribed(absl::string_view key) {
    if (Statement* const found = statements_.Peek(key)) found->described = true;
  }

 private:
  struct Statement {
    std::string name;
    bool described = false;
  };

  LruCache<std::string, Statement> statements_;
};

std::string StatementKey(absl::string_view sql, const std::vector<Oid>& types) {
  std::string key(sql);
  key.push_back('\0');  // cannot occur in SQL that libpq sends
  for (const Oid type : types) absl::StrAppend(&key, type, ",");
  return key;
}

// ---- Connection --------------------------------------------------------------

// Asks the server to cancel the statement running on `conn`, with the
// `cancel` made for it. PQcancel connects to the server and waits for it to
// hang up, which a frozen server never does: it runs on a thread of its own
// that nobody waits for, and the caller bounds its own wait for the
// statement. The thread shares ownership of the connection, so that closing
// it waits until the cancel request is done: PgBouncer before 1.20 can die
// ("server in bad state", pgbouncer/pgbouncer#847) when a client hangs up
// while its cancel request is in flight.
void SendCancel(std::shared_ptr<PGcancel> cancel, std::shared_ptr<PGconn> conn) {
  if (cancel == nullptr) return;
  std::thread([cancel = std::move(cancel), conn = std::move(conn)] {
    char error[256] = {0};
    PQcancel(cancel.get(), error, sizeof(error));
  }).detach();
}

// How long a statement whose deadline passed may take to come back cancelled
// before the connection is given up on: a live server answers a cancel
// request in milliseconds; a frozen one never does.
constexpr absl::Duration kCancelGrace = absl::Milliseconds(250);

class PostgresConnection final : public Connection, public AsyncConnection {
 public:
  // `unnamed_statements`: run every statement in one round trip as the
  // unnamed statement (a transaction-pooling proxy may hand the next round
  // trip, and any named statement, to another client's server connection).
  PostgresConnection(ConnectionPtr conn, size_t statement_cache_size, bool unnamed_statements)
      : conn_(std::move(conn)),
        unnamed_statements_(unnamed_statements),
        // Made once, on the owning thread: another thread may then cancel
        // with it (libpq documents PGcancel as safe for that; PQgetCancel on
        // a connection in use is not).
        cancel_(PQgetCancel(conn_.get()), PQfreeCancel),
        socket_(PQsocket(conn_.get())),
        cache_(unnamed_statements ? 0 : statement_cache_size),
        created_types_(conn_.get()) {
    PQsetNoticeReceiver(conn_.get(), &PostgresConnection::OnNotice, this);
  }

  const dialect::Dialect& dialect() const override { return dialect::PostgresDialect(); }

  absl::StatusOr<std::unique_ptr<Cursor>> Run(const dialect::CompiledStatement& statement,
                                              RunMode mode) override;
  absl::Status ExecuteScript(absl::string_view sql) override;
  bool Ping() override;
  bool LooksAlive() override;
  bool Broken() const override {
    return PQstatus(conn_.get()) != CONNECTION_OK || terminated_by_server_ || abandoned_ ||
           interrupted_.load(std::memory_order_acquire);
  }
  // A deadline of a blocking call (duo::ScopedDeadline), from its timer.
  // The connection is not trusted afterwards: PostgreSQL's cancel request
  // travels on a connection of its own and may arrive after the statement
  // ended, cancelling whatever runs next.
  void Interrupt() override {
    interrupted_.store(true, std::memory_order_release);
    SendCancel(cancel_, conn_);
  }
  void Sever() override {
    interrupted_.store(true, std::memory_order_release);
    // Ends the blocked read or write of the calling thread at once (end of
    // file), without closing the descriptor under libpq's feet.
    if (socket_ >= 0) shutdown(socket_, SHUT_RDWR);
  }
  bool InTransaction() const override;
  AsyncConnection* async() override { return this; }

  Task<absl::StatusOr<std::unique_ptr<Cursor>>> RunAsync(
      const dialect::CompiledStatement& statement, absl::Time deadline) override;
  Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> RunBatchAsync(
      const std::vector<dialect::CompiledStatement>& statements, absl::Time deadline) override;
  Task<absl::Status> ExecuteScriptAsync(std::string sql, absl::Time deadline) override;

 private:
  struct Prepared {
    std::string key;
    std::string name;
    bool cached = false;  // prepared by an earlier call
  };

  // Misuse libpq would not report: a live stream, or SQL holding a NUL.
  absl::Status CheckCanRun(absl::string_view sql) const;
  static bool IsStale(const absl::Status& status);
  // Drops a stale statement from the cache, and from the server.
  void Forget(const Prepared& prepared, const absl::Status& status);
  absl::StatusOr<std::unique_ptr<Cursor>> Execute(const std::string& sql,
                                                  const EncodedParams& params, RunMode mode);
  absl::StatusOr<Prepared> Prepare(const std::string& sql, const EncodedParams& params);
  // `name` is the prepared statement to execute; null sends the SQL itself
  // with its parameters in the same round trip (PQexecParams).
  absl::StatusOr<std::unique_ptr<Cursor>> ExecuteBuffered(const std::string& sql,
                                                          const std::string* name,
                                                          const EncodedParams& params);
  // `key` is the statement's in the cache (empty for the unnamed statement).
  absl::StatusOr<std::unique_ptr<Cursor>> ExecuteStreaming(const std::string& sql,
                                                           const std::string* name,
                                                           const EncodedParams& params,
                                                           absl::string_view key = {});
  // Looks up, before a stream starts, the types the database created among
  // the result columns of `sql` (prepared as `name`, or parsed here as the
  // unnamed statement when `name` is null): a stream holds the connection,
  // so CreatedTypes could not ask the server once the rows arrive. One
  // describe round trip per statement the cache keeps (`key`), and per
  // stream otherwise; one catalog query per type not yet known.
  absl::Status LookUpResultTypes(const std::string& sql, const std::string* name,
                                 const EncodedParams& params, absl::string_view key);
  // The unnamed statement's description (PGRES_COMMAND_OK, columns but no
  // rows): parse and describe in one pipeline, under one Sync, so that a
  // transaction-pooling proxy keeps both on one server connection.
  absl::StatusOr<ResultPtr> DescribeUnnamed(const std::string& sql, const EncodedParams& params);
  void DeallocateEvicted();

  // The non-blocking path. Pipeline sends prepares (for statements not yet
  // prepared) and executions of `sql` with `params` in pipeline mode, then
  // reads every result.
  Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> Pipeline(
      const std::vector<const std::string*>& sql, const std::vector<EncodedParams>& params,
      absl::Time deadline);
  // Sends what libpq has buffered, waiting for the socket as needed.
  Task<absl::Status> Flush(absl::Time deadline);
  // The next result of the command in progress (null between commands),
  // waiting for the server without blocking; past `deadline` the statement
  // is cancelled on the server and its results are read to the end.
  Task<absl::StatusOr<ResultPtr>> NextResult(absl::Time deadline);
  // Asks the server to cancel the running statement, without waiting.
  void Cancel();

  // Notices (NOTICE: table "x" does not exist, skipping) would otherwise go
  // to stderr, where a library has no business writing. One kind matters:
  // a server that terminates an idle connection (pg_terminate_backend,
  // shutdown) first sends a FATAL error, which libpq, being idle, hands to
  // the notice receiver. Seeing it tells LooksAlive the connection is
  // finished before the socket is even closed.
  static void OnNotice(void* self, const PGresult* notice) {
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr &&
        (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
      static_cast<PostgresConnection*>(self)->terminated_by_server_ = true;
    }
  }

  // Shared only with cancel requests in flight (SendCancel).
  const std::shared_ptr<PGconn> conn_;
  const bool unnamed_statements_;
  const std::shared_ptr<PGcancel> cancel_;
  const int socket_;
  // Interrupt or Sever ran: see Interrupt.
  std::atomic<bool> interrupted_{false};
  bool terminated_by_server_ = false;
  // A statement was given up on mid-flight (its deadline passed and the
  // server answered nothing): the connection's protocol state is unknown.
  bool abandoned_ = false;
  PostgresStatementCache cache_;
  CreatedTypes created_types_;
  int64_t statements_prepared_ = 0;
  // Evicted statements still to DEALLOCATE: outside a transaction only, so
  // that a failing DEALLOCATE can never abort the caller's transaction.
  std::vector<std::string> to_deallocate_;
  bool streaming_ = false;  // a kStreaming cursor owns the connection
  // libpq (15) keeps single-row mode set after a streamed statement ends and
  // clears it only when the next statement is sent outside pipeline mode;
  // a pipeline would get its first result row by row. Set by streaming,
  // cleared by any statement sent outside a pipeline.
  bool single_row_mode_lingers_ = false;
  bool in_transaction_before_stream_ = false;
};

absl::StatusOr<std::unique_ptr<Cursor>> PostgresConnection::Run(
    const dialect::CompiledStatement& statement, RunMode mode) {
  DUO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
  DUO_RETURN_IF_ERROR(CheckParamCount(statement));
  absl::StatusOr<EncodedParams> params = postgres_internal::EncodeParams(statement.params);
  if (!params.ok()) {
    return DataError(absl::StrCat("cannot bind parameter ", params.status().message()),
                     statement.sql);
  }
  DeallocateEvicted();
  return Execute(statement.sql, *params, mode);
}

absl::Status PostgresConnection::CheckCanRun(absl::string_view sql) const {
  if (streaming_) {
    return ProgrammingError(
        "a streaming cursor is still reading on this connection; destroy it first", sql);
  }
  // libpq takes the SQL as a C string and would silently run what precedes
  // the NUL.
  if (sql.find('\0') != absl::string_view::npos) {
    return ProgrammingError("the SQL holds a NUL byte", sql.substr(0, sql.find('\0')));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Cursor>> PostgresConnection::Execute(const std::string& sql,
                                                                    const EncodedParams& params,
                                                                    RunMode mode) {
  // Without a cache a statement is prepared as the unnamed statement, which
  // the type lookups before a stream (LookUpResultTypes) would replace with
  // their own: a stream then sends its SQL afresh, as behind a proxy.
  if (unnamed_statements_ || (mode == RunMode::kStreaming && cache_.capacity() == 0)) {
    return mode == RunMode::kStreaming ? ExecuteStreaming(sql, nullptr, params)
                                       : ExecuteBuffered(sql, nullptr, params);
  }
  DUO_ASSIGN_OR_RETURN(const Prepared prepared, Prepare(sql, params));
  absl::StatusOr<std::unique_ptr<Cursor>> cursor =
      mode == RunMode::kStreaming ? ExecuteStreaming(sql, &prepared.name, params, prepared.key)
                                  : ExecuteBuffered(sql, &prepared.name, params);
  if (cursor.ok() || !prepared.cached || !IsStale(cursor.status())) return cursor;
  Forget(prepared, cursor.status());
  // Such errors come from planning the statement again, before it runs, so
  // running it again is safe; but only outside a transaction, which the
  // error has aborted otherwise.
  if (PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return Execute(sql, params, mode);
  return cursor;
}

// Whether a cached statement failed because the schema changed since it
// was prepared: its result type changed ("cached plan must not change
// result type", 0A000), a parameter type inferred then no longer fits, or a
// name it used is gone (class 42); or because a script's DEALLOCATE ALL or
// DISCARD ALL dropped it (26000).
bool PostgresConnection::IsStale(const absl::Status& status) {
  const std::optional<ErrorDetails> details = GetErrorDetails(status);
  if (!details || details->kind == ErrorKind::kConnectionLost) return false;
  const absl::string_view sqlstate = details->sqlstate;
  return sqlstate == "26000" || sqlstate == "0A000" || absl::StartsWith(sqlstate, "42");
}

void PostgresConnection::Forget(const Prepared& prepared, const absl::Status& status) {
  cache_.Erase(prepared.key);
  const std::optional<ErrorDetails> details = GetErrorDetails(status);
  if (details && details->sqlstate != "26000") to_deallocate_.push_back(prepared.name);
}

absl::StatusOr<PostgresConnection::Prepared> PostgresConnection::Prepare(
    const std::string& sql, const EncodedParams& params) {
  Prepared prepared{.key = StatementKey(sql, params.types)};
  if (const std::string* name = cache_.Find(prepared.key)) {
    prepared.name = *name;
    prepared.cached = true;
    return prepared;
  }
  // Without a cache, the unnamed statement, which the next one replaces.
  if (cache_.capacity() > 0) prepared.name = absl::StrCat("duo_", ++statements_prepared_);
  ResultPtr result(PQprepare(conn_.get(), prepared.name.c_str(), sql.c_str(), params.count(),
                             params.types.data()));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    absl::Status error = ServerError(conn_.get(), result.get(), sql);
    const std::optional<ErrorDetails> details = GetErrorDetails(error);
    if (details && details->sqlstate == "42P05") {
      // duo names its statements per connection: another client's name on
      // "this" server connection means a proxy is sharing it.
      absl::Status shared = absl::FailedPreconditionError(
          absl::StrCat(error.message(),
                       " (another client's prepared statement: this connection goes "
                       "through a transaction-pooling proxy; set transaction_pooling=on)"));
      error.ForEachPayload([&shared](absl::string_view type, const absl::Cord& payload) {
        shared.SetPayload(type, payload);
      });
      return shared;
    }
    return error;
  }
  if (cache_.capacity() > 0) {
    for (std::string& evicted : cache_.Insert(prepared.key, prepared.name)) {
      to_deallocate_.push_back(std::move(evicted));
    }
    DeallocateEvicted();
  }
  return prepared;
}

void PostgresConnection::DeallocateEvicted() {
  if (to_deallocate_.empty() || PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) return;
  std::string script;
  for (const std::string& name : to_deallocate_) absl::StrAppend(&script, "DEALLOCATE ", name, ";");
  to_deallocate_.clear();
  // Failure leaves a statement on the server until the connection closes:
  // harmless, and nothing the caller could act on.
  ResultPtr result(PQexec(conn_.get(), script.c_str()));
}

absl::StatusOr<std::unique_ptr<Cursor>> PostgresConnection::ExecuteBuffered(
    const std::string& sql, const std::string* name, const EncodedParams& params) {
  single_row_mode_lingers_ = false;
  ResultPtr result(name != nullptr
                       ? PQexecPrepared(conn_.get(), name->c_str(), params.count(),
                                        params.values.data(), params.lengths.data(),
                                        params.formats.data(), kBinaryResults)
                       : PQexecParams(conn_.get(), sql.c_str(), params.count(), params.types.data(),
                                      params.values.data(), params.lengths.data(),
                                      params.formats.data(), kBinaryResults));
  DUO_RETURN_IF_ERROR(CheckResult(conn_.get(), result.get(), sql));
  return std::make_unique<PostgresCursor>(std::move(result), sql, nullptr, nullptr,
                                          &created_types_);
}

absl::Status PostgresConnection::LookUpResultTypes(const std::string& sql, const std::string* name,
                                                   const EncodedParams& params,
                                                   absl::string_view key) {
  if (!key.empty() && cache_.Described(key)) return absl::OkStatus();
  ResultPtr description;
  if (name != nullptr) {
    description.reset(PQdescribePrepared(conn_.get(), name->c_str()));
    if (PQresultStatus(description.get()) != PGRES_COMMAND_OK) {
      return ServerError(conn_.get(), description.get(), sql);
    }
  } else {
    DUO_ASSIGN_OR_RETURN(description, DescribeUnnamed(sql, params));
  }
  single_row_mode_lingers_ = false;  // a statement went out outside a pipeline
  for (int i = 0; i < PQnfields(description.get()); ++i) {
    const Oid type = PQftype(description.get(), i);
    if (type < postgres_internal::oid::kFirstNormalObjectId) continue;
    DUO_RETURN_IF_ERROR(created_types_.SendsText(type, /*connection_busy=*/false).status());
  }
  if (!key.empty()) cache_.MarkDescribed(key);
  return absl::OkStatus();
}

absl::StatusOr<ResultPtr> PostgresConnection::DescribeUnnamed(const std::string& sql,
                                                              const EncodedParams& params) {
  PGconn* const conn = conn_.get();
  if (!PQenterPipelineMode(conn)) return ServerError(conn, nullptr, sql);
  if (!PQsendPrepare(conn, "", sql.c_str(), params.count(), params.types.data()) ||
      !PQsendDescribePrepared(conn, "") || !PQpipelineSync(conn)) {
    // What was queued cannot be read back without its Sync: the
    // connection's protocol state is unknown.
    abandoned_ = true;
    return ServerError(conn, nullptr, sql);
  }
  absl::Status error;
  ResultPtr description;
  int answered = 0;  // the prepare's result, then the describe's
  while (true) {
    ResultPtr result(PQgetResult(conn));
    if (result == nullptr) {
      // The end of one command's results; a dead connection gives nothing
      // else, ever.
      if (PQstatus(conn) == CONNECTION_BAD) {
        error = ServerError(conn, nullptr, sql);
        break;
      }
      continue;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if (status == PGRES_PIPELINE_ABORTED) continue;  // the describe, after a failed prepare
    if (status != PGRES_COMMAND_OK) {
      if (error.ok()) error = ServerError(conn, result.get(), sql);
      continue;
    }
    if (++answered == 2) description = std::move(result);
  }
  PQexitPipelineMode(conn);
  if (!error.ok()) return error;
  if (description == nullptr) {
    return DatabaseError("the server did not describe the statement",
                         {.kind = ErrorKind::kOther, .sql = sql});
  }
  return description;
}

// Fetches the first result here, so that errors in starting the statement
// surface from Run() as in buffered mode, and the cursor knows its columns
// before the first Next().
absl::StatusOr<std::unique_ptr<Cursor>> PostgresConnection::ExecuteStreaming(
    const std::string& sql, const std::string* name, const EncodedParams& params,
    absl::string_view key) {
  DUO_RETURN_IF_ERROR(LookUpResultTypes(sql, name, params, key));
  in_transaction_before_stream_ = InTransaction();
  const int sent =
      name != nullptr
          ? PQsendQueryPrepared(conn_.get(), name->c_str(), params.count(), params.values.data(),
                                params.lengths.data(), params.formats.data(), kBinaryResults)
          : PQsendQueryParams(conn_.get(), sql.c_str(), params.count(), params.types.data(),
                              params.values.data(), params.lengths.data(), params.formats.data(),
                              kBinaryResults);
  if (!sent) {
    return ServerError(conn_.get(), nullptr, sql);
  }
  single_row_mode_lingers_ = true;
  if (!PQsetSingleRowMode(conn_.get())) {
    Drain(conn_.get());
    return DatabaseError("cannot switch to single-row mode",
                         {.kind = ErrorKind::kOther, .sql = sql});
  }
  ResultPtr first(PQgetResult(conn_.get()));
  DUO_RETURN_IF_ERROR(CheckResult(conn_.get(), first.get(), sql));
  streaming_ = true;
  return std::make_unique<PostgresCursor>(std::move(first), sql, conn_.get(), &streaming_,
                                          &created_types_);
}

absl::Status PostgresConnection::ExecuteScript(absl::string_view sql) {
  DUO_RETURN_IF_ERROR(CheckCanRun(sql));
  const std::string text(sql);  // PQexec wants a NUL-terminated string
  ResultPtr result(PQexec(conn_.get(), text.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_EMPTY_QUERY) return absl::OkStatus();
  return CheckResult(conn_.get(), result.get(), text);
}

// The empty query is the cheapest round trip: the server parses nothing.
bool PostgresConnection::Ping() {
  if (streaming_ || PQstatus(conn_.get()) != CONNECTION_OK) return false;
  ResultPtr result(PQexec(conn_.get(), ""));
  return PQresultStatus(result.get()) == PGRES_EMPTY_QUERY &&
         PQstatus(conn_.get()) == CONNECTION_OK;
}

// An idle connection has nothing to read unless the server spoke first:
// its goodbye when the backend was terminated or the server shut down (an
// error message, then end of file), or a notification. Reading tells which;
// libpq notices the end of file only on the read after the message, hence
// the loop, bounded in case notifications keep coming.
bool PostgresConnection::LooksAlive() {
  if (streaming_) return PQstatus(conn_.get()) == CONNECTION_OK;
  for (int reads = 0; reads < 4 && PQstatus(conn_.get()) == CONNECTION_OK; ++reads) {
    pollfd socket{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
    if (poll(&socket, 1, /*timeout=*/0) <= 0) break;
    if (!PQconsumeInput(conn_.get())) break;
    // Parses what arrived, so that a FATAL reaches OnNotice.
    PQisBusy(conn_.get());
  }
  return PQstatus(conn_.get()) == CONNECTION_OK && !terminated_by_server_ && !abandoned_;
}

bool PostgresConnection::InTransaction() const {
  switch (PQtransactionStatus(conn_.get())) {
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      return true;
    case PQTRANS_ACTIVE:  // a streaming statement is running
      return in_transaction_before_stream_;
    default:
      return false;
  }
}

// ---- Non-blocking execution --------------------------------------------------
//
// Every async call runs in pipeline mode, even for one statement: a
// statement not prepared yet is prepared and executed in the same round
// trip. The socket is awaited on the event loop; libpq is switched to
// non-blocking sends for the call's duration.

namespace {

class NonBlockingScope {
 public:
  explicit NonBlockingScope(PGconn* conn) : conn_(conn) { PQsetnonblocking(conn_, 1); }
  NonBlockingScope(const NonBlockingScope&) = delete;
  NonBlockingScope& operator=(const NonBlockingScope&) = delete;
  ~NonBlockingScope() { PQsetnonblocking(conn_, 0); }

 private:
  PGconn* conn_;
};

absl::Status ConnectionLost(PGconn* conn, absl::string_view sql) {
  return DatabaseError(absl::StrCat("connection lost: ", FirstLine(PQerrorMessage(conn))),
                       {.kind = ErrorKind::kConnectionLost, .sql = std::string(sql)});
}

}  // namespace

Task<absl::Status> PostgresConnection::Flush(absl::Time deadline) {
  PGconn* const conn = conn_.get();
  while (true) {
    const int pending = PQflush(conn);
    if (pending == 0) co_return absl::OkStatus();
    if (pending < 0) co_return ConnectionLost(conn, "");
    // The server may be waiting for us to read before it reads more.
    absl::Status ready = co_await event_loop().WaitReadableOrWritable(PQsocket(conn), deadline);
    if (!ready.ok()) {
      // Half a request is on the wire: nothing more can be sent on it.
      abandoned_ = true;
      co_return ready;
    }
    if (!PQconsumeInput(conn)) co_return ConnectionLost(conn, "");
  }
}

void PostgresConnection::Cancel() { SendCancel(cancel_, conn_); }

Task<absl::StatusOr<ResultPtr>> PostgresConnection::NextResult(absl::Time deadline) {
  PGconn* const conn = conn_.get();
  bool cancelled = false;
  while (PQisBusy(conn)) {
    if (PQstatus(conn) == CONNECTION_BAD) co_return ConnectionLost(conn, "");
    absl::Status ready = co_await event_loop().WaitReadable(PQsocket(conn), deadline);
    if (absl::IsDeadlineExceeded(ready)) {
      if (cancelled) {
        // Neither the statement nor the cancel came back: the server is
        // not answering. The caller's deadline holds; the connection, in
        // the middle of a statement, can never be used again.
        abandoned_ = true;
        co_return DatabaseError(
            "the deadline passed and the server answered neither the statement nor its "
            "cancellation; the connection is discarded",
            {.kind = ErrorKind::kTimeout});
      }
      // The server answers a cancel with an error (57014, kTimeout) for the
      // statement, which then arrives like any other result; a server that
      // is alive does so within milliseconds.
      Cancel();
      cancelled = true;
      deadline = absl::Now() + kCancelGrace;
      continue;
    }
    if (!ready.ok()) co_return ready;
    if (!PQconsumeInput(conn)) co_return ConnectionLost(conn, "");
  }
  co_return ResultPtr(PQgetResult(conn));
}

Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> PostgresConnection::Pipeline(
    const std::vector<const std::string*>& sql, const std::vector<EncodedParams>& params,
    absl::Time deadline) {
  PGconn* const conn = conn_.get();
  DeallocateEvicted();
  NonBlockingScope non_blocking(conn);
  if (!PQenterPipelineMode(conn)) co_return ServerError(conn, nullptr, *sql[0]);

  // What the server will answer, in order: a prepare (statement i) or an
  // execution.
  struct Expected {
    size_t statement;
    bool prepare;
    std::string key;
    std::string name;
  };
  std::vector<Expected> expected;
  absl::flat_hash_map<std::string, std::string> prepared_here;
  absl::Status error;
  // An empty query first takes the lingering single-row mode (it has no
  // rows), so that the statements' results arrive whole; its result is
  // skipped. No round trip of its own.
  constexpr size_t kNoStatement = static_cast<size_t>(-1);
  if (single_row_mode_lingers_) {
    if (!PQsendQueryParams(conn, "", 0, nullptr, nullptr, nullptr, nullptr, kBinaryResults)) {
      error = ServerError(conn, nullptr, *sql[0]);
    }
    expected.push_back({kNoStatement, false, {}, {}});
    single_row_mode_lingers_ = false;
  }
  for (size_t i = 0; i < sql.size() && error.ok(); ++i) {
    if (unnamed_statements_) {
      if (!PQsendQueryParams(conn, sql[i]->c_str(), params[i].count(), params[i].types.data(),
                             params[i].values.data(), params[i].lengths.data(),
                             params[i].formats.data(), kBinaryResults)) {
        error = ServerError(conn, nullptr, *sql[i]);
        break;
      }
      expected.push_back({i, false, {}, {}});
      continue;
    }
    std::string key = StatementKey(*sql[i], params[i].types);
    std::string name;
    if (const std::string* cached = cache_.Find(key)) {
      name = *cached;
    } else if (const auto here = prepared_here.find(key); here != prepared_here.end()) {
      name = here->second;
    } else {
      if (cache_.capacity() > 0) name = absl::StrCat("duo_", ++statements_prepared_);
      if (!PQsendPrepare(conn, name.c_str(), sql[i]->c_str(), params[i].count(),
                         params[i].types.data())) {
        error = ServerError(conn, nullptr, *sql[i]);
        break;
      }
      expected.push_back({i, true, key, name});
      if (cache_.capacity() > 0) prepared_here[key] = name;
    }
    if (!PQsendQueryPrepared(conn, name.c_str(), params[i].count(), params[i].values.data(),
                             params[i].lengths.data(), params[i].formats.data(), kBinaryResults)) {
      error = ServerError(conn, nullptr, *sql[i]);
      break;
    }
    expected.push_back({i, false, {}, {}});
  }
  if (!PQpipelineSync(conn)) co_return ConnectionLost(conn, *sql[0]);
  if (absl::Status flushed = co_await Flush(deadline); !flushed.ok()) co_return flushed;

  std::vector<std::unique_ptr<Cursor>> cursors(sql.size());
  size_t next = 0;
  while (true) {
    absl::StatusOr<ResultPtr> result = co_await NextResult(deadline);
    if (!result.ok()) co_return result.status();
    if (*result == nullptr) {
      // The end of one command's results; a dead connection gives nothing
      // else, ever.
      if (PQstatus(conn) == CONNECTION_BAD) co_return ConnectionLost(conn, *sql[0]);
      continue;
    }
    const ExecStatusType status = PQresultStatus(result->get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if (next >= expected.size()) continue;
    const Expected& what = expected[next++];
    if (what.statement == kNoStatement) continue;
    const std::string& text = *sql[what.statement];
    if (status == PGRES_PIPELINE_ABORTED) continue;  // after the first error
    const bool ok = status == PGRES_COMMAND_OK || (!what.prepare && status == PGRES_TUPLES_OK);
    if (!ok) {
      if (error.ok()) error = ServerError(conn, result->get(), text);
      continue;
    }
    if (what.prepare) {
      if (cache_.capacity() > 0) {
        for (std::string& evicted : cache_.Insert(what.key, what.name)) {
          to_deallocate_.push_back(std::move(evicted));
        }
      }
    } else {
      cursors[what.statement] = std::make_unique<PostgresCursor>(std::move(*result), text, nullptr,
                                                                 nullptr, &created_types_);
    }
  }
  PQexitPipelineMode(conn);
  if (!error.ok()) co_return error;
  co_return cursors;
}

Task<absl::StatusOr<std::unique_ptr<Cursor>>> PostgresConnection::RunAsync(
    const dialect::CompiledStatement& statement, absl::Time deadline) {
  DUO_CO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
  DUO_CO_RETURN_IF_ERROR(CheckParamCount(statement));
  absl::StatusOr<EncodedParams> encoded = postgres_internal::EncodeParams(statement.params);
  if (!encoded.ok()) {
    co_return DataError(absl::StrCat("cannot bind parameter ", encoded.status().message()),
                        statement.sql);
  }
  const std::vector<const std::string*> sql = {&statement.sql};
  std::vector<EncodedParams> params;
  params.push_back(*std::move(encoded));
  const std::string key = StatementKey(statement.sql, params[0].types);
  const std::string* cached = cache_.Find(key);
  const std::string cached_name = cached != nullptr ? *cached : "";
  absl::StatusOr<std::vector<std::unique_ptr<Cursor>>> cursors =
      co_await Pipeline(sql, params, deadline);
  if (!cursors.ok() && cached != nullptr && IsStale(cursors.status())) {
    // As in Execute: prepare afresh, and run again only outside a
    // transaction.
    Forget(Prepared{.key = key, .name = cached_name, .cached = true}, cursors.status());
    if (PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) {
      cursors = co_await Pipeline(sql, params, deadline);
    }
  }
  if (!cursors.ok()) co_return cursors.status();
  co_return std::move((*cursors)[0]);
}

Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> PostgresConnection::RunBatchAsync(
    const std::vector<dialect::CompiledStatement>& statements, absl::Time deadline) {
  if (statements.empty()) co_return std::vector<std::unique_ptr<Cursor>>();
  std::vector<const std::string*> sql;
  std::vector<EncodedParams> params;
  for (const dialect::CompiledStatement& statement : statements) {
    DUO_CO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
    DUO_CO_RETURN_IF_ERROR(CheckParamCount(statement));
    absl::StatusOr<EncodedParams> encoded = postgres_internal::EncodeParams(statement.params);
    if (!encoded.ok()) {
      co_return DataError(absl::StrCat("cannot bind parameter ", encoded.status().message()),
                          statement.sql);
    }
    sql.push_back(&statement.sql);
    params.push_back(*std::move(encoded));
  }
  co_return co_await Pipeline(sql, params, deadline);
}

Task<absl::Status> PostgresConnection::ExecuteScriptAsync(std::string sql, absl::Time deadline) {
  DUO_CO_RETURN_IF_ERROR(CheckCanRun(sql));
  PGconn* const conn = conn_.get();
  NonBlockingScope non_blocking(conn);
  if (!PQsendQuery(conn, sql.c_str())) co_return ServerError(conn, nullptr, sql);
  DUO_CO_RETURN_IF_ERROR(co_await Flush(deadline));
  absl::Status error;
  while (true) {
    absl::StatusOr<ResultPtr> result = co_await NextResult(deadline);
    if (!result.ok()) co_return result.status();
    if (*result == nullptr) break;
    const ExecStatusType status = PQresultStatus(result->get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY &&
        error.ok()) {
      error = ServerError(conn, result->get(), sql);
    }
  }
  co_return error;
}

// ---- Opening -----------------------------------------------------------------

absl::Status ConnectError(PGconn* conn) {
  return DatabaseError(
      absl::StrCat("cannot connect to PostgreSQL: ",
                   conn != nullptr ? FirstLine(PQerrorMessage(conn)) : "out of memory"),
      {.kind = ErrorKind::kConnectionLost});
}

// statement_timeout in whole milliseconds, rounded up so that a positive
// timeout never becomes 0 (no limit).
int64_t TimeoutMillis(absl::Duration timeout) {
  const int64_t millis = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return std::clamp<int64_t>(millis, 1, INT_MAX);
}

// Runs `sql` (one or more statements, the simple protocol) on a connection
// being opened, waiting for the server no later than `deadline`: a proxy
// may accept a connection and then have no server connection to run its
// first statement on. Returns the last statement's result.
absl::StatusOr<ResultPtr> ExecWhileOpening(PGconn* conn, const std::string& sql,
                                           absl::Time deadline) {
  if (!PQsendQuery(conn, sql.c_str())) return ServerError(conn, nullptr, sql);
  ResultPtr last;
  while (true) {
    while (PQisBusy(conn)) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return DatabaseError(
            "timeout expired waiting for the server's first answer (a pooling proxy with no "
            "free server connection?)",
            {.kind = ErrorKind::kConnectionLost, .sql = sql});
      }
      pollfd socket{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
      const int millis = static_cast<int>(std::min<int64_t>(
          INT_MAX, absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)))));
      if (poll(&socket, 1, millis) < 0 && errno != EINTR) {
        return DatabaseError("poll failed while opening the connection",
                             {.kind = ErrorKind::kConnectionLost, .sql = sql});
      }
      if (!PQconsumeInput(conn)) return ConnectError(conn);
    }
    ResultPtr result(PQgetResult(conn));
    if (result == nullptr) break;
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      absl::Status error = ServerError(conn, result.get(), sql);
      Drain(conn);
      return error;
    }
    last = std::move(result);
  }
  return last;
}

// Sets the session up; returns whether a proxy stands between the
// connection and the server (detected when `detect_proxy`): the backend
// pid libpq was given at startup comes from whoever answered the
// connection, pg_backend_pid() from the server process running the query.
absl::StatusOr<bool> ConfigureSession(PGconn* conn, const PostgresOptions& options,
                                      bool detect_proxy, absl::Time deadline) {
  // Binary timestamps are int64 microseconds only on servers built with
  // integer datetimes, the only kind since PostgreSQL 10.
  const char* integer_datetimes = PQparameterStatus(conn, "integer_datetimes");
  if (integer_datetimes == nullptr || absl::string_view(integer_datetimes) != "on") {
    return DatabaseError("the server does not use integer datetimes, which the driver needs",
                         {.kind = ErrorKind::kOther});
  }
  // TimeZone is a setting the server reports, which PgBouncer keeps per
  // client in every pooling mode; statement_timeout is not (below).
  std::string script = "SET TimeZone = 'UTC'";
  if (detect_proxy) absl::StrAppend(&script, "; SELECT pg_backend_pid()");
  DUO_ASSIGN_OR_RETURN(ResultPtr result, ExecWhileOpening(conn, script, deadline));
  bool proxied = false;
  if (detect_proxy) {
    int server_pid = 0;
    if (result == nullptr || PQntuples(result.get()) != 1 ||
        !absl::SimpleAtoi(PQgetvalue(result.get(), 0, 0), &server_pid)) {
      return DatabaseError("pg_backend_pid() returned no number", {.kind = ErrorKind::kOther});
    }
    proxied = server_pid != PQbackendPID(conn);
  }
  if (options.statement_timeout > absl::ZeroDuration()) {
    if (proxied || options.transaction_pooling == TransactionPooling::kOn) {
      return ProgrammingError(
          "statement_timeout is a session setting, which a transaction-pooling proxy does not "
          "keep (it would apply to whichever client gets the server connection next): set it "
          "for the role on the server (ALTER ROLE ... SET statement_timeout), or connect "
          "directly",
          "");
    }
    DUO_RETURN_IF_ERROR(ExecWhileOpening(conn,
                                         absl::StrCat("SET statement_timeout = ",
                                                      TimeoutMillis(options.statement_timeout)),
                                         deadline)
                            .status());
  }
  return proxied;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenPostgres(const PostgresOptions& options) {
  if (options.statement_timeout < absl::ZeroDuration()) {
    return ProgrammingError("statement_timeout must not be negative", "");
  }
  // Keywords after the expanded conninfo ("dbname") override it, those
  // before it give way to it: the conninfo may name another application or
  // connect_timeout, but the encoding is the driver's.
  std::vector<const char*> keywords = {"application_name"};
  std::vector<const char*> values = {options.application_name.c_str()};
  std::string connect_timeout;
  if (options.connect_timeout > absl::ZeroDuration()) {
    // libpq counts whole seconds and treats 1 as 2.
    connect_timeout = absl::StrCat(std::max<int64_t>(
        2, absl::ToInt64Seconds(absl::Ceil(options.connect_timeout, absl::Seconds(1)))));
    keywords.push_back("connect_timeout");
    values.push_back(connect_timeout.c_str());
  }
  keywords.insert(keywords.end(), {"dbname", "client_encoding", nullptr});
  values.insert(values.end(), {options.conninfo.c_str(), "UTF8", nullptr});
  const absl::Time deadline = options.connect_timeout > absl::ZeroDuration()
                                  ? absl::Now() + options.connect_timeout
                                  : absl::InfiniteFuture();
  ConnectionPtr conn(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) return ConnectError(conn.get());
  DUO_ASSIGN_OR_RETURN(
      const bool proxied,
      ConfigureSession(conn.get(), options,
                       /*detect_proxy=*/options.transaction_pooling == TransactionPooling::kAuto,
                       deadline));
  const bool unnamed = options.transaction_pooling == TransactionPooling::kOn || proxied;
  return std::make_unique<PostgresConnection>(std::move(conn), options.statement_cache_size,
                                              unnamed);
}

}  // namespace duo::engine
