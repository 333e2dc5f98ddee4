// FiberScheduler: the Boost.Fiber scheduling algorithm of a FiberPool's threads.
// FiberRunQueue: the ready fibers of one pool, shared by its threads, by priority, and a count of
// the pool's tasks that have not started yet.
//
// This is the design of Boost.Fiber's own work-sharing algorithm (algo::shared_work): ready fibers
// go to one queue the pool's threads all take from, while each thread keeps its own pinned
// contexts (its main and dispatcher fibers, which must not migrate) to itself. It differs where
// shared_work does not fit an executor:
//   - shared_work's queue is a static member, shared by every pool in the process (and
//     work_stealing's schedulers are too); here each pool has its own FiberRunQueue.
//   - the queue is split by Priority: a thread takes the highest-priority ready fiber, and an idle
//     fiber only when no high or normal fiber is ready.
//   - tasks start as fibers only when their turn comes. A thread's main fiber starts the pool's
//     queued tasks (see FiberPool), and is picked when the best queued task comes before every
//     ready fiber: by priority first, then first come, first served, a task counting from when it
//     was posted and a fiber from when it last became ready (a new fiber keeps its task's place).
//     So a burst of short tasks runs on a few fibers and reused stacks, one after the other,
//     instead of a fiber each all alive at once; a fiber that yields lets tasks posted meanwhile
//     start; and a task of higher priority than every ready fiber starts at once.
//   - a thread's dispatcher runs before anything else: it moves woken and timed-out fibers into
//     the queue, so it must run between fibers for priorities to hold under load.
//   - a thread's main fiber is resumed only when it has work: a queued task to start, or the pool
//     stopping. Between tasks it yields instead of waiting on a fiber condition variable, so a
//     post from a gRPC thread touches no Boost.Fiber lock: it queues the task under the pool's
//     absl::Mutex and wakes one sleeping thread (WakeOneSleeper). Boost.Fiber's mutex and
//     condition variable guard their wait queues with spinlocks held across the wake-up of
//     another thread; a gRPC thread and the pool threads meeting there spun for milliseconds on
//     two cores (tools/bench/analysis.md).
//   - a thread with nothing to run sleeps until woken, and each newly ready fiber or queued task
//     wakes one sleeping thread (shared_work leaves sleepers asleep until a timer fires, or spins).
//   - every switch tells the thread's WatchedThread which fiber now holds the thread.
//
// Threads: a FiberScheduler is installed on one pool thread (use_scheduling_algorithm) and Boost
// calls it there only, except notify(), which any thread may call. FiberRunQueue is thread-safe.
#ifndef TANDEM_EXECUTORS_INTERNAL_FIBER_SCHEDULER_H_
#define TANDEM_EXECUTORS_INTERNAL_FIBER_SCHEDULER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/fiber/algo/algorithm.hpp"
#include "boost/fiber/context.hpp"
#include "boost/fiber/properties.hpp"
#include "executors/executor.h"
#include "executors/internal/stack_pool.h"
#include "executors/internal/watched_thread.h"
#include "executors/work_label.h"

namespace tandem::executors_internal {

class FiberScheduler;

// What the scheduler knows of each fiber. Set when the fiber is launched, never changed.
class FiberProperties final : public boost::fibers::fiber_properties {
 public:
  using boost::fibers::fiber_properties::fiber_properties;

  Priority priority = Priority::kNormal;
  const WorkLabel* label = nullptr;
  // The fiber's place in line when it first becomes ready: its task's, from when it was posted.
  std::optional<uint64_t> first_turn;
};

// A place in line: priority first, then the order of arrival.
struct Turn {
  Priority priority;
  uint64_t sequence;
};

class FiberRunQueue {
 public:
  // The next place in line, for a fiber that becomes ready or a task that is posted.
  uint64_t NextSequence() { return next_sequence_.fetch_add(1, std::memory_order_relaxed); }

  // Queues a ready fiber, detached from its thread, and wakes one sleeping thread of the pool,
  // unless `pusher_runs_it_next` and no other fiber is ready: a fiber just launched by a
  // thread's main fiber, which yields to it at once. Waking another thread for it would cost a
  // wake-up per task, and the woken thread would only find nothing and sleep again.
  void Push(boost::fibers::context* fiber, Turn turn, bool pusher_runs_it_next)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The first ready fiber in line, if it comes before `task` (a queued task's turn), or null. The
  // caller attaches it to its thread.
  boost::fibers::context* TryPopBefore(std::optional<Turn> task) ABSL_LOCKS_EXCLUDED(mu_);
  bool HasReady() const ABSL_LOCKS_EXCLUDED(mu_);

  // A thread about to sleep registers, unless a fiber is ready, or its main fiber is idle
  // (`main_idle`) and has work (then false: it must not sleep). Push and WakeOneSleeper wake
  // registered threads, one each; Stop wakes them all.
  bool AddSleeperUnlessReady(FiberScheduler* thread, bool main_idle) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSleeper(FiberScheduler* thread) ABSL_LOCKS_EXCLUDED(mu_);

  // A task was queued (after SetFirstQueuedTask): wakes one sleeping thread, whose main fiber
  // will start it unless an awake thread's does first. Any thread; never waits on a fiber.
  void WakeOneSleeper() ABSL_LOCKS_EXCLUDED(mu_);
  // The pool is stopping: every main fiber has work (draining, then leaving). Wakes every thread.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether an idle main fiber should run: a task waits to start, or the pool is stopping.
  bool MainHasWork() const;

  // The first task of each priority that waits to start: set by the pool (under its own lock)
  // whenever it changes, read by the schedulers. nullopt: none waits.
  void SetFirstQueuedTask(Priority priority, std::optional<uint64_t> sequence);
  std::optional<Turn> FirstQueuedTask() const;

 private:
  struct Ready {
    boost::fibers::context* fiber;
    uint64_t sequence;
  };
  static constexpr uint64_t kNone = ~uint64_t{0};

  bool HasReadyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<uint64_t> next_sequence_{0};
  mutable absl::Mutex mu_;
  std::array<std::deque<Ready>, 3> ready_ ABSL_GUARDED_BY(mu_);  // by Priority
  std::vector<FiberScheduler*> sleepers_ ABSL_GUARDED_BY(mu_);
  std::array<std::atomic<uint64_t>, 3> first_queued_task_{kNone, kNone, kNone};  // by Priority
  std::atomic<bool> stopping_{false};
};

class FiberScheduler final
    : public boost::fibers::algo::algorithm_with_properties<FiberProperties> {
 public:
  // `watched` describes this thread to the watchdog; the scheduler owns it, because Boost destroys
  // the scheduler at thread exit, after the last fiber of the thread is gone.
  FiberScheduler(FiberRunQueue& queue, std::unique_ptr<WatchedThread> watched,
                 absl::Duration watchdog_threshold);

  void awakened(boost::fibers::context* fiber, FiberProperties& properties) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(const std::chrono::steady_clock::time_point& deadline) noexcept override;
  void notify() noexcept override ABSL_LOCKS_EXCLUDED(wake_mu_);
  boost::fibers::fiber_properties* new_properties(boost::fibers::context* fiber) override;

 private:
  FiberRunQueue& queue_;
  const std::unique_ptr<WatchedThread> watched_;
  const absl::Duration watchdog_threshold_;
  // This thread's pinned contexts, when ready: they never leave the thread.
  boost::fibers::context* ready_dispatcher_ = nullptr;
  boost::fibers::context* ready_main_ = nullptr;

  absl::Mutex wake_mu_;
  bool woken_ ABSL_GUARDED_BY(wake_mu_) = false;
};

struct FiberLaunch {
  Priority priority = Priority::kNormal;
  const WorkLabel* label = nullptr;
  uint64_t turn = 0;            // the task's sequence, from when it was posted
  StackPool* stacks = nullptr;  // where the fiber's stack comes from, and goes back to
};

// Starts `body` as a detached fiber of the calling thread's pool: it runs on whichever pool thread
// takes it first. Call on a pool thread (whose scheduler is a FiberScheduler).
void LaunchFiber(const FiberLaunch& launch, absl::AnyInvocable<void() &&> body);

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_FIBER_SCHEDULER_H_
