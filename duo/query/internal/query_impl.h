// The definitions of Query<T> and Model<T> (duo/query/query.h, which
// includes this file at its end; include that one). Each is a thin wrapper:
// the work is in the type-erased operations of operations.h, compiled
// once, so that a file using many models does not compile the ORM's
// coroutines once per model.

#ifndef DUO_QUERY_INTERNAL_QUERY_IMPL_H_
#define DUO_QUERY_INTERNAL_QUERY_IMPL_H_

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/async/sync_wait.h"
#include "duo/async/task.h"
#include "duo/base/status_macros.h"
#include "duo/model/payload.h"
#include "duo/query/hooks.h"
#include "duo/query/internal/core.h"
#include "duo/query/internal/operations.h"
#include "duo/query/query.h"

namespace duo {
namespace query_internal {

template <typename T>
struct QueryAccess {
  static const QueryState& State(const Query<T>& query) { return query.state_; }
  static Query<T> FromState(const QueryState& state) {
    Query<T> query;
    query.state_ = state;
    return query;
  }
};

// T's hooks as ModelHooks, built at compile time.
template <typename T>
constexpr ModelHooks MakeHooks() {
  ModelHooks made;
  if constexpr (hooks::HasValidate<T>) {
    made.validate = [](const void* o) -> absl::Status {
      return static_cast<const T*>(o)->Validate();
    };
  }
  if constexpr (hooks::HasBeforeCreate<T>) {
    made.before_create = [](void* o) -> absl::Status { return static_cast<T*>(o)->BeforeCreate(); };
  }
  if constexpr (hooks::HasAfterCreate<T>) {
    made.after_create = [](void* o) -> absl::Status { return static_cast<T*>(o)->AfterCreate(); };
  }
  if constexpr (hooks::HasBeforeUpdate<T>) {
    made.before_update = [](void* o) -> absl::Status { return static_cast<T*>(o)->BeforeUpdate(); };
  }
  if constexpr (hooks::HasAfterUpdate<T>) {
    made.after_update = [](void* o) -> absl::Status { return static_cast<T*>(o)->AfterUpdate(); };
  }
  if constexpr (hooks::HasBeforeDelete<T>) {
    made.before_delete = [](void* o) -> absl::Status { return static_cast<T*>(o)->BeforeDelete(); };
  }
  if constexpr (hooks::HasAfterDelete<T>) {
    made.after_delete = [](void* o) -> absl::Status { return static_cast<T*>(o)->AfterDelete(); };
  }
  if constexpr (hooks::HasBeforeBulkUpdate<T>) {
    made.before_bulk_update = [](const QueryState& query, Payload& changes) -> absl::Status {
      return T::BeforeBulkUpdate(QueryAccess<T>::FromState(query), changes);
    };
  }
  if constexpr (hooks::HasAfterBulkUpdate<T>) {
    made.after_bulk_update = [](const QueryState& query, const Payload& changes,
                                int64_t rows) -> absl::Status {
      return T::AfterBulkUpdate(QueryAccess<T>::FromState(query), changes, rows);
    };
  }
  if constexpr (hooks::HasBeforeBulkDelete<T>) {
    made.before_bulk_delete = [](const QueryState& query) -> absl::Status {
      return T::BeforeBulkDelete(QueryAccess<T>::FromState(query));
    };
  }
  if constexpr (hooks::HasAfterBulkDelete<T>) {
    made.after_bulk_delete = [](const QueryState& query, int64_t rows) -> absl::Status {
      return T::AfterBulkDelete(QueryAccess<T>::FromState(query), rows);
    };
  }
  return made;
}

template <typename T>
inline constexpr ModelHooks kHooksOf = MakeHooks<T>();

// A new object from column -> value pairs, checked against the model.
template <typename T>
absl::StatusOr<T> FromPayload(const Payload& payload) {
  T object{};
  DUO_RETURN_IF_ERROR(MetaOf<T>().declaration_status());
  DUO_RETURN_IF_ERROR(ApplyPayload(MetaOf<T>(), &object, payload));
  return object;
}

// The async twins: each task owns its copy of the query and its result.
template <typename T>
struct AsyncOps {
  static Task<absl::StatusOr<std::vector<T>>> All(QueryState state) {
    std::vector<T> objects;
    VectorList<T> list(objects);
    DUO_CO_RETURN_IF_ERROR(co_await RunAll(state, Exec::kAsync, list));
    co_return objects;
  }
  static Task<absl::StatusOr<std::optional<T>>> First(QueryState state) {
    std::vector<T> objects;
    VectorList<T> list(objects);
    DUO_CO_RETURN_IF_ERROR(co_await RunFirst(state, Exec::kAsync, list));
    if (objects.empty()) co_return std::optional<T>();
    co_return std::optional<T>(std::move(objects.front()));
  }
  static Task<absl::StatusOr<T>> One(QueryState state) {
    std::vector<T> objects;
    VectorList<T> list(objects);
    DUO_CO_RETURN_IF_ERROR(co_await RunOne(state, Exec::kAsync, list));
    co_return std::move(objects.front());
  }
  static Task<absl::StatusOr<std::optional<T>>> Get(QueryState state, std::vector<sql::Value> key) {
    std::vector<T> objects;
    VectorList<T> list(objects);
    DUO_CO_RETURN_IF_ERROR(co_await RunGet(state, std::move(key), Exec::kAsync, list));
    if (objects.empty()) co_return std::optional<T>();
    co_return std::optional<T>(std::move(objects.front()));
  }
  static Task<absl::StatusOr<Page<T>>> Paged(QueryState state, int64_t page, int64_t per_page) {
    Page<T> result;
    VectorList<T> list(result.items);
    DUO_CO_ASSIGN_OR_RETURN(PageNumbers numbers,
                            co_await RunPage(state, page, per_page, Exec::kAsync, list));
    co_return WithNumbers(std::move(result), numbers);
  }
  static Task<absl::Status> IterateBatches(QueryState state, int64_t batch_size,
                                           absl::AnyInvocable<absl::Status(std::vector<T>&)> each) {
    std::vector<T> batch;
    VectorList<T> list(batch);
    co_return co_await RunIterate(state, batch_size, Exec::kAsync, list,
                                  absl::FunctionRef<absl::Status()>([&] { return each(batch); }));
  }
  static Task<absl::StatusOr<T>> Create(absl::StatusOr<T> object, WriteOptions options = {}) {
    if (!object.ok()) co_return object.status();
    DUO_CO_RETURN_IF_ERROR(
        co_await RunCreate(MetaOf<T>(), kHooksOf<T>, &*object, options, Exec::kAsync));
    co_return std::move(object);
  }
  static Task<absl::StatusOr<std::vector<T>>> CreateBulk(std::vector<T> objects,
                                                         CreateBulkOptions options) {
    VectorList<T> list(objects);
    DUO_CO_RETURN_IF_ERROR(
        co_await RunCreateBulk(MetaOf<T>(), kHooksOf<T>, list, options, Exec::kAsync));
    if (!options.return_models) co_return std::vector<T>();
    co_return std::move(objects);
  }

  static Page<T> WithNumbers(Page<T> page, const PageNumbers& numbers) {
    page.total = numbers.total;
    page.page = numbers.page;
    page.per_page = numbers.per_page;
    page.pages = numbers.pages;
    page.has_next = numbers.has_next;
    page.has_prev = numbers.has_prev;
    return page;
  }
};

}  // namespace query_internal

// ---- Query<T> --------------------------------------------------------------

template <typename T>
Query<T>::Query() {
  state_.meta = &MetaOf<T>();
}

template <typename T>
Query<T>::Query(Database database) : Query() {
  state_.database = std::move(database);
}

template <typename T>
Query<T> Query<T>::Where(const sql::Expr& condition) const {
  Query next = *this;
  next.state_.where.push_back(condition);
  return next;
}

template <typename T>
Query<T> Query<T>::FilterBy(std::initializer_list<Filter> filters) const {
  return FilterBy(std::vector<Filter>(filters));
}

template <typename T>
Query<T> Query<T>::FilterBy(const std::vector<Filter>& filters) const {
  Query next = *this;
  for (const Filter& filter : filters) {
    query_internal::AddFilterBy(next.state_, filter.path, filter.value);
  }
  return next;
}

template <typename T>
template <typename... Keys>
Query<T> Query<T>::OrderBy(const Keys&... keys) const {
  Query next = *this;
  (next.AddOrder(keys), ...);
  return next;
}

template <typename T>
template <typename Key>
void Query<T>::AddOrder(const Key& key) {
  if constexpr (std::is_convertible_v<const Key&, std::string_view>) {
    const std::string_view text(key);
    query_internal::AddOrderBy(state_, absl::string_view(text.data(), text.size()));
  } else {
    state_.order.push_back(sql::OrderTerm(key));
  }
}

template <typename T>
Query<T> Query<T>::Limit(int64_t count) const {
  Query next = *this;
  if (count < 0) {
    query_internal::Fail(next.state_, absl::InvalidArgumentError("Limit must not be negative"));
  }
  next.state_.limit = count;
  return next;
}

template <typename T>
Query<T> Query<T>::Offset(int64_t count) const {
  Query next = *this;
  if (count < 0) {
    query_internal::Fail(next.state_, absl::InvalidArgumentError("Offset must not be negative"));
  }
  next.state_.offset = count;
  return next;
}

template <typename T>
Query<T> Query<T>::Paginate(int64_t limit, int64_t offset) const {
  return Limit(limit).Offset(offset);
}

template <typename T>
Query<T> Query<T>::Distinct() const {
  Query next = *this;
  next.state_.distinct = true;
  return next;
}

template <typename T>
Query<T> Query<T>::Related(std::string_view path, RelatedOptions options) const {
  Query next = *this;
  query_internal::AddRelated(next.state_, absl::string_view(path.data(), path.size()),
                             std::move(options));
  return next;
}

template <typename T>
Query<T> Query<T>::Using(Database database) const {
  Query next = *this;
  next.state_.database = std::move(database);
  return next;
}

template <typename T>
sql::Select Query<T>::Alchemize() const {
  absl::StatusOr<sql::Select> select = query_internal::BuildSelect(state_);
  return select.ok() ? *std::move(select) : sql::Select::Failed(std::move(select).status());
}

template <typename T>
absl::Status Query<T>::status() const {
  DUO_RETURN_IF_ERROR(state_.meta->declaration_status());
  return state_.error;
}

template <typename T>
absl::StatusOr<std::vector<T>> Query<T>::All() const {
  std::vector<T> objects;
  query_internal::VectorList<T> list(objects);
  DUO_RETURN_IF_ERROR(SyncWait(query_internal::RunAll(state_, query_internal::Exec::kSync, list)));
  return objects;
}

template <typename T>
Task<absl::StatusOr<std::vector<T>>> Query<T>::AllAsync() const {
  return query_internal::AsyncOps<T>::All(state_);
}

template <typename T>
absl::StatusOr<std::optional<T>> Query<T>::First() const {
  std::vector<T> objects;
  query_internal::VectorList<T> list(objects);
  DUO_RETURN_IF_ERROR(
      SyncWait(query_internal::RunFirst(state_, query_internal::Exec::kSync, list)));
  if (objects.empty()) return std::nullopt;
  return std::optional<T>(std::move(objects.front()));
}

template <typename T>
Task<absl::StatusOr<std::optional<T>>> Query<T>::FirstAsync() const {
  return query_internal::AsyncOps<T>::First(state_);
}

template <typename T>
absl::StatusOr<T> Query<T>::One() const {
  std::vector<T> objects;
  query_internal::VectorList<T> list(objects);
  DUO_RETURN_IF_ERROR(SyncWait(query_internal::RunOne(state_, query_internal::Exec::kSync, list)));
  return std::move(objects.front());
}

template <typename T>
Task<absl::StatusOr<T>> Query<T>::OneAsync() const {
  return query_internal::AsyncOps<T>::One(state_);
}

template <typename T>
template <typename... K>
absl::StatusOr<std::optional<T>> Query<T>::Get(const K&... key) const {
  std::vector<T> objects;
  query_internal::VectorList<T> list(objects);
  DUO_RETURN_IF_ERROR(SyncWait(
      query_internal::RunGet(state_, {sql::Value(key)...}, query_internal::Exec::kSync, list)));
  if (objects.empty()) return std::nullopt;
  return std::optional<T>(std::move(objects.front()));
}

template <typename T>
template <typename... K>
Task<absl::StatusOr<std::optional<T>>> Query<T>::GetAsync(const K&... key) const {
  return query_internal::AsyncOps<T>::Get(state_, {sql::Value(key)...});
}

template <typename T>
absl::StatusOr<int64_t> Query<T>::Count() const {
  return SyncWait(query_internal::RunCount(state_, query_internal::Exec::kSync));
}

template <typename T>
Task<absl::StatusOr<int64_t>> Query<T>::CountAsync() const {
  // The task owns a copy of the state.
  return [](query_internal::QueryState state) -> Task<absl::StatusOr<int64_t>> {
    co_return co_await query_internal::RunCount(state, query_internal::Exec::kAsync);
  }(state_);
}

template <typename T>
absl::StatusOr<bool> Query<T>::Exists() const {
  return SyncWait(query_internal::RunExists(state_, query_internal::Exec::kSync));
}

template <typename T>
Task<absl::StatusOr<bool>> Query<T>::ExistsAsync() const {
  return [](query_internal::QueryState state) -> Task<absl::StatusOr<bool>> {
    co_return co_await query_internal::RunExists(state, query_internal::Exec::kAsync);
  }(state_);
}

template <typename T>
absl::StatusOr<duo::Page<T>> Query<T>::Page(int64_t page, int64_t per_page) const {
  duo::Page<T> result;
  query_internal::VectorList<T> list(result.items);
  DUO_ASSIGN_OR_RETURN(
      const query_internal::PageNumbers numbers,
      SyncWait(query_internal::RunPage(state_, page, per_page, query_internal::Exec::kSync, list)));
  return query_internal::AsyncOps<T>::WithNumbers(std::move(result), numbers);
}

template <typename T>
Task<absl::StatusOr<duo::Page<T>>> Query<T>::PageAsync(int64_t page, int64_t per_page) const {
  return query_internal::AsyncOps<T>::Paged(state_, page, per_page);
}

template <typename T>
absl::Status Query<T>::Iterate(int64_t batch_size, absl::FunctionRef<absl::Status(T&)> each) const {
  return IterateBatches(batch_size, [&](std::vector<T>& batch) -> absl::Status {
    for (T& object : batch) DUO_RETURN_IF_ERROR(each(object));
    return absl::OkStatus();
  });
}

template <typename T>
Task<absl::Status> Query<T>::IterateAsync(int64_t batch_size,
                                          absl::AnyInvocable<absl::Status(T&)> each) const {
  return IterateBatchesAsync(batch_size, [each = std::move(each)](std::vector<T>& batch) mutable {
    for (T& object : batch) DUO_RETURN_IF_ERROR(each(object));
    return absl::OkStatus();
  });
}

template <typename T>
absl::Status Query<T>::IterateBatches(int64_t batch_size,
                                      absl::FunctionRef<absl::Status(std::vector<T>&)> each) const {
  std::vector<T> batch;
  query_internal::VectorList<T> list(batch);
  return SyncWait(
      query_internal::RunIterate(state_, batch_size, query_internal::Exec::kSync, list,
                                 absl::FunctionRef<absl::Status()>([&] { return each(batch); })));
}

template <typename T>
Task<absl::Status> Query<T>::IterateBatchesAsync(
    int64_t batch_size, absl::AnyInvocable<absl::Status(std::vector<T>&)> each) const {
  return query_internal::AsyncOps<T>::IterateBatches(state_, batch_size, std::move(each));
}

template <typename T>
absl::StatusOr<int64_t> Query<T>::UpdateBulk(Payload changes, BulkOptions options) const {
  return SyncWait(query_internal::RunUpdateBulk(state_, query_internal::kHooksOf<T>, changes,
                                                options, query_internal::Exec::kSync));
}

template <typename T>
Task<absl::StatusOr<int64_t>> Query<T>::UpdateBulkAsync(Payload changes,
                                                        BulkOptions options) const {
  return [](query_internal::QueryState state, Payload changes,
            BulkOptions options) -> Task<absl::StatusOr<int64_t>> {
    co_return co_await query_internal::RunUpdateBulk(state, query_internal::kHooksOf<T>, changes,
                                                     options, query_internal::Exec::kAsync);
  }(state_, std::move(changes), options);
}

template <typename T>
absl::StatusOr<int64_t> Query<T>::DeleteBulk(BulkOptions options) const {
  return SyncWait(query_internal::RunDeleteBulk(state_, query_internal::kHooksOf<T>, options,
                                                query_internal::Exec::kSync));
}

template <typename T>
Task<absl::StatusOr<int64_t>> Query<T>::DeleteBulkAsync(BulkOptions options) const {
  return
      [](query_internal::QueryState state, BulkOptions options) -> Task<absl::StatusOr<int64_t>> {
        co_return co_await query_internal::RunDeleteBulk(state, query_internal::kHooksOf<T>,
                                                         options, query_internal::Exec::kAsync);
      }(state_, options);
}

// ---- Model<T> --------------------------------------------------------------

template <typename T>
absl::StatusOr<T> Model<T>::Create(T object, WriteOptions options) {
  DUO_RETURN_IF_ERROR(SyncWait(query_internal::RunCreate(
      MetaOf<T>(), query_internal::kHooksOf<T>, &object, options, query_internal::Exec::kSync)));
  return object;
}

template <typename T>
Task<absl::StatusOr<T>> Model<T>::CreateAsync(T object, WriteOptions options) {
  return query_internal::AsyncOps<T>::Create(std::move(object), options);
}

template <typename T>
template <std::same_as<Payload> P>
absl::StatusOr<T> Model<T>::Create(const P& payload) {
  DUO_ASSIGN_OR_RETURN(T object, query_internal::FromPayload<T>(payload));
  return Create(std::move(object));
}

template <typename T>
template <std::same_as<Payload> P>
Task<absl::StatusOr<T>> Model<T>::CreateAsync(const P& payload) {
  return query_internal::AsyncOps<T>::Create(query_internal::FromPayload<T>(payload));
}

template <typename T>
absl::StatusOr<std::vector<T>> Model<T>::CreateBulk(std::vector<T> objects,
                                                    CreateBulkOptions options) {
  query_internal::VectorList<T> list(objects);
  DUO_RETURN_IF_ERROR(SyncWait(query_internal::RunCreateBulk(
      MetaOf<T>(), query_internal::kHooksOf<T>, list, options, query_internal::Exec::kSync)));
  if (!options.return_models) return std::vector<T>();
  return objects;
}

template <typename T>
Task<absl::StatusOr<std::vector<T>>> Model<T>::CreateBulkAsync(std::vector<T> objects,
                                                               CreateBulkOptions options) {
  return query_internal::AsyncOps<T>::CreateBulk(std::move(objects), options);
}

template <typename T>
absl::Status Model<T>::Save(T& object, WriteOptions options) {
  return SyncWait(query_internal::RunSave(MetaOf<T>(), query_internal::kHooksOf<T>, &object,
                                          options, query_internal::Exec::kSync));
}

template <typename T>
Task<absl::Status> Model<T>::SaveAsync(T& object, WriteOptions options) {
  return query_internal::RunSave(MetaOf<T>(), query_internal::kHooksOf<T>, &object, options,
                                 query_internal::Exec::kAsync);
}

template <typename T>
absl::Status Model<T>::Assign(T& object, const Payload& payload) {
  DUO_RETURN_IF_ERROR(MetaOf<T>().declaration_status());
  return ApplyPayload(MetaOf<T>(), &object, payload);
}

template <typename T>
absl::Status Model<T>::Update(T& object, const Payload& payload) {
  // Set on a copy, so that a payload that does not fit leaves the object
  // as it was.
  T changed = object;
  DUO_RETURN_IF_ERROR(Assign(changed, payload));
  DUO_RETURN_IF_ERROR(Save(changed));
  object = std::move(changed);
  return absl::OkStatus();
}

template <typename T>
Task<absl::Status> Model<T>::UpdateAsync(T& object, Payload payload) {
  T changed = object;
  DUO_CO_RETURN_IF_ERROR(Assign(changed, payload));
  DUO_CO_RETURN_IF_ERROR(co_await SaveAsync(changed));
  object = std::move(changed);
  co_return absl::OkStatus();
}

template <typename T>
absl::Status Model<T>::Delete(T& object, WriteOptions options) {
  return SyncWait(query_internal::RunDelete(MetaOf<T>(), query_internal::kHooksOf<T>, &object,
                                            options, query_internal::Exec::kSync));
}

template <typename T>
Task<absl::Status> Model<T>::DeleteAsync(T& object, WriteOptions options) {
  return query_internal::RunDelete(MetaOf<T>(), query_internal::kHooksOf<T>, &object, options,
                                   query_internal::Exec::kAsync);
}

template <typename T>
absl::Status Model<T>::Refresh(T& object) {
  return SyncWait(query_internal::RunRefresh(MetaOf<T>(), &object, query_internal::Exec::kSync));
}

template <typename T>
Task<absl::Status> Model<T>::RefreshAsync(T& object) {
  return query_internal::RunRefresh(MetaOf<T>(), &object, query_internal::Exec::kAsync);
}

template <typename T>
absl::StatusOr<std::vector<T>> ResultAs(const Result& result) {
  std::vector<T> objects;
  query_internal::VectorList<T> list(objects);
  DUO_RETURN_IF_ERROR(query_internal::ReadResult(MetaOf<T>(), result, list));
  return objects;
}

}  // namespace duo

#endif  // DUO_QUERY_INTERNAL_QUERY_IMPL_H_
