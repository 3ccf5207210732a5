// Worker threads for blocking calls made on behalf of tasks.
//
//   absl::Status status = co_await worker.Run([&] { return BlockingCall(); });
//
// Run() queues the call on the worker's thread and suspends the task; when
// the call returns, the task resumes on the worker's event loop with its
// result.
// A Worker runs its calls one at a time, in order: DuoORM gives each SQLite
// connection its own, so that a connection waiting for SQLite's write lock
// holds up nobody else. The awaiting task's context is installed on the
// worker thread for the call.

#ifndef DUO_ASYNC_WORKER_H_
#define DUO_ASYNC_WORKER_H_

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "duo/async/context.h"
#include "duo/async/event_loop.h"

namespace duo::async {

class Worker {
 public:
  // Resumes tasks on `loop`, which must outlive the worker.
  explicit Worker(EventLoop& loop = EventLoop::Default());
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  // Finishes the queued calls, then joins the thread.
  ~Worker();

  // Runs `call` on the worker thread; the awaiter yields its result.
  template <typename Call>
  auto Run(Call call) {
    return RunAwaiter<Call>(this, std::move(call));
  }

  // A worker shared by the whole process, for short blocking calls (opening
  // a connection), resuming tasks on EventLoop::Default().
  static Worker& Shared();

  EventLoop& loop() const { return loop_; }

 private:
  template <typename Call>
  class RunAwaiter {
   public:
    using Result = std::invoke_result_t<Call&>;
    RunAwaiter(Worker* worker, Call call) : worker_(worker), call_(std::move(call)) {}
    bool await_ready() {
      context_ = CurrentContext();
      return false;
    }
    void await_suspend(std::coroutine_handle<> handle) {
      worker_->Enqueue([this, handle]() mutable {
        {
          ContextScope scope(context_);
          result_.emplace(call_());
        }
        worker_->loop_.Post([handle]() mutable { handle.resume(); });
      });
    }
    Result await_resume() { return std::move(*result_); }

   private:
    Worker* worker_;
    Call call_;
    std::shared_ptr<const void> context_;
    std::optional<Result> result_;
  };

  void Enqueue(absl::AnyInvocable<void() &&> job);
  void Loop();

  EventLoop& loop_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<absl::AnyInvocable<void() &&>> jobs_;  // guarded by mu_
  bool stopping_ = false;                           // guarded by mu_
  std::thread thread_;
};

}  // namespace duo::async

#endif  // DUO_ASYNC_WORKER_H_
