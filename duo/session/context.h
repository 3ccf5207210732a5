// Which session is current, per database, for code that does not pass one.
//
// Inside db.Transaction(fn), everything that runs against `db` without an
// explicit session (Database::Execute, model calls) joins the transaction,
// the way DuoORM uses contextvars. The context is a stack of frames kept
// per thread. Code that moves work across threads (the async layer) takes a
// Snapshot where the work is created and re-installs it with a
// ScopedSnapshot where the work runs, so the current session follows the
// work, not the thread.

#ifndef DUO_SESSION_CONTEXT_H_
#define DUO_SESSION_CONTEXT_H_

#include <memory>

namespace duo {

class Session;

namespace session_internal {
struct Frame;
}  // namespace session_internal

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
    std::shared_ptr<const session_internal::Frame> saved_;
  };

  // The frames current now, immutable and cheap to copy.
  class Snapshot {
   public:
    Snapshot() = default;

   private:
    friend class SessionContext;
    std::shared_ptr<const session_internal::Frame> top_;
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
    std::shared_ptr<const session_internal::Frame> saved_;
  };
};

}  // namespace duo

#endif  // DUO_SESSION_CONTEXT_H_
