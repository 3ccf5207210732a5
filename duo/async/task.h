// duo::Task<T>: the awaitable every ...Async operation returns.
//
//   duo::Task<absl::StatusOr<int64_t>> CountPaid() {
//     DUO_CO_ASSIGN_OR_RETURN(int64_t n, co_await Order::Where(paid).CountAsync());
//     co_return n;
//   }
//   absl::StatusOr<int64_t> n = duo::SyncWait(CountPaid());  // from sync code
//
// A Task is lazy: its body starts when it is awaited (or handed to SyncWait
// or WhenAll), and runs on the awaiting thread until its first real
// suspension; DuoORM resumes it on the event loop's thread (see
// event_loop.h). T is absl::Status or absl::StatusOr<U>, so that every
// outcome, an exception escaping the body included, is a status: an
// exception becomes an Internal error naming it, never a crash.
//
// Each task carries the async context (duo/async/context.h): it inherits
// its awaiter's when it starts and keeps what its body changes (a
// transaction made current) to itself and the tasks it awaits.
//
// A Task is move-only and awaited at most once. Objects a task borrows
// (arguments passed by reference, a lambda's captures) must outlive it;
// awaiting it in the same expression that creates it guarantees that.

#ifndef DUO_ASYNC_TASK_H_
#define DUO_ASYNC_TASK_H_

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duo/async/context.h"

namespace duo {

template <typename T>
class Task;

namespace async_internal {

template <typename T>
struct IsStatus : std::false_type {};
template <>
struct IsStatus<absl::Status> : std::true_type {};
template <typename U>
struct IsStatus<absl::StatusOr<U>> : std::true_type {};

// An Internal error naming the exception.
absl::Status StatusFromException(std::exception_ptr exception);

// Coroutine frames, from a small per-thread cache of recently freed ones:
// a blocking ORM call creates and destroys several frames per statement,
// always of the same few sizes. Plain operator new under the sanitizers,
// so that they still see every frame's lifetime.
void* AllocateFrame(std::size_t size);
void FreeFrame(void* frame, std::size_t size) noexcept;

// What every task's promise shares: where to go when done, and the task's
// context while it is not running.
class PromiseBase {
 public:
  static void* operator new(std::size_t size) { return AllocateFrame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { FreeFrame(frame, size); }

  // The task is about to run on this thread: install its context.
  void Enter() { outer_ = std::exchange(async::CurrentContext(), context_); }
  // The task suspends: keep its context and give the thread back its own.
  void Leave() { context_ = std::exchange(async::CurrentContext(), std::move(outer_)); }
  void Inherit(std::shared_ptr<const void> context) { context_ = std::move(context); }

  std::coroutine_handle<> continuation;

 private:
  std::shared_ptr<const void> context_;
  std::shared_ptr<const void> outer_;
};

template <typename A>
decltype(auto) GetAwaiter(A&& awaitable) {
  if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
    return std::forward<A>(awaitable).operator co_await();
  } else if constexpr (requires { operator co_await(std::forward<A>(awaitable)); }) {
    return operator co_await(std::forward<A>(awaitable));
  } else {
    return std::forward<A>(awaitable);
  }
}

// Wraps whatever a task awaits so that the task's context leaves the
// thread when it suspends and comes back, on the resuming thread, when it
// resumes.
template <typename Awaiter>
class ContextAwaiter {
 public:
  ContextAwaiter(Awaiter&& inner, PromiseBase* promise)
      : inner_(std::forward<Awaiter>(inner)), promise_(promise) {}

  bool await_ready() { return inner_.await_ready(); }
  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> handle) {
    suspended_ = true;
    promise_->Leave();
    // Once the inner awaiter has the handle, another thread may resume the
    // task: nothing here may touch *this afterwards.
    return inner_.await_suspend(handle);
  }
  decltype(auto) await_resume() {
    if (suspended_) promise_->Enter();
    return inner_.await_resume();
  }

 private:
  Awaiter inner_;
  PromiseBase* promise_;
  bool suspended_ = false;
};

}  // namespace async_internal

template <typename T>
class [[nodiscard]] Task {
  static_assert(async_internal::IsStatus<T>::value,
                "duo::Task<T> needs T to be absl::Status or absl::StatusOr<U>");

 public:
  class promise_type : public async_internal::PromiseBase {
   public:
    Task get_return_object() { return Task(Handle::from_promise(*this)); }

    auto initial_suspend() noexcept {
      struct Start {
        promise_type* promise;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        void await_resume() const noexcept { promise->Enter(); }
      };
      return Start{this};
    }
    auto final_suspend() noexcept {
      struct Finish {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(Handle handle) const noexcept {
          handle.promise().Leave();
          const std::coroutine_handle<> next = handle.promise().continuation;
          return next ? next : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
      };
      return Finish{};
    }

    template <typename U>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) { result_.emplace(std::forward<U>(value)); }
    void unhandled_exception() noexcept {
      result_.emplace(async_internal::StatusFromException(std::current_exception()));
    }

    template <typename A>
    auto await_transform(A&& awaitable) {
      using Awaiter = decltype(async_internal::GetAwaiter(std::forward<A>(awaitable)));
      return async_internal::ContextAwaiter<Awaiter>(
          async_internal::GetAwaiter(std::forward<A>(awaitable)), this);
    }

    T TakeResult() { return std::move(*result_); }

   private:
    std::optional<T> result_;
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle child;
      bool await_ready() {
        // Runs while the awaiting code's context is installed.
        child.promise().Inherit(async::CurrentContext());
        return false;
      }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
        child.promise().continuation = parent;
        return child;
      }
      T await_resume() { return child.promise().TakeResult(); }
    };
    return Awaiter{handle_};
  }

 private:
  explicit Task(Handle handle) : handle_(handle) {}
  Handle handle_;
};

}  // namespace duo

#endif  // DUO_ASYNC_TASK_H_
