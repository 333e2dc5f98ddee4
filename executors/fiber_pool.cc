#include "executors/fiber_pool.h"

#include <memory>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/fiber/operations.hpp"
#include "executors/internal/fiber_thread.h"
#include "executors/internal/watched_thread.h"

namespace tandem {
namespace {

int ThreadCount(int requested) {
  if (requested > 0) return requested;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 1;
}

}  // namespace

FiberPool::FiberPool(Options options)
    : options_(std::move(options)),
      thread_count_(ThreadCount(options_.threads)),
      stacks_(options_.stack_size, options_.cached_stacks) {
  workers_.reserve(thread_count_);
  for (int i = 0; i < thread_count_; ++i) {
    workers_.emplace_back([this, i] { RunThread(i); });
  }
}

FiberPool::~FiberPool() { ShutdownAndWait(); }

bool FiberPool::TryPost(Task task, PostOptions options) {
  {
    MutexLock lock(&mu_);
    if (!stopping_ && pending_ < options_.max_pending) {
      ++pending_;
      std::deque<Queued>& queue = queued_[static_cast<size_t>(options.priority)];
      queue.push_back(Queued{std::move(task), absl::Now(), options, run_queue_.NextSequence()});
      if (queue.size() == 1) run_queue_.SetFirstQueuedTask(options.priority, queue.front().turn);
      stats_.OnPosted();
      queued_or_stopping_.Signal();
      return true;
    }
  }
  stats_.OnRejected();
  return false;  // `task` is destroyed here, outside the lock.
}

void FiberPool::ShutdownAndWait() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    queued_or_stopping_.SignalAll();
  }
  for (std::thread& worker : workers_) {
    ABSL_RAW_CHECK(worker.get_id() != std::this_thread::get_id(),
                   "FiberPool::ShutdownAndWait called from one of its own fibers");
    if (worker.joinable()) worker.join();
  }
}

void FiberPool::RunThread(int index) {
  executors_internal::MarkFiberPoolThread();
  auto watched = std::make_unique<executors_internal::WatchedThread>(
      executors_internal::WatchedThread::Options{
          .description = absl::StrCat("fiber pool '", options_.name, "' thread ", index),
          .hint = "A fiber that blocks its thread stalls every fiber on it: wait at Tandem's "
                  "blocking points (tandem::SleepFor, tandem::Mutex, tandem::Event, the blocking "
                  "client), call tandem::Yield in long computations, or bind the method to a "
                  "ThreadPool.",
      });
  boost::fibers::use_scheduling_algorithm<executors_internal::FiberScheduler>(
      run_queue_, std::move(watched), options_.watchdog_threshold);
  // This is the thread's main fiber: while it waits for tasks, the thread runs the pool's fibers.
  // It starts one task at a time, then yields: the scheduler resumes it when the next queued task
  // comes before every ready fiber, so that tasks become fibers only when their turn comes (see
  // internal/fiber_scheduler.h).
  for (std::optional<Queued> task = WaitForTask(); task; task = WaitForTask()) {
    Launch(*std::move(task));
    boost::this_fiber::yield();
  }
  // Fibers move between threads: any of them may still need this thread to run on.
  WaitUntilAllTasksDone();
}

std::optional<FiberPool::Queued> FiberPool::WaitForTask() {
  MutexLock lock(&mu_);
  while (true) {
    for (std::deque<Queued>& queue : queued_) {
      if (queue.empty()) continue;
      Queued task = std::move(queue.front());
      queue.pop_front();
      run_queue_.SetFirstQueuedTask(task.options.priority,
                                    queue.empty() ? std::nullopt
                                                  : std::optional<uint64_t>(queue.front().turn));
      // More to start: another thread's main fiber may be free to start it sooner than this one.
      if (!NothingQueuedLocked()) queued_or_stopping_.Signal();
      return task;
    }
    // Stopping still drains: a queued task is a call that must get its reply.
    if (stopping_) return std::nullopt;
    queued_or_stopping_.Wait(&mu_);
  }
}

void FiberPool::Launch(Queued queued) {
  executors_internal::LaunchFiber(
      {.priority = queued.options.priority,
       .label = queued.options.label,
       .turn = queued.turn,
       .stacks = &stacks_},
      [this, task = std::move(queued.task), posted_at = queued.posted_at]() mutable {
        stats_.OnStarted(posted_at);
        std::move(task)();
        task = nullptr;  // What the task holds goes before it counts as done.
        stats_.OnFinished();
        MarkTaskDone();
      });
}

bool FiberPool::NothingQueuedLocked() const {
  for (const std::deque<Queued>& queue : queued_) {
    if (!queue.empty()) return false;
  }
  return true;
}

void FiberPool::MarkTaskDone() {
  MutexLock lock(&mu_);
  if (--pending_ == 0 && stopping_) all_done_.SignalAll();
}

void FiberPool::WaitUntilAllTasksDone() {
  MutexLock lock(&mu_);
  while (pending_ > 0) all_done_.Wait(&mu_);
}

}  // namespace tandem
