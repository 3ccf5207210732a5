// The engine against the raw sqlite3 C API doing the same work, in the same
// binary: 100k single-row inserts in one transaction, and reading 100k rows.
//
//   bazel run -c opt //bench:engine_bench
//
// Three levels are measured for DuoORM:
//   Engine:  a compiled statement run through Connection (the driver alone);
//   Session: duo::Session::Execute of an IR statement built for every row
//            (statement cache hit, binding, the driver);
//   and the raw C API as the baseline.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "duo/engine/read.h"
#include "duo/engine/sqlite/driver.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "sqlite3.h"

namespace duo {
namespace {

constexpr int kRows = 100'000;

std::string TempPath(absl::string_view name) {
  return absl::StrCat("/tmp/duo-bench-", getpid(), "-", name, ".db");
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

void Check(bool ok, benchmark::State& state, absl::string_view what) {
  if (!ok) state.SkipWithError(std::string(what).c_str());
}

constexpr char kSchema[] =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price DOUBLE NOT NULL)";

// ---- Inserts ------------------------------------------------------------------

void BM_InsertRaw(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = TempPath("raw");
    RemoveDatabase(path);
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr);
    state.ResumeTiming();

    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO items (id, name, price) VALUES (?, ?, ?)", -1, &insert,
                       nullptr);
    for (int i = 0; i < kRows; ++i) {
      const std::string name = absl::StrCat("item-", i);
      sqlite3_bind_int64(insert, 1, i);
      sqlite3_bind_text(insert, 2, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
      sqlite3_bind_double(insert, 3, i * 0.5);
      if (sqlite3_step(insert) != SQLITE_DONE) state.SkipWithError("insert failed");
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);

    state.PauseTiming();
    sqlite3_close(db);
    RemoveDatabase(path);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_InsertRaw)->Unit(benchmark::kMillisecond);

void BM_InsertEngine(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = TempPath("engine");
    RemoveDatabase(path);
    absl::StatusOr<std::unique_ptr<engine::Connection>> connection =
        engine::OpenSqlite({.filename = path});
    Check(connection.ok() && (*connection)->ExecuteScript(kSchema).ok(), state, "open");
    state.ResumeTiming();

    engine::Connection& c = **connection;
    Check(c.ExecuteScript("BEGIN").ok(), state, "begin");
    dialect::CompiledStatement insert{"INSERT INTO \"items\" (\"id\", \"name\", \"price\") VALUES (?, ?, ?)",
                                      {0, "", 0.0}};
    for (int i = 0; i < kRows; ++i) {
      insert.params[0] = i;
      insert.params[1] = absl::StrCat("item-", i);
      insert.params[2] = i * 0.5;
      absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor = c.Run(insert);
      Check(cursor.ok() && (*cursor)->Next().ok(), state, "insert");
    }
    Check(c.ExecuteScript("COMMIT").ok(), state, "commit");

    state.PauseTiming();
    connection->reset();
    RemoveDatabase(path);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_InsertEngine)->Unit(benchmark::kMillisecond);

void BM_InsertSession(benchmark::State& state) {
  const sql::Table items("items");
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = TempPath("session");
    RemoveDatabase(path);
    absl::StatusOr<Database> db = Database::Open(absl::StrCat("sqlite:///", path));
    Check(db.ok() && db->Execute(sql::Text(kSchema)).ok(), state, "open");
    state.ResumeTiming();

    const absl::Status status = db->Transaction([&](Session& s) -> absl::Status {
      for (int i = 0; i < kRows; ++i) {
        absl::StatusOr<Result> inserted = s.Execute(sql::Insert(items).Values(
            {{"id", i}, {"name", absl::StrCat("item-", i)}, {"price", i * 0.5}}));
        if (!inserted.ok()) return inserted.status();
      }
      return absl::OkStatus();
    });
    Check(status.ok(), state, "transaction");

    state.PauseTiming();
    db = absl::UnavailableError("closed");  // releases the database
    RemoveDatabase(path);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_InsertSession)->Unit(benchmark::kMillisecond);

// ---- Reads ----------------------------------------------------------------------

// One database with kRows rows, shared by the read benchmarks.
const std::string& ReadDatabase() {
  static const std::string* const path = [] {
    auto* p = new std::string(TempPath("read"));
    RemoveDatabase(*p);
    sqlite3* db = nullptr;
    sqlite3_open(p->c_str(), &db);
    sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr);
    sqlite3_exec(db,
                 "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999) "
                 "INSERT INTO items SELECT i, 'item-' || i, i * 0.5 FROM n",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
    std::atexit([] { RemoveDatabase(ReadDatabase()); });
    return p;
  }();
  return *path;
}

struct Item {
  int64_t id;
  std::string name;
  double price;
};

// Reads every row of `cursor` into Items, as an ORM hydrating structs does.
void Hydrate(absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor, benchmark::State& state) {
  if (!cursor.ok()) {
    state.SkipWithError(std::string(cursor.status().message()).c_str());
    return;
  }
  engine::Cursor& c = **cursor;
  std::vector<Item> items;
  while (*c.Next()) {
    items.push_back({*engine::ReadColumn<int64_t>(c, 0), *engine::ReadColumn<std::string>(c, 1),
                     *engine::ReadColumn<double>(c, 2)});
  }
  if (items.size() != kRows) state.SkipWithError("wrong row count");
  benchmark::DoNotOptimize(items);
}

void BM_SelectRaw(benchmark::State& state) {
  sqlite3* db = nullptr;
  sqlite3_open(ReadDatabase().c_str(), &db);
  for (auto _ : state) {
    std::vector<Item> items;
    sqlite3_stmt* select = nullptr;
    sqlite3_prepare_v2(db, "SELECT id, name, price FROM items", -1, &select, nullptr);
    while (sqlite3_step(select) == SQLITE_ROW) {
      items.push_back({sqlite3_column_int64(select, 0),
                       reinterpret_cast<const char*>(sqlite3_column_text(select, 1)),
                       sqlite3_column_double(select, 2)});
    }
    sqlite3_finalize(select);
    if (items.size() != kRows) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(items);
  }
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_SelectRaw)->Unit(benchmark::kMillisecond);

void BM_SelectEngine(benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<engine::Connection>> connection =
      engine::OpenSqlite({.filename = ReadDatabase()});
  Check(connection.ok(), state, "open");
  const dialect::CompiledStatement select{"SELECT \"id\", \"name\", \"price\" FROM \"items\"", {}};
  for (auto _ : state) {
    Hydrate((*connection)->Run(select), state);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_SelectEngine)->Unit(benchmark::kMillisecond);

void BM_SelectSessionStream(benchmark::State& state) {
  absl::StatusOr<Database> db = Database::Open(absl::StrCat("sqlite:///", ReadDatabase()));
  Check(db.ok(), state, "open");
  const sql::Table items_table("items");
  for (auto _ : state) {
    absl::StatusOr<Session> session = db->StandaloneSession();
    Check(session.ok(), state, "session");
    Hydrate(session->Stream(sql::Select({items_table.C("id"), items_table.C("name"),
                                         items_table.C("price")})
                                .From(items_table)),
            state);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_SelectSessionStream)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace duo
