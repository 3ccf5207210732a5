#include "duo/session/context.h"

#include <memory>
#include <utility>

namespace duo {
namespace session_internal {

// An immutable linked stack: pushing shares the frames below, so a
// snapshot is one pointer and never changes under its holder.
struct Frame {
  const void* database;
  Session* session;
  std::shared_ptr<const Frame> next;
};

}  // namespace session_internal

namespace {

using session_internal::Frame;

std::shared_ptr<const Frame>& Top() {
  thread_local std::shared_ptr<const Frame> top;
  return top;
}

}  // namespace

Session* SessionContext::Current(const void* database) {
  for (const Frame* frame = Top().get(); frame != nullptr; frame = frame->next.get()) {
    if (frame->database == database) return frame->session;
  }
  return nullptr;
}

SessionContext::Scope::Scope(const void* database, Session* session) : saved_(Top()) {
  Top() = std::make_shared<const Frame>(Frame{database, session, saved_});
}

SessionContext::Scope::~Scope() { Top() = std::move(saved_); }

SessionContext::Snapshot SessionContext::Capture() {
  Snapshot snapshot;
  snapshot.top_ = Top();
  return snapshot;
}

SessionContext::ScopedSnapshot::ScopedSnapshot(const Snapshot& snapshot) : saved_(Top()) {
  Top() = snapshot.top_;
}

SessionContext::ScopedSnapshot::~ScopedSnapshot() { Top() = std::move(saved_); }

}  // namespace duo
