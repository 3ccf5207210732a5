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

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duo/async/task.h"
#include "duo/model/payload.h"
#include "duo/model/schema.h"
#include "duo/query/hooks.h"
#include "duo/query/internal/core.h"
#include "duo/query/options.h"
#include "duo/query/validation.h"
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

namespace query_internal {
// How the implementation reaches a Query's state (query_impl.h).
template <typename T>
struct QueryAccess;
}  // namespace query_internal

template <typename T>
class Query {
 public:
  // All rows of T, in T's group's database.
  Query();
  // All rows of T in `database`.
  explicit Query(Database database);

  // Adds a condition; several are AND-ed.
  [[nodiscard]] Query Where(const sql::Expr& condition) const;
  // Column (or related path) equals value, for each pair.
  [[nodiscard]] Query FilterBy(std::initializer_list<Filter> filters) const;
  [[nodiscard]] Query FilterBy(const std::vector<Filter>& filters) const;
  // Typed terms (col(&T::name).Desc()) or strings ("-created_at",
  // "customer.name"), several at once.
  template <typename... Keys>
  [[nodiscard]] Query OrderBy(const Keys&... keys) const;
  [[nodiscard]] Query Limit(int64_t count) const;
  [[nodiscard]] Query Offset(int64_t count) const;
  // DuoORM's paginate(limit, offset).
  [[nodiscard]] Query Paginate(int64_t limit, int64_t offset = 0) const;
  [[nodiscard]] Query Distinct() const;
  // Eager-loads a relationship ("orders", or nested "orders.items") and/or
  // filters the parents by it; see RelatedOptions.
  [[nodiscard]] Query Related(std::string_view path, RelatedOptions options = {}) const;
  // Runs against `database` instead of the model group's.
  [[nodiscard]] Query Using(Database database) const;

  // The IR statement All() runs: same SQL, nothing translated. Extend it
  // (GROUP BY, windows, CTEs, hints) and run it with Database::Execute.
  // A query whose builder calls failed yields a statement that carries the
  // builder's error (sql::Select::error()): executing it, or a statement
  // built on it, returns that error instead of running other SQL.
  sql::Select Alchemize() const;
  // The first builder error (an unknown column in a string form), if any.
  absl::Status status() const;

  // Terminal operations. Each has an ...Async twin with the same arguments
  // and results, as a duo::Task (the query is copied into the task).
  absl::StatusOr<std::vector<T>> All() const;
  Task<absl::StatusOr<std::vector<T>>> AllAsync() const;
  // The first row, or nullopt.
  absl::StatusOr<std::optional<T>> First() const;
  Task<absl::StatusOr<std::optional<T>>> FirstAsync() const;
  // Exactly one row: ObjectNotFound when none, MultipleObjectsFound when
  // more (see IsObjectNotFound / IsMultipleObjectsFound).
  absl::StatusOr<T> One() const;
  Task<absl::StatusOr<T>> OneAsync() const;
  // The row with primary key `key` (one value per key column), or nullopt.
  template <typename... K>
  absl::StatusOr<std::optional<T>> Get(const K&... key) const;
  template <typename... K>
  Task<absl::StatusOr<std::optional<T>>> GetAsync(const K&... key) const;
  absl::StatusOr<int64_t> Count() const;
  Task<absl::StatusOr<int64_t>> CountAsync() const;
  // Whether any row matches: SELECT EXISTS (...), which stops at the first.
  absl::StatusOr<bool> Exists() const;
  Task<absl::StatusOr<bool>> ExistsAsync() const;
  // Page `page` (1-based) of `per_page` rows, with the total. A query
  // without OrderBy is paged in primary key order.
  absl::StatusOr<duo::Page<T>> Page(int64_t page, int64_t per_page) const;
  Task<absl::StatusOr<duo::Page<T>>> PageAsync(int64_t page, int64_t per_page) const;

  // Calls `each` for every row, reading `batch_size` rows at a time in
  // constant memory. Without OrderBy, batches follow the primary key
  // (keyset pagination: no connection is held between batches, so `each`
  // may run other statements). With OrderBy the rows stream from one
  // statement; `each` must then not use the same transaction, and in the
  // async twins it runs on the connection's worker thread.
  absl::Status Iterate(int64_t batch_size, absl::FunctionRef<absl::Status(T&)> each) const;
  Task<absl::Status> IterateAsync(int64_t batch_size,
                                  absl::AnyInvocable<absl::Status(T&)> each) const;
  absl::Status IterateBatches(int64_t batch_size,
                              absl::FunctionRef<absl::Status(std::vector<T>&)> each) const;
  Task<absl::Status> IterateBatchesAsync(
      int64_t batch_size, absl::AnyInvocable<absl::Status(std::vector<T>&)> each) const;

  // Sets `changes` on every row the query selects; returns rows affected.
  // Refused without a filter unless options.require_filter is false.
  absl::StatusOr<int64_t> UpdateBulk(Payload changes, BulkOptions options = {}) const;
  Task<absl::StatusOr<int64_t>> UpdateBulkAsync(Payload changes, BulkOptions options = {}) const;
  absl::StatusOr<int64_t> DeleteBulk(BulkOptions options = {}) const;
  Task<absl::StatusOr<int64_t>> DeleteBulkAsync(BulkOptions options = {}) const;

 private:
  friend struct query_internal::QueryAccess<T>;

  template <typename Key>
  void AddOrder(const Key& key);

  query_internal::QueryState state_;
};

// Static entry points of a model, and its CRUD. Derive a model from
// duo::Model<T> to call them as Order::Where(...), Order::Create(...); or
// use duo::Model<Order>::... without deriving (which keeps designated
// initializers free of a base class).
//
// The base holds one pointer of state besides the static calls: the keys
// of the related rows the object's relationships held when loaded or last
// written (see Relations::kWrite and RelationshipOptions::orphans), shared
// between copies, never compared.
template <typename T>
class Model : public model_internal::RelationState {
 public:
  static duo::Query<T> Query() { return duo::Query<T>(); }
  static duo::Query<T> Query(Database database) { return duo::Query<T>(std::move(database)); }
  static duo::Query<T> Where(const sql::Expr& condition) { return Query().Where(condition); }
  static duo::Query<T> FilterBy(std::initializer_list<Filter> filters) {
    return Query().FilterBy(filters);
  }
  template <typename... Keys>
  static duo::Query<T> OrderBy(const Keys&... keys) {
    return Query().OrderBy(keys...);
  }
  static duo::Query<T> Related(std::string_view path, RelatedOptions options = {}) {
    return Query().Related(path, std::move(options));
  }
  static absl::StatusOr<std::vector<T>> All() { return Query().All(); }
  static Task<absl::StatusOr<std::vector<T>>> AllAsync() { return Query().AllAsync(); }
  static absl::StatusOr<std::optional<T>> First() { return Query().First(); }
  static Task<absl::StatusOr<std::optional<T>>> FirstAsync() { return Query().FirstAsync(); }
  // DuoORM's paginate(): page `page` (from 1) of `per_page` rows, in
  // primary key order.
  static absl::StatusOr<duo::Page<T>> Page(int64_t page, int64_t per_page) {
    return Query().Page(page, per_page);
  }
  static Task<absl::StatusOr<duo::Page<T>>> PageAsync(int64_t page, int64_t per_page) {
    return Query().PageAsync(page, per_page);
  }
  static absl::StatusOr<int64_t> Count() { return Query().Count(); }
  static Task<absl::StatusOr<int64_t>> CountAsync() { return Query().CountAsync(); }
  template <typename... K>
  static absl::StatusOr<std::optional<T>> Get(const K&... key) {
    return Query().Get(key...);
  }
  template <typename... K>
  static Task<absl::StatusOr<std::optional<T>>> GetAsync(const K&... key) {
    return Query().GetAsync(key...);
  }

  // CRUD. Each call has an ...Async twin with the same arguments and
  // results; an object passed by reference must outlive the task.
  //
  // Create, Save and Delete work on the object graph unless
  // options.relations is Relations::kIgnore (see duo/query/options.h):
  // related objects are written with the row, in one transaction, and
  // Delete applies the relationships' declared on_delete.

  // Inserts `object` (hooks, timestamps) and returns it as stored: with
  // its generated key and server defaults, and its related objects stored
  // with theirs.
  static absl::StatusOr<T> Create(T object, WriteOptions options = {});
  static Task<absl::StatusOr<T>> CreateAsync(T object, WriteOptions options = {});
  // Inserts a row from column → value pairs (checked against the model):
  // Order::Create(duo::Payload{{"customer_id", 7}}).
  template <std::same_as<Payload> P>
  static absl::StatusOr<T> Create(const P& payload);
  template <std::same_as<Payload> P>
  static Task<absl::StatusOr<T>> CreateAsync(const P& payload);
  // Multi-row INSERTs in chunks that respect the database's parameter
  // limit, in one transaction (on PostgreSQL the async twin pipelines the
  // chunks: one round trip). Returns the stored rows when
  // options.return_models, else an empty vector.
  static absl::StatusOr<std::vector<T>> CreateBulk(std::vector<T> objects,
                                                   CreateBulkOptions options = {});
  static Task<absl::StatusOr<std::vector<T>>> CreateBulkAsync(std::vector<T> objects,
                                                              CreateBulkOptions options = {});
  // Inserts `object` when it is new (a generated key still zero, a
  // Version() still 0, or no row with its key), else updates its row (only
  // the changed columns inside a managed transaction); then its related
  // objects. Refreshes `object` from the row. On failure `object` is left
  // as it was; a versioned row changed or deleted since `object` was
  // loaded fails with ErrorKind::kStaleObject (duo::IsStale).
  static absl::Status Save(T& object, WriteOptions options = {});
  static Task<absl::Status> SaveAsync(T& object, WriteOptions options = {});
  // Sets `payload` on `object` and saves it: one UPDATE of the changed
  // columns (DuoORM's instance.update(**changes)). Nothing is set when a
  // value does not fit its column.
  static absl::Status Update(T& object, const Payload& payload);
  static Task<absl::Status> UpdateAsync(T& object, Payload payload);
  // Sets `payload` on `object` in memory only (checked as Update checks);
  // a later Save writes it. For a request's changes that Validate() is to
  // see before anything is written.
  static absl::Status Assign(T& object, const Payload& payload);
  // Deletes `object`'s row, after what its relationships' on_delete asks
  // for; ObjectNotFound when there is none (kStaleObject for a versioned
  // row whose version moved on).
  static absl::Status Delete(T& object, WriteOptions options = {});
  static Task<absl::Status> DeleteAsync(T& object, WriteOptions options = {});
  // Reloads `object` from its row.
  static absl::Status Refresh(T& object);
  static Task<absl::Status> RefreshAsync(T& object);

  // The same as members, on a model that derives from Model<T>.
  absl::Status Save(WriteOptions options = {}) { return Save(Self(), options); }
  Task<absl::Status> SaveAsync(WriteOptions options = {}) { return SaveAsync(Self(), options); }
  absl::Status Update(const Payload& payload) { return Update(Self(), payload); }
  Task<absl::Status> UpdateAsync(Payload payload) {
    return UpdateAsync(Self(), std::move(payload));
  }
  absl::Status Assign(const Payload& payload) { return Assign(Self(), payload); }
  absl::Status Delete(WriteOptions options = {}) { return Delete(Self(), options); }
  Task<absl::Status> DeleteAsync(WriteOptions options = {}) { return DeleteAsync(Self(), options); }

  // Models compare by their columns; the base's state is not compared.
  friend bool operator==(const Model&, const Model&) { return true; }

 private:
  T& Self() { return static_cast<T&>(*this); }
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

}  // namespace duo

// The definitions: thin wrappers over the type-erased operations of
// duo/query/internal/operations.h.
#include "duo/query/internal/query_impl.h"  // IWYU pragma: export

#endif  // DUO_QUERY_QUERY_H_
