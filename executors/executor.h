// Executor: where a handler's code runs.
//
// An executor accepts tasks and runs them on threads (or a loop) that it owns. Tandem binds every
// method of a service to one executor; the gRPC dispatch path only ever calls `TryPost` (or, for
// coroutine handlers, `TrySpawn`), so this interface is the line between gRPC's threads and user
// code. Each task may carry a priority, a label (PostOptions): the label names the work in the
// watchdog's reports (executors/watchdog.h), and the call it serves (executors/call_scope.h).
//
// Threads: every member is thread-safe. `TryPost` never blocks and never runs the task on the
// caller's thread, except on the `InlineExecutor`, whose whole point is to do exactly that.
// Lifetime: an executor must outlive every task posted to it and every server it is bound to.
//
// This layer knows nothing about gRPC: it is usable, and tested, on its own.
#ifndef TANDEM_EXECUTORS_EXECUTOR_H_
#define TANDEM_EXECUTORS_EXECUTOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "executors/call_scope.h"
#include "executors/task.h"
#include "executors/work_label.h"

namespace tandem {

// What kind of code an executor can run. The server checks each method's handler style against
// this when it starts: blocking code needs a kind that may block.
enum class ExecutorKind {
  kThreadPool,     // OS threads; tasks may block.
  kFiberPool,      // fibers on a few OS threads; tasks may wait at Tandem's blocking points.
  kCoroutineLoop,  // an event loop; runs coroutines, tasks must never block.
  kInline,         // the posting thread itself (a gRPC callback thread); tasks must never block.
};

absl::string_view ExecutorKindName(ExecutorKind kind);

// Which queued work an executor starts first. Idle work starts only when no high or normal work
// is waiting to run (as an idle callback does in GLib's main loop); under a steady flood of normal
// work it waits for the flood to end. What "waiting" covers depends on the executor: see each.
enum class Priority {
  kHigh,
  kNormal,
  kIdle,
};

absl::string_view PriorityName(Priority priority);  // "high", "normal", "idle"

// How to run one posted task.
struct PostOptions {
  Priority priority = Priority::kNormal;
  // What the watchdog names if the task holds its thread too long; null for unlabelled work.
  // Must outlive the task.
  const WorkLabel* label = nullptr;
  // The call the task serves, if any: current while the task runs (on a coroutine, during each
  // of its resumptions), so the client calls it makes inherit the call's deadline and
  // cancellation (executors/call_scope.h).
  std::shared_ptr<CallScope> call_scope;
};

// A snapshot of an executor's load. Counters are cumulative since construction.
struct ExecutorStats {
  size_t queue_depth = 0;   // posted, not yet started
  size_t in_flight = 0;     // started, not yet finished (on a FiberPool: fibers; on a
                            // CoroutineLoop: coroutines and tasks)
  size_t threads = 0;       // the OS threads it runs work on; 0 inline (it borrows the poster's)
  uint64_t completed = 0;   // ran to the end
  uint64_t rejected = 0;    // refused by TryPost (queue full or shut down)
  absl::Duration total_queued_time = absl::ZeroDuration();  // summed over started tasks
  absl::Duration max_queued_time = absl::ZeroDuration();
};

class Executor {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  virtual ~Executor() = default;

  virtual absl::string_view name() const = 0;
  virtual ExecutorKind kind() const = 0;

  // Queues `task` and returns at once. Returns false, and destroys `task` without running it, when
  // the queue is full or the executor is shutting down. Thread-safe; never blocks.
  virtual bool TryPost(Task task, PostOptions options) = 0;
  // The same, at normal priority and unlabelled.
  bool TryPost(Task task) { return TryPost(std::move(task), PostOptions()); }

  // Starts `coroutine` here and returns at once, if this executor runs coroutines (a
  // CoroutineLoop); it then resumes here after every co_await, and counts as in flight until it
  // completes. Returns false, without starting it, when the executor is full, shutting down, or
  // runs no coroutines (the default). Thread-safe; never blocks.
  virtual bool TrySpawn(tandem::Task<void> coroutine, PostOptions options);

  virtual ExecutorStats stats() const = 0;

  // Stops accepting tasks, runs every task already queued, and joins the executor's threads.
  // Blocks. Must not be called from one of the executor's own threads. Idempotent.
  virtual void ShutdownAndWait() = 0;
};

// Runs each task at once on the thread that posts it. Bound to a callback-style method, this runs
// the handler on gRPC's callback thread: only for handlers that never block. Nothing queues, so
// priorities change nothing. The watchdog reports a task that holds the posting thread for longer
// than the watchdog threshold (default 100 ms).
class InlineExecutor final : public Executor {
 public:
  // The process-wide instance. Never destroyed.
  static std::shared_ptr<InlineExecutor> Get();

  absl::string_view name() const override { return "inline"; }
  ExecutorKind kind() const override { return ExecutorKind::kInline; }
  using Executor::TryPost;
  bool TryPost(Task task, PostOptions options) override;
  ExecutorStats stats() const override;
  void ShutdownAndWait() override {}

  // Applies to tasks posted from now on; absl::InfiniteDuration() stops watching. Thread-safe.
  void SetWatchdogThreshold(absl::Duration threshold);
  absl::Duration watchdog_threshold() const;

 private:
  InlineExecutor() = default;
  std::atomic<uint64_t> completed_{0};
  std::atomic<size_t> in_flight_{0};
  std::atomic<int64_t> watchdog_threshold_ns_{absl::ToInt64Nanoseconds(absl::Milliseconds(100))};
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_EXECUTOR_H_
