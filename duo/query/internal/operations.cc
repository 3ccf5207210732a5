#include "duo/query/internal/operations.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "duo/async/sync_wait.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/model/payload.h"
#include "duo/query/internal/writes.h"
#include "duo/query/validation.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/select.h"

namespace duo::query_internal {
namespace {

using model_internal::ObjectList;

// Runs a per-object hook the model may not declare.
absl::Status Call(absl::Status (*hook)(void*), void* object) {
  return hook == nullptr ? absl::OkStatus() : hook(object);
}
// Validate(), whose ValidationError must name fields the model has.
absl::Status CallValidate(const ModelMeta& meta, const ModelHooks& hooks, const void* object) {
  if (hooks.validate == nullptr) return absl::OkStatus();
  absl::Status status = hooks.validate(object);
  for (const std::string& field : ValidationFields(status)) {
    if (meta.FindColumn(field) == nullptr && meta.FindRelation(field) == nullptr) {
      return absl::InternalError(
          absl::StrCat("the Validate() of ", meta.table().name(), "'s model names field \"", field,
                       "\", which it does not have (", status.message(), ")"));
    }
  }
  return status;
}

std::vector<void*> PointersTo(ObjectList& objects, size_t from = 0) {
  std::vector<void*> pointers;
  pointers.reserve(objects.size() - from);
  for (size_t i = from; i < objects.size(); ++i) pointers.push_back(objects.at(i));
  return pointers;
}

Task<absl::Status> ReadInto(Exec exec, const Database& database, const QueryState& state,
                            const sql::Statement& statement, ObjectList& objects) {
  co_return co_await ReadObjects(exec, database, &state, *state.meta, statement,
                                 [&objects]() -> void* { return objects.Add(); });
}

// Identity map, then eager loading, for the objects of `objects` from
// index `from` on.
Task<absl::Status> Finish(Exec exec, const QueryState& state, const Database& database,
                          ObjectList& objects, size_t from = 0) {
  if (database.CurrentSession() == nullptr && state.related.empty()) co_return absl::OkStatus();
  const std::vector<void*> pointers = PointersTo(objects, from);
  MapIdentities(database, *state.meta, pointers);
  co_return co_await LoadRelated(exec, state, database, pointers);
}

// Runs `body` in a transaction when the model has after-hooks (so that
// their failure undoes the operation), or when `reads_back` and no
// transaction is open: a write whose row cannot be read back (a value the
// member cannot hold) reports an error, and must not have committed, or a
// caller that retries would write the row twice. Inside a transaction the
// error reaches the caller, whose transaction decides.
Task<absl::Status> Atomically(Exec exec, const Database& database, const ModelHooks& hooks,
                              absl::FunctionRef<Task<absl::Status>()> body,
                              bool reads_back = true) {
  if (hooks.has_after_hooks() || (reads_back && database.CurrentSession() == nullptr)) {
    co_return co_await InTransaction(exec, database, body);
  }
  co_return co_await body();
}

// The Version() column's value in `object`.
int64_t VersionOf(const ModelMeta& meta, const void* object) {
  const sql::Value value = meta.columns()[meta.version_column()].accessor->Get(object);
  return value.kind() == sql::Value::Kind::kInt ? value.as_int() : 0;
}

void SetVersion(const ModelMeta& meta, void* object, int64_t version) {
  const ColumnMeta& column = meta.columns()[meta.version_column()];
  column.accessor->Set(object, sql::Value(version), column.name).IgnoreError();
}

// UPDATE ... SET version = version + 1 WHERE ... AND version = <object's>.
sql::Update WithVersionCheck(const ModelMeta& meta, sql::Update update, const void* object) {
  const ColumnMeta& column = meta.columns()[meta.version_column()];
  const sql::Expr current = ColumnOf(meta.table().name(), column);
  return update.Set({sql::Assignment(column.name, current + int64_t{1})})
      .Where(current == sql::Param(VersionOf(meta, object)));
}

// Adds version = version + 1 to `payload` for a versioned model, unless
// the payload sets the version column.
void BumpVersion(const ModelMeta& meta, Payload& payload) {
  if (meta.version_column() < 0) return;
  const ColumnMeta& column = meta.columns()[meta.version_column()];
  for (const sql::Assignment& assignment : payload) {
    if (assignment.column == column.name) return;
  }
  payload.emplace_back(column.name, ColumnOf(meta.table().name(), column) + int64_t{1});
}

QueryState KeyQuery(const ModelMeta& meta, const Database& database,
                    const std::vector<sql::Value>& key) {
  QueryState state;
  state.meta = &meta;
  state.database = database;
  state.where.push_back(KeyCondition(meta, key));
  return state;
}

// The rows a per-row bulk operation visits, as a query without
// Limit/Offset: the filter itself, or the keys Limit/Offset choose, read
// once, so that writing one batch cannot move the window onto other rows.
Task<absl::StatusOr<QueryState>> RunBulkTarget(const QueryState& state, const Database& database,
                                               Exec exec) {
  QueryState target = state;
  target.related.clear();
  if (!state.limit && !state.offset) {
    // Order does not change which rows match; keyset batches walk them.
    target.order.clear();
    co_return target;
  }
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, BuildBulkChoice(state));
  std::unique_ptr<ObjectList> chosen = state.meta->NewList();
  DUO_CO_RETURN_IF_ERROR(co_await ReadInto(exec, database, target, select, *chosen));
  std::vector<std::vector<sql::Value>> keys;
  keys.reserve(chosen->size());
  for (size_t i = 0; i < chosen->size(); ++i) keys.push_back(state.meta->KeyOf(chosen->at(i)));
  target.where = {KeysIn(*state.meta, keys)};
  target.order.clear();
  target.joins.clear();
  target.limit.reset();
  target.offset.reset();
  co_return target;
}

}  // namespace

Task<absl::Status> InsertRow(Exec exec, const Database& database, const ModelMeta& meta,
                             const ModelHooks& hooks, void* object) {
  // A new row starts at version 1, whatever a copy of a deleted row held.
  if (meta.version_column() >= 0) SetVersion(meta, object, 1);
  StampTimes(meta, object, /*inserting=*/true);
  DUO_CO_RETURN_IF_ERROR(CallValidate(meta, hooks, object));
  DUO_CO_RETURN_IF_ERROR(Call(hooks.before_create, object));
  // Values the database would change (wrap, round, turn into NULL) are
  // refused before anything is written, naming the column.
  DUO_CO_RETURN_IF_ERROR(CheckWritable(meta, object, nullptr, database.dialect()));
  const std::vector<std::pair<int, sql::Value>> decimals = DecimalsWritten(meta, object);
  co_return co_await Atomically(exec, database, hooks, [&]() -> Task<absl::Status> {
    DUO_CO_ASSIGN_OR_RETURN(
        const dialect::CompiledStatement insert,
        CompileInsert(database, meta, InsertColumns(meta, object), {object}, /*returning=*/true));
    // The row read back is the object plus what the database filled in
    // (generated key, server defaults): read it over the object itself.
    int rows = 0;
    DUO_CO_RETURN_IF_ERROR(
        co_await Read(exec, database, insert, [&](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
            if (!row) return absl::OkStatus();
            if (++rows == 1) DUO_RETURN_IF_ERROR(HydrateRow(nullptr, meta, cursor, object));
          }
        }));
    if (rows != 1) co_return absl::InternalError("INSERT ... RETURNING returned no row");
    // What the row read back holds, not what was sent, is what was stored.
    DUO_CO_RETURN_IF_ERROR(CheckDecimalsStored(meta, decimals, object));
    PutIdentity(database, meta, object);
    co_return Call(hooks.after_create, object);
  });
}

Task<absl::Status> UpdateRow(Exec exec, const Database& database, const ModelMeta& meta,
                             const ModelHooks& hooks, void* object, const void* loaded) {
  StampTimes(meta, object, /*inserting=*/false);
  DUO_CO_RETURN_IF_ERROR(CallValidate(meta, hooks, object));
  DUO_CO_RETURN_IF_ERROR(Call(hooks.before_update, object));
  std::vector<int> columns;
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    const ColumnMeta& column = meta.columns()[i];
    // The version is never set from the object: the statement bumps it.
    if (column.primary_key || column.version) continue;
    if (loaded != nullptr && column.accessor->Equal(object, loaded)) continue;
    columns.push_back(static_cast<int>(i));
  }
  if (columns.empty()) co_return absl::OkStatus();
  DUO_CO_RETURN_IF_ERROR(CheckWritable(meta, object, &columns, database.dialect()));
  const std::vector<std::pair<int, sql::Value>> decimals = DecimalsWritten(meta, object);
  co_return co_await Atomically(exec, database, hooks, [&]() -> Task<absl::Status> {
    std::unique_ptr<ObjectList> stored = meta.NewList();
    const bool returning = database.dialect().SupportsReturning(dialect::StatementKind::kUpdate);
    sql::Update update = BuildUpdateByKey(meta, columns, object, returning);
    if (meta.version_column() >= 0) update = WithVersionCheck(meta, std::move(update), object);
    if (returning) {
      DUO_CO_RETURN_IF_ERROR(co_await ReadObjects(exec, database, nullptr, meta, update,
                                                  [&stored]() -> void* { return stored->Add(); }));
    } else {
      // No UPDATE ... RETURNING (MySQL): the row is read back by its key in
      // the same transaction, which holds the updated row's lock. The
      // driver counts matched rows, changed or not, so a row that matched
      // key and version is read back even when no value changed.
      DUO_CO_ASSIGN_OR_RETURN(const Result written, co_await Execute(exec, database, update));
      if (written.rows_affected() > 0) {
        DUO_CO_RETURN_IF_ERROR(
            co_await ReadObjects(exec, database, nullptr, meta,
                                 sql::Select(meta.table().Columns())
                                     .From(meta.table())
                                     .Where(KeyCondition(meta, meta.KeyOf(object))),
                                 [&stored]() -> void* { return stored->Add(); }));
      }
    }
    if (stored->size() == 0) {
      if (meta.version_column() >= 0) co_return StaleObject(meta, object, "update");
      co_return ObjectNotFound(meta, "with this primary key to update");
    }
    DUO_CO_RETURN_IF_ERROR(CheckDecimalsStored(meta, decimals, stored->at(0)));
    if (meta.version_column() >= 0) {
      SetVersion(meta, object, VersionOf(meta, stored->at(0)));
    }
    PutIdentity(database, meta, object);
    co_return Call(hooks.after_update, object);
  });
}

Task<absl::Status> SaveRow(Exec exec, const Database& database, const ModelMeta& meta,
                           const ModelHooks& hooks, void* object, bool* inserted) {
  *inserted = false;
  if (IsNewObject(meta, object)) {
    *inserted = true;
    co_return co_await InsertRow(exec, database, meta, hooks, object);
  }
  const std::vector<sql::Value> key = meta.KeyOf(object);
  if (std::shared_ptr<void> loaded = FindIdentity(database, meta, key)) {
    co_return co_await UpdateRow(exec, database, meta, hooks, object, loaded.get());
  }
  // A versioned object that is not new was stored: its row is updated
  // where it still holds the object's version, and a row that is gone is a
  // lost update, never a reason to insert it again.
  if (meta.version_column() < 0) {
    DUO_CO_ASSIGN_OR_RETURN(bool exists, co_await RunExists(KeyQuery(meta, database, key), exec));
    if (!exists) {
      *inserted = true;
      co_return co_await InsertRow(exec, database, meta, hooks, object);
    }
  }
  co_return co_await UpdateRow(exec, database, meta, hooks, object, nullptr);
}

Task<absl::Status> DeleteStatement(Exec exec, const Database& database, const ModelMeta& meta,
                                   const ModelHooks& hooks, void* object) {
  const std::vector<sql::Value> key = meta.KeyOf(object);
  sql::Delete del = sql::Delete(meta.table()).Where(KeyCondition(meta, key));
  if (meta.version_column() >= 0) {
    del = del.Where(ColumnOf(meta.table().name(), meta.columns()[meta.version_column()]) ==
                    sql::Param(VersionOf(meta, object)));
  }
  DUO_CO_ASSIGN_OR_RETURN(Result result, co_await Execute(exec, database, del));
  if (result.rows_affected() == 0) {
    if (meta.version_column() >= 0) co_return StaleObject(meta, object, "delete");
    co_return ObjectNotFound(meta, "with this primary key to delete");
  }
  ForgetIdentity(database, meta, key);
  co_return Call(hooks.after_delete, object);
}

Task<absl::Status> RunAll(const QueryState& state, Exec exec, ObjectList& out) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, BuildSelect(state));
  const size_t from = out.size();
  if (state.limit) out.Reserve(from + static_cast<size_t>(std::min<int64_t>(*state.limit, 10000)));
  DUO_CO_RETURN_IF_ERROR(co_await ReadInto(exec, database, state, select, out));
  co_return co_await Finish(exec, state, database, out, from);
}

Task<absl::Status> RunFirst(const QueryState& state, Exec exec, ObjectList& out) {
  QueryState first = state;
  first.limit = 1;
  co_return co_await RunAll(first, exec, out);
}

Task<absl::Status> RunOne(const QueryState& state, Exec exec, ObjectList& out) {
  // Two rows tell "more than one"; a smaller limit of the caller's stays.
  QueryState two = state;
  two.limit = std::min<int64_t>(state.limit.value_or(2), 2);
  const size_t from = out.size();
  DUO_CO_RETURN_IF_ERROR(co_await RunAll(two, exec, out));
  if (out.size() == from) co_return ObjectNotFound(*state.meta, "matches the query");
  if (out.size() > from + 1) co_return MultipleObjectsFound(*state.meta, 2);
  co_return absl::OkStatus();
}

Task<absl::Status> RunGet(const QueryState& state, std::vector<sql::Value> key, Exec exec,
                          ObjectList& out) {
  const ModelMeta& meta = *state.meta;
  DUO_CO_RETURN_IF_ERROR(CheckKey(meta, key));
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  if (state.related.empty() && state.where.empty()) {
    if (std::shared_ptr<void> mapped = FindIdentity(database, meta, key)) {
      meta.CopyObject(out.Add(), mapped.get());
      co_return absl::OkStatus();
    }
  }
  if (!IsPlainLookup(state)) {
    QueryState by_key = state;
    by_key.where.push_back(KeyCondition(meta, key));
    co_return co_await RunFirst(by_key, exec, out);
  }
  DUO_CO_ASSIGN_OR_RETURN(const dialect::CompiledStatement lookup,
                          KeyLookup(database, meta, std::move(key)));
  void* found = nullptr;
  DUO_CO_RETURN_IF_ERROR(
      co_await Read(exec, database, lookup, [&](engine::Cursor& cursor) -> absl::Status {
        DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
        if (!row) return absl::OkStatus();
        found = out.Add();
        return HydrateRow(nullptr, meta, cursor, found);
      }));
  if (found != nullptr && database.CurrentSession() != nullptr) {
    MapIdentities(database, meta, {found});
  }
  co_return absl::OkStatus();
}

Task<absl::StatusOr<int64_t>> RunCount(const QueryState& state, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, BuildCount(state));
  DUO_CO_ASSIGN_OR_RETURN(Result result, co_await Execute(exec, database, select));
  co_return result.Scalar<int64_t>();
}

Task<absl::StatusOr<bool>> RunExists(const QueryState& state, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  DUO_CO_ASSIGN_OR_RETURN(sql::Select select, BuildExists(state));
  DUO_CO_ASSIGN_OR_RETURN(Result result, co_await Execute(exec, database, select));
  co_return result.Scalar<bool>();
}

Task<absl::StatusOr<PageNumbers>> RunPage(const QueryState& state, int64_t page, int64_t per_page,
                                          Exec exec, ObjectList& items) {
  if (per_page <= 0) co_return absl::InvalidArgumentError("Page: per_page must be positive");
  if (page < 1) co_return absl::InvalidArgumentError("Page: page numbers start at 1");
  PageNumbers numbers;
  // Pages divide the query's own rows, so a Limit/Offset on the query is a
  // window the pages stay inside: Page agrees with Count and All.
  DUO_CO_ASSIGN_OR_RETURN(numbers.total, co_await RunCount(state, exec));
  const int64_t start = (page - 1) * per_page;
  const int64_t take = std::min(per_page, std::max<int64_t>(numbers.total - start, 0));
  if (take > 0) {
    QueryState window = state;
    window.limit = take;
    window.offset = state.offset.value_or(0) + start;
    // Without an order the database may return the rows in another order
    // for every page, and pages would repeat and miss rows: the key orders
    // them (ahead of nothing the caller asked for).
    if (window.order.empty()) {
      for (const int index : state.meta->primary_key()) {
        window.order.push_back(
            sql::OrderTerm(ColumnOf(state.meta->table().name(), state.meta->columns()[index])));
      }
    }
    DUO_CO_RETURN_IF_ERROR(co_await RunAll(window, exec, items));
  }
  numbers.page = page;
  numbers.per_page = per_page;
  numbers.pages = (numbers.total + per_page - 1) / per_page;
  numbers.has_next = page < numbers.pages;
  numbers.has_prev = page > 1;
  co_return numbers;
}

Task<absl::Status> RunIterate(const QueryState& state, int64_t batch_size, Exec exec,
                              ObjectList& batch, absl::FunctionRef<Task<absl::Status>(Exec)> each) {
  if (batch_size <= 0) co_return absl::InvalidArgumentError("Iterate: batch_size must be positive");
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  const ModelMeta& meta = *state.meta;
  batch.Clear();
  if (!state.order.empty() || state.offset || state.distinct) {
    DUO_CO_ASSIGN_OR_RETURN(sql::Select select, BuildSelect(state));
    batch.Reserve(static_cast<size_t>(batch_size));
    // The rows stream from one statement, read where the cursor lives (a
    // worker thread in async mode); what runs between rows is blocking.
    co_return co_await Read(
        exec, database, select,
        [&](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(bool more, cursor.Next());
            if (more) DUO_RETURN_IF_ERROR(HydrateRow(&state, meta, cursor, batch.Add()));
            if (static_cast<int64_t>(batch.size()) == batch_size || (!more && batch.size() > 0)) {
              DUO_RETURN_IF_ERROR(SyncWait(Finish(Exec::kSync, state, database, batch)));
              DUO_RETURN_IF_ERROR(SyncWait(each(Exec::kSync)));
              batch.Clear();
            }
            if (!more) return absl::OkStatus();
          }
        },
        engine::RunMode::kStreaming);
  }
  std::optional<int64_t> remaining = state.limit;
  std::vector<sql::Value> last_key;
  while (!remaining || *remaining > 0) {
    const int64_t want = remaining ? std::min(*remaining, batch_size) : batch_size;
    DUO_CO_ASSIGN_OR_RETURN(sql::Select select,
                            BuildKeysetBatch(state, last_key.empty() ? nullptr : &last_key, want));
    batch.Clear();
    DUO_CO_RETURN_IF_ERROR(co_await ReadInto(exec, database, state, select, batch));
    if (batch.size() == 0) break;
    const int64_t read = static_cast<int64_t>(batch.size());
    last_key = meta.KeyOf(batch.at(batch.size() - 1));
    DUO_CO_RETURN_IF_ERROR(co_await Finish(exec, state, database, batch));
    DUO_CO_RETURN_IF_ERROR(co_await each(exec));
    if (remaining) *remaining -= read;
    if (read < want) break;
  }
  co_return absl::OkStatus();
}

Task<absl::Status> RunIterate(const QueryState& state, int64_t batch_size, Exec exec,
                              ObjectList& batch, absl::FunctionRef<absl::Status()> each) {
  co_return co_await RunIterate(state, batch_size, exec, batch,
                                [&each](Exec) -> Task<absl::Status> { co_return each(); });
}

Task<absl::StatusOr<int64_t>> RunUpdateBulk(const QueryState& state, const ModelHooks& hooks,
                                            const Payload& requested, const BulkOptions& options,
                                            Exec exec) {
  DUO_CO_RETURN_IF_ERROR(CheckBulkFilter(state, "UpdateBulk", options));
  DUO_CO_RETURN_IF_ERROR(CheckPayload(*state.meta, requested));
  Payload changes = requested;  // BeforeBulkUpdate may change it
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  const ModelMeta& meta = *state.meta;
  int64_t affected = 0;
  // Per-row hooks: load a batch, run each row's BeforeUpdate (which may
  // change the row or veto), write the batch, run AfterUpdate on the rows
  // as stored.
  std::unique_ptr<ObjectList> batch = meta.NewList();
  std::shared_ptr<void> before = meta.NewObject();
  auto update_batch = [&](Exec mode) -> Task<absl::Status> {
    std::vector<std::vector<sql::Value>> keys;
    for (size_t row = 0; row < batch->size(); ++row) {
      void* object = batch->at(row);
      meta.CopyObject(before.get(), object);
      DUO_CO_RETURN_IF_ERROR(ApplyPayloadValues(meta, object, changes));
      DUO_CO_RETURN_IF_ERROR(CallValidate(meta, hooks, object));
      DUO_CO_RETURN_IF_ERROR(Call(hooks.before_update, object));
      keys.push_back(meta.KeyOf(before.get()));
      // Columns a hook changed beyond the payload are written per row.
      std::vector<int> extra;
      for (size_t i = 0; i < meta.columns().size(); ++i) {
        const ColumnMeta& column = meta.columns()[i];
        bool in_payload = false;
        for (const sql::Assignment& a : changes) in_payload = in_payload || a.column == column.name;
        if (!in_payload && !column.version && !column.accessor->Equal(object, before.get())) {
          extra.push_back(static_cast<int>(i));
        }
      }
      if (!extra.empty()) {
        const sql::Update by_key = BuildUpdateByKey(meta, extra, object, /*returning=*/false);
        absl::StatusOr<Result> written = co_await Execute(mode, database, by_key);
        DUO_CO_RETURN_IF_ERROR(written.status());
      }
    }
    sql::Update update = sql::Update(meta.table()).Set(changes).Where(KeysIn(meta, keys));
    DUO_CO_ASSIGN_OR_RETURN(Result result, co_await Execute(mode, database, update));
    affected += result.rows_affected();
    std::unique_ptr<ObjectList> stored = meta.NewList();
    DUO_CO_RETURN_IF_ERROR(co_await ReadObjects(
        mode, database, nullptr, meta,
        sql::Select(meta.table().Columns()).From(meta.table()).Where(KeysIn(meta, keys)),
        [&stored]() -> void* { return stored->Add(); }));
    for (size_t row = 0; row < stored->size(); ++row) {
      PutIdentity(database, meta, stored->at(row));
      DUO_CO_RETURN_IF_ERROR(Call(hooks.after_update, stored->at(row)));
    }
    co_return absl::OkStatus();
  };
  absl::Status status = co_await InTransaction(exec, database, [&]() -> Task<absl::Status> {
    // The bulk hooks run around the operation in both modes: the set-based
    // statement is what they exist for, as it runs no per-row hooks.
    if (hooks.before_bulk_update != nullptr) {
      DUO_CO_RETURN_IF_ERROR(hooks.before_bulk_update(state, changes));
      DUO_CO_RETURN_IF_ERROR(CheckPayload(meta, changes));
    }
    // UpdatedAt columns follow the rule of every write that updates rows,
    // unless the payload sets them itself.
    StampPayload(meta, changes);
    // So does the version: every row updated moves on, and copies loaded
    // before the update become stale (unless the payload sets it itself).
    BumpVersion(meta, changes);
    if (!options.with_hooks) {
      DUO_CO_ASSIGN_OR_RETURN(sql::Update update, BuildBulkUpdate(state, changes));
      DUO_CO_ASSIGN_OR_RETURN(Result result, co_await Execute(exec, database, update));
      affected = result.rows_affected();
    } else {
      DUO_CO_ASSIGN_OR_RETURN(QueryState target, co_await RunBulkTarget(state, database, exec));
      DUO_CO_RETURN_IF_ERROR(
          co_await RunIterate(target, options.batch_size, exec, *batch, update_batch));
    }
    if (hooks.after_bulk_update != nullptr) {
      DUO_CO_RETURN_IF_ERROR(hooks.after_bulk_update(state, changes, affected));
    }
    co_return absl::OkStatus();
  });
  if (!status.ok()) co_return status;
  if (Session* session = database.CurrentSession()) session->identity_map().Clear();
  co_return affected;
}

Task<absl::StatusOr<int64_t>> RunDeleteBulk(const QueryState& state, const ModelHooks& hooks,
                                            const BulkOptions& options, Exec exec) {
  DUO_CO_RETURN_IF_ERROR(CheckBulkFilter(state, "DeleteBulk", options));
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(state));
  const ModelMeta& meta = *state.meta;
  int64_t affected = 0;
  absl::Status status = co_await InTransaction(exec, database, [&]() -> Task<absl::Status> {
    // As in UpdateBulk, the bulk hooks run in both modes.
    if (hooks.before_bulk_delete != nullptr)
      DUO_CO_RETURN_IF_ERROR(hooks.before_bulk_delete(state));
    if (!options.with_hooks) {
      DUO_CO_ASSIGN_OR_RETURN(sql::Delete del, BuildBulkDelete(state));
      DUO_CO_ASSIGN_OR_RETURN(Result result, co_await Execute(exec, database, del));
      affected = result.rows_affected();
    } else {
      // Deleted rows leave the filter, so every batch is the query's first.
      DUO_CO_ASSIGN_OR_RETURN(QueryState first_batches,
                              co_await RunBulkTarget(state, database, exec));
      while (true) {
        std::unique_ptr<ObjectList> batch = meta.NewList();
        DUO_CO_ASSIGN_OR_RETURN(sql::Select select,
                                BuildKeysetBatch(first_batches, nullptr, options.batch_size));
        DUO_CO_RETURN_IF_ERROR(co_await ReadInto(exec, database, state, select, *batch));
        if (batch->size() == 0) break;
        std::vector<std::vector<sql::Value>> keys;
        for (size_t row = 0; row < batch->size(); ++row) {
          DUO_CO_RETURN_IF_ERROR(Call(hooks.before_delete, batch->at(row)));
          keys.push_back(meta.KeyOf(batch->at(row)));
        }
        DUO_CO_ASSIGN_OR_RETURN(
            Result result,
            co_await Execute(exec, database, sql::Delete(meta.table()).Where(KeysIn(meta, keys))));
        affected += result.rows_affected();
        for (size_t row = 0; row < batch->size(); ++row) {
          DUO_CO_RETURN_IF_ERROR(Call(hooks.after_delete, batch->at(row)));
        }
        if (static_cast<int64_t>(batch->size()) < options.batch_size) break;
      }
    }
    if (hooks.after_bulk_delete != nullptr) {
      DUO_CO_RETURN_IF_ERROR(hooks.after_bulk_delete(state, affected));
    }
    co_return absl::OkStatus();
  });
  if (!status.ok()) co_return status;
  if (Session* session = database.CurrentSession()) session->identity_map().Clear();
  co_return affected;
}

Task<absl::Status> RunCreate(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                             WriteOptions options, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(meta));
  if (options.relations == Relations::kIgnore) {
    co_return co_await InsertRow(exec, database, meta, hooks, object);
  }
  if (!HasRelatedWrites(meta, object)) {
    DUO_CO_RETURN_IF_ERROR(co_await InsertRow(exec, database, meta, hooks, object));
    // A new row's (empty) collections are all the database holds.
    MarkCollectionsLoaded(meta, object);
    co_return absl::OkStatus();
  }
  co_return co_await InTransaction(exec, database, [&]() -> Task<absl::Status> {
    co_return co_await WriteGraph(exec, database, meta, hooks, object, /*create=*/true);
  });
}

Task<absl::Status> RunSave(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                           WriteOptions options, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(meta));
  // A failed Save leaves the object as it was: its version, generated keys
  // and timestamps would otherwise describe rows that were rolled back.
  const std::shared_ptr<void> before = meta.NewObject();
  meta.CopyObject(before.get(), object);
  absl::Status status;
  if (options.relations == Relations::kIgnore || !HasRelatedWrites(meta, object)) {
    bool inserted = false;
    status = co_await SaveRow(exec, database, meta, hooks, object, &inserted);
    if (status.ok() && inserted && options.relations != Relations::kIgnore) {
      MarkCollectionsLoaded(meta, object);
    }
  } else {
    status = co_await InTransaction(exec, database, [&]() -> Task<absl::Status> {
      co_return co_await WriteGraph(exec, database, meta, hooks, object, /*create=*/false);
    });
  }
  if (!status.ok()) meta.CopyObject(object, before.get());
  co_return status;
}

Task<absl::Status> RunDelete(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                             WriteOptions options, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(meta));
  if (options.relations == Relations::kWrite && HasDeleteCascades(meta)) {
    co_return co_await InTransaction(exec, database, [&]() -> Task<absl::Status> {
      co_return co_await DeleteGraph(exec, database, meta, hooks, object);
    });
  }
  DUO_CO_RETURN_IF_ERROR(Call(hooks.before_delete, object));
  co_return co_await Atomically(
      exec, database, hooks,
      [&]() -> Task<absl::Status> {
        co_return co_await DeleteStatement(exec, database, meta, hooks, object);
      },
      /*reads_back=*/false);
}

Task<absl::Status> RunRefresh(const ModelMeta& meta, void* object, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(meta));
  const std::vector<sql::Value> key = meta.KeyOf(object);
  ForgetIdentity(database, meta, key);
  std::unique_ptr<ObjectList> fresh = meta.NewList();
  DUO_CO_RETURN_IF_ERROR(co_await RunFirst(KeyQuery(meta, database, key), exec, *fresh));
  if (fresh->size() == 0) co_return ObjectNotFound(meta, "with this primary key to refresh");
  for (const ColumnMeta& column : meta.columns()) {
    DUO_CO_RETURN_IF_ERROR(
        column.accessor->Set(object, column.accessor->Get(fresh->at(0)), column.name));
  }
  co_return absl::OkStatus();
}

Task<absl::Status> RunCreateBulk(const ModelMeta& meta, const ModelHooks& hooks,
                                 ObjectList& objects, const CreateBulkOptions& options, Exec exec) {
  DUO_CO_ASSIGN_OR_RETURN(Database database, DatabaseOf(meta));
  if (objects.size() == 0) co_return absl::OkStatus();
  for (size_t i = 0; i < objects.size(); ++i) {
    DUO_CO_RETURN_IF_ERROR(CheckRelatedObjects(meta, objects.at(i), /*inserting=*/true));
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    void* object = objects.at(i);
    if (meta.version_column() >= 0) SetVersion(meta, object, 1);
    StampTimes(meta, object, /*inserting=*/true);
    if (options.with_hooks) {
      DUO_CO_RETURN_IF_ERROR(CallValidate(meta, hooks, object));
      DUO_CO_RETURN_IF_ERROR(Call(hooks.before_create, object));
    }
    DUO_CO_RETURN_IF_ERROR(CheckWritable(meta, object, nullptr, database.dialect()));
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
    std::vector<int> columns = InsertColumns(meta, objects.at(start));
    const int64_t per_statement = RowsPerInsert(database, columns.size(), options.batch_size);
    size_t end = start + 1;
    while (end < objects.size() && static_cast<int64_t>(end - start) < per_statement &&
           InsertColumns(meta, objects.at(end)) == columns) {
      ++end;
    }
    chunks.push_back({std::move(columns), start, end});
    start = end;
  }
  const auto rows_of = [&](const Chunk& chunk) {
    std::vector<const void*> rows;
    rows.reserve(chunk.end - chunk.start);
    for (size_t i = chunk.start; i < chunk.end; ++i) rows.push_back(objects.at(i));
    return rows;
  };
  // What the rows read back hold, not what was sent, is what was stored:
  // decimals are read back and checked even when the caller wants no rows.
  std::vector<std::vector<std::pair<int, sql::Value>>> decimals(objects.size());
  bool has_decimals = false;
  for (size_t i = 0; i < objects.size(); ++i) {
    decimals[i] = DecimalsWritten(meta, objects.at(i));
    has_decimals = has_decimals || !decimals[i].empty();
  }
  const bool returning = options.return_models || has_decimals;
  const auto read_back = [&](size_t index, auto hydrate) -> absl::Status {
    DUO_RETURN_IF_ERROR(hydrate(objects.at(index)));
    return CheckDecimalsStored(meta, decimals[index], objects.at(index));
  };
  co_return co_await InTransaction(exec, database, [&]() -> Task<absl::Status> {
    if (exec == Exec::kSync) {
      // Each chunk is compiled as it is sent: its values are copied once,
      // into its parameters, and the SQL of a chunk size is built once.
      for (const Chunk& chunk : chunks) {
        DUO_CO_ASSIGN_OR_RETURN(
            const dialect::CompiledStatement insert,
            CompileInsert(database, meta, chunk.columns, rows_of(chunk), returning));
        // Rows come back in VALUES order from a single multi-row INSERT.
        size_t at = chunk.start;
        DUO_CO_RETURN_IF_ERROR(
            co_await Read(exec, database, insert, [&](engine::Cursor& cursor) -> absl::Status {
              while (true) {
                DUO_ASSIGN_OR_RETURN(const bool row, cursor.Next());
                if (!row) return absl::OkStatus();
                if (at == chunk.end) {
                  return absl::InternalError(
                      "INSERT ... RETURNING returned more rows than inserted");
                }
                DUO_RETURN_IF_ERROR(read_back(
                    at++, [&](void* object) { return HydrateRow(nullptr, meta, cursor, object); }));
              }
            }));
        if (returning && at != chunk.end) {
          co_return absl::InternalError("INSERT ... RETURNING returned fewer rows than inserted");
        }
      }
    } else {
      std::vector<sql::Statement> inserts;
      std::vector<size_t> first_row;
      for (const Chunk& chunk : chunks) {
        inserts.push_back(BuildInsert(meta, chunk.columns, rows_of(chunk), returning));
        first_row.push_back(chunk.start);
      }
      first_row.push_back(objects.size());
      // One batch: pipelined on PostgreSQL, a single worker call on SQLite.
      DUO_CO_ASSIGN_OR_RETURN(std::vector<Result> results,
                              co_await database.ExecuteBatchAsync(inserts));
      for (size_t i = 0; i < results.size() && returning; ++i) {
        const size_t expected = first_row[i + 1] - first_row[i];
        if (results[i].size() != expected) {
          co_return absl::InternalError("INSERT ... RETURNING returned fewer rows than inserted");
        }
        for (size_t row = 0; row < expected; ++row) {
          DUO_CO_RETURN_IF_ERROR(read_back(first_row[i] + row, [&](void* object) {
            return HydrateResultRow(meta, results[i], row, object);
          }));
        }
      }
    }
    if (options.with_hooks && hooks.after_create != nullptr) {
      for (size_t i = 0; i < objects.size(); ++i) {
        DUO_CO_RETURN_IF_ERROR(hooks.after_create(objects.at(i)));
      }
    }
    co_return absl::OkStatus();
  });
}

absl::Status ReadResult(const ModelMeta& meta, const Result& result, ObjectList& out) {
  DUO_RETURN_IF_ERROR(meta.declaration_status());
  std::vector<int> source(meta.columns().size(), -1);
  for (size_t i = 0; i < meta.columns().size(); ++i) {
    absl::StatusOr<int> index = result.ColumnIndex(meta.columns()[i].name);
    if (!index.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the result cannot be read as ", meta.model_name(), ": it has no column \"",
                       meta.columns()[i].name, "\"; read it with Result::Get instead"));
    }
    source[i] = *index;
  }
  out.Reserve(out.size() + result.size());
  for (size_t row = 0; row < result.size(); ++row) {
    void* object = out.Add();
    for (size_t i = 0; i < meta.columns().size(); ++i) {
      const ColumnMeta& column = meta.columns()[i];
      DUO_RETURN_IF_ERROR(column.accessor->Set(object, result.row(row)[source[i]], column.name));
    }
  }
  return absl::OkStatus();
}

}  // namespace duo::query_internal
