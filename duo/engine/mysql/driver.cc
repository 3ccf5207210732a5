#include "duo/engine/mysql/driver.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/base/lru_cache.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/engine/error.h"
#include "duo/engine/mysql/codec.h"
#include "errmsg.h"
#include "mysql.h"

namespace duo::engine {
namespace {

using mysql_internal::ConstraintName;
using mysql_internal::IsConnectionError;
using mysql_internal::KindForError;
using mysql_internal::ReportedMessage;

// Connector/C's non-blocking calls run on a stack of their own; its default
// (about 60 KiB) leaves little room for authentication plugins and TLS.
constexpr size_t kNonBlockingStackSize = 256 * 1024;

// How long a statement killed at its deadline (KILL QUERY, sent over a
// second connection) may take to come back, and the kill request itself to
// finish, before the connection is given up on: a live server does both in
// milliseconds.
constexpr absl::Duration kKillGrace = absl::Seconds(1);

// Initial buffer of a text or bytes column of a streamed result, whose
// longest value is not known beforehand: grown to fit as rows need it.
constexpr unsigned long kStreamingColumnBuffer = 256;

void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// ---- Errors ------------------------------------------------------------------

absl::Status MysqlError(unsigned int code, absl::string_view sqlstate, absl::string_view message,
                        absl::string_view sql) {
  ErrorDetails details{.kind = KindForError(code, sqlstate),
                       .sqlstate = std::string(sqlstate),
                       .constraint = ConstraintName(code, message),
                       .sql = std::string(sql)};
  if (details.sqlstate == "00000") details.sqlstate.clear();
  return DatabaseError(ReportedMessage(code, message), std::move(details));
}

absl::Status ConnectionError(MYSQL* mysql, absl::string_view sql) {
  return MysqlError(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql), sql);
}

absl::Status StatementError(MYSQL_STMT* stmt, absl::string_view sql) {
  return MysqlError(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), sql);
}

absl::Status ProgrammingError(std::string message, absl::string_view sql) {
  return DatabaseError(std::move(message),
                       {.kind = ErrorKind::kProgramming, .sql = std::string(sql)});
}

absl::Status DataError(std::string message, absl::string_view sql) {
  return DatabaseError(std::move(message),
                       {.kind = ErrorKind::kDataError, .sql = std::string(sql)});
}

// A kept statement the server no longer knows (1243: after
// mysql_reset_connection) or could not re-prepare after a schema change
// (1615). The statement did not run: preparing it again and running it once
// more is safe.
bool IsStale(unsigned int code) { return code == 1243 || code == 1615; }

// Whether `sql` only reads, as far as its first word tells: SELECT, WITH,
// SHOW, ... A statement whose result columns changed since it was prepared
// (CR_NEW_STMT_METADATA, after ALTER TABLE) has run on the server before
// Connector/C refuses its result; only one that reads may run again.
bool ReadsOnly(absl::string_view sql) {
  sql = absl::StripLeadingAsciiWhitespace(sql);
  while (absl::ConsumePrefix(&sql, "(")) sql = absl::StripLeadingAsciiWhitespace(sql);
  for (const absl::string_view word :
       {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "VALUES", "TABLE"}) {
    if (sql.size() >= word.size() && absl::EqualsIgnoreCase(sql.substr(0, word.size()), word) &&
        (sql.size() == word.size() || !absl::ascii_isalnum(sql[word.size()]))) {
      return true;
    }
  }
  return false;
}

// The error of a statement whose result columns changed since it was
// prepared, when it may not run again: say what happened.
absl::Status NewMetadataError(absl::string_view sql) {
  return DatabaseError(
      "the statement ran, but its result columns changed since it was prepared (a schema "
      "change), and Connector/C refused the result; it is prepared afresh next time (MySQL "
      "error 2057)",
      {.kind = ErrorKind::kOther, .sql = std::string(sql)});
}

// ---- Parameters --------------------------------------------------------------

// The values one execution binds, in MYSQL_BINDs that point into `slots`
// and into the statement's own sql::Values (which must outlive them).
struct BoundParams {
  struct Slot {
    int64_t integer = 0;
    double real = 0;
    signed char tiny = 0;
    MYSQL_TIME time{};
    std::string text;
  };
  std::vector<Slot> slots;
  std::vector<MYSQL_BIND> binds;
};

absl::Status BindError(size_t index, absl::string_view what, absl::string_view sql) {
  return DataError(absl::StrCat("cannot bind parameter ", index + 1, ": ", what), sql);
}

// Fills `params` for `values`; a value MySQL cannot take is a kDataError
// naming the parameter.
// The protocol counts a statement's placeholders in 16 bits; the server's
// own refusal (1390) quotes no number.
constexpr size_t kMaxParams = 65535;

absl::Status EncodeParams(const std::vector<sql::Value>& values, absl::string_view sql,
                          BoundParams& params) {
  using Kind = sql::Value::Kind;
  if (values.size() > kMaxParams) {
    return ProgrammingError(absl::StrCat("the statement binds ", values.size(),
                                         " values; MySQL takes at most ", kMaxParams,
                                         " per statement (split an IN list that long, or "
                                         "load the values into a table and join it)"),
                            sql);
  }
  params.slots.assign(values.size(), BoundParams::Slot());
  params.binds.assign(values.size(), MYSQL_BIND());
  for (size_t i = 0; i < values.size(); ++i) {
    const sql::Value& value = values[i];
    BoundParams::Slot& slot = params.slots[i];
    MYSQL_BIND& bind = params.binds[i];
    bind = MYSQL_BIND();
    switch (value.kind()) {
      case Kind::kNull:
        bind.buffer_type = MYSQL_TYPE_NULL;
        break;
      case Kind::kBool:
        slot.tiny = value.as_bool() ? 1 : 0;
        bind.buffer_type = MYSQL_TYPE_TINY;
        bind.buffer = &slot.tiny;
        break;
      case Kind::kInt:
        slot.integer = value.as_int();
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &slot.integer;
        break;
      case Kind::kDouble:
        // MySQL has neither: a column refuses them (1264) while SELECT ?
        // echoes NaN and arithmetic on it fails. Refused alike, here.
        if (!std::isfinite(value.as_double())) {
          return BindError(i,
                           absl::StrCat("the double ", value.as_double(),
                                        " (MySQL stores neither NaN nor the infinities)"),
                           sql);
        }
        slot.real = value.as_double();
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &slot.real;
        break;
      case Kind::kText:
      case Kind::kJson: {
        const std::string& text =
            value.kind() == Kind::kText ? value.as_text() : value.as_json().text;
        // The server checks text only where it converts it to a column's
        // character set; elsewhere (SELECT ?, comparisons) invalid UTF-8
        // would pass and come back as if it were text.
        if (!mysql_internal::IsValidUtf8(text)) {
          return BindError(i, "text that is not valid UTF-8 (bind bytes as sql::Blob)", sql);
        }
        bind.buffer_type = MYSQL_TYPE_STRING;
        bind.buffer = const_cast<char*>(text.data());
        bind.buffer_length = text.size();
        break;
      }
      case Kind::kBlob:
        bind.buffer_type = MYSQL_TYPE_BLOB;
        bind.buffer = const_cast<char*>(value.as_blob().bytes.data());
        bind.buffer_length = value.as_blob().bytes.size();
        break;
      case Kind::kTimestamp:
      case Kind::kInterval: {
        absl::StatusOr<MYSQL_TIME> time =
            value.kind() == Kind::kTimestamp
                ? mysql_internal::TimestampToMysql(value.as_timestamp())
                : mysql_internal::IntervalToMysql(value.as_interval());
        if (!time.ok()) {
          return BindError(i, absl::StrCat(value.DebugString(), " ", time.status().message()), sql);
        }
        slot.time = *time;
        bind.buffer_type = MYSQL_TYPE_DATETIME;
        bind.buffer = &slot.time;
        break;
      }
      case Kind::kDate: {
        absl::StatusOr<MYSQL_TIME> time = mysql_internal::DateToMysql(value.as_date());
        if (!time.ok()) {
          return BindError(i, absl::StrCat(value.DebugString(), " ", time.status().message()), sql);
        }
        slot.time = *time;
        bind.buffer_type = MYSQL_TYPE_DATE;
        bind.buffer = &slot.time;
        break;
      }
      case Kind::kTimeOfDay:
        slot.time = mysql_internal::TimeOfDayToMysql(value.as_time_of_day());
        bind.buffer_type = MYSQL_TYPE_TIME;
        bind.buffer = &slot.time;
        break;
      case Kind::kDecimal:
        bind.buffer_type = MYSQL_TYPE_NEWDECIMAL;
        bind.buffer = const_cast<char*>(value.as_decimal().digits().data());
        bind.buffer_length = value.as_decimal().digits().size();
        break;
      case Kind::kUuid:
        slot.text = value.as_uuid().ToHex();
        bind.buffer_type = MYSQL_TYPE_STRING;
        bind.buffer = slot.text.data();
        bind.buffer_length = slot.text.size();
        break;
      case Kind::kArray:
        return BindError(i, "an array, and MySQL has no arrays", sql);
    }
  }
  return absl::OkStatus();
}

// The size of the COM_STMT_EXECUTE packet that sends `params`, or a little
// more: what the server compares with its max_allowed_packet.
uint64_t ExecutePacketSize(const BoundParams& params) {
  const uint64_t count = params.binds.size();
  uint64_t size = 11 + (count + 7) / 8 + 2 * count;  // header, NULL bitmap, types
  for (const MYSQL_BIND& bind : params.binds) {
    switch (bind.buffer_type) {
      case MYSQL_TYPE_NULL:
        break;
      case MYSQL_TYPE_TINY:
        size += 1;
        break;
      case MYSQL_TYPE_LONGLONG:
      case MYSQL_TYPE_DOUBLE:
        size += 8;
        break;
      case MYSQL_TYPE_DATE:
      case MYSQL_TYPE_TIME:
      case MYSQL_TYPE_DATETIME:
        size += 13;
        break;
      default:
        size += 9 + bind.buffer_length;  // a length-encoded string
        break;
    }
  }
  return size;
}

// ---- Result columns ----------------------------------------------------------

enum class ColumnKind : uint8_t {
  kNull,
  kInteger,  // TINYINT ... BIGINT, YEAR; signed or unsigned
  kFloat,
  kDouble,
  kDecimal,
  kDate,
  kDateTime,  // DATETIME, TIMESTAMP
  kTime,
  kBit,
  kText,
  kJson,
  kBytes,
};

bool IsVariableLength(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kDecimal:
    case ColumnKind::kBit:
    case ColumnKind::kText:
    case ColumnKind::kJson:
    case ColumnKind::kBytes:
      return true;
    default:
      return false;
  }
}

// The charset number of binary strings (BINARY, VARBINARY, BLOB).
constexpr unsigned int kBinaryCharset = 63;

bool HasJsonFormat(const MYSQL_FIELD& field) {
  // MariaDB describes its JSON columns (LONGTEXT with a JSON_VALID check)
  // in the extended metadata Connector/C asks for.
  MARIADB_CONST_STRING format{nullptr, 0};
  if (mariadb_field_attr(&format, &field, MARIADB_FIELD_ATTR_FORMAT_NAME) != 0) return false;
  return absl::string_view(format.str, format.length) == "json";
}

ColumnKind KindOf(const MYSQL_FIELD& field) {
  switch (field.type) {
    case MYSQL_TYPE_NULL:
      return ColumnKind::kNull;
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return ColumnKind::kInteger;
    case MYSQL_TYPE_FLOAT:
      return ColumnKind::kFloat;
    case MYSQL_TYPE_DOUBLE:
      return ColumnKind::kDouble;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return ColumnKind::kDecimal;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
      return ColumnKind::kDate;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
      return ColumnKind::kDateTime;
    case MYSQL_TYPE_TIME:
      return ColumnKind::kTime;
    case MYSQL_TYPE_BIT:
      return ColumnKind::kBit;
    case MYSQL_TYPE_JSON:  // MySQL's own JSON type
      return ColumnKind::kJson;
    case MYSQL_TYPE_GEOMETRY:
      return ColumnKind::kBytes;
    default:
      if (field.charsetnr == kBinaryCharset) return ColumnKind::kBytes;
      return HasJsonFormat(field) ? ColumnKind::kJson : ColumnKind::kText;
  }
}

absl::string_view TypeName(const MYSQL_FIELD& field) {
  switch (field.type) {
    case MYSQL_TYPE_NULL:
      return "NULL";
    case MYSQL_TYPE_TINY:
      return "TINYINT";
    case MYSQL_TYPE_SHORT:
      return "SMALLINT";
    case MYSQL_TYPE_INT24:
      return "MEDIUMINT";
    case MYSQL_TYPE_LONG:
      return "INT";
    case MYSQL_TYPE_LONGLONG:
      return "BIGINT";
    case MYSQL_TYPE_YEAR:
      return "YEAR";
    case MYSQL_TYPE_FLOAT:
      return "FLOAT";
    case MYSQL_TYPE_DOUBLE:
      return "DOUBLE";
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return "DECIMAL";
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
      return "DATE";
    case MYSQL_TYPE_DATETIME:
      return "DATETIME";
    case MYSQL_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case MYSQL_TYPE_TIME:
      return "TIME";
    case MYSQL_TYPE_BIT:
      return "BIT";
    case MYSQL_TYPE_JSON:
      return "JSON";
    case MYSQL_TYPE_GEOMETRY:
      return "GEOMETRY";
    case MYSQL_TYPE_ENUM:
      return "ENUM";
    case MYSQL_TYPE_SET:
      return "SET";
    default:
      if (field.flags & ENUM_FLAG) return "ENUM";
      if (field.flags & SET_FLAG) return "SET";
      if (field.charsetnr == kBinaryCharset) {
        return field.type == MYSQL_TYPE_VAR_STRING || field.type == MYSQL_TYPE_STRING ||
                       field.type == MYSQL_TYPE_VARCHAR
                   ? "VARBINARY"
                   : "BLOB";
      }
      return field.type == MYSQL_TYPE_VAR_STRING || field.type == MYSQL_TYPE_STRING ||
                     field.type == MYSQL_TYPE_VARCHAR
                 ? "VARCHAR"
                 : "TEXT";
  }
}

struct Column {
  std::string name;
  std::string type_name;
  ColumnKind kind = ColumnKind::kNull;
  enum_field_types type = MYSQL_TYPE_NULL;
  bool is_unsigned = false;
};

// Where one column of the current row lands.
struct ColumnBuffer {
  int64_t integer = 0;  // also an unsigned BIGINT's bits
  double real = 0;
  float single = 0;
  MYSQL_TIME time{};
  std::string bytes;  // the buffer of variable-length values
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool truncated = 0;
};

// ---- Statements --------------------------------------------------------------

// A prepared statement lent to one user. `key` is its SQL text in the
// connection's cache, empty for a statement the cache does not keep.
struct Lease {
  MYSQL_STMT* handle = nullptr;
  std::string key;
};

struct CachedStatement {
  MYSQL_STMT* handle = nullptr;
  bool leased = false;
};

// What a KILL QUERY request shares with the thread that sends it.
struct KillRequest {
  std::atomic<bool> done{false};
};

// Sends KILL QUERY `thread_id` over a new connection made with `options`,
// on a thread of its own that nobody waits for: connecting can take as long
// as the server takes to answer, and the caller bounds its own wait.
std::shared_ptr<KillRequest> SendKillQuery(std::shared_ptr<const MysqlOptions> options,
                                           unsigned long thread_id) {
  auto request = std::make_shared<KillRequest>();
  std::thread([options = std::move(options), thread_id, request] {
    MYSQL* mysql = mysql_init(nullptr);
    if (mysql != nullptr) {
      const unsigned int timeout = 5;
      mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
      mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &timeout);
      mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
      if (mysql_real_connect(mysql, options->host.empty() ? nullptr : options->host.c_str(),
                             options->user.c_str(), options->password.c_str(), nullptr,
                             static_cast<unsigned int>(options->port),
                             options->unix_socket.empty() ? nullptr : options->unix_socket.c_str(),
                             0) != nullptr) {
        const std::string kill = absl::StrCat("KILL QUERY ", thread_id);
        mysql_real_query(mysql, kill.data(), kill.size());
      }
      mysql_close(mysql);
    }
    request->done.store(true, std::memory_order_release);
  }).detach();
  return request;
}

// Waits on the event loop for what a non-blocking Connector/C call asked
// for (`status`: MYSQL_WAIT_* bits) and returns the bits to continue it
// with: MYSQL_WAIT_TIMEOUT when the library's own timeout (read_timeout,
// connect_timeout) came first. DeadlineExceeded at `deadline`.
Task<absl::StatusOr<int>> WaitFor(async::EventLoop& loop, MYSQL* mysql, int status,
                                  absl::Time deadline) {
  absl::Time until = deadline;
  bool library_timeout = false;
  if (status & MYSQL_WAIT_TIMEOUT) {
    const absl::Time timeout = absl::Now() + absl::Milliseconds(mysql_get_timeout_value_ms(mysql));
    if (timeout < until) {
      until = timeout;
      library_timeout = true;
    }
  }
  const int fd = mysql_get_socket(mysql);
  const bool read = (status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT)) != 0;
  const bool write = (status & MYSQL_WAIT_WRITE) != 0;
  absl::Status ready;
  if (fd < 0 || (!read && !write)) {
    if (until == absl::InfiniteFuture()) {
      co_return absl::InternalError("Connector/C waits for nothing, forever");
    }
    co_await loop.Sleep(std::max(absl::ZeroDuration(), until - absl::Now()));
    ready = absl::DeadlineExceededError("timer");
  } else if (read && write) {
    ready = co_await loop.WaitReadableOrWritable(fd, until);
  } else if (write) {
    ready = co_await loop.WaitWritable(fd, until);
  } else {
    ready = co_await loop.WaitReadable(fd, until);
  }
  if (absl::IsDeadlineExceeded(ready)) {
    if (library_timeout) co_return MYSQL_WAIT_TIMEOUT;
    co_return ready;
  }
  if (!ready.ok()) co_return ready;
  co_return status&(MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT);
}

// Ends a non-blocking call that is given up on: with the socket shut down,
// every read and write fails at once and the call returns.
template <typename Step>
void FinishAbandoned(MYSQL* mysql, int status, Step& step) {
  const int fd = mysql_get_socket(mysql);
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
  for (int i = 0; i < 1000 && status != 0; ++i) {
    status = step(MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT | MYSQL_WAIT_TIMEOUT);
  }
}

class MysqlConnection;

// ---- Cursor ------------------------------------------------------------------

// The rows of one execution of a prepared statement, read through result
// buffers bound to it. Hands the statement back to the connection once read
// to the end, failed or destroyed. Not thread-safe; not copyable (it holds
// the statement).
class MysqlCursor final : public Cursor {
 public:
  // A cursor over the rows of `lease`'s statement, just executed (and its
  // result stored, unless `streaming`); returns the lease when done.
  MysqlCursor(MysqlConnection* connection, Lease lease, std::string sql, bool streaming)
      : connection_(connection),
        lease_(std::move(lease)),
        sql_(std::move(sql)),
        streaming_(streaming) {}
  // A statement without rows.
  MysqlCursor(std::string sql, int64_t rows_affected)
      : connection_(nullptr), sql_(std::move(sql)), rows_affected_(rows_affected) {
    state_ = State::kDone;
  }
  ~MysqlCursor() override { Finish(); }

  MysqlCursor(const MysqlCursor&) = delete;
  MysqlCursor& operator=(const MysqlCursor&) = delete;

  // Reads the result's columns and binds their buffers.
  absl::Status Init();

  absl::StatusOr<bool> Next() override;
  int column_count() const override { return static_cast<int>(columns_.size()); }
  absl::string_view column_name(int column) const override {
    if (column < 0 || column >= column_count()) return "";
    return columns_[column].name;
  }
  bool IsNull(int column) const override {
    return !CheckColumn(column).ok() || buffers_[column].is_null != 0;
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
  enum class State { kReading, kOnRow, kDone, kFailed };

  // Returns the statement to the connection.
  void Finish();
  // Fetches the values of columns the last fetch truncated (streamed
  // results), growing their buffers.
  absl::Status FetchTruncated();
  absl::Status CheckColumn(int column) const;
  // OK when the column has a value on the current row.
  absl::Status CheckValue(int column) const;
  absl::Status ValueError(int column, absl::string_view what) const;
  absl::Status KindError(int column, absl::string_view wanted) const;
  absl::string_view Bytes(int column) const {
    return absl::string_view(
        buffers_[column].bytes.data(),
        std::min<size_t>(buffers_[column].length, buffers_[column].bytes.size()));
  }
  bool IsUnsignedAboveInt64(int column) const {
    return columns_[column].is_unsigned && columns_[column].type == MYSQL_TYPE_LONGLONG &&
           buffers_[column].integer < 0;
  }

  MysqlConnection* connection_;
  Lease lease_;
  const std::string sql_;
  const bool streaming_ = false;
  std::vector<Column> columns_;
  std::vector<ColumnBuffer> buffers_;
  std::vector<MYSQL_BIND> binds_;
  State state_ = State::kReading;
  absl::Status error_;
  int64_t rows_affected_ = 0;
};

// ---- Connection --------------------------------------------------------------

// One connection (see driver.h). Used by one thread at a time, except for
// Interrupt() and Sever(), which any thread may call. Not copyable: it owns
// the MYSQL handle and the statements prepared on it.
class MysqlConnection final : public Connection, public AsyncConnection {
 public:
  MysqlConnection(MYSQL* mysql, const MysqlOptions& options, uint64_t max_allowed_packet)
      : mysql_(mysql),
        max_allowed_packet_(max_allowed_packet),
        options_(std::make_shared<const MysqlOptions>(options)),
        dialect_(options.dialect != nullptr ? options.dialect : &dialect::MysqlDialect()),
        thread_id_(mysql_thread_id(mysql)),
        socket_(mysql_get_socket(mysql)),
        cache_(options.statement_cache_size) {}

  ~MysqlConnection() override {
    for (DeferredReturn& deferred : to_return_) {
      const CachedStatement* cached = cache_.Peek(deferred.lease.key);
      if (cached == nullptr || cached->handle != deferred.lease.handle) {
        mysql_stmt_close(deferred.lease.handle);
      }
    }
    for (auto& [key, statement] : cache_.Clear()) mysql_stmt_close(statement.handle);
    for (MYSQL_STMT* handle : to_close_) mysql_stmt_close(handle);
    mysql_close(mysql_);
  }

  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  const dialect::Dialect& dialect() const override { return *dialect_; }

  absl::StatusOr<std::unique_ptr<Cursor>> Run(const dialect::CompiledStatement& statement,
                                              RunMode mode) override;
  absl::StatusOr<int64_t> RunMany(const dialect::CompiledStatement& statement, int64_t rows,
                                  FillParams fill) override;
  absl::Status ExecuteScript(absl::string_view sql) override;
  bool Ping() override;
  bool LooksAlive() override;
  bool Broken() const override {
    return lost_ || abandoned_ || interrupted_.load(std::memory_order_acquire);
  }
  bool InTransaction() const override {
    if (rolled_back_) return false;
    unsigned int status = 0;
    mariadb_get_infov(mysql_, MARIADB_CONNECTION_SERVER_STATUS, &status);
    return (status & SERVER_STATUS_IN_TRANS) != 0;
  }
  AsyncConnection* async() override { return this; }

  // A deadline of a blocking call: see driver.h. Any thread.
  void Interrupt() override {
    interrupted_.store(true, std::memory_order_release);
    SendKillQuery(options_, thread_id_);
  }
  bool InterruptCanEndQuietly() const override { return true; }
  void Sever() override {
    interrupted_.store(true, std::memory_order_release);
    // Ends the blocked read or write of the calling thread at once (end of
    // file), without closing the descriptor under Connector/C's feet.
    if (socket_ >= 0) shutdown(socket_, SHUT_RDWR);
  }

  Task<absl::StatusOr<std::unique_ptr<Cursor>>> RunAsync(
      const dialect::CompiledStatement& statement, absl::Time deadline) override;
  Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> RunBatchAsync(
      const std::vector<dialect::CompiledStatement>& statements, absl::Time deadline) override;
  Task<absl::Status> ExecuteScriptAsync(std::string sql, absl::Time deadline) override;

  // Takes back a statement lent out (MysqlCursor, or a statement that
  // returned no rows): its remaining rows are read and dropped, and it goes
  // back to the cache, or is closed when the cache does not keep it or
  // `discard` says it is stale.
  void Return(Lease lease, bool discard = false);

  // The error of a failed call on `handle`: the statement's, or, when
  // Connector/C left it on the connection (a row that fails mid-stream),
  // the connection's.
  absl::Status StatementFailure(MYSQL_STMT* handle, absl::string_view sql) {
    if (mysql_stmt_errno(handle) == 0 && mysql_errno(mysql_) != 0) {
      return Noted(ConnectionError(mysql_, sql));
    }
    return Noted(StatementError(handle, sql));
  }

  // Records an error's effect on the connection; returns it.
  absl::Status Noted(absl::Status status) {
    const ErrorKind kind = GetErrorKind(status);
    if (kind == ErrorKind::kConnectionLost) lost_ = true;
    // A deadlock's victim has its whole transaction rolled back, and an
    // error carries no server status to say so: InTransaction() must not
    // go on reading the status of the answer before it.
    if (kind == ErrorKind::kSerializationFailure) rolled_back_ = true;
    return status;
  }

 private:
  struct DeferredReturn {
    Lease lease;
    bool discard;
  };

  absl::Status CheckCanRun(absl::string_view sql) const;
  // Closes statements and takes back leases left for when the connection is
  // free (see Return).
  void Tidy();
  // Before each statement: Tidy, and the answer to come brings a fresh
  // server status (see rolled_back_).
  void StartStatement() {
    rolled_back_ = false;
    Tidy();
  }
  void Close(MYSQL_STMT* handle);
  // Closes the idle statements of the cache (after 1461: the server's
  // limit on prepared statements is reached). False when there were none.
  bool CloseIdleStatements();

  // The cached statement for `sql` when it is idle; else a fresh one.
  absl::StatusOr<Lease> Take(const std::string& sql);
  Lease Adopt(const std::string& sql, MYSQL_STMT* handle);
  absl::StatusOr<MYSQL_STMT*> NewStatement(absl::string_view sql);
  absl::Status BindParams(MYSQL_STMT* handle, BoundParams& params, absl::string_view sql);
  absl::StatusOr<std::unique_ptr<Cursor>> Execute(const std::string& sql,
                                                  const std::vector<sql::Value>& values,
                                                  RunMode mode, bool retry_stale);
  // One row of RunMany: executes `lease`'s statement (taking it first when
  // empty) with `params`, its rows dropped, adding what it changed to
  // `affected`.
  absl::Status ExecuteRow(std::optional<Lease>& lease, BoundParams& params, const std::string& sql,
                          bool retry_stale, int64_t& affected);
  // The cursor over the result of `lease`'s statement, just executed (its
  // rows stored unless `streaming`).
  absl::StatusOr<std::unique_ptr<Cursor>> Result(Lease lease, const std::string& sql,
                                                 bool streaming);

  // The non-blocking path: runs `step` (a Connector/C _start call when
  // given -1, its _cont call otherwise, each returning the library's wait
  // status) to completion. Past `deadline` the running statement is killed
  // (KILL QUERY) and awaited kKillGrace more; a server that answers neither
  // leaves the connection abandoned.
  template <typename Step>
  Task<absl::Status> Drive(Step step, absl::Time deadline, absl::string_view sql);
  Task<absl::StatusOr<Lease>> TakeAsync(const std::string& sql, absl::Time deadline);
  Task<absl::StatusOr<std::unique_ptr<Cursor>>> ExecuteAsync(
      const dialect::CompiledStatement& statement, absl::Time deadline, bool retry_stale);

  MYSQL* const mysql_;
  // The server's limit on one packet (the session's, which cannot change).
  const uint64_t max_allowed_packet_;
  // Shared with the threads that send KILL QUERY.
  const std::shared_ptr<const MysqlOptions> options_;
  const dialect::Dialect* const dialect_;
  const unsigned long thread_id_;
  const int socket_;
  LruCache<std::string, CachedStatement> cache_;
  // Statements to close, and leases to take back, once no stream holds the
  // connection.
  std::vector<MYSQL_STMT*> to_close_;
  std::vector<DeferredReturn> to_return_;
  // The statement whose rows a kStreaming cursor is reading: the connection
  // runs nothing else meanwhile.
  MYSQL_STMT* streaming_ = nullptr;
  // The statement executed last, whose further results (a CALL's) the
  // connection may still hold.
  MYSQL_STMT* last_executed_ = nullptr;
  bool lost_ = false;                     // a connection error was seen
  bool abandoned_ = false;                // a call was given up on mid-flight
  bool rolled_back_ = false;              // the last error ended the transaction
  std::atomic<bool> interrupted_{false};  // Interrupt or Sever ran
};

// ---- Cursor implementation ---------------------------------------------------

absl::Status MysqlCursor::Init() {
  MYSQL_STMT* const handle = lease_.handle;
  const unsigned int count = mysql_stmt_field_count(handle);
  MYSQL_FIELD* const fields = mariadb_stmt_fetch_fields(handle);
  if (fields == nullptr) return connection_->Noted(StatementError(handle, sql_));
  columns_.resize(count);
  buffers_.resize(count);
  binds_.assign(count, MYSQL_BIND());
  for (unsigned int i = 0; i < count; ++i) {
    const MYSQL_FIELD& field = fields[i];
    Column& column = columns_[i];
    column.name.assign(field.name, field.name_length);
    column.type_name = std::string(TypeName(field));
    column.kind = KindOf(field);
    column.type = field.type;
    column.is_unsigned = (field.flags & UNSIGNED_FLAG) != 0;
    ColumnBuffer& buffer = buffers_[i];
    MYSQL_BIND& bind = binds_[i];
    bind.is_null = &buffer.is_null;
    bind.length = &buffer.length;
    bind.error = &buffer.truncated;
    switch (column.kind) {
      case ColumnKind::kNull:
        bind.buffer_type = MYSQL_TYPE_NULL;
        break;
      case ColumnKind::kInteger:
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &buffer.integer;
        bind.is_unsigned = column.is_unsigned;
        break;
      case ColumnKind::kFloat:
        bind.buffer_type = MYSQL_TYPE_FLOAT;
        bind.buffer = &buffer.single;
        break;
      case ColumnKind::kDouble:
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &buffer.real;
        break;
      case ColumnKind::kDate:
      case ColumnKind::kDateTime:
      case ColumnKind::kTime:
        bind.buffer_type = field.type == MYSQL_TYPE_NEWDATE ? MYSQL_TYPE_DATE : field.type;
        bind.buffer = &buffer.time;
        break;
      default: {
        // The bytes as they arrive. A stored result knows its longest
        // value (STMT_ATTR_UPDATE_MAX_LENGTH); a stream grows as needed.
        const unsigned long size =
            streaming_ ? std::min<unsigned long>(field.length, kStreamingColumnBuffer)
                       : field.max_length;
        buffer.bytes.resize(std::max<unsigned long>(size, 1));
        bind.buffer_type = MYSQL_TYPE_BLOB;
        bind.buffer = buffer.bytes.data();
        bind.buffer_length = buffer.bytes.size();
        break;
      }
    }
  }
  if (count > 0 && mysql_stmt_bind_result(handle, binds_.data()) != 0) {
    return connection_->Noted(StatementError(handle, sql_));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> MysqlCursor::Next() {
  switch (state_) {
    case State::kDone:
      return false;
    case State::kFailed:
      return error_;
    default:
      break;
  }
  const int fetched = mysql_stmt_fetch(lease_.handle);
  absl::Status error;
  if (fetched == MYSQL_NO_DATA) {
    state_ = State::kDone;
    Finish();
    return false;
  }
  if (fetched == MYSQL_DATA_TRUNCATED) {
    error = FetchTruncated();
  } else if (fetched != 0) {
    error = connection_->StatementFailure(lease_.handle, sql_);
  }
  if (!error.ok()) {
    state_ = State::kFailed;
    error_ = error;
    Finish();
    return error;
  }
  state_ = State::kOnRow;
  return true;
}

absl::Status MysqlCursor::FetchTruncated() {
  bool rebind = false;
  for (size_t i = 0; i < columns_.size(); ++i) {
    ColumnBuffer& buffer = buffers_[i];
    if (!buffer.truncated) continue;
    if (!IsVariableLength(columns_[i].kind)) {
      return ValueError(static_cast<int>(i), "does not fit the driver's buffer for it");
    }
    buffer.bytes.resize(std::max<unsigned long>(buffer.length, 1));
    binds_[i].buffer = buffer.bytes.data();
    binds_[i].buffer_length = buffer.bytes.size();
    if (mysql_stmt_fetch_column(lease_.handle, &binds_[i], static_cast<unsigned int>(i), 0) != 0) {
      return connection_->Noted(StatementError(lease_.handle, sql_));
    }
    buffer.truncated = 0;
    rebind = true;
  }
  // Later rows land in the grown buffers.
  if (rebind && mysql_stmt_bind_result(lease_.handle, binds_.data()) != 0) {
    return connection_->Noted(StatementError(lease_.handle, sql_));
  }
  return absl::OkStatus();
}

void MysqlCursor::Finish() {
  if (connection_ == nullptr || lease_.handle == nullptr) return;
  // A handle whose rows stopped with an error is not trusted with another
  // execution (see MysqlConnection::Execute).
  connection_->Return(std::exchange(lease_, Lease()), /*discard=*/state_ == State::kFailed);
}

absl::Status MysqlCursor::CheckColumn(int column) const {
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

absl::Status MysqlCursor::CheckValue(int column) const {
  DUO_RETURN_IF_ERROR(CheckColumn(column));
  if (buffers_[column].is_null) return ValueError(column, kNullAdvice);
  return absl::OkStatus();
}

absl::Status MysqlCursor::ValueError(int column, absl::string_view what) const {
  return DataError(absl::StrCat("column \"", column_name(column), "\" ", what), sql_);
}

absl::Status MysqlCursor::KindError(int column, absl::string_view wanted) const {
  return ValueError(column, absl::StrCat("holds ", columns_[column].type_name, ", not ", wanted));
}

absl::StatusOr<bool> MysqlCursor::GetBool(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  uint64_t value = 0;
  switch (columns_[column].kind) {
    case ColumnKind::kInteger:
      value = static_cast<uint64_t>(buffers_[column].integer);
      break;
    case ColumnKind::kBit:
      value = mysql_internal::BitsToUint64(Bytes(column));
      break;
    default:
      return KindError(column, "a boolean");
  }
  if (value > 1) {
    return ValueError(
        column, absl::StrCat("holds ", static_cast<int64_t>(value), ", not a boolean (0 or 1)"));
  }
  return value == 1;
}

absl::StatusOr<int64_t> MysqlCursor::GetInt(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  const ColumnBuffer& buffer = buffers_[column];
  switch (columns_[column].kind) {
    case ColumnKind::kInteger:
      if (IsUnsignedAboveInt64(column)) {
        return ValueError(
            column, absl::StrCat("holds ", static_cast<uint64_t>(buffer.integer),
                                 ", which does not fit in int64_t (read it as sql::Decimal)"));
      }
      return buffer.integer;
    case ColumnKind::kBit: {
      const uint64_t value = mysql_internal::BitsToUint64(Bytes(column));
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return ValueError(column, absl::StrCat("holds ", value, ", which does not fit in int64_t"));
      }
      return static_cast<int64_t>(value);
    }
    case ColumnKind::kDecimal: {
      absl::string_view digits = Bytes(column);
      const size_t point = digits.find('.');
      if (point != absl::string_view::npos) {
        if (digits.find_first_not_of('0', point + 1) != absl::string_view::npos) {
          return ValueError(column, absl::StrCat("holds ", digits, ", which is not an integer"));
        }
        digits = digits.substr(0, point);
      }
      int64_t value = 0;
      if (!absl::SimpleAtoi(digits, &value)) {
        return ValueError(column,
                          absl::StrCat("holds ", Bytes(column), ", which does not fit in int64_t"));
      }
      return value;
    }
    default:
      return KindError(column, "an integer");
  }
}

absl::StatusOr<double> MysqlCursor::GetDouble(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  const ColumnBuffer& buffer = buffers_[column];
  constexpr int64_t kExactLimit = int64_t{1} << 53;
  switch (columns_[column].kind) {
    case ColumnKind::kDouble:
      return buffer.real;
    case ColumnKind::kFloat:
      return static_cast<double>(buffer.single);
    case ColumnKind::kInteger:
      if (IsUnsignedAboveInt64(column) || buffer.integer > kExactLimit ||
          buffer.integer < -kExactLimit) {
        return ValueError(column,
                          "holds an integer beyond 2^53, which a double cannot hold "
                          "exactly");
      }
      return static_cast<double>(buffer.integer);
    case ColumnKind::kDecimal: {
      double value = 0;
      if (!absl::SimpleAtod(Bytes(column), &value)) {
        return ValueError(column, absl::StrCat("holds ", Bytes(column), ", not a number"));
      }
      return value;
    }
    default:
      return KindError(column, "a number");
  }
}

absl::StatusOr<absl::string_view> MysqlCursor::GetText(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  const ColumnKind kind = columns_[column].kind;
  if (kind != ColumnKind::kText && kind != ColumnKind::kJson) return KindError(column, "text");
  return Bytes(column);
}

absl::StatusOr<absl::string_view> MysqlCursor::GetBytes(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  const ColumnKind kind = columns_[column].kind;
  if (kind != ColumnKind::kBytes && kind != ColumnKind::kBit) return KindError(column, "bytes");
  return Bytes(column);
}

absl::StatusOr<absl::Time> MysqlCursor::GetTimestamp(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  if (columns_[column].kind != ColumnKind::kDateTime) return KindError(column, "a timestamp");
  absl::StatusOr<absl::Time> time = mysql_internal::MysqlToTimestamp(buffers_[column].time);
  if (!time.ok()) return ValueError(column, time.status().message());
  return time;
}

absl::StatusOr<absl::CivilDay> MysqlCursor::GetDate(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  if (columns_[column].kind != ColumnKind::kDate) return KindError(column, "a date");
  absl::StatusOr<absl::CivilDay> day = mysql_internal::MysqlToDate(buffers_[column].time);
  if (!day.ok()) return ValueError(column, day.status().message());
  return day;
}

absl::StatusOr<sql::Decimal> MysqlCursor::GetDecimal(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  const ColumnBuffer& buffer = buffers_[column];
  switch (columns_[column].kind) {
    case ColumnKind::kDecimal: {
      absl::StatusOr<sql::Decimal> decimal = sql::Decimal::Parse(Bytes(column));
      if (!decimal.ok()) return ValueError(column, decimal.status().message());
      return decimal;
    }
    case ColumnKind::kInteger:
      if (columns_[column].is_unsigned) {
        return sql::Decimal::FromUnsigned(static_cast<uint64_t>(buffer.integer));
      }
      return *sql::Decimal::Parse(absl::StrCat(buffer.integer));
    default:
      return KindError(column, "a decimal");
  }
}

absl::StatusOr<sql::Array> MysqlCursor::GetArray(int column) const {
  DUO_RETURN_IF_ERROR(CheckValue(column));
  return KindError(column, "an array (MySQL has no arrays)");
}

absl::StatusOr<sql::Value> MysqlCursor::GetValue(int column) const {
  DUO_RETURN_IF_ERROR(CheckColumn(column));
  const ColumnBuffer& buffer = buffers_[column];
  if (buffer.is_null) return sql::Value();
  switch (columns_[column].kind) {
    case ColumnKind::kNull:
      return sql::Value();
    case ColumnKind::kInteger:
      if (columns_[column].is_unsigned) return sql::Value(static_cast<uint64_t>(buffer.integer));
      return sql::Value(buffer.integer);
    case ColumnKind::kFloat:
      return sql::Value(static_cast<double>(buffer.single));
    case ColumnKind::kDouble:
      return sql::Value(buffer.real);
    case ColumnKind::kDecimal: {
      DUO_ASSIGN_OR_RETURN(sql::Decimal decimal, GetDecimal(column));
      return sql::Value(std::move(decimal));
    }
    case ColumnKind::kDate: {
      DUO_ASSIGN_OR_RETURN(const absl::CivilDay day, GetDate(column));
      return sql::Value(day);
    }
    case ColumnKind::kDateTime: {
      DUO_ASSIGN_OR_RETURN(const absl::Time time, GetTimestamp(column));
      return sql::Value(time);
    }
    case ColumnKind::kTime: {
      const absl::Duration duration = mysql_internal::MysqlTimeToDuration(buffer.time);
      const int64_t micros = absl::ToInt64Microseconds(duration);
      if (micros >= 0 && micros <= sql::TimeOfDay::kMicrosPerDay) {
        return sql::Value(*sql::TimeOfDay::FromMicros(micros));
      }
      return sql::Value(duration);
    }
    case ColumnKind::kBit:
      return sql::Value(mysql_internal::BitsToUint64(Bytes(column)));
    case ColumnKind::kText:
      return sql::Value(Bytes(column));
    case ColumnKind::kJson:
      return sql::Value(sql::JsonText{std::string(Bytes(column))});
    case ColumnKind::kBytes:
      return sql::Value(sql::Blob{std::string(Bytes(column))});
  }
  return sql::Value();
}

absl::Status MysqlCursor::ReadRow(std::span<const RowSlot> slots, int first, void* object) const {
  return ReadSlots(slots, first, object, [this](RowSlot::Member member, int column, void* target) {
    if (member == RowSlot::Member::kOther || state_ != State::kOnRow || column < 0 ||
        column >= column_count() || buffers_[column].is_null) {
      return false;
    }
    const ColumnKind kind = columns_[column].kind;
    switch (member) {
      case RowSlot::Member::kInt64:
        if (kind != ColumnKind::kInteger || IsUnsignedAboveInt64(column)) return false;
        *static_cast<int64_t*>(target) = buffers_[column].integer;
        return true;
      case RowSlot::Member::kDouble:
        if (kind == ColumnKind::kDouble) {
          *static_cast<double*>(target) = buffers_[column].real;
          return true;
        }
        if (kind == ColumnKind::kFloat) {
          *static_cast<double*>(target) = buffers_[column].single;
          return true;
        }
        return false;
      case RowSlot::Member::kString: {
        if (kind != ColumnKind::kText && kind != ColumnKind::kJson) return false;
        const absl::string_view text = Bytes(column);
        static_cast<std::string*>(target)->assign(text.data(), text.size());
        return true;
      }
      case RowSlot::Member::kOther:
        break;
    }
    return false;
  });
}

// ---- Connection implementation -----------------------------------------------

absl::Status MysqlConnection::CheckCanRun(absl::string_view sql) const {
  if (streaming_ != nullptr) {
    return ProgrammingError(
        "a streaming cursor is still reading on this connection; destroy it first", sql);
  }
  return absl::OkStatus();
}

void MysqlConnection::Tidy() {
  if (streaming_ != nullptr) return;
  for (DeferredReturn& deferred : std::exchange(to_return_, {})) {
    Return(std::move(deferred.lease), deferred.discard);
  }
  for (MYSQL_STMT* handle : std::exchange(to_close_, {})) mysql_stmt_close(handle);
}

void MysqlConnection::Close(MYSQL_STMT* handle) {
  if (handle == last_executed_) last_executed_ = nullptr;
  // Closing sends COM_STMT_CLOSE, which must not land in a stream's rows.
  if (streaming_ != nullptr) {
    to_close_.push_back(handle);
    return;
  }
  mysql_stmt_close(handle);
}

bool MysqlConnection::CloseIdleStatements() {
  std::vector<std::string> idle;
  cache_.ForEach([&idle](const std::string& key, const CachedStatement& statement) {
    if (!statement.leased) idle.push_back(key);
  });
  for (const std::string& key : idle) {
    if (std::optional<CachedStatement> statement = cache_.Erase(key)) Close(statement->handle);
  }
  return !idle.empty();
}

void MysqlConnection::Return(Lease lease, bool discard) {
  if (lease.handle == nullptr) return;
  const bool streamed = lease.handle == streaming_;
  if (streaming_ != nullptr && !streamed) {
    // Freeing a result reads whatever the connection still holds, which
    // is the stream's: later.
    to_return_.push_back({std::move(lease), discard});
    return;
  }
  // Reads and drops the rows of a stream not read to the end.
  mysql_stmt_free_result(lease.handle);
  if (lease.handle == last_executed_) {
    // A CALL's further results.
    while (mysql_stmt_more_results(lease.handle) && mysql_stmt_next_result(lease.handle) == 0) {
      mysql_stmt_free_result(lease.handle);
    }
  }
  if (mysql_stmt_errno(lease.handle) != 0 && IsConnectionError(mysql_stmt_errno(lease.handle))) {
    lost_ = true;
  }
  if (streamed) streaming_ = nullptr;
  bool kept = false;
  if (!lease.key.empty()) {
    CachedStatement* cached = cache_.Peek(lease.key);
    if (cached != nullptr && cached->handle == lease.handle) {
      if (discard) {
        cache_.Erase(lease.key);
      } else {
        cached->leased = false;
        kept = true;
        for (auto& [key, evicted] :
             cache_.Trim([](const CachedStatement& statement) { return statement.leased; })) {
          Close(evicted.handle);
        }
      }
    }
  }
  if (!kept) Close(lease.handle);
  if (streamed) Tidy();
}

absl::StatusOr<MYSQL_STMT*> MysqlConnection::NewStatement(absl::string_view sql) {
  MYSQL_STMT* const handle = mysql_stmt_init(mysql_);
  if (handle == nullptr) return Noted(ConnectionError(mysql_, sql));
  // Buffered results learn their longest values, to size the buffers once.
  const my_bool update_max_length = 1;
  mysql_stmt_attr_set(handle, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
  return handle;
}

Lease MysqlConnection::Adopt(const std::string& sql, MYSQL_STMT* handle) {
  if (cache_.capacity() == 0 || cache_.Contains(sql)) return Lease{handle, ""};
  for (auto& [key, evicted] :
       cache_.Insert(sql, CachedStatement{handle, /*leased=*/true},
                     [](const CachedStatement& statement) { return statement.leased; })) {
    Close(evicted.handle);
  }
  return Lease{handle, sql};
}

absl::StatusOr<Lease> MysqlConnection::Take(const std::string& sql) {
  if (CachedStatement* cached = cache_.Find(sql); cached != nullptr && !cached->leased) {
    cached->leased = true;
    return Lease{cached->handle, sql};
  }
  for (int attempt = 0;; ++attempt) {
    DUO_ASSIGN_OR_RETURN(MYSQL_STMT* const handle, NewStatement(sql));
    if (mysql_stmt_prepare(handle, sql.data(), sql.size()) == 0) return Adopt(sql, handle);
    absl::Status error = Noted(StatementError(handle, sql));
    const unsigned int code = mysql_stmt_errno(handle);
    mysql_stmt_close(handle);
    if (code != 1461 || attempt > 0 || !CloseIdleStatements()) return error;
  }
}

absl::Status MysqlConnection::BindParams(MYSQL_STMT* handle, BoundParams& params,
                                         absl::string_view sql) {
  const unsigned long expected = mysql_stmt_param_count(handle);
  if (expected != params.binds.size()) {
    return ProgrammingError(absl::StrCat("the statement has ", expected, " placeholders but ",
                                         params.binds.size(), " values were given"),
                            sql);
  }
  // A larger packet makes the server answer 1153 and hang up: refused here,
  // the connection stays.
  if (const uint64_t size = ExecutePacketSize(params); size > max_allowed_packet_) {
    return DatabaseError(
        absl::StrCat("the statement's values take ", size,
                     " bytes, more than the server's max_allowed_packet (", max_allowed_packet_,
                     " bytes), which it would refuse (MySQL error 1153)"),
        {.kind = ErrorKind::kResourceExhausted, .sql = std::string(sql)});
  }
  if (expected > 0 && mysql_stmt_bind_param(handle, params.binds.data()) != 0) {
    return Noted(StatementError(handle, sql));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Cursor>> MysqlConnection::Result(Lease lease, const std::string& sql,
                                                                bool streaming) {
  MYSQL_STMT* const handle = lease.handle;
  if (mysql_stmt_field_count(handle) == 0) {
    const int64_t affected = static_cast<int64_t>(mysql_stmt_affected_rows(handle));
    Return(std::move(lease));
    return std::make_unique<MysqlCursor>(sql, affected);
  }
  auto cursor = std::make_unique<MysqlCursor>(this, std::move(lease), sql, streaming);
  // A failure leaves the lease with the cursor, which returns it.
  DUO_RETURN_IF_ERROR(cursor->Init());
  if (streaming) streaming_ = handle;
  return cursor;
}

absl::StatusOr<std::unique_ptr<Cursor>> MysqlConnection::Run(
    const dialect::CompiledStatement& statement, RunMode mode) {
  DUO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
  StartStatement();
  return Execute(statement.sql, statement.params, mode, /*retry_stale=*/true);
}

absl::StatusOr<std::unique_ptr<Cursor>> MysqlConnection::Execute(
    const std::string& sql, const std::vector<sql::Value>& values, RunMode mode, bool retry_stale) {
  BoundParams params;
  DUO_RETURN_IF_ERROR(EncodeParams(values, sql, params));
  DUO_ASSIGN_OR_RETURN(Lease lease, Take(sql));
  if (absl::Status bound = BindParams(lease.handle, params, sql); !bound.ok()) {
    Return(std::move(lease));
    return bound;
  }
  last_executed_ = lease.handle;
  if (mysql_stmt_execute(lease.handle) != 0) {
    absl::Status error = Noted(StatementError(lease.handle, sql));
    const unsigned int code = mysql_stmt_errno(lease.handle);
    const bool stale = IsStale(code);
    const bool new_metadata = code == CR_NEW_STMT_METADATA;
    const bool cached = !lease.key.empty();
    // A statement with new metadata has its rows on the wire still:
    // returning it reads and drops them.
    Return(std::move(lease), /*discard=*/stale || new_metadata);
    if (new_metadata) {
      if (retry_stale && ReadsOnly(sql)) return Execute(sql, values, mode, false);
      return NewMetadataError(sql);
    }
    if (stale && cached && retry_stale) return Execute(sql, values, mode, false);
    return error;
  }
  const bool streaming = mode == RunMode::kStreaming;
  if (!streaming && mysql_stmt_field_count(lease.handle) > 0 &&
      mysql_stmt_store_result(lease.handle) != 0) {
    absl::Status error = Noted(StatementError(lease.handle, sql));
    // The server refused the statement after describing its rows (a
    // RETURNING whose row breaks a constraint). Connector/C leaves the
    // handle waiting for those rows: executed again, it would wait for
    // them forever. It is closed instead of kept.
    Return(std::move(lease), /*discard=*/true);
    return error;
  }
  return Result(std::move(lease), sql, streaming);
}

absl::Status MysqlConnection::ExecuteRow(std::optional<Lease>& lease, BoundParams& params,
                                         const std::string& sql, bool retry_stale,
                                         int64_t& affected) {
  for (int attempt = 0;; ++attempt) {
    if (!lease) {
      DUO_ASSIGN_OR_RETURN(Lease taken, Take(sql));
      lease = std::move(taken);
    }
    DUO_RETURN_IF_ERROR(BindParams(lease->handle, params, sql));
    last_executed_ = lease->handle;
    if (mysql_stmt_execute(lease->handle) == 0) {
      if (mysql_stmt_field_count(lease->handle) > 0) {
        // Rows the statement returns are read and dropped.
        mysql_stmt_free_result(lease->handle);
      } else {
        affected += static_cast<int64_t>(mysql_stmt_affected_rows(lease->handle));
      }
      return absl::OkStatus();
    }
    absl::Status error = Noted(StatementError(lease->handle, sql));
    const unsigned int code = mysql_stmt_errno(lease->handle);
    if (code == CR_NEW_STMT_METADATA) {
      Return(*std::exchange(lease, std::nullopt), /*discard=*/true);
      return NewMetadataError(sql);
    }
    if (attempt > 0 || !retry_stale || lease->key.empty() || !IsStale(code)) return error;
    // Prepared again once, as Run does: the row did not run.
    Return(*std::exchange(lease, std::nullopt), /*discard=*/true);
  }
}

absl::StatusOr<int64_t> MysqlConnection::RunMany(const dialect::CompiledStatement& statement,
                                                 int64_t rows, FillParams fill) {
  DUO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
  StartStatement();
  const std::string& sql = statement.sql;
  std::vector<sql::Value> values = statement.params;
  BoundParams params;
  // Taken once, rebound for every row.
  std::optional<Lease> lease;
  int64_t affected = 0;
  for (int64_t row = 0; row < rows; ++row) {
    absl::Status status = fill(row, values);
    if (status.ok()) status = EncodeParams(values, sql, params);
    if (status.ok()) status = ExecuteRow(lease, params, sql, /*retry_stale=*/row == 0, affected);
    if (!status.ok()) {
      if (lease) Return(*std::move(lease));
      return WithRow(row, status);
    }
  }
  if (lease) Return(*std::move(lease));
  return affected;
}

absl::Status MysqlConnection::ExecuteScript(absl::string_view sql) {
  DUO_RETURN_IF_ERROR(CheckCanRun(sql));
  StartStatement();
  last_executed_ = nullptr;
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    // 1065: nothing but whitespace or comments, as "" on PostgreSQL.
    if (mysql_errno(mysql_) == 1065) return absl::OkStatus();
    return Noted(ConnectionError(mysql_, sql));
  }
  // Every statement's result, read and dropped; the server stops at the
  // first that fails.
  while (true) {
    if (MYSQL_RES* result = mysql_store_result(mysql_)) {
      mysql_free_result(result);
    } else if (mysql_field_count(mysql_) != 0) {
      return Noted(ConnectionError(mysql_, sql));
    }
    const int next = mysql_next_result(mysql_);
    if (next < 0) return absl::OkStatus();
    if (next > 0) return Noted(ConnectionError(mysql_, sql));
  }
}

bool MysqlConnection::Ping() {
  if (streaming_ != nullptr || Broken()) return false;
  StartStatement();
  if (mysql_ping(mysql_) == 0) return true;
  if (IsConnectionError(mysql_errno(mysql_))) lost_ = true;
  return false;
}

// An idle connection has nothing to read unless the server spoke first: to
// say goodbye (an error packet, as MySQL 8 sends at wait_timeout) or to
// close it (end of file: KILL, a shutdown). Either way it is finished.
bool MysqlConnection::LooksAlive() {
  if (Broken()) return false;
  if (streaming_ != nullptr || socket_ < 0) return true;
  pollfd socket{.fd = socket_, .events = POLLIN, .revents = 0};
  if (poll(&socket, 1, /*timeout=*/0) > 0) {
    lost_ = true;
    return false;
  }
  return true;
}

// ---- Non-blocking execution --------------------------------------------------

template <typename Step>
Task<absl::Status> MysqlConnection::Drive(Step step, absl::Time deadline, absl::string_view sql) {
  int status = step(-1);
  std::shared_ptr<KillRequest> kill;
  absl::Time wait_until = deadline;
  while (status != 0) {
    absl::StatusOr<int> ready = co_await WaitFor(event_loop(), mysql_, status, wait_until);
    if (ready.ok()) {
      status = step(*ready);
      continue;
    }
    if (absl::IsDeadlineExceeded(ready.status()) && kill == nullptr) {
      // The server answers KILL QUERY by failing the statement (1317,
      // kTimeout), which then arrives like any other answer.
      kill = SendKillQuery(options_, thread_id_);
      wait_until = absl::Now() + kKillGrace;
      continue;
    }
    abandoned_ = true;
    FinishAbandoned(mysql_, status, step);
    if (!absl::IsDeadlineExceeded(ready.status())) co_return ready.status();
    co_return DatabaseError(
        "the deadline passed and the server answered neither the statement nor KILL QUERY; the "
        "connection is discarded",
        {.kind = ErrorKind::kTimeout, .sql = std::string(sql)});
  }
  if (kill != nullptr) {
    // The kill must not reach a later statement: wait until it is done.
    async::EventLoop& loop = event_loop();
    const absl::Time limit = absl::Now() + kKillGrace;
    while (!kill->done.load(std::memory_order_acquire) && absl::Now() < limit) {
      co_await loop.Sleep(absl::Milliseconds(1));
    }
    if (!kill->done.load(std::memory_order_acquire)) abandoned_ = true;
    // The statement succeeded after KILL QUERY was sent: it may have been
    // cut short without an error (SLEEP() returns 1), so the answer is the
    // timeout, never its result.
    co_return DatabaseError(
        "the deadline passed while the statement ran; KILL QUERY was sent, and a killed "
        "statement may end without an error, its result cut short, so the result is not used",
        {.kind = ErrorKind::kTimeout, .sql = std::string(sql)});
  }
  co_return absl::OkStatus();
}

Task<absl::StatusOr<Lease>> MysqlConnection::TakeAsync(const std::string& sql,
                                                       absl::Time deadline) {
  if (CachedStatement* cached = cache_.Find(sql); cached != nullptr && !cached->leased) {
    cached->leased = true;
    co_return Lease{cached->handle, sql};
  }
  for (int attempt = 0;; ++attempt) {
    DUO_CO_ASSIGN_OR_RETURN(MYSQL_STMT* const handle, NewStatement(sql));
    int result = 0;
    absl::Status driven = co_await Drive(
        [&](int ready) {
          return ready < 0 ? mysql_stmt_prepare_start(&result, handle, sql.data(), sql.size())
                           : mysql_stmt_prepare_cont(&result, handle, ready);
        },
        deadline, sql);
    if (driven.ok() && result == 0) co_return Adopt(sql, handle);
    absl::Status error = driven.ok() ? Noted(StatementError(handle, sql)) : driven;
    const unsigned int code = driven.ok() ? mysql_stmt_errno(handle) : 0;
    mysql_stmt_close(handle);
    if (code != 1461 || attempt > 0 || !CloseIdleStatements()) co_return error;
  }
}

Task<absl::StatusOr<std::unique_ptr<Cursor>>> MysqlConnection::ExecuteAsync(
    const dialect::CompiledStatement& statement, absl::Time deadline, bool retry_stale) {
  const std::string& sql = statement.sql;
  BoundParams params;
  DUO_CO_RETURN_IF_ERROR(EncodeParams(statement.params, sql, params));
  DUO_CO_ASSIGN_OR_RETURN(Lease lease, co_await TakeAsync(sql, deadline));
  MYSQL_STMT* const handle = lease.handle;
  if (absl::Status bound = BindParams(handle, params, sql); !bound.ok()) {
    Return(std::move(lease));
    co_return bound;
  }
  last_executed_ = handle;
  int result = 0;
  absl::Status driven = co_await Drive(
      [&](int ready) {
        return ready < 0 ? mysql_stmt_execute_start(&result, handle)
                         : mysql_stmt_execute_cont(&result, handle, ready);
      },
      deadline, sql);
  if (driven.ok() && result != 0) {
    absl::Status error = Noted(StatementError(handle, sql));
    const unsigned int code = mysql_stmt_errno(handle);
    const bool stale = IsStale(code);
    const bool new_metadata = code == CR_NEW_STMT_METADATA;
    const bool cached = !lease.key.empty();
    Return(std::move(lease), /*discard=*/stale || new_metadata);
    if (new_metadata && !(retry_stale && ReadsOnly(sql))) co_return NewMetadataError(sql);
    if ((stale && cached) || new_metadata) {
      if (retry_stale) co_return co_await ExecuteAsync(statement, deadline, false);
    }
    co_return error;
  }
  if (driven.ok() && mysql_stmt_field_count(handle) > 0) {
    driven = co_await Drive(
        [&](int ready) {
          return ready < 0 ? mysql_stmt_store_result_start(&result, handle)
                           : mysql_stmt_store_result_cont(&result, handle, ready);
        },
        deadline, sql);
    if (driven.ok() && result != 0) {
      // As in Execute: the handle would wait for rows that never come.
      absl::Status error = Noted(StatementError(handle, sql));
      Return(std::move(lease), /*discard=*/true);
      co_return error;
    }
  }
  if (!driven.ok()) {
    Return(std::move(lease));
    co_return driven;
  }
  co_return Result(std::move(lease), sql, /*streaming=*/false);
}

Task<absl::StatusOr<std::unique_ptr<Cursor>>> MysqlConnection::RunAsync(
    const dialect::CompiledStatement& statement, absl::Time deadline) {
  DUO_CO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
  StartStatement();
  co_return co_await ExecuteAsync(statement, deadline, /*retry_stale=*/true);
}

Task<absl::StatusOr<std::vector<std::unique_ptr<Cursor>>>> MysqlConnection::RunBatchAsync(
    const std::vector<dialect::CompiledStatement>& statements, absl::Time deadline) {
  std::vector<std::unique_ptr<Cursor>> cursors;
  cursors.reserve(statements.size());
  for (const dialect::CompiledStatement& statement : statements) {
    DUO_CO_RETURN_IF_ERROR(CheckCanRun(statement.sql));
    StartStatement();
    DUO_CO_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> cursor,
                            co_await ExecuteAsync(statement, deadline, /*retry_stale=*/true));
    cursors.push_back(std::move(cursor));
  }
  co_return cursors;
}

Task<absl::Status> MysqlConnection::ExecuteScriptAsync(std::string sql, absl::Time deadline) {
  DUO_CO_RETURN_IF_ERROR(CheckCanRun(sql));
  StartStatement();
  last_executed_ = nullptr;
  int result = 0;
  DUO_CO_RETURN_IF_ERROR(co_await Drive(
      [&](int ready) {
        return ready < 0 ? mysql_real_query_start(&result, mysql_, sql.data(), sql.size())
                         : mysql_real_query_cont(&result, mysql_, ready);
      },
      deadline, sql));
  if (result != 0) {
    if (mysql_errno(mysql_) == 1065) co_return absl::OkStatus();
    co_return Noted(ConnectionError(mysql_, sql));
  }
  while (true) {
    MYSQL_RES* stored = nullptr;
    DUO_CO_RETURN_IF_ERROR(co_await Drive(
        [&](int ready) {
          return ready < 0 ? mysql_store_result_start(&stored, mysql_)
                           : mysql_store_result_cont(&stored, mysql_, ready);
        },
        deadline, sql));
    if (stored != nullptr) {
      mysql_free_result(stored);  // stored: freeing reads nothing more
    } else if (mysql_field_count(mysql_) != 0) {
      co_return Noted(ConnectionError(mysql_, sql));
    }
    if (!mysql_more_results(mysql_)) co_return absl::OkStatus();
    int next = 0;
    DUO_CO_RETURN_IF_ERROR(co_await Drive(
        [&](int ready) {
          return ready < 0 ? mysql_next_result_start(&next, mysql_)
                           : mysql_next_result_cont(&next, mysql_, ready);
        },
        deadline, sql));
    if (next < 0) co_return absl::OkStatus();
    if (next > 0) co_return Noted(ConnectionError(mysql_, sql));
  }
}

// ---- Opening -----------------------------------------------------------------

// Whole seconds, rounded up so that a positive timeout never becomes 0 (no
// limit).
unsigned int Seconds(absl::Duration timeout) {
  const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1)));
  return static_cast<unsigned int>(std::clamp<int64_t>(seconds, 0, 365 * 24 * 3600));
}

absl::Status CheckOptions(const MysqlOptions& options) {
  for (const absl::Duration timeout : {options.connect_timeout, options.read_timeout,
                                       options.write_timeout, options.statement_timeout}) {
    if (timeout < absl::ZeroDuration()) {
      return ProgrammingError("MySQL timeouts must not be negative", "");
    }
  }
  if (options.port < 0 || options.port > 65535) {
    return ProgrammingError(absl::StrCat("port ", options.port, " is not a TCP port"), "");
  }
  return absl::OkStatus();
}

// A handle with the options set, not yet connected.
absl::StatusOr<MYSQL*> NewHandle(const MysqlOptions& options) {
  InitLibrary();
  MYSQL* const mysql = mysql_init(nullptr);
  if (mysql == nullptr) {
    return DatabaseError("mysql_init: out of memory", {.kind = ErrorKind::kResourceExhausted});
  }
  const my_bool off = 0;
  const unsigned int no_local_infile = 0;
  mysql_options(mysql, MYSQL_OPT_RECONNECT, &off);
  mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, options.charset.c_str());
  // The non-blocking API needs its context before the connection is made.
  mysql_options(mysql, MYSQL_OPT_NONBLOCK, &kNonBlockingStackSize);
  if (options.connect_timeout > absl::ZeroDuration()) {
    const unsigned int seconds = Seconds(options.connect_timeout);
    mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
  }
  if (options.read_timeout > absl::ZeroDuration()) {
    const unsigned int seconds = Seconds(options.read_timeout);
    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &seconds);
  }
  if (options.write_timeout > absl::ZeroDuration()) {
    const unsigned int seconds = Seconds(options.write_timeout);
    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &seconds);
  }
  if (!options.unix_socket.empty()) {
    const unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  }
  return mysql;
}

constexpr unsigned long kClientFlags = CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS;

absl::Status ConnectError(MYSQL* mysql) {
  const unsigned int code = mysql_errno(mysql);
  ErrorDetails details{.kind = ErrorKind::kConnectionLost, .sqlstate = mysql_sqlstate(mysql)};
  if (details.sqlstate == "00000") details.sqlstate.clear();
  // Too many connections (1040, 1203, 1226): the server is there, but full.
  if (KindForError(code, details.sqlstate) == ErrorKind::kResourceExhausted) {
    details.kind = ErrorKind::kResourceExhausted;
  }
  return DatabaseError(
      absl::StrCat("cannot connect to MySQL: ", ReportedMessage(code, mysql_error(mysql))),
      std::move(details));
}

// The session statement: time zone, sql_mode, statement timeout.
std::string SessionSetup(MYSQL* mysql, const MysqlOptions& options) {
  std::string sql = "SET SESSION time_zone = '+00:00'";
  if (!options.sql_mode.empty()) {
    // Escaped as the connection's character set requires.
    std::string escaped(options.sql_mode.size() * 2 + 1, '\0');
    escaped.resize(mysql_real_escape_string(mysql, escaped.data(), options.sql_mode.data(),
                                            options.sql_mode.size()));
    absl::StrAppend(&sql, ", sql_mode = '", escaped, "'");
  }
  if (options.statement_timeout > absl::ZeroDuration()) {
    const int64_t micros = std::max<int64_t>(
        1, absl::ToInt64Microseconds(absl::Ceil(options.statement_timeout, absl::Microseconds(1))));
    if (mariadb_connection(mysql)) {
      absl::StrAppend(&sql, ", max_statement_time = ", micros / 1000000, ".",
                      absl::StrFormat("%06d", micros % 1000000));
    } else {
      absl::StrAppend(&sql, ", max_execution_time = ", (micros + 999) / 1000);
    }
  }
  absl::StrAppend(&sql, "; SELECT @@max_allowed_packet");
  return sql;
}

// The max_allowed_packet of SessionSetup's result, the last of its two.
absl::StatusOr<uint64_t> MaxAllowedPacket(MYSQL* mysql, MYSQL_RES* result, absl::string_view sql) {
  MYSQL_ROW row = result != nullptr ? mysql_fetch_row(result) : nullptr;
  uint64_t value = 0;
  const bool ok = row != nullptr && row[0] != nullptr && absl::SimpleAtoi(row[0], &value);
  if (result != nullptr) mysql_free_result(result);
  if (!ok) {
    if (mysql_errno(mysql) != 0) return ConnectionError(mysql, sql);
    return DatabaseError("SELECT @@max_allowed_packet returned no number",
                         {.kind = ErrorKind::kOther, .sql = std::string(sql)});
  }
  return value;
}

const char* OrNull(const std::string& text) { return text.empty() ? nullptr : text.c_str(); }

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenMysql(const MysqlOptions& options) {
  DUO_RETURN_IF_ERROR(CheckOptions(options));
  DUO_ASSIGN_OR_RETURN(MYSQL* const mysql, NewHandle(options));
  if (mysql_real_connect(mysql, OrNull(options.host), options.user.c_str(),
                         options.password.c_str(), OrNull(options.database),
                         static_cast<unsigned int>(options.port), OrNull(options.unix_socket),
                         kClientFlags) == nullptr) {
    absl::Status error = ConnectError(mysql);
    mysql_close(mysql);
    return error;
  }
  const std::string setup = SessionSetup(mysql, options);
  absl::StatusOr<uint64_t> max_allowed_packet = ConnectionError(mysql, setup);
  if (mysql_real_query(mysql, setup.data(), setup.size()) == 0 && mysql_next_result(mysql) == 0) {
    max_allowed_packet = MaxAllowedPacket(mysql, mysql_store_result(mysql), setup);
  }
  if (!max_allowed_packet.ok()) {
    absl::Status error = max_allowed_packet.status();
    mysql_close(mysql);
    return error;
  }
  return std::make_unique<MysqlConnection>(mysql, options, *max_allowed_packet);
}

Task<absl::StatusOr<std::unique_ptr<Connection>>> OpenMysqlAsync(const MysqlOptions& options,
                                                                 absl::Time deadline,
                                                                 async::EventLoop* event_loop) {
  DUO_CO_RETURN_IF_ERROR(CheckOptions(options));
  DUO_CO_ASSIGN_OR_RETURN(MYSQL* const mysql, NewHandle(options));
  async::EventLoop& loop = event_loop != nullptr ? *event_loop : async::EventLoop::Default();
  // Drives one call without a connection object: past the deadline it is
  // abandoned (there is no statement to kill yet).
  auto drive = [mysql, deadline, &loop](auto step) -> Task<absl::Status> {
    int status = step(-1);
    while (status != 0) {
      absl::StatusOr<int> ready = co_await WaitFor(loop, mysql, status, deadline);
      if (!ready.ok()) {
        FinishAbandoned(mysql, status, step);
        co_return DatabaseError(
            absl::StrCat("cannot connect to MySQL: ",
                         absl::IsDeadlineExceeded(ready.status())
                             ? "the deadline passed while opening the connection"
                             : ready.status().message()),
            {.kind = ErrorKind::kConnectionLost});
      }
      status = step(*ready);
    }
    co_return absl::OkStatus();
  };
  MYSQL* connected = nullptr;
  absl::Status status = co_await drive([&](int ready) {
    return ready < 0 ? mysql_real_connect_start(&connected, mysql, OrNull(options.host),
                                                options.user.c_str(), options.password.c_str(),
                                                OrNull(options.database),
                                                static_cast<unsigned int>(options.port),
                                                OrNull(options.unix_socket), kClientFlags)
                     : mysql_real_connect_cont(&connected, mysql, ready);
  });
  if (status.ok() && connected == nullptr) status = ConnectError(mysql);
  const std::string setup = SessionSetup(mysql, options);
  uint64_t max_allowed_packet = 0;
  if (status.ok()) {
    int result = 0;
    status = co_await drive([&](int ready) {
      return ready < 0 ? mysql_real_query_start(&result, mysql, setup.data(), setup.size())
                       : mysql_real_query_cont(&result, mysql, ready);
    });
    if (status.ok() && result != 0) status = ConnectionError(mysql, setup);
    if (status.ok()) {
      status = co_await drive([&](int ready) {
        return ready < 0 ? mysql_next_result_start(&result, mysql)
                         : mysql_next_result_cont(&result, mysql, ready);
      });
      if (status.ok() && result != 0) status = ConnectionError(mysql, setup);
    }
    MYSQL_RES* stored = nullptr;
    if (status.ok()) {
      status = co_await drive([&](int ready) {
        return ready < 0 ? mysql_store_result_start(&stored, mysql)
                         : mysql_store_result_cont(&stored, mysql, ready);
      });
    }
    if (status.ok()) {
      absl::StatusOr<uint64_t> value = MaxAllowedPacket(mysql, stored, setup);
      if (value.ok()) {
        max_allowed_packet = *value;
      } else {
        status = value.status();
      }
    }
  }
  if (!status.ok()) {
    mysql_close(mysql);
    co_return status;
  }
  auto connection = std::make_unique<MysqlConnection>(mysql, options, max_allowed_packet);
  if (event_loop != nullptr) connection->set_event_loop(*event_loop);
  co_return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace duo::engine
