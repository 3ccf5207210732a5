// Async against sync on PostgreSQL, in the same binary:
//
//   Get:     10k point reads by primary key through the ORM: Get() one after
//            another on one thread, against GetAsync() with 16 in flight
//            (16 tasks on the event loop, one pooled connection each);
//   Insert:  10k single-row INSERTs in one transaction: one statement at a
//            time (Execute), against one pipelined batch (ExecuteBatchAsync);
//   CreateBulk: 100k rows through CreateBulk and CreateBulkAsync (its
//            chunks pipelined);
//   Pool:    100 coroutines sharing a pool of 4 connections, 20k calls in
//            all: the latency of each call, pool wait included, as median,
//            p99 and maximum, and how many calls failed (printed after the
//            benchmarks; the target is p99 <= 10x the median, none failing).
//
//   bazel run -c opt //bench:async_bench      # a throwaway server, or
//   DUO_BENCH_POSTGRES_URL=postgresql://... bazel run -c opt //bench:async_bench
//
// `--smoke` runs each workload once with tiny sizes and checks that both
// forms compute the same results (the test //bench:async_bench_smoke).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "duo/async/async.h"
#include "duo/base/status_macros.h"
#include "duo/model/models.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/text.h"
#include "testing/database.h"

namespace bench {

struct Point : duo::Model<Point> {
  int64_t id = 0;
  std::string name;
  double price = 0;

  static duo::Schema<Point> Table() {
    return duo::Schema<Point>("points")
        .Column(&Point::id, "id", duo::PrimaryKey())
        .Column(&Point::name, "name")
        .Column(&Point::price, "price");
  }
};

namespace {

int gets = 10'000;
int inserts = 10'000;
int bulk_rows = 100'000;
constexpr int kInFlight = 16;

duo::Database* database = nullptr;
std::string database_url;

bool Check(const absl::Status& status, const char* what) {
  if (status.ok()) return true;
  std::fprintf(stderr, "%s: %s\n", what, std::string(status.message()).c_str());
  std::exit(1);
}

void Reset() {
  Check(database->Execute(duo::sql::Text("TRUNCATE points RESTART IDENTITY")).status(), "truncate");
}

void Seed(int rows) {
  Reset();
  std::vector<Point> points;
  for (int i = 0; i < rows; ++i)
    points.push_back({.name = absl::StrCat("p", i), .price = i * 0.25});
  Check(Point::CreateBulk(std::move(points), {.return_models = false}).status(), "seed");
}

// The sum of the prices read, so that both forms are checked to do the
// same work.
double GetSync() {
  double sum = 0;
  for (int i = 0; i < gets; ++i) {
    absl::StatusOr<std::optional<Point>> point = Point::Get(int64_t{1} + i % 1000);
    Check(point.status(), "Get");
    sum += (*point)->price;
  }
  return sum;
}

double GetAsync() {
  auto reader = [](int first) -> duo::Task<absl::StatusOr<double>> {
    double sum = 0;
    for (int i = first; i < gets; i += kInFlight) {
      DUO_CO_ASSIGN_OR_RETURN(std::optional<Point> point,
                              co_await Point::GetAsync(int64_t{1} + i % 1000));
      sum += point->price;
    }
    co_return sum;
  };
  std::vector<duo::Task<absl::StatusOr<double>>> readers;
  for (int i = 0; i < kInFlight; ++i) readers.push_back(reader(i));
  absl::StatusOr<std::vector<double>> sums = duo::SyncWait(duo::WhenAll(std::move(readers)));
  Check(sums.status(), "GetAsync");
  double sum = 0;
  for (const double part : *sums) sum += part;
  return sum;
}

duo::sql::Statement InsertOne(int i) {
  return duo::sql::Text("INSERT INTO points (name, price) VALUES (:name, :price)")
      .Bind("name", absl::StrCat("i", i))
      .Bind("price", i * 0.5);
}

void InsertOneByOne() {
  Check(database->Transaction([](duo::Session& session) -> absl::Status {
    for (int i = 0; i < inserts; ++i) {
      absl::StatusOr<duo::Result> result = session.Execute(InsertOne(i));
      if (!result.ok()) return result.status();
    }
    return absl::OkStatus();
  }),
        "insert");
}

void InsertPipelined() {
  std::vector<duo::sql::Statement> statements;
  statements.reserve(inserts);
  for (int i = 0; i < inserts; ++i) statements.push_back(InsertOne(i));
  Check(duo::SyncWait(database->ExecuteBatchAsync(std::move(statements))).status(), "pipeline");
}

std::vector<Point> BulkRows() {
  std::vector<Point> points;
  points.reserve(bulk_rows);
  for (int i = 0; i < bulk_rows; ++i)
    points.push_back({.name = absl::StrCat("b", i), .price = 1.0 * i});
  return points;
}

void BM_GetSync(benchmark::State& state) {
  Seed(1000);
  for (auto _ : state) benchmark::DoNotOptimize(GetSync());
  state.SetItemsProcessed(state.iterations() * gets);
}
void BM_GetAsync16(benchmark::State& state) {
  Seed(1000);
  for (auto _ : state) benchmark::DoNotOptimize(GetAsync());
  state.SetItemsProcessed(state.iterations() * gets);
}
void BM_InsertOneByOne(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Reset();
    state.ResumeTiming();
    InsertOneByOne();
  }
  state.SetItemsProcessed(state.iterations() * inserts);
}
void BM_InsertPipelined(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Reset();
    state.ResumeTiming();
    InsertPipelined();
  }
  state.SetItemsProcessed(state.iterations() * inserts);
}
void BM_CreateBulk(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Reset();
    std::vector<Point> points = BulkRows();
    state.ResumeTiming();
    Check(Point::CreateBulk(std::move(points)).status(), "CreateBulk");
  }
  state.SetItemsProcessed(state.iterations() * bulk_rows);
}
void BM_CreateBulkAsync(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Reset();
    std::vector<Point> points = BulkRows();
    state.ResumeTiming();
    Check(duo::SyncWait(Point::CreateBulkAsync(std::move(points))).status(), "CreateBulkAsync");
  }
  state.SetItemsProcessed(state.iterations() * bulk_rows);
}

BENCHMARK(BM_GetSync)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GetAsync16)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InsertOneByOne)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_InsertPipelined)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CreateBulk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CreateBulkAsync)->Unit(benchmark::kMillisecond)->UseRealTime();

struct PoolLatency {
  double median_us = 0;
  double p99_us = 0;
  double max_us = 0;
  int calls = 0;
  int failures = 0;
};

// `tasks` coroutines, `calls_each` statements each, on a pool of four
// connections: every call waits its turn for one.
PoolLatency PoolContention(int tasks, int calls_each) {
  duo::DatabaseOptions options;
  options.pool = {.size = 4, .max_overflow = 0, .acquire_timeout = absl::Seconds(10)};
  absl::StatusOr<duo::Database> shared = duo::Database::Open(database_url, options);
  Check(shared.status(), "open the pool-contention database");
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(tasks) * calls_each);
  int failures = 0;
  auto caller = [&](int) -> duo::Task<absl::Status> {
    for (int i = 0; i < calls_each; ++i) {
      const absl::Time start = absl::Now();
      absl::StatusOr<duo::Result> result =
          co_await shared->ExecuteAsync(duo::sql::Text("SELECT 1"));
      micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
      if (!result.ok()) ++failures;
    }
    co_return absl::OkStatus();
  };
  std::vector<duo::Task<absl::Status>> callers;
  for (int t = 0; t < tasks; ++t) callers.push_back(caller(t));
  Check(duo::SyncWait(duo::WhenAll(std::move(callers))), "pool contention");
  std::sort(micros.begin(), micros.end());
  PoolLatency latency;
  latency.calls = static_cast<int>(micros.size());
  latency.failures = failures;
  if (!micros.empty()) {
    latency.median_us = micros[micros.size() / 2];
    latency.p99_us = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
    latency.max_us = micros.back();
  }
  return latency;
}

void PrintPoolLatency(const PoolLatency& latency, int tasks) {
  std::printf(
      "pool: %d coroutines on 4 connections, %d calls: median %.0f us, p99 %.0f us (%.1fx the "
      "median; target <= 10x), max %.0f us, %d failed\n",
      tasks, latency.calls, latency.median_us, latency.p99_us,
      latency.median_us > 0 ? latency.p99_us / latency.median_us : 0.0, latency.max_us,
      latency.failures);
}

int64_t Rows() {
  return database->Execute(duo::sql::Text("SELECT count(*) FROM points"))
      .value()
      .Scalar<int64_t>()
      .value();
}

// Both forms once, small, with their results compared.
int Smoke() {
  gets = 200;
  inserts = 300;
  bulk_rows = 500;
  Seed(1000);
  const double sync_sum = GetSync();
  const double async_sum = GetAsync();
  Reset();
  InsertOneByOne();
  const int64_t one_by_one = Rows();
  Reset();
  InsertPipelined();
  const int64_t pipelined = Rows();
  Reset();
  Check(Point::CreateBulk(BulkRows()).status(), "CreateBulk");
  const int64_t bulk = Rows();
  Reset();
  Check(duo::SyncWait(Point::CreateBulkAsync(BulkRows())).status(), "CreateBulkAsync");
  const int64_t bulk_async = Rows();
  std::printf("get sums %.2f / %.2f, inserts %lld / %lld, bulk %lld / %lld\n", sync_sum, async_sum,
              static_cast<long long>(one_by_one), static_cast<long long>(pipelined),
              static_cast<long long>(bulk), static_cast<long long>(bulk_async));
  const PoolLatency pool = PoolContention(20, 10);
  PrintPoolLatency(pool, 20);
  const bool same = sync_sum == async_sum && sync_sum > 0 && one_by_one == inserts &&
                    pipelined == inserts && bulk == bulk_rows && bulk_async == bulk_rows &&
                    pool.calls == 200 && pool.failures == 0;
  std::printf("%s\n", same ? "smoke: both forms agree" : "smoke: MISMATCH");
  return same ? 0 : 1;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  bool smoke = false;
  for (int i = 1; i < argc; ++i) smoke = smoke || std::strcmp(argv[i], "--smoke") == 0;
  std::unique_ptr<duo::testing::TestDatabase> fixture;
  std::string url;
  if (const char* env = std::getenv("DUO_BENCH_POSTGRES_URL"); env != nullptr && *env != '\0') {
    url = env;
  } else {
    absl::StatusOr<std::unique_ptr<duo::testing::TestDatabase>> created =
        duo::testing::TestDatabase::NewPostgres();
    if (!created.ok()) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n",
                   std::string(created.status().message()).c_str());
      return 1;
    }
    fixture = *std::move(created);
    url = fixture->url();
  }
  duo::DatabaseOptions options;
  options.pool.size = 16;
  absl::StatusOr<duo::Database> db = duo::Database::Open(url, options);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", std::string(db.status().message()).c_str());
    return 1;
  }
  bench::database = &*db;
  bench::database_url = url;
  duo::Models::Default().Bind(*db);
  bench::Check(duo::Models::CreateTables(*db, {&duo::MetaOf<bench::Point>()}), "create table");
  int status = 0;
  if (smoke) {
    status = bench::Smoke();
  } else {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    bench::PrintPoolLatency(bench::PoolContention(100, 200), 100);
  }
  duo::Models::Default().Unbind();
  return status;
}
