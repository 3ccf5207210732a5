#include "duo/dialect/statement_cache.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "duo/sql/shape.h"

namespace duo::dialect {
namespace {

CompiledStatement Bind(const CompiledTemplate& compiled, const sql::Statement& statement) {
  std::vector<const sql::Value*> values;
  sql::ForEachParam(statement, [&](const sql::ExprNode& param) { values.push_back(&param.value); });
  return CompiledStatement{compiled.sql, compiled.Bind(values)};
}

}  // namespace

absl::StatusOr<CompiledStatement> StatementCache::Compile(const Dialect& dialect,
                                                          const sql::Statement& statement) {
  const Key key(&dialect, sql::ShapeHash(statement));
  Bucket candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const Bucket* bucket = entries_.Find(key)) candidates = *bucket;
  }
  for (const std::shared_ptr<const Entry>& entry : candidates) {
    if (sql::SameShape(entry->shape, statement)) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return Bind(entry->compiled, statement);
    }
  }

  absl::StatusOr<CompiledTemplate> compiled = dialect.CompileTemplate(statement);
  if (!compiled.ok()) return compiled.status();
  auto entry = std::make_shared<const Entry>(Entry{statement, *std::move(compiled)});
  {
    std::lock_guard<std::mutex> lock(mu_);
    misses_.fetch_add(1, std::memory_order_relaxed);
    if (Bucket* bucket = entries_.Find(key)) {
      // Another thread may have compiled the same shape meanwhile.
      const bool known = std::any_of(bucket->begin(), bucket->end(), [&](const auto& cached) {
        return sql::SameShape(cached->shape, statement);
      });
      if (!known) {
        bucket->push_back(entry);
        ++size_;
      }
    } else {
      for (const auto& [evicted_key, evicted] : entries_.Insert(key, Bucket{entry})) {
        size_ -= evicted.size();
      }
      ++size_;
    }
  }
  return Bind(entry->compiled, statement);
}

StatementCache::Stats StatementCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed),
               size_};
}

}  // namespace duo::dialect
