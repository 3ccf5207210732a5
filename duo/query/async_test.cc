// The ...Async twins of every terminal operation and CRUD call: the same
// results as the sync forms on SQLite and PostgreSQL, and concurrent
// transactions through the ORM without cross-talk.

#include "duo/async/async.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"
#include "duo/query/query.h"
#include "duo/query/testdata/shop.h"
#include "duo/query/testdata/shop_test_base.h"
#include "duo/session/database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"
#include "testing/status.h"

namespace shop {
namespace {

using ::duo::SyncWait;
using ::duo::Task;

std::vector<int64_t> Ids(const std::vector<Order>& orders) {
  std::vector<int64_t> ids;
  for (const Order& order : orders) ids.push_back(order.id);
  return ids;
}

class AsyncQueryTest : public ShopTestBase {
 protected:
  void SetUp() override {
    ShopTestBase::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* name : {"Ada", "Bob", "Cy"}) {
      customers_.push_back(*Customer::Create({.name = name, .region = "north"}));
    }
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(Order::Create({.customer_id = customers_[i % 2].id,
                                 .status = i % 3 == 0 ? "pending" : "completed",
                                 .total_amount = 100.0 * i})
                      .ok());
    }
  }
  std::vector<Customer> customers_;
};

TEST_P(AsyncQueryTest, EveryTerminalOperationGivesTheSameResultAsync) {
  const duo::Query<Order> completed =
      Order::FilterBy({{"status", "completed"}}).OrderBy("-total_amount");

  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Order> all, completed.All());
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Order> all_async, SyncWait(completed.AllAsync()));
  EXPECT_EQ(Ids(all_async), Ids(all));
  EXPECT_EQ(all.size(), 8u);

  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Order> first, SyncWait(completed.FirstAsync()));
  EXPECT_EQ(first->id, completed.First().value()->id);
  DUO_ASSERT_OK_AND_ASSIGN(Order one, SyncWait(completed.Limit(1).OneAsync()));
  EXPECT_EQ(one.id, first->id);
  absl::StatusOr<Order> many = SyncWait(completed.OneAsync());
  EXPECT_TRUE(duo::IsMultipleObjectsFound(many.status())) << many.status();
  absl::StatusOr<Order> none = SyncWait(Order::FilterBy({{"status", "lost"}}).OneAsync());
  EXPECT_TRUE(duo::IsObjectNotFound(none.status())) << none.status();

  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Order> got, SyncWait(Order::GetAsync(first->id)));
  EXPECT_EQ(got->total_amount, first->total_amount);
  DUO_ASSERT_OK_AND_ASSIGN(std::optional<Order> absent, SyncWait(Order::GetAsync(int64_t{999999})));
  EXPECT_FALSE(absent.has_value());

  EXPECT_EQ(SyncWait(completed.CountAsync()).value(), completed.Count().value());
  EXPECT_EQ(SyncWait(Order::CountAsync()).value(), 12);
  EXPECT_TRUE(SyncWait(completed.ExistsAsync()).value());
  EXPECT_FALSE(SyncWait(Order::FilterBy({{"status", "lost"}}).ExistsAsync()).value());

  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Order> page, SyncWait(completed.PageAsync(2, 3)));
  DUO_ASSERT_OK_AND_ASSIGN(duo::Page<Order> page_sync, completed.Page(2, 3));
  EXPECT_EQ(Ids(page.items), Ids(page_sync.items));
  EXPECT_EQ(page.total, 8);
  EXPECT_EQ(page.pages, 3);
  EXPECT_TRUE(page.has_next);

  // Keyset batches and streamed (ordered) batches.
  for (const duo::Query<Order>& query : {Order::Query(), completed}) {
    std::vector<int64_t> seen, seen_sync;
    ASSERT_TRUE(SyncWait(query.IterateAsync(5, [&](Order& o) {
                  seen.push_back(o.id);
                  return absl::OkStatus();
                })).ok());
    ASSERT_TRUE(query
                    .Iterate(5,
                             [&](Order& o) {
                               seen_sync.push_back(o.id);
                               return absl::OkStatus();
                             })
                    .ok());
    EXPECT_EQ(seen, seen_sync);
    EXPECT_FALSE(seen.empty());
  }

  // Eager loading: the same constant number of statements.
  const int64_t before = statements();
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Customer> loaded,
                           SyncWait(Customer::Related("orders").OrderBy("id").AllAsync()));
  EXPECT_EQ(statements() - before, 2);
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].orders.size(), 6u);
  EXPECT_EQ(loaded[2].orders.size(), 0u);
}

TEST_P(AsyncQueryTest, CrudAndBulkOperationsAsync) {
  DUO_ASSERT_OK_AND_ASSIGN(
      Order created,
      SyncWait(Order::CreateAsync({.customer_id = customers_[2].id, .total_amount = 5})));
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.status, "pending");  // the server default, read back
  DUO_ASSERT_OK_AND_ASSIGN(Order from_payload,
                           SyncWait(Order::CreateAsync(duo::Payload{
                               {"customer_id", customers_[2].id}, {"total_amount", 6.0}})));
  EXPECT_GT(from_payload.id, created.id);

  created.total_amount = 50;
  ASSERT_TRUE(SyncWait(created.SaveAsync()).ok());
  EXPECT_EQ(Order::Get(created.id).value()->total_amount, 50);

  ASSERT_TRUE(db_->Execute(duo::sql::Update(duo::TableOf<Order>())
                               .Set({{"total_amount", 75.0}})
                               .Where(col(&Order::id) == created.id))
                  .ok());
  ASSERT_TRUE(SyncWait(Order::RefreshAsync(created)).ok());
  EXPECT_EQ(created.total_amount, 75);

  ASSERT_TRUE(SyncWait(created.DeleteAsync()).ok());
  EXPECT_FALSE(Order::Get(created.id).value().has_value());
  EXPECT_TRUE(duo::IsObjectNotFound(SyncWait(created.DeleteAsync())));

  std::vector<Order> bulk;
  for (int i = 0; i < 250; ++i)
    bulk.push_back({.customer_id = customers_[2].id, .total_amount = 1.0 * i});
  DUO_ASSERT_OK_AND_ASSIGN(std::vector<Order> stored,
                           SyncWait(Order::CreateBulkAsync(bulk, {.batch_size = 100})));
  ASSERT_EQ(stored.size(), 250u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_GT(stored[i].id, 0);
    EXPECT_EQ(stored[i].total_amount, 1.0 * i);
    EXPECT_EQ(stored[i].status, "pending");
  }

  const duo::Query<Order> cys = Order::FilterBy({{"customer_id", customers_[2].id}});
  EXPECT_EQ(SyncWait(Order::Query().UpdateBulkAsync(duo::Payload{{"status", "x"}})).status().code(),
            absl::StatusCode::kFailedPrecondition);  // the guard
  EXPECT_EQ(SyncWait(cys.UpdateBulkAsync(duo::Payload{{"status", "shipped"}})).value(), 251);
  EXPECT_EQ(cys.FilterBy({{"status", "shipped"}}).Count().value(), 251);
  EXPECT_EQ(SyncWait(cys.DeleteBulkAsync({.with_hooks = true, .batch_size = 100})).value(), 251);
  EXPECT_EQ(cys.Count().value(), 0);
  EXPECT_EQ(Order::Count().value(), 12);
}

TEST_P(AsyncQueryTest, FiftyCoroutinesInTransactionsEndWithTheRightTotals) {
  constexpr int kTasks = 50;
  const int64_t customer = customers_[2].id;
  duo::Database db = *db_;
  auto order = [db, customer](int i) -> Task<absl::Status> {
    co_return co_await db.TransactionAsync([customer, i](duo::Session&) -> Task<absl::Status> {
      // (Braced temporaries are built outside co_await expressions: GCC 12
      // mishandles initializer lists that live across a suspension.)
      const Order draft{.customer_id = customer, .total_amount = 1.0 * i};
      DUO_CO_ASSIGN_OR_RETURN(Order created, co_await Order::CreateAsync(draft));
      // The ORM finds this task's transaction: the new row is visible to
      // it, uncommitted, and to no other task.
      const duo::Query<Order> same =
          Order::FilterBy({{"customer_id", customer}, {"total_amount", 1.0 * i}});
      DUO_CO_ASSIGN_OR_RETURN(int64_t mine, co_await same.CountAsync());
      if (mine != 1)
        co_return absl::InternalError(absl::StrCat("task ", i, " sees ", mine, " rows"));
      if (i % 10 == 9) co_return absl::AbortedError("rolled back on purpose");
      created.status = "paid";
      co_return co_await created.SaveAsync();
    });
  };
  std::vector<Task<absl::Status>> tasks;
  for (int i = 0; i < kTasks; ++i) tasks.push_back(order(i));
  const std::vector<absl::Status> statuses = SyncWait(duo::WhenAllSettled(std::move(tasks)));
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(statuses[i].ok(), i % 10 != 9) << i << ": " << statuses[i];
  }
  const duo::Query<Order> cys = Order::FilterBy({{"customer_id", customer}});
  EXPECT_EQ(cys.Count().value(), 45);
  EXPECT_EQ(cys.FilterBy({{"status", "paid"}}).Count().value(), 45);
  EXPECT_EQ(cys.Where(col(&Order::total_amount) == 9.0).Count().value(), 0);
}

DUO_INSTANTIATE_BACKEND_TEST(AsyncQueryTest);

}  // namespace
}  // namespace shop
