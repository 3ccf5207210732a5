// The context a coroutine carries across suspension and threads.
//
// Code above this layer (duo/session's current-session stack) keeps its
// per-task state in one immutable value reached through CurrentContext().
// Outside coroutines it is a plain thread-local. A duo::Task captures it
// when it starts (inheriting its awaiter's), installs it on whatever thread
// resumes the task, and puts back the thread's own when the task suspends,
// so that two tasks interleaved on one loop thread, or one task moving
// between threads, each see only their own: the role contextvars play in
// Python.

#ifndef DUO_ASYNC_CONTEXT_H_
#define DUO_ASYNC_CONTEXT_H_

#include <memory>
#include <utility>

namespace duo::async {

// The running code's context (a thread-local slot). Only the owner of the
// value stored in it knows its type.
std::shared_ptr<const void>& CurrentContext();

// Installs `context` on this thread until destroyed, then restores the
// thread's own: for blocking work run on a worker on behalf of a task.
class ContextScope {
 public:
  explicit ContextScope(std::shared_ptr<const void> context)
      : saved_(std::exchange(CurrentContext(), std::move(context))) {}
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;
  ~ContextScope() { CurrentContext() = std::move(saved_); }

 private:
  std::shared_ptr<const void> saved_;
};

}  // namespace duo::async

#endif  // DUO_ASYNC_CONTEXT_H_
