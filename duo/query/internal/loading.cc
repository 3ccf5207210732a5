// Eager loading by select-in: one statement per relationship level (per
// chunk of parent keys), never one per parent.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"
#include "duo/base/status_macros.h"
#include "duo/query/internal/core.h"

namespace duo::query_internal {
namespace {

// Keys per IN list: well under both databases' parameter limits, and few
// distinct statement shapes for the statement cache.
constexpr size_t kKeysPerStatement = 500;
constexpr char kParentKeyLabel[] = "duo_parent_key";

// The relationship paths to load, as a tree: "orders" and "orders.items"
// share their first level.
struct LoadNode {
  std::string name;
  sql::Expr where;
  bool joined = false;  // loaded by the parents' statement
  std::vector<LoadNode> children;
};

LoadNode& Child(LoadNode& node, const std::string& name) {
  for (LoadNode& child : node.children) {
    if (child.name == name) return child;
  }
  node.children.push_back(LoadNode{name, sql::Expr(), false, {}});
  return node.children.back();
}

Task<absl::Status> LoadLevel(Exec exec, const Database& database, const ModelMeta& meta,
                             const std::vector<void*>& parents, const LoadNode& node);

Task<absl::Status> LoadRelation(Exec exec, const Database& database, const ModelMeta& meta,
                                const std::vector<void*>& parents, const LoadNode& node) {
  const RelationMeta& relation = *meta.FindRelation(node.name);
  const ModelMeta& target = relation.target();
  std::vector<void*> loaded;
  if (node.joined) {
    for (void* parent : parents) {
      for (size_t i = 0; i < relation.accessor->Count(parent); ++i) {
        loaded.push_back(relation.accessor->At(parent, i));
      }
    }
    co_return co_await LoadLevel(exec, database, target, loaded, node);
  }

  // The parents' values the related rows are found by.
  const ColumnMeta& parent_key = *meta.FindColumn(relation.local_column);
  std::vector<sql::Value> keys;
  // How many parents share each key: a related row of a key only one
  // parent has is moved into it, not copied.
  absl::flat_hash_map<sql::Value, int> parents_with;
  for (void* parent : parents) {
    relation.accessor->Clear(parent);
    sql::Value key = parent_key.accessor->Get(parent);
    if (key.is_null()) continue;
    if (++parents_with[key] == 1) keys.push_back(std::move(key));
  }
  // The keys each member holds once loaded: what Save later compares it
  // with to find the rows removed from it.
  const size_t index = static_cast<size_t>(&relation - meta.relations().data());
  auto record_keys = [&] {
    if (!meta.keeps_loaded_keys() || relation.kind == RelationKind::kBelongsTo) return;
    for (void* parent : parents) {
      std::vector<sql::Value> held;
      held.reserve(relation.accessor->Count(parent) * target.primary_key().size());
      for (size_t i = 0; i < relation.accessor->Count(parent); ++i) {
        const void* related = relation.accessor->At(parent, i);
        for (int key : target.primary_key()) {
          held.push_back(target.columns()[key].accessor->Get(related));
        }
      }
      meta.set_loaded_keys(parent, index, std::move(held));
    }
  };
  if (keys.empty()) {
    record_keys();
    co_return absl::OkStatus();
  }

  // Where the link value sits in each related row.
  const std::string& table = target.table().name();
  int link_column = -1;
  sql::Expr link;
  if (relation.kind == RelationKind::kManyToMany) {
    link = sql::ColumnRef(relation.through_table, relation.through_local);
    link_column = static_cast<int>(target.columns().size());
  } else {
    link_column = target.ColumnIndex(relation.remote_column);
    link = ColumnOf(table, target.columns()[link_column]);
  }

  std::unique_ptr<model_internal::ObjectList> rows = target.NewList();
  absl::flat_hash_map<sql::Value, std::vector<void*>> by_link;
  for (size_t start = 0; start < keys.size(); start += kKeysPerStatement) {
    std::vector<sql::Value> chunk(keys.begin() + start,
                                  keys.begin() + std::min(keys.size(), start + kKeysPerStatement));
    std::vector<sql::Expr> columns;
    for (const ColumnMeta& column : target.columns()) columns.push_back(ColumnOf(table, column));
    sql::Select select = sql::Select(std::move(columns)).From(target.table());
    if (relation.kind == RelationKind::kManyToMany) {
      select = sql::Select(select.data().columns)
                   .From(sql::Table(relation.through_table))
                   .Join(target.table(),
                         sql::ColumnRef(table, relation.remote_column) ==
                             sql::ColumnRef(relation.through_table, relation.through_remote));
      select = std::move(select).Columns({link.Label(kParentKeyLabel)});
    }
    select = std::move(select).Where(sql::In(link, chunk));
    if (!node.where.empty()) select = std::move(select).Where(node.where);
    std::vector<sql::OrderTerm> order;
    for (int index : target.primary_key())
      order.emplace_back(ColumnOf(table, target.columns()[index]));
    select = std::move(select).OrderBy(std::move(order));

    DUO_CO_RETURN_IF_ERROR(
        co_await Read(exec, database, select, [&](engine::Cursor& cursor) -> absl::Status {
          while (true) {
            DUO_ASSIGN_OR_RETURN(bool more, cursor.Next());
            if (!more) return absl::OkStatus();
            void* object = rows->Add();
            DUO_RETURN_IF_ERROR(HydrateRow(nullptr, target, cursor, object));
            DUO_ASSIGN_OR_RETURN(sql::Value link_value, cursor.GetValue(link_column));
            by_link[std::move(link_value)].push_back(object);
          }
        }));
  }
  std::vector<void*> fetched;
  fetched.reserve(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) fetched.push_back(rows->at(i));
  MapIdentities(database, target, fetched);

  for (void* parent : parents) {
    const sql::Value key = parent_key.accessor->Get(parent);
    auto it = by_link.find(key);
    if (it == by_link.end()) continue;
    // Many-to-many rows may be linked to several keys: always copied.
    const bool sole = relation.kind != RelationKind::kManyToMany && parents_with[key] == 1;
    for (void* related : it->second) {
      if (sole) {
        relation.accessor->Take(parent, related);
      } else {
        relation.accessor->Add(parent, related);
      }
      if (!relation.to_many()) break;
    }
    for (size_t i = 0; i < relation.accessor->Count(parent); ++i) {
      loaded.push_back(relation.accessor->At(parent, i));
    }
  }
  record_keys();
  co_return co_await LoadLevel(exec, database, target, loaded, node);
}

Task<absl::Status> LoadLevel(Exec exec, const Database& database, const ModelMeta& meta,
                             const std::vector<void*>& parents, const LoadNode& node) {
  if (parents.empty()) co_return absl::OkStatus();
  for (const LoadNode& child : node.children) {
    DUO_CO_RETURN_IF_ERROR(co_await LoadRelation(exec, database, meta, parents, child));
  }
  co_return absl::OkStatus();
}

}  // namespace

Task<absl::Status> LoadRelated(Exec exec, const QueryState& state, const Database& database,
                               const std::vector<void*>& objects) {
  if (state.related.empty() || objects.empty()) co_return absl::OkStatus();
  DUO_CO_RETURN_IF_ERROR(state.meta->relations_status());
  LoadNode root;
  for (const RelatedSpec& spec : state.related) {
    LoadNode* node = &root;
    for (absl::string_view segment : absl::StrSplit(spec.path, '.')) {
      node = &Child(*node, std::string(segment));
    }
    if (!spec.options.where.empty()) node->where = spec.options.where;
    if (spec.options.loader == Loader::kJoined) node->joined = true;
  }
  co_return co_await LoadLevel(exec, database, *state.meta, objects, root);
}

}  // namespace duo::query_internal
