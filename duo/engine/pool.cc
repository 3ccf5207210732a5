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
#include "duo/engine/error.h"

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

ConnectionPool::ConnectionPool(Factory factory, PoolOptions options, async::EventLoop* loop)
    : factory_(std::move(factory)),
      options_(options),
      loop_(loop != nullptr ? *loop : async::EventLoop::Default()),
      own_opener_(loop != nullptr ? std::make_unique<async::Worker>(*loop) : nullptr),
      opener_(own_opener_ != nullptr ? *own_opener_ : async::Worker::Shared()) {}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::Open() {
  absl::StatusOr<std::unique_ptr<Connection>> opened = factory_();
  if (opened.ok()) (*opened)->set_event_loop(loop_);
  return opened;
}

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

bool ConnectionPool::TryServeLocked(Waiter& waiter) {
  if (!waiters_.empty()) return false;  // first come, first served
  if (!idle_.empty()) {
    waiter.idle = std::move(idle_.back());
    idle_.pop_back();
  } else if (open_ < options_.size + options_.max_overflow) {
    ++open_;  // reserved: the connection is opened outside the lock
    ++opened_;
    waiter.slot = true;
  } else {
    return false;
  }
  waiter.served = true;
  return true;
}

void ConnectionPool::WakeLocked(Waiter* waiter, std::vector<Waiter*>& tasks) {
  waiter->served = true;
  if (waiter->ready != nullptr) {
    waiter->ready->notify_one();
  } else {
    tasks.push_back(waiter);
  }
}

std::vector<ConnectionPool::Waiter*> ConnectionPool::ServeSlotsLocked() {
  std::vector<Waiter*> tasks;
  while (!waiters_.empty() && open_ < options_.size + options_.max_overflow) {
    Waiter* const waiter = waiters_.front();
    waiters_.pop_front();
    ++open_;
    ++opened_;
    waiter->slot = true;
    WakeLocked(waiter, tasks);
  }
  return tasks;
}

void ConnectionPool::Resume(const std::vector<Waiter*>& tasks) {
  if (tasks.empty()) return;
  for (Waiter* waiter : tasks) {
    loop_.Post([&loop = loop_, waiter] {
      loop.CancelTimer(waiter->timer);
      waiter->handle.resume();
    });
  }
}

void ConnectionPool::ReleaseSlot() {
  std::vector<Waiter*> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    --opened_;
    tasks = ServeSlotsLocked();
  }
  Resume(tasks);
}

absl::StatusOr<PooledConnection> ConnectionPool::Take(Waiter& waiter) {
  if (waiter.idle.connection != nullptr) {
    // Checked outside the lock: a ping is a round trip.
    if (Healthy(*waiter.idle.connection, waiter.idle.since)) {
      return PooledConnection(this, std::move(waiter.idle.connection));
    }
    // Dead while idle: replaced in the same slot, so that the waiter keeps
    // its turn.
    waiter.idle.connection.reset();
    std::lock_guard<std::mutex> lock(mu_);
    ++discarded_;
    ++opened_;
  }
  absl::StatusOr<std::unique_ptr<Connection>> opened = Open();
  if (!opened.ok()) {
    ReleaseSlot();
    return opened.status();
  }
  return PooledConnection(this, *std::move(opened));
}

absl::StatusOr<PooledConnection> ConnectionPool::Acquire(absl::Time deadline) {
  Waiter waiter;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!TryServeLocked(waiter)) {
      // The clock is read only when the caller has to wait: most checkouts
      // find an idle connection, and every statement outside a transaction
      // is one.
      const absl::Time now = absl::Now();
      const bool callers_deadline_first = deadline < now + options_.acquire_timeout;
      const absl::Duration wait =
          callers_deadline_first ? deadline - now : options_.acquire_timeout;
      std::condition_variable ready;
      waiter.ready = &ready;
      waiters_.push_back(&waiter);
      const auto until = std::chrono::steady_clock::now() +
                         absl::ToChronoNanoseconds(std::max(wait, absl::ZeroDuration()));
      if (!ready.wait_until(lock, until, [&] { return waiter.served; })) {
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
        if (callers_deadline_first) {
          return DatabaseError(
              absl::StrCat("the deadline passed while waiting for a database connection: all ",
                           open_, " connections are in use (pool size ", options_.size, ")"),
              {.kind = ErrorKind::kTimeout});
        }
        return AcquireTimeout();
      }
    }
  }
  return Take(waiter);
}

// Suspends an acquiring task in the queue until it is served or the
// deadline passes; does not suspend when it can be served at once.
class ConnectionPool::WaitAwaiter {
 public:
  WaitAwaiter(ConnectionPool* pool, Waiter* waiter, absl::Time deadline)
      : pool_(pool), waiter_(waiter), deadline_(deadline) {}
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> handle) {
    ConnectionPool* const pool = pool_;
    Waiter* const waiter = waiter_;
    std::lock_guard<std::mutex> lock(pool->mu_);
    if (pool->TryServeLocked(*waiter)) return false;
    waiter->handle = handle;
    pool->waiters_.push_back(waiter);
    waiter->timer = pool->loop_.AddTimer(deadline_, [pool, waiter] {
      {
        std::lock_guard<std::mutex> lock(pool->mu_);
        auto found = std::find(pool->waiters_.begin(), pool->waiters_.end(), waiter);
        // Already served: its resumption is on its way.
        if (found == pool->waiters_.end()) return;
        pool->waiters_.erase(found);
        waiter->timed_out = true;
      }
      waiter->handle.resume();
    });
    return true;
  }
  void await_resume() const noexcept {}

 private:
  ConnectionPool* pool_;
  Waiter* waiter_;
  absl::Time deadline_;
};

Task<absl::StatusOr<PooledConnection>> ConnectionPool::AcquireAsync() {
  Waiter waiter;
  co_await WaitAwaiter(this, &waiter, absl::Now() + options_.acquire_timeout);
  if (waiter.timed_out) {
    std::lock_guard<std::mutex> lock(mu_);
    co_return AcquireTimeout();
  }
  if (Connection* connection = waiter.idle.connection.get(); connection != nullptr) {
    const bool ping = IdleClock() - waiter.idle.since > options_.ping_when_idle_for;
    // A ping is a blocking round trip: the connection's worker makes it.
    // (No co_await inside ?: : GCC 12 miscompiles it.)
    bool healthy = connection->LooksAlive();
    if (healthy && ping) {
      healthy = co_await connection->worker().Run(
          [&] { return Healthy(*connection, waiter.idle.since); });
    }
    if (healthy) co_return PooledConnection(this, std::move(waiter.idle.connection));
    waiter.idle.connection.reset();
    std::lock_guard<std::mutex> lock(mu_);
    ++discarded_;
    ++opened_;
  }
  absl::StatusOr<std::unique_ptr<Connection>> opened =
      co_await opener_.Run([this] { return Open(); });
  if (!opened.ok()) {
    ReleaseSlot();
    co_return opened.status();
  }
  co_return PooledConnection(this, *std::move(opened));
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
  std::vector<Waiter*> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reusable && !waiters_.empty()) {
      // Straight to the first waiter: nobody can take it in between.
      Waiter* const waiter = waiters_.front();
      waiters_.pop_front();
      waiter->idle = {std::move(connection), now};
      WakeLocked(waiter, tasks);
    } else if (reusable && static_cast<int>(idle_.size()) < options_.size) {
      idle_.push_back({std::move(connection), now});
    } else {
      --open_;
      if (!reusable) ++discarded_;
      to_close = std::move(connection);
      tasks = ServeSlotsLocked();
    }
  }
  Resume(tasks);
  // to_close is closed here, outside the lock: closing may talk to the
  // server.
}

void ConnectionPool::CloseIdle() {
  std::vector<Idle> closing;
  std::vector<Waiter*> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing.swap(idle_);
    open_ -= static_cast<int>(closing.size());
    tasks = ServeSlotsLocked();
  }
  Resume(tasks);
}

ConnectionPool::Stats ConnectionPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{open_, static_cast<int>(idle_.size()), opened_, discarded_,
               static_cast<int>(waiters_.size())};
}

}  // namespace duo::engine
