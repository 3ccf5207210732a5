// Related writes: Create and Save of an object graph, and the cascades of
// Delete (see writes.h). The single-row writes they are made of are in
// operations.cc.

#include "duo/query/internal/writes.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/base/status_macros.h"
#include "duo/engine/error.h"
#include "duo/session/identity_map.h"
#include "duo/sql/select.h"

namespace duo::query_internal {
namespace {

using model_internal::ObjectList;

bool IsVersioned(const ModelMeta& meta) { return meta.version_column() >= 0; }

bool HasGeneratedKey(const ModelMeta& meta) {
  for (int index : meta.primary_key()) {
    if (meta.columns()[index].server_generated) return true;
  }
  return false;
}

// `status` with `context` before its message; code and payloads (the
// error kind, the SQL) kept, so that callers branch on it as before.
absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status annotated(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&annotated](absl::string_view url, const absl::Cord& payload) {
    annotated.SetPayload(url, payload);
  });
  return annotated;
}

// "key 7" or "key (1, 2)", for messages.
std::string KeyText(const ModelMeta& meta, const void* object) {
  const std::vector<sql::Value> key = meta.KeyOf(object);
  if (key.size() == 1) return absl::StrCat("key ", key[0].DebugString());
  return absl::StrCat("key (",
                      absl::StrJoin(key, ", ",
                                    [](std::string* out, const sql::Value& value) {
                                      out->append(value.DebugString());
                                    }),
                      ")");
}

// The rows' keys in ModelMeta::loaded_keys's flat form, one per row.
std::vector<std::vector<sql::Value>> SplitKeys(const ModelMeta& target,
                                               const std::vector<sql::Value>& flat) {
  const size_t width = target.primary_key().size();
  std::vector<std::vector<sql::Value>> keys;
  for (size_t at = 0; at + width <= flat.size(); at += width) {
    keys.emplace_back(flat.begin() + at, flat.begin() + at + width);
  }
  return keys;
}

std::vector<sql::Value> JoinKeys(const std::vector<std::vector<sql::Value>>& keys) {
  std::vector<sql::Value> flat;
  for (const std::vector<sql::Value>& key : keys) flat.insert(flat.end(), key.begin(), key.end());
  return flat;
}

// Whether `other`, a relationship of the model reached through `via` (a
// relationship of `from`), leads back along the same foreign key: a
// customer's orders seen from one of them through order.customer, an
// employee's manager seen from one of the manager's reports, a
// many-to-many's mirror. Writing it would write the object we came from
// (as a copy) a second time; it is skipped.
bool IsInverse(const ModelMeta& from, const RelationMeta& via, const RelationMeta& other) {
  if (&other.target() != &from) return false;
  switch (via.kind) {
    case RelationKind::kBelongsTo:
      return (other.kind == RelationKind::kHasMany || other.kind == RelationKind::kHasOne) &&
             other.remote_column == via.local_column;
    case RelationKind::kHasMany:
    case RelationKind::kHasOne:
      return other.kind == RelationKind::kBelongsTo && other.local_column == via.remote_column;
    case RelationKind::kManyToMany:
      return other.kind == RelationKind::kManyToMany && other.through_table == via.through_table &&
             other.through_local == via.through_remote && other.through_remote == via.through_local;
  }
  return false;
}

// Walks one Create, Save or Delete through the object graph. Lives for one
// call, in its transaction.
class GraphWriter {
 public:
  GraphWriter(Exec exec, const Database& database) : exec_(exec), database_(database) {}

  enum class Mode : uint8_t {
    kCreate,   // the root of Create: always inserted
    kSave,     // the root of Save: inserted or updated
    kRelated,  // reached through a relationship: inserted when new, else
               // updated only for the keys that link it
  };
  // The relationship an object was reached through, from a row of `from`.
  struct Edge {
    const ModelMeta* from;
    const RelationMeta* via;
  };
  // The foreign key a parent sets on its child before the child is written.
  struct Link {
    const ColumnMeta* column;
    sql::Value value;
  };

  Task<absl::Status> Write(const ModelMeta& meta, const ModelHooks& hooks, void* object, Mode mode,
                           const Edge* edge, const Link* link, std::string path);
  Task<absl::Status> Delete(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                            std::string path);

 private:
  Task<absl::Status> WriteParents(const ModelMeta& meta, void* object, const Edge* edge,
                                  const std::string& path);
  Task<absl::Status> WriteChildren(const ModelMeta& meta, void* object, const Edge* edge,
                                   bool inserted, const std::string& path);
  Task<absl::Status> WriteAssociations(const ModelMeta& meta, void* object, const Edge* edge,
                                       bool inserted, const std::string& path);
  // The rows of `meta` whose `column` equals `value` (and where `also`
  // holds, unless empty), in key order.
  Task<absl::Status> LoadWhere(const ModelMeta& meta, const std::string& column,
                               const sql::Value& value, const sql::Expr& also, ObjectList& out);
  Task<absl::Status> LoadWhere(const ModelMeta& meta, const std::string& column,
                               const sql::Value& value, ObjectList& out) {
    co_return co_await LoadWhere(meta, column, value, sql::Expr(), out);
  }
  // Sets `column` of the stored `object` to NULL and updates its row.
  Task<absl::Status> SetNull(const ModelMeta& meta, void* object, const std::string& column);
  Task<absl::StatusOr<bool>> RowExists(const ModelMeta& meta, const void* object);

  const Exec exec_;
  const Database& database_;
  // Stored rows this call has written or deleted: each is visited once,
  // whatever copies of it the graph holds, and rows that refer to each
  // other in the database cannot make a cascade go round forever.
  absl::flat_hash_set<IdentityMap::Key> written_;
  absl::flat_hash_set<IdentityMap::Key> deleted_;
};

Task<absl::Status> GraphWriter::Write(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                                      Mode mode, const Edge* edge, const Link* link,
                                      std::string path) {
  DUO_CO_RETURN_IF_ERROR(meta.relations_status());
  const bool known_new = mode == Mode::kCreate || IsNewObject(meta, object);
  // A related object already stored is written only when linking it
  // changes one of its columns: what else differs from its row is saved
  // by saving it (a copy loaded earlier must not overwrite newer data).
  std::vector<sql::Value> before;
  if (mode == Mode::kRelated && !known_new) {
    if (written_.contains(IdentityMap::Key{&meta, meta.KeyOf(object)})) {
      co_return absl::OkStatus();
    }
    before.reserve(meta.columns().size());
    for (const ColumnMeta& column : meta.columns()) before.push_back(column.accessor->Get(object));
  }
  if (link != nullptr) {
    DUO_CO_RETURN_IF_ERROR(link->column->accessor->Set(object, link->value, link->column->name));
  }
  DUO_CO_RETURN_IF_ERROR(co_await WriteParents(meta, object, edge, path));

  bool inserted = false;
  absl::Status row;
  switch (mode) {
    case Mode::kCreate:
      inserted = true;
      row = co_await InsertRow(exec_, database_, meta, hooks, object);
      break;
    case Mode::kSave:
      row = co_await SaveRow(exec_, database_, meta, hooks, object, &inserted);
      break;
    case Mode::kRelated: {
      bool is_new = known_new;
      if (!is_new && !IsVersioned(meta) && !HasGeneratedKey(meta)) {
        // A key of its own (no generated key): only the database knows.
        DUO_CO_ASSIGN_OR_RETURN(const bool exists, co_await RowExists(meta, object));
        is_new = !exists;
      }
      if (is_new) {
        inserted = true;
        row = co_await InsertRow(exec_, database_, meta, hooks, object);
        break;
      }
      bool changed = false;
      for (size_t i = 0; i < meta.columns().size() && !changed; ++i) {
        changed = !(meta.columns()[i].accessor->Get(object) == before[i]);
      }
      if (!changed) break;
      const std::shared_ptr<void> loaded = meta.NewObject();
      for (size_t i = 0; i < meta.columns().size(); ++i) {
        const ColumnMeta& column = meta.columns()[i];
        DUO_CO_RETURN_IF_ERROR(column.accessor->Set(loaded.get(), before[i], column.name));
      }
      row = co_await UpdateRow(exec_, database_, meta, hooks, object, loaded.get());
      break;
    }
  }
  if (!row.ok()) {
    if (edge == nullptr) co_return row;
    co_return Annotate(row, absl::StrCat("writing ", path, " (", meta.model_name(), ", table \"",
                                         meta.table().name(), "\")"));
  }
  written_.insert(IdentityMap::Key{&meta, meta.KeyOf(object)});

  DUO_CO_RETURN_IF_ERROR(co_await WriteChildren(meta, object, edge, inserted, path));
  DUO_CO_RETURN_IF_ERROR(co_await WriteAssociations(meta, object, edge, inserted, path));
  co_return absl::OkStatus();
}

Task<absl::Status> GraphWriter::WriteParents(const ModelMeta& meta, void* object, const Edge* edge,
                                             const std::string& path) {
  for (const RelationMeta& relation : meta.relations()) {
    if (relation.kind != RelationKind::kBelongsTo) continue;
    if (relation.accessor->Count(object) == 0) continue;
    if (edge != nullptr && IsInverse(*edge->from, *edge->via, relation)) continue;
    const ModelMeta& target = relation.target();
    void* parent = relation.accessor->At(object, 0);
    const Edge next{&meta, &relation};
    std::string parent_path = absl::StrCat(path, ".", relation.name);
    DUO_CO_RETURN_IF_ERROR(co_await Write(target, HooksOf(target), parent, Mode::kRelated, &next,
                                          nullptr, std::move(parent_path)));
    // The parent's key goes into the foreign key, unless that column
    // already names another row: then which one is meant is unclear.
    const ColumnMeta* local = meta.FindColumn(relation.local_column);
    const ColumnMeta* remote = target.FindColumn(relation.remote_column);
    const sql::Value key = remote->accessor->Get(parent);
    const sql::Value held = local->accessor->Get(object);
    if (local->accessor->IsZero(object) || held.is_null()) {
      DUO_CO_RETURN_IF_ERROR(local->accessor->Set(object, key, local->name));
    } else if (!(held == key)) {
      co_return absl::InvalidArgumentError(absl::StrCat(
          path, ".", relation.name, " holds the ", target.model_name(), " with ",
          relation.remote_column, " ", key.DebugString(), " but ", meta.model_name(), ".",
          local->name, " is ", held.DebugString(), " (table \"", meta.table().name(), "\"); set ",
          local->name, " to the one you mean, or reset ", relation.name,
          " (a foreign key that names another row is not overwritten)"));
    }
  }
  co_return absl::OkStatus();
}

Task<absl::Status> GraphWriter::WriteChildren(const ModelMeta& meta, void* object, const Edge* edge,
                                              bool inserted, const std::string& path) {
  const std::vector<RelationMeta>& relations = meta.relations();
  for (size_t index = 0; index < relations.size(); ++index) {
    const RelationMeta& relation = relations[index];
    if (relation.kind != RelationKind::kHasMany && relation.kind != RelationKind::kHasOne) continue;
    if (edge != nullptr && IsInverse(*edge->from, *edge->via, relation)) continue;
    const ModelMeta& target = relation.target();
    const size_t count = relation.accessor->Count(object);
    // The rows the member held when it was loaded or last written and no
    // longer holds. Rows it never held (never loaded, or added by another
    // writer since) are not the caller's to remove.
    const std::vector<sql::Value>* recorded = inserted ? nullptr : meta.loaded_keys(object, index);
    std::vector<std::vector<sql::Value>> removed;
    if (recorded != nullptr && relation.orphans != Orphans::kLeave) {
      absl::flat_hash_set<std::vector<sql::Value>> held;
      for (size_t i = 0; i < count; ++i) {
        held.insert(target.KeyOf(relation.accessor->At(object, i)));
      }
      for (std::vector<sql::Value>& key : SplitKeys(target, *recorded)) {
        if (!held.contains(key)) removed.push_back(std::move(key));
      }
    }
    if (count == 0 && removed.empty()) {
      if (inserted || recorded != nullptr) meta.set_loaded_keys(object, index, {});
      continue;
    }
    const ColumnMeta* remote = target.FindColumn(relation.remote_column);
    const sql::Value key = meta.FindColumn(relation.local_column)->accessor->Get(object);
    const std::string where = absl::StrCat(path, ".", relation.name);

    // Removed children go first: a has-one's replacement must not meet its
    // predecessor (a unique foreign key). Only rows that still belong to
    // this one are touched.
    if (!removed.empty()) {
      std::unique_ptr<ObjectList> rows = target.NewList();
      DUO_CO_RETURN_IF_ERROR(
          co_await LoadWhere(target, relation.remote_column, key, KeysIn(target, removed), *rows));
      for (size_t i = 0; i < rows->size(); ++i) {
        void* orphan = rows->at(i);
        absl::Status done;
        if (relation.orphans == Orphans::kDelete) {
          done = co_await Delete(target, HooksOf(target), orphan, where);
        } else {
          done = co_await SetNull(target, orphan, relation.remote_column);
        }
        if (!done.ok()) {
          const char* how = relation.orphans == Orphans::kDelete ? "kDelete" : "kSetNull";
          co_return Annotate(
              done, absl::StrCat("removing ", target.model_name(), " ", KeyText(target, orphan),
                                 " from ", where, " (orphans = ", how, ")"));
        }
      }
    }

    const Edge next{&meta, &relation};
    const Link link{remote, key};
    std::vector<std::vector<sql::Value>> held;
    for (size_t i = 0; i < count; ++i) {
      std::string child_path = where;
      if (relation.to_many()) absl::StrAppend(&child_path, "[", i, "]");
      void* child = relation.accessor->At(object, i);
      DUO_CO_RETURN_IF_ERROR(co_await Write(target, HooksOf(target), child, Mode::kRelated, &next,
                                            &link, std::move(child_path)));
      held.push_back(target.KeyOf(child));
    }
    if (inserted || recorded != nullptr) {
      meta.set_loaded_keys(object, index, JoinKeys(held));
    }
  }
  co_return absl::OkStatus();
}

Task<absl::Status> GraphWriter::WriteAssociations(const ModelMeta& meta, void* object,
                                                  const Edge* edge, bool inserted,
                                                  const std::string& path) {
  const std::vector<RelationMeta>& relations = meta.relations();
  for (size_t index = 0; index < relations.size(); ++index) {
    const RelationMeta& relation = relations[index];
    if (relation.kind != RelationKind::kManyToMany) continue;
    if (edge != nullptr && IsInverse(*edge->from, *edge->via, relation)) continue;
    const size_t count = relation.accessor->Count(object);
    const std::vector<sql::Value>* flat_recorded =
        inserted ? nullptr : meta.loaded_keys(object, index);
    if (count == 0 && (flat_recorded == nullptr || flat_recorded->empty())) {
      if (inserted || flat_recorded != nullptr) meta.set_loaded_keys(object, index, {});
      continue;
    }
    const ModelMeta& target = relation.target();
    const ModelMeta& through = relation.through();
    std::optional<std::vector<std::vector<sql::Value>>> recorded;
    if (flat_recorded != nullptr) recorded = SplitKeys(target, *flat_recorded);
    const std::string where = absl::StrCat(path, ".", relation.name);
    const Edge next{&meta, &relation};

    // The objects first: a new one gets its key.
    std::vector<std::vector<sql::Value>> wanted;
    for (size_t i = 0; i < count; ++i) {
      void* related = relation.accessor->At(object, i);
      std::string related_path = absl::StrCat(where, "[", i, "]");
      DUO_CO_RETURN_IF_ERROR(co_await Write(target, HooksOf(target), related, Mode::kRelated, &next,
                                            nullptr, std::move(related_path)));
      std::vector<sql::Value> key = target.KeyOf(related);
      if (std::find(wanted.begin(), wanted.end(), key) == wanted.end()) {
        wanted.push_back(std::move(key));
      }
    }

    // Then the association rows: those of objects the member held and no
    // longer holds deleted (the objects stay), the missing ones inserted.
    // Links made by another writer since the member was loaded stay.
    std::vector<sql::Value> removed;
    std::vector<sql::Value> added;
    if (recorded) {
      for (const std::vector<sql::Value>& key : *recorded) {
        if (std::find(wanted.begin(), wanted.end(), key) == wanted.end()) {
          removed.push_back(key[0]);
        }
      }
    }
    for (const std::vector<sql::Value>& key : wanted) {
      if (!recorded || std::find(recorded->begin(), recorded->end(), key) == recorded->end()) {
        added.push_back(key[0]);
      }
    }
    const sql::Value local = meta.FindColumn(relation.local_column)->accessor->Get(object);
    const ColumnMeta* link_local = through.FindColumn(relation.through_local);
    const ColumnMeta* link_remote = through.FindColumn(relation.through_remote);
    std::vector<sql::Value> linked;  // of `added`, those linked already
    if (!inserted && (!removed.empty() || !added.empty())) {
      std::vector<sql::Value> either = removed;
      either.insert(either.end(), added.begin(), added.end());
      std::unique_ptr<ObjectList> links = through.NewList();
      DUO_CO_RETURN_IF_ERROR(co_await LoadWhere(
          through, relation.through_local, local,
          sql::In(ColumnOf(through.table().name(), *link_remote), either), *links));
      for (size_t i = 0; i < links->size(); ++i) {
        void* link = links->at(i);
        sql::Value to = link_remote->accessor->Get(link);
        if (std::find(removed.begin(), removed.end(), to) == removed.end()) {
          linked.push_back(std::move(to));
          continue;
        }
        const absl::Status unlinked = co_await Delete(through, HooksOf(through), link, where);
        if (!unlinked.ok()) {
          co_return Annotate(
              unlinked, absl::StrCat("unlinking ", target.model_name(), " ", to.DebugString(),
                                     " from ", where, " (table \"", through.table().name(), "\")"));
        }
      }
    }
    const ModelHooks link_hooks = HooksOf(through);
    for (const sql::Value& to : added) {
      if (std::find(linked.begin(), linked.end(), to) != linked.end()) continue;
      const std::shared_ptr<void> link = through.NewObject();
      DUO_CO_RETURN_IF_ERROR(link_local->accessor->Set(link.get(), local, link_local->name));
      DUO_CO_RETURN_IF_ERROR(link_remote->accessor->Set(link.get(), to, link_remote->name));
      const absl::Status linked_now =
          co_await InsertRow(exec_, database_, through, link_hooks, link.get());
      if (!linked_now.ok()) {
        co_return Annotate(
            linked_now, absl::StrCat("linking ", target.model_name(), " ", to.DebugString(), " to ",
                                     where, " (table \"", through.table().name(), "\")"));
      }
    }
    if (inserted || recorded) meta.set_loaded_keys(object, index, JoinKeys(wanted));
  }
  co_return absl::OkStatus();
}

Task<absl::Status> GraphWriter::Delete(const ModelMeta& meta, const ModelHooks& hooks, void* object,
                                       std::string path) {
  DUO_CO_RETURN_IF_ERROR(meta.relations_status());
  // A row reached again (rows whose keys point at each other) is being
  // deleted already.
  if (!deleted_.insert(IdentityMap::Key{&meta, meta.KeyOf(object)}).second) {
    co_return absl::OkStatus();
  }
  if (hooks.before_delete != nullptr) DUO_CO_RETURN_IF_ERROR(hooks.before_delete(object));
  for (const RelationMeta& relation : meta.relations()) {
    if (relation.kind == RelationKind::kBelongsTo) continue;
    if (relation.on_delete == sql::ReferentialAction::kNoAction) continue;
    const sql::Value key = meta.FindColumn(relation.local_column)->accessor->Get(object);
    const bool links = relation.kind == RelationKind::kManyToMany;
    const ModelMeta& rows_meta = links ? relation.through() : relation.target();
    const std::string& column = links ? relation.through_local : relation.remote_column;
    std::unique_ptr<ObjectList> rows = rows_meta.NewList();
    DUO_CO_RETURN_IF_ERROR(co_await LoadWhere(rows_meta, column, key, *rows));
    const std::string where = absl::StrCat(path, ".", relation.name);
    if (relation.on_delete == sql::ReferentialAction::kRestrict && rows->size() > 0) {
      co_return absl::FailedPreconditionError(
          absl::StrCat("cannot delete ", meta.model_name(), " ", KeyText(meta, object),
                       " (table \"", meta.table().name(), "\"): ", rows->size(), " row(s) of \"",
                       rows_meta.table().name(), "\" refer to it through ", meta.model_name(), ".",
                       relation.name, ", which declares on_delete = kRestrict"));
    }
    for (size_t i = 0; i < rows->size(); ++i) {
      void* related = rows->at(i);
      absl::Status done;
      const char* action = "deleting ";
      if (relation.on_delete == sql::ReferentialAction::kCascade) {
        done = co_await Delete(rows_meta, HooksOf(rows_meta), related, where);
      } else if (relation.on_delete == sql::ReferentialAction::kSetNull) {
        action = "clearing ";
        done = co_await SetNull(rows_meta, related, relation.remote_column);
      }
      if (!done.ok()) {
        co_return Annotate(
            done, absl::StrCat("deleting ", path, " ", KeyText(meta, object), ": ", action,
                               rows_meta.model_name(), " ", KeyText(rows_meta, related), " of ",
                               meta.model_name(), ".", relation.name));
      }
    }
  }
  co_return co_await DeleteStatement(exec_, database_, meta, hooks, object);
}

Task<absl::Status> GraphWriter::LoadWhere(const ModelMeta& meta, const std::string& column,
                                          const sql::Value& value, const sql::Expr& also,
                                          ObjectList& out) {
  if (value.is_null()) co_return absl::OkStatus();
  const std::string& table = meta.table().name();
  std::vector<sql::Expr> columns;
  columns.reserve(meta.columns().size());
  for (const ColumnMeta& c : meta.columns()) columns.push_back(ColumnOf(table, c));
  std::vector<sql::OrderTerm> order;
  for (int index : meta.primary_key()) order.emplace_back(ColumnOf(table, meta.columns()[index]));
  sql::Select select = sql::Select(std::move(columns))
                           .From(meta.table())
                           .Where(ColumnOf(table, *meta.FindColumn(column)) == sql::Param(value));
  if (!also.empty()) select = std::move(select).Where(also);
  select = std::move(select).OrderBy(std::move(order));
  co_return co_await ReadObjects(exec_, database_, nullptr, meta, select,
                                 [&out]() -> void* { return out.Add(); });
}

Task<absl::Status> GraphWriter::SetNull(const ModelMeta& meta, void* object,
                                        const std::string& column) {
  const std::shared_ptr<void> loaded = meta.NewObject();
  meta.CopyObject(loaded.get(), object);
  const ColumnMeta* target = meta.FindColumn(column);
  DUO_CO_RETURN_IF_ERROR(target->accessor->Set(object, sql::Value(), target->name));
  co_return co_await UpdateRow(exec_, database_, meta, HooksOf(meta), object, loaded.get());
}

Task<absl::StatusOr<bool>> GraphWriter::RowExists(const ModelMeta& meta, const void* object) {
  QueryState state;
  state.meta = &meta;
  state.database = database_;
  state.where.push_back(KeyCondition(meta, meta.KeyOf(object)));
  co_return co_await RunExists(state, exec_);
}

}  // namespace

ModelHooks HooksOf(const ModelMeta& meta) {
  const ObjectHooks& hooks = meta.object_hooks();
  ModelHooks made;
  made.validate = hooks.validate;
  made.before_create = hooks.before_create;
  made.after_create = hooks.after_create;
  made.before_update = hooks.before_update;
  made.after_update = hooks.after_update;
  made.before_delete = hooks.before_delete;
  made.after_delete = hooks.after_delete;
  return made;
}

bool IsNewObject(const ModelMeta& meta, const void* object) {
  for (int index : meta.primary_key()) {
    const ColumnMeta& key = meta.columns()[index];
    if (key.server_generated && key.accessor->IsZero(object)) return true;
  }
  return meta.version_column() >= 0 &&
         meta.columns()[meta.version_column()].accessor->IsZero(object);
}

bool HasRelatedWrites(const ModelMeta& meta, const void* object) {
  if (!meta.relations_status().ok()) return true;  // WriteGraph reports it
  const std::vector<RelationMeta>& relations = meta.relations();
  for (size_t index = 0; index < relations.size(); ++index) {
    const RelationMeta& relation = relations[index];
    if (relation.accessor->Count(const_cast<void*>(object)) > 0) return true;
    // An emptied member whose removed rows must be handled.
    const bool removes =
        relation.kind == RelationKind::kManyToMany ||
        (relation.kind != RelationKind::kBelongsTo && relation.orphans != Orphans::kLeave);
    const std::vector<sql::Value>* recorded = meta.loaded_keys(object, index);
    if (removes && recorded != nullptr && !recorded->empty()) return true;
  }
  return false;
}

bool HasDeleteCascades(const ModelMeta& meta) {
  if (!meta.relations_status().ok()) return true;  // DeleteGraph reports it
  for (const RelationMeta& relation : meta.relations()) {
    if (relation.kind != RelationKind::kBelongsTo &&
        relation.on_delete != sql::ReferentialAction::kNoAction) {
      return true;
    }
  }
  return false;
}

void MarkCollectionsLoaded(const ModelMeta& meta, void* object) {
  if (!meta.keeps_loaded_keys() || !meta.relations_status().ok()) return;
  const std::vector<RelationMeta>& relations = meta.relations();
  for (size_t index = 0; index < relations.size(); ++index) {
    if (relations[index].kind != RelationKind::kBelongsTo) meta.set_loaded_keys(object, index, {});
  }
}

Task<absl::Status> WriteGraph(Exec exec, const Database& database, const ModelMeta& meta,
                              const ModelHooks& hooks, void* object, bool create) {
  GraphWriter writer(exec, database);
  co_return co_await writer.Write(meta, hooks, object,
                                  create ? GraphWriter::Mode::kCreate : GraphWriter::Mode::kSave,
                                  nullptr, nullptr, meta.model_name());
}

Task<absl::Status> DeleteGraph(Exec exec, const Database& database, const ModelMeta& meta,
                               const ModelHooks& hooks, void* object) {
  GraphWriter writer(exec, database);
  co_return co_await writer.Delete(meta, hooks, object, meta.model_name());
}

absl::Status StaleObject(const ModelMeta& meta, const void* object, absl::string_view operation) {
  const ColumnMeta& version = meta.columns()[meta.version_column()];
  return DatabaseError(
      absl::StrCat("stale object: no ", meta.model_name(), " row with ", KeyText(meta, object),
                   " and ", version.name, " ", version.accessor->Get(object).DebugString(), " to ",
                   operation, " in table \"", meta.table().name(),
                   "\": another writer changed or deleted it since it was loaded; nothing was "
                   "written (reload it and apply the change again)"),
      {.kind = ErrorKind::kStaleObject});
}

}  // namespace duo::query_internal
