#include "duo/engine/sqlite/statement_cache.h"

#include <utility>

namespace duo::engine::sqlite_internal {

StatementCache::Lease::Lease(Lease&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      entry_(other.entry_),
      statement_(std::exchange(other.statement_, nullptr)),
      reset_(other.reset_),
      clear_bindings_(other.clear_bindings_) {}

StatementCache::Lease& StatementCache::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    cache_ = std::exchange(other.cache_, nullptr);
    entry_ = other.entry_;
    statement_ = std::exchange(other.statement_, nullptr);
    reset_ = other.reset_;
    clear_bindings_ = other.clear_bindings_;
  }
  return *this;
}

void StatementCache::Lease::Release() {
  if (statement_ == nullptr) return;
  // The result of reset repeats the last step's error, which the cursor
  // has already reported.
  if (!reset_) sqlite3_reset(statement_);
  if (clear_bindings_) sqlite3_clear_bindings(statement_);
  reset_ = false;
  clear_bindings_ = true;
  if (cache_ != nullptr) {
    cache_->Return(entry_);
  } else {
    sqlite3_finalize(statement_);
  }
  cache_ = nullptr;
  statement_ = nullptr;
}

StatementCache::~StatementCache() {
  for (Entry& entry : entries_) sqlite3_finalize(entry.statement);
}

StatementCache::Lease StatementCache::Take(absl::string_view sql) {
  // A loop runs one statement again and again: the most recently used
  // entry answers without hashing the SQL.
  if (!entries_.empty() && !entries_.front().leased && entries_.front().sql == sql) {
    ++stats_.hits;
    entries_.front().leased = true;
    return Lease(this, entries_.begin(), entries_.front().statement);
  }
  auto found = by_sql_.find(sql);
  if (found == by_sql_.end() || found->second->leased) {
    ++stats_.misses;
    return Lease();
  }
  ++stats_.hits;
  EntryList::iterator entry = found->second;
  entries_.splice(entries_.begin(), entries_, entry);
  entry->leased = true;
  return Lease(this, entry, entry->statement);
}

StatementCache::Lease StatementCache::Adopt(absl::string_view sql, sqlite3_stmt* statement) {
  if (capacity_ == 0 || by_sql_.contains(sql)) {
    return Lease(nullptr, EntryList::iterator(), statement);
  }
  entries_.push_front(Entry{std::string(sql), statement, /*leased=*/true});
  by_sql_.emplace(entries_.front().sql, entries_.begin());
  EvictIdle();
  stats_.size = entries_.size();
  return Lease(this, entries_.begin(), statement);
}

void StatementCache::Return(EntryList::iterator entry) {
  entry->leased = false;
  // Statements lent past capacity wait for their return to be evicted.
  if (entries_.size() > capacity_) {
    EvictIdle();
    stats_.size = entries_.size();
  }
}

void StatementCache::EvictIdle() {
  auto it = entries_.end();
  while (entries_.size() > capacity_ && it != entries_.begin()) {
    --it;
    if (it->leased) continue;
    by_sql_.erase(it->sql);
    sqlite3_finalize(it->statement);
    it = entries_.erase(it);
    ++stats_.evictions;
  }
}

}  // namespace duo::engine::sqlite_internal
