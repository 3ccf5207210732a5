#include "duo/engine/pool.h"

#include <memory>
#include <utility>
#include <vector>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace duo::engine {

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
  if (absl::Now() - idle_since > options_.ping_when_idle_for) return connection.Ping();
  return true;
}

absl::StatusOr<PooledConnection> ConnectionPool::Acquire() {
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(options_.acquire_timeout);
  const int limit = options_.size + options_.max_overflow;
  while (true) {
    Idle candidate;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!returned_.wait_until(lock, deadline,
                                [&] { return !idle_.empty() || open_ < limit; })) {
        return absl::DeadlineExceededError(absl::StrCat(
            "no database connection became free within ",
            absl::FormatDuration(options_.acquire_timeout), ": all ", open_,
            " connections are in use (pool size ", options_.size, ", max overflow ",
            options_.max_overflow, ")"));
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
      return opened.status();
    }
    return PooledConnection(this, *std::move(opened));
  }
}

void ConnectionPool::Return(std::unique_ptr<Connection> connection, bool discard) {
  // A connection left inside a transaction carries state the next user must
  // not inherit; one that cannot tell is closed rather than trusted.
  const bool reusable = !discard && !connection->InTransaction() && connection->LooksAlive();
  std::unique_ptr<Connection> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reusable && static_cast<int>(idle_.size()) < options_.size) {
      idle_.push_back({std::move(connection), absl::Now()});
    } else {
      --open_;
      if (!reusable) ++discarded_;
      to_close = std::move(connection);
    }
  }
  returned_.notify_one();
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
}

ConnectionPool::Stats ConnectionPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{open_, static_cast<int>(idle_.size()), opened_, discarded_};
}

}  // namespace duo::engine
