// The prepared statements one SQLite connection keeps for reuse.
//
// Preparing is the costly part of running a small statement, and an ORM runs
// the same few SQL texts over and over. The cache keeps up to `capacity`
// statements, keyed by their SQL text, and drops the least recently used
// one when it is full (a duo::LruCache, duo/base/lru_cache.h).
//
// A statement is lent to one user at a time (a Lease): while it is lent, a
// request for the same SQL text gets a statement of its own, prepared for
// that lease only, so that two live cursors never share a statement's
// bindings or position.
//
//   SqliteStatementCache::Lease lease = cache.Take(sql);
//   if (!lease) {
//     sqlite3_stmt* prepared = ...;  // sqlite3_prepare_v3
//     lease = cache.Adopt(sql, prepared);
//   }
//   sqlite3_step(lease.get());
//   // ~Lease resets the statement, clears its bindings and returns it.

#ifndef DUO_ENGINE_SQLITE_STATEMENT_CACHE_H_
#define DUO_ENGINE_SQLITE_STATEMENT_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "duo/base/lru_cache.h"
#include "sqlite3.h"

namespace duo::engine::sqlite_internal {

// Not thread-safe: it belongs to one connection. Must be destroyed after
// every Lease it handed out and before the connection is closed.
class SqliteStatementCache {
 private:
  struct Slot {
    sqlite3_stmt* statement = nullptr;
    bool leased = false;
  };

 public:
  struct Stats {
    int64_t hits = 0;       // Take() found an idle statement
    int64_t misses = 0;     // Take() found none
    int64_t evictions = 0;  // statements finalized to make room
    size_t size = 0;        // statements cached now, lent or idle
  };

  // One statement, lent to one user. Destroying (or Release()-ing) it
  // resets the statement, which also ends the implicit read transaction an
  // unfinished SELECT holds, clears its bindings unless told to keep them,
  // then returns it to the cache, or finalizes it if the cache did not
  // keep it.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { Release(); }

    sqlite3_stmt* get() const { return statement_; }
    explicit operator bool() const { return statement_ != nullptr; }
    // The holder has reset the statement itself (its rows are done), so
    // Release need not again.
    void MarkReset() { reset_ = true; }
    // Whether Release clears the bindings (the default): kept, they cost
    // nothing until the next bind replaces them, but hold their memory.
    void KeepBindingsOnRelease() { clear_bindings_ = false; }
    void Release();

   private:
    friend class SqliteStatementCache;
    Lease(SqliteStatementCache* cache, Slot* slot, sqlite3_stmt* statement)
        : cache_(cache), slot_(slot), statement_(statement) {}

    SqliteStatementCache* cache_ = nullptr;  // null for a statement the cache does not keep
    Slot* slot_ = nullptr;                   // lent entries are never evicted: it stays valid
    sqlite3_stmt* statement_ = nullptr;
    bool reset_ = false;
    bool clear_bindings_ = true;
  };

  // `capacity` 0 disables caching: every statement is finalized on return.
  explicit SqliteStatementCache(size_t capacity) : statements_(capacity) {}
  SqliteStatementCache(const SqliteStatementCache&) = delete;
  SqliteStatementCache& operator=(const SqliteStatementCache&) = delete;
  ~SqliteStatementCache();

  size_t capacity() const { return statements_.capacity(); }

  // The cached statement for `sql` if it is idle, lent out; otherwise an
  // empty Lease, and the caller prepares the statement and Adopt()s it.
  Lease Take(absl::string_view sql);

  // Lends out `statement`, newly prepared from `sql`, and keeps it for
  // reuse unless the cache is disabled or already holds a (lent) statement
  // for `sql`. Makes room by finalizing the least recently used idle
  // statements; lent ones are never evicted, so the cache may briefly hold
  // more than `capacity` statements while that many cursors are live.
  Lease Adopt(absl::string_view sql, sqlite3_stmt* statement);

  const Stats& stats() const { return stats_; }

 private:
  void Return(Slot* slot);
  // Finalizes the least recently used idle statements beyond capacity.
  void EvictIdle();

  // Keyed by SQL text, most recently used first.
  LruCache<std::string, Slot> statements_;
  Stats stats_;
};

}  // namespace duo::engine::sqlite_internal

#endif  // DUO_ENGINE_SQLITE_STATEMENT_CACHE_H_
