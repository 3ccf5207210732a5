#include "duo/dialect/statement_cache.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/sql/select.h"
#include "duo/sql/table.h"
#include "gtest/gtest.h"

namespace duo::dialect {
namespace {

using sql::Select;
using sql::Table;

// A statement of shape `n`: each n reads another table.
Select ShapeNumber(int n, int value = 1) {
  const Table table(absl::StrCat("t", n));
  return Select({table.C("id")}).From(table).Where(table.C("x") == value);
}

TEST(StatementCacheBoundTest, HoldsNoMoreShapesThanItsCapacity) {
  StatementCache cache(8);
  for (int n = 0; n < 1000; ++n) {
    ASSERT_TRUE(cache.Compile(PostgresDialect(), ShapeNumber(n)).ok());
    ASSERT_LE(cache.stats().entries, 8u);
  }
  EXPECT_EQ(cache.stats().entries, 8u);
  EXPECT_EQ(cache.stats().misses, 1000);
  // The most recent shapes stayed.
  const absl::StatusOr<CompiledStatement> recent =
      cache.Compile(PostgresDialect(), ShapeNumber(999, 5));
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_EQ(recent->params, (std::vector<sql::Value>{5}));
  EXPECT_EQ(cache.stats().hits, 1);
}

TEST(StatementCacheBoundTest, EvictsTheLeastRecentlyUsedShape) {
  StatementCache cache(2);
  ASSERT_TRUE(cache.Compile(SqliteDialect(), ShapeNumber(1)).ok());
  ASSERT_TRUE(cache.Compile(SqliteDialect(), ShapeNumber(2)).ok());
  ASSERT_TRUE(cache.Compile(SqliteDialect(), ShapeNumber(1)).ok());  // 2 is now the oldest
  ASSERT_TRUE(cache.Compile(SqliteDialect(), ShapeNumber(3)).ok());
  EXPECT_EQ(cache.stats().hits, 1);
  EXPECT_EQ(cache.stats().misses, 3);
  ASSERT_TRUE(cache.Compile(SqliteDialect(), ShapeNumber(1)).ok());
  EXPECT_EQ(cache.stats().hits, 2);  // kept
  ASSERT_TRUE(cache.Compile(SqliteDialect(), ShapeNumber(2)).ok());
  EXPECT_EQ(cache.stats().misses, 4);  // evicted, compiled again
  EXPECT_EQ(cache.stats().entries, 2u);
}

TEST(StatementCacheBoundTest, ThreadsShareTheCacheAndItStaysBounded) {
  StatementCache cache(16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 500; ++i) {
        const int n = (i * 7 + t) % 24;
        const absl::StatusOr<CompiledStatement> compiled =
            cache.Compile(i % 2 == 0 ? PostgresDialect() : SqliteDialect(), ShapeNumber(n, i));
        ASSERT_TRUE(compiled.ok()) << compiled.status();
        ASSERT_EQ(compiled->params, (std::vector<sql::Value>{i}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const StatementCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits + stats.misses, 2000);
  EXPECT_LE(stats.entries, 16u);
}

}  // namespace
}  // namespace duo::dialect
