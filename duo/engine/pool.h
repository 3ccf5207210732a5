// A pool of database connections.
//
// Keeps up to `size` idle connections open and opens up to `max_overflow`
// more under load, closing those again when they come back. A caller that
// finds every connection in use waits up to `acquire_timeout`, then gets
// DeadlineExceeded saying so. A connection that died while idle (server
// restart, pg_terminate_backend) is noticed at checkout and replaced, so
// callers never receive a broken connection; one that breaks while in use is
// discarded when returned.
//
// ConnectionPool is safe for concurrent use from multiple threads without
// external synchronization. A PooledConnection is used by one thread at a
// time and returns its connection to the pool when destroyed; it must not
// outlive the pool.

#ifndef DUO_ENGINE_POOL_H_
#define DUO_ENGINE_POOL_H_

#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "duo/async/event_loop.h"
#include "duo/async/task.h"
#include "duo/async/worker.h"
#include "duo/engine/connection.h"

namespace duo::engine {

struct PoolOptions {
  int size = 5;
  int max_overflow = 10;
  absl::Duration acquire_timeout = absl::Seconds(30);
  // The longest opening one connection may take (PostgreSQL: the connection
  // and its first round trip), after which the caller gets Unavailable. A
  // proxy that accepts connections but has no server connection to give
  // would otherwise hold the caller indefinitely.
  absl::Duration connect_timeout = absl::Seconds(10);
  // An idle connection unused for longer than this is pinged (a round trip)
  // before it is handed out; younger ones only get Connection::LooksAlive.
  absl::Duration ping_when_idle_for = absl::Seconds(1);
};

class ConnectionPool;

// A connection checked out of a pool. Movable, not copyable.
class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection* get() const { return connection_.get(); }
  Connection* operator->() const { return connection_.get(); }
  Connection& operator*() const { return *connection_; }
  explicit operator bool() const { return connection_ != nullptr; }

  // Closes the connection instead of returning it (it is known broken, or
  // its session state must not leak to the next user).
  void Discard();

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  void Release();

  ConnectionPool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
};

class ConnectionPool {
 public:
  using Factory = absl::AnyInvocable<absl::StatusOr<std::unique_ptr<Connection>>()>;

  // The pool's timers and waiting tasks run on `loop` (null:
  // EventLoop::Default()), and the connections it opens use it
  // (Connection::event_loop()); it must outlive the pool.
  ConnectionPool(Factory factory, PoolOptions options, async::EventLoop* loop = nullptr);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  // Every PooledConnection must have been destroyed first.
  ~ConnectionPool();

  // A working connection: an idle one, a new one, or, when all are in use,
  // the first one returned within the acquire timeout or before `deadline`
  // (the caller's, see duo::ScopedDeadline), whichever comes first.
  absl::StatusOr<PooledConnection> Acquire(absl::Time deadline = absl::InfiniteFuture());
  // The same for tasks, without blocking the thread: waits for a returned
  // connection on the event loop, and opens new ones on a worker thread.
  Task<absl::StatusOr<PooledConnection>> AcquireAsync();

  // Closes every idle connection (Database::Disconnect); connections in
  // use come back as usual. The pool stays usable and opens connections
  // again on demand.
  void CloseIdle();

  struct Stats {
    int open = 0;  // idle + in use
    int idle = 0;
    int opened = 0;  // total ever opened
    int discarded = 0;
    int waiting = 0;  // callers queued for a connection
  };
  Stats stats() const;
  const PoolOptions& options() const { return options_; }

 private:
  friend class PooledConnection;

  struct Idle {
    std::unique_ptr<Connection> connection;
    absl::Time since;
  };

  // A caller waiting for a connection, thread or task. Waiters are served
  // strictly in arrival order: a connection coming back goes to the first
  // waiter, not to whoever asks next, so no caller can starve while others
  // cycle connections. Everything but the wake-up fields is guarded by mu_.
  struct Waiter {
    // What serving gave: an idle connection (with when it went idle), or the
    // right to open a new one (open_ already counts it).
    Idle idle;
    bool slot = false;
    bool served = false;
    bool timed_out = false;
    // A thread waits on its own condition variable; a task is resumed.
    std::condition_variable* ready = nullptr;
    std::coroutine_handle<> handle;
    uint64_t timer = 0;
  };
  class WaitAwaiter;

  void Return(std::unique_ptr<Connection> connection, bool discard);
  bool Healthy(Connection& connection, absl::Time idle_since) const;
  absl::Status AcquireTimeout() const;
  // Serves `waiter` at once if nobody is queued before it and a connection
  // or a slot is free; returns whether it did.
  bool TryServeLocked(Waiter& waiter);
  // Gives free slots (open_ below the limit) to queued waiters, first come
  // first served; returns the task waiters to resume once mu_ is released.
  std::vector<Waiter*> ServeSlotsLocked();
  // Marks `waiter` served and wakes a thread at once (under mu_, so that it
  // cannot leave before the notification); tasks are collected for Resume.
  void WakeLocked(Waiter* waiter, std::vector<Waiter*>& tasks);
  void Resume(const std::vector<Waiter*>& tasks);
  // Gives back a slot that did not become a connection (opening failed).
  void ReleaseSlot();
  // A connection for a served waiter: the idle one if healthy, else a new
  // one in its place.
  absl::StatusOr<PooledConnection> Take(Waiter& waiter);

  // factory_() with the connection on the pool's loop.
  absl::StatusOr<std::unique_ptr<Connection>> Open();

  Factory factory_;
  const PoolOptions options_;
  async::EventLoop& loop_;
  // Opens connections for tasks, off the loop thread: Worker::Shared() on
  // the default loop, a worker of the pool's own on any other (a worker
  // resumes tasks on one loop).
  std::unique_ptr<async::Worker> own_opener_;
  async::Worker& opener_;
  // std::mutex rather than absl::Mutex: Debian's abseil is built without
  // ThreadSanitizer annotations, so TSan could not see absl::Mutex
  // synchronize, while it intercepts pthreads.
  mutable std::mutex mu_;
  // Guarded by mu_:
  std::vector<Idle> idle_;  // most recently returned last
  std::deque<Waiter*> waiters_;
  int open_ = 0;
  int opened_ = 0;
  int discarded_ = 0;
};

}  // namespace duo::engine

#endif  // DUO_ENGINE_POOL_H_
