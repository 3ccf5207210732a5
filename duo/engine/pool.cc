#include "duo/engine/pool.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "duo/async/event_loop.h"
#include "duo/async/worker.h"

namespace duo::engine {
namespace {

// When a connection went idle, to decide whether it needs a ping: every
// checkout and return reads it, and the idle limit is measured in seconds,
// so the kernel's coarse clock (a few milliseconds' resolution, several
// times cheaper to read) is precise enough.
absl::Time IdleClock() {
  timespec now;
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return absl::TimeFromTimespec(now);
}

}  // namespace

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
  }
  return *this;
}

PooledConnection::~PooledConnection() { Release(); }

void PooledConnection::Release() {
  if (pool_ != nullptr && connection_ != nullptr) {
    pool_->Return(std::move(connection_), /*discard=*/false);
  }
  pool_ = nullptr;
}

void PooledConnection::Discard() {
  if (pool_ != nullptr && connection_ != nullptr) {
    pool_->Return(std::move(connection_), /*discard=*/true);
  }
  pool_ = nullptr;
}

ConnectionPool::ConnectionPool(Factory factory, PoolOptions options)
    : factory_(std::move(factory)), options_(options) {}

ConnectionPool::~ConnectionPool() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

bool ConnectionPool::Healthy(Connection& connection, absl::Time idle_since) const {
  if (!connection.LooksAlive()) return false;
  if (IdleClock() - idle_since > options_.ping_when_idle_for) return connection.Ping();
  return true;
}

absl::Status ConnectionPool::AcquireTimeout() const {
  return absl::DeadlineExceededError(absl::StrCat(
      "no database connection became free within ", absl::FormatDuration(options_.acquire_timeout),
      ": all ", open_, " connections are in use (pool size ", options_.size, ", max overflow ",
      options_.max_overflow, ")"));
}

absl::StatusOr<PooledConnection> ConnectionPool::Acquire() {
  // The clock is read only when the caller has to wait: most checkouts find
  // an idle connection, and every statement outside a transaction is one.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const int limit = options_.size + options_.max_overflow;
  while (true) {
    Idle candidate;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto available = [&] { return !idle_.empty() || open_ < limit; };
      if (!available()) {
        if (!deadline) {
          deadline = std::chrono::steady_clock::now() +
                     absl::ToChronoNanoseconds(options_.acquire_timeout);
        }
        if (!returned_.wait_until(lock, *deadline, available)) return AcquireTimeout();
      }
      if (!idle_.empty()) {
        candidate = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;  // reserved: the connection is opened outside the lock
        ++opened_;
      }
    }

    if (candidate.connection != nullptr) {
      // Checked outside the lock: a ping is a round trip.
      if (Healthy(*candidate.connection, candidate.since)) {
        return PooledConnection(this, std::move(candidate.connection));
      }
      candidate.connection.reset();
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      ++discarded_;
      continue;  // try the next idle one, or open a replacement
    }

    absl::StatusOr<std::unique_ptr<Connection>> opened = factory_();
    if (!opened.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --open_;
        --opened_;
      }
      returned_.notify_one();  // the reserved slot is free again
      WakeAsyncWaiter();
      return opened.status();
    }
    return PooledConnection(this, *std::move(opened));
  }
}

// Suspends an acquiring task until a connection comes back or a slot frees
// up (WakeAsyncWaiter), or the deadline passes; does not suspend when that
// already happened since the task looked.
class ConnectionPool::ReturnAwaiter {
 public:
  ReturnAwaiter(ConnectionPool* pool, absl::Time deadline) : pool_(pool), deadline_(deadline) {}
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> handle) {
    ConnectionPool* const pool = pool_;
    AsyncWaiter* const waiter = &waiter_;
    std::lock_guard<std::mutex> lock(pool->mu_);
    if (!pool->idle_.empty() || pool->open_ < pool->options_.size + pool->options_.max_overflow) {
      return false;
    }
    waiter->handle = handle;
    pool->async_waiters_.push_back(waiter);
    waiter->timer = async::EventLoop::Default().AddTimer(deadline_, [pool, waiter] {
      {
        std::lock_guard<std::mutex> lock(pool->mu_);
        auto found = std::find(pool->async_waiters_.begin(), pool->async_waiters_.end(), waiter);
        // Already woken: its resumption is on its way.
        if (found == pool->async_waiters_.end()) return;
        pool->async_waiters_.erase(found);
      }
      waiter->timed_out = true;
      waiter->handle.resume();
    });
    return true;
  }
  bool await_resume() const noexcept { return !waiter_.timed_out; }

 private:
  ConnectionPool* pool_;
  absl::Time deadline_;
  AsyncWaiter waiter_;
};

void ConnectionPool::WakeAsyncWaiter() {
  AsyncWaiter* waiter = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiter = TakeAsyncWaiterLocked();
  }
  ResumeAsyncWaiter(waiter);
}

ConnectionPool::AsyncWaiter* ConnectionPool::TakeAsyncWaiterLocked() {
  if (async_waiters_.empty()) return nullptr;
  AsyncWaiter* const waiter = async_waiters_.front();
  async_waiters_.pop_front();
  return waiter;
}

void ConnectionPool::ResumeAsyncWaiter(AsyncWaiter* waiter) {
  if (waiter == nullptr) return;
  async::EventLoop& loop = async::EventLoop::Default();
  loop.Post([&loop, waiter] {
    loop.CancelTimer(waiter->timer);
    waiter->handle.resume();
  });
}

Task<absl::StatusOr<PooledConnection>> ConnectionPool::AcquireAsync() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  const int limit = options_.size + options_.max_overflow;
  while (true) {
    Idle candidate;
    bool reserved = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        candidate = std::move(idle_.back());
        idle_.pop_back();
      } else if (open_ < limit) {
        ++open_;
        ++opened_;
        reserved = true;
      }
    }
    if (candidate.connection != nullptr) {
      Connection* connection = candidate.connection.get();
      const bool ping = IdleClock() - candidate.since > options_.ping_when_idle_for;
      // A ping is a blocking round trip: the connection's worker makes it.
      // (No co_await inside ?: : GCC 12 miscompiles it.)
      bool healthy = connection->LooksAlive();
      if (healthy && ping) {
        healthy = co_await connection->worker().Run(
            [&] { return Healthy(*connection, candidate.since); });
      }
      if (healthy) co_return PooledConnection(this, std::move(candidate.connection));
      candidate.connection.reset();
      {
        std::lock_guard<std::mutex> lock(mu_);
        --open_;
        ++discarded_;
      }
      continue;
    }
    if (reserved) {
      absl::StatusOr<std::unique_ptr<Connection>> opened =
          co_await async::Worker::Shared().Run([this] { return factory_(); });
      if (!opened.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          --open_;
          --opened_;
        }
        returned_.notify_one();
        WakeAsyncWaiter();
        co_return opened.status();
      }
      co_return PooledConnection(this, *std::move(opened));
    }
    if (!co_await ReturnAwaiter(this, deadline)) {
      std::lock_guard<std::mutex> lock(mu_);
      co_return AcquireTimeout();
    }
  }
}

void ConnectionPool::Return(std::unique_ptr<Connection> connection, bool discard) {
  // A connection left inside a transaction carries state the next user must
  // not inherit; one that cannot tell is closed rather than trusted.
  // Broken, not LooksAlive: the connection was in use a moment ago, and
  // the next checkout looks at it anyway (a poll per statement shows on a
  // PostgreSQL point read).
  const bool reusable = !discard && !connection->InTransaction() && !connection->Broken();
  std::unique_ptr<Connection> to_close;
  const absl::Time now = reusable ? IdleClock() : absl::Time();
  AsyncWaiter* waiter = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reusable && static_cast<int>(idle_.size()) < options_.size) {
      idle_.push_back({std::move(connection), now});
    } else {
      --open_;
      if (!reusable) ++discarded_;
      to_close = std::move(connection);
    }
    waiter = TakeAsyncWaiterLocked();
  }
  returned_.notify_one();
  ResumeAsyncWaiter(waiter);
  // to_close is closed here, outside the lock: closing may talk to the
  // server.
}

void ConnectionPool::CloseIdle() {
  std::vector<Idle> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing.swap(idle_);
    open_ -= static_cast<int>(closing.size());
  }
  returned_.notify_all();
  WakeAsyncWaiter();
}

ConnectionPool::Stats ConnectionPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{open_, static_cast<int>(idle_.size()), opened_, discarded_};
}

}  // namespace duo::engine
