// FiberPool: green threads for blocking-style code. A few OS threads run many fibers (Boost.Fiber),
// and a fiber gives its thread to the next one whenever it waits at a Tandem blocking point.
//
// Each posted task runs as a fiber of its own, started when its turn comes (a queued task costs no
// stack; see internal/fiber_scheduler.h). Written as plain blocking code, a handler on a
// FiberPool waits at tandem::SleepFor, tandem::Mutex/CondVar/Event, tandem::Future, the generated
// blocking client calls and ServerContext::WaitForCancellation without holding its thread: two
// threads can hold thousands of waiting calls, each costing one fiber stack instead of one OS
// thread. A fiber that blocks its thread any other way (absl::SleepFor, a blocking syscall, a
// long computation without tandem::Yield) stalls the other fibers on that thread; the watchdog
// names it (Options::watchdog_threshold, executors/watchdog.h). See executors/blocking.h.
//
// Fibers are shared among the pool's threads (work sharing): a fiber may resume on another thread
// after a wait, so it must not keep thread-local state, or a thread mutex, across a wait.
// Priorities: a thread always runs the highest-priority work that waits, whether a ready fiber or
// a task not yet started; idle work runs only when no high or normal work of the pool is ready to
// run (a fiber that waits at a blocking point is not). Within a priority, first come, first
// served. A running fiber is never preempted: priorities act at each wait or yield.
//
// Threads: TryPost, stats and name are thread-safe and never wait for the pool's work: TryPost
// takes a short internal thread lock (never a Boost.Fiber one) and wakes one sleeping pool
// thread, from any thread (gRPC's, other pools' fibers, this pool's own fibers).
// ShutdownAndWait blocks until every task has run to the end, waits included; calling it from one
// of the pool's fibers deadlocks, and is checked.
// Backpressure: at most `max_pending` tasks may be queued or running at once; beyond that TryPost
// refuses. Each running fiber has a stack mapping of its own, with a guard page: keep max_pending
// (times two) below the kernel's vm.max_map_count, 65530 by default. Stacks are reused: up to
// `cached_stacks` idle ones stay mapped for the next fibers (see internal/stack_pool.h).
#ifndef TANDEM_EXECUTORS_FIBER_POOL_H_
#define TANDEM_EXECUTORS_FIBER_POOL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "executors/event.h"
#include "executors/executor.h"
#include "executors/internal/fiber_scheduler.h"
#include "executors/internal/stack_pool.h"
#include "executors/internal/stats_recorder.h"

namespace tandem {

class FiberPool final : public Executor {
 public:
  struct Options {
    std::string name = "tandem-fibers";
    // OS threads; 0 means one per core (std::thread::hardware_concurrency()).
    int threads = 0;
    size_t max_pending = 16384;
    // Each fiber's stack. Deep recursion on a fiber needs more; an overflow faults on the guard
    // page. Only the pages a fiber touches take memory.
    size_t stack_size = 256 * 1024;
    // Idle stacks kept for reuse, and the memory they touched.
    size_t cached_stacks = 1024;
    // The watchdog reports a fiber that holds its thread this long without waiting or yielding.
    absl::Duration watchdog_threshold = absl::Milliseconds(100);
  };

  explicit FiberPool(Options options);
  // Shuts down and waits, as ShutdownAndWait.
  ~FiberPool() override;

  FiberPool(const FiberPool&) = delete;
  FiberPool& operator=(const FiberPool&) = delete;

  absl::string_view name() const override { return options_.name; }
  ExecutorKind kind() const override { return ExecutorKind::kFiberPool; }
  using Executor::TryPost;
  bool TryPost(Task task, PostOptions options) override ABSL_LOCKS_EXCLUDED(mu_);
  ExecutorStats stats() const override {
    return stats_.Snapshot(static_cast<size_t>(thread_count_));
  }
  void ShutdownAndWait() override ABSL_LOCKS_EXCLUDED(mu_);

  int threads() const { return thread_count_; }

 private:
  struct Queued {
    Task task;
    absl::Time posted_at;
    PostOptions options;
    uint64_t turn;  // its place in line (see internal/fiber_scheduler.h)
  };

  // A pool thread: installs the scheduler, then its main fiber starts queued tasks as fibers until
  // shutdown, and waits for the pool's last fiber before the thread ends.
  void RunThread(int index) ABSL_LOCKS_EXCLUDED(mu_);
  // The best queued task (highest priority, then oldest), if any. Never waits.
  std::optional<Queued> TryTakeTask() ABSL_LOCKS_EXCLUDED(mu_);
  bool stopping() const ABSL_LOCKS_EXCLUDED(mu_);
  void Launch(Queued queued);
  void MarkTaskDone() ABSL_LOCKS_EXCLUDED(mu_);
  void WaitUntilAllTasksDone() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  const int thread_count_;
  executors_internal::StatsRecorder stats_;
  executors_internal::FiberRunQueue run_queue_;
  executors_internal::StackPool stacks_;

  // A thread mutex, held only for a few instructions and never across a wait: TryPost takes it on
  // gRPC's threads, and the main fibers never wait on it (see internal/fiber_scheduler.h).
  mutable absl::Mutex mu_;
  // Notified once the pool is stopping and its last task is done; main fibers wait on it.
  Event all_done_;
  std::array<std::deque<Queued>, 3> queued_ ABSL_GUARDED_BY(mu_);  // by Priority
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;                         // queued or running
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Written only by the constructor and ShutdownAndWait (which must not race each other).
  std::vector<std::thread> workers_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_FIBER_POOL_H_
