// Running tasks from synchronous code, and several at once.
//
//   absl::StatusOr<Result> r = duo::SyncWait(db.ExecuteAsync(select));
//   absl::StatusOr<std::vector<absl::Status>> all =
//       duo::SyncWait(duo::WhenAll(std::move(tasks)));

#ifndef DUO_ASYNC_SYNC_WAIT_H_
#define DUO_ASYNC_SYNC_WAIT_H_

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "duo/async/context.h"
#include "duo/async/event_loop.h"
#include "duo/async/task.h"

namespace duo {
namespace async_internal {

// A coroutine that starts as soon as it is called and frees itself when it
// ends: the bridge from plain code into a Task.
struct Detached {
  struct promise_type {
    static void* operator new(std::size_t size) { return AllocateFrame(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { FreeFrame(frame, size); }
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    // Tasks turn exceptions into statuses, so none reaches here.
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

template <typename T, typename Done>
Detached RunDetached(Task<T> task, std::optional<T>& result, Done done) {
  result.emplace(co_await std::move(task));
  done();
}

}  // namespace async_internal

// Runs `task` to completion and returns its result. The task starts on the
// calling thread and, once it suspends, goes on on the event loop while the
// caller blocks. Called from a task on a loop's thread (a blocking call
// inside async code), it keeps that loop running meanwhile.
template <typename T>
T SyncWait(Task<T> task) {
  // kRunning until either the task finishes (kDone) or the caller starts
  // waiting for it (kWaiting), whichever comes first: a task that finished
  // before the caller looks, which is every task of the blocking API, costs
  // no lock and no notification.
  enum : int { kRunning, kWaiting, kDone };
  std::optional<T> result;
  std::atomic<int> state{kRunning};
  std::mutex mu;
  std::condition_variable finished;
  std::atomic<bool> done{false};
  async_internal::RunDetached(std::move(task), result, [&] {
    int expected = kRunning;
    if (state.compare_exchange_strong(expected, kDone, std::memory_order_acq_rel)) return;
    std::lock_guard<std::mutex> lock(mu);
    done.store(true, std::memory_order_release);
    finished.notify_one();
  });
  int expected = kRunning;
  if (!state.compare_exchange_strong(expected, kWaiting, std::memory_order_acq_rel)) {
    return std::move(*result);
  }
  if (async::EventLoop* loop = async::EventLoop::OfCurrentThread(); loop != nullptr) {
    loop->RunUntil(done);
  } else {
    std::unique_lock<std::mutex> lock(mu);
    finished.wait(lock, [&] { return done.load(std::memory_order_acquire); });
  }
  // Taking the lock once more waits for done() to have released it.
  std::lock_guard<std::mutex> lock(mu);
  return std::move(*result);
}

namespace async_internal {

// Starts every task at once and resumes the awaiting task when the last
// one ends.
template <typename T>
class AllAwaiter {
 public:
  AllAwaiter(std::vector<Task<T>>& tasks, std::vector<std::optional<T>>& results)
      : tasks_(tasks), results_(results), context_(async::CurrentContext()) {}

  bool await_ready() const noexcept { return tasks_.empty(); }
  bool await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // One count for each task, and one for this call, so that tasks ending
    // before it returns cannot resume the waiting task under our feet.
    remaining_.store(tasks_.size() + 1);
    async::ContextScope scope(context_);
    for (size_t i = 0; i < tasks_.size(); ++i) {
      RunDetached(std::move(tasks_[i]), results_[i], [this] { Arrive(); });
    }
    return remaining_.fetch_sub(1) != 1;
  }
  void await_resume() const noexcept {}

 private:
  void Arrive() {
    if (remaining_.fetch_sub(1) == 1) waiting_.resume();
  }

  std::vector<Task<T>>& tasks_;
  std::vector<std::optional<T>>& results_;
  std::shared_ptr<const void> context_;
  std::coroutine_handle<> waiting_;
  std::atomic<size_t> remaining_{0};
};

}  // namespace async_internal

// Runs `tasks` concurrently; yields their results in the same order once
// all have ended. (The outer StatusOr is always OK: each task's own status
// is in its result.)
template <typename T>
Task<absl::StatusOr<std::vector<T>>> WhenAll(std::vector<Task<T>> tasks) {
  std::vector<std::optional<T>> results(tasks.size());
  co_await async_internal::AllAwaiter<T>(tasks, results);
  std::vector<T> values;
  values.reserve(results.size());
  for (std::optional<T>& result : results) values.push_back(std::move(*result));
  co_return values;
}

}  // namespace duo

#endif  // DUO_ASYNC_SYNC_WAIT_H_
