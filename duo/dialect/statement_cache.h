// A cache of compiled statements, keyed by dialect and statement shape.
//
// Running the same query shape again (the same statement built anew with
// other values, as an ORM does on every call) skips compilation: the cache
// finds the compiled SQL by shape and binds the new statement's values into
// it. Thread-safe.

#ifndef DUO_DIALECT_STATEMENT_CACHE_H_
#define DUO_DIALECT_STATEMENT_CACHE_H_

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <shared_mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/statement.h"

namespace duo::dialect {

class StatementCache {
 public:
  // Holds at most `capacity` compiled shapes; beyond that an arbitrary
  // entry makes room.
  explicit StatementCache(size_t capacity = 2048) : capacity_(capacity) {}

  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // Compiles `statement` for `dialect`, or reuses the compilation of a
  // statement of the same shape. Errors are not cached.
  absl::StatusOr<CompiledStatement> Compile(const Dialect& dialect,
                                            const sql::Statement& statement);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    sql::Statement shape;  // keeps the shape alive for comparison
    CompiledTemplate compiled;
  };
  using Key = std::pair<const Dialect*, size_t>;

  const size_t capacity_;
  // A standard mutex so that ThreadSanitizer sees it (Debian's abseil has
  // no TSan annotations).
  mutable std::shared_mutex mu_;
  // Guarded by mu_:
  absl::flat_hash_map<Key, std::vector<std::shared_ptr<const Entry>>> entries_;
  size_t size_ = 0;
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
};

}  // namespace duo::dialect

#endif  // DUO_DIALECT_STATEMENT_CACHE_H_
