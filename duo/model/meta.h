// What the ORM knows about a model, without its C++ type.
//
// A model's Table() declaration (duo/model/schema.h) produces one ModelMeta:
// the table's DDL metadata (sql::TableDef, which duo-migrate diffs), each
// column's member accessor, and the relationships. The query builder and
// the eager loader work on ModelMeta so that their code is compiled once,
// not once per model; only member access goes through the typed accessors.
//
// ModelMeta objects are built once per model, on first use, and never
// change afterwards: safe to share between threads.

#ifndef DUO_MODEL_META_H_
#define DUO_MODEL_META_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "duo/engine/connection.h"
#include "duo/model/object_hooks.h"
#include "duo/sql/table.h"
#include "duo/sql/types.h"
#include "duo/sql/value.h"
#include "nlohmann/json.hpp"

namespace duo {

class Models;

// Columns the ORM fills in on save.
enum class TimestampRole : uint8_t { kNone, kCreatedAt, kUpdatedAt };

enum class RelationKind : uint8_t {
  kBelongsTo,   // this model holds the foreign key (order.customer)
  kHasMany,     // the related model holds it (customer.orders)
  kHasOne,      // as kHasMany, at most one row (user.profile)
  kManyToMany,  // through an association table (post.tags)
};

// What Save does with a child that left a has-many or has-one member
// loaded from the database (see RelationshipOptions).
enum class Orphans : uint8_t {
  kLeave,    // nothing: its row stays as it is (the default)
  kSetNull,  // its foreign key is set to NULL (the column must be nullable)
  kDelete,   // its row is deleted, with its hooks and its own cascades
};

// The ORM-side behaviour of a has-many, has-one or many-to-many
// relationship (Schema::HasMany and the like). The database's own
// ON DELETE (ForeignKey options) is another matter: it runs no hooks.
struct RelationshipOptions {
  // Save of a has-many or has-one member that no longer holds a row it
  // held when loaded or last written (ModelMeta::loaded_keys).
  // Many-to-many: must stay kLeave (a removed object's association row is
  // always deleted, the object never).
  Orphans orphans = Orphans::kLeave;
  // Delete of this row, first, for each related row: kCascade deletes it
  // (its hooks and cascades run; for many-to-many, the association row),
  // kSetNull sets its foreign key to NULL (has-many, has-one), kRestrict
  // refuses with FailedPrecondition while one exists; kNoAction (the
  // default) leaves them to the database's foreign key.
  sql::ReferentialAction on_delete = sql::ReferentialAction::kNoAction;
};

namespace model_internal {

template <typename T>
class TypedModelMeta;

// The keys of the related rows each relationship of an object held when
// it was loaded (Related()) or last written (Create, Save), by index into
// ModelMeta::relations(). Immutable once made: copies of an object share it.
// Each row's key is its primary-key values in key order, the rows' keys
// one after another.
struct LoadedKeys {
  std::vector<std::pair<size_t, std::vector<sql::Value>>> by_relation;
};

// The state duo::Model<T> keeps in each object besides its members: the
// LoadedKeys, so that Save can tell a child removed from a collection (its
// row is handled as the relationship declares) from one the object never
// held (left alone: never loaded, or added by another writer since).
// Copied with the object; never compared, printed or stored.
class RelationState {
 private:
  template <typename T>
  friend class TypedModelMeta;
  std::shared_ptr<const LoadedKeys> loaded_;
};

// Reads and writes one member of a model object. Objects are passed as
// void* because the callers are type-erased; each accessor knows its type.
class ColumnAccessor : public engine::MemberReader {
 public:
  virtual ~ColumnAccessor() = default;

  virtual sql::Value Get(const void* object) const = 0;
  // Converts `value` as engine::FromValue does (range-checked, NULL only
  // into optional members); errors name `column`.
  virtual absl::Status Set(void* object, const sql::Value& value,
                           absl::string_view column) const = 0;
  // Reads the cursor's column `index` into the member (MemberReader).
  // How a driver may store into the member directly (engine::RowSlot),
  // and the member's address in `object`, from which its offset follows.
  virtual engine::RowSlot::Member row_slot_member() const = 0;
  virtual const void* MemberIn(const void* object) const = 0;
  virtual bool Equal(const void* a, const void* b) const = 0;
  // True when the member still holds its type's zero value (an id of 0, an
  // empty optional, the epoch time): what "not set" means for generated
  // keys and timestamps.
  virtual bool IsZero(const void* object) const = 0;
  // Sets an absl::Time member to `now`; false for other member types.
  virtual bool SetTime(void* object, absl::Time now) const = 0;
  // Checks what the member's sql::Value would no longer show: a JSON
  // member's document (engine::CheckJson). Errors name `column`.
  virtual absl::Status CheckMember(const void* object, absl::string_view column) const = 0;
  // Whether Get's value can be refused by CheckStorable (duo/model/payload.h):
  // numbers, decimals and arrays of them. Writes convert only these to check.
  virtual bool value_checked() const = 0;
  virtual nlohmann::json ToJson(const void* object) const = 0;
  // Converts JSON to the member's type; errors name `field`.
  virtual absl::Status FromJson(void* object, const nlohmann::json& json,
                                absl::string_view field) const = 0;
  virtual absl::StatusOr<sql::Value> ValueFromJson(const nlohmann::json& json,
                                                   absl::string_view field) const = 0;
};

// Reaches the related objects a relationship's member holds.
class RelationAccessor {
 public:
  virtual ~RelationAccessor() = default;
  virtual size_t Count(const void* parent) const = 0;
  virtual void* At(void* parent, size_t index) const = 0;
  virtual void Clear(void* parent) const = 0;
  // Copies `related` (an object of the target model) into the member.
  virtual void Add(void* parent, const void* related) const = 0;
  // Moves `related` into the member, leaving it valid but unspecified: for
  // loaders whose rows each belong to one parent.
  virtual void Take(void* parent, void* related) const = 0;
  virtual nlohmann::json ToJson(const void* parent) const = 0;
};

// A growable list of objects of one model, for loaders that do not know
// the type.
class ObjectList {
 public:
  virtual ~ObjectList() = default;
  virtual void* Add() = 0;  // a new default object, stable until the next Add
  virtual size_t size() const = 0;
  virtual void* at(size_t index) = 0;
  virtual void Clear() = 0;
  virtual void Reserve(size_t count) = 0;
};

}  // namespace model_internal

class ModelMeta;

namespace model_internal {

// A column as Schema::Column options describe it.
struct ColumnSpec {
  sql::ColumnDef def;
  std::optional<bool> autoincrement;  // unset: decided by the key's shape
  bool index = false;
  bool unique_index = false;
  std::string index_name;
  std::optional<sql::ForeignKeyDef> foreign_key;
  std::string foreign_key_target;  // "table.column" as written
  TimestampRole timestamp = TimestampRole::kNone;
  bool server_generated = false;
  bool version = false;  // the optimistic-locking column (Version())
};

}  // namespace model_internal

struct ColumnMeta {
  std::string name;
  sql::SqlType type;
  sql::TypeCategory category = sql::TypeCategory::kAny;
  bool nullable = false;
  bool primary_key = false;
  bool autoincrement = false;
  // Left out of INSERTs while the member is zero, so that the database's
  // DEFAULT applies, then read back.
  bool server_generated = false;
  TimestampRole timestamp = TimestampRole::kNone;
  // The optimistic-locking version (Version()): checked and bumped by
  // Save, Update and Delete.
  bool version = false;
  std::shared_ptr<const model_internal::ColumnAccessor> accessor;
};

struct RelationMeta {
  std::string name;
  RelationKind kind;
  // Columns that join the two tables: for kBelongsTo `local_column` is this
  // model's foreign key and `remote_column` the target's key; for kHasMany
  // and kHasOne `remote_column` is the target's foreign key and
  // `local_column` this model's key it references.
  std::string local_column;
  std::string remote_column;
  // kManyToMany: the association table, its column referencing this model
  // (`local_column` holds the value it references) and its column
  // referencing the target (`remote_column` is the target's key).
  std::string through_table;
  std::string through_local;
  std::string through_remote;
  const ModelMeta& (*target)() = nullptr;
  const ModelMeta& (*through)() = nullptr;  // kManyToMany: the association model
  // What Save does with removed children, and Delete with related rows.
  Orphans orphans = Orphans::kLeave;
  sql::ReferentialAction on_delete = sql::ReferentialAction::kNoAction;
  std::shared_ptr<const model_internal::RelationAccessor> accessor;
  // Name the related models' columns once their metadata exists.
  std::function<std::string(const ModelMeta& target)> resolve_remote;
  std::function<std::pair<std::string, std::string>(const ModelMeta& through)> resolve_through;

  bool to_many() const {
    return kind == RelationKind::kHasMany || kind == RelationKind::kManyToMany;
  }
};

class ModelMeta {
 public:
  virtual ~ModelMeta() = default;

  // The C++ type name as declared ("Order"), for messages.
  const std::string& model_name() const { return model_name_; }
  const Models& models() const { return *models_; }
  const sql::TableDef& table_def() const { return table_.def(); }
  const sql::Table& table() const { return table_; }
  const std::vector<ColumnMeta>& columns() const { return columns_; }
  // Resolved on first use (the related models' metadata must exist);
  // a relationship naming an undeclared member is reported by
  // relations_status().
  const std::vector<RelationMeta>& relations() const;
  absl::Status relations_status() const;
  // Indexes into columns() of the primary key, in key order.
  const std::vector<int>& primary_key() const { return primary_key_; }
  // Index into columns() of the Version() column, or -1.
  int version_column() const { return version_column_; }
  // The model's per-object hooks (Validate, Before/After*).
  const ObjectHooks& object_hooks() const { return object_hooks_; }
  // The keys of the rows relations()[index] of `object` held when it was
  // loaded by Related() or last written by Create/Save: what Save compares
  // the member with to find the rows removed from it. Each row's primary
  // key values (the related model's primary_key().size() of them), one row
  // after another. nullptr when not known: never loaded, or a model that
  // does not derive from duo::Model<T> (its objects have nowhere to keep
  // them).
  const std::vector<sql::Value>* loaded_keys(const void* object, size_t index) const;
  void set_loaded_keys(void* object, size_t index, std::vector<sql::Value> keys) const;
  // Forgets every relationship's loaded keys.
  void clear_loaded_keys(void* object) const;
  // Whether objects of this model keep loaded keys (derive from
  // duo::Model<T>).
  bool keeps_loaded_keys() const { return keeps_loaded_keys_; }
  // columns() as engine::Cursor::ReadRow reads them into an object.
  const std::vector<engine::RowSlot>& row_slots() const { return row_slots_; }

  // nullptr when absent.
  const ColumnMeta* FindColumn(absl::string_view name) const;
  int ColumnIndex(absl::string_view name) const;  // -1 when absent
  const RelationMeta* FindRelation(absl::string_view name) const;

  // "id, customer_id, status": for messages listing the valid names.
  std::string ColumnNames() const;
  std::string RelationNames() const;

  // InvalidArgument "Order has no column "x"; its columns are ...".
  absl::Status UnknownColumn(absl::string_view name) const;

  // The primary key values of `object`.
  std::vector<sql::Value> KeyOf(const void* object) const;

  // Whether Table() declared a consistent model (a primary key, known
  // column names in keys and indexes, ...); every ORM call checks it.
  const absl::Status& declaration_status() const { return declaration_status_; }

  // Objects of this model.
  virtual std::shared_ptr<void> NewObject() const = 0;
  virtual void CopyObject(void* destination, const void* source) const = 0;
  virtual std::unique_ptr<model_internal::ObjectList> NewList() const = 0;

 protected:
  // Where `object` keeps its LoadedKeys, or nullptr.
  virtual std::shared_ptr<const model_internal::LoadedKeys>* LoadedKeysOf(void* object) const = 0;

  ModelMeta() = default;
  // Builds everything from a Table() declaration; the status is kept in
  // declaration_status().
  void Init(std::string model_name, const Models& models, sql::TableDef table,
            std::vector<model_internal::ColumnSpec> specs,
            std::vector<std::shared_ptr<const model_internal::ColumnAccessor>> accessors,
            std::vector<sql::TypeCategory> categories, std::vector<RelationMeta> relations);

  std::string model_name_;
  const Models* models_ = nullptr;
  sql::Table table_{"unnamed"};
  std::vector<ColumnMeta> columns_;
  std::vector<int> primary_key_;
  int version_column_ = -1;
  ObjectHooks object_hooks_;
  bool keeps_loaded_keys_ = false;
  std::vector<engine::RowSlot> row_slots_;
  absl::Status declaration_status_;

 private:
  void ResolveRelations() const;
  void CheckRelationshipOptions(
      const RelationMeta& relation,
      absl::FunctionRef<void(const RelationMeta&, absl::string_view)> fail) const;

  mutable std::once_flag relations_resolved_;
  mutable std::vector<RelationMeta> relations_;
  mutable absl::Status relations_status_;

 protected:
  void set_relations(std::vector<RelationMeta> relations) { relations_ = std::move(relations); }
};

}  // namespace duo

#endif  // DUO_MODEL_META_H_
