// Running tasks from synchronous code, and several at once.
//
//   absl::StatusOr<Result> r = duo::SyncWait(db.ExecuteAsync(select));
//   absl::StatusOr<std::vector<int64_t>> counts =
//       duo::SyncWait(duo::WhenAll(std::move(count_tasks)));
//   std::vector<absl::Status> each = duo::SyncWait(duo::WhenAllSettled(std::move(tasks)));

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

template <typename Awaitable, typename R, typename Done>
Detached RunDetached(Awaitable awaitable, std::optional<R>& result, Done done) {
  result.emplace(co_await std::move(awaitable));
  done();
}

// Awaits the awaiter `*awaiter`, which its owner keeps alive meanwhile: for
// awaiters that cannot move.
template <typename Awaiter>
struct AwaiterRef {
  Awaiter* awaiter;
  bool await_ready() { return awaiter->await_ready(); }
  auto await_suspend(std::coroutine_handle<> handle) { return awaiter->await_suspend(handle); }
  decltype(auto) await_resume() { return awaiter->await_resume(); }
};

// SyncWait's work: runs `awaitable` to completion and returns its result.
template <typename R, typename Awaitable>
R SyncWaitFor(Awaitable awaitable) {
  // kRunning until either the work finishes (kDone) or the caller starts
  // waiting for it (kWaiting), whichever comes first: work that finished
  // before the caller looks, which is every task of the blocking API, costs
  // no lock and no notification.
  enum : int { kRunning, kWaiting, kDone };
  std::optional<R> result;
  std::atomic<int> state{kRunning};
  std::mutex mu;
  std::condition_variable finished;
  std::atomic<bool> done{false};
  RunDetached(std::move(awaitable), result, [&] {
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

}  // namespace async_internal

// Runs `task` to completion and returns its result. The task starts on the
// calling thread and, once it suspends, goes on on the event loop while the
// caller blocks. Called from a task on a loop's thread (a blocking call
// inside async code), it keeps that loop running meanwhile.
template <typename T>
T SyncWait(Task<T> task) {
  return async_internal::SyncWaitFor<T>(std::move(task));
}

// co_await WhenAllSettled(std::move(tasks)) runs `tasks` concurrently and
// yields every result, in the tasks' order, once all have ended: for
// callers that want each outcome, failures included. The tasks start when
// it is awaited (or passed to SyncWait).
template <typename T>
class [[nodiscard]] AllSettled {
 public:
  explicit AllSettled(std::vector<Task<T>> tasks)
      : tasks_(std::move(tasks)), results_(tasks_.size()) {}
  AllSettled(const AllSettled&) = delete;
  AllSettled& operator=(const AllSettled&) = delete;

  bool await_ready() const noexcept { return tasks_.empty(); }
  bool await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // One count for each task, and one for this call, so that tasks ending
    // before it returns cannot resume the waiting task under our feet.
    remaining_.store(tasks_.size() + 1);
    async::ContextScope scope(context_);
    for (size_t i = 0; i < tasks_.size(); ++i) {
      async_internal::RunDetached(std::move(tasks_[i]), results_[i], [this] { Arrive(); });
    }
    return remaining_.fetch_sub(1) != 1;
  }
  std::vector<T> await_resume() {
    std::vector<T> values;
    values.reserve(results_.size());
    for (std::optional<T>& result : results_) values.push_back(std::move(*result));
    return values;
  }

 private:
  void Arrive() {
    if (remaining_.fetch_sub(1) == 1) waiting_.resume();
  }

  std::vector<Task<T>> tasks_;
  std::vector<std::optional<T>> results_;
  // The tasks run in the context of the task that awaits them.
  std::shared_ptr<const void> context_ = async::CurrentContext();
  std::coroutine_handle<> waiting_;
  std::atomic<size_t> remaining_{0};
};

template <typename T>
AllSettled<T> WhenAllSettled(std::vector<Task<T>> tasks) {
  return AllSettled<T>(std::move(tasks));
}

// Every result of `all`, from plain code.
template <typename T>
std::vector<T> SyncWait(AllSettled<T>&& all) {
  return async_internal::SyncWaitFor<std::vector<T>>(
      async_internal::AwaiterRef<AllSettled<T>>{&all});
}

// Runs `tasks` concurrently and, once all have ended, yields their values in
// the tasks' order, or the status of the first one (in that order) that
// failed. Every task runs to its end either way: none is abandoned half-way.
template <typename U>
Task<absl::StatusOr<std::vector<U>>> WhenAll(std::vector<Task<absl::StatusOr<U>>> tasks) {
  std::vector<absl::StatusOr<U>> results = co_await WhenAllSettled(std::move(tasks));
  std::vector<U> values;
  values.reserve(results.size());
  for (absl::StatusOr<U>& result : results) {
    if (!result.ok()) co_return std::move(result).status();
    values.push_back(*std::move(result));
  }
  co_return values;
}

// The same for tasks without a value: OK when every task succeeded, else
// the first failure in the tasks' order.
inline Task<absl::Status> WhenAll(std::vector<Task<absl::Status>> tasks) {
  std::vector<absl::Status> results = co_await WhenAllSettled(std::move(tasks));
  for (absl::Status& result : results) {
    if (!result.ok()) co_return std::move(result);
  }
  co_return absl::OkStatus();
}

}  // namespace duo

#endif  // DUO_ASYNC_SYNC_WAIT_H_
