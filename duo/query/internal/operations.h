// The query builder's terminal operations and CRUD, type-erased: each is
// compiled once here instead of once per model in every file that calls
// it. duo/query/query.h forwards to them with the model's ModelMeta, its
// hooks (ModelHooks) and the caller's std::vector<T> (VectorList).
//
// Every operation is written once for both modes: in Exec::kSync nothing
// suspends (see Exec in core.h).

#ifndef DUO_QUERY_INTERNAL_OPERATIONS_H_
#define DUO_QUERY_INTERNAL_OPERATIONS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duo/async/task.h"
#include "duo/model/meta.h"
#include "duo/model/payload.h"
#include "duo/query/internal/core.h"
#include "duo/query/options.h"
#include "duo/session/result.h"
#include "duo/sql/value.h"

namespace duo::query_internal {

// The hooks a model declares (duo/query/hooks.h), as functions on its
// objects; nullptr where the model declares none.
struct ModelHooks {
  absl::Status (*validate)(const void* object) = nullptr;
  absl::Status (*before_create)(void* object) = nullptr;
  absl::Status (*after_create)(void* object) = nullptr;
  absl::Status (*before_update)(void* object) = nullptr;
  absl::Status (*after_update)(void* object) = nullptr;
  absl::Status (*before_delete)(void* object) = nullptr;
  absl::Status (*after_delete)(void* object) = nullptr;
  // The bulk hooks receive the query as the model's Query<T>.
  absl::Status (*before_bulk_update)(const QueryState& query, Payload& changes) = nullptr;
  absl::Status (*after_bulk_update)(const QueryState& query, const Payload& changes,
                                    int64_t rows) = nullptr;
  absl::Status (*before_bulk_delete)(const QueryState& query) = nullptr;
  absl::Status (*after_bulk_delete)(const QueryState& query, int64_t rows) = nullptr;

  // After-hooks run inside the operation's transaction, so that their
  // failure undoes it: an operation on such a model needs one.
  bool has_after_hooks() const {
    return after_create != nullptr || after_update != nullptr || after_delete != nullptr ||
           after_bulk_update != nullptr || after_bulk_delete != nullptr;
  }
};

// A caller's std::vector<T>, filled by the operations.
template <typename T>
class VectorList final : public model_internal::ObjectList {
 public:
  explicit VectorList(std::vector<T>& objects) : objects_(objects) {}
  void* Add() override { return &objects_.emplace_back(); }
  size_t size() const override { return objects_.size(); }
  void* at(size_t index) override { return &objects_[index]; }
  void Clear() override { objects_.clear(); }
  void Reserve(size_t count) override { objects_.reserve(count); }

 private:
  std::vector<T>& objects_;
};

// Query<T>'s terminal operations; rows are added to `out`.
Task<absl::Status> RunAll(const QueryState& state, Exec exec, model_internal::ObjectList& out);
// At most one row.
Task<absl::Status> RunFirst(const QueryState& state, Exec exec, model_internal::ObjectList& out);
// Exactly one row, else ObjectNotFound or MultipleObjectsFound.
Task<absl::Status> RunOne(const QueryState& state, Exec exec, model_internal::ObjectList& out);
// The row with primary key `key`, if any.
Task<absl::Status> RunGet(const QueryState& state, std::vector<sql::Value> key, Exec exec,
                          model_internal::ObjectList& out);
Task<absl::StatusOr<int64_t>> RunCount(const QueryState& state, Exec exec);
Task<absl::StatusOr<bool>> RunExists(const QueryState& state, Exec exec);

// Page's numbers; its rows go to `items`.
struct PageNumbers {
  int64_t total = 0;
  int64_t page = 1;
  int64_t per_page = 0;
  int64_t pages = 0;
  bool has_next = false;
  bool has_prev = false;
};
Task<absl::StatusOr<PageNumbers>> RunPage(const QueryState& state, int64_t page, int64_t per_page,
                                          Exec exec, model_internal::ObjectList& items);

// Fills `batch` with up to `batch_size` rows at a time and calls `each`
// after each fill. `each` runs its own statements in the mode it is given.
Task<absl::Status> RunIterate(const QueryState& state, int64_t batch_size, Exec exec,
                              model_internal::ObjectList& batch,
                              absl::FunctionRef<Task<absl::Status>(Exec)> each);
// The same for callers whose `each` runs no statements of the operation.
Task<absl::Status> RunIterate(const QueryState& state, int64_t batch_size, Exec exec,
                              model_internal::ObjectList& batch,
                              absl::FunctionRef<absl::Status()> each);

// Rows affected.
Task<absl::StatusOr<int64_t>> RunUpdateBulk(const QueryState& state, const ModelHooks& hooks,
                                            const Payload& changes, const BulkOptions& options,
                                            Exec exec);
Task<absl::StatusOr<int64_t>> RunDeleteBulk(const QueryState& state, const ModelHooks& hooks,
                                            const BulkOptions& options, Exec exec);

// Model<T>'s CRUD on an object of the model `meta` describes. Create,
// Save and Delete work on the object graph per `options` (writes.h).
Task<absl::Status> RunCreate(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                             WriteOptions options, Exec exec);
// Leaves `objects` as stored when options.return_models.
Task<absl::Status> RunCreateBulk(const ModelMeta& meta, const ModelHooks& hooks,
                                 model_internal::ObjectList& objects,
                                 const CreateBulkOptions& options, Exec exec);
Task<absl::Status> RunSave(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                           WriteOptions options, Exec exec);
Task<absl::Status> RunDelete(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                             WriteOptions options, Exec exec);
Task<absl::Status> RunRefresh(const ModelMeta& meta, void* object, Exec exec);

// ResultAs: the rows of `result`, read by column name.
absl::Status ReadResult(const ModelMeta& meta, const Result& result,
                        model_internal::ObjectList& out);

}  // namespace duo::query_internal

#endif  // DUO_QUERY_INTERNAL_OPERATIONS_H_
