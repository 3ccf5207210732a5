// DuoORM against the raw sqlite3, libpq and MariaDB Connector/C APIs, doing
// the same work in the same binary, on a SQLite file (WAL), SQLite in memory
// and throwaway PostgreSQL and MariaDB servers (started by the test
// fixtures, //testing). Prints one table: workload, backend, duo time, raw
// time, ratio, target, met or not.
//
//   tools/bench.sh                      (bazel run -c opt //bench:suite)
//   bazel run -c opt //bench:suite -- --smoke   tiny sizes, results compared
//   bazel run -c opt //bench:suite -- --backends=mariadb,postgres
//
// Every workload exists twice: a duo form through the public API a user
// would call, and a raw form written by hand against the C API, preparing
// each statement once, binding values, and reading results the fastest way
// the API offers (binary results on PostgreSQL, server-side prepared
// statements and the binary protocol on MariaDB). Both forms produce a
// checksum of what they stored or read; --smoke (a test) checks they agree.
// Connections on both sides are configured alike (SQLite: WAL for files,
// one connection per thread without SQLite's own mutex; MariaDB: the
// driver's client flags, character set, time zone and sql_mode).

#include <endian.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/ddl.h"
#include "duo/dialect/mysql/dialect.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/dialect/statement_cache.h"
#include "duo/engine/mysql/driver.h"
#include "duo/engine/read.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/select.h"
#include "libpq-fe.h"
#include "mysql.h"
#include "sqlite3.h"
#include "testing/database.h"
#include "testing/mariadb.h"

namespace bench {

struct Post;

struct Item : duo::Model<Item> {
  int64_t id = 0;
  std::string name;
  double price = 0;
  int64_t stock = 0;

  static duo::Schema<Item> Table() {
    return duo::Schema<Item>("items")
        .Column(&Item::id, "id", duo::PrimaryKey())
        .Column(&Item::name, "name")
        .Column(&Item::price, "price")
        .Column(&Item::stock, "stock");
  }
};

struct Author : duo::Model<Author> {
  int64_t id = 0;
  std::string name;
  std::vector<Post> posts;

  static duo::Schema<Author> Table();
};

struct Post : duo::Model<Post> {
  int64_t id = 0;
  int64_t author_id = 0;
  std::string title;

  static duo::Schema<Post> Table() {
    return duo::Schema<Post>("posts")
        .Column(&Post::id, "id", duo::PrimaryKey())
        .Column(&Post::author_id, "author_id", duo::ForeignKey("authors.id"), duo::Index())
        .Column(&Post::title, "title");
  }
};

duo::Schema<Author> Author::Table() {
  return duo::Schema<Author>("authors")
      .Column(&Author::id, "id", duo::PrimaryKey())
      .Column(&Author::name, "name")
      .HasMany("posts", &Author::posts, &Post::author_id);
}

namespace {

// ---- Sizes ---------------------------------------------------------------------

struct Sizes {
  int rows = 100'000;   // inserts, selects, hydration
  int gets = 10'000;    // point reads
  int bulk = 50'000;    // rows a bulk update or delete touches
  int parents = 1'000;  // eager loading: parents ...
  int children = 10;    // ... times children each
  int batch = 1'000;    // Iterate's batch size
  int memory_rows = 1'000'000;
};

Sizes& CurrentSizes() {
  static Sizes sizes;
  return sizes;
}

void Die(absl::string_view what) {
  std::fprintf(stderr, "bench: %s\n", std::string(what).c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, absl::string_view what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

void Must(const absl::Status& status, absl::string_view what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

// A checksum both forms of a workload compute over what they stored or
// read, so that --smoke proves they did the same work.
struct Checksum {
  uint64_t value = 1469598103934665603ull;
  void Add(uint64_t x) { value = (value ^ x) * 1099511628211ull; }
  void Add(const Item& item) {
    Add(static_cast<uint64_t>(item.id));
    Add(std::hash<std::string>()(item.name));
    Add(static_cast<uint64_t>(item.price * 2));
    Add(static_cast<uint64_t>(item.stock));
  }
};

Item MakeItem(int i) {
  return {.name = absl::StrCat("item-", i), .price = i * 0.5, .stock = i % 97};
}

// ---- Backends ------------------------------------------------------------------

enum class Backend { kSqliteFile, kSqliteMemory, kPostgres, kMariadb };

const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqliteFile:
      return "sqlite-file";
    case Backend::kSqliteMemory:
      return "sqlite-memory";
    case Backend::kPostgres:
      return "postgres";
    case Backend::kMariadb:
      return "mariadb";
  }
  return "";
}

bool IsSqlite(Backend backend) {
  return backend == Backend::kSqliteFile || backend == Backend::kSqliteMemory;
}

// One side's database: raw handle or duo::Database, each on its own
// database so that neither sees the other's rows or caches.
struct RawSide {
  Backend backend;
  std::unique_ptr<duo::testing::TestDatabase> fixture;
  // MariaDB's fixture instead of `fixture`: a raw client needs the database
  // name and account, which TestDatabase does not expose.
  std::unique_ptr<duo::testing::TestMariadbDatabase> mariadb;
  sqlite3* lite = nullptr;
  PGconn* pg = nullptr;
  MYSQL* my = nullptr;
};

struct DuoSide {
  Backend backend;
  std::unique_ptr<duo::testing::TestDatabase> fixture;
  std::optional<duo::Database> db;
};

std::unique_ptr<duo::testing::TestDatabase> NewFixture(Backend backend) {
  switch (backend) {
    case Backend::kSqliteFile:
      return Must(duo::testing::TestDatabase::NewSqliteFile(), "SQLite file");
    case Backend::kSqliteMemory:
      return nullptr;
    case Backend::kPostgres:
      return Must(duo::testing::TestDatabase::NewPostgres(), "PostgreSQL fixture");
    case Backend::kMariadb:
      return Must(duo::testing::TestDatabase::NewMariadb(), "MariaDB fixture");
  }
  return nullptr;
}

// ---- Raw helpers -----------------------------------------------------------------

void LiteExec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    Die(absl::StrCat(sql, ": ", error != nullptr ? error : "?"));
  }
}

sqlite3_stmt* LitePrepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
      SQLITE_OK) {
    Die(absl::StrCat(sql, ": ", sqlite3_errmsg(db)));
  }
  return statement;
}

void PgCheck(PGresult* result, PGconn* pg, absl::string_view what) {
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Die(absl::StrCat(what, ": ", PQerrorMessage(pg)));
  }
}

void PgExec(PGconn* pg, const std::string& sql) {
  PGresult* result = PQexec(pg, sql.c_str());
  PgCheck(result, pg, sql);
  PQclear(result);
}

void PgPrepare(PGconn* pg, const char* name, const std::string& sql) {
  PGresult* result = PQprepare(pg, name, sql.c_str(), 0, nullptr);
  PgCheck(result, pg, sql);
  PQclear(result);
}

// Binary result fields.
int64_t PgInt8(const PGresult* result, int row, int column) {
  uint64_t value;
  std::memcpy(&value, PQgetvalue(result, row, column), 8);
  return static_cast<int64_t>(be64toh(value));
}

double PgFloat8(const PGresult* result, int row, int column) {
  const uint64_t bits = static_cast<uint64_t>(PgInt8(result, row, column));
  double value;
  std::memcpy(&value, &bits, 8);
  return value;
}

std::string PgText(const PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

// Binary parameters for (name text, price float8, stock int8) rows.
struct PgParams {
  std::vector<std::string> storage;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  void Clear() {
    storage.clear();
    values.clear();
    lengths.clear();
    formats.clear();
  }
  void AddText(std::string text) { Add(std::move(text), 0); }
  void AddInt8(int64_t value) {
    const uint64_t big = htobe64(static_cast<uint64_t>(value));
    Add(std::string(reinterpret_cast<const char*>(&big), 8), 1);
  }
  void AddFloat8(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    AddInt8(static_cast<int64_t>(bits));
  }
  // Pointers are taken once all values are in: storage may reallocate.
  void Seal() {
    values.clear();
    for (const std::string& s : storage) values.push_back(s.data());
  }

 private:
  void Add(std::string bytes, int format) {
    lengths.push_back(static_cast<int>(bytes.size()));
    formats.push_back(format);
    storage.push_back(std::move(bytes));
  }
};

Item PgItem(const PGresult* result, int row) {
  return {.id = PgInt8(result, row, 0),
          .name = PgText(result, row, 1),
          .price = PgFloat8(result, row, 2),
          .stock = PgInt8(result, row, 3)};
}

Item LiteItem(sqlite3_stmt* statement) {
  Item item;
  item.id = sqlite3_column_int64(statement, 0);
  item.name.assign(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0 + 1)),
                   static_cast<size_t>(sqlite3_column_bytes(statement, 1)));
  item.price = sqlite3_column_double(statement, 2);
  item.stock = sqlite3_column_int64(statement, 3);
  return item;
}

// Binds an item's (name, price, stock) at parameters first..first+2.
void LiteBindItem(sqlite3_stmt* statement, int first, const Item& item) {
  sqlite3_bind_text(statement, first, item.name.data(), static_cast<int>(item.name.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_double(statement, first + 1, item.price);
  sqlite3_bind_int64(statement, first + 2, item.stock);
}

void PgAddItem(PgParams& params, const Item& item) {
  params.AddText(item.name);
  params.AddFloat8(item.price);
  params.AddInt8(item.stock);
}

// Raw MariaDB (Connector/C): text-protocol scripts for setup, server-side
// prepared statements with binary parameters and results for the work.

void MyDie(MYSQL* my, absl::string_view what) { Die(absl::StrCat(what, ": ", mysql_error(my))); }

void MyDie(MYSQL_STMT* statement, absl::string_view what) {
  Die(absl::StrCat(what, ": ", mysql_stmt_error(statement)));
}

// Runs one statement or several (the connection has CLIENT_MULTI_STATEMENTS,
// as duo's has), dropping any rows they return.
void MyExec(MYSQL* my, const std::string& sql) {
  if (mysql_real_query(my, sql.data(), sql.size()) != 0) MyDie(my, sql);
  int more = 0;
  do {
    if (MYSQL_RES* result = mysql_store_result(my)) {
      mysql_free_result(result);
    } else if (mysql_field_count(my) != 0) {
      MyDie(my, sql);
    }
    more = mysql_next_result(my);  // 0: another result, -1: none, > 0: error
  } while (more == 0);
  if (more > 0) MyDie(my, sql);
}

MYSQL_STMT* MyPrepare(MYSQL* my, const std::string& sql) {
  MYSQL_STMT* const statement = mysql_stmt_init(my);
  if (statement == nullptr) MyDie(my, sql);
  if (mysql_stmt_prepare(statement, sql.data(), sql.size()) != 0) MyDie(statement, sql);
  return statement;
}

// Executes `statement`, first binding `params` when given: a caller whose
// parameter buffers stay where they are binds them once and passes null.
void MyExecute(MYSQL_STMT* statement, MYSQL_BIND* params) {
  if (params != nullptr && mysql_stmt_bind_param(statement, params) != 0) {
    MyDie(statement, "mysql_stmt_bind_param");
  }
  if (mysql_stmt_execute(statement) != 0) MyDie(statement, "mysql_stmt_execute");
}

// Points `bind` at `value`, which must stay there until the execution.
void MyBindInt64(MYSQL_BIND& bind, const int64_t& value) {
  bind.buffer_type = MYSQL_TYPE_LONGLONG;
  bind.buffer = const_cast<int64_t*>(&value);
}

// Binds an item's (name, price, stock) at bind[0..2], pointing into `item`.
void MyBindItem(MYSQL_BIND* bind, const Item& item) {
  bind[0].buffer_type = MYSQL_TYPE_STRING;
  bind[0].buffer = const_cast<char*>(item.name.data());
  bind[0].buffer_length = item.name.size();  // the length, as length is null
  bind[1].buffer_type = MYSQL_TYPE_DOUBLE;
  bind[1].buffer = const_cast<double*>(&item.price);
  MyBindInt64(bind[2], item.stock);
}

// The result buffers of a prepared statement whose columns are BIGINT,
// DOUBLE or text, in the binary protocol: Next() fetches a row into them,
// without any conversion through text. A text value longer than its buffer
// is fetched whole with mysql_stmt_fetch_column. No column may be NULL.
// Not copyable: the statement holds pointers into it.
class MyRow {
 public:
  enum class Type { kInt64, kDouble, kText };

  MyRow(MYSQL_STMT* statement, std::vector<Type> types)
      : statement_(statement), binds_(types.size()), columns_(types.size()) {
    for (size_t i = 0; i < types.size(); ++i) {
      MYSQL_BIND& bind = binds_[i];
      Column& column = columns_[i];
      bind.length = &column.length;
      bind.error = &column.truncated;
      switch (types[i]) {
        case Type::kInt64:
          bind.buffer_type = MYSQL_TYPE_LONGLONG;
          bind.buffer = &column.integer;
          break;
        case Type::kDouble:
          bind.buffer_type = MYSQL_TYPE_DOUBLE;
          bind.buffer = &column.real;
          break;
        case Type::kText:
          bind.buffer_type = MYSQL_TYPE_STRING;
          bind.buffer = column.text;
          bind.buffer_length = sizeof column.text;
          break;
      }
    }
    if (mysql_stmt_bind_result(statement_, binds_.data()) != 0) {
      MyDie(statement_, "mysql_stmt_bind_result");
    }
  }
  MyRow(const MyRow&) = delete;
  MyRow& operator=(const MyRow&) = delete;

  // Fetches the next row of the executed statement; false after the last.
  bool Next() {
    const int fetched = mysql_stmt_fetch(statement_);
    if (fetched == MYSQL_NO_DATA) return false;
    if (fetched == 1) MyDie(statement_, "mysql_stmt_fetch");
    for (size_t i = 0; i < columns_.size(); ++i) {
      Column& column = columns_[i];
      column.whole = column.truncated && binds_[i].buffer_type == MYSQL_TYPE_STRING;
      if (!column.whole) continue;
      column.long_text.resize(column.length);
      MYSQL_BIND bind{};
      bind.buffer_type = MYSQL_TYPE_STRING;
      bind.buffer = column.long_text.data();
      bind.buffer_length = column.length;
      if (mysql_stmt_fetch_column(statement_, &bind, static_cast<unsigned int>(i), 0) != 0) {
        MyDie(statement_, "mysql_stmt_fetch_column");
      }
    }
    return true;
  }

  int64_t Int64(int column) const { return columns_[column].integer; }
  double Double(int column) const { return columns_[column].real; }
  std::string Text(int column) const {
    const Column& c = columns_[column];
    return c.whole ? c.long_text : std::string(c.text, c.length);
  }

 private:
  struct Column {
    int64_t integer = 0;
    double real = 0;
    char text[256];
    std::string long_text;
    unsigned long length = 0;
    my_bool truncated = 0;
    bool whole = false;  // the value is in long_text
  };

  MYSQL_STMT* const statement_;
  std::vector<MYSQL_BIND> binds_;
  std::vector<Column> columns_;
};

// kSelectAll's columns, and an Item from them.
const std::vector<MyRow::Type> kMyItemColumns = {MyRow::Type::kInt64, MyRow::Type::kText,
                                                 MyRow::Type::kDouble, MyRow::Type::kInt64};

Item MyItem(const MyRow& row) {
  return {.id = row.Int64(0), .name = row.Text(1), .price = row.Double(2), .stock = row.Int64(3)};
}

const duo::dialect::Dialect& DialectOf(Backend backend) {
  switch (backend) {
    case Backend::kSqliteFile:
    case Backend::kSqliteMemory:
      return duo::dialect::SqliteDialect();
    case Backend::kPostgres:
      return duo::dialect::PostgresDialect();
    case Backend::kMariadb:
      return duo::dialect::MysqlDialect();
  }
  return duo::dialect::SqliteDialect();
}

// The n-th (from 1) parameter of a raw statement: MariaDB knows only ?.
std::string Param(Backend backend, int n) {
  return backend == Backend::kMariadb ? "?" : absl::StrCat("$", n);
}

// The tables exactly as duo creates them, so both sides run on one schema.
std::vector<std::string> Ddl(Backend backend) {
  std::vector<std::string> statements;
  for (const duo::ModelMeta* meta :
       {&duo::MetaOf<Item>(), &duo::MetaOf<Author>(), &duo::MetaOf<Post>()}) {
    for (std::string& sql :
         Must(duo::dialect::CreateTableStatements(DialectOf(backend), meta->table_def()), "DDL")) {
      statements.push_back(std::move(sql));
    }
  }
  return statements;
}

constexpr char kDropAll[] =
    "DROP TABLE IF EXISTS posts; DROP TABLE IF EXISTS authors; "
    "DROP TABLE IF EXISTS items";

// Connects as duo's MySQL driver does (duo/engine/mysql/driver.cc): the
// unix socket, utf8mb4, no LOAD DATA LOCAL, the same client flags
// (CLIENT_FOUND_ROWS: affected rows count matched rows), time zone and
// strict sql_mode.
void OpenMariadb(RawSide& side) {
  side.my = mysql_init(nullptr);
  if (side.my == nullptr) Die("mysql_init");
  const unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
  const unsigned int no_local_infile = 0;
  mysql_options(side.my, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(side.my, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  mysql_options(side.my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (mysql_real_connect(side.my, nullptr, side.mariadb->user().c_str(), nullptr,
                         side.mariadb->name().c_str(), 0, side.mariadb->socket_path().c_str(),
                         CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS) == nullptr) {
    MyDie(side.my, "mysql_real_connect");
  }
  MyExec(side.my, absl::StrCat("SET SESSION time_zone = '+00:00', sql_mode = '",
                               duo::engine::kMysqlStrictSqlMode, "'"));
}

std::unique_ptr<RawSide> OpenRaw(Backend backend) {
  auto side = std::make_unique<RawSide>();
  side->backend = backend;
  if (backend != Backend::kMariadb) side->fixture = NewFixture(backend);
  if (IsSqlite(backend)) {
    const std::string target =
        backend == Backend::kSqliteFile ? side->fixture->native_target() : ":memory:";
    if (sqlite3_open_v2(target.c_str(), &side->lite,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Die("sqlite3_open_v2");
    }
    if (backend == Backend::kSqliteFile) LiteExec(side->lite, "PRAGMA journal_mode = WAL");
  } else if (backend == Backend::kPostgres) {
    side->pg = PQconnectdb(side->fixture->native_target().c_str());
    if (PQstatus(side->pg) != CONNECTION_OK) Die(PQerrorMessage(side->pg));
    // DROP ... IF EXISTS notices are expected; duo does not print them either.
    PQsetNoticeProcessor(
        side->pg, [](void*, const char*) {}, nullptr);
  } else {
    side->mariadb = Must(duo::testing::TestMariadbDatabase::New(), "MariaDB fixture");
    OpenMariadb(*side);
  }
  return side;
}

std::unique_ptr<DuoSide> OpenDuo(Backend backend) {
  auto side = std::make_unique<DuoSide>();
  side->backend = backend;
  side->fixture = NewFixture(backend);
  const std::string url =
      backend == Backend::kSqliteMemory ? "sqlite:///:memory:" : side->fixture->url();
  side->db = Must(duo::Database::Open(url), "duo::Database::Open");
  return side;
}

void RawScript(RawSide& side, const std::string& sql) {
  if (side.lite != nullptr) {
    LiteExec(side.lite, sql);
  } else if (side.pg != nullptr) {
    PgExec(side.pg, sql);
  } else {
    MyExec(side.my, sql);
  }
}

void ResetTables(RawSide& side) {
  RawScript(side, kDropAll);
  for (const std::string& sql : Ddl(side.backend)) RawScript(side, sql);
}

void ResetTables(DuoSide& side) {
  Must(Must(side.db->StandaloneSession(), "session").ExecuteScript(kDropAll), "drop");
  Must(duo::Models::CreateTables(
           *side.db, {&duo::MetaOf<Item>(), &duo::MetaOf<Author>(), &duo::MetaOf<Post>()}),
       "CreateTables");
  duo::Models::Default().Bind(*side.db);
}

void CopyItems(PGconn* pg, int rows);

// After a PostgreSQL table is filled, its first reader would set every
// row's hint bits (page writes) and autovacuum could start mid-measurement;
// vacuuming first takes that server-side work out of both forms' times.
// InnoDB recomputes a table's statistics in the background once a tenth of
// it has changed: ANALYZE TABLE does it before the measurement instead.
// Empty: nothing to settle (SQLite).
std::string SettleItems(Backend backend) {
  switch (backend) {
    case Backend::kPostgres:
      return "VACUUM ANALYZE items";
    case Backend::kMariadb:
      return "ANALYZE TABLE items";
    default:
      return "";
  }
}

std::string SettleAuthors(Backend backend) {
  switch (backend) {
    case Backend::kPostgres:
      return "VACUUM ANALYZE authors, posts";
    case Backend::kMariadb:
      return "ANALYZE TABLE authors, posts";
    default:
      return "";
  }
}

void MyInsertItems(MYSQL* my, std::vector<Item>& items, bool returning, Checksum* sum);

// Fills items with `rows` rows outside any measurement (the raw fastest way).
void FillItems(RawSide& side, int rows) {
  if (side.lite != nullptr) {
    LiteExec(side.lite, "BEGIN");
    sqlite3_stmt* insert =
        LitePrepare(side.lite, "INSERT INTO items (name, price, stock) VALUES (?, ?, ?)");
    for (int i = 0; i < rows; ++i) {
      const Item item = MakeItem(i);
      LiteBindItem(insert, 1, item);
      if (sqlite3_step(insert) != SQLITE_DONE) Die(sqlite3_errmsg(side.lite));
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    LiteExec(side.lite, "COMMIT");
    return;
  }
  if (side.pg != nullptr) {
    CopyItems(side.pg, rows);
  } else {
    // LOAD DATA LOCAL is off on both sides (OpenMariadb): multi-row
    // prepared INSERTs are the fastest path left.
    std::vector<Item> items;
    items.reserve(rows);
    for (int i = 0; i < rows; ++i) items.push_back(MakeItem(i));
    MyExec(side.my, "BEGIN");
    MyInsertItems(side.my, items, /*returning=*/false, nullptr);
    MyExec(side.my, "COMMIT");
  }
  RawScript(side, SettleItems(side.backend));
}

void CopyItems(PGconn* pg, int rows) {
  PGresult* copy = PQexec(pg, "COPY items (name, price, stock) FROM STDIN");
  if (PQresultStatus(copy) != PGRES_COPY_IN) Die(PQerrorMessage(pg));
  PQclear(copy);
  std::string chunk;
  for (int i = 0; i < rows; ++i) {
    const Item item = MakeItem(i);
    absl::StrAppend(&chunk, item.name, "\t", absl::StrFormat("%.17g", item.price), "\t", item.stock,
                    "\n");
    if (chunk.size() > (1 << 16) || i + 1 == rows) {
      if (PQputCopyData(pg, chunk.data(), static_cast<int>(chunk.size())) != 1) {
        Die(PQerrorMessage(pg));
      }
      chunk.clear();
    }
  }
  if (PQputCopyEnd(pg, nullptr) != 1) Die(PQerrorMessage(pg));
  PGresult* done = PQgetResult(pg);
  PgCheck(done, pg, "COPY");
  PQclear(done);
  while (PGresult* extra = PQgetResult(pg)) PQclear(extra);
}

// In chunks, so that filling leaves no large heap behind for the memory
// measurement to hide in.
void FillItems(DuoSide& side, int rows) {
  constexpr int kChunk = 10'000;
  for (int start = 0; start < rows; start += kChunk) {
    std::vector<Item> items;
    for (int i = start; i < std::min(rows, start + kChunk); ++i) items.push_back(MakeItem(i));
    Must(Item::CreateBulk(std::move(items), {.return_models = false}).status(), "CreateBulk");
  }
  if (const std::string settle = SettleItems(side.backend); !settle.empty()) {
    Must(Must(side.db->StandaloneSession(), "session").ExecuteScript(settle), settle);
  }
}

// ---- Workloads -----------------------------------------------------------------

// A workload's two forms. Setup runs before timing; Run is timed and
// returns the checksum.
struct Workload {
  std::string name;
  std::string what;
  double target;  // max duo/raw ratio
  bool postgres_only = false;
  std::function<void(RawSide&)> raw_setup;
  std::function<uint64_t(RawSide&)> raw_run;
  std::function<void(DuoSide&)> duo_setup;
  std::function<uint64_t(DuoSide&)> duo_run;
};

constexpr char kMyInsertOne[] = "INSERT INTO items (name, price, stock) VALUES (?, ?, ?)";

uint64_t RawInsertOneByOne(RawSide& side) {
  const Sizes& sizes = CurrentSizes();
  Checksum sum;
  const std::string sql =
      "INSERT INTO items (name, price, stock) VALUES ($1, $2, $3) RETURNING id, name, price, stock";
  if (side.lite != nullptr) {
    LiteExec(side.lite, "BEGIN");
    sqlite3_stmt* insert = LitePrepare(side.lite, sql);
    for (int i = 0; i < sizes.rows; ++i) {
      const Item item = MakeItem(i);
      LiteBindItem(insert, 1, item);
      if (sqlite3_step(insert) != SQLITE_ROW) Die(sqlite3_errmsg(side.lite));
      sum.Add(LiteItem(insert));
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    LiteExec(side.lite, "COMMIT");
    return sum.value;
  }
  if (side.my != nullptr) {
    // The cheapest correct way to the new key: only the key is generated
    // (AUTO_INCREMENT), so a plain INSERT and mysql_stmt_insert_id, which
    // comes in the OK packet, rather than INSERT ... RETURNING's result set.
    MyExec(side.my, "BEGIN");
    MYSQL_STMT* insert = MyPrepare(side.my, kMyInsertOne);
    MYSQL_BIND params[3] = {};
    for (int i = 0; i < sizes.rows; ++i) {
      Item item = MakeItem(i);
      MyBindItem(params, item);
      MyExecute(insert, params);
      item.id = static_cast<int64_t>(mysql_stmt_insert_id(insert));
      sum.Add(item);
    }
    mysql_stmt_close(insert);
    MyExec(side.my, "COMMIT");
    return sum.value;
  }
  PgExec(side.pg, "BEGIN");
  PgPrepare(side.pg, "insert_one", sql);
  PgParams params;
  for (int i = 0; i < sizes.rows; ++i) {
    const Item item = MakeItem(i);
    params.Clear();
    PgAddItem(params, item);
    params.Seal();
    PGresult* result = PQexecPrepared(side.pg, "insert_one", 3, params.values.data(),
                                      params.lengths.data(), params.formats.data(), 1);
    PgCheck(result, side.pg, "insert");
    sum.Add(PgItem(result, 0));
    PQclear(result);
  }
  PgExec(side.pg, "DEALLOCATE insert_one");
  PgExec(side.pg, "COMMIT");
  return sum.value;
}

uint64_t DuoInsertOneByOne(DuoSide& side) {
  const Sizes& sizes = CurrentSizes();
  Checksum sum;
  Must(side.db->Transaction([&](duo::Session&) -> absl::Status {
    for (int i = 0; i < sizes.rows; ++i) {
      DUO_ASSIGN_OR_RETURN(Item item, Item::Create(MakeItem(i)));
      sum.Add(item);
    }
    return absl::OkStatus();
  }),
       "Create");
  return sum.value;
}

uint64_t RawScalar(RawSide& side, const std::string& sql);

constexpr char kInsertOne[] = "INSERT INTO items (name, price, stock) VALUES ($1, $2, $3)";

// What the inserts stored, as a BIGINT (MariaDB's sum() of one is DECIMAL,
// and its CAST knows SIGNED, not BIGINT).
std::string SumOfStockSql(Backend backend) {
  return absl::StrCat("SELECT CAST(sum(stock) + count(*) AS ",
                      backend == Backend::kMariadb ? "SIGNED" : "BIGINT", ") FROM items");
}

uint64_t RawInsertEngine(RawSide& side) {
  const Sizes& sizes = CurrentSizes();
  if (side.lite != nullptr) {
    LiteExec(side.lite, "BEGIN");
    sqlite3_stmt* insert = LitePrepare(side.lite, kInsertOne);
    for (int i = 0; i < sizes.rows; ++i) {
      const Item item = MakeItem(i);
      LiteBindItem(insert, 1, item);
      if (sqlite3_step(insert) != SQLITE_DONE) Die(sqlite3_errmsg(side.lite));
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    LiteExec(side.lite, "COMMIT");
  } else if (side.my != nullptr) {
    MyExec(side.my, "BEGIN");
    MYSQL_STMT* insert = MyPrepare(side.my, kMyInsertOne);
    MYSQL_BIND params[3] = {};
    for (int i = 0; i < sizes.rows; ++i) {
      const Item item = MakeItem(i);
      MyBindItem(params, item);
      MyExecute(insert, params);
    }
    mysql_stmt_close(insert);
    MyExec(side.my, "COMMIT");
  } else {
    PgExec(side.pg, "BEGIN");
    PgPrepare(side.pg, "insert_engine", kInsertOne);
    PgParams params;
    for (int i = 0; i < sizes.rows; ++i) {
      const Item item = MakeItem(i);
      params.Clear();
      PgAddItem(params, item);
      params.Seal();
      PGresult* result = PQexecPrepared(side.pg, "insert_engine", 3, params.values.data(),
                                        params.lengths.data(), params.formats.data(), 1);
      PgCheck(result, side.pg, "insert");
      PQclear(result);
    }
    PgExec(side.pg, "DEALLOCATE insert_engine");
    PgExec(side.pg, "COMMIT");
  }
  return static_cast<uint64_t>(RawScalar(side, SumOfStockSql(side.backend)));
}

uint64_t SumOfStock(DuoSide& side) {
  const duo::Result sum =
      Must(side.db->Execute(duo::sql::Text(SumOfStockSql(side.backend))), "sum");
  return static_cast<uint64_t>(Must(sum.Scalar<int64_t>(), "sum"));
}

// kInsertOne as the IR compiles it, its parameters (name, price, stock)
// to be replaced for each row.
duo::dialect::CompiledStatement CompileItemInsert(DuoSide& side) {
  const duo::sql::Table items("items");
  return Must(side.db->Compile(duo::sql::Insert(items).Values(
                  {{"name", std::string()}, {"price", 0.0}, {"stock", int64_t{0}}})),
              "Compile");
}

// The IR compiled once; ExecuteMany rebinds its parameters for every row
// on one prepared statement, in one transaction.
uint64_t DuoInsertEngine(DuoSide& side) {
  const Sizes& sizes = CurrentSizes();
  const duo::dialect::CompiledStatement insert = CompileItemInsert(side);
  Must(side.db->ExecuteMany(insert, sizes.rows,
                            [](int64_t row, std::vector<duo::sql::Value>& params) {
                              Item item = MakeItem(static_cast<int>(row));
                              params[0] = std::move(item.name);
                              params[1] = item.price;
                              params[2] = item.stock;
                              return absl::OkStatus();
                            }),
       "ExecuteMany");
  return SumOfStock(side);
}

// The same rows as separate statements: the compiled statement's params
// replaced and run with Session::Read, once per row.
uint64_t DuoInsertStatements(DuoSide& side) {
  const Sizes& sizes = CurrentSizes();
  duo::dialect::CompiledStatement insert = CompileItemInsert(side);
  Must(side.db->Transaction([&](duo::Session& session) -> absl::Status {
    for (int i = 0; i < sizes.rows; ++i) {
      Item item = MakeItem(i);
      insert.params[0] = std::move(item.name);
      insert.params[1] = item.price;
      insert.params[2] = item.stock;
      DUO_RETURN_IF_ERROR(
          session.Read(insert, [](duo::engine::Cursor& cursor) { return cursor.Next().status(); }));
    }
    return absl::OkStatus();
  }),
       "insert");
  return SumOfStock(side);
}

// CreateBulk's rows per INSERT: its default, at most 1000, is 1000 on every
// backend here (3,000 parameters, within each database's limit).
constexpr int kBulkChunk = 1000;

// A multi-row INSERT of `rows` items, as CreateBulk sends it.
std::string InsertItemsSql(Backend backend, int rows, bool returning) {
  std::string sql = "INSERT INTO items (name, price, stock) VALUES ";
  for (int r = 0; r < rows; ++r) {
    absl::StrAppend(&sql, r == 0 ? "" : ", ", "(", Param(backend, 3 * r + 1), ", ",
                    Param(backend, 3 * r + 2), ", ", Param(backend, 3 * r + 3), ")");
  }
  if (returning) absl::StrAppend(&sql, " RETURNING id, name, price, stock");
  return sql;
}

// Inserts `items` in chunks of kBulkChunk rows, one prepared statement for the
// full chunks and one for the rest, in the caller's transaction. With
// `returning`, each INSERT ... RETURNING's rows replace `items` and enter
// `sum`.
void MyInsertItems(MYSQL* my, std::vector<Item>& items, bool returning, Checksum* sum) {
  struct Prepared {
    MYSQL_STMT* statement = nullptr;
    // With `returning`, bound after the first execution: MariaDB describes
    // an INSERT ... RETURNING's columns only then, not when preparing it.
    std::unique_ptr<MyRow> row;
  };
  const auto prepare = [&](int rows) {
    return Prepared{.statement = MyPrepare(my, InsertItemsSql(Backend::kMariadb, rows, returning))};
  };
  const int total = static_cast<int>(items.size());
  Prepared full;
  std::vector<MYSQL_BIND> params;
  for (int start = 0; start < total; start += kBulkChunk) {
    const int rows = std::min(kBulkChunk, total - start);
    Prepared rest;
    if (rows == kBulkChunk && full.statement == nullptr) full = prepare(kBulkChunk);
    if (rows < kBulkChunk) rest = prepare(rows);
    Prepared& insert = rows == kBulkChunk ? full : rest;
    params.assign(3 * static_cast<size_t>(rows), MYSQL_BIND{});
    for (int r = 0; r < rows; ++r) MyBindItem(&params[3 * r], items[start + r]);
    MyExecute(insert.statement, params.data());
    if (returning && insert.row == nullptr) {
      insert.row = std::make_unique<MyRow>(insert.statement, kMyItemColumns);
    }
    for (int r = start; returning && insert.row->Next(); ++r) {
      items[r] = MyItem(*insert.row);
      sum->Add(items[r]);
    }
    if (rest.statement != nullptr) mysql_stmt_close(rest.statement);
  }
  if (full.statement != nullptr) mysql_stmt_close(full.statement);
}

// The statements CreateBulk sends: multi-row INSERT ... RETURNING, 1000
// rows each (duo's default chunk), in one transaction.
uint64_t RawCreateBulk(RawSide& side) {
  const Sizes& sizes = CurrentSizes();
  Checksum sum;
  std::vector<Item> items;
  items.reserve(sizes.rows);
  for (int i = 0; i < sizes.rows; ++i) items.push_back(MakeItem(i));
  if (side.my != nullptr) {
    MyExec(side.my, "BEGIN");
    MyInsertItems(side.my, items, /*returning=*/true, &sum);
    MyExec(side.my, "COMMIT");
    return sum.value;
  }
  const auto insert_sql = [&](int rows) { return InsertItemsSql(side.backend, rows, true); };
  if (side.lite != nullptr) {
    LiteExec(side.lite, "BEGIN");
    sqlite3_stmt* full = nullptr;
    for (int start = 0; start < sizes.rows; start += kBulkChunk) {
      const int rows = std::min(kBulkChunk, sizes.rows - start);
      sqlite3_stmt* insert = nullptr;
      if (rows == kBulkChunk) {
        if (full == nullptr) full = LitePrepare(side.lite, insert_sql(kBulkChunk));
        insert = full;
      } else {
        insert = LitePrepare(side.lite, insert_sql(rows));
      }
      for (int r = 0; r < rows; ++r) {
        const Item& item = items[start + r];
        LiteBindItem(insert, 3 * r + 1, item);
      }
      int r = start;
      while (sqlite3_step(insert) == SQLITE_ROW) {
        items[r] = LiteItem(insert);
        sum.Add(items[r++]);
      }
      sqlite3_reset(insert);
      if (insert != full) sqlite3_finalize(insert);
    }
    sqlite3_finalize(full);
    LiteExec(side.lite, "COMMIT");
    return sum.value;
  }
  PgExec(side.pg, "BEGIN");
  bool prepared = false;
  PgParams params;
  for (int start = 0; start < sizes.rows; start += kBulkChunk) {
    const int rows = std::min(kBulkChunk, sizes.rows - start);
    params.Clear();
    for (int r = 0; r < rows; ++r) {
      const Item& item = items[start + r];
      PgAddItem(params, item);
    }
    params.Seal();
    PGresult* result = nullptr;
    if (rows == kBulkChunk) {
      if (!prepared) PgPrepare(side.pg, "insert_chunk", insert_sql(kBulkChunk));
      prepared = true;
      result = PQexecPrepared(side.pg, "insert_chunk", 3 * rows, params.values.data(),
                              params.lengths.data(), params.formats.data(), 1);
    } else {
      result = PQexecParams(side.pg, insert_sql(rows).c_str(), 3 * rows, nullptr,
                            params.values.data(), params.lengths.data(), params.formats.data(), 1);
    }
    PgCheck(result, side.pg, "insert chunk");
    for (int r = 0; r < PQntuples(result); ++r) {
      items[start + r] = PgItem(result, r);
      sum.Add(items[start + r]);
    }
    PQclear(result);
  }
  if (prepared) PgExec(side.pg, "DEALLOCATE insert_chunk");
  PgExec(side.pg, "COMMIT");
  return sum.value;
}

uint64_t DuoCreateBulk(DuoSide& side) {
  const Sizes& sizes = CurrentSizes();
  std::vector<Item> items;
  items.reserve(sizes.rows);
  for (int i = 0; i < sizes.rows; ++i) items.push_back(MakeItem(i));
  const std::vector<Item> stored = Must(Item::CreateBulk(std::move(items)), "CreateBulk");
  (void)side;
  Checksum sum;
  for (const Item& item : stored) sum.Add(item);
  return sum.value;
}

// PostgreSQL's fastest bulk path of each side: COPY (raw) against
// CreateBulkAsync, which pipelines its INSERTs. Checksums count rows.
uint64_t RawCopy(RawSide& side) {
  CopyItems(side.pg, CurrentSizes().rows);
  PGresult* result = PQexec(side.pg, "SELECT count(*) FROM items");
  PgCheck(result, side.pg, "count");
  const uint64_t rows = std::strtoull(PQgetvalue(result, 0, 0), nullptr, 10);
  PQclear(result);
  return rows;
}

uint64_t DuoCreateBulkPipelined(DuoSide& side) {
  const Sizes& sizes = CurrentSizes();
  std::vector<Item> items;
  items.reserve(sizes.rows);
  for (int i = 0; i < sizes.rows; ++i) items.push_back(MakeItem(i));
  Must(duo::SyncWait(Item::CreateBulkAsync(std::move(items), {.return_models = false})).status(),
       "CreateBulkAsync");
  return static_cast<uint64_t>(Must(Item::Query(*side.db).Count(), "Count"));
}

constexpr char kSelectAll[] = "SELECT id, name, price, stock FROM items";

uint64_t RawSelect(RawSide& side) {
  Checksum sum;
  std::vector<Item> items;
  if (side.lite != nullptr) {
    sqlite3_stmt* select = LitePrepare(side.lite, kSelectAll);
    while (sqlite3_step(select) == SQLITE_ROW) items.push_back(LiteItem(select));
    sqlite3_finalize(select);
  } else if (side.my != nullptr) {
    // Unbuffered: rows are decoded as they come off the socket, without
    // mysql_stmt_store_result's copy of the whole result first.
    MYSQL_STMT* select = MyPrepare(side.my, kSelectAll);
    MyRow row(select, kMyItemColumns);
    MyExecute(select, nullptr);
    while (row.Next()) items.push_back(MyItem(row));
    mysql_stmt_close(select);
  } else {
    PGresult* result = PQexecParams(side.pg, kSelectAll, 0, nullptr, nullptr, nullptr, nullptr, 1);
    PgCheck(result, side.pg, "select");
    const int rows = PQntuples(result);
    for (int r = 0; r < rows; ++r) items.push_back(PgItem(result, r));
    PQclear(result);
  }
  for (const Item& item : items) sum.Add(item);
  return sum.value;
}

// Through the engine: an IR Select run by duo::Database, rows read into
// plain structs with engine::RowReader.
uint64_t DuoSelect(DuoSide& side) {
  const duo::sql::Table items_table("items");
  const duo::sql::Select select = duo::sql::Select({items_table.C("id"), items_table.C("name"),
                                                    items_table.C("price"), items_table.C("stock")})
                                      .From(items_table);
  const duo::engine::RowReader<Item> read_item(&Item::id, &Item::name, &Item::price, &Item::stock);
  std::vector<Item> items;
  Must(side.db->Read(select,
                     [&](duo::engine::Cursor& cursor) -> absl::Status {
                       while (true) {
                         DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
                         if (!row) return absl::OkStatus();
                         DUO_RETURN_IF_ERROR(read_item(cursor, items.emplace_back()));
                       }
                     }),
       "Read");
  Checksum sum;
  for (const Item& item : items) sum.Add(item);
  return sum.value;
}

uint64_t DuoAll(DuoSide&) {
  const std::vector<Item> items = Must(Item::All(), "All");
  Checksum sum;
  for (const Item& item : items) sum.Add(item);
  return sum.value;
}

// Keyset pages by primary key, what Iterate does without an OrderBy.
uint64_t RawIterate(RawSide& side) {
  const int batch = CurrentSizes().batch;
  Checksum sum;
  std::vector<Item> page;
  page.reserve(batch);
  int64_t after = std::numeric_limits<int64_t>::min();
  const std::string sql = absl::StrCat(kSelectAll, " WHERE id > ", Param(side.backend, 1),
                                       " ORDER BY id LIMIT ", batch);
  if (side.lite != nullptr) {
    sqlite3_stmt* select = LitePrepare(side.lite, sql);
    do {
      page.clear();
      sqlite3_bind_int64(select, 1, after);
      while (sqlite3_step(select) == SQLITE_ROW) page.push_back(LiteItem(select));
      sqlite3_reset(select);
      for (const Item& item : page) sum.Add(item);
      if (!page.empty()) after = page.back().id;
    } while (static_cast<int>(page.size()) == batch);
    sqlite3_finalize(select);
    return sum.value;
  }
  if (side.my != nullptr) {
    MYSQL_STMT* select = MyPrepare(side.my, sql);
    MyRow row(select, kMyItemColumns);
    MYSQL_BIND param{};
    MyBindInt64(param, after);  // bound once: `after` stays where it is
    if (mysql_stmt_bind_param(select, &param) != 0) MyDie(select, "mysql_stmt_bind_param");
    do {
      page.clear();
      MyExecute(select, nullptr);
      while (row.Next()) page.push_back(MyItem(row));
      for (const Item& item : page) sum.Add(item);
      if (!page.empty()) after = page.back().id;
    } while (static_cast<int>(page.size()) == batch);
    mysql_stmt_close(select);
    return sum.value;
  }
  PgPrepare(side.pg, "page", sql);
  PgParams params;
  do {
    page.clear();
    params.Clear();
    params.AddInt8(after);
    params.Seal();
    PGresult* result = PQexecPrepared(side.pg, "page", 1, params.values.data(),
                                      params.lengths.data(), params.formats.data(), 1);
    PgCheck(result, side.pg, "page");
    for (int r = 0; r < PQntuples(result); ++r) page.push_back(PgItem(result, r));
    PQclear(result);
    for (const Item& item : page) sum.Add(item);
    if (!page.empty()) after = page.back().id;
  } while (static_cast<int>(page.size()) == batch);
  PgExec(side.pg, "DEALLOCATE page");
  return sum.value;
}

uint64_t DuoIterate(DuoSide&) {
  Checksum sum;
  Must(Item::Query().IterateBatches(CurrentSizes().batch,
                                    [&](std::vector<Item>& batch) -> absl::Status {
                                      for (const Item& item : batch) sum.Add(item);
                                      return absl::OkStatus();
                                    }),
       "IterateBatches");
  return sum.value;
}

int64_t GetKey(int i) { return int64_t{i} * 7 % CurrentSizes().rows + 1; }

uint64_t RawGet(RawSide& side) {
  const int gets = CurrentSizes().gets;
  Checksum sum;
  const std::string sql = absl::StrCat(kSelectAll, " WHERE id = ", Param(side.backend, 1));
  if (side.lite != nullptr) {
    sqlite3_stmt* select = LitePrepare(side.lite, sql);
    for (int i = 0; i < gets; ++i) {
      sqlite3_bind_int64(select, 1, GetKey(i));
      if (sqlite3_step(select) == SQLITE_ROW) sum.Add(LiteItem(select));
      sqlite3_reset(select);
    }
    sqlite3_finalize(select);
    return sum.value;
  }
  if (side.my != nullptr) {
    MYSQL_STMT* select = MyPrepare(side.my, sql);
    MyRow row(select, kMyItemColumns);
    int64_t key = 0;
    MYSQL_BIND param{};
    MyBindInt64(param, key);  // bound once: `key` stays where it is
    if (mysql_stmt_bind_param(select, &param) != 0) MyDie(select, "mysql_stmt_bind_param");
    for (int i = 0; i < gets; ++i) {
      key = GetKey(i);
      MyExecute(select, nullptr);
      while (row.Next()) sum.Add(MyItem(row));
    }
    mysql_stmt_close(select);
    return sum.value;
  }
  PgPrepare(side.pg, "get", sql);
  PgParams params;
  for (int i = 0; i < gets; ++i) {
    params.Clear();
    params.AddInt8(GetKey(i));
    params.Seal();
    PGresult* result = PQexecPrepared(side.pg, "get", 1, params.values.data(),
                                      params.lengths.data(), params.formats.data(), 1);
    PgCheck(result, side.pg, "get");
    if (PQntuples(result) == 1) sum.Add(PgItem(result, 0));
    PQclear(result);
  }
  PgExec(side.pg, "DEALLOCATE get");
  return sum.value;
}

uint64_t DuoGet(DuoSide&) {
  const int gets = CurrentSizes().gets;
  Checksum sum;
  for (int i = 0; i < gets; ++i) {
    const std::optional<Item> item = Must(Item::Get(GetKey(i)), "Get");
    if (item) sum.Add(*item);
  }
  return sum.value;
}

uint64_t RawScalar(RawSide& side, const std::string& sql) {
  if (side.lite != nullptr) {
    sqlite3_stmt* statement = LitePrepare(side.lite, sql);
    if (sqlite3_step(statement) != SQLITE_ROW) Die(sqlite3_errmsg(side.lite));
    const int64_t value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return static_cast<uint64_t>(value);
  }
  if (side.my != nullptr) {
    if (mysql_real_query(side.my, sql.data(), sql.size()) != 0) MyDie(side.my, sql);
    MYSQL_RES* result = mysql_store_result(side.my);
    if (result == nullptr) MyDie(side.my, sql);
    MYSQL_ROW row = mysql_fetch_row(result);
    if (row == nullptr || row[0] == nullptr) Die(absl::StrCat(sql, ": no value"));
    const uint64_t value = std::strtoull(row[0], nullptr, 10);
    mysql_free_result(result);
    return value;
  }
  PGresult* result = PQexec(side.pg, sql.c_str());
  PgCheck(result, side.pg, sql);
  const uint64_t value = std::strtoull(PQgetvalue(result, 0, 0), nullptr, 10);
  PQclear(result);
  return value;
}

// Runs a statement with one BIGINT parameter; returns the rows it matched
// (CLIENT_FOUND_ROWS, as on duo's connection).
uint64_t MyAffected(MYSQL* my, const std::string& sql, int64_t value) {
  MYSQL_STMT* statement = MyPrepare(my, sql);
  MYSQL_BIND param{};
  MyBindInt64(param, value);
  MyExecute(statement, &param);
  const uint64_t rows = mysql_stmt_affected_rows(statement);
  mysql_stmt_close(statement);
  return rows;
}

// One set-based statement each; the checksum is the rows affected.
uint64_t RawUpdateBulk(RawSide& side) {
  const std::string bound = absl::StrCat(CurrentSizes().bulk);
  if (side.lite != nullptr) {
    sqlite3_stmt* update =
        LitePrepare(side.lite, "UPDATE items SET stock = stock + 1 WHERE id <= ?");
    sqlite3_bind_int64(update, 1, CurrentSizes().bulk);
    if (sqlite3_step(update) != SQLITE_DONE) Die(sqlite3_errmsg(side.lite));
    sqlite3_finalize(update);
    return static_cast<uint64_t>(sqlite3_changes64(side.lite));
  }
  if (side.my != nullptr) {
    return MyAffected(side.my, "UPDATE items SET stock = stock + 1 WHERE id <= ?",
                      CurrentSizes().bulk);
  }
  const char* values[] = {bound.c_str()};
  PGresult* result =
      PQexecParams(side.pg, "UPDATE items SET stock = stock + 1 WHERE id <= $1::int8", 1, nullptr,
                   values, nullptr, nullptr, 1);
  PgCheck(result, side.pg, "update");
  const uint64_t rows = std::strtoull(PQcmdTuples(result), nullptr, 10);
  PQclear(result);
  return rows;
}

uint64_t DuoUpdateBulk(DuoSide&) {
  return static_cast<uint64_t>(Must(Item::Where(duo::col(&Item::id) <= int64_t{CurrentSizes().bulk})
                                        .UpdateBulk({{"stock", duo::col(&Item::stock) + 1}}),
                                    "UpdateBulk"));
}

uint64_t RawDeleteBulk(RawSide& side) {
  const std::string bound = absl::StrCat(CurrentSizes().bulk);
  if (side.lite != nullptr) {
    sqlite3_stmt* remove = LitePrepare(side.lite, "DELETE FROM items WHERE id <= ?");
    sqlite3_bind_int64(remove, 1, CurrentSizes().bulk);
    if (sqlite3_step(remove) != SQLITE_DONE) Die(sqlite3_errmsg(side.lite));
    sqlite3_finalize(remove);
    return static_cast<uint64_t>(sqlite3_changes64(side.lite));
  }
  if (side.my != nullptr) {
    return MyAffected(side.my, "DELETE FROM items WHERE id <= ?", CurrentSizes().bulk);
  }
  const char* values[] = {bound.c_str()};
  PGresult* result = PQexecParams(side.pg, "DELETE FROM items WHERE id <= $1::int8", 1, nullptr,
                                  values, nullptr, nullptr, 1);
  PgCheck(result, side.pg, "delete");
  const uint64_t rows = std::strtoull(PQcmdTuples(result), nullptr, 10);
  PQclear(result);
  return rows;
}

uint64_t DuoDeleteBulk(DuoSide&) {
  return static_cast<uint64_t>(Must(
      Item::Where(duo::col(&Item::id) <= int64_t{CurrentSizes().bulk}).DeleteBulk(), "DeleteBulk"));
}

void FillAuthors(RawSide& side) {
  const Sizes& sizes = CurrentSizes();
  std::string authors = "INSERT INTO authors (id, name) VALUES ";
  std::string posts = "INSERT INTO posts (id, author_id, title) VALUES ";
  for (int a = 1; a <= sizes.parents; ++a) {
    absl::StrAppend(&authors, a == 1 ? "" : ", ", "(", a, ", 'author-", a, "')");
    for (int c = 0; c < sizes.children; ++c) {
      const int id = (a - 1) * sizes.children + c + 1;
      absl::StrAppend(&posts, id == 1 ? "" : ", ", "(", id, ", ", a, ", 'post-", id, "')");
    }
  }
  RawScript(side, authors);
  RawScript(side, posts);
  if (const std::string settle = SettleAuthors(side.backend); !settle.empty()) {
    RawScript(side, settle);
  }
}

void FillAuthors(DuoSide& side) {
  const Sizes& sizes = CurrentSizes();
  std::vector<Author> authors;
  std::vector<Post> posts;
  for (int a = 1; a <= sizes.parents; ++a) {
    authors.push_back({.id = a, .name = absl::StrCat("author-", a)});
    for (int c = 0; c < sizes.children; ++c) {
      const int id = (a - 1) * sizes.children + c + 1;
      posts.push_back({.id = id, .author_id = a, .title = absl::StrCat("post-", id)});
    }
  }
  Must(Author::CreateBulk(std::move(authors), {.return_models = false}).status(), "authors");
  Must(Post::CreateBulk(std::move(posts), {.return_models = false}).status(), "posts");
  if (const std::string settle = SettleAuthors(side.backend); !settle.empty()) {
    Must(Must(side.db->StandaloneSession(), "session").ExecuteScript(settle), settle);
  }
}

Checksum SumAuthors(const std::vector<Author>& authors) {
  Checksum sum;
  for (const Author& author : authors) {
    sum.Add(static_cast<uint64_t>(author.id));
    sum.Add(std::hash<std::string>()(author.name));
    for (const Post& post : author.posts) {
      sum.Add(static_cast<uint64_t>(post.id));
      sum.Add(static_cast<uint64_t>(post.author_id));
      sum.Add(std::hash<std::string>()(post.title));
    }
  }
  return sum;
}

// What Related("posts") does, by hand: the parents, then their children by
// the parents' keys, 500 keys per statement, each parent's children in
// primary-key order (what duo guarantees), stitched through a hash map.
constexpr size_t kKeysPerStatement = 500;

std::string ChildrenSql(size_t keys, bool numbered) {
  std::string sql = "SELECT id, author_id, title FROM posts WHERE author_id IN (";
  for (size_t i = 0; i < keys; ++i) {
    absl::StrAppend(&sql, i == 0 ? "" : ", ", numbered ? absl::StrCat("$", i + 1) : "?");
  }
  absl::StrAppend(&sql, ") ORDER BY id");
  return sql;
}

uint64_t RawEagerLoad(RawSide& side) {
  std::vector<Author> authors;
  absl::flat_hash_map<int64_t, size_t> index;
  if (side.lite != nullptr) {
    sqlite3_stmt* parents = LitePrepare(side.lite, "SELECT id, name FROM authors");
    while (sqlite3_step(parents) == SQLITE_ROW) {
      Author& author = authors.emplace_back();
      author.id = sqlite3_column_int64(parents, 0);
      author.name = reinterpret_cast<const char*>(sqlite3_column_text(parents, 1));
      index[author.id] = authors.size() - 1;
    }
    sqlite3_finalize(parents);
    for (size_t start = 0; start < authors.size(); start += kKeysPerStatement) {
      const size_t keys = std::min(kKeysPerStatement, authors.size() - start);
      sqlite3_stmt* children = LitePrepare(side.lite, ChildrenSql(keys, /*numbered=*/false));
      for (size_t i = 0; i < keys; ++i) {
        sqlite3_bind_int64(children, static_cast<int>(i + 1), authors[start + i].id);
      }
      while (sqlite3_step(children) == SQLITE_ROW) {
        Post post;
        post.id = sqlite3_column_int64(children, 0);
        post.author_id = sqlite3_column_int64(children, 1);
        post.title = reinterpret_cast<const char*>(sqlite3_column_text(children, 2));
        authors[index[post.author_id]].posts.push_back(std::move(post));
      }
      sqlite3_finalize(children);
    }
  } else if (side.my != nullptr) {
    MYSQL_STMT* parents = MyPrepare(side.my, "SELECT id, name FROM authors");
    MyRow parent(parents, {MyRow::Type::kInt64, MyRow::Type::kText});
    MyExecute(parents, nullptr);
    while (parent.Next()) {
      authors.push_back({.id = parent.Int64(0), .name = parent.Text(1)});
      index[authors.back().id] = authors.size() - 1;
    }
    mysql_stmt_close(parents);
    std::vector<MYSQL_BIND> params;
    for (size_t start = 0; start < authors.size(); start += kKeysPerStatement) {
      const size_t keys = std::min(kKeysPerStatement, authors.size() - start);
      MYSQL_STMT* children = MyPrepare(side.my, ChildrenSql(keys, /*numbered=*/false));
      MyRow row(children, {MyRow::Type::kInt64, MyRow::Type::kInt64, MyRow::Type::kText});
      params.assign(keys, MYSQL_BIND{});
      for (size_t i = 0; i < keys; ++i) MyBindInt64(params[i], authors[start + i].id);
      MyExecute(children, params.data());
      while (row.Next()) {
        Post post{.id = row.Int64(0), .author_id = row.Int64(1), .title = row.Text(2)};
        authors[index[post.author_id]].posts.push_back(std::move(post));
      }
      mysql_stmt_close(children);
    }
  } else {
    PGresult* parents = PQexecParams(side.pg, "SELECT id, name FROM authors", 0, nullptr, nullptr,
                                     nullptr, nullptr, 1);
    PgCheck(parents, side.pg, "authors");
    for (int r = 0; r < PQntuples(parents); ++r) {
      Author& author = authors.emplace_back();
      author.id = PgInt8(parents, r, 0);
      author.name = PgText(parents, r, 1);
      index[author.id] = authors.size() - 1;
    }
    PQclear(parents);
    for (size_t start = 0; start < authors.size(); start += kKeysPerStatement) {
      const size_t keys = std::min(kKeysPerStatement, authors.size() - start);
      PgParams params;
      for (size_t i = 0; i < keys; ++i) params.AddInt8(authors[start + i].id);
      params.Seal();
      PGresult* children = PQexecParams(side.pg, ChildrenSql(keys, /*numbered=*/true).c_str(),
                                        static_cast<int>(keys), nullptr, params.values.data(),
                                        params.lengths.data(), params.formats.data(), 1);
      PgCheck(children, side.pg, "posts");
      for (int r = 0; r < PQntuples(children); ++r) {
        Post post{.id = PgInt8(children, r, 0),
                  .author_id = PgInt8(children, r, 1),
                  .title = PgText(children, r, 2)};
        authors[index[post.author_id]].posts.push_back(std::move(post));
      }
      PQclear(children);
    }
  }
  // Parents come in no particular order on either side.
  std::sort(authors.begin(), authors.end(),
            [](const Author& a, const Author& b) { return a.id < b.id; });
  return SumAuthors(authors).value;
}

uint64_t DuoEagerLoad(DuoSide&) {
  std::vector<Author> authors = Must(Author::Query().Related("posts").All(), "Related");
  std::sort(authors.begin(), authors.end(),
            [](const Author& a, const Author& b) { return a.id < b.id; });
  return SumAuthors(authors).value;
}

// Runs of each form: a file-backed SQLite run varies by up to a tenth with
// the kernel's writeback, and the median of five rides that out.
constexpr int kRepetitions = 5;

std::vector<Workload> Workloads() {
  const auto none_raw = [](RawSide& side) { ResetTables(side); };
  const auto none_duo = [](DuoSide& side) { ResetTables(side); };
  const auto items_raw = [](RawSide& side) {
    ResetTables(side);
    FillItems(side, CurrentSizes().rows);
  };
  const auto items_duo = [](DuoSide& side) {
    ResetTables(side);
    FillItems(side, CurrentSizes().rows);
  };
  const auto authors_raw = [](RawSide& side) {
    ResetTables(side);
    FillAuthors(side);
  };
  const auto authors_duo = [](DuoSide& side) {
    ResetTables(side);
    FillAuthors(side);
  };
  const Sizes& s = CurrentSizes();
  return {
      {"insert_engine",
       absl::StrCat(s.rows, " rows, one transaction, one prepared statement (ExecuteMany)"), 1.10,
       false, none_raw, RawInsertEngine, none_duo, DuoInsertEngine},
      {"insert_statements",
       absl::StrCat(s.rows, " rows as separate statements, one transaction (Session::Read)"), 1.10,
       false, none_raw, RawInsertEngine, none_duo, DuoInsertStatements},
      {"insert", absl::StrCat(s.rows, " models one by one, one transaction (Create)"), 1.15, false,
       none_raw, RawInsertOneByOne, none_duo, DuoInsertOneByOne},
      {"create_bulk", absl::StrCat(s.rows, " rows, multi-row INSERT ... RETURNING (CreateBulk)"),
       1.15, false, none_raw, RawCreateBulk, none_duo, DuoCreateBulk},
      {"bulk_fastest", absl::StrCat(s.rows, " rows: raw COPY vs pipelined CreateBulkAsync"), 0,
       true, none_raw, RawCopy, none_duo, DuoCreateBulkPipelined},
      {"select", absl::StrCat(s.rows, " rows into structs through the engine (Database::Read)"),
       1.10, false, items_raw, RawSelect, items_duo, DuoSelect},
      {"all", absl::StrCat(s.rows, " rows hydrated into models (All)"), 1.15, false, items_raw,
       RawSelect, items_duo, DuoAll},
      {"iterate", absl::StrCat(s.rows, " rows in batches of ", s.batch, " (IterateBatches)"), 1.15,
       false, items_raw, RawIterate, items_duo, DuoIterate},
      {"get", absl::StrCat(s.gets, " point reads by primary key (Get)"), 1.15, false, items_raw,
       RawGet, items_duo, DuoGet},
      {"update_bulk", absl::StrCat(s.bulk, " rows, stock + 1 (UpdateBulk)"), 1.10, false, items_raw,
       RawUpdateBulk, items_duo, DuoUpdateBulk},
      {"delete_bulk", absl::StrCat(s.bulk, " rows (DeleteBulk)"), 1.10, false, items_raw,
       RawDeleteBulk, items_duo, DuoDeleteBulk},
      {"eager_load", absl::StrCat(s.parents, " parents x ", s.children, " children (Related)"),
       1.15, false, authors_raw, RawEagerLoad, authors_duo, DuoEagerLoad},
  };
}

// ---- Memory ----------------------------------------------------------------------

// Peak resident memory since the last reset, in KiB.
int64_t PeakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Lowers the peak to the current resident size (Linux: "5" in clear_refs).
void ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

struct MemoryResult {
  std::string backend;
  int64_t small_kib;
  int64_t large_kib;
  int small_rows;
  int large_rows;
};

// Growth of the peak while iterating `rows` rows in batches.
int64_t IterateGrowthKib(DuoSide& side, int rows) {
  ResetTables(side);
  FillItems(side, rows);
  malloc_trim(0);
  ResetPeakRss();
  const int64_t before = PeakRssKib();
  int64_t seen = 0;
  Must(Item::Query().IterateBatches(CurrentSizes().batch,
                                    [&](std::vector<Item>& batch) -> absl::Status {
                                      seen += static_cast<int64_t>(batch.size());
                                      return absl::OkStatus();
                                    }),
       "IterateBatches");
  if (seen != rows) Die("Iterate saw the wrong number of rows");
  return PeakRssKib() - before;
}

// ---- Compilation ---------------------------------------------------------------

duo::sql::Select TypicalSelect(int64_t min_total) {
  static const auto* const orders = new duo::sql::Table("orders");
  static const auto* const customers = new duo::sql::Table("customers");
  return duo::sql::Select({orders->C("id"), orders->C("total_amount"), customers->C("name")})
      .From(*orders)
      .Join(*customers, orders->C("customer_id") == customers->C("id"))
      .Where(orders->Col<std::string>("status") == "completed")
      .Where(orders->Col<double>("total_amount") > min_total)
      .Where(customers->Col<std::string>("region").In({"north", "south"}))
      .OrderBy(orders->C("created_at").Desc())
      .Limit(50);
}

void BM_Build(benchmark::State& state) {
  int64_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(TypicalSelect(++n));
}

void BM_Compile(benchmark::State& state, Backend backend) {
  const duo::sql::Select select = TypicalSelect(500);
  for (auto _ : state) benchmark::DoNotOptimize(DialectOf(backend).Compile(select));
}

void BM_CacheHit(benchmark::State& state, Backend backend) {
  duo::dialect::StatementCache cache;
  const duo::sql::Select select = TypicalSelect(500);
  (void)cache.Compile(DialectOf(backend), select);
  for (auto _ : state) benchmark::DoNotOptimize(cache.Compile(DialectOf(backend), select));
}

// ---- Running and reporting -------------------------------------------------------

// Keeps the median of each benchmark's repetitions, and the console output.
class MedianCollector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        medians_[run.run_name.function_name] = run.GetAdjustedRealTime();
      } else if (run.run_type == Run::RT_Iteration && run.repetitions <= 1) {
        medians_[run.run_name.function_name] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::optional<double> Get(const std::string& name) const {
    auto found = medians_.find(name);
    if (found == medians_.end()) return std::nullopt;
    return found->second;
  }

 private:
  std::map<std::string, double> medians_;
};

std::string Name(const Workload& w, Backend b, const char* side) {
  return absl::StrCat(w.name, "/", BackendName(b), "/", side);
}

int RunBenchmarks(int argc, char** argv, const std::vector<Backend>& backends) {
  std::vector<Workload> workloads = Workloads();
  // Sides outlive the benchmarks that use them; opened once per backend.
  std::map<Backend, std::unique_ptr<RawSide>> raw;
  std::map<Backend, std::unique_ptr<DuoSide>> duo;
  for (Backend b : backends) {
    raw[b] = OpenRaw(b);
    duo[b] = OpenDuo(b);
  }
  for (const Workload& w : workloads) {
    for (Backend b : backends) {
      if (w.postgres_only && b != Backend::kPostgres) continue;
      RawSide* r = raw[b].get();
      DuoSide* d = duo[b].get();
      benchmark::RegisterBenchmark(Name(w, b, "raw").c_str(),
                                   [w, r](benchmark::State& state) {
                                     w.raw_setup(*r);
                                     for (auto _ : state) benchmark::DoNotOptimize(w.raw_run(*r));
                                   })
          ->Iterations(1)
          ->Repetitions(kRepetitions)
          ->ReportAggregatesOnly(true)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark(Name(w, b, "duo").c_str(),
                                   [w, d](benchmark::State& state) {
                                     w.duo_setup(*d);
                                     for (auto _ : state) benchmark::DoNotOptimize(w.duo_run(*d));
                                   })
          ->Iterations(1)
          ->Repetitions(kRepetitions)
          ->ReportAggregatesOnly(true)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  benchmark::RegisterBenchmark("compile/build", BM_Build)->Unit(benchmark::kNanosecond);
  for (Backend b : {Backend::kSqliteFile, Backend::kPostgres, Backend::kMariadb}) {
    const char* dialect = b == Backend::kMariadb ? "mysql" : IsSqlite(b) ? "sqlite" : "postgres";
    benchmark::RegisterBenchmark(absl::StrCat("compile/", dialect, "/uncached").c_str(),
                                 [b](benchmark::State& state) { BM_Compile(state, b); })
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark(absl::StrCat("compile/", dialect, "/cached").c_str(),
                                 [b](benchmark::State& state) { BM_CacheHit(state, b); })
        ->Unit(benchmark::kNanosecond);
  }

  benchmark::Initialize(&argc, argv);
  MedianCollector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);

  std::vector<MemoryResult> memory;
  const Sizes& sizes = CurrentSizes();
  for (Backend b : backends) {
    if (b == Backend::kSqliteMemory) continue;  // the rows themselves live in memory there
    duo::Models::Default().Bind(*duo[b]->db);
    const int small = sizes.memory_rows / 10;
    memory.push_back({BackendName(b), IterateGrowthKib(*duo[b], small),
                      IterateGrowthKib(*duo[b], sizes.memory_rows), small, sizes.memory_rows});
  }
  duo::Models::Default().Unbind();

  std::printf("\nDuoORM against the raw C API (median of %d runs, wall time)\n\n", kRepetitions);
  std::printf("| workload | backend | duo | raw | ratio | target | met |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  int missed = 0;
  for (const Workload& w : workloads) {
    for (Backend b : backends) {
      if (w.postgres_only && b != Backend::kPostgres) continue;
      const std::optional<double> duo_ms = collector.Get(Name(w, b, "duo"));
      const std::optional<double> raw_ms = collector.Get(Name(w, b, "raw"));
      if (!duo_ms || !raw_ms) continue;  // filtered out
      const double ratio = *duo_ms / *raw_ms;
      const bool met = w.target == 0 || ratio <= w.target;
      if (!met) ++missed;
      std::printf("| %s: %s | %s | %.1f ms | %.1f ms | %.2fx | %s | %s |\n", w.name.c_str(),
                  w.what.c_str(), BackendName(b), *duo_ms, *raw_ms, ratio,
                  w.target == 0 ? "report" : absl::StrFormat("<= %.2fx", w.target).c_str(),
                  w.target == 0 ? "-" : (met ? "yes" : "NO"));
    }
  }
  const std::optional<double> build = collector.Get("compile/build");
  for (const char* dialect : {"sqlite", "postgres", "mysql"}) {
    const std::optional<double> uncached =
        collector.Get(absl::StrCat("compile/", dialect, "/uncached"));
    const std::optional<double> cached =
        collector.Get(absl::StrCat("compile/", dialect, "/cached"));
    if (uncached) {
      const bool met = *uncached <= 2000;
      missed += !met;
      std::printf(
          "| compile a typical SELECT (build: %.0f ns) | %s | %.2f us | - | - | <= 2 us | %s |\n",
          build.value_or(0), dialect, *uncached / 1000, met ? "yes" : "NO");
    }
    if (cached) {
      const bool met = *cached <= 300;
      missed += !met;
      std::printf("| statement cache hit, same SELECT | %s | %.2f us | - | - | <= 0.3 us | %s |\n",
                  dialect, *cached / 1000, met ? "yes" : "NO");
    }
  }
  for (const MemoryResult& m : memory) {
    // Flat: ten times the rows may not raise the peak by more than 2 MiB.
    const bool met = m.large_kib <= m.small_kib + 2048;
    missed += !met;
    std::printf(
        "| peak RSS growth, IterateBatches(%d): %d rows -> %d rows | %s | %.1f -> %.1f MiB | - | - "
        "| flat | %s |\n",
        sizes.batch, m.small_rows, m.large_rows, m.backend.c_str(), m.small_kib / 1024.0,
        m.large_kib / 1024.0, met ? "yes" : "NO");
  }
  std::printf("\n%d target(s) missed\n", missed);
  return 0;
}

// Runs every workload once with tiny sizes on each backend and checks that
// both forms computed the same thing: a smoke test, not a measurement.
int RunSmoke(const std::vector<Backend>& backends) {
  Sizes& sizes = CurrentSizes();
  // More rows than two of CreateBulk's chunks: a chunk statement executed
  // again, and the shorter last one, are compared too.
  sizes = {.rows = 2'300,
           .gets = 50,
           .bulk = 120,
           .parents = 20,
           .children = 3,
           .batch = 40,
           .memory_rows = 2000};
  int failures = 0;
  for (Backend b : backends) {
    std::unique_ptr<RawSide> raw = OpenRaw(b);
    std::unique_ptr<DuoSide> duo = OpenDuo(b);
    for (const Workload& w : Workloads()) {
      if (w.postgres_only && b != Backend::kPostgres) continue;
      w.raw_setup(*raw);
      const uint64_t raw_sum = w.raw_run(*raw);
      w.duo_setup(*duo);
      const uint64_t duo_sum = w.duo_run(*duo);
      const bool same = raw_sum == duo_sum;
      failures += !same;
      std::printf("%-13s %-14s %s\n", w.name.c_str(), BackendName(b), same ? "same" : "DIFFERENT");
    }
    duo::Models::Default().Bind(*duo->db);
    const int64_t growth = IterateGrowthKib(*duo, sizes.memory_rows);
    std::printf("%-13s %-14s peak growth %lld KiB\n", "memory", BackendName(b),
                static_cast<long long>(growth));
    duo::Models::Default().Unbind();
    if (raw->lite != nullptr) sqlite3_close(raw->lite);
    if (raw->pg != nullptr) PQfinish(raw->pg);
    if (raw->my != nullptr) mysql_close(raw->my);
  }
  std::printf("%d workload(s) differ\n", failures);
  return failures == 0 ? 0 : 1;
}

// The backend --backends names (BackendName's names).
std::optional<Backend> BackendNamed(absl::string_view name) {
  for (Backend b :
       {Backend::kSqliteFile, Backend::kSqliteMemory, Backend::kPostgres, Backend::kMariadb}) {
    if (name == BackendName(b)) return b;
  }
  return std::nullopt;
}

// Leaves MariaDB out, saying why, when its server programs are missing and
// nothing requires it (MariadbMustRun(), as for the fixtures' tests);
// PostgreSQL has always been required here, and still is.
void DropMissingMariadb(std::vector<Backend>& backends) {
  if (std::find(backends.begin(), backends.end(), Backend::kMariadb) == backends.end()) return;
  const absl::StatusOr<std::unique_ptr<duo::testing::TestMariadbDatabase>> probe =
      duo::testing::TestMariadbDatabase::New();
  if (probe.ok()) return;
  if (!absl::IsUnavailable(probe.status()) || duo::testing::MariadbMustRun()) {
    Die(absl::StrCat("MariaDB fixture: ", probe.status().ToString()));
  }
  std::fprintf(stderr,
               "bench: MariaDB left out: %s (DUO_REQUIRE_MARIADB=1 or CI=true makes this an "
               "error)\n",
               std::string(probe.status().message()).c_str());
  backends.erase(std::find(backends.begin(), backends.end(), Backend::kMariadb));
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  // Large buffers (100k-row vectors) stay on the heap once freed, instead
  // of glibc's default of mapping and unmapping them, whose threshold moves
  // as the run goes: otherwise whichever side runs first pays page faults
  // the other does not.
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  bool smoke = false;
  std::vector<bench::Backend> backends = {bench::Backend::kSqliteFile,
                                          bench::Backend::kSqliteMemory, bench::Backend::kPostgres,
                                          bench::Backend::kMariadb};
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      smoke = true;
    } else if (arg == "--sqlite_only") {
      backends = {bench::Backend::kSqliteFile, bench::Backend::kSqliteMemory};
    } else if (absl::StartsWith(arg, "--backends=")) {
      backends.clear();
      for (absl::string_view name : absl::StrSplit(arg.substr(11), ',')) {
        const std::optional<bench::Backend> backend = bench::BackendNamed(name);
        if (!backend) {
          std::fprintf(stderr,
                       "bench: unknown backend \"%s\" (sqlite-file, sqlite-memory, postgres, "
                       "mariadb)\n",
                       std::string(name).c_str());
          return 2;
        }
        backends.push_back(*backend);
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  bench::DropMissingMariadb(backends);
  if (smoke) return bench::RunSmoke(backends);
  int rest_argc = static_cast<int>(rest.size());
  return bench::RunBenchmarks(rest_argc, rest.data(), backends);
}
