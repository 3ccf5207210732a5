// The quickstart's models: customers and their orders.
//
// One declaration per model serves the ORM (Order::Where, Order::Create)
// and duo-migrate (the tables in migrations/ were generated from it).

#ifndef EXAMPLES_QUICKSTART_MODELS_H_
#define EXAMPLES_QUICKSTART_MODELS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "duo/model/one.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"

namespace quickstart {

struct Order;

struct Customer : duo::Model<Customer> {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> city;
  std::vector<Order> orders;

  static duo::Schema<Customer> Table();
};

struct Order : duo::Model<Order> {
  int64_t id = 0;
  int64_t customer_id = 0;
  std::string status = "pending";
  double total = 0;
  absl::Time created_at;
  duo::One<Customer> customer;

  static duo::Schema<Order> Table();

  // Hooks: found by name, no registration.
  absl::Status Validate() const;
  absl::Status AfterCreate();
};

}  // namespace quickstart

#endif  // EXAMPLES_QUICKSTART_MODELS_H_
