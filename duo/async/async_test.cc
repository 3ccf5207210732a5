#include "duo/async/async.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "duo/async/context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace duo {
namespace {

using ::testing::ElementsAre;

Task<absl::StatusOr<int>> Constant(int value) { co_return value; }

Task<absl::StatusOr<int>> Sum(int a, int b) {
  absl::StatusOr<int> x = co_await Constant(a);
  absl::StatusOr<int> y = co_await Constant(b);
  if (!x.ok()) co_return x.status();
  co_return *x + *y;
}

TEST(TaskTest, ComposesAndRunsInlineWithoutSuspending) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  auto task = [&]() -> Task<absl::StatusOr<int>> {
    ran_on = std::this_thread::get_id();
    co_return co_await Sum(2, 3);
  };
  EXPECT_EQ(SyncWait(task()).value(), 5);
  EXPECT_EQ(ran_on, caller);
}

TEST(TaskTest, AnExceptionBecomesAnInternalError) {
  auto throwing = []() -> Task<absl::Status> {
    throw std::runtime_error("disk on fire");
    co_return absl::OkStatus();
  };
  auto outer = [&]() -> Task<absl::Status> { co_return co_await throwing(); };
  const absl::Status status = SyncWait(outer());
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("disk on fire"));
}

TEST(TaskTest, ResumesOnTheLoopThreadAfterSuspending) {
  async::EventLoop& loop = async::EventLoop::Default();
  auto task = [&]() -> Task<absl::StatusOr<bool>> {
    co_await loop.Sleep(absl::Milliseconds(5));
    co_return loop.InLoopThread();
  };
  EXPECT_TRUE(SyncWait(task()).value());
}

TEST(TaskTest, WhenAllRunsTasksConcurrently) {
  async::EventLoop& loop = async::EventLoop::Default();
  std::vector<absl::Time> starts, ends;
  auto sleeper = [&](int i) -> Task<absl::StatusOr<int>> {
    starts.push_back(absl::Now());
    co_await loop.Sleep(absl::Milliseconds(100));
    ends.push_back(absl::Now());
    co_return i * 10;
  };
  std::vector<Task<absl::StatusOr<int>>> tasks;
  for (int i = 0; i < 10; ++i) tasks.push_back(sleeper(i));
  absl::StatusOr<std::vector<int>> results = SyncWait(WhenAll(std::move(tasks)));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ((*results)[i], i * 10);
  // Every sleeper started before the first one woke up.
  ASSERT_EQ(starts.size(), 10u);
  EXPECT_LT(*std::max_element(starts.begin(), starts.end()),
            *std::min_element(ends.begin(), ends.end()));
}

// One failure fails the whole, with the first failing task's status (in
// the tasks' order, not the order they ended), but only once every task
// has ended: none is abandoned half-way.
TEST(TaskTest, WhenAllFailsWithTheFirstFailureAfterEveryTaskEnds) {
  async::EventLoop& loop = async::EventLoop::Default();
  std::atomic<int> ended{0};
  auto task = [&](int i, absl::Duration sleep, absl::Status outcome) -> Task<absl::StatusOr<int>> {
    co_await loop.Sleep(sleep);
    ++ended;
    if (!outcome.ok()) co_return outcome;
    co_return i;
  };
  std::vector<Task<absl::StatusOr<int>>> tasks;
  tasks.push_back(task(0, absl::Milliseconds(30), absl::OkStatus()));
  tasks.push_back(task(1, absl::Milliseconds(20), absl::NotFoundError("second")));
  tasks.push_back(task(2, absl::Milliseconds(1), absl::AbortedError("third, ends first")));
  tasks.push_back(task(3, absl::Milliseconds(40), absl::OkStatus()));
  absl::StatusOr<std::vector<int>> all = SyncWait(WhenAll(std::move(tasks)));
  EXPECT_EQ(all.status(), absl::NotFoundError("second"));
  EXPECT_EQ(ended.load(), 4);

  std::vector<Task<absl::Status>> plain;
  auto status_task = [&](absl::Status outcome) -> Task<absl::Status> {
    co_await loop.Sleep(absl::Milliseconds(1));
    co_return outcome;
  };
  plain.push_back(status_task(absl::OkStatus()));
  plain.push_back(status_task(absl::OkStatus()));
  EXPECT_TRUE(SyncWait(WhenAll(std::move(plain))).ok());
  plain.push_back(status_task(absl::OkStatus()));
  plain.push_back(status_task(absl::InternalError("boom")));
  EXPECT_EQ(SyncWait(WhenAll(std::move(plain))), absl::InternalError("boom"));
  EXPECT_TRUE(SyncWait(WhenAll(std::vector<Task<absl::Status>>())).ok());
}

TEST(TaskTest, WhenAllSettledYieldsEveryOutcomeInOrder) {
  async::EventLoop& loop = async::EventLoop::Default();
  auto task = [&](absl::Duration sleep, absl::StatusOr<int> outcome) -> Task<absl::StatusOr<int>> {
    co_await loop.Sleep(sleep);
    co_return outcome;
  };
  std::vector<Task<absl::StatusOr<int>>> tasks;
  tasks.push_back(task(absl::Milliseconds(20), 7));
  tasks.push_back(task(absl::Milliseconds(1), absl::UnavailableError("down")));
  tasks.push_back(task(absl::Milliseconds(10), 9));
  const std::vector<absl::StatusOr<int>> outcomes = SyncWait(WhenAllSettled(std::move(tasks)));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].value(), 7);
  EXPECT_EQ(outcomes[1].status(), absl::UnavailableError("down"));
  EXPECT_EQ(outcomes[2].value(), 9);
  // Awaited from a task, too.
  auto outer = [&]() -> Task<absl::StatusOr<int>> {
    std::vector<Task<absl::StatusOr<int>>> inner;
    inner.push_back(task(absl::Milliseconds(1), 1));
    inner.push_back(task(absl::Milliseconds(2), absl::NotFoundError("none")));
    std::vector<absl::StatusOr<int>> settled = co_await WhenAllSettled(std::move(inner));
    co_return static_cast<int>(settled.size()) * 10 + (settled[1].ok() ? 0 : 1);
  };
  EXPECT_EQ(SyncWait(outer()).value(), 21);
}

std::string CurrentName() {
  const std::shared_ptr<const void>& context = async::CurrentContext();
  return context ? *static_cast<const std::string*>(context.get()) : "";
}

Task<absl::StatusOr<std::string>> NameAfterSleep(absl::Duration sleep) {
  co_await async::EventLoop::Default().Sleep(sleep);
  co_return CurrentName();
}

TEST(TaskTest, EachTaskKeepsItsContextAcrossSuspensionAndThreads) {
  async::Worker worker;
  auto named = [&](std::string name, absl::Duration sleep) -> Task<absl::StatusOr<std::string>> {
    async::CurrentContext() = std::make_shared<const std::string>(name);
    // The loop thread, then a worker thread, then the loop again.
    absl::StatusOr<std::string> after_sleep = co_await NameAfterSleep(sleep);
    std::string on_worker = co_await worker.Run([] { return CurrentName(); });
    co_await async::EventLoop::Default().Sleep(sleep);
    co_return *after_sleep + "/" + on_worker + "/" + CurrentName();
  };
  std::vector<Task<absl::StatusOr<std::string>>> tasks;
  tasks.push_back(named("a", absl::Milliseconds(20)));
  tasks.push_back(named("b", absl::Milliseconds(5)));
  tasks.push_back(named("c", absl::Milliseconds(10)));
  absl::StatusOr<std::vector<std::string>> names = SyncWait(WhenAll(std::move(tasks)));
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("a/a/a", "b/b/b", "c/c/c"));
  // The caller's own context is untouched.
  EXPECT_EQ(CurrentName(), "");
}

TEST(TaskTest, ATaskInheritsItsAwaitersContext) {
  async::ContextScope scope(std::make_shared<const std::string>("outer"));
  EXPECT_EQ(SyncWait(NameAfterSleep(absl::Milliseconds(1))).value(), "outer");
  EXPECT_EQ(CurrentName(), "outer");
}

TEST(TaskTest, SyncWaitInsideATaskKeepsTheLoopRunning) {
  auto inner = []() -> Task<absl::StatusOr<int>> {
    co_await async::EventLoop::Default().Sleep(absl::Milliseconds(5));
    co_return 7;
  };
  auto outer = [&]() -> Task<absl::StatusOr<int>> {
    co_await async::EventLoop::Default().Sleep(absl::Milliseconds(1));
    // On the loop thread now: a blocking wait must not deadlock it.
    co_return SyncWait(inner());
  };
  EXPECT_EQ(SyncWait(outer()).value(), 7);
}

TEST(EventLoopTest, WaitingOnASocketTimesOutWithDeadlineExceeded) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  async::EventLoop& loop = async::EventLoop::Default();
  auto wait = [&](absl::Duration timeout) -> Task<absl::Status> {
    co_return co_await loop.WaitReadable(fds[0], absl::Now() + timeout);
  };
  EXPECT_EQ(SyncWait(wait(absl::Milliseconds(20))).code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  EXPECT_TRUE(SyncWait(wait(absl::Seconds(10))).ok());
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, CancelledTimersDoNotRun) {
  async::EventLoop& loop = async::EventLoop::Default();
  std::atomic<int> ran{0};
  const uint64_t id = loop.AddTimer(absl::Now() + absl::Milliseconds(20), [&] { ran += 1; });
  EXPECT_TRUE(loop.CancelTimer(id));
  auto sleep = [&]() -> Task<absl::Status> {
    co_return co_await loop.Sleep(absl::Milliseconds(40));
  };
  EXPECT_TRUE(SyncWait(sleep()).ok());
  EXPECT_EQ(ran.load(), 0);
  EXPECT_FALSE(loop.CancelTimer(id));
}

}  // namespace
}  // namespace duo
