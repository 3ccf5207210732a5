#include "duo/async/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace duo::async {
namespace {

thread_local EventLoop* current_loop = nullptr;

}  // namespace

EventLoop& EventLoop::Default() {
  // Never destroyed: tasks may still be suspended on it while the process
  // exits, and its thread must not be joined from a static destructor.
  static EventLoop* const loop = new EventLoop();
  return *loop;
}

EventLoop* EventLoop::OfCurrentThread() { return current_loop; }

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;  // ids start at 1
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  std::atomic<bool> started{false};
  thread_ = std::thread([this, &started] {
    thread_id_ = std::this_thread::get_id();
    current_loop = this;
    started.store(true);
    Run();
  });
  while (!started.load()) std::this_thread::yield();
}

EventLoop::~EventLoop() {
  stopping_.store(true);
  Wake();
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Run() {
  while (!stopping_.load()) RunOnce();
  RunOnce(/*block=*/false);
}

void EventLoop::RunUntil(const std::atomic<bool>& done) {
  while (!done.load(std::memory_order_acquire)) RunOnce();
}

void EventLoop::Wake() {
  const uint64_t one = 1;
  // A full counter already means "wake up"; nothing to handle.
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void EventLoop::Post(absl::AnyInvocable<void() &&> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  if (!InLoopThread()) Wake();
}

uint64_t EventLoop::AddTimer(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    timers_.emplace(std::make_pair(when, id), std::move(fn));
    timer_times_[id] = when;
  }
  if (!InLoopThread()) Wake();
  return id;
}

bool EventLoop::CancelTimer(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto found = timer_times_.find(id);
  if (found == timer_times_.end()) return false;
  timers_.erase(std::make_pair(found->second, id));
  timer_times_.erase(found);
  return true;
}

EventLoop::FdAwaiter EventLoop::WaitReadable(int fd, absl::Time deadline) {
  return FdAwaiter(this, fd, EPOLLIN, deadline);
}

EventLoop::FdAwaiter EventLoop::WaitWritable(int fd, absl::Time deadline) {
  return FdAwaiter(this, fd, EPOLLOUT, deadline);
}

EventLoop::FdAwaiter EventLoop::WaitReadableOrWritable(int fd, absl::Time deadline) {
  return FdAwaiter(this, fd, EPOLLIN | EPOLLOUT, deadline);
}

bool EventLoop::FdAwaiter::await_suspend(std::coroutine_handle<> handle) {
  EventLoop* const loop = loop_;
  const int fd = fd_;
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(loop->mu_);
    id = loop->next_id_++;
    FdWait& wait = loop->fd_waits_[id];
    wait = FdWait{.fd = fd, .handle = handle, .status = &status_};
    if (deadline_ != absl::InfiniteFuture()) {
      wait.timer = loop->next_id_++;
      loop->timers_.emplace(std::make_pair(deadline_, wait.timer), [loop, id]() mutable {
        loop->FinishFdWait(id, absl::DeadlineExceededError("timed out waiting for the server"));
      });
      loop->timer_times_[wait.timer] = deadline_;
    }
  }
  epoll_event event{};
  event.events = events_ | EPOLLONESHOT;
  event.data.u64 = id;
  if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    std::lock_guard<std::mutex> lock(loop->mu_);
    const auto found = loop->fd_waits_.find(id);
    // Its timer may already have fired and resumed the task.
    if (found == loop->fd_waits_.end()) return true;
    if (found->second.timer != 0) {
      loop->timers_.erase(std::make_pair(deadline_, found->second.timer));
      loop->timer_times_.erase(found->second.timer);
    }
    loop->fd_waits_.erase(found);
    status_ = absl::InternalError(
        absl::StrCat("cannot wait for socket ", fd, ": ", std::strerror(error)));
    return false;
  }
  if (!loop->InLoopThread()) loop->Wake();
  return true;
}

void EventLoop::SleepAwaiter::await_suspend(std::coroutine_handle<> handle) {
  loop_->AddTimer(when_, [handle]() mutable { handle.resume(); });
}

void EventLoop::FinishFdWait(uint64_t id, absl::Status status) {
  FdWait wait;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto found = fd_waits_.find(id);
    if (found == fd_waits_.end()) return;
    wait = found->second;
    fd_waits_.erase(found);
    if (wait.timer != 0) {
      const auto time = timer_times_.find(wait.timer);
      if (time != timer_times_.end()) {
        timers_.erase(std::make_pair(time->second, wait.timer));
        timer_times_.erase(time);
      }
    }
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, wait.fd, nullptr);
  *wait.status = std::move(status);
  wait.handle.resume();
}

void EventLoop::RunOnce(bool block) {
  int timeout_ms = block ? -1 : 0;
  if (block) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!posted_.empty()) {
      timeout_ms = 0;
    } else if (!timers_.empty()) {
      const absl::Duration until = timers_.begin()->first.first - absl::Now();
      timeout_ms = until <= absl::ZeroDuration() ? 0
                                                 : static_cast<int>(absl::ToInt64Milliseconds(
                                                       absl::Ceil(until, absl::Milliseconds(1))));
    }
  }
  epoll_event events[64];
  const int ready = epoll_wait(epoll_fd_, events, 64, timeout_ms);
  for (int i = 0; i < ready; ++i) {
    const uint64_t id = events[i].data.u64;
    if (id == 0) {
      uint64_t count;
      [[maybe_unused]] ssize_t read_bytes = read(wake_fd_, &count, sizeof(count));
      continue;
    }
    FinishFdWait(id, absl::OkStatus());
  }
  std::vector<absl::AnyInvocable<void() &&>> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Time now = absl::Now();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      timer_times_.erase(timers_.begin()->first.second);
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
    while (!posted_.empty()) {
      due.push_back(std::move(posted_.front()));
      posted_.pop_front();
    }
  }
  for (auto& fn : due) std::move(fn)();
}

}  // namespace duo::async
