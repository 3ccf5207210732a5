// The ORM against the raw sqlite3 C API doing the same work, in the same
// binary, on a SQLite file in WAL mode:
//
//   CreateBulk:  100k rows inserted in one transaction (raw: one prepared
//                single-row INSERT stepped 100k times);
//   All:         100k rows read and hydrated into structs;
//   Get:         10k point reads by primary key (raw: one prepared SELECT,
//                reset and rebound each time).
//
//   bazel run -c opt //bench:orm_bench

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "sqlite3.h"

namespace bench {

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

namespace {

constexpr int kRows = 100'000;
constexpr int kGets = 10'000;

std::string TempPath(absl::string_view name) {
  return absl::StrCat("/tmp/duo-orm-bench-", getpid(), "-", name, ".db");
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

constexpr char kSchema[] =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price DOUBLE NOT NULL, "
    "stock BIGINT NOT NULL)";

std::vector<Item> MakeItems() {
  std::vector<Item> items;
  items.reserve(kRows);
  for (int i = 0; i < kRows; ++i) {
    items.push_back({.name = absl::StrCat("item-", i), .price = i * 0.5, .stock = i % 97});
  }
  return items;
}

sqlite3* OpenRaw(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  return db;
}

duo::Database OpenDuo(const std::string& path) {
  duo::Database db = *duo::Database::Open(absl::StrCat("sqlite:///", path));
  duo::Models::Default().Bind(db);
  return db;
}

// A file holding kRows items, shared by the read benchmarks.
const std::string& ReadDatabase() {
  static const std::string* path = [] {
    auto* p = new std::string(TempPath("read"));
    RemoveDatabase(*p);
    sqlite3* db = OpenRaw(*p);
    sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO items (name, price, stock) VALUES (?, ?, ?)", -1, &insert,
                       nullptr);
    for (int i = 0; i < kRows; ++i) {
      const std::string name = absl::StrCat("item-", i);
      sqlite3_bind_text(insert, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
      sqlite3_bind_double(insert, 2, i * 0.5);
      sqlite3_bind_int64(insert, 3, i % 97);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    std::atexit([] { RemoveDatabase(TempPath("read")); });
    return p;
  }();
  return *path;
}

void BM_CreateBulkRaw(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = TempPath("raw-insert");
    RemoveDatabase(path);
    sqlite3* db = OpenRaw(path);
    sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr);
    std::vector<Item> items = MakeItems();
    state.ResumeTiming();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO items (name, price, stock) VALUES (?, ?, ?) RETURNING id",
                       -1, &insert, nullptr);
    for (Item& item : items) {
      sqlite3_bind_text(insert, 1, item.name.data(), static_cast<int>(item.name.size()),
                        SQLITE_STATIC);
      sqlite3_bind_double(insert, 2, item.price);
      sqlite3_bind_int64(insert, 3, item.stock);
      if (sqlite3_step(insert) == SQLITE_ROW) item.id = sqlite3_column_int64(insert, 0);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    benchmark::DoNotOptimize(items.back().id);
    state.PauseTiming();
    sqlite3_close(db);
    RemoveDatabase(path);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CreateBulkRaw)->Unit(benchmark::kMillisecond);

void BM_CreateBulkDuo(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = TempPath("duo-insert");
    RemoveDatabase(path);
    {
      duo::Database db = OpenDuo(path);
      if (!duo::Models::CreateTables(db, {&duo::MetaOf<Item>()}).ok()) {
        state.SkipWithError("CreateTables failed");
        break;
      }
      std::vector<Item> items = MakeItems();
      state.ResumeTiming();
      absl::StatusOr<std::vector<Item>> stored = Item::CreateBulk(std::move(items));
      state.PauseTiming();
      if (!stored.ok() || stored->size() != kRows) state.SkipWithError("CreateBulk failed");
      duo::Models::Default().Unbind();
    }
    RemoveDatabase(path);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CreateBulkDuo)->Unit(benchmark::kMillisecond);

void BM_AllRaw(benchmark::State& state) {
  sqlite3* db = OpenRaw(ReadDatabase());
  for (auto _ : state) {
    std::vector<Item> items;
    sqlite3_stmt* select = nullptr;
    sqlite3_prepare_v2(db, "SELECT id, name, price, stock FROM items", -1, &select, nullptr);
    while (sqlite3_step(select) == SQLITE_ROW) {
      Item& item = items.emplace_back();
      item.id = sqlite3_column_int64(select, 0);
      item.name.assign(reinterpret_cast<const char*>(sqlite3_column_text(select, 1)),
                       sqlite3_column_bytes(select, 1));
      item.price = sqlite3_column_double(select, 2);
      item.stock = sqlite3_column_int64(select, 3);
    }
    sqlite3_finalize(select);
    if (items.size() != kRows) state.SkipWithError("wrong row count");
  }
  sqlite3_close(db);
}
BENCHMARK(BM_AllRaw)->Unit(benchmark::kMillisecond);

void BM_AllDuo(benchmark::State& state) {
  duo::Database db = OpenDuo(ReadDatabase());
  for (auto _ : state) {
    absl::StatusOr<std::vector<Item>> items = Item::All();
    if (!items.ok() || items->size() != kRows) state.SkipWithError("All failed");
  }
  duo::Models::Default().Unbind();
}
BENCHMARK(BM_AllDuo)->Unit(benchmark::kMillisecond);

void BM_GetRaw(benchmark::State& state) {
  sqlite3* db = OpenRaw(ReadDatabase());
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, name, price, stock FROM items WHERE id = ?", -1, &select,
                     nullptr);
  for (auto _ : state) {
    for (int i = 1; i <= kGets; ++i) {
      sqlite3_bind_int64(select, 1, i * 7 % kRows + 1);
      Item item;
      if (sqlite3_step(select) == SQLITE_ROW) {
        item.id = sqlite3_column_int64(select, 0);
        item.name.assign(reinterpret_cast<const char*>(sqlite3_column_text(select, 1)),
                         sqlite3_column_bytes(select, 1));
        item.price = sqlite3_column_double(select, 2);
        item.stock = sqlite3_column_int64(select, 3);
      }
      sqlite3_reset(select);
      benchmark::DoNotOptimize(item.id);
    }
  }
  sqlite3_finalize(select);
  sqlite3_close(db);
}
BENCHMARK(BM_GetRaw)->Unit(benchmark::kMillisecond);

void BM_GetDuo(benchmark::State& state) {
  duo::Database db = OpenDuo(ReadDatabase());
  for (auto _ : state) {
    for (int i = 1; i <= kGets; ++i) {
      absl::StatusOr<std::optional<Item>> item = Item::Get(int64_t{i * 7 % kRows + 1});
      if (!item.ok() || !item->has_value()) {
        state.SkipWithError("Get failed");
        break;
      }
      benchmark::DoNotOptimize((*item)->id);
    }
  }
  duo::Models::Default().Unbind();
}
BENCHMARK(BM_GetDuo)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
