// Cost of building and compiling a typical query, and of the compiled-
// statement cache. The query: three predicates, a join, ORDER BY, LIMIT.
//
//   bazel run -c opt //bench:sql_compile_bench
//
// BM_BuildAndCacheHit minus BM_Build is what a cache hit costs an ORM call
// that builds its statement anew each time.

#include <string>

#include "benchmark/benchmark.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/dialect/statement_cache.h"
#include "duo/sql/select.h"

namespace duo {
namespace {

using sql::Select;
using sql::Table;

const Table& Orders() {
  static const Table* const table = new Table("orders");
  return *table;
}
const Table& Customers() {
  static const Table* const table = new Table("customers");
  return *table;
}

Select TypicalSelect(int64_t min_total) {
  const Table& orders = Orders();
  const Table& customers = Customers();
  return Select({orders.C("id"), orders.C("total_amount"), customers.C("name")})
      .From(orders)
      .Join(customers, orders.C("customer_id") == customers.C("id"))
      .Where(orders.Col<std::string>("status") == "completed")
      .Where(orders.Col<double>("total_amount") > min_total)
      .Where(customers.Col<std::string>("region").In({"north", "south"}))
      .OrderBy(orders.C("created_at").Desc())
      .Limit(50);
}

void BM_Build(benchmark::State& state) {
  int64_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(TypicalSelect(++n));
}
BENCHMARK(BM_Build);

void BM_BuildAndCompile(benchmark::State& state, const dialect::Dialect& dialect) {
  int64_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(dialect.Compile(TypicalSelect(++n)));
}
BENCHMARK_CAPTURE(BM_BuildAndCompile, sqlite, dialect::SqliteDialect());
BENCHMARK_CAPTURE(BM_BuildAndCompile, postgres, dialect::PostgresDialect());

void BM_BuildAndCacheHit(benchmark::State& state, const dialect::Dialect& dialect) {
  dialect::StatementCache cache;
  (void)cache.Compile(dialect, TypicalSelect(0));
  int64_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cache.Compile(dialect, TypicalSelect(++n)));
  state.counters["hits"] = static_cast<double>(cache.stats().hits);
}
BENCHMARK_CAPTURE(BM_BuildAndCacheHit, sqlite, dialect::SqliteDialect());
BENCHMARK_CAPTURE(BM_BuildAndCacheHit, postgres, dialect::PostgresDialect());

// The same statement object again: its shape hash is already memoized.
void BM_CacheHitSameStatement(benchmark::State& state) {
  dialect::StatementCache cache;
  const Select select = TypicalSelect(100);
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.Compile(dialect::PostgresDialect(), select));
  }
}
BENCHMARK(BM_CacheHitSameStatement);

}  // namespace
}  // namespace duo
