#include "executors/thread_pool.h"

#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/time/clock.h"

namespace tandem {

ThreadPool::ThreadPool(Options options) : options_(std::move(options)) {
  ABSL_RAW_CHECK(options_.threads > 0, "ThreadPool needs at least one thread");
  workers_.reserve(options_.threads);
  for (int i = 0; i < options_.threads; ++i) {
    workers_.emplace_back([this] { RunWorker(); });
  }
}

ThreadPool::~ThreadPool() { ShutdownAndWait(); }

bool ThreadPool::TryPost(Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push_back(Queued{std::move(task), absl::Now()});
      stats_.OnPosted();
      return true;
    }
  }
  stats_.OnRejected();
  return false;  // `task` is destroyed here, outside the lock.
}

void ThreadPool::ShutdownAndWait() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) {
    ABSL_RAW_CHECK(worker.get_id() != std::this_thread::get_id(),
                   "ThreadPool::ShutdownAndWait called from one of its own threads");
    if (worker.joinable()) worker.join();
  }
}

void ThreadPool::RunWorker() {
  while (true) {
    Queued next;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ThreadPool::HasWorkOrStoppingLocked));
      // Stopping still drains: a queued task is a call that must get its reply.
      if (queue_.empty()) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    stats_.OnStarted(next.posted_at);
    std::move(next.task)();
    stats_.OnFinished();
  }
}

}  // namespace tandem
