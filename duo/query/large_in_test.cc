// The query builder with IN lists far longer than PostgreSQL's 65,535
// parameters per statement, on SQLite and PostgreSQL: the rows that come
// back are the rows filtered in C++.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/query/query.h"
#include "duo/query/testdata/shop.h"
#include "duo/query/testdata/shop_test_base.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace shop {
namespace {

using ::duo::col;

class LargeInTest : public ShopTestBase {
 protected:
  // 300 customers; every fourth has no region.
  void Seed() {
    for (int i = 0; i < 300; ++i) {
      absl::StatusOr<Customer> created =
          Customer::Create({.name = absl::StrCat("c", i),
                            .region = i % 4 == 0 ? std::nullopt : std::optional<std::string>("r")});
      ASSERT_TRUE(created.ok()) << created.status();
      customers_.push_back(*created);
    }
  }

  template <typename Keep>
  std::vector<int64_t> Expected(Keep keep) const {
    std::vector<int64_t> ids;
    for (const Customer& customer : customers_) {
      if (keep(customer)) ids.push_back(customer.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  static std::vector<int64_t> Ids(const std::vector<Customer>& customers) {
    std::vector<int64_t> ids;
    for (const Customer& customer : customers) ids.push_back(customer.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::vector<Customer> customers_;
};

// A hundred thousand values is past every database's parameter limit; the
// IR's own test (//duo/session:in_list_test) goes on to 200,000, which
// through the builder would only take the same path again at twice the time.
TEST_P(LargeInTest, WhereInWithAHundredThousandValues) {
  Seed();
  ASSERT_FALSE(HasFatalFailure());
  const int64_t first_id = customers_.front().id;
  const int64_t n = 100000;
  // Even numbers from the first id on: every other customer is listed.
  std::vector<int64_t> ids;
  std::vector<std::string> names;
  for (int64_t k = 0; k < n; ++k) {
    ids.push_back(first_id + 2 * k);
    names.push_back(absl::StrCat("c", 2 * k));
  }
  const auto listed = [&](const Customer& c) {
    return (c.id - first_id) % 2 == 0 && (c.id - first_id) / 2 < n;
  };
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Customer> in,
                           Customer::Where(col(&Customer::id).In(ids)).All());
  EXPECT_EQ(Ids(in), Expected(listed));
  DUO_ASSERT_OK_AND_ASSIGN(const int64_t counted,
                           Customer::Where(col(&Customer::id).In(ids)).Count());
  EXPECT_EQ(counted, static_cast<int64_t>(Expected(listed).size()));
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Customer> not_in,
                           Customer::Where(col(&Customer::id).NotIn(ids)).All());
  EXPECT_EQ(Ids(not_in), Expected([&](const Customer& c) { return !listed(c); }));

  // Text values, with another condition.
  DUO_ASSERT_OK_AND_ASSIGN(
      std::vector<Customer> named,
      Customer::Where(col(&Customer::name).In(names)).FilterBy({{"region", "r"}}).All());
  EXPECT_EQ(Ids(named), Expected([&](const Customer& c) {
              const int64_t number = std::stoll(c.name.substr(1));
              return number % 2 == 0 && number / 2 < n && c.region.has_value();
            }));
}

// Not on MariaDB: a statement binds at most 65,535 values there, and the
// MySQL dialect has no array parameter yet for a longer list (see
// //duo/session:in_list_test).
INSTANTIATE_TEST_SUITE_P(Backends, LargeInTest,
                         ::testing::ValuesIn(duo::testing::SelectedBackends(
                             {duo::testing::Backend::kSqlite, duo::testing::Backend::kPostgres,
                              duo::testing::Backend::kPgBouncer})),
                         duo::testing::BackendParamName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LargeInTest);

}  // namespace
}  // namespace shop
