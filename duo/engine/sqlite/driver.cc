#include "duo/engine/sqlite/driver.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/engine/error.h"
#include "duo/engine/read.h"
#include "duo/engine/sqlite/functions.h"
#include "duo/engine/sqlite/statement_cache.h"
#include "duo/sql/time_text.h"
#include "nlohmann/json.hpp"
#include "sqlite3.h"

namespace duo::engine {
namespace {

using sqlite_internal::SqliteStatementCache;

// ---- Errors ------------------------------------------------------------------

// Where an error arose: the same SQLite code means different things when
// preparing a statement (a mistake in the SQL) and when running it.
enum class Phase { kOpen, kPrepare, kStep, kScript };

ErrorKind ConstraintKind(int code) {
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return ErrorKind::kUniqueViolation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorKind::kForeignKeyViolation;
    case SQLITE_CONSTRAINT_NOTNULL:
      return ErrorKind::kNotNullViolation;
    case SQLITE_CONSTRAINT_CHECK:
      return ErrorKind::kCheckViolation;
    case SQLITE_CONSTRAINT_DATATYPE:  // a STRICT table's column type
      return ErrorKind::kDataError;
    default:
      return ErrorKind::kOther;
  }
}

ErrorKind KindFor(int code, Phase phase) {
  switch (code & 0xFF) {
    case SQLITE_CONSTRAINT:
      return ConstraintKind(code);
    case SQLITE_BUSY:
      // A WAL read transaction that tries to write after another connection
      // committed can never succeed by waiting: the transaction must be
      // retried.
      return code == SQLITE_BUSY_SNAPSHOT ? ErrorKind::kSerializationFailure : ErrorKind::kTimeout;
    case SQLITE_LOCKED:
    case SQLITE_INTERRUPT:
      return ErrorKind::kTimeout;
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return ErrorKind::kDataError;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
      return ErrorKind::kConnectionLost;
    case SQLITE_FULL:  // the disk, or PRAGMA max_page_count
      return ErrorKind::kResourceExhausted;
    case SQLITE_MISUSE:
    case SQLITE_READONLY:  // writing through a read-only connection
      return ErrorKind::kProgramming;
    case SQLITE_ERROR:
      // Preparing fails with SQLITE_ERROR for syntax errors and unknown
      // names. Scripts hold DDL and transaction control, where it means the
      // same or misuse ("cannot commit - no transaction is active").
      return phase == Phase::kPrepare || phase == Phase::kScript ? ErrorKind::kProgramming
                                                                 : ErrorKind::kOther;
    default:
      return ErrorKind::kOther;
  }
}

// SQLite names the constraint after "failed: ": "UNIQUE constraint failed:
// users.email", "CHECK constraint failed: positive_total". Foreign key
// errors name none.
std::string ConstraintName(absl::string_view message) {
  constexpr absl::string_view kMarker = "failed: ";
  const size_t at = message.find(kMarker);
  if (at == absl::string_view::npos) return "";
  return std::string(message.substr(at + kMarker.size()));
}

absl::Status SqliteError(int code, absl::string_view message, absl::string_view what,
                         absl::string_view sql, Phase phase) {
  ErrorDetails details{.kind = KindFor(code, phase), .sqlite_code = code, .sql = std::string(sql)};
  if ((code & 0xFF) == SQLITE_CONSTRAINT) details.constraint = ConstraintName(message);
  std::string text = what.empty() ? std::string(message) : absl::StrCat(what, ": ", message);
  return DatabaseError(std::move(text), std::move(details));
}

// The error `code` that `db` just reported, with its message.
absl::Status SqliteError(sqlite3* db, int code, absl::string_view what, absl::string_view sql,
                         Phase phase) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  if (db != nullptr && (code & 0xFF) == SQLITE_BUSY && sqlite3_get_autocommit(db) == 0) {
    // Inside a transaction that began deferred, a write needs the lock
    // another connection holds or has used since this one started reading.
    // SQLite does not wait then (waiting could deadlock): the transaction
    // must start again, which is what a serialization failure asks for.
    std::string text = absl::StrCat(
        what.empty() ? "" : absl::StrCat(what, ": "), message != nullptr ? message : "",
        " (a transaction that began reading could not take the write lock another connection "
        "holds or used; retry the transaction, or begin it IMMEDIATE)");
    return DatabaseError(
        std::move(text),
        {.kind = ErrorKind::kSerializationFailure, .sqlite_code = code, .sql = std::string(sql)});
  }
  return SqliteError(code, message != nullptr ? message : "", what, sql, phase);
}

absl::Status ProgrammingError(std::string message, absl::string_view sql) {
  return DatabaseError(std::move(message),
                       {.kind = ErrorKind::kProgramming, .sql = std::string(sql)});
}

absl::Status DataError(std::string message, absl::string_view sql = "") {
  return DatabaseError(std::move(message),
                       {.kind = ErrorKind::kDataError, .sql = std::string(sql)});
}

// ---- Text forms of values ----------------------------------------------------

// Timestamps and dates go through the one codec (duo/sql/time_text.h):
// stored as SQLite's date functions print them, with microseconds
// ("2026-11-25 09:30:00.123456", UTC); read in any form SQLite, SQLAlchemy,
// PostgreSQL or an earlier DuoORM wrote.
using sql::FormatSqliteDate;
using sql::FormatSqliteTimestamp;

// The decimal a REAL in a decimal column stands for, when there is exactly
// one: SQLite turns the text of a decimal written to a column with NUMERIC
// or REAL affinity (what SQLAlchemy's Numeric creates, or DECIMAL(10,2))
// into the nearest double, keeping 15 significant digits. Every decimal of
// at most 15 significant digits comes back from that double as its shortest
// round-trip form, and two such decimals never share a double; a REAL whose
// shortest form needs more digits may have been rounded from any of many
// decimals (1234567890123456789012345678.0123456789 is stored as
// 1.2345678901234569e27), so it is no decimal's exact value.
constexpr int kRealDecimalDigits = 15;

std::optional<std::string> DecimalOfReal(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  // A double's shortest fixed form is at most ~330 characters (5e-324).
  char buffer[400];
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  if (result.ec != std::errc()) return std::nullopt;
  const absl::string_view fixed(buffer, result.ptr - buffer);
  // Significant digits: from the first non-zero digit to the last.
  const size_t first = fixed.find_first_of("123456789");
  if (first == absl::string_view::npos) return "0";
  const size_t last = fixed.find_last_of("123456789");
  int significant = 0;
  for (size_t i = first; i <= last; ++i) significant += fixed[i] != '.';
  if (significant > kRealDecimalDigits) return std::nullopt;
  return std::string(fixed);
}

// ---- Arrays as JSON ----------------------------------------------------------

absl::StatusOr<nlohmann::json> ElementToJson(const sql::Value& element) {
  using Kind = sql::Value::Kind;
  switch (element.kind()) {
    case Kind::kNull:
      return nlohmann::json(nullptr);
    case Kind::kBool:
      return nlohmann::json(element.as_bool());
    case Kind::kInt:
      return nlohmann::json(element.as_int());
    case Kind::kDouble:
      if (!std::isfinite(element.as_double())) {
        return absl::InvalidArgumentError("JSON arrays cannot hold NaN or infinity");
      }
      return nlohmann::json(element.as_double());
    case Kind::kText:
      return nlohmann::json(element.as_text());
    case Kind::kTimestamp: {
      DUO_ASSIGN_OR_RETURN(std::string text, FormatSqliteTimestamp(element.as_timestamp()));
      return nlohmann::json(std::move(text));
    }
    case Kind::kDate: {
      DUO_ASSIGN_OR_RETURN(std::string text, FormatSqliteDate(element.as_date()));
      return nlohmann::json(std::move(text));
    }
    case Kind::kDecimal:
      // A string: a JSON number would be read back as a double.
      return nlohmann::json(element.as_decimal().digits());
    case Kind::kUuid:
      return nlohmann::json(element.as_uuid().ToHex());
    case Kind::kTimeOfDay:
      return nlohmann::json(element.as_time_of_day().ToString());
    case Kind::kBlob:
    case Kind::kJson:
    case Kind::kArray:
    case Kind::kInterval:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "arrays hold scalars (no bytes, JSON or nested arrays), not ", element.DebugString()));
}

absl::StatusOr<std::string> ArrayToJson(const sql::Array& array) {
  nlohmann::json json = nlohmann::json::array();
  for (const sql::Value& element : array.elements) {
    DUO_ASSIGN_OR_RETURN(nlohmann::json item, ElementToJson(element));
    json.push_back(std::move(item));
  }
  try {
    return json.dump();
  } catch (const nlohmann::json::type_error&) {
    return absl::InvalidArgumentError("an array element is not valid UTF-8 text");
  }
}

std::optional<sql::Value> ElementFromJson(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      return sql::Value();
    case nlohmann::json::value_t::boolean:
      return sql::Value(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return sql::Value(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      if (json.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return sql::Value(static_cast<int64_t>(json.get<uint64_t>()));
    case nlohmann::json::value_t::number_float:
      return sql::Value(json.get<double>());
    case nlohmann::json::value_t::string:
      return sql::Value(json.get<std::string>());
    default:
      return std::nullopt;
  }
}

std::optional<sql::Array> ArrayFromJson(const nlohmann::json& json) {
  if (!json.is_array()) return std::nullopt;
  sql::Array array;
  array.elements.reserve(json.size());
  for (const nlohmann::json& item : json) {
    std::optional<sql::Value> element = ElementFromJson(item);
    if (!element) return std::nullopt;
    array.elements.push_back(*std::move(element));
  }
  return array;
}

// ---- Binding -----------------------------------------------------------------

// SQLITE_TRANSIENT copies: the cursor steps later, when the caller's
// values may be gone.
// A statement keeps the copies SQLite made of its text and blob values
// (SQLITE_TRANSIENT) until the next bind replaces them, which is cheaper
// than clearing them on every return to the cache; above this many bytes
// they are cleared instead, so that the cache never holds much more than
// statement_cache_size times this.
constexpr size_t kRetainedBindingBytes = 8 * 1024;

// The binders add the bytes SQLite copies to `copied`.
int BindText(sqlite3_stmt* statement, int index, absl::string_view text, size_t& copied) {
  copied += text.size();
  return sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_TRANSIENT,
                             SQLITE_UTF8);
}

int BindBlob(sqlite3_stmt* statement, int index, absl::string_view bytes, size_t& copied) {
  // A null pointer would bind NULL; an empty std::string's is never null,
  // but say so rather than rely on it.
  if (bytes.empty()) return sqlite3_bind_zeroblob(statement, index, 0);
  copied += bytes.size();
  return sqlite3_bind_blob64(statement, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

// Binds a value SQLite stores as text that must be formatted first: an
// SQLite result code, or InvalidArgument for a value with no SQLite form.
absl::StatusOr<int> BindFormatted(sqlite3_stmt* statement, int index, const sql::Value& value,
                                  size_t& copied) {
  using Kind = sql::Value::Kind;
  std::string text;
  switch (value.kind()) {
    case Kind::kTimestamp: {
      DUO_ASSIGN_OR_RETURN(text, FormatSqliteTimestamp(value.as_timestamp()));
      break;
    }
    case Kind::kDate: {
      DUO_ASSIGN_OR_RETURN(text, FormatSqliteDate(value.as_date()));
      break;
    }
    case Kind::kArray: {
      DUO_ASSIGN_OR_RETURN(text, ArrayToJson(value.as_array()));
      break;
    }
    case Kind::kUuid:
      text = value.as_uuid().ToHex();  // see sql::Uuid: CHAR(32) hex
      break;
    case Kind::kTimeOfDay:
      text = value.as_time_of_day().ToString();
      break;
    case Kind::kInterval: {
      DUO_ASSIGN_OR_RETURN(text, sql::IntervalToEpochText(value.as_interval()));
      break;
    }
    default:
      return absl::InvalidArgumentError("unknown value kind");
  }
  return BindText(statement, index, text, copied);
}

// Binds every parameter of `statement` (prepared from `sql`) per the type
// mapping in connection.h; the bytes SQLite copied to hold them. Only the
// kinds that need formatting pay for a status per value.
absl::StatusOr<size_t> BindParams(sqlite3* db, sqlite3_stmt* statement, absl::string_view sql,
                                  const std::vector<sql::Value>& params) {
  using Kind = sql::Value::Kind;
  const int expected = sqlite3_bind_parameter_count(statement);
  if (static_cast<size_t>(expected) != params.size()) {
    return ProgrammingError(absl::StrCat("the statement takes ", expected, " parameters, but ",
                                         params.size(), " values were given"),
                            sql);
  }
  size_t copied = 0;
  for (int i = 0; i < expected; ++i) {
    const sql::Value& value = params[i];
    const int index = i + 1;
    int code = SQLITE_OK;
    switch (value.kind()) {
      case Kind::kNull:
        code = sqlite3_bind_null(statement, index);
        break;
      case Kind::kBool:
        code = sqlite3_bind_int(statement, index, value.as_bool() ? 1 : 0);
        break;
      case Kind::kInt:
        code = sqlite3_bind_int64(statement, index, value.as_int());
        break;
      case Kind::kDouble:
        // SQLite would store NULL: a value silently lost. The ORM refuses it
        // earlier, naming the column; this catches statements built by hand.
        if (std::isnan(value.as_double())) {
          return DataError(absl::StrCat("cannot bind parameter ", index,
                                        ": SQLite cannot store NaN (it would store NULL)"),
                           sql);
        }
        code = sqlite3_bind_double(statement, index, value.as_double());
        break;
      case Kind::kText:
        code = BindText(statement, index, value.as_text(), copied);
        break;
      case Kind::kBlob:
        code = BindBlob(statement, index, value.as_blob().bytes, copied);
        break;
      case Kind::kDecimal:
        code = BindText(statement, index, value.as_decimal().digits(), copied);
        break;
      case Kind::kJson:
        code = BindText(statement, index, value.as_json().text, copied);
        break;
      case Kind::kTimestamp:
      case Kind::kDate:
      case Kind::kArray:
      case Kind::kUuid:
      case Kind::kTimeOfDay:
      case Kind::kInterval: {
        absl::StatusOr<int> bound = BindFormatted(statement, index, value, copied);
        if (!bound.ok()) {
          return DataError(
              absl::StrCat("cannot bind parameter ", index, ": ", bound.status().message()), sql);
        }
        code = *bound;
        break;
      }
    }
    if (code != SQLITE_OK) {
      return SqliteError(db, code, absl::StrCat("cannot bind parameter ", index), sql,
                         Phase::kStep);
    }
  }
  return copied;
}

// ---- Cursor ------------------------------------------------------------------

absl::string_view StorageClassName(int type) {
  switch (type) {
    case SQLITE_INTEGER:
      return "INTEGER";
    case SQLITE_FLOAT:
      return "REAL";
    case SQLITE_TEXT:
      return "TEXT";
    case SQLITE_BLOB:
      return "BLOB";
    default:
      return "NULL";
  }
}

// Values are read through sqlite3_column_value once per getter, then the
// cheap sqlite3_value_* accessors: each sqlite3_column_* call repeats the
// statement's bookkeeping, which hydrating many rows would pay several times
// per column. The unprotected value is safe here because a connection serves
// one thread at a time (see OpenSqlite).
class SqliteCursor final : public Cursor {
 public:
  // A cursor lives for one statement, and a loop of statements creates
  // one per iteration: the last one freed on a thread is kept for the next.
  static void* operator new(std::size_t size);
  static void operator delete(void* memory, std::size_t size) noexcept;

  SqliteCursor(sqlite3* db, SqliteStatementCache::Lease lease)
      : db_(db),
        lease_(std::move(lease)),
        statement_(lease_.get()),
        column_count_(sqlite3_column_count(statement_)) {}

  absl::StatusOr<bool> Next() override;

  int column_count() const override { return column_count_; }
  absl::string_view column_name(int column) const override;

  bool IsNull(int column) const override {
    return !OnColumn(column) || sqlite3_value_type(Value(column)) == SQLITE_NULL;
  }
  absl::StatusOr<bool> GetBool(int column) const override;
  absl::StatusOr<int64_t> GetInt(int column) const override;
  absl::StatusOr<double> GetDouble(int column) const override;
  absl::StatusOr<absl::string_view> GetText(int column) const override;
  absl::StatusOr<absl::string_view> GetBytes(int column) const override;
  absl::StatusOr<absl::Time> GetTimestamp(int column) const override;
  absl::StatusOr<absl::CivilDay> GetDate(int column) const override;
  absl::StatusOr<sql::Decimal> GetDecimal(int column) const override;
  absl::StatusOr<sql::Array> GetArray(int column) const override;
  absl::StatusOr<sql::Value> GetValue(int column) const override;
  absl::Status ReadRow(std::span<const RowSlot> slots, int first, void* object) const override;

  int64_t rows_affected() const override { return rows_affected_; }

 private:
  enum class State { kBeforeFirst, kOnRow, kDone, kFailed };

  absl::string_view sql() const;
  bool OnColumn(int column) const {
    return state_ == State::kOnRow &&
           static_cast<unsigned>(column) < static_cast<unsigned>(column_count_);
  }
  sqlite3_value* Value(int column) const { return sqlite3_column_value(statement_, column); }
  // The error for a column that OnColumn() refuses.
  absl::Status ColumnError(int column) const;
  // The current row's value in `column` when it has storage class `type`,
  // else null: TypeError then says why (no row, no such column, another
  // storage class). Split so that the getters' fast path stays inline.
  sqlite3_value* Typed(int column, int type) const {
    if (!OnColumn(column)) return nullptr;
    sqlite3_value* const value = Value(column);
    return sqlite3_value_type(value) == type ? value : nullptr;
  }
  absl::Status TypeError(int column, absl::string_view wanted) const;
  absl::StatusOr<sqlite3_value*> Expect(int column, int type, absl::string_view wanted) const {
    sqlite3_value* const value = Typed(column, type);
    if (value == nullptr) return TypeError(column, wanted);
    return value;
  }
  absl::StatusOr<sqlite3_value*> Checked(int column) const {
    if (!OnColumn(column)) return ColumnError(column);
    return Value(column);
  }
  absl::Status ValueError(int column, absl::string_view what) const;

  sqlite3* const db_;
  SqliteStatementCache::Lease lease_;
  sqlite3_stmt* const statement_;
  const int column_count_;
  State state_ = State::kBeforeFirst;
  absl::Status error_;
  int64_t total_changes_before_ = 0;
  int64_t rows_affected_ = 0;
};

// abseil's macros, not GCC's __SANITIZE_*: clang (the fuzz build) defines
// only __has_feature, and ASan must see every lifetime there too.
// DUO_SANITIZE_ADDRESS: the ASan pass of tools/test.sh (see .bazelrc).
#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER) || \
    defined(DUO_SANITIZE_ADDRESS)
constexpr bool kKeepSpareCursor = false;  // the sanitizers see every lifetime
#else
constexpr bool kKeepSpareCursor = true;
#endif

struct SpareCursor {
  SpareCursor() = default;
  SpareCursor(const SpareCursor&) = delete;
  SpareCursor& operator=(const SpareCursor&) = delete;
  ~SpareCursor() { ::operator delete(memory); }
  void* memory = nullptr;
};
thread_local SpareCursor spare_cursor;

void* SqliteCursor::operator new(std::size_t size) {
  if (kKeepSpareCursor && spare_cursor.memory != nullptr) {
    return std::exchange(spare_cursor.memory, nullptr);
  }
  return ::operator new(size);
}

void SqliteCursor::operator delete(void* memory, std::size_t) noexcept {
  if (kKeepSpareCursor && spare_cursor.memory == nullptr) {
    spare_cursor.memory = memory;
  } else {
    ::operator delete(memory);
  }
}

// Text before size: sqlite3_value_bytes reports the length of the form the
// last call converted to.
absl::string_view TextOf(sqlite3_value* value) {
  const unsigned char* text = sqlite3_value_text(value);
  if (text == nullptr) return absl::string_view();
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_value_bytes(value)));
}

absl::string_view BytesOf(sqlite3_value* value) {
  const void* bytes = sqlite3_value_blob(value);
  if (bytes == nullptr) return absl::string_view();  // also the empty blob
  return absl::string_view(static_cast<const char*>(bytes),
                           static_cast<size_t>(sqlite3_value_bytes(value)));
}

absl::StatusOr<bool> SqliteCursor::Next() {
  switch (state_) {
    case State::kDone:
      return false;
    case State::kFailed:
      return error_;
    case State::kBeforeFirst:
      total_changes_before_ = sqlite3_total_changes64(db_);
      break;
    case State::kOnRow:
      break;
  }
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) {
    state_ = State::kOnRow;
    return true;
  }
  if (code == SQLITE_DONE) {
    state_ = State::kDone;
    // sqlite3_changes64 keeps the count of the last INSERT, UPDATE or
    // DELETE, so a SELECT or DDL would report that one's; only a statement
    // that changed rows reports its own.
    rows_affected_ =
        sqlite3_total_changes64(db_) != total_changes_before_ ? sqlite3_changes64(db_) : 0;
  } else {
    state_ = State::kFailed;
    error_ = SqliteError(db_, code, "", sql(), Phase::kStep);
  }
  // Ends the statement's implicit transaction now rather than when the
  // cursor is destroyed, so that a finished cursor holds no lock.
  sqlite3_reset(statement_);
  lease_.MarkReset();
  if (state_ == State::kFailed) return error_;
  return false;
}

absl::string_view SqliteCursor::sql() const {
  const char* text = sqlite3_sql(statement_);
  return text != nullptr ? text : "";
}

absl::string_view SqliteCursor::column_name(int column) const {
  const char* name = sqlite3_column_name(statement_, column);
  return name != nullptr ? name : "";
}

absl::Status SqliteCursor::ColumnError(int column) const {
  if (state_ != State::kOnRow) {
    return ProgrammingError("no current row: call Next() until it returns true before reading",
                            sql());
  }
  return ProgrammingError(absl::StrCat("column ", column, " does not exist (the result has ",
                                       column_count_, " columns)"),
                          sql());
}

absl::Status SqliteCursor::ValueError(int column, absl::string_view what) const {
  return DataError(absl::StrCat("column \"", column_name(column), "\" ", what), sql());
}

absl::Status SqliteCursor::TypeError(int column, absl::string_view wanted) const {
  if (!OnColumn(column)) return ColumnError(column);
  const int actual = sqlite3_value_type(Value(column));
  if (actual == SQLITE_NULL) return ValueError(column, kNullAdvice);
  return ValueError(column, absl::StrCat("holds ", StorageClassName(actual), ", not ", wanted));
}

absl::StatusOr<bool> SqliteCursor::GetBool(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Expect(column, SQLITE_INTEGER, "a boolean"));
  const int64_t number = sqlite3_value_int64(value);
  if (number != 0 && number != 1) {
    return ValueError(column, absl::StrCat("holds ", number, ", not a boolean (0 or 1)"));
  }
  return number == 1;
}

absl::StatusOr<int64_t> SqliteCursor::GetInt(int column) const {
  sqlite3_value* const value = Typed(column, SQLITE_INTEGER);
  if (value == nullptr) return TypeError(column, "an integer");
  return sqlite3_value_int64(value);
}

absl::StatusOr<double> SqliteCursor::GetDouble(int column) const {
  if (sqlite3_value* const real = Typed(column, SQLITE_FLOAT)) return sqlite3_value_double(real);
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Checked(column));
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER: {
      // An INTEGER is a number too (sum() of integers is one), as long as no
      // digit is lost: every integer up to 2^53 is a double.
      constexpr int64_t kExactLimit = int64_t{1} << 53;
      const int64_t number = sqlite3_value_int64(value);
      if (number < -kExactLimit || number > kExactLimit) {
        return ValueError(column, absl::StrCat("holds ", number, ", which a double cannot hold"));
      }
      return static_cast<double>(number);
    }
    default:
      return TypeError(column, "a number");
  }
}

absl::StatusOr<absl::string_view> SqliteCursor::GetText(int column) const {
  sqlite3_value* const value = Typed(column, SQLITE_TEXT);
  if (value == nullptr) return TypeError(column, "text");
  return TextOf(value);
}

// The getters' fast paths, written into the members directly; any value
// they would not take as it is goes to the slot's reader.
absl::Status SqliteCursor::ReadRow(std::span<const RowSlot> slots, int first, void* object) const {
  if (first < 0 || !OnColumn(first + static_cast<int>(slots.size()) - 1)) {
    return Cursor::ReadRow(slots, first, object);
  }
  return ReadSlots(slots, first, object, [this](RowSlot::Member member, int column, void* target) {
    if (member == RowSlot::Member::kOther) return false;
    sqlite3_value* const value = Value(column);
    const int type = sqlite3_value_type(value);
    switch (member) {
      case RowSlot::Member::kInt64:
        if (type != SQLITE_INTEGER) return false;
        *static_cast<int64_t*>(target) = sqlite3_value_int64(value);
        return true;
      case RowSlot::Member::kDouble:
        if (type != SQLITE_FLOAT) return false;
        *static_cast<double*>(target) = sqlite3_value_double(value);
        return true;
      case RowSlot::Member::kString: {
        if (type != SQLITE_TEXT) return false;
        const absl::string_view text = TextOf(value);
        static_cast<std::string*>(target)->assign(text.data(), text.size());
        return true;
      }
      case RowSlot::Member::kOther:
        break;
    }
    return false;
  });
}

absl::StatusOr<absl::string_view> SqliteCursor::GetBytes(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Expect(column, SQLITE_BLOB, "bytes"));
  return BytesOf(value);
}

absl::StatusOr<absl::Time> SqliteCursor::GetTimestamp(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Expect(column, SQLITE_TEXT, "a timestamp"));
  std::optional<absl::Time> time = sql::ParseTimestampText(TextOf(value));
  if (!time) {
    return ValueError(column, "holds TEXT that is not a timestamp (YYYY-MM-DD HH:MM:SS.ffffff)");
  }
  return *time;
}

absl::StatusOr<absl::CivilDay> SqliteCursor::GetDate(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Expect(column, SQLITE_TEXT, "a date"));
  std::optional<absl::CivilDay> day = sql::ParseDateText(TextOf(value));
  if (!day) return ValueError(column, "holds TEXT that is not a date (YYYY-MM-DD)");
  return *day;
}

absl::StatusOr<sql::Decimal> SqliteCursor::GetDecimal(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Checked(column));
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      return sql::Decimal::Parse(absl::StrCat(sqlite3_value_int64(value)));
    case SQLITE_TEXT: {
      absl::StatusOr<sql::Decimal> decimal = sql::Decimal::Parse(TextOf(value));
      if (!decimal.ok()) return ValueError(column, "holds TEXT that is not a decimal number");
      return decimal;
    }
    case SQLITE_FLOAT: {
      const double number = sqlite3_value_double(value);
      std::optional<std::string> digits = DecimalOfReal(number);
      if (!digits) {
        char shortest[64];
        const std::to_chars_result printed =
            std::to_chars(shortest, shortest + sizeof(shortest), number);
        return ValueError(
            column, absl::StrFormat(
                        "holds the REAL %s, which is not exactly a decimal number: SQLite "
                        "keeps %d significant digits of a decimal stored in a column with "
                        "NUMERIC or REAL affinity; declare exact decimals' columns TEXT",
                        absl::string_view(shortest, printed.ptr - shortest), kRealDecimalDigits));
      }
      return sql::Decimal::Parse(*digits);
    }
    default:
      return Expect(column, SQLITE_TEXT, "a decimal").status();
  }
}

absl::StatusOr<sql::Array> SqliteCursor::GetArray(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Expect(column, SQLITE_TEXT, "an array"));
  const absl::string_view text = TextOf(value);
  // ParseJson refuses an integer beyond 64 bits rather than round it, and
  // says so; other failures are text that is not JSON at all.
  absl::StatusOr<nlohmann::json> json = ParseJson(text, column_name(column));
  if (!json.ok()) {
    if (nlohmann::json::accept(text.begin(), text.end())) return json.status();
    return ValueError(column, "holds TEXT that is not a JSON array of scalars");
  }
  if (json->is_null()) {
    // What SQLAlchemy's JSON type writes for None. Not an empty array: that
    // is another value, which a read-modify-write would then store.
    return ValueError(column,
                      "holds JSON null, which only a std::optional member reads (as nullopt)");
  }
  std::optional<sql::Array> array = ArrayFromJson(*json);
  if (!array) return ValueError(column, "holds TEXT that is not a JSON array of scalars");
  return *std::move(array);
}

absl::StatusOr<sql::Value> SqliteCursor::GetValue(int column) const {
  DUO_ASSIGN_OR_RETURN(sqlite3_value* const value, Checked(column));
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      return sql::Value(sqlite3_value_int64(value));
    case SQLITE_FLOAT:
      return sql::Value(sqlite3_value_double(value));
    case SQLITE_TEXT:
      return sql::Value(TextOf(value));
    case SQLITE_BLOB:
      return sql::Value(sql::Blob{std::string(BytesOf(value))});
    default:
      return sql::Value();
  }
}

// ---- Connection --------------------------------------------------------------

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DatabasePtr = std::unique_ptr<sqlite3, CloseDatabase>;

bool HasStatement(absl::string_view sql) { return !absl::StripAsciiWhitespace(sql).empty(); }

// How long a statement has waited for another connection's lock.
struct BusyWait {
  absl::Duration timeout;
  absl::Time started;
  // Interrupt() stops a busy wait too, which sqlite3_interrupt does not:
  // each call (Run, RunMany, ExecuteScript) gets a number, and an interrupt
  // stops the waits of the call running when it came, never a later one's.
  std::atomic<uint64_t> call{0};
  std::atomic<uint64_t> interrupted_call{UINT64_MAX};
};

// The busy handler: retries every millisecond or two until the timeout.
// SQLite's own busy timeout sleeps ever longer between attempts, up to
// 100 ms, so under steady contention from the other connections of a pool
// a waiting writer can miss every moment the lock is free and fail after
// the whole timeout while the others write thousands of rows (seen under
// ASan: DatabaseTest.EightThreadsShareOnePool, 3 of 4000 inserts "database
// is locked" after 5 s). Short, even sleeps give it a chance as often as
// any other writer.
int RetryWhileBusy(void* arg, int attempts) {
  BusyWait& wait = *static_cast<BusyWait*>(arg);
  const absl::Time now = absl::Now();
  if (attempts == 0) wait.started = now;
  if (now - wait.started >= wait.timeout) return 0;
  if (wait.interrupted_call.load(std::memory_order_acquire) ==
      wait.call.load(std::memory_order_relaxed)) {
    return 0;
  }
  sqlite3_sleep(attempts < 20 ? 1 : 2);
  return 1;
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(DatabasePtr db, size_t statement_cache_size, absl::Duration busy_timeout)
      : busy_wait_(std::make_unique<BusyWait>()), db_(std::move(db)), cache_(statement_cache_size) {
    busy_wait_->timeout = busy_timeout;
    // Replaces the sqlite3_busy_timeout that Configure set for opening.
    sqlite3_busy_handler(db_.get(), RetryWhileBusy, busy_wait_.get());
  }

  const dialect::Dialect& dialect() const override { return dialect::SqliteDialect(); }

  absl::StatusOr<std::unique_ptr<Cursor>> Run(const dialect::CompiledStatement& statement,
                                              RunMode mode) override;
  absl::StatusOr<int64_t> RunMany(const dialect::CompiledStatement& statement, int64_t rows,
                                  FillParams fill) override;
  absl::Status ExecuteScript(absl::string_view sql) override;
  bool Ping() override;
  bool InTransaction() const override { return sqlite3_get_autocommit(db_.get()) == 0; }
  // SQLite documents sqlite3_interrupt as safe from any thread.
  void Interrupt() override {
    busy_wait_->interrupted_call.store(busy_wait_->call.load(std::memory_order_acquire),
                                       std::memory_order_release);
    sqlite3_interrupt(db_.get());
  }

 private:
  absl::StatusOr<SqliteStatementCache::Lease> Prepare(const std::string& sql);
  // Numbers the call that begins, for Interrupt.
  void BeginCall() { busy_wait_->call.fetch_add(1, std::memory_order_acq_rel); }
  absl::Status CheckSingleStatement(const char* tail, absl::string_view sql);

  // Before db_: the handler's state outlives the connection.
  std::unique_ptr<BusyWait> busy_wait_;
  DatabasePtr db_;
  SqliteStatementCache cache_;  // after db_: finalizes its statements before the close
};

absl::StatusOr<std::unique_ptr<Cursor>> SqliteConnection::Run(
    const dialect::CompiledStatement& statement, RunMode /*mode: SQLite always streams*/) {
  BeginCall();
  DUO_ASSIGN_OR_RETURN(SqliteStatementCache::Lease lease, Prepare(statement.sql));
  // A failed bind returns the lease as it is, clearing what was bound.
  DUO_ASSIGN_OR_RETURN(const size_t copied,
                       BindParams(db_.get(), lease.get(), statement.sql, statement.params));
  if (copied <= kRetainedBindingBytes) lease.KeepBindingsOnRelease();
  return std::make_unique<SqliteCursor>(db_.get(), std::move(lease));
}

// Bind, step, reset on one statement, as a C API loop would: no cursor per
// row. Rows affected are counted as SqliteCursor::Next counts them.
absl::StatusOr<int64_t> SqliteConnection::RunMany(const dialect::CompiledStatement& statement,
                                                  int64_t rows, FillParams fill) {
  BeginCall();
  DUO_ASSIGN_OR_RETURN(SqliteStatementCache::Lease lease, Prepare(statement.sql));
  sqlite3* const db = db_.get();
  sqlite3_stmt* const prepared = lease.get();
  std::vector<sql::Value> params = statement.params;
  int64_t affected = 0;
  size_t copied = 0;
  for (int64_t row = 0; row < rows; ++row) {
    if (absl::Status filled = fill(row, params); !filled.ok()) return WithRow(row, filled);
    absl::StatusOr<size_t> bound = BindParams(db, prepared, statement.sql, params);
    if (!bound.ok()) return WithRow(row, bound.status());
    copied = *bound;
    const int64_t changes_before = sqlite3_total_changes64(db);
    int code;
    do {
      code = sqlite3_step(prepared);
    } while (code == SQLITE_ROW);
    if (code != SQLITE_DONE) {
      absl::Status error = SqliteError(db, code, "", statement.sql, Phase::kStep);
      return WithRow(row, error);  // the lease resets the statement
    }
    if (sqlite3_total_changes64(db) != changes_before) affected += sqlite3_changes64(db);
    sqlite3_reset(prepared);
  }
  lease.MarkReset();
  if (copied <= kRetainedBindingBytes) lease.KeepBindingsOnRelease();
  return affected;
}

absl::StatusOr<SqliteStatementCache::Lease> SqliteConnection::Prepare(const std::string& sql) {
  SqliteStatementCache::Lease lease = cache_.Take(sql);
  if (lease) return lease;
  // PERSISTENT tells SQLite the statement lives long, so that it does not
  // take memory from the small-allocation pool meant for short-lived ones.
  const unsigned flags = cache_.capacity() > 0 ? SQLITE_PREPARE_PERSISTENT : 0;
  sqlite3_stmt* statement = nullptr;
  const char* tail = nullptr;
  // With the terminating NUL included, SQLite need not copy the text.
  const int code = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                      flags, &statement, &tail);
  if (code != SQLITE_OK) {
    return SqliteError(db_.get(), code, "cannot prepare the statement", sql, Phase::kPrepare);
  }
  if (statement == nullptr) return ProgrammingError("the SQL holds no statement", sql);
  // Checked before caching: a cache hit skips the check.
  if (absl::Status single = CheckSingleStatement(tail, sql); !single.ok()) {
    sqlite3_finalize(statement);
    return single;
  }
  return cache_.Adopt(sql, statement);
}

// Run() executes one statement: anything after it would be silently
// ignored, so it is an error unless it is only whitespace or comments.
absl::Status SqliteConnection::CheckSingleStatement(const char* tail, absl::string_view sql) {
  if (tail == nullptr || !HasStatement(tail)) return absl::OkStatus();
  sqlite3_stmt* next = nullptr;
  const int code = sqlite3_prepare_v3(db_.get(), tail, -1, 0, &next, nullptr);
  sqlite3_finalize(next);
  if (code == SQLITE_OK && next == nullptr) return absl::OkStatus();
  return ProgrammingError("Run() takes one statement; use ExecuteScript() for several", sql);
}

absl::Status SqliteConnection::ExecuteScript(absl::string_view sql) {
  BeginCall();
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* message = nullptr;
  const int code = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (code == SQLITE_OK) return absl::OkStatus();
  const std::string reason = message != nullptr ? message : sqlite3_errstr(code);
  sqlite3_free(message);
  return SqliteError(code, reason, "", text, Phase::kScript);
}

// Nothing can drop an SQLite connection from the outside; this only proves
// the handle still runs statements.
bool SqliteConnection::Ping() {
  return sqlite3_exec(db_.get(), "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
}

// ---- Opening -----------------------------------------------------------------

// The first column of the first row of `sql`.
absl::StatusOr<std::string> QueryText(sqlite3* db, const char* sql, absl::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int code = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, &sqlite3_finalize);
  if (code == SQLITE_OK) code = sqlite3_step(raw);
  if (code != SQLITE_ROW) return SqliteError(db, code, what, sql, Phase::kOpen);
  const unsigned char* text = sqlite3_column_text(raw, 0);
  return std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "");
}

// In-memory and temporary databases have no file name; those of the memdb
// VFS have one, but no file.
bool IsFileDatabase(sqlite3* db) {
  const char* filename = sqlite3_db_filename(db, "main");
  if (filename == nullptr || filename[0] == '\0') return false;
  char* vfs = nullptr;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_VFSNAME, &vfs);
  // memdb names itself "memdb(<address>,<size>)".
  const bool memdb = vfs != nullptr && absl::StartsWith(vfs, "memdb");
  sqlite3_free(vfs);
  return !memdb;
}

absl::Status EnableWal(sqlite3* db, absl::string_view what) {
  DUO_ASSIGN_OR_RETURN(std::string mode, QueryText(db, "PRAGMA journal_mode = WAL", what));
  if (absl::AsciiStrToLower(mode) == "wal") return absl::OkStatus();
  // SQLite silently keeps the old mode where WAL cannot work (some network
  // file systems, for example); readers would then block the writer.
  return DatabaseError(
      absl::StrCat(what, ": the database refused WAL mode (it stays in ", mode, " mode)"),
      {.kind = ErrorKind::kOther});
}

absl::Status Configure(sqlite3* db, const SqliteOptions& options, absl::string_view what) {
  sqlite3_extended_result_codes(db, 1);
  const int64_t timeout_ms = absl::ToInt64Milliseconds(options.busy_timeout);
  sqlite3_busy_timeout(db, static_cast<int>(std::clamp<int64_t>(timeout_ms, 0, INT_MAX)));
  const int code = sqlite_internal::RegisterFunctions(db);
  if (code != SQLITE_OK) return SqliteError(db, code, what, "", Phase::kOpen);
  // The first statements to read the file: a file that is not a database
  // fails here (SQLITE_NOTADB), not at sqlite3_open_v2.
  constexpr char kPragmas[] = "PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON";
  char* message = nullptr;
  const int pragma_code = sqlite3_exec(db, kPragmas, nullptr, nullptr, &message);
  if (pragma_code != SQLITE_OK) {
    const std::string reason = message != nullptr ? message : sqlite3_errstr(pragma_code);
    sqlite3_free(message);
    return SqliteError(pragma_code, reason, what, kPragmas, Phase::kOpen);
  }
  // A read-only connection cannot change the journal mode, which is a
  // property of the file that read-write connections set.
  if (!options.read_only && IsFileDatabase(db)) DUO_RETURN_IF_ERROR(EnableWal(db, what));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenSqlite(const SqliteOptions& options) {
  const std::string what = absl::StrCat("cannot open SQLite database \"", options.filename, "\"");
  if (options.filename.empty()) {
    // SQLite would open a private temporary database: rarely what was meant.
    return DatabaseError(absl::StrCat(what, ": no file name given"),
                         {.kind = ErrorKind::kProgramming});
  }
  if (sqlite3_libversion_number() < 3039000) {
    return DatabaseError(
        absl::StrCat(what, ": DuoORM needs SQLite 3.39 or newer, not ", sqlite3_libversion()),
        {.kind = ErrorKind::kOther});
  }
  // NOMUTEX: a connection serves one thread at a time, so SQLite's
  // per-connection mutex would only cost time.
  const int flags =
      SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  const int code = sqlite3_open_v2(options.filename.c_str(), &raw, flags, nullptr);
  DatabasePtr db(raw);
  if (code != SQLITE_OK) return SqliteError(raw, code, what, "", Phase::kOpen);
  DUO_RETURN_IF_ERROR(Configure(db.get(), options, what));
  return std::make_unique<SqliteConnection>(std::move(db), options.statement_cache_size,
                                            options.busy_timeout);
}

}  // namespace duo::engine
