#include "duo/dialect/statement_cache.h"

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "duo/sql/shape.h"

namespace duo::dialect {
namespace {

CompiledStatement Bind(const CompiledTemplate& compiled, const sql::Statement& statement) {
  std::vector<const sql::Value*> values;
  sql::ForEachParam(statement,
                    [&](const sql::ExprNode& param) { values.push_back(&param.value); });
  return CompiledStatement{compiled.sql, compiled.Bind(values)};
}

}  // namespace

absl::StatusOr<CompiledStatement> StatementCache::Compile(const Dialect& dialect,
                                                          const sql::Statement& statement) {
  const Key key(&dialect, sql::ShapeHash(statement));
  std::shared_ptr<const Entry> found;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      for (const auto& entry : it->second) {
        if (sql::SameShape(entry->shape, statement)) {
          found = entry;
          break;
        }
      }
    }
  }
  if (found != nullptr) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return Bind(found->compiled, statement);
  }

  absl::StatusOr<CompiledTemplate> compiled = dialect.CompileTemplate(statement);
  if (!compiled.ok()) return compiled.status();
  auto entry = std::make_shared<const Entry>(Entry{statement, *std::move(compiled)});
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    misses_.fetch_add(1, std::memory_order_relaxed);
    if (size_ >= capacity_ && !entries_.empty()) {
      auto victim = entries_.begin();
      size_ -= victim->second.size();
      entries_.erase(victim);
    }
    entries_[key].push_back(entry);
    ++size_;
  }
  return Bind(entry->compiled, statement);
}

StatementCache::Stats StatementCache::stats() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return Stats{hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed),
               size_};
}

}  // namespace duo::dialect
