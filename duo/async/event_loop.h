// The event loop that resumes DuoORM's tasks.
//
// A loop thread waits, with epoll, for the sockets of PostgreSQL
// connections, for timers and for work posted from other threads, and
// resumes the tasks waiting on them. Tasks therefore run on the loop thread
// after their first suspension, one at a time: code between two co_awaits
// never races with another task. Blocking work (SQLite, connecting) runs on
// worker threads (worker.h), which hand the task back to the loop when done.
//
// Awaiting a socket or a timer from any thread is safe; the task resumes on
// the loop thread.
//
// Every database uses the process's loop (EventLoop::Default(), started on
// first use) unless it is given another (DatabaseOptions::event_loop): a
// test that wants its own thread, or a program that keeps its databases'
// tasks apart from each other's.

#ifndef DUO_ASYNC_EVENT_LOOP_H_
#define DUO_ASYNC_EVENT_LOOP_H_

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace duo::async {

class EventLoop {
 public:
  // The process's loop; its thread starts on first use and lives until the
  // process exits.
  static EventLoop& Default();

  // The loop whose thread is the calling thread, or null on any other
  // thread.
  static EventLoop* OfCurrentThread();

  // Starts a loop on a thread of its own.
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  // Runs the work already posted, then stops and joins the thread. Not
  // from the loop's own thread. No task may still be waiting on the loop,
  // and nothing may use it after: destroy the databases using it first.
  ~EventLoop();

  // Runs `fn` on the loop thread, soon. Any thread.
  void Post(absl::AnyInvocable<void() &&> fn);

  // Runs `fn` on the loop thread at `when`, unless cancelled first. Returns
  // the id CancelTimer takes.
  uint64_t AddTimer(absl::Time when, absl::AnyInvocable<void() &&> fn);
  // False when the timer already ran (or is running).
  bool CancelTimer(uint64_t id);

  bool InLoopThread() const { return std::this_thread::get_id() == thread_id_; }

  // Runs the loop on the calling thread, which must be the loop thread (a
  // SyncWait inside a task), until `done` is set.
  void RunUntil(const std::atomic<bool>& done);

  // co_await loop.WaitReadable(fd, deadline): OK once `fd` is readable (or
  // has an error to report), DeadlineExceeded at `deadline`.
  class FdAwaiter {
   public:
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle);
    absl::Status await_resume() { return std::move(status_); }

   private:
    friend class EventLoop;
    FdAwaiter(EventLoop* loop, int fd, uint32_t events, absl::Time deadline)
        : loop_(loop), fd_(fd), events_(events), deadline_(deadline) {}
    EventLoop* loop_;
    int fd_;
    uint32_t events_;
    absl::Time deadline_;
    absl::Status status_;
  };
  FdAwaiter WaitReadable(int fd, absl::Time deadline = absl::InfiniteFuture());
  FdAwaiter WaitWritable(int fd, absl::Time deadline = absl::InfiniteFuture());
  FdAwaiter WaitReadableOrWritable(int fd, absl::Time deadline = absl::InfiniteFuture());

  // co_await loop.Sleep(d): resumes on the loop thread after `d`.
  class SleepAwaiter {
   public:
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle);
    absl::Status await_resume() const noexcept { return absl::OkStatus(); }

   private:
    friend class EventLoop;
    SleepAwaiter(EventLoop* loop, absl::Time when) : loop_(loop), when_(when) {}
    EventLoop* loop_;
    absl::Time when_;
  };
  SleepAwaiter Sleep(absl::Duration duration) { return SleepAwaiter(this, absl::Now() + duration); }

 private:
  struct FdWait {
    int fd;
    std::coroutine_handle<> handle;
    absl::Status* status;
    uint64_t timer = 0;
  };

  void Run();
  // Waits for something to do (unless `block` is false), then does it.
  void RunOnce(bool block = true);
  void Wake();
  // Removes fd wait `id` and resumes its task with `status`, unless
  // someone else already did.
  void FinishFdWait(uint64_t id, absl::Status status);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::thread::id thread_id_;
  std::atomic<bool> stopping_{false};

  // std::mutex rather than absl::Mutex: see duo/engine/pool.h.
  std::mutex mu_;
  // Guarded by mu_:
  uint64_t next_id_ = 1;
  std::deque<absl::AnyInvocable<void() &&>> posted_;
  std::map<std::pair<absl::Time, uint64_t>, absl::AnyInvocable<void() &&>> timers_;
  absl::flat_hash_map<uint64_t, absl::Time> timer_times_;
  absl::flat_hash_map<uint64_t, FdWait> fd_waits_;
};

}  // namespace duo::async

#endif  // DUO_ASYNC_EVENT_LOOP_H_
