#include "duo/base/lru_cache.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// The keys, most recently used first.
template <typename Key, typename Value>
std::vector<Key> Keys(const LruCache<Key, Value>& cache) {
  std::vector<Key> keys;
  cache.ForEach([&keys](const Key& key, const Value&) { keys.push_back(key); });
  return keys;
}

TEST(LruCacheTest, FindsWhatWasInserted) {
  LruCache<std::string, int> cache(3);
  EXPECT_TRUE(cache.empty());
  EXPECT_THAT(cache.Insert("a", 1), IsEmpty());
  EXPECT_THAT(cache.Insert("b", 2), IsEmpty());
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(*cache.Find("a"), 1);
  EXPECT_EQ(*cache.Find(absl::string_view("b")), 2);  // heterogeneous lookup
  EXPECT_EQ(cache.Find("c"), nullptr);
  EXPECT_TRUE(cache.Contains("a"));
  EXPECT_FALSE(cache.Contains("c"));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.capacity(), 3u);
}

TEST(LruCacheTest, EvictsTheLeastRecentlyUsedFirst) {
  LruCache<std::string, int> cache(3);
  cache.Insert("a", 1);
  cache.Insert("b", 2);
  cache.Insert("c", 3);
  EXPECT_THAT(Keys(cache), ElementsAre("c", "b", "a"));
  cache.Find("a");  // now b is the least recently used
  EXPECT_THAT(Keys(cache), ElementsAre("a", "c", "b"));
  EXPECT_THAT(cache.Insert("d", 4), ElementsAre(Pair("b", 2)));
  EXPECT_THAT(Keys(cache), ElementsAre("d", "a", "c"));
  EXPECT_THAT(cache.Insert("e", 5), ElementsAre(Pair("c", 3)));
  EXPECT_THAT(Keys(cache), ElementsAre("e", "d", "a"));
  EXPECT_EQ(cache.size(), 3u);
}

TEST(LruCacheTest, PeekDoesNotCountAsAUse) {
  LruCache<std::string, int> cache(2);
  cache.Insert("a", 1);
  cache.Insert("b", 2);
  ASSERT_NE(cache.Peek("a"), nullptr);
  EXPECT_EQ(*cache.Peek("a"), 1);
  const LruCache<std::string, int>& view = cache;
  EXPECT_EQ(*view.Peek("a"), 1);
  EXPECT_EQ(view.Peek("z"), nullptr);
  EXPECT_THAT(cache.Insert("c", 3), ElementsAre(Pair("a", 1)));
}

TEST(LruCacheTest, NeverHoldsMoreThanItsCapacity) {
  LruCache<int, int> cache(16);
  size_t evicted = 0;
  for (int i = 0; i < 10000; ++i) {
    evicted += cache.Insert(i, i).size();
    ASSERT_LE(cache.size(), 16u);
  }
  EXPECT_EQ(evicted, 10000u - 16u);
  // The most recent sixteen stay.
  for (int i = 10000 - 16; i < 10000; ++i) EXPECT_NE(cache.Peek(i), nullptr) << i;
}

TEST(LruCacheTest, ZeroCapacityKeepsNothing) {
  LruCache<std::string, int> cache(0);
  EXPECT_THAT(cache.Insert("a", 1), ElementsAre(Pair("a", 1)));
  EXPECT_TRUE(cache.empty());
  EXPECT_EQ(cache.Find("a"), nullptr);
}

TEST(LruCacheTest, InsertingAStoredKeyHandsBackItsOldValue) {
  LruCache<std::string, int> cache(2);
  cache.Insert("a", 1);
  cache.Insert("b", 2);
  EXPECT_THAT(cache.Insert("a", 10), ElementsAre(Pair("a", 1)));
  EXPECT_EQ(*cache.Find("a"), 10);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_THAT(Keys(cache), ElementsAre("a", "b"));
}

TEST(LruCacheTest, EraseAndClearHandBackTheValues) {
  LruCache<std::string, int> cache(4);
  cache.Insert("a", 1);
  cache.Insert("b", 2);
  cache.Insert("c", 3);
  EXPECT_EQ(cache.Erase("b"), 2);
  EXPECT_EQ(cache.Erase("b"), std::nullopt);
  EXPECT_THAT(cache.Clear(), ElementsAre(Pair("a", 1), Pair("c", 3)));
  EXPECT_TRUE(cache.empty());
  EXPECT_THAT(cache.Insert("a", 4), IsEmpty());  // usable again
}

TEST(LruCacheTest, PinnedEntriesStayBeyondCapacityUntilTrimmed) {
  // A value is pinned while its flag is set (a statement lent to a cursor).
  LruCache<std::string, bool> cache(1);
  const auto pinned = [](const bool& in_use) { return in_use; };
  EXPECT_THAT(cache.Insert("a", true, pinned), IsEmpty());
  EXPECT_THAT(cache.Insert("b", true, pinned), IsEmpty());
  EXPECT_EQ(cache.size(), 2u);  // over capacity while both are pinned
  *cache.Peek("a") = false;
  EXPECT_THAT(cache.Trim(pinned), ElementsAre(Pair("a", false)));
  EXPECT_THAT(cache.Insert("c", false, pinned), ElementsAre(Pair("c", false)));
  EXPECT_THAT(Keys(cache), ElementsAre("b"));
  *cache.Peek("b") = false;
  EXPECT_THAT(cache.Trim(pinned), IsEmpty());  // within capacity
}

TEST(LruCacheTest, ValuesStayInPlaceWhileCached) {
  LruCache<int, std::unique_ptr<int>> cache(100);
  cache.Insert(0, std::make_unique<int>(0));
  std::unique_ptr<int>* first = cache.Peek(0);
  for (int i = 1; i < 100; ++i) cache.Insert(i, std::make_unique<int>(i));  // rehashes
  EXPECT_EQ(cache.Find(0), first);
  EXPECT_EQ(**first, 0);
}

TEST(LruCacheTest, DestroyingTheCacheDestroysItsValues) {
  auto counted = std::make_shared<int>(0);
  {
    LruCache<int, std::shared_ptr<int>> cache(2);
    cache.Insert(1, counted);
    cache.Insert(2, counted);
    EXPECT_EQ(counted.use_count(), 3);
    EXPECT_EQ(cache.Insert(3, counted).size(), 1u);  // handed back, then dropped
    EXPECT_EQ(counted.use_count(), 3);
  }
  EXPECT_EQ(counted.use_count(), 1);
}

TEST(LruCacheTest, MovingKeepsTheEntries) {
  LruCache<std::string, int> cache(2);
  cache.Insert("a", 1);
  cache.Insert("b", 2);
  LruCache<std::string, int> moved(std::move(cache));
  EXPECT_EQ(*moved.Find("a"), 1);
  EXPECT_THAT(moved.Insert("c", 3), ElementsAre(Pair("b", 2)));
}

}  // namespace
}  // namespace duo
