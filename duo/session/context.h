// Which session is current, per database, for code that does not pass one.
//
// Inside db.Transaction(fn), everything that runs against `db` without an
// explicit session (Database::Execute, model calls) joins the transaction,
// the way DuoORM uses contextvars. The context is an immutable stack of
// frames kept in the async context slot (duo/async/context.h): a thread's
// own outside coroutines, and each duo::Task's own inside them, carried
// across co_await and threads. So two concurrent tasks in two transactions
// never see each other's session. Code that hands work to a thread of its
// own takes a Snapshot and installs it there with a ScopedSnapshot.

#ifndef DUO_SESSION_CONTEXT_H_
#define DUO_SESSION_CONTEXT_H_

#include <memory>

namespace duo {

class Session;

class SessionContext {
 public:
  // The innermost session made current for `database` on this thread (or
  // by the installed snapshot), or nullptr. `database` is an identity key.
  static Session* Current(const void* database);

  // Makes `session` current for `database` until destroyed. Scopes nest
  // and must be destroyed in reverse order, on the thread that made them.
  class Scope {
   public:
    Scope(const void* database, Session* session);
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope();

   private:
    std::shared_ptr<const void> saved_;
  };

  // The frames current now, immutable and cheap to copy.
  class Snapshot {
   public:
    Snapshot() = default;

   private:
    friend class SessionContext;
    std::shared_ptr<const void> top_;
  };
  static Snapshot Capture();

  // Installs a snapshot on this thread until destroyed, restoring what was
  // there before.
  class ScopedSnapshot {
   public:
    explicit ScopedSnapshot(const Snapshot& snapshot);
    ScopedSnapshot(const ScopedSnapshot&) = delete;
    ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
    ~ScopedSnapshot();

   private:
    std::shared_ptr<const void> saved_;
  };
};

}  // namespace duo

#endif  // DUO_SESSION_CONTEXT_H_
