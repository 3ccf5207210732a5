// A cache of compiled statements, keyed by dialect and statement shape.
//
// Running the same query shape again (the same statement built anew with
// other values, as an ORM does on every call) skips compilation: the cache
// finds the compiled SQL by shape and binds the new statement's values into
// it. Thread-safe.
//
// Bounded: a duo::LruCache (duo/base/lru_cache.h) of `capacity` shape
// hashes drops the least recently used shapes when a program keeps making
// new ones (SQL built from data, IN lists of every length).

#ifndef DUO_DIALECT_STATEMENT_CACHE_H_
#define DUO_DIALECT_STATEMENT_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "duo/base/lru_cache.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/statement.h"

namespace duo::dialect {

class StatementCache {
 public:
  // Holds at most `capacity` shape hashes (in practice as many shapes: the
  // rare shapes whose hashes collide share one); beyond that the least
  // recently used make room.
  explicit StatementCache(size_t capacity = 2048) : entries_(capacity) {}

  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // Compiles `statement` for `dialect`, or reuses the compilation of a
  // statement of the same shape. Errors are not cached.
  absl::StatusOr<CompiledStatement> Compile(const Dialect& dialect,
                                            const sql::Statement& statement);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    size_t entries = 0;  // shapes cached now
  };
  Stats stats() const;

 private:
  struct Entry {
    sql::Statement shape;  // keeps the shape alive for comparison
    CompiledTemplate compiled;
  };
  using Key = std::pair<const Dialect*, size_t>;
  // The shapes that share a hash: one, but for a collision. Copied out of
  // the lock to be compared.
  using Bucket = absl::InlinedVector<std::shared_ptr<const Entry>, 1>;

  // A standard mutex so that ThreadSanitizer sees it (Debian's abseil has
  // no TSan annotations). Exclusive even for a lookup, which moves the
  // entry to the front; the shapes are compared outside it.
  mutable std::mutex mu_;
  // Guarded by mu_:
  LruCache<Key, Bucket> entries_;
  size_t size_ = 0;  // shapes in entries_
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
};

}  // namespace duo::dialect

#endif  // DUO_DIALECT_STATEMENT_CACHE_H_
