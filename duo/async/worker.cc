#include "duo/async/worker.h"

#include <mutex>
#include <utility>

namespace duo::async {

Worker::Worker(EventLoop& loop) : loop_(loop), thread_([this] { Loop(); }) {}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

Worker& Worker::Shared() {
  static Worker* const worker = new Worker();  // lives until exit, like the loop
  return *worker;
}

void Worker::Enqueue(absl::AnyInvocable<void() &&> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Worker::Loop() {
  while (true) {
    absl::AnyInvocable<void() &&> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::move(job)();
  }
}

}  // namespace duo::async
