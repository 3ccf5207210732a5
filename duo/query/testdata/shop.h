// Models shared by the query builder's tests: customers, their orders and
// the orders' items, tags on orders (many-to-many), and a model with a
// composite key.

#ifndef DUO_QUERY_TESTDATA_SHOP_H_
#define DUO_QUERY_TESTDATA_SHOP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "duo/dialect/compiler.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"

namespace shop {

struct Order;
struct Item;
struct Tag;

struct Customer : duo::Model<Customer> {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> region;
  std::vector<Order> orders;

  static duo::Schema<Customer> Table();
};

// Records which hooks ran, in order, for the hook tests.
std::vector<std::string>& HookLog();

struct Order : duo::Model<Order> {
  int64_t id = 0;
  int64_t customer_id = 0;
  std::string status = "pending";
  double total_amount = 0;
  absl::Time created_at;
  absl::Time updated_at;
  std::optional<std::string> note;
  duo::One<Customer> customer;
  std::vector<Item> items;
  std::vector<Tag> tags;

  static duo::Schema<Order> Table();

  absl::Status Validate() const;
  absl::Status BeforeCreate();
  absl::Status AfterCreate();
  absl::Status BeforeUpdate();
  absl::Status AfterUpdate();
  absl::Status BeforeDelete();
  absl::Status AfterDelete();
};

struct Item : duo::Model<Item> {
  int64_t id = 0;
  int64_t order_id = 0;
  std::string sku;
  int32_t quantity = 1;

  static duo::Schema<Item> Table();
};

struct Tag : duo::Model<Tag> {
  int64_t id = 0;
  std::string label;

  static duo::Schema<Tag> Table();
};

struct OrderTag : duo::Model<OrderTag> {
  int64_t order_id = 0;
  int64_t tag_id = 0;

  static duo::Schema<OrderTag> Table();
};

// A composite primary key and no generated column.
struct Stock : duo::Model<Stock> {
  std::string warehouse;
  std::string sku;
  int64_t quantity = 0;

  static duo::Schema<Stock> Table();
};

// Every supported member type, for round trips.
enum class Tier { kFree, kPro };
enum class Level { kLow = 1, kHigh = 10 };

}  // namespace shop

template <>
struct duo::sql::EnumTraits<shop::Tier> {
  static constexpr EnumStorage kStorage = EnumStorage::kText;
  static constexpr std::pair<shop::Tier, std::string_view> kNames[] = {{shop::Tier::kFree, "free"},
                                                                       {shop::Tier::kPro, "pro"}};
};
template <>
struct duo::sql::EnumTraits<shop::Level> {
  static constexpr EnumStorage kStorage = EnumStorage::kInteger;
  static constexpr std::pair<shop::Level, std::string_view> kNames[] = {
      {shop::Level::kLow, "low"}, {shop::Level::kHigh, "high"}};
};

namespace shop {

struct Everything : duo::Model<Everything> {
  int64_t id = 0;
  bool flag = false;
  int32_t small = 0;
  int64_t big = 0;
  double ratio = 0;
  std::string text;
  duo::sql::Blob bytes;
  absl::Time at;
  absl::CivilDay day;
  duo::sql::Decimal price;
  nlohmann::json doc;
  Tier tier = Tier::kFree;
  Level level = Level::kLow;
  std::optional<int64_t> maybe;
  std::vector<int64_t> numbers;

  static duo::Schema<Everything> Table();
  friend bool operator==(const Everything&, const Everything&) = default;
};

// Every model above, for CreateTables.
std::vector<const duo::ModelMeta*> AllModels();
// Whether `dialect` can hold every column of `meta` (MySQL has no arrays,
// which Everything::numbers is): Dialect::CheckColumn, the capability.
bool Declarable(const duo::ModelMeta& meta, const duo::dialect::Dialect& dialect);
// AllModels() without those `dialect` cannot hold.
std::vector<const duo::ModelMeta*> ModelsFor(const duo::dialect::Dialect& dialect);

}  // namespace shop

#endif  // DUO_QUERY_TESTDATA_SHOP_H_
