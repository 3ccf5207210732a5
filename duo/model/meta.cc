#include "duo/model/meta.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/model/models.h"

namespace duo {
namespace {

bool IsIntegerType(const sql::SqlType& type) {
  using Kind = sql::SqlType::Kind;
  return type.kind == Kind::kSmallInt || type.kind == Kind::kInteger || type.kind == Kind::kBigInt;
}

}  // namespace

void ModelMeta::Init(std::string model_name, const Models& models, sql::TableDef table,
                     std::vector<model_internal::ColumnSpec> specs,
                     std::vector<std::shared_ptr<const model_internal::ColumnAccessor>> accessors,
                     std::vector<sql::TypeCategory> categories,
                     std::vector<RelationMeta> relations) {
  model_name_ = std::move(model_name);
  models_ = &models;
  relations_ = std::move(relations);
  auto fail = [&](std::string message) {
    if (declaration_status_.ok()) {
      declaration_status_ = absl::InvalidArgumentError(
          absl::StrCat("model ", model_name_, " (table \"", table.name, "\"): ", message));
    }
  };

  absl::flat_hash_set<std::string> names;
  for (size_t i = 0; i < specs.size(); ++i) {
    model_internal::ColumnSpec& spec = specs[i];
    if (!names.insert(spec.def.name).second) {
      fail(absl::StrCat("column \"", spec.def.name, "\" is declared twice"));
    }
    if (spec.index || spec.unique_index) {
      table.indexes.push_back({spec.index_name.empty()
                                   ? absl::StrCat(table.name, "_", spec.def.name, "_idx")
                                   : spec.index_name,
                               {spec.def.name},
                               spec.unique_index,
                               sql::Expr()});
    }
    if (spec.foreign_key) {
      sql::ForeignKeyDef fk = *spec.foreign_key;
      const size_t dot = spec.foreign_key_target.rfind('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == spec.foreign_key_target.size()) {
        fail(absl::StrCat("ForeignKey(\"", spec.foreign_key_target, "\") on column \"",
                          spec.def.name, "\" must name \"table.column\""));
      } else {
        fk.referenced_table = spec.foreign_key_target.substr(0, dot);
        fk.referenced_columns = {spec.foreign_key_target.substr(dot + 1)};
      }
      fk.columns = {spec.def.name};
      if (fk.name.empty()) fk.name = absl::StrCat(table.name, "_", spec.def.name, "_fkey");
      table.foreign_keys.push_back(std::move(fk));
    }
    if (spec.timestamp != TimestampRole::kNone &&
        spec.def.type.kind != sql::SqlType::Kind::kTimestamp) {
      fail(absl::StrCat("CreatedAt/UpdatedAt column \"", spec.def.name,
                        "\" must be an absl::Time member"));
    }
    if (spec.version) {
      if (version_column_ >= 0) {
        fail(absl::StrCat("Version() is declared on \"", specs[version_column_].def.name,
                          "\" and \"", spec.def.name, "\"; a model has one version column"));
      }
      version_column_ = static_cast<int>(i);
      if (!IsIntegerType(spec.def.type) || spec.def.nullable ||
          spec.timestamp != TimestampRole::kNone) {
        fail(absl::StrCat("Version() column \"", spec.def.name,
                          "\" must be a non-optional integer member (int64_t, int32_t)"));
      }
    }
  }

  // The primary key: declared with PrimaryKey({...}) or flagged per column.
  if (table.primary_key.empty()) {
    for (const model_internal::ColumnSpec& spec : specs) {
      if (spec.def.primary_key) table.primary_key.push_back(spec.def.name);
    }
  }
  if (table.primary_key.empty()) fail("no primary key is declared");
  for (const std::string& key : table.primary_key) {
    if (!names.contains(key))
      fail(absl::StrCat("primary key column \"", key, "\" is not declared"));
  }
  for (model_internal::ColumnSpec& spec : specs) {
    const bool in_key = std::find(table.primary_key.begin(), table.primary_key.end(),
                                  spec.def.name) != table.primary_key.end();
    spec.def.primary_key = in_key;
    if (in_key) spec.def.nullable = false;
    if (in_key && spec.version) {
      fail(absl::StrCat("Version() column \"", spec.def.name, "\" cannot be in the primary key"));
    }
    const bool sole_integer_key =
        in_key && table.primary_key.size() == 1 && IsIntegerType(spec.def.type);
    spec.def.autoincrement = spec.autoincrement.value_or(sole_integer_key);
    if (spec.def.autoincrement && !sole_integer_key) {
      fail(absl::StrCat("AutoIncrement on \"", spec.def.name,
                        "\" needs it to be the only, integer, primary key column"));
    }
  }
  auto check_columns = [&](const std::vector<std::string>& columns, absl::string_view what) {
    for (const std::string& column : columns) {
      if (!names.contains(column)) {
        fail(absl::StrCat(what, " names column \"", column, "\", which is not declared"));
      }
    }
  };
  for (const sql::IndexDef& index : table.indexes) check_columns(index.columns, "an index");
  for (const sql::UniqueDef& unique : table.uniques)
    check_columns(unique.columns, "a unique constraint");
  for (const sql::ForeignKeyDef& fk : table.foreign_keys)
    check_columns(fk.columns, "a foreign key");
  for (const RelationMeta& relation : relations_) {
    if (relation.kind == RelationKind::kBelongsTo && relation.local_column.empty()) {
      fail(absl::StrCat("relationship \"", relation.name,
                        "\": its foreign key member is not declared with Column"));
    }
  }

  for (size_t i = 0; i < specs.size(); ++i) {
    ColumnMeta column;
    column.name = specs[i].def.name;
    column.type = specs[i].def.type;
    column.category = categories[i];
    column.nullable = specs[i].def.nullable;
    column.primary_key = specs[i].def.primary_key;
    column.autoincrement = specs[i].def.autoincrement;
    column.server_generated = column.autoincrement || !specs[i].def.server_default.empty();
    column.timestamp = specs[i].timestamp;
    column.version = specs[i].version;
    column.accessor = std::move(accessors[i]);
    columns_.push_back(std::move(column));
    table.columns.push_back(std::move(specs[i].def));
  }
  for (const std::string& key : table.primary_key) primary_key_.push_back(ColumnIndex(key));
  table_ = sql::Table(std::move(table));

  // Offsets are the same in every object of the model: measure them once.
  const std::shared_ptr<const void> probe = NewObject();
  const auto* const start = static_cast<const char*>(probe.get());
  for (const ColumnMeta& column : columns_) {
    const auto* const member = static_cast<const char*>(column.accessor->MemberIn(probe.get()));
    row_slots_.push_back({.member = column.accessor->row_slot_member(),
                          .offset = static_cast<size_t>(member - start),
                          .reader = column.accessor.get()});
  }
}

const ColumnMeta* ModelMeta::FindColumn(absl::string_view name) const {
  const int index = ColumnIndex(name);
  return index < 0 ? nullptr : &columns_[index];
}

int ModelMeta::ColumnIndex(absl::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const std::vector<RelationMeta>& ModelMeta::relations() const {
  std::call_once(relations_resolved_, [this] { ResolveRelations(); });
  return relations_;
}

absl::Status ModelMeta::relations_status() const {
  relations();
  return relations_status_;
}

void ModelMeta::ResolveRelations() const {
  auto fail = [&](const RelationMeta& relation, absl::string_view message) {
    if (relations_status_.ok()) {
      relations_status_ = absl::InvalidArgumentError(
          absl::StrCat("model ", model_name_, ", relationship \"", relation.name, "\": ", message));
    }
  };
  for (RelationMeta& relation : relations_) {
    const ModelMeta& target = relation.target();
    auto single_key = [&](const ModelMeta& meta) -> std::string {
      if (meta.primary_key().size() != 1) {
        fail(relation, absl::StrCat(meta.model_name(),
                                    " has a composite primary key; relationships need a "
                                    "single-column key"));
        return "";
      }
      return meta.columns()[meta.primary_key()[0]].name;
    };
    switch (relation.kind) {
      case RelationKind::kBelongsTo:
        relation.remote_column = single_key(target);
        break;
      case RelationKind::kHasMany:
      case RelationKind::kHasOne:
        relation.local_column = single_key(*this);
        relation.remote_column = relation.resolve_remote(target);
        if (relation.remote_column.empty()) {
          fail(relation, absl::StrCat("its foreign key member is not a declared column of ",
                                      target.model_name()));
        }
        break;
      case RelationKind::kManyToMany: {
        const ModelMeta& through = relation.through();
        relation.through_table = through.table().name();
        std::tie(relation.through_local, relation.through_remote) =
            relation.resolve_through(through);
        relation.local_column = single_key(*this);
        relation.remote_column = single_key(target);
        if (relation.through_local.empty() || relation.through_remote.empty()) {
          fail(relation,
               absl::StrCat("its keys are not declared columns of ", through.model_name()));
        }
        break;
      }
    }
    CheckRelationshipOptions(relation, fail);
  }
}

void ModelMeta::CheckRelationshipOptions(
    const RelationMeta& relation,
    absl::FunctionRef<void(const RelationMeta&, absl::string_view)> fail) const {
  using Action = sql::ReferentialAction;
  if (relation.on_delete == Action::kSetDefault) {
    fail(relation,
         "on_delete = kSetDefault is the database's to do (ForeignKey); the ORM "
         "deletes (kCascade), sets NULL (kSetNull) or refuses (kRestrict)");
  }
  if (relation.kind == RelationKind::kManyToMany) {
    if (relation.orphans != Orphans::kLeave) {
      fail(relation,
           "orphans must stay kLeave on a many-to-many relationship: an object "
           "removed from it loses its association row, never its own row");
    }
    if (relation.on_delete == Action::kSetNull) {
      fail(relation,
           "on_delete = kSetNull does not apply to a many-to-many relationship; "
           "kCascade deletes the association rows");
    }
    return;
  }
  if (relation.kind == RelationKind::kBelongsTo) return;  // BelongsTo takes no options
  const bool sets_null =
      relation.orphans == Orphans::kSetNull || relation.on_delete == Action::kSetNull;
  const ColumnMeta* remote = relation.target().FindColumn(relation.remote_column);
  if (sets_null && remote != nullptr && !remote->nullable) {
    fail(relation,
         absl::StrCat("kSetNull needs a nullable foreign key, and ", relation.target().model_name(),
                      ".", remote->name, " is NOT NULL (make its member std::optional)"));
  }
}

const std::vector<sql::Value>* ModelMeta::loaded_keys(const void* object, size_t index) const {
  const std::shared_ptr<const model_internal::LoadedKeys>* state =
      LoadedKeysOf(const_cast<void*>(object));
  if (state == nullptr || *state == nullptr) return nullptr;
  for (const auto& [relation, keys] : (*state)->by_relation) {
    if (relation == index) return &keys;
  }
  return nullptr;
}

void ModelMeta::set_loaded_keys(void* object, size_t index, std::vector<sql::Value> keys) const {
  std::shared_ptr<const model_internal::LoadedKeys>* state = LoadedKeysOf(object);
  if (state == nullptr) return;
  // Copies of the object share the old state: it is replaced, not changed.
  auto next = *state == nullptr ? std::make_shared<model_internal::LoadedKeys>()
                                : std::make_shared<model_internal::LoadedKeys>(**state);
  bool found = false;
  for (auto& [relation, held] : next->by_relation) {
    if (relation == index) {
      held = std::move(keys);
      found = true;
    }
  }
  if (!found) next->by_relation.emplace_back(index, std::move(keys));
  *state = std::move(next);
}

void ModelMeta::clear_loaded_keys(void* object) const {
  std::shared_ptr<const model_internal::LoadedKeys>* state = LoadedKeysOf(object);
  if (state != nullptr) state->reset();
}

const RelationMeta* ModelMeta::FindRelation(absl::string_view name) const {
  for (const RelationMeta& relation : relations()) {
    if (relation.name == name) return &relation;
  }
  return nullptr;
}

std::string ModelMeta::ColumnNames() const {
  return absl::StrJoin(
      columns_, ", ", [](std::string* out, const ColumnMeta& column) { out->append(column.name); });
}

std::string ModelMeta::RelationNames() const {
  if (relations().empty()) return "(none)";
  return absl::StrJoin(relations(), ", ", [](std::string* out, const RelationMeta& relation) {
    out->append(relation.name);
  });
}

absl::Status ModelMeta::UnknownColumn(absl::string_view name) const {
  return absl::InvalidArgumentError(
      absl::StrCat(model_name_, " has no column \"", name, "\"; its columns are: ", ColumnNames()));
}

std::vector<sql::Value> ModelMeta::KeyOf(const void* object) const {
  std::vector<sql::Value> key;
  key.reserve(primary_key_.size());
  for (int index : primary_key_) key.push_back(columns_[index].accessor->Get(object));
  return key;
}

namespace model_internal {

std::string TypeName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(type.name());
}

}  // namespace model_internal
}  // namespace duo
