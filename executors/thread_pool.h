// ThreadPool: a fixed set of OS threads draining one bounded FIFO queue.
//
// The executor for blocking-style handlers: each running handler holds one thread for as long as
// it runs, sleeps and waits included. Size the pool for the number of calls that may block at once.
//
// Threads: TryPost, stats and name are thread-safe and never block. Tasks start in the order they
// were posted (one queue), and may finish in any order. ShutdownAndWait blocks until every queued
// task has run; calling it from a pool thread deadlocks, and is checked.
// Backpressure: when `max_queue` tasks are waiting, TryPost refuses further tasks instead of
// growing the queue; the server turns a refusal into RESOURCE_EXHAUSTED for that call.
#ifndef TANDEM_EXECUTORS_THREAD_POOL_H_
#define TANDEM_EXECUTORS_THREAD_POOL_H_

#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "executors/executor.h"
#include "executors/internal/stats_recorder.h"

namespace tandem {

class ThreadPool final : public Executor {
 public:
  struct Options {
    std::string name = "tandem-pool";
    int threads = 16;
    size_t max_queue = 4096;
  };

  explicit ThreadPool(Options options);
  // Shuts down and waits, as ShutdownAndWait.
  ~ThreadPool() override;

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  absl::string_view name() const override { return options_.name; }
  ExecutorKind kind() const override { return ExecutorKind::kThreadPool; }
  bool TryPost(Task task) override ABSL_LOCKS_EXCLUDED(mu_);
  ExecutorStats stats() const override { return stats_.Snapshot(); }
  void ShutdownAndWait() override ABSL_LOCKS_EXCLUDED(mu_);

  int threads() const { return options_.threads; }

 private:
  struct Queued {
    Task task;
    absl::Time posted_at;
  };

  void RunWorker() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWorkOrStoppingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  const Options options_;
  executors_internal::StatsRecorder stats_;

  absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Written only by the constructor and ShutdownAndWait (which must not race each other).
  std::vector<std::thread> workers_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_THREAD_POOL_H_
