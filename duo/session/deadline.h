// A client-side deadline for blocking calls.
//
//   {
//     duo::ScopedDeadline deadline(absl::Milliseconds(500));
//     DUO_ASSIGN_OR_RETURN(std::vector<Order> late, Order::Query().Where(...).All());
//     DUO_RETURN_IF_ERROR(db.Transaction([&](duo::Session& s) { ... }));
//   }
//
// While a ScopedDeadline lives, every blocking call its thread makes on any
// duo::Database (Execute, Read, ExecuteMany, transactions, and the ORM's
// calls, which run through them) must be done by the deadline:
//
//   * waiting for a pooled connection stops at the deadline;
//   * a statement that would start after it fails at once, unsent;
//   * a statement still running at the deadline is cancelled (PostgreSQL:
//     a cancel request; SQLite: sqlite3_interrupt, which also ends a wait
//     for another writer's lock) and fails with DeadlineExceeded
//     (ErrorKind::kTimeout);
//   * if the server answers neither the statement nor the cancel within
//     250 ms more (a frozen server, a dead network), the call returns
//     DeadlineExceeded anyway and the connection is discarded.
//
// A PostgreSQL connection whose statement was cancelled this way goes back
// to the pool only to be closed: a cancel request travels on a connection of
// its own and may land after the statement ended, on whatever runs next.
// A transaction the statement was in is aborted, as by any error.
//
// Scopes nest; the earlier deadline holds. The deadline is the thread's
// own: work handed to other threads does not inherit it. Async calls take
// their own `timeout` instead. The timers run on duo's event loop thread,
// so a blocking call made on that thread (from inside a task) is not
// bounded by it.

#ifndef DUO_SESSION_DEADLINE_H_
#define DUO_SESSION_DEADLINE_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace duo {

class ScopedDeadline {
 public:
  explicit ScopedDeadline(absl::Time deadline);
  explicit ScopedDeadline(absl::Duration timeout) : ScopedDeadline(absl::Now() + timeout) {}
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;
  // Restores the deadline that held before; scopes end in reverse order.
  ~ScopedDeadline();

  // The deadline of this thread's innermost scope, or InfiniteFuture().
  static absl::Time Current();

 private:
  absl::Time saved_;
};

}  // namespace duo

#endif  // DUO_SESSION_DEADLINE_H_
