// ThreadPool: a fixed set of OS threads draining one bounded FIFO queue.
//
// The executor for blocking-style handlers: each running handler holds one thread for as long as
// it runs, sleeps and waits included. Size the pool for the number of calls that may block at once.
//
// Threads: TryPost, stats and name are thread-safe and never block. Tasks start in the order they
// were posted within a priority, higher priorities first: an idle task starts only when no high or
// normal task is queued (once started, a task keeps its thread until it ends). Tasks may finish in
// any order. ShutdownAndWait blocks until every queued task has run; calling it from a pool thread
// deadlocks, and is checked.
// Watchdog: a task that holds its thread past `watchdog_threshold` while other tasks wait for a
// thread is reported (executors/watchdog.h): a starved pool, such as one whose handlers wait for
// calls that only this same pool could serve.
// Backpressure: when `max_queue` tasks are waiting, TryPost refuses further tasks instead of
// growing the queue; the server turns a refusal into RESOURCE_EXHAUSTED for that call.
#ifndef TANDEM_EXECUTORS_THREAD_POOL_H_
#define TANDEM_EXECUTORS_THREAD_POOL_H_

#include <array>
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
    absl::Duration watchdog_threshold = absl::Seconds(1);
  };

  explicit ThreadPool(Options options);
  // Shuts down and waits, as ShutdownAndWait.
  ~ThreadPool() override;

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  absl::string_view name() const override { return options_.name; }
  ExecutorKind kind() const override { return ExecutorKind::kThreadPool; }
  using Executor::TryPost;
  bool TryPost(Task task, PostOptions options) override ABSL_LOCKS_EXCLUDED(mu_);
  ExecutorStats stats() const override {
    return stats_.Snapshot(static_cast<size_t>(options_.threads));
  }
  void ShutdownAndWait() override ABSL_LOCKS_EXCLUDED(mu_);

  int threads() const { return options_.threads; }

 private:
  struct Queued {
    Task task;
    absl::Time posted_at;
    const WorkLabel* label = nullptr;
    std::shared_ptr<CallScope> call_scope;
  };

  void RunWorker(int index) ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWorkOrStoppingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || queued_count_ > 0;
  }

  const Options options_;
  executors_internal::StatsRecorder stats_;

  absl::Mutex mu_;
  std::array<std::deque<Queued>, 3> queues_ ABSL_GUARDED_BY(mu_);  // by Priority
  size_t queued_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Written only by the constructor and ShutdownAndWait (which must not race each other).
  std::vector<std::thread> workers_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_THREAD_POOL_H_
