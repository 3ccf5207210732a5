// The pool with real SQLite connections (a shared temporary file).

#include "duo/engine/pool.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "duo/engine/sqlite/driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/database.h"

namespace duo::engine {
namespace {

using ::testing::HasSubstr;

class PoolTest : public duo::testing::SqliteTest {
 protected:
  ConnectionPool::Factory Factory() {
    return [this]() -> absl::StatusOr<std::unique_ptr<Connection>> {
      ++factory_calls_;
      return OpenSqlite({.filename = database().native_target()});
    };
  }
  std::atomic<int> factory_calls_{0};
};

// Waits until `pool` has `count` callers queued.
void AwaitWaiting(const ConnectionPool& pool, int count) {
  while (pool.stats().waiting < count) absl::SleepFor(absl::Milliseconds(1));
}

TEST_F(PoolTest, WaitersAreServedInArrivalOrder) {
  ConnectionPool pool(Factory(), {.size = 1, .max_overflow = 0});
  absl::StatusOr<PooledConnection> held = pool.Acquire();
  ASSERT_TRUE(held.ok());
  std::mutex order_mu;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 6; ++i) {
    waiters.emplace_back([&, i] {
      absl::StatusOr<PooledConnection> mine = pool.Acquire();
      ASSERT_TRUE(mine.ok()) << mine.status();
      std::lock_guard<std::mutex> lock(order_mu);
      order.push_back(i);
    });
    AwaitWaiting(pool, i + 1);  // queued before the next one starts
  }
  *held = PooledConnection();
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_THAT(order, ::testing::ElementsAre(0, 1, 2, 3, 4, 5));
}

// A caller that returns a connection and asks again at once must not take
// it back from one already waiting.
TEST_F(PoolTest, ACallerCyclingConnectionsCannotStarveAWaiter) {
  ConnectionPool pool(Factory(),
                      {.size = 1, .max_overflow = 0, .acquire_timeout = absl::Seconds(20)});
  absl::StatusOr<PooledConnection> first = pool.Acquire();
  ASSERT_TRUE(first.ok());
  std::atomic<bool> waiter_served{false};
  std::atomic<int> cycles_before_served{-1};
  std::thread waiter([&] {
    absl::StatusOr<PooledConnection> mine = pool.Acquire();
    EXPECT_TRUE(mine.ok()) << mine.status();
    waiter_served = true;
  });
  AwaitWaiting(pool, 1);
  *first = PooledConnection();  // the waiter's turn
  for (int cycle = 0; cycle < 200; ++cycle) {
    absl::StatusOr<PooledConnection> again = pool.Acquire();
    ASSERT_TRUE(again.ok()) << again.status();
    if (waiter_served && cycles_before_served < 0) cycles_before_served = cycle;
  }
  waiter.join();
  // The cycler's first acquire already had to wait for the waiter.
  EXPECT_EQ(cycles_before_served.load(), 0);
}

TEST_F(PoolTest, ReusesIdleConnections) {
  ConnectionPool pool(Factory(), {.size = 2, .max_overflow = 0});
  Connection* first = nullptr;
  {
    absl::StatusOr<PooledConnection> a = pool.Acquire();
    ASSERT_TRUE(a.ok()) << a.status();
    first = a->get();
  }
  absl::StatusOr<PooledConnection> again = pool.Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first);
  EXPECT_EQ(factory_calls_.load(), 1);
  EXPECT_EQ(pool.stats().open, 1);
}

TEST_F(PoolTest, OverflowConnectionsCloseWhenReturned) {
  ConnectionPool pool(Factory(), {.size = 1, .max_overflow = 2});
  {
    std::vector<PooledConnection> held;
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<PooledConnection> c = pool.Acquire();
      ASSERT_TRUE(c.ok()) << c.status();
      held.push_back(*std::move(c));
    }
    EXPECT_EQ(pool.stats().open, 3);
  }
  EXPECT_EQ(pool.stats().open, 1);
  EXPECT_EQ(pool.stats().idle, 1);
}

TEST_F(PoolTest, AcquireTimesOutWithAClearError) {
  ConnectionPool pool(Factory(),
                      {.size = 1, .max_overflow = 1, .acquire_timeout = absl::Milliseconds(50)});
  absl::StatusOr<PooledConnection> a = pool.Acquire();
  absl::StatusOr<PooledConnection> b = pool.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<PooledConnection> c = pool.Acquire();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(c.status().message(), HasSubstr("all 2 connections are in use"));
}

TEST_F(PoolTest, AWaiterGetsAReturnedConnection) {
  ConnectionPool pool(Factory(), {.size = 1, .max_overflow = 0});
  absl::StatusOr<PooledConnection> held = pool.Acquire();
  ASSERT_TRUE(held.ok());
  absl::Notification waiting;
  absl::Status waiter_status;
  std::thread waiter([&] {
    waiting.Notify();
    waiter_status = pool.Acquire().status();
  });
  waiting.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(20));
  *held = PooledConnection();  // give it back
  waiter.join();
  EXPECT_TRUE(waiter_status.ok()) << waiter_status;
  EXPECT_EQ(factory_calls_.load(), 1);
}

TEST_F(PoolTest, DiscardedAndMidTransactionConnectionsAreNotReused) {
  ConnectionPool pool(Factory(), {.size = 2, .max_overflow = 0});
  {
    absl::StatusOr<PooledConnection> c = pool.Acquire();
    ASSERT_TRUE(c.ok());
    c->Discard();
  }
  {
    absl::StatusOr<PooledConnection> c = pool.Acquire();
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->ExecuteScript("BEGIN").ok());
  }
  EXPECT_EQ(pool.stats().idle, 0);
  EXPECT_EQ(pool.stats().discarded, 2);
  EXPECT_TRUE(pool.Acquire().ok());
  EXPECT_EQ(factory_calls_.load(), 3);
}

TEST_F(PoolTest, FactoryErrorsReachTheCallerAndFreeTheSlot) {
  int calls = 0;
  ConnectionPool pool(
      [&]() -> absl::StatusOr<std::unique_ptr<Connection>> {
        if (++calls == 1) return absl::UnavailableError("server down");
        return OpenSqlite({.filename = database().native_target()});
      },
      {.size = 1, .max_overflow = 0, .acquire_timeout = absl::Milliseconds(10)});
  EXPECT_EQ(pool.Acquire().status().message(), "server down");
  EXPECT_TRUE(pool.Acquire().ok());
}

TEST_F(PoolTest, CloseIdleClosesAndReopensOnDemand) {
  ConnectionPool pool(Factory(), {.size = 2, .max_overflow = 0});
  { ASSERT_TRUE(pool.Acquire().ok()); }
  pool.CloseIdle();
  EXPECT_EQ(pool.stats().open, 0);
  EXPECT_TRUE(pool.Acquire().ok());
  EXPECT_EQ(factory_calls_.load(), 2);
}

TEST_F(PoolTest, ManyThreadsNeverExceedTheLimit) {
  ConnectionPool pool(Factory(), {.size = 2, .max_overflow = 1});
  std::atomic<int> in_use{0};
  std::atomic<int> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<PooledConnection> c = pool.Acquire();
        ASSERT_TRUE(c.ok()) << c.status();
        const int now = ++in_use;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --in_use;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_LE(pool.stats().open, 3);
}

}  // namespace
}  // namespace duo::engine
