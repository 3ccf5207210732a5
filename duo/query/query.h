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

  absl::StatusOr<std::vector<T>> All() const {
    DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
    DUO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildSelect(state_));
    std::vector<T> objects;
    if (state_.limit) objects.reserve(static_cast<size_t>(std::min<int64_t>(*state_.limit, 10000)));
    DUO_RETURN_IF_ERROR(Read(database, select, objects));
    DUO_RETURN_IF_ERROR(Finish(database, objects));
    return objects;
  }
  // The first row, or nullopt.
  absl::StatusOr<std::optional<T>> First() const {
    DUO_ASSIGN_OR_RETURN(std::vector<T> rows, Limit(1).All());
    if (rows.empty()) return std::optional<T>();
    return std::optional<T>(std::move(rows[0]));
  }
  // Exactly one row: ObjectNotFound when none, MultipleObjectsFound when
  // more (see IsObjectNotFound / IsMultipleObjectsFound).
  absl::StatusOr<T> One() const {
    DUO_ASSIGN_OR_RETURN(std::vector<T> rows, Limit(2).All());
    if (rows.empty()) return query_internal::ObjectNotFound(*state_.meta, "matches the query");
    if (rows.size() > 1) return query_internal::MultipleObjectsFound(*state_.meta, 2);
    return std::move(rows[0]);
  }
  // The row with primary key `key` (one value per key column), or nullopt.
  template <typename... K>
  absl::StatusOr<std::optional<T>> Get(const K&... key) const {
    std::vector<sql::Value> values{sql::Value(key)...};
    DUO_RETURN_IF_ERROR(query_internal::CheckKey(*state_.meta, values));
    DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
    if (state_.related.empty() && state_.where.empty()) {
      if (std::shared_ptr<void> mapped = query_internal::FindIdentity(database, *state_.meta, values)) {
        return std::optional<T>(*static_cast<const T*>(mapped.get()));
      }
    }
    return Where(query_internal::KeyCondition(*state_.meta, values)).First();
  }
  absl::StatusOr<int64_t> Count() const {
    DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
    DUO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildCount(state_));
    DUO_ASSIGN_OR_RETURN(Result result, database.Execute(select));
    return result.Scalar<int64_t>();
  }
  // Whether any row matches: SELECT EXISTS (...), which stops at the first.
  absl::StatusOr<bool> Exists() const {
    DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
    DUO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildExists(state_));
    DUO_ASSIGN_OR_RETURN(Result result, database.Execute(select));
    return result.Scalar<bool>();
  }
  // Page `page` (1-based) of `per_page` rows, with the total.
  absl::StatusOr<duo::Page<T>> Page(int64_t page, int64_t per_page) const {
    if (per_page <= 0) return absl::InvalidArgumentError("Page: per_page must be positive");
    if (page < 1) return absl::InvalidArgumentError("Page: page numbers start at 1");
    duo::Page<T> result;
    Query unpaged = *this;
    unpaged.state_.limit.reset();
    unpaged.state_.offset.reset();
    DUO_ASSIGN_OR_RETURN(result.total, unpaged.Count());
    DUO_ASSIGN_OR_RETURN(result.items, unpaged.Paginate(per_page, (page - 1) * per_page).All());
    result.page = page;
    result.per_page = per_page;
    result.pages = (result.total + per_page - 1) / per_page;
    result.has_next = page < result.pages;
    result.has_prev = page > 1;
    return result;
  }

  // Calls `each` for every row, reading `batch_size` rows at a time in
  // constant memory. Without OrderBy, batches follow the primary key
  // (keyset pagination: no connection is held between batches, so `each`
  // may run other statements). With OrderBy the rows stream from one
  // statement; `each` must then not use the same transaction.
  absl::Status Iterate(int64_t batch_size, absl::FunctionRef<absl::Status(T&)> each) const {
    return IterateBatches(batch_size, [&](std::vector<T>& batch) -> absl::Status {
      for (T& object : batch) DUO_RETURN_IF_ERROR(each(object));
      return absl::OkStatus();
    });
  }
  absl::Status IterateBatches(int64_t batch_size,
                              absl::FunctionRef<absl::Status(std::vector<T>&)> each) const;

  // Sets `changes` on every row the query selects; returns rows affected.
  // Refused without a filter unless options.require_filter is false.
  absl::StatusOr<int64_t> UpdateBulk(Payload changes, BulkOptions options = {}) const;
  absl::StatusOr<int64_t> DeleteBulk(BulkOptions options = {}) const;

  const query_internal::QueryState& state() const { return state_; }

 private:
  template <typename Key>
  void AddOrder(const Key& key) {
    if constexpr (std::is_convertible_v<const Key&, std::string_view>) {
      const std::string_view text(key);
      query_internal::AddOrderBy(state_, absl::string_view(text.data(), text.size()));
    } else {
      state_.order.push_back(sql::OrderTerm(key));
    }
  }

  absl::Status Read(const Database& database, const sql::Statement& statement,
                    std::vector<T>& objects, engine::RunMode mode = engine::RunMode::kBuffered) const {
    return query_internal::ReadObjects(
        database, &state_, *state_.meta, statement,
        [&objects]() -> void* { return &objects.emplace_back(); }, mode);
  }
  // Identity map, then eager loading.
  absl::Status Finish(const Database& database, std::vector<T>& objects) const {
    if (database.CurrentSession() == nullptr && state_.related.empty()) return absl::OkStatus();
    std::vector<void*> pointers;
    pointers.reserve(objects.size());
    for (T& object : objects) pointers.push_back(&object);
    query_internal::MapIdentities(database, *state_.meta, pointers);
    return query_internal::LoadRelated(state_, database, pointers);
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
  static absl::StatusOr<int64_t> Count() { return Query().Count(); }
  template <typename... K>
  static absl::StatusOr<std::optional<T>> Get(const K&... key) { return Query().Get(key...); }

  // Inserts `object` (hooks, timestamps) and returns it as stored: with
  // its generated key and server defaults.
  static absl::StatusOr<T> Create(T object);
  // Inserts a row from column → value pairs (checked against the model):
  // Order::Create(duo::Payload{{"customer_id", 7}}).
  template <std::same_as<Payload> P>
  static absl::StatusOr<T> Create(const P& payload) {
    T object{};
    DUO_RETURN_IF_ERROR(MetaOf<T>().declaration_status());
    DUO_RETURN_IF_ERROR(ApplyPayload(MetaOf<T>(), &object, payload));
    return Create(std::move(object));
  }
  // Multi-row INSERTs in chunks that respect the database's parameter
  // limit. Returns the stored rows when options.return_models, else an
  // empty vector.
  static absl::StatusOr<std::vector<T>> CreateBulk(std::vector<T> objects,
                                                   CreateBulkOptions options = {});
  // Inserts `object` when it is new (a generated key still zero, or no row
  // with its key), else updates its row (only the changed columns inside a
  // managed transaction). Refreshes `object` from the row.
  static absl::Status Save(T& object);
  // Sets `payload` on `object` in memory (checked); Save writes it.
  static absl::Status Update(T& object, const Payload& payload) {
    DUO_RETURN_IF_ERROR(MetaOf<T>().declaration_status());
    return ApplyPayload(MetaOf<T>(), &object, payload);
  }
  // Deletes `object`'s row; ObjectNotFound when there is none.
  static absl::Status Delete(T& object);
  // Reloads `object` from its row.
  static absl::Status Refresh(T& object);

  // The same as members, on a model that derives from Model<T>.
  absl::Status Save() { return Save(Self()); }
  absl::Status Update(const Payload& payload) { return Update(Self(), payload); }
  absl::Status Delete() { return Delete(Self()); }

  // Models compare by their columns; the base adds nothing.
  friend bool operator==(const Model&, const Model&) { return true; }

 private:
  T& Self() { return static_cast<T&>(*this); }
  // Runs `body` in a transaction when T has after-hooks (so that their
  // failure undoes the operation), else directly.
  static absl::Status Atomically(const Database& database, absl::FunctionRef<absl::Status()> body) {
    if constexpr (hooks::kHasAfterHooks<T>) {
      return database.Transaction([&](Session&) { return body(); });
    } else {
      return body();
    }
  }
  static absl::Status InsertOne(const Database& database, T& object);
  static absl::Status UpdateOne(const Database& database, T& object, const T* loaded);
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

template <typename T>
absl::Status Query<T>::IterateBatches(int64_t batch_size,
                                      absl::FunctionRef<absl::Status(std::vector<T>&)> each) const {
  if (batch_size <= 0) return absl::InvalidArgumentError("Iterate: batch_size must be positive");
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
  const ModelMeta& meta = *state_.meta;
  if (!state_.order.empty() || state_.offset || state_.distinct) {
    DUO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildSelect(state_));
    std::vector<T> batch;
    batch.reserve(batch_size);
    absl::Status status = database.Read(
        select,
        [&](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(bool more, cursor.Next());
            if (more) {
              DUO_RETURN_IF_ERROR(
                  query_internal::HydrateRow(&state_, meta, cursor, &batch.emplace_back()));
            }
            if (static_cast<int64_t>(batch.size()) == batch_size || (!more && !batch.empty())) {
              DUO_RETURN_IF_ERROR(Finish(database, batch));
              DUO_RETURN_IF_ERROR(each(batch));
              batch.clear();
            }
            if (!more) return absl::OkStatus();
          }
        },
        engine::RunMode::kStreaming);
    return status;
  }
  std::optional<int64_t> remaining = state_.limit;
  std::vector<sql::Value> last_key;
  std::vector<T> batch;
  while (!remaining || *remaining > 0) {
    const int64_t want = remaining ? std::min(*remaining, batch_size) : batch_size;
    DUO_ASSIGN_OR_RETURN(sql::Select select, query_internal::BuildKeysetBatch(
                                                 state_, last_key.empty() ? nullptr : &last_key, want));
    batch.clear();
    DUO_RETURN_IF_ERROR(Read(database, select, batch));
    if (batch.empty()) break;
    last_key = meta.KeyOf(&batch.back());
    DUO_RETURN_IF_ERROR(Finish(database, batch));
    DUO_RETURN_IF_ERROR(each(batch));
    if (remaining) *remaining -= static_cast<int64_t>(batch.size());
    if (static_cast<int64_t>(batch.size()) < want) break;
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<int64_t> Query<T>::UpdateBulk(Payload changes, BulkOptions options) const {
  DUO_RETURN_IF_ERROR(query_internal::CheckBulkFilter(state_, "UpdateBulk", options));
  DUO_RETURN_IF_ERROR(CheckPayload(*state_.meta, changes));
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
  const ModelMeta& meta = *state_.meta;
  int64_t affected = 0;
  auto run = [&](Session&) -> absl::Status {
    if (options.with_hooks) {
      if constexpr (hooks::HasBeforeBulkUpdate<T>) DUO_RETURN_IF_ERROR(T::BeforeBulkUpdate(*this, changes));
    }
    if (!options.with_hooks) {
      DUO_ASSIGN_OR_RETURN(sql::Update update, query_internal::BuildBulkUpdate(state_, changes));
      DUO_ASSIGN_OR_RETURN(Result result, database.Execute(update));
      affected = result.rows_affected();
      return absl::OkStatus();
    }
    // Per-row hooks: load a batch, run each row's BeforeUpdate (which may
    // change the row or veto), write the batch, run AfterUpdate on the rows
    // as stored.
    Query<T> unordered = *this;
    unordered.state_.related.clear();
    return unordered.IterateBatches(options.batch_size, [&](std::vector<T>& batch) -> absl::Status {
      std::vector<std::vector<sql::Value>> keys;
      for (T& object : batch) {
        const T before = object;
        DUO_RETURN_IF_ERROR(ApplyPayloadValues(meta, &object, changes));
        DUO_RETURN_IF_ERROR(hooks::Validate(object));
        DUO_RETURN_IF_ERROR(hooks::BeforeUpdate(object));
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
          DUO_RETURN_IF_ERROR(database.Execute(query_internal::BuildUpdateByKey(meta, extra, &object)).status());
        }
      }
      sql::Update update = sql::Update(meta.table()).Set(changes).Where(query_internal::KeysIn(meta, keys));
      DUO_ASSIGN_OR_RETURN(Result result, database.Execute(update));
      affected += result.rows_affected();
      std::vector<T> stored;
      DUO_RETURN_IF_ERROR(query_internal::ReadObjects(
          database, nullptr, meta,
          sql::Select(meta.table().Columns()).From(meta.table()).Where(query_internal::KeysIn(meta, keys)),
          [&stored]() -> void* { return &stored.emplace_back(); }, engine::RunMode::kBuffered));
      for (T& object : stored) {
        query_internal::PutIdentity(database, meta, &object);
        DUO_RETURN_IF_ERROR(hooks::AfterUpdate(object));
      }
      return absl::OkStatus();
    });
  };
  absl::Status status = database.Transaction([&](Session& session) -> absl::Status {
    DUO_RETURN_IF_ERROR(run(session));
    if (options.with_hooks) {
      if constexpr (hooks::HasAfterBulkUpdate<T>) DUO_RETURN_IF_ERROR(T::AfterBulkUpdate(*this, changes, affected));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (Session* session = database.CurrentSession()) session->identity_map().Clear();
  return affected;
}

template <typename T>
absl::StatusOr<int64_t> Query<T>::DeleteBulk(BulkOptions options) const {
  DUO_RETURN_IF_ERROR(query_internal::CheckBulkFilter(state_, "DeleteBulk", options));
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(state_));
  const ModelMeta& meta = *state_.meta;
  int64_t affected = 0;
  absl::Status status = database.Transaction([&](Session&) -> absl::Status {
    if (!options.with_hooks) {
      DUO_ASSIGN_OR_RETURN(sql::Delete del, query_internal::BuildBulkDelete(state_));
      DUO_ASSIGN_OR_RETURN(Result result, database.Execute(del));
      affected = result.rows_affected();
      return absl::OkStatus();
    }
    if constexpr (hooks::HasBeforeBulkDelete<T>) DUO_RETURN_IF_ERROR(T::BeforeBulkDelete(*this));
    // Deleted rows leave the filter, so every batch is the query's first.
    Query<T> first_batches = *this;
    first_batches.state_.related.clear();
    while (true) {
      std::vector<T> batch;
      DUO_ASSIGN_OR_RETURN(sql::Select select,
                           query_internal::BuildKeysetBatch(first_batches.state_, nullptr, options.batch_size));
      DUO_RETURN_IF_ERROR(Read(database, select, batch));
      if (batch.empty()) break;
      std::vector<std::vector<sql::Value>> keys;
      for (T& object : batch) {
        DUO_RETURN_IF_ERROR(hooks::BeforeDelete(object));
        keys.push_back(meta.KeyOf(&object));
      }
      DUO_ASSIGN_OR_RETURN(Result result,
                           database.Execute(sql::Delete(meta.table()).Where(query_internal::KeysIn(meta, keys))));
      affected += result.rows_affected();
      for (T& object : batch) DUO_RETURN_IF_ERROR(hooks::AfterDelete(object));
      if (static_cast<int64_t>(batch.size()) < options.batch_size || first_batches.state_.limit) break;
    }
    if constexpr (hooks::HasAfterBulkDelete<T>) DUO_RETURN_IF_ERROR(T::AfterBulkDelete(*this, affected));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (Session* session = database.CurrentSession()) session->identity_map().Clear();
  return affected;
}

template <typename T>
absl::Status Model<T>::InsertOne(const Database& database, T& object) {
  const ModelMeta& meta = MetaOf<T>();
  query_internal::StampTimes(meta, &object, /*inserting=*/true);
  DUO_RETURN_IF_ERROR(hooks::Validate(object));
  DUO_RETURN_IF_ERROR(hooks::BeforeCreate(object));
  return Atomically(database, [&]() -> absl::Status {
    sql::Insert insert = query_internal::BuildInsert(
        meta, query_internal::InsertColumns(meta, &object), {&object}, /*returning=*/true);
    std::vector<T> stored;
    DUO_RETURN_IF_ERROR(query_internal::ReadObjects(
        database, nullptr, meta, insert, [&stored]() -> void* { return &stored.emplace_back(); },
        engine::RunMode::kBuffered));
    if (stored.size() != 1) return absl::InternalError("INSERT ... RETURNING returned no row");
    for (const ColumnMeta& column : meta.columns()) {
      DUO_RETURN_IF_ERROR(column.accessor->Set(&object, column.accessor->Get(&stored[0]), column.name));
    }
    query_internal::PutIdentity(database, meta, &object);
    return hooks::AfterCreate(object);
  });
}

template <typename T>
absl::Status Model<T>::UpdateOne(const Database& database, T& object, const T* loaded) {
  const ModelMeta& meta = MetaOf<T>();
  query_internal::StampTimes(meta, &object, /*inserting=*/false);
  DUO_RETURN_IF_ERROR(hooks::Validate(object));
  DUO_RETURN_IF_ERROR(hooks::BeforeUpdate(object));
  std::vector<int> columns;
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    const ColumnMeta& column = meta.columns()[i];
    if (column.primary_key) continue;
    if (loaded != nullptr && column.accessor->Equal(&object, loaded)) continue;
    columns.push_back(static_cast<int>(i));
  }
  if (columns.empty()) return absl::OkStatus();
  return Atomically(database, [&]() -> absl::Status {
    std::vector<T> stored;
    DUO_RETURN_IF_ERROR(query_internal::ReadObjects(
        database, nullptr, meta, query_internal::BuildUpdateByKey(meta, columns, &object),
        [&stored]() -> void* { return &stored.emplace_back(); }, engine::RunMode::kBuffered));
    if (stored.empty()) return query_internal::ObjectNotFound(meta, "with this primary key to update");
    query_internal::PutIdentity(database, meta, &object);
    return hooks::AfterUpdate(object);
  });
}

template <typename T>
absl::StatusOr<T> Model<T>::Create(T object) {
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(MetaOf<T>()));
  DUO_RETURN_IF_ERROR(InsertOne(database, object));
  return object;
}

template <typename T>
absl::Status Model<T>::Save(T& object) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  bool is_new = false;
  for (int index : meta.primary_key()) {
    const ColumnMeta& key = meta.columns()[index];
    if (key.server_generated && key.accessor->IsZero(&object)) is_new = true;
  }
  if (is_new) return InsertOne(database, object);
  const std::vector<sql::Value> key = meta.KeyOf(&object);
  if (std::shared_ptr<void> loaded = query_internal::FindIdentity(database, meta, key)) {
    return UpdateOne(database, object, static_cast<const T*>(loaded.get()));
  }
  DUO_ASSIGN_OR_RETURN(bool exists,
                       duo::Query<T>(database).Where(query_internal::KeyCondition(meta, key)).Exists());
  if (!exists) return InsertOne(database, object);
  return UpdateOne(database, object, nullptr);
}

template <typename T>
absl::Status Model<T>::Delete(T& object) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  DUO_RETURN_IF_ERROR(hooks::BeforeDelete(object));
  const std::vector<sql::Value> key = meta.KeyOf(&object);
  return Atomically(database, [&]() -> absl::Status {
    DUO_ASSIGN_OR_RETURN(Result result, database.Execute(sql::Delete(meta.table())
                                                             .Where(query_internal::KeyCondition(meta, key))));
    if (result.rows_affected() == 0) return query_internal::ObjectNotFound(meta, "with this primary key to delete");
    query_internal::ForgetIdentity(database, meta, key);
    return hooks::AfterDelete(object);
  });
}

template <typename T>
absl::Status Model<T>::Refresh(T& object) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  const std::vector<sql::Value> key = meta.KeyOf(&object);
  query_internal::ForgetIdentity(database, meta, key);
  DUO_ASSIGN_OR_RETURN(std::optional<T> fresh,
                       duo::Query<T>(database).Where(query_internal::KeyCondition(meta, key)).First());
  if (!fresh) return query_internal::ObjectNotFound(meta, "with this primary key to refresh");
  for (const ColumnMeta& column : meta.columns()) {
    DUO_RETURN_IF_ERROR(column.accessor->Set(&object, column.accessor->Get(&*fresh), column.name));
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<std::vector<T>> Model<T>::CreateBulk(std::vector<T> objects, CreateBulkOptions options) {
  const ModelMeta& meta = MetaOf<T>();
  DUO_ASSIGN_OR_RETURN(Database database, query_internal::DatabaseOf(meta));
  if (objects.empty()) return std::vector<T>();
  for (T& object : objects) {
    query_internal::StampTimes(meta, &object, /*inserting=*/true);
    if (options.with_hooks) {
      DUO_RETURN_IF_ERROR(hooks::Validate(object));
      DUO_RETURN_IF_ERROR(hooks::BeforeCreate(object));
    }
  }
  absl::Status status = database.Transaction([&](Session&) -> absl::Status {
    // Rows that leave out different generated columns cannot share one
    // INSERT: consecutive rows with the same columns form a run.
    size_t start = 0;
    while (start < objects.size()) {
      const std::vector<int> columns = query_internal::InsertColumns(meta, &objects[start]);
      const int64_t per_statement = query_internal::RowsPerInsert(database, columns.size(), options.batch_size);
      size_t end = start + 1;
      while (end < objects.size() && static_cast<int64_t>(end - start) < per_statement &&
             query_internal::InsertColumns(meta, &objects[end]) == columns) {
        ++end;
      }
      std::vector<const void*> rows;
      rows.reserve(end - start);
      for (size_t i = start; i < end; ++i) rows.push_back(&objects[i]);
      sql::Insert insert = query_internal::BuildInsert(meta, columns, rows, options.return_models);
      if (options.return_models) {
        // Rows come back in VALUES order from a single multi-row INSERT.
        size_t at = start;
        absl::Status read = query_internal::ReadObjects(
            database, nullptr, meta, insert, [&]() -> void* { return &objects[at++]; },
            engine::RunMode::kBuffered);
        DUO_RETURN_IF_ERROR(read);
        if (at != end) return absl::InternalError("INSERT ... RETURNING returned fewer rows than inserted");
      } else {
        DUO_RETURN_IF_ERROR(database.Execute(insert).status());
      }
      start = end;
    }
    if (options.with_hooks && hooks::HasAfterCreate<T>) {
      for (T& object : objects) DUO_RETURN_IF_ERROR(hooks::AfterCreate(object));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!options.return_models) return std::vector<T>();
  return objects;
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
