// The identity map of a managed transaction: one object per database row.
//
// Inside db.Transaction(fn), the ORM keeps every row it loads here, keyed by
// its table and primary key, so that loading the same row twice yields the
// same object state, and so that Save knows what changed since the load.
// The map is emptied when the transaction (or a savepoint inside it) ends,
// because what it holds may no longer match the database.
//
// The session layer stores objects without knowing their types; the model
// layer puts and reads them under a per-model key. Not thread-safe: it
// belongs to one Session.

#ifndef DUO_SESSION_IDENTITY_MAP_H_
#define DUO_SESSION_IDENTITY_MAP_H_

#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "duo/sql/value.h"

namespace duo {

class IdentityMap {
 public:
  // `model` identifies the mapped type (one address per model); `key` is
  // the row's primary key, column by column.
  struct Key {
    const void* model;
    std::vector<sql::Value> primary_key;

    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& key) {
      return H::combine(std::move(h), key.model, key.primary_key);
    }
  };

  // The object stored under `key`, or nullptr.
  std::shared_ptr<void> Find(const Key& key) const {
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : it->second;
  }
  void Put(Key key, std::shared_ptr<void> object) {
    objects_.insert_or_assign(std::move(key), std::move(object));
  }
  void Erase(const Key& key) { objects_.erase(key); }
  void Clear() { objects_.clear(); }
  size_t size() const { return objects_.size(); }

 private:
  absl::flat_hash_map<Key, std::shared_ptr<void>> objects_;
};

}  // namespace duo

#endif  // DUO_SESSION_IDENTITY_MAP_H_
