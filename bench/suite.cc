// DuoORM against the raw sqlite3 and libpq C APIs, doing the same work in the
// same binary, on a SQLite file (WAL), SQLite in memory and a throwaway
// PostgreSQL server (started by the test fixtures, //testing). Prints one
// table: workload, backend, duo time, raw time, ratio, target, met or not.
//
//   tools/bench.sh                      (bazel run -c opt //bench:suite)
//   bazel run -c opt //bench:suite -- --smoke   tiny sizes, results compared
//
// Every workload exists twice: a duo form through the public API a user
// would call, and a raw form written by hand against the C API, preparing
// each statement once, binding values, and reading results the fastest way
// the API offers (binary results on PostgreSQL). Both forms produce a
// checksum of what they stored or read; --smoke (a test) checks they agree.
// Connections on both sides are configured alike (SQLite: WAL for files,
// one connection per thread without SQLite's own mutex).

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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "benchmark/benchmark.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/ddl.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/dialect/statement_cache.h"
#include "duo/engine/read.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/select.h"
#include "libpq-fe.h"
#include "sqlite3.h"
#include "testing/database.h"

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

enum class Backend { kSqliteFile, kSqliteMemory, kPostgres };

const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqliteFile:
      return "sqlite-file";
    case Backend::kSqliteMemory:
      return "sqlite-memory";
    case Backend::kPostgres:
      return "postgres";
  }
  return "";
}

bool IsSqlite(Backend backend) { return backend != Backend::kPostgres; }

// One side's database: raw handle or duo::Database, each on its own
// database so that neither sees the other's rows or caches.
struct RawSide {
  Backend backend;
  std::unique_ptr<duo::testing::TestDatabase> fixture;
  sqlite3* lite = nullptr;
  PGconn* pg = nullptr;
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

const duo::dialect::Dialect& DialectOf(Backend backend) {
  return IsSqlite(backend) ? duo::dialect::SqliteDialect() : duo::dialect::PostgresDialect();
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

std::unique_ptr<RawSide> OpenRaw(Backend backend) {
  auto side = std::make_unique<RawSide>();
  side->backend = backend;
  side->fixture = NewFixture(backend);
  if (IsSqlite(backend)) {
    const std::string target =
        backend == Backend::kSqliteFile ? side->fixture->native_target() : ":memory:";
    if (sqlite3_open_v2(target.c_str(), &side->lite,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Die("sqlite3_open_v2");
    }
    if (backend == Backend::kSqliteFile) LiteExec(side->lite, "PRAGMA journal_mode = WAL");
  } else {
    side->pg = PQconnectdb(side->fixture->native_target().c_str());
    if (PQstatus(side->pg) != CONNECTION_OK) Die(PQerrorMessage(side->pg));
    // DROP ... IF EXISTS notices are expected; duo does not print them either.
    PQsetNoticeProcessor(
        side->pg, [](void*, const char*) {}, nullptr);
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
  } else {
    PgExec(side.pg, sql);
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
constexpr char kSettleItems[] = "VACUUM ANALYZE items";
constexpr char kSettleAuthors[] = "VACUUM ANALYZE authors, posts";

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
  CopyItems(side.pg, rows);
  PgExec(side.pg, kSettleItems);
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
  if (!IsSqlite(side.backend)) {
    Must(Must(side.db->StandaloneSession(), "session").ExecuteScript(kSettleItems), "VACUUM");
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
  return static_cast<uint64_t>(
      RawScalar(side, "SELECT CAST(sum(stock) + count(*) AS BIGINT) FROM items"));
}

uint64_t SumOfStock(DuoSide& side) {
  const duo::Result sum = Must(
      side.db->Execute(duo::sql::Text("SELECT CAST(sum(stock) + count(*) AS BIGINT) FROM items")),
      "sum");
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

// The statements CreateBulk sends: multi-row INSERT ... RETURNING, 1000
// rows each (duo's default chunk), in one transaction.
uint64_t RawCreateBulk(RawSide& side) {
  const Sizes& sizes = CurrentSizes();
  constexpr int kChunk = 1000;
  Checksum sum;
  std::vector<Item> items;
  items.reserve(sizes.rows);
  for (int i = 0; i < sizes.rows; ++i) items.push_back(MakeItem(i));
  auto insert_sql = [&](int rows) {
    std::string sql = "INSERT INTO items (name, price, stock) VALUES ";
    for (int r = 0; r < rows; ++r) {
      absl::StrAppend(&sql, r == 0 ? "" : ", ", "($", 3 * r + 1, ", $", 3 * r + 2, ", $", 3 * r + 3,
                      ")");
    }
    absl::StrAppend(&sql, " RETURNING id, name, price, stock");
    return sql;
  };
  if (side.lite != nullptr) {
    LiteExec(side.lite, "BEGIN");
    sqlite3_stmt* full = nullptr;
    for (int start = 0; start < sizes.rows; start += kChunk) {
      const int rows = std::min(kChunk, sizes.rows - start);
      sqlite3_stmt* insert = nullptr;
      if (rows == kChunk) {
        if (full == nullptr) full = LitePrepare(side.lite, insert_sql(kChunk));
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
  for (int start = 0; start < sizes.rows; start += kChunk) {
    const int rows = std::min(kChunk, sizes.rows - start);
    params.Clear();
    for (int r = 0; r < rows; ++r) {
      const Item& item = items[start + r];
      PgAddItem(params, item);
    }
    params.Seal();
    PGresult* result = nullptr;
    if (rows == kChunk) {
      if (!prepared) PgPrepare(side.pg, "insert_chunk", insert_sql(kChunk));
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
  const std::string sql = absl::StrCat(kSelectAll, " WHERE id > $1 ORDER BY id LIMIT ", batch);
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
  const std::string sql = absl::StrCat(kSelectAll, " WHERE id = $1");
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
  PGresult* result = PQexec(side.pg, sql.c_str());
  PgCheck(result, side.pg, sql);
  const uint64_t value = std::strtoull(PQgetvalue(result, 0, 0), nullptr, 10);
  PQclear(result);
  return value;
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
  if (side.pg != nullptr) PgExec(side.pg, kSettleAuthors);
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
  if (!IsSqlite(side.backend)) {
    Must(Must(side.db->StandaloneSession(), "session").ExecuteScript(kSettleAuthors), "VACUUM");
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
  for (Backend b : {Backend::kSqliteFile, Backend::kPostgres}) {
    const char* dialect = IsSqlite(b) ? "sqlite" : "postgres";
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
  for (const char* dialect : {"sqlite", "postgres"}) {
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
  sizes = {.rows = 300,
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
  }
  std::printf("%d workload(s) differ\n", failures);
  return failures == 0 ? 0 : 1;
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
                                          bench::Backend::kSqliteMemory, bench::Backend::kPostgres};
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      smoke = true;
    } else if (arg == "--sqlite_only") {
      backends = {bench::Backend::kSqliteFile, bench::Backend::kSqliteMemory};
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (smoke) return bench::RunSmoke(backends);
  int rest_argc = static_cast<int>(rest.size());
  return bench::RunBenchmarks(rest_argc, rest.data(), backends);
}
