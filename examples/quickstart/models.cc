#include "examples/quickstart/models.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace quickstart {

duo::Schema<Customer> Customer::Table() {
  return duo::Schema<Customer>("customers")
      .Column(&Customer::id, "id", duo::PrimaryKey())
      .Column(&Customer::name, "name", duo::Length(80), duo::UniqueIndex())
      .Column(&Customer::city, "city", duo::Length(80))
      .HasMany("orders", &Customer::orders, &Order::customer_id);
}

duo::Schema<Order> Order::Table() {
  duo::Schema<Order> schema("orders");
  schema.Column(&Order::id, "id", duo::PrimaryKey())
      .Column(&Order::customer_id, "customer_id",
              duo::ForeignKey("customers.id", {.on_delete = duo::kCascade}), duo::Index())
      .Column(&Order::status, "status", duo::Length(20),
              duo::ServerDefault(duo::sql::Param("pending")))
      .Column(&Order::total, "total")
      .Column(&Order::created_at, "created_at", duo::CreatedAt())
      .BelongsTo("customer", &Order::customer, &Order::customer_id);
  schema.Check("orders_total_nonnegative", schema.Ref(&Order::total) >= 0);
  return schema;
}

absl::Status Order::Validate() const {
  if (total < 0) {
    return duo::ValidationError("total",
                                absl::StrCat("an order total cannot be negative: ", total));
  }
  return absl::OkStatus();
}

absl::Status Order::AfterCreate() {
  std::printf("    hook: AfterCreate order #%lld (%.2f)\n", static_cast<long long>(id), total);
  return absl::OkStatus();
}

DUO_REGISTER_MODEL(Customer);
DUO_REGISTER_MODEL(Order);

}  // namespace quickstart
