// The event loop's own API (duo/async/event_loop.h): posted work, timers
// (ordering, cancellation), fd readiness and deadlines, calls from many
// threads, and loops of a program's own. Tasks on top of it are async_test's.

#include "duo/async/event_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/sync_wait.h"
#include "duo/async/task.h"
#include "duo/async/worker.h"
#include "duo/base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo::async {
namespace {

using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);

// absl::Notification's role, on std::mutex: Debian's abseil carries no
// ThreadSanitizer annotations, so TSan would not see what absl::Mutex orders
// and would report the test's own stack variables as races.
class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool WaitForNotificationWithTimeout(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// A pipe whose ends are closed at the end of the test.
struct Pipe {
  Pipe() { EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
  }
  int fds[2] = {-1, -1};
};

TEST(EventLoopTest, PostRunsOnTheLoopThreadInOrder) {
  EventLoop& loop = EventLoop::Default();
  EXPECT_FALSE(loop.InLoopThread());
  std::mutex mu;
  std::vector<int> order;
  std::atomic<bool> all_in_loop{true};
  Notification done;
  for (int i = 0; i < 5; ++i) {
    loop.Post([&, i] {
      if (!loop.InLoopThread()) all_in_loop = false;
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      if (i == 4) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(all_in_loop);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4));
}

TEST(EventLoopTest, PostFromManyThreads) {
  EventLoop& loop = EventLoop::Default();
  constexpr int kThreads = 4;
  constexpr int kEach = 250;
  std::atomic<int> count{0};
  Notification done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        loop.Post([&] {
          // Only the loop thread touches `count` here: no lost updates
          // even without atomics, but atomics keep TSan's view simple.
          if (count.fetch_add(1) + 1 == kThreads * kEach) done.Notify();
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(count.load(), kThreads * kEach);
}

TEST(EventLoopTest, TimersRunInTimeOrderNotAddOrder) {
  EventLoop& loop = EventLoop::Default();
  const absl::Time now = absl::Now();
  std::mutex mu;
  std::vector<int> order;
  Notification done;
  auto record = [&](int value) {
    return [&, value] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(value);
      if (order.size() == 4) done.Notify();
    };
  };
  loop.AddTimer(now + absl::Milliseconds(60), record(3));
  loop.AddTimer(now + absl::Milliseconds(20), record(1));
  loop.AddTimer(now + absl::Milliseconds(40), record(2));
  loop.AddTimer(now + absl::Milliseconds(60), record(4));  // same time: added later, runs later
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 4));
}

TEST(EventLoopTest, TimerDoesNotRunEarly) {
  EventLoop& loop = EventLoop::Default();
  const absl::Time when = absl::Now() + absl::Milliseconds(50);
  std::atomic<int64_t> ran_at{0};
  Notification done;
  loop.AddTimer(when, [&] {
    EXPECT_TRUE(EventLoop::Default().InLoopThread());
    ran_at = absl::ToUnixMicros(absl::Now());
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_GE(ran_at.load(), absl::ToUnixMicros(when));
}

TEST(EventLoopTest, TimerInThePastRunsSoon) {
  Notification done;
  EventLoop::Default().AddTimer(absl::Now() - absl::Seconds(1), [&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
}

TEST(EventLoopTest, CancelledTimerNeverRuns) {
  EventLoop& loop = EventLoop::Default();
  std::atomic<bool> cancelled_ran{false};
  Notification later_ran;
  const uint64_t id =
      loop.AddTimer(absl::Now() + absl::Milliseconds(30), [&] { cancelled_ran = true; });
  const uint64_t other =
      loop.AddTimer(absl::Now() + absl::Milliseconds(80), [&] { later_ran.Notify(); });
  EXPECT_NE(id, other);
  EXPECT_TRUE(loop.CancelTimer(id));
  EXPECT_FALSE(loop.CancelTimer(id));  // already cancelled
  ASSERT_TRUE(later_ran.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(cancelled_ran);
  EXPECT_FALSE(loop.CancelTimer(other));              // already ran
  EXPECT_FALSE(loop.CancelTimer(0xFFFFFFFFFFFFull));  // never existed
}

TEST(EventLoopTest, TimerCanCancelAnotherFromTheLoop) {
  EventLoop& loop = EventLoop::Default();
  std::atomic<bool> second_ran{false};
  Notification done;
  const absl::Time now = absl::Now();
  std::atomic<uint64_t> second{0};
  second = loop.AddTimer(now + absl::Milliseconds(60), [&] { second_ran = true; });
  loop.AddTimer(now + absl::Milliseconds(20),
                [&] { EXPECT_TRUE(EventLoop::Default().CancelTimer(second.load())); });
  loop.AddTimer(now + absl::Milliseconds(120), [&] { done.Notify(); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(second_ran);
}

TEST(EventLoopTest, PostedWorkMayAddTimersAndPostMore) {
  EventLoop& loop = EventLoop::Default();
  Notification done;
  loop.Post([&] {
    EventLoop::Default().AddTimer(absl::Now() + absl::Milliseconds(5),
                                  [&] { EventLoop::Default().Post([&] { done.Notify(); }); });
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
}

Task<absl::Status> WaitReadable(int fd, absl::Time deadline) {
  co_return co_await EventLoop::Default().WaitReadable(fd, deadline);
}

TEST(EventLoopTest, FdBecomesReadable) {
  Pipe pipe;
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    EXPECT_EQ(write(pipe.fds[1], "x", 1), 1);
  });
  const absl::Time start = absl::Now();
  const absl::Status status = SyncWait(WaitReadable(pipe.fds[0], start + kWait));
  writer.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_LT(absl::Now() - start, kWait);
  char byte = 0;
  EXPECT_EQ(read(pipe.fds[0], &byte, 1), 1);
  EXPECT_EQ(byte, 'x');
}

TEST(EventLoopTest, AlreadyReadableFdResumesAtOnce) {
  Pipe pipe;
  ASSERT_EQ(write(pipe.fds[1], "y", 1), 1);
  EXPECT_TRUE(SyncWait(WaitReadable(pipe.fds[0], absl::Now() + kWait)).ok());
}

TEST(EventLoopTest, FdWaitDeadline) {
  Pipe pipe;
  const absl::Time start = absl::Now();
  const absl::Status status = SyncWait(WaitReadable(pipe.fds[0], start + absl::Milliseconds(30)));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
  // The fd can be waited on again after a deadline.
  ASSERT_EQ(write(pipe.fds[1], "z", 1), 1);
  EXPECT_TRUE(SyncWait(WaitReadable(pipe.fds[0], absl::Now() + kWait)).ok());
}

TEST(EventLoopTest, ClosedPeerCountsAsReadable) {
  Pipe pipe;
  close(pipe.fds[1]);
  pipe.fds[1] = -1;
  // Readable: read() would return 0 (end of file), which the waiter reports.
  EXPECT_TRUE(SyncWait(WaitReadable(pipe.fds[0], absl::Now() + kWait)).ok());
}

TEST(EventLoopTest, FdBecomesWritable) {
  Pipe pipe;
  auto wait = [](int fd) -> Task<absl::Status> {
    co_return co_await EventLoop::Default().WaitWritable(fd, absl::Now() + kWait);
  };
  EXPECT_TRUE(SyncWait(wait(pipe.fds[1])).ok());
  auto either = [](int fd) -> Task<absl::Status> {
    co_return co_await EventLoop::Default().WaitReadableOrWritable(fd, absl::Now() + kWait);
  };
  EXPECT_TRUE(SyncWait(either(pipe.fds[1])).ok());
}

TEST(EventLoopTest, SleepResumesOnTheLoopThreadAfterTheDuration) {
  auto sleeper = []() -> Task<absl::Status> {
    const absl::Time start = absl::Now();
    co_await EventLoop::Default().Sleep(absl::Milliseconds(25));
    if (!EventLoop::Default().InLoopThread()) co_return absl::InternalError("not on the loop");
    if (absl::Now() - start < absl::Milliseconds(25)) co_return absl::InternalError("early");
    co_return absl::OkStatus();
  };
  const absl::Status status = SyncWait(sleeper());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(EventLoopTest, ManyConcurrentFdWaitsFromManyThreads) {
  constexpr int kPipes = 8;
  std::vector<Pipe> pipes(kPipes);
  std::vector<std::thread> waiters;
  std::atomic<int> ok{0};
  for (int i = 0; i < kPipes; ++i) {
    waiters.emplace_back([&, i] {
      if (SyncWait(WaitReadable(pipes[i].fds[0], absl::Now() + kWait)).ok()) ++ok;
    });
  }
  absl::SleepFor(absl::Milliseconds(10));
  for (int i = kPipes; i-- > 0;) ASSERT_EQ(write(pipes[i].fds[1], "w", 1), 1);
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_EQ(ok.load(), kPipes);
}

// Loops of a program's own (DatabaseOptions::event_loop): each has its own
// thread, and tasks awaiting one resume there, never on the default loop.

TEST(OwnEventLoopTest, RunsPostedWorkOnItsOwnThread) {
  EventLoop loop;
  Notification ran;
  std::atomic<bool> on_own_thread{false};
  std::atomic<bool> on_default_thread{true};
  loop.Post([&] {
    on_own_thread = loop.InLoopThread() && EventLoop::OfCurrentThread() == &loop;
    on_default_thread = EventLoop::Default().InLoopThread();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(on_own_thread);
  EXPECT_FALSE(on_default_thread);
  EXPECT_FALSE(loop.InLoopThread());
  EXPECT_EQ(EventLoop::OfCurrentThread(), nullptr);
}

TEST(OwnEventLoopTest, DestructionRunsWhatWasPostedThenJoins) {
  std::vector<int> order;  // written on the loop thread, read after the join
  {
    EventLoop loop;
    for (int i = 0; i < 100; ++i) loop.Post([&order, i] { order.push_back(i); });
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(OwnEventLoopTest, TasksWaitAndSleepOnTheLoopTheyAreGiven) {
  EventLoop loop;
  Pipe pipe;
  ASSERT_EQ(write(pipe.fds[1], "x", 1), 1);
  auto task = [](EventLoop& loop, int fd) -> Task<absl::Status> {
    DUO_CO_RETURN_IF_ERROR(co_await loop.WaitReadable(fd, absl::Now() + kWait));
    if (!loop.InLoopThread()) co_return absl::InternalError("fd wait resumed elsewhere");
    co_await loop.Sleep(absl::Milliseconds(1));
    if (!loop.InLoopThread()) co_return absl::InternalError("sleep resumed elsewhere");
    co_return absl::OkStatus();
  };
  const absl::Status status = SyncWait(task(loop, pipe.fds[0]));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(OwnEventLoopTest, WorkersHandTasksBackToTheirLoop) {
  EventLoop loop;
  Worker worker(loop);
  auto task = [](Worker& worker, EventLoop& loop) -> Task<absl::StatusOr<int>> {
    const int answer = co_await worker.Run([] { return 42; });
    if (!loop.InLoopThread()) co_return absl::InternalError("resumed off the worker's loop");
    co_return answer;
  };
  const absl::StatusOr<int> answer = SyncWait(task(worker, loop));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, 42);
}

// A blocking call inside a task on a loop must keep that loop turning, or
// what it waits for (resumed on the same loop) could never run.
TEST(OwnEventLoopTest, SyncWaitInsideATaskKeepsItsOwnLoopRunning) {
  EventLoop loop;
  auto inner = [](EventLoop& loop) -> Task<absl::Status> {
    co_await loop.Sleep(absl::Milliseconds(5));
    co_return loop.InLoopThread() ? absl::OkStatus() : absl::InternalError("inner elsewhere");
  };
  auto outer = [&inner](EventLoop& loop) -> Task<absl::Status> {
    co_await loop.Sleep(absl::Milliseconds(1));  // now on the loop's thread
    co_return SyncWait(inner(loop));
  };
  const absl::Status status = SyncWait(outer(loop));
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace duo::async
