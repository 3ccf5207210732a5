#include "duo/session/deadline.h"

#include <algorithm>

namespace duo {
namespace {

thread_local absl::Time current_deadline = absl::InfiniteFuture();

}  // namespace

ScopedDeadline::ScopedDeadline(absl::Time deadline) : saved_(current_deadline) {
  current_deadline = std::min(saved_, deadline);
}

ScopedDeadline::~ScopedDeadline() { current_deadline = saved_; }

absl::Time ScopedDeadline::Current() { return current_deadline; }

}  // namespace duo
