// Declaring a model: a plain C++ struct plus one Table() declaration that
// serves both the ORM mapping and duo-migrate's metadata.
//
//   struct Customer;
//   struct Order : duo::Model<Order> {
//     int64_t id = 0;
//     int64_t customer_id = 0;
//     std::string status = "pending";
//     double total_amount = 0;
//     absl::Time created_at;
//     std::optional<std::string> note;   // optional: nullable
//     duo::One<Customer> customer;       // a relationship, filled by Related()
//
//     static duo::Schema<Order> Table();
//   };
//
//   duo::Schema<Order> Order::Table() {   // after Customer is complete
//     return duo::Schema<Order>("orders")
//         .Column(&Order::id, "id", duo::PrimaryKey())
//         .Column(&Order::customer_id, "customer_id",
//                 duo::ForeignKey("customers.id", {.on_delete = duo::kCascade}), duo::Index())
//         .Column(&Order::status, "status", duo::Length(20))
//         .Column(&Order::total_amount, "total_amount")
//         .Column(&Order::created_at, "created_at", duo::CreatedAt())
//         .Column(&Order::note, "note")
//         .BelongsTo("customer", &Order::customer, &Order::customer_id);
//   }
//   DUO_REGISTER_MODEL(Order);   // in the .cc: lists it for duo-migrate
//
// SQL types follow the member's C++ type (int64_t → BIGINT, std::string →
// TEXT, absl::Time → timestamp with time zone, ...), overridable with
// Length, Precision or Type. A member of type std::optional<T> is nullable;
// every other column is NOT NULL. A single integer primary key is
// autoincrement unless declared AutoIncrement(false).
//
// Table() runs once, the first time the model is used; it must not query
// the model itself (use Schema::Ref for check constraints).

#ifndef DUO_MODEL_SCHEMA_H_
#define DUO_MODEL_SCHEMA_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "duo/model/internal/column.h"
#include "duo/model/meta.h"
#include "duo/model/models.h"
#include "duo/model/object_hooks.h"
#include "duo/model/one.h"
#include "duo/sql/expr.h"
#include "duo/sql/table.h"
#include "duo/sql/types.h"

namespace duo {

using sql::ReferentialAction;
inline constexpr ReferentialAction kCascade = ReferentialAction::kCascade;
inline constexpr ReferentialAction kSetNull = ReferentialAction::kSetNull;
inline constexpr ReferentialAction kRestrict = ReferentialAction::kRestrict;
inline constexpr ReferentialAction kSetDefault = ReferentialAction::kSetDefault;
inline constexpr ReferentialAction kNoAction = ReferentialAction::kNoAction;

// An option of Schema::Column.
class ColumnOption {
 public:
  explicit ColumnOption(std::function<void(model_internal::ColumnSpec&)> apply)
      : apply_(std::move(apply)) {}
  void ApplyTo(model_internal::ColumnSpec& spec) const { apply_(spec); }

 private:
  std::function<void(model_internal::ColumnSpec&)> apply_;
};

// Part of the primary key (declare several for a composite key, in order).
ColumnOption PrimaryKey();
// Whether the database generates the key (default: yes for a single
// integer primary key).
ColumnOption AutoIncrement(bool enabled = true);
ColumnOption Unique();
// A one-column index, named "<table>_<column>_idx" unless named.
ColumnOption Index(std::string name = "");
ColumnOption UniqueIndex(std::string name = "");
// VARCHAR(length) instead of TEXT.
ColumnOption Length(int length);
// NUMERIC(precision, scale).
ColumnOption Precision(int precision, int scale);
ColumnOption Type(sql::SqlType type);
// The column's DEFAULT in the DDL. While the member holds its zero value,
// inserts leave the column out so that the default applies, and read the
// stored value back.
ColumnOption ServerDefault(sql::Expr value);
// Overrides the nullability the member type implies.
ColumnOption Nullable(bool nullable = true);

struct ForeignKeyOptions {
  ReferentialAction on_delete = ReferentialAction::kNoAction;
  ReferentialAction on_update = ReferentialAction::kNoAction;
  std::string name;  // empty: "<table>_<column>_fkey"
};
// References "table.column".
ColumnOption ForeignKey(std::string target, ForeignKeyOptions options = {});

// Timestamp columns the ORM fills in: CreatedAt on insert (when still
// unset), UpdatedAt on every insert and update. The member must be
// absl::Time or std::optional<absl::Time>.
ColumnOption CreatedAt();
ColumnOption UpdatedAt();

// The optimistic-locking version column (SQLAlchemy's version_id_col): a
// non-optional integer member. Create stores 1; Save and Update write
// only where the row still holds the version the object has (UPDATE ...
// WHERE id = ? AND version = ?, SET version = version + 1), and Delete
// likewise, so that a write based on a copy another writer has changed or
// deleted since fails with ErrorKind::kStaleObject (duo::IsStale) and
// changes nothing. UpdateBulk sets version = version + 1 on every row it
// updates. For duo-migrate and the database it is an ordinary column.
ColumnOption Version();

template <typename T>
class Schema;

namespace model_internal {
template <typename T>
class TypedModelMeta;

// The demangled name of a C++ type ("shop::Order").
std::string TypeName(const std::type_info& type);
// Columns and loaded relationships as a JSON object (see duo/model/json.h).
nlohmann::json ObjectToJson(const ModelMeta& meta, const void* object);

template <typename T>
class TypedModelMeta final : public ModelMeta {
 public:
  std::shared_ptr<void> NewObject() const override { return std::make_shared<T>(); }
  void CopyObject(void* destination, const void* source) const override {
    *static_cast<T*>(destination) = *static_cast<const T*>(source);
  }
  std::unique_ptr<ObjectList> NewList() const override { return std::make_unique<List>(); }

 protected:
  std::shared_ptr<const LoadedKeys>* LoadedKeysOf(void* object) const override {
    if constexpr (std::is_base_of_v<RelationState, T>) {
      return &static_cast<RelationState*>(static_cast<T*>(object))->loaded_;
    } else {
      return nullptr;
    }
  }

 public:
  void InitFrom(Schema<T> schema) {
    object_hooks_ = MakeObjectHooks<T>();
    keeps_loaded_keys_ = std::is_base_of_v<RelationState, T>;
    Init(TypeName(typeid(T)), *schema.models_, std::move(schema.table_), std::move(schema.specs_),
         std::move(schema.accessors_), std::move(schema.categories_), std::move(schema.relations_));
  }

 private:
  class List final : public ObjectList {
   public:
    void* Add() override { return objects_.emplace_back(std::make_unique<T>()).get(); }
    size_t size() const override { return objects_.size(); }
    void* at(size_t index) override { return objects_[index].get(); }
    void Clear() override { objects_.clear(); }
    void Reserve(size_t count) override { objects_.reserve(count); }

   private:
    std::vector<std::unique_ptr<T>> objects_;  // stable addresses
  };
};

template <typename T, typename U>
class ToManyAccessor final : public RelationAccessor {
 public:
  explicit ToManyAccessor(std::vector<U> T::*member) : member_(member) {}
  size_t Count(const void* parent) const override {
    return (static_cast<const T*>(parent)->*member_).size();
  }
  void* At(void* parent, size_t index) const override { return &Of(parent)[index]; }
  void Clear(void* parent) const override { Of(parent).clear(); }
  void Add(void* parent, const void* related) const override {
    Of(parent).push_back(*static_cast<const U*>(related));
  }
  void Take(void* parent, void* related) const override {
    Of(parent).push_back(std::move(*static_cast<U*>(related)));
  }
  nlohmann::json ToJson(const void* parent) const override;

 private:
  std::vector<U>& Of(void* parent) const { return static_cast<T*>(parent)->*member_; }
  std::vector<U> T::*member_;
};

template <typename T, typename U>
class ToOneAccessor final : public RelationAccessor {
 public:
  explicit ToOneAccessor(One<U> T::*member) : member_(member) {}
  size_t Count(const void* parent) const override {
    return (static_cast<const T*>(parent)->*member_).has_value() ? 1 : 0;
  }
  void* At(void* parent, size_t) const override { return Of(parent).get(); }
  void Clear(void* parent) const override { Of(parent).reset(); }
  void Add(void* parent, const void* related) const override {
    Of(parent).emplace(*static_cast<const U*>(related));
  }
  void Take(void* parent, void* related) const override {
    Of(parent).emplace(std::move(*static_cast<U*>(related)));
  }
  nlohmann::json ToJson(const void* parent) const override;

 private:
  One<U>& Of(void* parent) const { return static_cast<T*>(parent)->*member_; }
  One<U> T::*member_;
};

// The name of the column `member` is declared as, or nullptr.
template <typename T, typename M>
const ColumnMeta* FindMember(const ModelMeta& meta, M T::*member) {
  for (const ColumnMeta& column : meta.columns()) {
    const auto* typed = dynamic_cast<const MemberColumn<T, M>*>(column.accessor.get());
    if (typed != nullptr && typed->member() == member) return &column;
  }
  return nullptr;
}

}  // namespace model_internal

}  // namespace duo

namespace duo::sql {

// JSON and array members as typed columns, so that duo::col(&Product::specs)
// reaches the operators of duo/sql/json.h. Not values an expression takes
// as they are (kSupported stays false): bind a JsonText or an Array.
template <>
struct ValueTraits<nlohmann::json> {
  static constexpr bool kSupported = false;
  static constexpr TypeCategory kCategory = TypeCategory::kJson;
};
template <typename E>
struct ValueTraits<std::vector<E>> {
  static constexpr bool kSupported = false;
  static constexpr TypeCategory kCategory = TypeCategory::kArray;
};

}  // namespace duo::sql

namespace duo {

// The model metadata of T, built from T::Table() on first use.
template <typename T>
const ModelMeta& MetaOf();

// The column `member` of its model, typed:
//   duo::col(&Order::status) == "completed"
// qualified with the model's table. A member that Table() does not declare
// yields a column the database rejects, named after the member's model.
template <typename T, typename M>
sql::TypedExpr<M> col(M T::*member) {
  const ModelMeta& meta = MetaOf<T>();
  const ColumnMeta* column = model_internal::FindMember(meta, member);
  if (column == nullptr) {
    return sql::TypedExpr<M>(
        sql::ColumnRef(meta.table().name(),
                       "(a member of " + meta.model_name() + " that Table() does not declare)"));
  }
  return meta.table().template Col<M>(column->name);
}

// The builder T::Table() returns. Copyable; each method returns *this.
template <typename T>
class Schema {
 public:
  explicit Schema(std::string table_name, const Models& models = Models::Default())
      : table_(std::move(table_name)), models_(&models) {}

  template <typename M, typename... Options>
  Schema& Column(M T::*member, std::string name, const Options&... options) {
    model_internal::ColumnSpec spec;
    spec.def.name = std::move(name);
    using Stored = typename sql::StripOptional<M>::type;
    if constexpr (std::is_same_v<Stored, nlohmann::json>) {
      spec.def.type = sql::SqlType::Json();
    } else if constexpr (model_internal::IsVector<Stored>::value) {
      spec.def.type =
          sql::SqlType::Array(sql::ValueTraits<typename Stored::value_type>::DefaultType().kind);
    } else {
      static_assert(sql::ValueTraits<M>::kSupported, "DuoORM cannot store this member type");
      spec.def.type = sql::ValueTraits<M>::DefaultType();
    }
    spec.def.nullable = model_internal::IsOptional<M>::value;
    (options.ApplyTo(spec), ...);
    specs_.push_back(std::move(spec));
    accessors_.push_back(std::make_shared<model_internal::MemberColumn<T, M>>(member));
    categories_.push_back(Category<M>());
    return *this;
  }

  // A composite primary key, by column name.
  Schema& PrimaryKey(std::vector<std::string> columns) {
    table_.primary_key = std::move(columns);
    return *this;
  }
  Schema& Index(std::string name, std::vector<std::string> columns, bool unique = false) {
    table_.indexes.push_back({std::move(name), std::move(columns), unique, sql::Expr()});
    return *this;
  }
  // An index with another access method than the B-tree: `GinIndex("posts_
  // meta_idx", {"meta"})` makes PostgreSQL's JSON and array operators
  // (duo/sql/json.h) use an index. A database without the method refuses
  // the table's DDL, naming the index.
  Schema& IndexUsing(std::string method, std::string name, std::vector<std::string> columns) {
    if (method == "btree") method.clear();  // the default, as it reads back
    table_.indexes.push_back(
        {std::move(name), std::move(columns), false, sql::Expr(), std::move(method)});
    return *this;
  }
  Schema& GinIndex(std::string name, std::vector<std::string> columns) {
    return IndexUsing("gin", std::move(name), std::move(columns));
  }
  // A partial index: rows where `where` holds (build it with Ref).
  Schema& PartialIndex(std::string name, std::vector<std::string> columns, sql::Expr where,
                       bool unique = false) {
    table_.indexes.push_back({std::move(name), std::move(columns), unique, std::move(where)});
    return *this;
  }
  Schema& Unique(std::string name, std::vector<std::string> columns) {
    table_.uniques.push_back({std::move(name), std::move(columns)});
    return *this;
  }
  Schema& Check(std::string name, sql::Expr condition) {
    table_.checks.push_back({std::move(name), std::move(condition)});
    return *this;
  }
  // A composite foreign key.
  Schema& ForeignKey(std::vector<std::string> columns, std::string referenced_table,
                     std::vector<std::string> referenced_columns, ForeignKeyOptions options = {}) {
    table_.foreign_keys.push_back({std::move(options.name), std::move(columns),
                                   std::move(referenced_table), std::move(referenced_columns),
                                   options.on_delete, options.on_update});
    return *this;
  }

  // `member` (declared with Column before) as an unqualified column, for
  // check constraints and partial indexes.
  template <typename M>
  sql::TypedExpr<M> Ref(M T::*member) const {
    for (size_t i = 0; i < accessors_.size(); ++i) {
      const auto* typed =
          dynamic_cast<const model_internal::MemberColumn<T, M>*>(accessors_[i].get());
      if (typed != nullptr && typed->member() == member) {
        return sql::TypedExpr<M>(sql::ColumnRef("", specs_[i].def.name));
      }
    }
    return sql::TypedExpr<M>(sql::ColumnRef("", "(undeclared member)"));
  }

  // This model holds the foreign key `key` referencing U's primary key:
  // order.customer.
  template <typename U, typename K>
  Schema& BelongsTo(std::string name, One<U> T::*member, K T::*key) {
    RelationMeta relation = NewRelation<U>(std::move(name), RelationKind::kBelongsTo);
    relation.local_column = NameOf(key);
    relation.accessor = std::make_shared<model_internal::ToOneAccessor<T, U>>(member);
    relations_.push_back(std::move(relation));
    return *this;
  }
  // U holds the foreign key `key` referencing this model's primary key:
  // customer.orders. `options` says what Save does with children removed
  // from a loaded member and what Delete does with the related rows:
  //   .HasMany("orders", &Customer::orders, &Order::customer_id,
  //            {.orphans = duo::Orphans::kDelete, .on_delete = duo::kCascade})
  template <typename U, typename K>
  Schema& HasMany(std::string name, std::vector<U> T::*member, K U::*key,
                  RelationshipOptions options = {}) {
    RelationMeta relation = NewRelation<U>(std::move(name), RelationKind::kHasMany, options);
    relation.resolve_remote = [key](const ModelMeta& target) { return NameIn(target, key); };
    relation.accessor = std::make_shared<model_internal::ToManyAccessor<T, U>>(member);
    relations_.push_back(std::move(relation));
    return *this;
  }
  template <typename U, typename K>
  Schema& HasOne(std::string name, One<U> T::*member, K U::*key, RelationshipOptions options = {}) {
    RelationMeta relation = NewRelation<U>(std::move(name), RelationKind::kHasOne, options);
    relation.resolve_remote = [key](const ModelMeta& target) { return NameIn(target, key); };
    relation.accessor = std::make_shared<model_internal::ToOneAccessor<T, U>>(member);
    relations_.push_back(std::move(relation));
    return *this;
  }
  // Through the association model A, whose `this_key` references this
  // model's primary key and `other_key` U's: post.tags through post_tags.
  // options.on_delete = kCascade deletes the association rows with the row.
  template <typename U, typename A, typename K1, typename K2>
  Schema& ManyToMany(std::string name, std::vector<U> T::*member, K1 A::*this_key, K2 A::*other_key,
                     RelationshipOptions options = {}) {
    RelationMeta relation = NewRelation<U>(std::move(name), RelationKind::kManyToMany, options);
    relation.through = &MetaOf<A>;
    relation.resolve_through = [this_key, other_key](const ModelMeta& through) {
      return std::make_pair(NameIn(through, this_key), NameIn(through, other_key));
    };
    relation.accessor = std::make_shared<model_internal::ToManyAccessor<T, U>>(member);
    relations_.push_back(std::move(relation));
    return *this;
  }

 private:
  friend class model_internal::TypedModelMeta<T>;

  template <typename M>
  static constexpr sql::TypeCategory Category() {
    using Stored = typename sql::StripOptional<M>::type;
    if constexpr (std::is_same_v<Stored, nlohmann::json>)
      return sql::TypeCategory::kJson;
    else if constexpr (model_internal::IsVector<Stored>::value)
      return sql::TypeCategory::kArray;
    else
      return sql::ValueTraits<M>::kCategory;
  }

  template <typename K>
  std::string NameOf(K T::*key) const {
    for (size_t i = 0; i < accessors_.size(); ++i) {
      const auto* typed =
          dynamic_cast<const model_internal::MemberColumn<T, K>*>(accessors_[i].get());
      if (typed != nullptr && typed->member() == key) return specs_[i].def.name;
    }
    return "";  // reported when the relationship is resolved
  }
  template <typename U, typename K>
  static std::string NameIn(const ModelMeta& meta, K U::*key) {
    const ColumnMeta* column = model_internal::FindMember(meta, key);
    return column == nullptr ? "" : column->name;
  }
  // The related model's metadata is looked up when the relationship is
  // first used, not now: it may be under construction (models that refer
  // to each other).
  template <typename U>
  static RelationMeta NewRelation(std::string name, RelationKind kind,
                                  RelationshipOptions options = {}) {
    RelationMeta relation;
    relation.name = std::move(name);
    relation.kind = kind;
    relation.target = &MetaOf<U>;
    relation.orphans = options.orphans;
    relation.on_delete = options.on_delete;
    return relation;
  }

  sql::TableDef table_;
  const Models* models_;
  std::vector<model_internal::ColumnSpec> specs_;
  std::vector<std::shared_ptr<const model_internal::ColumnAccessor>> accessors_;
  std::vector<sql::TypeCategory> categories_;
  std::vector<RelationMeta> relations_;
};

template <typename T>
const ModelMeta& MetaOf() {
  // Built once, on first use, and kept for the life of the program.
  static const ModelMeta* const meta = [] {
    auto* built = new model_internal::TypedModelMeta<T>();
    built->InitFrom(T::Table());
    return built;
  }();
  return *meta;
}

namespace model_internal {

template <typename T, typename U>
nlohmann::json ToManyAccessor<T, U>::ToJson(const void* parent) const {
  nlohmann::json array = nlohmann::json::array();
  for (const U& related : static_cast<const T*>(parent)->*member_) {
    array.push_back(ObjectToJson(MetaOf<U>(), &related));
  }
  return array;
}

template <typename T, typename U>
nlohmann::json ToOneAccessor<T, U>::ToJson(const void* parent) const {
  const One<U>& related = static_cast<const T*>(parent)->*member_;
  if (!related) return nullptr;
  return ObjectToJson(MetaOf<U>(), related.get());
}

}  // namespace model_internal

// Lists T for duo-migrate (see duo/model/models.h). Use once per model, at
// namespace scope in a .cc file.
#define DUO_REGISTER_MODEL(Type)                                     \
  static const bool duo_registered_##Type##_ [[maybe_unused]] = [] { \
    const ::duo::ModelMeta& meta = ::duo::MetaOf<Type>();            \
    meta.models().Register(meta);                                    \
    return true;                                                     \
  }()

}  // namespace duo

#endif  // DUO_MODEL_SCHEMA_H_
