// The DuoORM query builder: the fast path for the daily 80%.
//
//   auto recent = Order::Where(duo::col(&Order::status) == "completed")
//                     .FilterBy({{"customer.name", "Ada"}})
//                     .OrderBy("-created_at")
//                     .Limit(100);
//   DUO_ASSIGN_OR_RETURN(std::vector<Order> orders, recent.All());
//   DUO_ASSIGN_OR_RETURN(std::optional<Order> order, Order::Get(7));
//   duo::sql::Select select = recent.Alchemize();   // the IR; extend at will
//
// A Query is an immutable value: each builder call returns a new Query.
// String forms (FilterBy paths, OrderBy keys, Related paths) are checked
// against the model; a bad one makes the query fail with InvalidArgument
// naming the model and the valid names, and nothing runs. Values are always
// bound; identifiers come only from the model declaration and are quoted.
//
// Every call runs in the current managed transaction of the model's
// database when there is one (see duo/session/database.h), else on its own.
// Inside a managed transaction rows pass through the session's identity
// map, and Save writes only the columns changed since the row was loaded.

#ifndef DUO_QUERY_QUERY_H_
#define DUO_QUERY_QUERY_H_

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/functional/any_invocable.h"
#include "duo/async/sync_wait.h"
#include "duo/async/task.h"
#include "duo/base/status_macros.h"
#include "duo/model/payload.h"
#include "duo/model/schema.h"
#include "duo/query/hooks.h"
#include "duo/query/internal/core.h"
#include "duo/query/options.h"
#include "duo/session/database.h"
#include "duo/session/result.h"
#include "duo/sql/select.h"

namespace duo {

// One FilterBy condition: a column (or a related path such as
// "customer.name") and the value it must equal (NULL: IS NULL).
struct Filter {
  std::string path;
  sql::Value value;
};

// ObjectNotFound (NotFound) and MultipleObjectsFound (FailedPrecondition),
// as One() returns them.
bool IsObjectNotFound(const absl::Status& status);
bool IsMultipleObjectsFound(const absl::Status& status);

template <typename T>
class Model;

template <typename T>
class Query {
 public:
  // All rows of T, in T's group's database.
  Query() { state_.meta = &MetaOf<T>(); }
  // All rows of T in `database`.
  explicit Query(Database database) : Query() { state_.database = std::move(database); }

  // Adds a condition; several are AND-ed.
  [[nodiscard]] Query Where(const sql::Expr& condition) const {
    Query next = *this;
    next.state_.where.push_back(condition);
    return next;
  }
  // Column (or related path) equals value, for each pair.
  [[nodiscard]] Query FilterBy(std::initializer_list<Filter> filters) const {
    return FilterBy(std::vector<Filter>(filters));
  }
  [[nodiscard]] Query FilterBy(const std::vector<Filter>& filters) const {
    Query next = *this;
    for (const Filter& filter : filters) {
      query_internal::AddFilterBy(next.state_, filter.path, filter.value);
    }
    return next;
  }
  // Typed terms (col(&T::name).Desc()) or strings ("-created_at",
  // "customer.name"), several at once.
  template <typename... Keys>
  [[nodiscard]] Query OrderBy(const Keys&... keys) const {
    Query next = *this;
    (next.AddOrder(keys), ...);
    return next;
  }
  [[nodiscard]] Query Limit(int64_t count) const {
    Query next = *this;
    if (count < 0) query_internal::Fail(next.state_, absl::InvalidArgumentError("Limit must not be negative"));
    next.state_.limit = count;
    return next;
  }
  [[nodiscard]] Query Offset(int64_t count) const {
    Query next = *this;
    if (count < 0) query_internal::Fail(next.state_, absl::InvalidArgumentError("Offset must not be negative"));
    next.state_.offset = count;
    return next;
  }
  // DuoORM's paginate(limit, offset).
  [[nodiscard]] Query Paginate(int64_t limit, int64_t offset = 0) const {
    return Limit(limit).Offset(offset);
  }
  [[nodiscard]] Query Distinct() const {
    Query next = *this;
    next.state_.distinct = true;
    return next;
  }
  // Eager-loads a relationship ("orders", or nested "orders.items") and/or
  // filters the parents by it; see RelatedOptions.
  [[nodiscard]] Query Related(std::string_view path, RelatedOptions options = {}) const {
    Query next = *this;
    query_internal::AddRelated(next.state_, absl::string_view(path.data(), path.size()), std::move(options));
    return next;
  }
  // Runs against `database` instead of the model group's.
  [[nodiscard]] Query Using(Database database) const {
    Query next = *this;
    next.state_.database = std::move(database);
    return next;
  }

  // The IR statement All() runs: same SQL, nothing translated. Extend it
  // (GROUP BY, windows, CTEs, hints) and run it with Database::Execute.
  // A query whose builder calls failed yields an empty SELECT; check
  // status() first when building from strings.
  sql::Select Alchemize() const {
    absl::StatusOr<sql::Select> select = query_internal::BuildSelect(state_);
    return select.ok() ? *std::move(select) : sql::Select();
  }
  // The first builder error (an unknown column in a string form), if any.
  absl::Status status() const {
    DUO_RETURN_IF_ERROR(state_.meta->declaration_status());
    return state_.error;
  }

  // Terminal operations. Each has an ...Async twin with the same arguments
  // and results, as a duo::Task (the query is copied into the task).
  absl::StatusOr<std::vector<T>> All() const { return SyncWait(RunAll(*this, Exec::kSync)); }
  Task<absl::StatusOr<std::vector<T>>> AllAsync() const {
    return Owning(*this, [](const Query& query) { return RunAll(query, Exec::kAsync); });
  }
  // The first row, or nullopt.
  absl::StatusOr<std::optional<T>> First() const { return SyncWait(RunFirst(*this, Exec::kSync)); }
  Task<absl::StatusOr<std::optional<T>>> FirstAsync() const {
    return Owning(*this, [](const Query& query) { return RunFirst(query, Exec::kAsync); });
  }
  // Exactly one row: ObjectNotFound when none, MultipleObjectsFound when
  // more (see IsObjectNotFound / IsMultipleObjectsFound).
  absl::StatusOr<T> One() const { return SyncWait(RunOne(*this, Exec::kSync)); }
  Task<absl::StatusOr<T>> OneAsync() const {
    return Owning(*this, [](const Query& query) { return RunOne(query, Exec::kAsync); });
  }
  // The row with primary key `key` (one value per key column), or nullopt.
  template <typename... K>
  absl::StatusOr<std::optional<T>> Get(const K&... key) const {
    return SyncWait(RunGet(*this, {sql::Value(key)...}, Exec::kSync));
  }
  template <typename... K>
  Task<absl::StatusOr<std::optional<T>>> GetAsync(const K&... key) const {
    return Owning(*this, [key = std::vector<sql::Value>{sql::Value(key)...}](const Query& query) {
      return RunGet(query, key, Exec::kAsync);
    });
  }
  absl::StatusOr<int64_t> Count() const { return SyncWait(RunCount(*this, Exec::kSync)); }
  Task<absl::StatusOr<int64_t>> CountAsync() const {
    return Owning(*this, [](const Query& query) { return RunCount(query, Exec::kAsync); });
  }
  // Whether any row matches: SELECT EXISTS (...), which stops at the first.
  absl::StatusOr<bool> Exists() const { return SyncWait(RunExists(*this, Exec::kSync)); }
  Task<absl::StatusOr<bool>> ExistsAsync() const {
    return Owning(*this, [](const Query& query) { return RunExists(query, Exec::kAsync); });
  }
  // Page `page` (1-based) of `per_page` rows, with the total.
  absl::StatusOr<duo::Page<T>> Page(int64_t page, int64_t per_page) const {
    return SyncWait(RunPage(*this, page, per_page, Exec::kSync));
  }
  Task<absl::StatusOr<duo::Page<T>>> PageAsync(int64_t page, int64_t per_page) const {
    return Owning(*this, [page, per_page](const Query& query) {
      return RunPage(query, page, per_page, Exec::kAsync);
    });
  }

  // Calls `each` for every row, reading `batch_size` rows at a time in
  // constant memory. Without OrderBy, batches follow the primary key
  // (keyset pagination: no connection is held between batches, so `each`
  // may run other statements). With OrderBy the rows stream from one
  // statement; `each` must then not use the same transaction, and in the
  // async twins it runs on the connection's worker thread.
  absl::Status Iterate(int64_t batch_size, absl::FunctionRef<absl::Status(T&)> each) const {
    return IterateBatches(batch_size, [&](std::vector<T>& batch) -> absl::Status {
      for (T& object : batch) DUO_RETURN_IF_ERROR(each(object));
      return absl::OkStatus();
    });
  }
  Task<absl::Status> IterateAsync(int64_t batch_size, absl::AnyInvocable<absl::Status(T&)> each) const {
    return IterateBatchesAsync(batch_size, [each = std::move(each)](std::vector<T>& batch) mutable {
      for (T& object : batch) DUO_RETURN_IF_ERROR(each(object));
      return absl::OkStatus();
    });
  }
  absl::Status IterateBatches(int64_t batch_size,
                              absl::FunctionRef<absl::Status(std::vector<T>&)> each) const {
    return SyncWait(RunIterate(*this, batch_size, Exec::kSync,
                               [&](Exec, std::vector<T>& batch) -> Task<absl::Status> {
                                 co_return each(batch);
                               }));
  }
  Task<absl::Status> IterateBatchesAsync(
      int64_t batch_size, absl::AnyInvocable<absl::Status(std::vector<T>&)> each) const {
    return IterateOwning(*this, batch_size, std::move(each));
  }

  // Sets `changes` on every row the query selects; returns rows affected.
  // Refused without a filter unless options.require_filter is false.
  absl::StatusOr<int64_t> UpdateBulk(Payload changes, BulkOptions options = {}) const {
    return SyncWait(RunUpdateBulk(*this, changes, options, Exec::kSync));
  }
  Task<absl::StatusOr<int64_t>> UpdateBulkAsync(Payload changes, BulkOptions options = {}) const {
    return Owning(*this, [changes = std::move(changes), options](const Query& query) {
      return RunUpdateBulk(query, changes, options, Exec::kAsync);
    });
  }
  absl::StatusOr<int64_t> DeleteBulk(BulkOptions options = {}) const {
    return SyncWait(RunDeleteBulk(*this, options, Exec::kSync));
  }
  Task<absl::StatusOr<int64_t>> DeleteBulkAsync(BulkOptions options = {}) const {
    return Owning(*this, [options](const Query& query) {
      return RunDeleteBulk(query, options, Exec::kAsync);
    });
  }

  const query_internal::QueryState& state() const { return state_; }

 private:
  friend class Model<T>;
  using Exec = query_internal::Exec;
  // A batch callback; it runs its own statements in the mode it is given.
  using BatchFn = absl::FunctionRef<Task<absl::Status>(Exec, std::vector<T>&)>;

  // Runs `op(query)` on a copy of the query that the task owns.
  template <typename Op>
  static std::invoke_result_t<Op&, const Query&> Owning(Query query, Op op) {
    co_return co_await op(query);
  }

  static Task<absl::StatusOr<std::vector<T>>> RunAll(const Query& query, Exec exec);
  static Task<absl::StatusOr<std::optional<T>>> RunFirst(const Query& query, Exec exec);
  static Task<absl::StatusOr<T>> RunOne(const Query& query, Exec exec);
  static Task<absl::StatusOr<std::optional<T>>> RunGet(const Query& query,
                                                        std::vector<sql::Value> key, Exec exec);
  static Task<absl::StatusOr<int64_t>> RunCount(const Query& query, Exec exec);
  static Task<absl::StatusOr<bool>> RunExists(const Query& query, Exec exec);
  static Task<absl::StatusOr<duo::Page<T>>> RunPage(const Query& query, int64_t page,
                                                     int64_t per_page, Exec exec);
  static Task<absl::Status> RunIterate(const Query& query, int64_t batch_size, Exec exec,
                                       BatchFn each);
  static Task<absl::StatusOr<int64_t>> RunUpdateBulk(const Query& query, const Payload& changes,
                                                      const BulkOptions& options, Exec exec);
  // The rows a per-row bulk operation visits, as a query without
  // Limit/Offset: the filter itself, or the keys Limit/Offset choose, read
  // once, so that writing one batch cannot move the window onto other rows.
  static Task<absl::StatusOr<Query>> RunBulkTarget(const Query& query, const Database& database,
                                                   Exec exec);
  static Task<absl::StatusOr<int64_t>> RunDeleteBulk(const Query& query, const BulkOptions& options,
                                                      Exec exec);

  template <typename Key>
  void AddOrder(const Key& key) {
    if constexpr (std::is_convertible_v<const Key&, std::string_view>) {
      const std::string_view text(key);
      query_internal::AddOrderBy(state_, absl::string_view(text.data(), text.size()));
    } else {
      state_.order.push_back(sql::OrderTerm(key));
    }
  }

  static Task<absl::Status> IterateOwning(Query query, int64_t batch_size,
                                          absl::AnyInvocable<absl::Status(std::vector<T>&)> each) {
    co_return co_await RunIterate(query, batch_size, Exec::kAsync,
                                  [&each](Exec, std::vector<T>& batch) -> Task<absl::Status> {
                                    co_return each(batch);
                                  });
  }

  Task<absl::Status> ReadInto(Exec exec, const Database& database, const sql::Statement& statement,
                              std::vector<T>& objects) const {
    co_return co_await query_internal::ReadObjects(
        exec, database, &state_, *state_.meta, statement,
        [&objects]() -> void* { return &objects.emplace_back(); });
  }
  // Identity map, then eager loading.
  Task<absl::Status> Finish(Exec exec, const Database& database, std::vector<T>& objects) const {
    if (database.CurrentSession() == nullptr && state_.related.empty()) co_return absl::OkStatus();
    std::vector<void*> pointers;
    pointers.reserve(objects.size());
    for (T& object : objects) pointers.push_back(&object);
    query_internal::MapIdentities(database, *state_.meta, pointers);
    co_return co_await query_internal::LoadRelated(exec, state_, database, pointers);
  }

  query_internal::QueryState state_;
};

// Static entry points of a model, and its CRUD. Derive a model from
// duo::Model<T> to call them as Order::Where(...), Order::Create(...); or
// use duo::Model<Order>::... without deriving (which keeps designated
// initializers free of a base class).
template <typename T>
class Model {
 public:
  static duo::Query<T> Query() { return duo::Query<T>(); }
  static duo::Query<T> Query(Database database) { return duo::Query<T>(std::move(database)); }
  static duo::Query<T> Where(const sql::Expr& condition) { return Query().Where(condition); }
  static duo::Query<T> FilterBy(std::initializer_list<Filter> filters) {
    return Query().FilterBy(filters);
  }
  template <typename... Keys>
  static duo::Query<T> OrderBy(const Keys&... keys) { return Query().OrderBy(keys...); }
  static duo::Query<T> Related(std::string_view path, RelatedOptions options = {}) {
    return Query().Related(path, std::move(options));
  }
  static absl::StatusOr<std::vector<T>> All() { return Query().All(); }
  static Task<absl::StatusOr<std::vector<T>>> AllAsync() { return Query().AllAsync(); }
  static absl::StatusOr<int64_t> Count() { return Query().Count(); }
  static Task<absl::StatusOr<int64_t>> CountAsync() { return Query().CountAsync(); }
  template <typename... K>
  static absl::StatusOr<std::optional<T>> Get(const K&... key) { return Query().Get(key...); }
  template <typename... K>
  static Task<absl::StatusOr<std::optional<T>>> GetAsync(const K&... key) {
    return Query().GetAsync(key...);
  }

  // CRUD. Each call has an ...Async twin with the same arguments and
  // results; an object passed by reference must outlive the task.

  // Inserts `object` (hooks, timestamps) and returns it as stored: with
  // its generated key and server defaults.
  static absl::StatusOr<T> Create(T object) {
    return SyncWait(RunCreate(std::move(object), Exec::kSync));
  }
  static Task<absl::StatusOr<T>> CreateAsync(T object) {
    return RunCreate(std::move(object), Exec::kAsync);
  }
  // Inserts a row from column → value pairs (checked against the model):
  // Order::Create(duo::Payload{{"customer_id", 7}}).
  template <std::same_as<Payload> P>
  static absl::StatusOr<T> Create(const P& payload) {
    DUO_ASSIGN_OR_RETURN(T object, FromPayload(payload));
    return Create(std::move(object));
  }
  template <std::same_as<Payload> P>
  static Task<absl::StatusOr<T>> CreateAsync(const P& payload) {
    absl::StatusOr<T> object = FromPayload(payload);
    return RunCreate(std::move(object), Exec::kAsync);
  }
  // Multi-row INSERTs in chunks that respect the database's parameter
  // limit, in one transaction (on PostgreSQL the async twin pipelines the
  // chunks: one round trip). Returns the stored rows when
  // options.return_models, else an empty vector.
  static absl::StatusOr<std::vector<T>> CreateBulk(std::vector<T> objects,
                                                   CreateBulkOptions options = {}) {
    return SyncWait(RunCreateBulk(std::move(objects), options, Exec::kSync));
  }
  static Task<absl::StatusOr<std::vector<T>>> CreateBulkAsync(std::vector<T> objects,
                                                              CreateBulkOptions options = {}) {
    return RunCreateBulk(std::move(objects), options, Exec::kAsync);
  }
  // Inserts `object` when it is new (a generated key still zero, or no row
  // with its key), else updates its row (only the changed columns inside a
  // managed transaction). Refreshes `object` from the row.
  static absl::Status Save(T& object) { return SyncWait(RunSave(object, Exec::kSync)); }
  static Task<absl::Status> SaveAsync(T& object) { return RunSave(object, Exec::kAsync); }
  // Sets `payload` on `object` in memory (checked); Save writes it.
  static absl::Status Update(T& object, const Payload& payload) {
    DUO_RETURN_IF_ERROR(MetaOf<T>().declaration_status());
    return ApplyPayload(MetaOf<T>(), &object, payload);
  }
  // Deletes `object`'s row; ObjectNotFound when there is none.
  static absl::Status Delete(T& object) { return SyncWait(RunDelete(object, Exec::kSync)); }
  static Task<absl::Status> DeleteAsync(T& object) { return RunDelete(object, Exec::kAsync); }
  // Reloads `object` from its row.
  static absl::Status Refresh(T& object) { return SyncWait(RunRefresh(object, Exec::kSync)); }
  static Task<absl::Status> RefreshAsync(T& object) { return RunRefresh(object, Exec::kAsync); }

  // The same as members, on a model that derives from Model<T>.
  absl::Status Save() { return Save(Self()); }
  Task<absl::Status> SaveAsync() { return SaveAsync(Self()); }
  absl::Status Update(const Payload& payload) { return Update(Self(), payload); }
  absl::Status Delete() { return Delete(Self()); }
  Task<absl::Status> DeleteAsync() { return DeleteAsync(Self()); }

  // Models compare by their columns; the base adds nothing.
  friend bool operator==(const Model&, const Model&) { return true; }

 private:
  using Exec = query_internal::Exec;

  T& Self() { return static_cast<T&>(*this); }
  static absl::StatusOr<T> FromPayload(const Payload& payload) {
    T object{};
    DUO_RETURN_IF_ERROR(MetaOf<T>().declaration_status());
    DUO_RETURN_IF_ERROR(ApplyPayload(MetaOf<T>(), &object, payload));
    return object;
  }
  // Runs `body` in a transaction when T has after-hooks (so that their
  // failure undoes the operation), or when `reads_back` and no transaction
  // is open: a write whose row cannot be read back (a value the member
  // cannot hold) reports an error, and must not have committed, or a caller
  // that retries would write the row twice. Inside a transaction the error
  // reaches the caller, whose transaction decides.
  static Task<absl::Status> Atomically(Exec exec, const Database& database,
                                       absl::FunctionRef<Task<absl::Status>()> body,
                                       bool reads_back = true) {
    if (hooks::kHasAfterHooks<T> || (reads_back && database.CurrentSession() == nullptr)) {
      co_return co_await query_internal::InTransaction(exec, database, body);
    }
    co_return co_await body();
  }
  static Task<absl::StatusOr<T>> RunCreate(absl::StatusOr<T> object, Exec exec);
  static Task<absl::StatusOr<std::vector<T>>> RunCreateBulk(std::vector<T> objects,
                                                            CreateBulkOptions options, Exec exec);
  static Task<absl::Status> RunSave(T& object, Exec exec);
  static Task<absl::Status> RunDelete(T& object, Exec exec);
  static Task<absl::Status> RunRefresh(T& object, Exec exec);
  static Task<absl::Status> InsertOne(Exec exec, const Database& database, T& object);
  static Task<absl::Status> UpdateOne(Exec exec, const Database& database, T& object,
                                      const T* loaded);
};

// The model's table, for the IR (joins, hints): duo::TableOf<Order>().
template <typename T>
const sql::Table& TableOf() {
  return MetaOf<T>().table();
}

// Reads the rows of `result` (from Alchemize()d statements, or any
// statement whose columns carry the model's column names) into models.
template <typename T>
absl::StatusOr<std::vector<T>> ResultAs(const Result& result);

// ---- Implementation ------------------------------------------------------
//
// Written once for both modes: in Exec::kSync nothing suspends (see
// query_internal::Exec).

template <typename T>
Task<absl::StatusOr<std::vector<T>>> Query<T>::RunAll(const Query& query, Exec exec) {
  const query_internal::QueryState& state = query.state_;
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state));
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildSelect(state));
  std::vector<T> objects;
  if (state.limit) objects.reserve(static_cast<size_t>(std::min<int64_t>(*state.limit, 10000)));
  DUO_CO_RETURN_IF_ERROR(co_await query.ReadInto(exec, database, select, objects));
  DUO_CO_RETURN_IF_ERROR(co_await query.Finish(exec, database, objects));
  co_return objects;
}

template <typename T>
Task<absl::StatusOr<std::optional<T>>> Query<T>::RunFirst(const Query& query, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(std::vector<T> rows, co_await RunAll(query.Limit(1), exec));
  if (rows.empty()) co_return std::optional<T>();
  co_return std::optional<T>(std::move(rows[0]));
}

template <typename T>
Task<absl::StatusOr<T>> Query<T>::RunOne(const Query& query, Exec exec) {
  // Two rows tell "more than one"; a smaller limit of the caller's stays.
  const int64_t limit = std::min<int64_t>(query.state_.limit.value_or(2), 2);
  DUO_CO_ASSIGN_OR_RETURN(std::vector<T> rows, co_await RunAll(query.Limit(limit), exec));
  const ModelMeta& meta = *query.state_.meta;
  if (rows.empty()) co_return query_internal::ObjectNotFound(meta, "matches the query");
  if (rows.size() > 1) co_return query_internal::MultipleObjectsFound(meta, 2);
  co_return std::move(rows[0]);
}

template <typename T>
Task<absl::StatusOr<std::optional<T>>> Query<T>::RunGet(const Query& query,
                                                         std::vector<sql::Value> key, Exec exec) {
  const query_internal::QueryState& state = query.state_;
  DUO_CO_RETURN_IF_ERROR(query_internal::CheckKey(*state.meta, key));
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state));
  if (state.related.empty() && state.where.empty()) {
    if (std::shared_ptr<void> mapped = query_internal::FindIdentity(database, *state.meta, key)) {
      co_return std::optional<T>(*static_cast<const T*>(mapped.get()));
    }
  }
  if (!query_internal::IsPlainLookup(state)) {
    co_return co_await RunFirst(query.Where(query_internal::KeyCondition(*state.meta, key)), exec);
  }
  const ModelMeta& meta = *state.meta;
  DUO_CO_ASSIGN_OR_RETURN(const dialect::CompiledStatement lookup,
                          query_internal::KeyLookup(database, meta, std::move(key)));
  std::optional<T> found;
  DUO_CO_RETURN_IF_ERROR(co_await query_internal::Read(
      exec, database, lookup, [&](engine::Cursor& cursor) -> absl::Status {
        DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
        if (!row) return absl::OkStatus();
        return query_internal::HydrateRow(nullptr, meta, cursor, &found.emplace());
      }));
  if (found && database.CurrentSession() != nullptr) {
    query_internal::MapIdentities(database, meta, {&*found});
  }
  co_return found;
}

template <typename T>
Task<absl::StatusOr<int64_t>> Query<T>::RunCount(const Query& query, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(query.state_));
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildCount(query.state_));
  DUO_CO_ASSIGN_OR_RETURN(Result result, co_await query_internal::Execute(exec, database, select));
  co_return result.Scalar<int64_t>();
}

template <typename T>
Task<absl::StatusOr<bool>> Query<T>::RunExists(const Query& query, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(query.state_));
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildExists(query.state_));
  DUO_CO_ASSIGN_OR_RETURN(Result result, co_await query_internal::Execute(exec, database, select));
  co_return result.Scalar<bool>();
}

template <typename T>
Task<absl::StatusOr<duo::Page<T>>> Query<T>::RunPage(const Query& query, int64_t page,
                                                     int64_t per_page, Exec exec) {
  if (per_page <= 0) co_return absl::InvalidArgumentError("Page: per_page must be positive");
  if (page < 1) co_return absl::InvalidArgumentError("Page: page numbers start at 1");
  duo::Page<T> result;
  // Pages divide the query's own rows, so a Limit/Offset on the query is a
  // window the pages stay inside: Page agrees with Count and All.
  DUO_CO_ASSIGN_OR_RETURN(result.total, co_await RunCount(query, exec));
  const int64_t start = (page - 1) * per_page;
  const int64_t take = std::min(per_page, std::max<int64_t>(result.total - start, 0));
  if (take > 0) {
    Query window = query;
    window.state_.limit = take;
    window.state_.offset = query.state_.offset.value_or(0) + start;
    DUO_CO_ASSIGN_OR_RETURN(result.items, co_await RunAll(window, exec));
  }
  result.page = page;
  result.per_page = per_page;
  result.pages = (result.total + per_page - 1) / per_page;
  result.has_next = page < result.pages;
  result.has_prev = page > 1;
  co_return result;
}

template <typename T>
Task<absl::Status> Query<T>::RunIterate(const Query& query, int64_t batch_size, Exec exec,
                                        BatchFn each) {
  if (batch_size <= 0) co_return absl::InvalidArgumentError("Iterate: batch_size must be positive");
  const query_internal::QueryState& state = query.state_;
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state));
  const ModelMeta& meta = *state.meta;
  if (!state.order.empty() || state.offset || state.distinct) {
    DUO_CO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildSelect(state));
    std::vector<T> batch;
    batch.reserve(batch_size);
    // The rows stream from one statement, read where the cursor lives (a
    // worker thread in async mode); what runs between rows is blocking.
    co_return co_await query_internal::Read(
        exec, database, select,
        [&](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(bool more, cursor.Next());
            if (more) {
              DUO_RETURN_IF_ERROR(
                  query_internal::HydrateRow(&state, meta, cursor, &batch.emplace_back()));
            }
            if (static_cast<int64_t>(batch.size()) == batch_size || (!more && !batch.empty())) {
              DUO_RETURN_IF_ERROR(SyncWait(query.Finish(Exec::kSync, database, batch)));
              DUO_RETURN_IF_ERROR(SyncWait(each(Exec::kSync, batch)));
              batch.clear();
            }
            if (!more) return absl::OkStatus();
          }
        },
        engine::RunMode::kStreaming);
  }
  std::optional<int64_t> remaining = state.limit;
  std::vector<sql::Value> last_key;
  std::vector<T> batch;
  while (!remaining || *remaining > 0) {
    const int64_t want = remaining ? std::min(*remaining, batch_size) : batch_size;
    DUO_CO_ASSIGN_OR_RETURN(sql::Select select,
                            query_internal::BuildKeysetBatch(
                                state, last_key.empty() ? nullptr : &last_key, want));
    batch.clear();
    DUO_CO_RETURN_IF_ERROR(co_await query.ReadInto(exec, database, select, batch));
    if (batch.empty()) break;
    last_key = meta.KeyOf(&batch.back());
    DUO_CO_RETURN_IF_ERROR(co_await query.Finish(exec, database, batch));
    DUO_CO_RETURN_IF_ERROR(co_await each(exec, batch));
    if (remaining) *remaining -= static_cast<int64_t>(batch.size());
    if (static_cast<int64_t>(batch.size()) < want) break;
  }
  co_return absl::OkStatus();
}

template <typename T>
Task<absl::StatusOr<Query<T>>> Query<T>::RunBulkTarget(const Query& query, const Database& database,
                                                       Exec exec) {
  Query target = query;
  target.state_.related.clear();
  if (!query.state_.limit && !query.state_.offset) {
    // Order does not change which rows match; keyset batches walk them.
    target.state_.order.clear();
    co_return target;
  }
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildBulkChoice(query.state_));
  std::vector<T> chosen;
  DUO_CO_RETURN_IF_ERROR(co_await target.ReadInto(exec, database, select, chosen));
  std::vector<std::vector<sql::Value>> keys;
  keys.reserve(chosen.size());
  for (const T& object : chosen) keys.push_back(target.state_.meta->KeyOf(&object));
  target.state_.where = {query_internal::KeysIn(*target.state_.meta, keys)};
  target.state_.order.clear();
  target.state_.joins.clear();
  target.state_.limit.reset();
  target.state_.offset.reset();
  co_return target;
}

template <typename T>
Task<absl::StatusOr<int64_t>> Query<T>::RunUpdateBulk(const Query& query, const Payload& requested,
                                                      const BulkOptions& options, Exec exec) {
  const query_internal::QueryState& state = query.state_;
  DUO_CO_RETURN_IF_ERROR(query_internal::CheckBulkFilter(state, "UpdateBulk", options));
  DUO_CO_RETURN_IF_ERROR(CheckPayload(*state.meta, requested));
  Payload changes = requested;  // BeforeBulkUpdate may change it
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state));
  const ModelMeta& meta = *state.meta;
  int64_t affected = 0;
  // Per-row hooks: load a batch, run each row's BeforeUpdate (which may
  // change the row or veto), write the batch, run AfterUpdate on the rows
  // as stored.
  auto update_batch = [&](Exec mode, std::vector<T>& batch) -> Task<absl::Status> {
    std::vector<std::vector<sql::Value>> keys;
    for (T& object : batch) {
      const T before = object;
      DUO_CO_RETURN_IF_ERROR(ApplyPayloadValues(meta, &object, changes));
      DUO_CO_RETURN_IF_ERROR(hooks::Validate(object));
      DUO_CO_RETURN_IF_ERROR(hooks::BeforeUpdate(object));
      keys.push_back(meta.KeyOf(&before));
      // Columns a hook changed beyond the payload are written per row.
      std::vector<int> extra;
      for (size_t i = 0; i < meta.columns().size(); ++i) {
        const ColumnMeta& column = meta.columns()[i];
        bool in_payload = false;
        for (const sql::Assignment& a : changes) in_payload = in_payload || a.column == column.name;
        if (!in_payload && !column.accessor->Equal(&object, &before)) extra.push_back(static_cast<int>(i));
      }
      if (!extra.empty()) {
        const sql::Update by_key = query_internal::BuildUpdateByKey(meta, extra, &object);
        absl::StatusOr<Result> written = co_await query_internal::Execute(mode, database, by_key);
        DUO_CO_RETURN_IF_ERROR(written.status());
      }
    }
    sql::Update update = sql::Update(meta.table()).Set(changes).Where(query_internal::KeysIn(meta, keys));
    DUO_CO_ASSIGN_OR_RETURN(Result result, co_await query_internal::Execute(mode, database, update));
    affected += result.rows_affected();
    std::vector<T> stored;
    DUO_CO_RETURN_IF_ERROR(co_await query_internal::ReadObjects(
        mode, database, nullptr, meta,
        sql::Select(meta.table().Columns()).From(meta.table()).Where(query_internal::KeysIn(meta, keys)),
        [&stored]() -> void* { return &stored.emplace_back(); }));
    for (T& object : stored) {
      query_internal::PutIdentity(database, meta, &object);
      DUO_CO_RETURN_IF_ERROR(hooks::AfterUpdate(object));
    }
    co_return absl::OkStatus();
  };
  absl::Status status = co_await query_internal::InTransaction(exec, database, [&]() -> Task<absl::Status> {
    // The bulk hooks run around the operation in both modes: the set-based
    // statement is what they exist for, as it runs no per-row hooks.
    if constexpr (hooks::HasBeforeBulkUpdate<T>) {
      DUO_CO_RETURN_IF_ERROR(T::BeforeBulkUpdate(query, changes));
      DUO_CO_RETURN_IF_ERROR(CheckPayload(meta, changes));
    }
    // UpdatedAt columns follow the rule of every write that updates rows,
    // unless the payload sets them itself.
    query_internal::StampPayload(meta, changes);
    if (!options.with_hooks) {
      DUO_CO_ASSIGN_OR_RETURN(sql::Update update, query_internal::BuildBulkUpdate(state, changes));
      DUO_CO_ASSIGN_OR_RETURN(Result result, co_await query_internal::Execute(exec, database, update));
      affected = result.rows_affected();
    } else {
      DUO_CO_ASSIGN_OR_RETURN(Query<T> target, co_await RunBulkTarget(query, database, exec));
      DUO_CO_RETURN_IF_ERROR(co_await RunIterate(target, options.batch_size, exec, update_batch));
    }
    if constexpr (hooks::HasAfterBulkUpdate<T>) {
      DUO_CO_RETURN_IF_ERROR(T::AfterBulkUpdate(query, changes, affected));
    }
    co_return absl::OkStatus();
  });
  if (!status.ok()) co_return status;
  if (Session* session = database.CurrentSession()) session->identity_map().Clear();
  co_return affected;
}

template <typename T>
Task<absl::StatusOr<int64_t>> Query<T>::RunDeleteBulk(const Query& query, const BulkOptions& options,
                                                      Exec exec) {
  const query_internal::QueryState& state = query.state_;
  DUO_CO_RETURN_IF_ERROR(query_internal::CheckBulkFilter(state, "DeleteBulk", options));
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state));
  const ModelMeta& meta = *state.meta;
  int64_t affected = 0;
  absl::Status status = co_await query_internal::InTransaction(exec, database, [&]() -> Task<absl::Status> {
    // As in UpdateBulk, the bulk hooks run in both modes.
    if constexpr (hooks::HasBeforeBulkDelete<T>) DUO_CO_RETURN_IF_ERROR(T::BeforeBulkDelete(query));
    if (!options.with_hooks) {
      DUO_CO_ASSIGN_OR_RETURN(sql::Delete del, query_internal::BuildBulkDelete(state));
      DUO_CO_ASSIGN_OR_RETURN(Result result, co_await query_internal::Execute(exec, database, del));
      affected = result.rows_affected();
      if constexpr (hooks::HasAfterBulkDelete<T>) {
        DUO_CO_RETURN_IF_ERROR(T::AfterBulkDelete(query, affected));
      }
      co_return absl::OkStatus();
    }
    // Deleted rows leave the filter, so every batch is the query's first.
    DUO_CO_ASSIGN_OR_RETURN(Query<T> first_batches, co_await RunBulkTarget(query, database, exec));
    while (true) {
      std::vector<T> batch;
      DUO_CO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildKeysetBatch(
                                                      first_batches.state_, nullptr, options.batch_size));
      DUO_CO_RETURN_IF_ERROR(co_await query.ReadInto(exec, database, select, batch));
      if (batch.empty()) break;
      std::vector<std::vector<sql::Value>> keys;
      for (T& object : batch) {
        DUO_CO_RETURN_IF_ERROR(hooks::BeforeDelete(object));
        keys.push_back(meta.KeyOf(&object));
      }
      DUO_CO_ASSIGN_OR_RETURN(
          Result result,
          co_await query_internal::Execute(
              exec, database, sql::Delete(meta.table()).Where(query_internal::KeysIn(meta, keys))));
      affected += result.rows_affected();
      for (T& object : batch) DUO_CO_RETURN_IF_ERROR(hooks::AfterDelete(object));
      if (static_cast<int64_t>(batch.size()) < options.batch_size) break;
    }
    if constexpr (hooks::HasAfterBulkDelete<T>) DUO_CO_RETURN_IF_ERROR(T::AfterBulkDelete(query, affected));
    co_return absl::OkStatus();
  });
  if (!status.ok()) co_return status;
  if (Session* session = database.CurrentSession()) session->identity_map().Clear();
  co_return affected;
}

template <typename T>
Task<absl::Status> Model<T>::InsertOne(Exec exec, const Database& database, T& object) {
  const ModelMeta& meta = MetaOf<T>();
  query_internal::StampTimes(meta, &object, /*inserting=*/true);
  DUO_CO_RETURN_IF_ERROR(hooks::Validate(object));
  DUO_CO_RETURN_IF_ERROR(hooks::BeforeCreate(object));
  // Values the database would change (wrap, round, turn into NULL) are
  // refused before anything is written, naming the column.
  DUO_CO_RETURN_IF_ERROR(CheckWritable(meta, &object, nullptr, database.dialect()));
  const std::vector<std::pair<int, sql::Value>> decimals =
      query_internal::DecimalsWritten(meta, &object);
  co_return co_await Atomically(exec, database, [&]() -> Task<absl::Status> {
    DUO_CO_ASSIGN_OR_RETURN(
        const dialect::CompiledStatement insert,
        query_internal::CompileInsert(database, meta, query_internal::InsertColumns(meta, &object),
                                      {&object}, /*returning=*/true));
    // The row read back is the object plus what the database filled in
    // (generated key, server defaults): read it over the object itself.
    int rows = 0;
    DUO_CO_RETURN_IF_ERROR(co_await query_internal::Read(
        exec, database, insert, [&](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
            if (!row) return absl::OkStatus();
            if (++rows == 1) DUO_RETURN_IF_ERROR(query_internal::HydrateRow(nullptr, meta, cursor, &object));
          }
        }));
    if (rows != 1) co_return absl::InternalError("INSERT ... RETURNING returned no row");
    // What the row read back holds, not what was sent, is what was stored.
    DUO_CO_RETURN_IF_ERROR(query_internal::CheckDecimalsStored(meta, decimals, &object));
    query_internal::PutIdentity(database, meta, &object);
    co_return hooks::AfterCreate(object);
  });
}

template <typename T>
Task<absl::Status> Model<T>::UpdateOne(Exec exec, const Database& database, T& object,
                                       const T* loaded) {
  const ModelMeta& meta = MetaOf<T>();
  query_internal::StampTimes(meta, &object, /*inserting=*/false);
  DUO_CO_RETURN_IF_ERROR(hooks::Validate(object));
  DUO_CO_RETURN_IF_ERROR(hooks::BeforeUpdate(object));
  std::vector<int> columns;
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    const ColumnMeta& column = meta.columns()[i];
    if (column.primary_key) continue;
    if (loaded != nullptr && column.accessor->Equal(&object, loaded)) continue;
    columns.push_back(static_cast<int>(i));
  }
  if (columns.empty()) co_return absl::OkStatus();
  DUO_CO_RETURN_IF_ERROR(CheckWritable(meta, &object, &columns, database.dialect()));
  const std::vector<std::pair<int, sql::Value>> decimals =
      query_internal::DecimalsWritten(meta, &object);
  co_return co_await Atomically(exec, database, [&]() -> Task<absl::Status> {
    std::vector<T> stored;
    DUO_CO_RETURN_IF_ERROR(co_await query_internal::ReadObjects(
        exec, database, nullptr, meta, query_internal::BuildUpdateByKey(meta, columns, &object),
        [&stored]() -> void* { return &stored.emplace_back(); }));
    if (stored.empty()) co_return query_internal::ObjectNotFound(meta, "with this primary key to update");
    DUO_CO_RETURN_IF_ERROR(query_internal::CheckDecimalsStored(meta, decimals, &stored.front()));
    query_internal::PutIdentity(database, meta, &object);
    co_return hooks::AfterUpdate(object);
  });
}

template <typename T>
Task<absl::StatusOr<T>> Model<T>::RunCreate(absl::StatusOr<T> object, Exec exec) {
  if (!object.ok()) co_return object.status();
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(MetaOf<T>()));
  DUO_CO_RETURN_IF_ERROR(
      query_internal::CheckRelatedObjects(MetaOf<T>(), &*object, /*inserting=*/true));
  DUO_CO_RETURN_IF_ERROR(co_await InsertOne(exec, database, *object));
  co_return object;
}

template <typename T>
Task<absl::Status> Model<T>::RunSave(T& object, Exec exec) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  bool is_new = false;
  for (int index : meta.primary_key()) {
    const ColumnMeta& key = meta.columns()[index];
    if (key.server_generated && key.accessor->IsZero(&object)) is_new = true;
  }
  DUO_CO_RETURN_IF_ERROR(query_internal::CheckRelatedObjects(meta, &object, is_new));
  if (is_new) co_return co_await InsertOne(exec, database, object);
  const std::vector<sql::Value> key = meta.KeyOf(&object);
  if (std::shared_ptr<void> loaded = query_internal::FindIdentity(database, meta, key)) {
    co_return co_await UpdateOne(exec, database, object, static_cast<const T*>(loaded.get()));
  }
  const duo::Query<T> by_key = duo::Query<T>(database).Where(query_internal::KeyCondition(meta, key));
  DUO_CO_ASSIGN_OR_RETURN(bool exists, co_await duo::Query<T>::RunExists(by_key, exec));
  if (!exists) co_return co_await InsertOne(exec, database, object);
  co_return co_await UpdateOne(exec, database, object, nullptr);
}

template <typename T>
Task<absl::Status> Model<T>::RunDelete(T& object, Exec exec) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  DUO_CO_RETURN_IF_ERROR(hooks::BeforeDelete(object));
  const std::vector<sql::Value> key = meta.KeyOf(&object);
  co_return co_await Atomically(exec, database, [&]() -> Task<absl::Status> {
    DUO_CO_ASSIGN_OR_RETURN(
        Result result,
        co_await query_internal::Execute(
            exec, database, sql::Delete(meta.table()).Where(query_internal::KeyCondition(meta, key))));
    if (result.rows_affected() == 0) {
      co_return query_internal::ObjectNotFound(meta, "with this primary key to delete");
    }
    query_internal::ForgetIdentity(database, meta, key);
    co_return hooks::AfterDelete(object);
  }, /*reads_back=*/false);
}

template <typename T>
Task<absl::Status> Model<T>::RunRefresh(T& object, Exec exec) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  const std::vector<sql::Value> key = meta.KeyOf(&object);
  query_internal::ForgetIdentity(database, meta, key);
  const duo::Query<T> by_key = duo::Query<T>(database).Where(query_internal::KeyCondition(meta, key));
  DUO_CO_ASSIGN_OR_RETURN(std::optional<T> fresh, co_await duo::Query<T>::RunFirst(by_key, exec));
  if (!fresh) co_return query_internal::ObjectNotFound(meta, "with this primary key to refresh");
  for (const ColumnMeta& column : meta.columns()) {
    DUO_CO_RETURN_IF_ERROR(column.accessor->Set(&object, column.accessor->Get(&*fresh), column.name));
  }
  co_return absl::OkStatus();
}

template <typename T>
Task<absl::StatusOr<std::vector<T>>> Model<T>::RunCreateBulk(std::vector<T> objects,
                                                             CreateBulkOptions options, Exec exec) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_CO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  if (objects.empty()) co_return std::vector<T>();
  for (const T& object : objects) {
    DUO_CO_RETURN_IF_ERROR(query_internal::CheckRelatedObjects(meta, &object, /*inserting=*/true));
  }
  for (T& object : objects) {
    query_internal::StampTimes(meta, &object, /*inserting=*/true);
    if (options.with_hooks) {
      DUO_CO_RETURN_IF_ERROR(hooks::Validate(object));
      DUO_CO_RETURN_IF_ERROR(hooks::BeforeCreate(object));
    }
    DUO_CO_RETURN_IF_ERROR(CheckWritable(meta, &object, nullptr, database.dialect()));
  }
  // Rows that leave out different generated columns cannot share one
  // INSERT: consecutive rows with the same columns form a run, cut into
  // statements the parameter limit allows.
  struct Chunk {
    std::vector<int> columns;
    size_t start, end;
  };
  std::vector<Chunk> chunks;
  for (size_t start = 0; start < objects.size();) {
    std::vector<int> columns = query_internal::InsertColumns(meta, &objects[start]);
    const int64_t per_statement = query_internal::RowsPerInsert(database, columns.size(), options.batch_size);
    size_t end = start + 1;
    while (end < objects.size() && static_cast<int64_t>(end - start) < per_statement &&
           query_internal::InsertColumns(meta, &objects[end]) == columns) {
      ++end;
    }
    chunks.push_back({std::move(columns), start, end});
    start = end;
  }
  const auto compile = [&](const Chunk& chunk) {
    std::vector<const void*> rows;
    rows.reserve(chunk.end - chunk.start);
    for (size_t i = chunk.start; i < chunk.end; ++i) rows.push_back(&objects[i]);
    return query_internal::CompileInsert(database, meta, chunk.columns, rows, options.return_models);
  };
  absl::Status status = co_await query_internal::InTransaction(exec, database, [&]() -> Task<absl::Status> {
    if (exec == Exec::kSync) {
      // Each chunk is compiled as it is sent: its values are copied once,
      // into its parameters, and the SQL of a chunk size is built once.
      for (const Chunk& chunk : chunks) {
        DUO_CO_ASSIGN_OR_RETURN(const dialect::CompiledStatement insert, compile(chunk));
        // Rows come back in VALUES order from a single multi-row INSERT.
        size_t at = chunk.start;
        DUO_CO_RETURN_IF_ERROR(co_await query_internal::Read(
            exec, database, insert, [&](engine::Cursor& cursor) -> absl::Status {
              while (true) {
                DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
                if (!row) return absl::OkStatus();
                if (at == chunk.end) {
                  return absl::InternalError("INSERT ... RETURNING returned more rows than inserted");
                }
                DUO_RETURN_IF_ERROR(query_internal::HydrateRow(nullptr, meta, cursor, &objects[at++]));
              }
            }));
        if (options.return_models && at != chunk.end) {
          co_return absl::InternalError("INSERT ... RETURNING returned fewer rows than inserted");
        }
      }
    } else {
      std::vector<sql::Statement> inserts;
      std::vector<size_t> first_row;
      for (const Chunk& chunk : chunks) {
        std::vector<const void*> rows;
        for (size_t i = chunk.start; i < chunk.end; ++i) rows.push_back(&objects[i]);
        inserts.push_back(query_internal::BuildInsert(meta, chunk.columns, rows, options.return_models));
        first_row.push_back(chunk.start);
      }
      first_row.push_back(objects.size());
      // One batch: pipelined on PostgreSQL, a single worker call on SQLite.
      DUO_CO_ASSIGN_OR_RETURN(std::vector<Result> results,
                              co_await database.ExecuteBatchAsync(inserts));
      for (size_t i = 0; i < results.size() && options.return_models; ++i) {
        const size_t expected = first_row[i + 1] - first_row[i];
        if (results[i].size() != expected) {
          co_return absl::InternalError("INSERT ... RETURNING returned fewer rows than inserted");
        }
        for (size_t row = 0; row < expected; ++row) {
          DUO_CO_RETURN_IF_ERROR(query_internal::HydrateResultRow(meta, results[i], row,
                                                                  &objects[first_row[i] + row]));
        }
      }
    }
    if (options.with_hooks && hooks::HasAfterCreate<T>) {
      for (T& object : objects) DUO_CO_RETURN_IF_ERROR(hooks::AfterCreate(object));
    }
    co_return absl::OkStatus();
  });
  if (!status.ok()) co_return status;
  if (!options.return_models) co_return std::vector<T>();
  co_return objects;
}

template <typename T>
absl::StatusOr<std::vector<T>> ResultAs(const Result& result) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_RETURN_IF_ERROR(meta.declaration_status());
  std::vector<int> source(meta.columns().size(), -1);
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    absl::StatusOr<int> index = result.ColumnIndex(meta.columns()[i].name);
    if (!index.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the result cannot be read as ", meta.model_name(), ": it has no column \"",
          meta.columns()[i].name, "\"; read it with Result::Get instead"));
    }
    source[i] = *index;
  }
  std::vector<T> objects(result.size());
  for (size_t row = 0; row < result.size(); ++row) {
    for (size_t i = 0; i < meta.columns().size(); ++i) {
      const ColumnMeta& column = meta.columns()[i];
      DUO_RETURN_IF_ERROR(column.accessor->Set(&objects[row], result.row(row)[source[i]], column.name));
    }
  }
  return objects;
}

}  // namespace duo

#endif  // DUO_QUERY_QUERY_H_
