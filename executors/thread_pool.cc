#include "executors/thread_pool.h"

#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "executors/internal/watched_thread.h"

namespace tandem {

ThreadPool::ThreadPool(Options options) : options_(std::move(options)) {
  ABSL_RAW_CHECK(options_.threads > 0, "ThreadPool needs at least one thread");
  workers_.reserve(options_.threads);
  for (int i = 0; i < options_.threads; ++i) {
    workers_.emplace_back([this, i] { RunWorker(i); });
  }
}

ThreadPool::~ThreadPool() { ShutdownAndWait(); }

bool ThreadPool::TryPost(Task task, PostOptions options) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queued_count_ < options_.max_queue) {
      queues_[static_cast<size_t>(options.priority)].push_back(
          Queued{std::move(task), absl::Now(), options.label, std::move(options.call_scope)});
      ++queued_count_;
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

void ThreadPool::RunWorker(int index) {
  executors_internal::WatchedThread watched({
      .description = absl::StrCat("thread pool '", options_.name, "' thread ", index),
      .hint = "Handlers that wait for calls only this same pool can serve deadlock it until their "
              "deadlines: bind them to a FiberPool, or give the pool more threads.",
      .waiting_tasks = [this] { return stats().queue_depth; },
  });
  while (true) {
    Queued next;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ThreadPool::HasWorkOrStoppingLocked));
      // Stopping still drains: a queued task is a call that must get its reply.
      if (queued_count_ == 0) return;
      for (std::deque<Queued>& queue : queues_) {
        if (queue.empty()) continue;
        next = std::move(queue.front());
        queue.pop_front();
        break;
      }
      --queued_count_;
    }
    stats_.OnStarted(next.posted_at);
    {
      executors_internal::WatchScope watch(&watched, next.label, options_.watchdog_threshold);
      InCallScope enter(std::move(next.call_scope));
      std::move(next.task)();
    }
    stats_.OnFinished();
  }
}

}  // namespace tandem
