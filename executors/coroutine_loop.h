// CoroutineLoop: an Asio event loop on its own thread, where coroutine handlers run.
//
// Every coroutine spawned here runs, and resumes after each co_await, on the loop thread. Nothing
// on the loop may block: a blocking call stalls every coroutine of the loop.
//
// Threads: TrySpawn, TryPost, stats and name are thread-safe and never block. ShutdownAndWait
// blocks until no work is left (running coroutines and pending operations included); it must not
// be called on the loop thread, and is checked.
// Backpressure: at most `max_pending` tasks may be queued or alive at once (a coroutine counts
// from spawn to completion); beyond that TrySpawn and TryPost refuse.
#ifndef TANDEM_EXECUTORS_COROUTINE_LOOP_H_
#define TANDEM_EXECUTORS_COROUTINE_LOOP_H_

#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <utility>

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
  };

  explicit CoroutineLoop(Options options);
  // Shuts down and waits, as ShutdownAndWait.
  ~CoroutineLoop() override;

  CoroutineLoop(const CoroutineLoop&) = delete;
  CoroutineLoop& operator=(const CoroutineLoop&) = delete;

  absl::string_view name() const override { return options_.name; }
  ExecutorKind kind() const override { return ExecutorKind::kCoroutineLoop; }
  bool TryPost(Task task) override;
  ExecutorStats stats() const override { return stats_.Snapshot(); }
  void ShutdownAndWait() override;

  // Starts `coroutine` on the loop. Returns false, without starting it, when the loop is full or
  // shutting down. An exception that escapes the coroutine is a bug in the caller: it terminates.
  bool TrySpawn(tandem::Task<void> coroutine);

  // For co_spawn and Asio I/O objects that should run on this loop.
  asio::io_context::executor_type executor() { return context_.get_executor(); }

  // True on the loop's own thread.
  bool IsLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  bool TryReserve();

  const Options options_;
  executors_internal::StatsRecorder stats_;
  std::atomic<size_t> pending_{0};
  std::atomic<bool> stopping_{false};

  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_guard_;
  std::thread thread_;
};

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_COROUTINE_LOOP_H_
