// FiberScheduler: the Boost.Fiber scheduling algorithm of a FiberPool's threads.
// FiberRunQueue: the ready fibers of one pool, shared by its threads, by priority.
//
// This is the design of Boost.Fiber's own work-sharing algorithm (algo::shared_work): ready fibers
// go to one queue the pool's threads all take from, while each thread keeps its own pinned
// contexts (its main and dispatcher fibers, which must not migrate) in a local queue. It differs
// where shared_work does not fit an executor:
//   - shared_work's queue is a static member, shared by every pool in the process (and
//     work_stealing's schedulers are too); here each pool has its own FiberRunQueue.
//   - the queue is split by Priority: a thread takes the highest-priority ready fiber, and an idle
//     fiber only when no high or normal fiber is ready.
//   - a thread with nothing to run sleeps until woken, and new work wakes one sleeping thread
//     (shared_work leaves sleepers asleep until a timer fires or spins).
//   - a thread's pinned contexts run before shared work: its dispatcher moves woken and timed-out
//     fibers into the queue, so it must run between fibers for priorities to hold under load.
//   - every switch tells the thread's WatchedThread which fiber now holds the thread.
//
// Threads: a FiberScheduler is installed on one pool thread (use_scheduling_algorithm) and Boost
// calls it there only, except notify(), which any thread may call. FiberRunQueue is thread-safe.
#ifndef TANDEM_EXECUTORS_INTERNAL_FIBER_SCHEDULER_H_
#define TANDEM_EXECUTORS_INTERNAL_FIBER_SCHEDULER_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/fiber/algo/algorithm.hpp"
#include "boost/fiber/context.hpp"
#include "boost/fiber/properties.hpp"
#include "boost/fiber/scheduler.hpp"
#include "executors/executor.h"
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
};

class FiberRunQueue {
 public:
  // Queues a ready fiber, detached from its thread, and wakes one sleeping thread of the pool.
  void Push(boost::fibers::context* fiber, Priority priority) ABSL_LOCKS_EXCLUDED(mu_);
  // The highest-priority ready fiber, or null. The caller attaches it to its thread.
  boost::fibers::context* TryPop() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasReady() const ABSL_LOCKS_EXCLUDED(mu_);

  // A thread about to sleep registers, unless a fiber is ready (then false: it must not sleep).
  // Push wakes registered threads, one per fiber.
  bool AddSleeperUnlessReady(FiberScheduler* thread) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSleeper(FiberScheduler* thread) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool HasReadyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::array<std::deque<boost::fibers::context*>, 3> ready_ ABSL_GUARDED_BY(mu_);  // by Priority
  std::vector<FiberScheduler*> sleepers_ ABSL_GUARDED_BY(mu_);
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
  // This thread's pinned contexts, which never leave it.
  boost::fibers::scheduler::ready_queue_type local_;

  absl::Mutex wake_mu_;
  bool woken_ ABSL_GUARDED_BY(wake_mu_) = false;
};

struct FiberLaunch {
  Priority priority = Priority::kNormal;
  const WorkLabel* label = nullptr;
  size_t stack_size = 0;
};

// Starts `body` as a detached fiber of the calling thread's pool: it runs on whichever pool thread
// takes it first. Call on a pool thread (whose scheduler is a FiberScheduler). Each fiber's stack
// is a mapping of its own with a guard page below it, so an overflow faults instead of silently
// corrupting memory; the stack is freed when the fiber ends.
void LaunchFiber(const FiberLaunch& launch, absl::AnyInvocable<void() &&> body);

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_FIBER_SCHEDULER_H_
