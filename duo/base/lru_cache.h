// duo::LruCache: a map of bounded size that drops its least recently used
// entries to make room. Every cache in DuoORM is one: the compiled-SQL
// cache (duo/dialect/statement_cache.h), the ORM's per-thread statement
// shapes (duo/query/internal/core.cc) and each driver's prepared
// statements (SQLite's sqlite3_stmt handles, PostgreSQL's named
// statements).
//
// The cache never releases what a value holds: evicted and erased entries
// are handed back to the caller, which finalizes a statement or DEALLOCATEs
// it on the server (or just lets the value go out of scope). Values that
// own their resources can ignore what is handed back; destroying the cache
// destroys the values it still holds, so a cache of raw handles is
// emptied with Clear() first.
//
//   duo::LruCache<std::string, sqlite3_stmt*> cache(128);
//   if (sqlite3_stmt** found = cache.Find(sql)) return *found;  // now most recent
//   for (auto& [sql, statement] : cache.Insert(sql, Prepare(sql))) {
//     sqlite3_finalize(statement);  // evicted, least recently used first
//   }
//
// Entries may be pinned (a statement lent to a cursor): Trim and Insert
// skip the values `pinned` says are in use, so the cache may hold more
// than its capacity until they are released and Trim runs again.
//
// Lookups are heterogeneous where abseil's hash is (a std::string key is
// found by absl::string_view). A pointer to a value stays valid until its
// entry is evicted or erased. Not thread-safe: a cache shared by threads
// needs a lock around every call, lookups included (a lookup moves the
// entry to the front).

#ifndef DUO_BASE_LRU_CACHE_H_
#define DUO_BASE_LRU_CACHE_H_

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"

namespace duo {

template <typename Key, typename Value>
class LruCache {
 public:
  // What Insert, Trim and Clear hand back: the key and the value that left
  // the cache.
  using Entry = std::pair<Key, Value>;

  // Holds at most `capacity` unpinned entries; 0 keeps nothing (Insert
  // hands the new entry straight back).
  explicit LruCache(size_t capacity) : capacity_(capacity) {}

  // Copying would copy handles the caller releases once; moving is fine
  // (node-based: pointers to values stay valid).
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;
  LruCache(LruCache&&) = default;
  LruCache& operator=(LruCache&&) = default;

  size_t capacity() const { return capacity_; }
  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }

  // The value stored for `key`, which becomes the most recently used
  // entry; nullptr when there is none. The most recent entry is compared
  // before anything is hashed: a loop that runs one statement again and
  // again finds it without hashing its SQL.
  template <typename Lookup>
  Value* Find(const Lookup& key) {
    if (!order_.empty() && std::equal_to<>()(*order_.front().key, key)) {
      return &order_.front().value;
    }
    const auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, found->second);
    return &found->second->value;
  }

  // The value stored for `key` without counting as a use; nullptr when
  // there is none.
  template <typename Lookup>
  Value* Peek(const Lookup& key) {
    const auto found = index_.find(key);
    return found == index_.end() ? nullptr : &found->second->value;
  }
  template <typename Lookup>
  const Value* Peek(const Lookup& key) const {
    const auto found = index_.find(key);
    return found == index_.end() ? nullptr : &found->second->value;
  }
  template <typename Lookup>
  bool Contains(const Lookup& key) const {
    return index_.contains(key);
  }

  // Stores `value` for `key` as the most recently used entry, then evicts
  // the least recently used entries beyond capacity(). Returns what left
  // the cache, least recently used first: the value `key` held before, if
  // any, then the evicted entries (the new one too when the capacity is 0).
  std::vector<Entry> Insert(Key key, Value value) {
    return Insert(std::move(key), std::move(value), [](const Value&) { return false; });
  }
  // The same, leaving alone the entries for whose value `pinned(value)` is
  // true (the new entry included).
  template <typename Pinned>
  std::vector<Entry> Insert(Key key, Value value, Pinned pinned) {
    std::vector<Entry> out;
    if (std::optional<Value> old = Erase(key)) out.emplace_back(key, *std::move(old));
    auto [slot, inserted] = index_.try_emplace(std::move(key));
    order_.push_front(Node{&slot->first, std::move(value)});
    slot->second = order_.begin();
    TrimInto(out, pinned);
    return out;
  }

  // Evicts the least recently used entries beyond capacity(), leaving
  // alone those for whose value `pinned(value)` is true, and returns them,
  // least recently used first.
  template <typename Pinned>
  std::vector<Entry> Trim(Pinned pinned) {
    std::vector<Entry> out;
    TrimInto(out, pinned);
    return out;
  }

  // Removes the entry for `key` and returns its value; nullopt when there
  // is none.
  template <typename Lookup>
  std::optional<Value> Erase(const Lookup& key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    const typename List::iterator node = found->second;
    std::optional<Value> value(std::move(node->value));
    order_.erase(node);
    index_.erase(found);
    return value;
  }

  // Removes every entry and returns them, least recently used first.
  std::vector<Entry> Clear() {
    std::vector<Entry> out;
    out.reserve(order_.size());
    while (!order_.empty()) out.push_back(PopBack());
    return out;
  }

  // Calls `visit(key, value)` for each entry, most recently used first,
  // without counting as a use.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Node& node : order_) visit(*node.key, node.value);
  }

 private:
  struct Node {
    const Key* key;  // the index's copy, which a node_hash_map keeps in place
    Value value;
  };
  using List = std::list<Node>;

  template <typename Pinned>
  void TrimInto(std::vector<Entry>& out, Pinned& pinned) {
    if (order_.size() <= capacity_) return;
    auto it = order_.end();
    while (order_.size() > capacity_ && it != order_.begin()) {
      --it;
      if (pinned(static_cast<const Value&>(it->value))) continue;
      auto handle = index_.extract(*it->key);
      out.emplace_back(std::move(handle.key()), std::move(it->value));
      it = order_.erase(it);
    }
  }

  Entry PopBack() {
    Node& node = order_.back();
    auto handle = index_.extract(*node.key);
    Entry entry(std::move(handle.key()), std::move(node.value));
    order_.pop_back();
    return entry;
  }

  size_t capacity_;
  List order_;  // most recently used first
  absl::node_hash_map<Key, typename List::iterator> index_;
};

}  // namespace duo

#endif  // DUO_BASE_LRU_CACHE_H_
