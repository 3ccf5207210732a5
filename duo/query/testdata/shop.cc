#include "duo/query/testdata/shop.h"

#include "duo/sql/functions.h"

namespace shop {

std::vector<std::string>& HookLog() {
  static auto* log = new std::vector<std::string>();
  return *log;
}

duo::Schema<Customer> Customer::Table() {
  return duo::Schema<Customer>("customers")
      .Column(&Customer::id, "id", duo::PrimaryKey())
      .Column(&Customer::name, "name", duo::Length(80), duo::UniqueIndex())
      .Column(&Customer::region, "region")
      .HasMany("orders", &Customer::orders, &Order::customer_id);
}

duo::Schema<Order> Order::Table() {
  duo::Schema<Order> schema("orders");
  schema.Column(&Order::id, "id", duo::PrimaryKey())
      .Column(&Order::customer_id, "customer_id",
              duo::ForeignKey("customers.id", {.on_delete = duo::kCascade}), duo::Index())
      .Column(&Order::status, "status", duo::Length(20),
              duo::ServerDefault(duo::sql::Param("pending")))
      .Column(&Order::total_amount, "total_amount")
      .Column(&Order::created_at, "created_at", duo::CreatedAt())
      .Column(&Order::updated_at, "updated_at", duo::UpdatedAt())
      .Column(&Order::note, "note")
      .BelongsTo("customer", &Order::customer, &Order::customer_id)
      .HasMany("items", &Order::items, &Item::order_id)
      .ManyToMany("tags", &Order::tags, &OrderTag::order_id, &OrderTag::tag_id);
  schema.Check("orders_total_nonnegative", schema.Ref(&Order::total_amount) >= 0);
  return schema;
}

absl::Status Order::Validate() const {
  HookLog().push_back("Validate");
  if (status == "invalid") return duo::ValidationError("status", "\"invalid\" is not allowed");
  // A veto naming a field Order does not have: a bug of the model's.
  if (status == "misnamed") return duo::ValidationError({"status", "stauts"}, "typo");
  return absl::OkStatus();
}
absl::Status Order::BeforeCreate() {
  HookLog().push_back("BeforeCreate");
  if (note == "veto") return absl::PermissionDeniedError("vetoed by BeforeCreate");
  if (note == "shout") note = "SHOUT";
  return absl::OkStatus();
}
absl::Status Order::AfterCreate() {
  HookLog().push_back("AfterCreate");
  if (note == "fail after") return absl::InternalError("AfterCreate failed");
  return absl::OkStatus();
}
absl::Status Order::BeforeUpdate() {
  HookLog().push_back("BeforeUpdate");
  if (note == "veto update") return absl::PermissionDeniedError("vetoed by BeforeUpdate");
  return absl::OkStatus();
}
absl::Status Order::AfterUpdate() {
  HookLog().push_back("AfterUpdate");
  return absl::OkStatus();
}
absl::Status Order::BeforeDelete() {
  HookLog().push_back("BeforeDelete");
  if (note == "keep") return absl::PermissionDeniedError("vetoed by BeforeDelete");
  return absl::OkStatus();
}
absl::Status Order::AfterDelete() {
  HookLog().push_back("AfterDelete");
  return absl::OkStatus();
}

duo::Schema<Item> Item::Table() {
  return duo::Schema<Item>("items")
      .Column(&Item::id, "id", duo::PrimaryKey())
      .Column(&Item::order_id, "order_id",
              duo::ForeignKey("orders.id", {.on_delete = duo::kCascade}), duo::Index())
      .Column(&Item::sku, "sku")
      .Column(&Item::quantity, "quantity");
}

duo::Schema<Tag> Tag::Table() {
  return duo::Schema<Tag>("tags")
      .Column(&Tag::id, "id", duo::PrimaryKey())
      .Column(&Tag::label, "label", duo::Unique());
}

duo::Schema<OrderTag> OrderTag::Table() {
  return duo::Schema<OrderTag>("order_tags")
      .Column(&OrderTag::order_id, "order_id",
              duo::ForeignKey("orders.id", {.on_delete = duo::kCascade}))
      .Column(&OrderTag::tag_id, "tag_id", duo::ForeignKey("tags.id"))
      .PrimaryKey({"order_id", "tag_id"});
}

duo::Schema<Stock> Stock::Table() {
  return duo::Schema<Stock>("stock")
      .Column(&Stock::warehouse, "warehouse")
      .Column(&Stock::sku, "sku")
      .Column(&Stock::quantity, "quantity")
      .PrimaryKey({"warehouse", "sku"});
}

duo::Schema<Everything> Everything::Table() {
  return duo::Schema<Everything>("everything")
      .Column(&Everything::id, "id", duo::PrimaryKey())
      .Column(&Everything::flag, "flag")
      .Column(&Everything::small, "small")
      .Column(&Everything::big, "big")
      .Column(&Everything::ratio, "ratio")
      .Column(&Everything::text, "text")
      .Column(&Everything::bytes, "bytes")
      .Column(&Everything::at, "at")
      .Column(&Everything::day, "day")
      .Column(&Everything::price, "price", duo::Precision(20, 6))
      .Column(&Everything::doc, "doc")
      .Column(&Everything::tier, "tier")
      .Column(&Everything::level, "level")
      .Column(&Everything::maybe, "maybe")
      .Column(&Everything::numbers, "numbers");
}

DUO_REGISTER_MODEL(Customer);
DUO_REGISTER_MODEL(Order);
DUO_REGISTER_MODEL(Item);
DUO_REGISTER_MODEL(Tag);
DUO_REGISTER_MODEL(OrderTag);
DUO_REGISTER_MODEL(Stock);
DUO_REGISTER_MODEL(Everything);

std::vector<const duo::ModelMeta*> AllModels() {
  return {&duo::MetaOf<Customer>(),  &duo::MetaOf<Order>(),    &duo::MetaOf<Item>(),
          &duo::MetaOf<Tag>(),       &duo::MetaOf<OrderTag>(), &duo::MetaOf<Stock>(),
          &duo::MetaOf<Everything>()};
}

bool Declarable(const duo::ModelMeta& meta, const duo::dialect::Dialect& dialect) {
  const duo::sql::TableDef& table = meta.table_def();
  for (const duo::sql::ColumnDef& column : table.columns) {
    if (!dialect.CheckColumn(table, column).ok()) return false;
  }
  return true;
}

std::vector<const duo::ModelMeta*> ModelsFor(const duo::dialect::Dialect& dialect) {
  std::vector<const duo::ModelMeta*> models;
  for (const duo::ModelMeta* meta : AllModels()) {
    if (Declarable(*meta, dialect)) models.push_back(meta);
  }
  return models;
}

}  // namespace shop
