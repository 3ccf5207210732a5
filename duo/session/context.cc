#include "duo/session/context.h"

#include <memory>
#include <utility>

#include "duo/async/context.h"

namespace duo {
namespace {

// An immutable linked stack: pushing shares the frames below, so a
// snapshot is one pointer and never changes under its holder.
struct Frame {
  const void* database;
  Session* session;
  std::shared_ptr<const void> next;
};

}  // namespace

Session* SessionContext::Current(const void* database) {
  for (const void* at = async::CurrentContext().get(); at != nullptr;) {
    const Frame* frame = static_cast<const Frame*>(at);
    if (frame->database == database) return frame->session;
    at = frame->next.get();
  }
  return nullptr;
}

SessionContext::Scope::Scope(const void* database, Session* session)
    : saved_(async::CurrentContext()) {
  async::CurrentContext() = std::make_shared<const Frame>(Frame{database, session, saved_});
}

SessionContext::Scope::~Scope() { async::CurrentContext() = std::move(saved_); }

SessionContext::Snapshot SessionContext::Capture() {
  Snapshot snapshot;
  snapshot.top_ = async::CurrentContext();
  return snapshot;
}

SessionContext::ScopedSnapshot::ScopedSnapshot(const Snapshot& snapshot)
    : saved_(async::CurrentContext()) {
  async::CurrentContext() = snapshot.top_;
}

SessionContext::ScopedSnapshot::~ScopedSnapshot() { async::CurrentContext() = std::move(saved_); }

}  // namespace duo
