// CoroutineLoop: an Asio event loop on its own thread, where coroutine handlers run.
//
// Every coroutine spawned here runs, and resumes after each co_await, on the loop thread. Nothing
// on the loop may block: a blocking call stalls every coroutine of the loop. The watchdog reports
// a task, or one resumption of a coroutine started with TrySpawn, that holds the loop thread
// longer than `watchdog_threshold` (executors/watchdog.h).
// Priorities order when queued tasks and spawned coroutines start: higher first, idle ones only
// when no high or normal one is queued. Once started, a coroutine resumes in the order its awaited
// operations complete, whatever its priority.
//
// Threads: TrySpawn, TryPost, stats and name are thread-safe and never block. ShutdownAndWait
// blocks until no work is left (running coroutines and pending operations included); it must not
// be called on the loop thread, and is checked.
// Backpressure: at most `max_pending` tasks may be queued or alive at once (a coroutine counts
// from spawn to completion); beyond that TrySpawn and TryPost refuse.
#ifndef TANDEM_EXECUTORS_COROUTINE_LOOP_H_
#define TANDEM_EXECUTORS_COROUTINE_LOOP_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "asio/co_spawn.hpp"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "executors/executor.h"
#include "executors/internal/stats_recorder.h"
#include "executors/task.h"

namespace tandem {

class CoroutineLoop final : public Executor {
 public:
  struct Options {
    std::string name = "tandem-loop";
    size_t max_pending = 65536;
    absl::Duration watchdog_threshold = absl::Milliseconds(100);
  };

  explicit CoroutineLoop(Options options);
  // Shuts down and waits, as ShutdownAndWait.
  ~CoroutineLoop() override;

  CoroutineLoop(const CoroutineLoop&) = delete;
  CoroutineLoop& operator=(const CoroutineLoop&) = delete;

  absl::string_view name() const override { return options_.name; }
  ExecutorKind kind() const override { return ExecutorKind::kCoroutineLoop; }
  using Executor::TryPost;
  bool TryPost(Task task, PostOptions options) override ABSL_LOCKS_EXCLUDED(mu_);
  ExecutorStats stats() const override { return stats_.Snapshot(/*threads=*/1); }
  void ShutdownAndWait() override ABSL_LOCKS_EXCLUDED(mu_);

  // Starts `coroutine` on the loop. Returns false, without starting it, when the loop is full or
  // shutting down. An exception that escapes the coroutine is a bug in the caller: it terminates.
  using Executor::TrySpawn;
  bool TrySpawn(tandem::Task<void> coroutine, PostOptions options) override
      ABSL_LOCKS_EXCLUDED(mu_);
  bool TrySpawn(tandem::Task<void> coroutine) { return TrySpawn(std::move(coroutine), {}); }

  // For co_spawn and Asio I/O objects that should run on this loop.
  asio::io_context::executor_type executor() { return context_.get_executor(); }

  // True on the loop's own thread.
  bool IsLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  // Work accepted by TryPost or TrySpawn, waiting for its turn by priority.
  struct Queued {
    absl::AnyInvocable<void() &&> start;
    absl::Time posted_at;
  };

  // On success, the guard keeps the loop running until the caller has queued its work.
  std::optional<WorkGuard> TryReserve() ABSL_LOCKS_EXCLUDED(mu_);
  // Queues `start` and posts one StartNextQueued to the loop: every queued item gets a turn, and
  // each turn goes to the highest-priority item queued at that moment.
  void Queue(Priority priority, absl::AnyInvocable<void() &&> start) ABSL_LOCKS_EXCLUDED(mu_);
  void StartNextQueued() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  executors_internal::StatsRecorder stats_;
  std::atomic<size_t> pending_{0};

  // Accepting work and starting shutdown exclude each other: work accepted before shutdown holds a
  // WorkGuard until it is queued, so run() cannot return before running it.
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::array<std::deque<Queued>, 3> queued_ ABSL_GUARDED_BY(mu_);  // by Priority

  asio::io_context context_{1};
  std::optional<WorkGuard> work_guard_;
  std::thread thread_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_COROUTINE_LOOP_H_
