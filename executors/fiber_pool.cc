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
    absl::MutexLock lock(&mu_);
    if (!stopping_ && pending_ < options_.max_pending) {
      ++pending_;
      std::deque<Queued>& queue = queued_[static_cast<size_t>(options.priority)];
      queue.push_back(Queued{std::move(task), absl::Now(), options, run_queue_.NextSequence()});
      if (queue.size() == 1) run_queue_.SetFirstQueuedTask(options.priority, queue.front().turn);
      stats_.OnPosted();
    } else {
      stats_.OnRejected();
      return false;  // `task` is destroyed on the way out, after the lock.
    }
  }
  run_queue_.WakeOneSleeper();
  return true;
}

void FiberPool::ShutdownAndWait() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  run_queue_.Stop();
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
  // This is the thread's main fiber: between tasks, the thread runs the pool's fibers. It starts
  // one task at a time, then yields: the scheduler resumes it when the next queued task comes
  // before every ready fiber, so that tasks become fibers only when their turn comes, and not at
  // all while no task waits and the pool is not stopping (see internal/fiber_scheduler.h).
  while (true) {
    if (std::optional<Queued> task = TryTakeTask()) {
      Launch(*std::move(task));
    } else if (stopping()) {
      break;  // Stopping still drains: TryTakeTask found no task left.
    }
    boost::this_fiber::yield();
  }
  // Fibers move between threads: any of them may still need this thread to run on.
  WaitUntilAllTasksDone();
}

std::optional<FiberPool::Queued> FiberPool::TryTakeTask() {
  absl::MutexLock lock(&mu_);
  for (std::deque<Queued>& queue : queued_) {
    if (queue.empty()) continue;
    Queued task = std::move(queue.front());
    queue.pop_front();
    run_queue_.SetFirstQueuedTask(task.options.priority,
                                  queue.empty() ? std::nullopt
                                                : std::optional<uint64_t>(queue.front().turn));
    return task;
  }
  return std::nullopt;
}

bool FiberPool::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void FiberPool::Launch(Queued queued) {
  executors_internal::LaunchFiber(
      {.priority = queued.options.priority,
       .label = queued.options.label,
       .turn = queued.turn,
       .stacks = &stacks_},
      [this, task = std::move(queued.task), posted_at = queued.posted_at,
       call_scope = std::move(queued.options.call_scope)]() mutable {
        stats_.OnStarted(posted_at);
        {
          InCallScope enter(std::move(call_scope));
          std::move(task)();
        }
        task = nullptr;  // What the task holds goes before it counts as done.
        stats_.OnFinished();
        MarkTaskDone();
      });
}

void FiberPool::MarkTaskDone() {
  bool last = false;
  {
    absl::MutexLock lock(&mu_);
    last = --pending_ == 0 && stopping_;
  }
  if (last) all_done_.Notify();
}

void FiberPool::WaitUntilAllTasksDone() {
  {
    absl::MutexLock lock(&mu_);
    if (pending_ == 0) return;
  }
  // pending_ only falls once stopping (TryPost refuses then): the task that takes it to zero
  // notifies.
  all_done_.Wait();
}

}  // namespace tandem
