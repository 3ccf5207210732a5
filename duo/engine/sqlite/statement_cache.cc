#include "duo/engine/sqlite/statement_cache.h"

#include <string>
#include <utility>

namespace duo::engine::sqlite_internal {

SqliteStatementCache::Lease::Lease(Lease&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      slot_(other.slot_),
      statement_(std::exchange(other.statement_, nullptr)),
      reset_(other.reset_),
      clear_bindings_(other.clear_bindings_) {}

SqliteStatementCache::Lease& SqliteStatementCache::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    cache_ = std::exchange(other.cache_, nullptr);
    slot_ = other.slot_;
    statement_ = std::exchange(other.statement_, nullptr);
    reset_ = other.reset_;
    clear_bindings_ = other.clear_bindings_;
  }
  return *this;
}

void SqliteStatementCache::Lease::Release() {
  if (statement_ == nullptr) return;
  // The result of reset repeats the last step's error, which the cursor
  // has already reported.
  if (!reset_) sqlite3_reset(statement_);
  if (clear_bindings_) sqlite3_clear_bindings(statement_);
  reset_ = false;
  clear_bindings_ = true;
  if (cache_ != nullptr) {
    cache_->Return(slot_);
  } else {
    sqlite3_finalize(statement_);
  }
  cache_ = nullptr;
  statement_ = nullptr;
}

SqliteStatementCache::~SqliteStatementCache() {
  for (auto& [sql, slot] : statements_.Clear()) sqlite3_finalize(slot.statement);
}

SqliteStatementCache::Lease SqliteStatementCache::Take(absl::string_view sql) {
  Slot* const slot = statements_.Find(sql);
  if (slot == nullptr || slot->leased) {
    ++stats_.misses;
    return Lease();
  }
  ++stats_.hits;
  slot->leased = true;
  return Lease(this, slot, slot->statement);
}

SqliteStatementCache::Lease SqliteStatementCache::Adopt(absl::string_view sql,
                                                        sqlite3_stmt* statement) {
  if (capacity() == 0 || statements_.Contains(sql)) return Lease(nullptr, nullptr, statement);
  for (auto& [evicted_sql, evicted] :
       statements_.Insert(std::string(sql), Slot{statement, /*leased=*/true},
                          [](const Slot& slot) { return slot.leased; })) {
    sqlite3_finalize(evicted.statement);
    ++stats_.evictions;
  }
  stats_.size = statements_.size();
  // The newest entry, found without hashing.
  return Lease(this, statements_.Find(sql), statement);
}

void SqliteStatementCache::Return(Slot* slot) {
  slot->leased = false;
  // Statements lent past capacity wait for their return to be evicted.
  if (statements_.size() > capacity()) {
    EvictIdle();
    stats_.size = statements_.size();
  }
}

void SqliteStatementCache::EvictIdle() {
  for (auto& [sql, slot] : statements_.Trim([](const Slot& slot) { return slot.leased; })) {
    sqlite3_finalize(slot.statement);
    ++stats_.evictions;
  }
}

}  // namespace duo::engine::sqlite_internal
