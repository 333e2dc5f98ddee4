#include "executors/executor.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "absl/base/internal/sysinfo.h"
#include "absl/strings/str_cat.h"
#include "executors/internal/watched_thread.h"

namespace tandem {

absl::string_view ExecutorKindName(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kThreadPool:
      return "thread pool";
    case ExecutorKind::kFiberPool:
      return "fiber pool";
    case ExecutorKind::kCoroutineLoop:
      return "coroutine loop";
    case ExecutorKind::kInline:
      return "inline";
  }
  return "unknown";
}

absl::string_view PriorityName(Priority priority) {
  switch (priority) {
    case Priority::kHigh:
      return "high";
    case Priority::kNormal:
      return "normal";
    case Priority::kIdle:
      return "idle";
  }
  return "unknown";
}

bool Executor::TrySpawn(tandem::Task<void>, PostOptions) { return false; }

std::shared_ptr<InlineExecutor> InlineExecutor::Get() {
  // Leaked on purpose: servers and tasks may still hold it during static destruction.
  static auto* const instance = new std::shared_ptr<InlineExecutor>(new InlineExecutor());
  return *instance;
}

bool InlineExecutor::TryPost(Task task, PostOptions options) {
  executors_internal::WatchedThread& thread =
      executors_internal::WatchedThread::CurrentOrAdopt([] {
        return executors_internal::WatchedThread::Options{
            .description = absl::StrCat("thread ", absl::base_internal::GetTID(),
                                        " running inline work (for a server, a gRPC callback "
                                        "thread)"),
            .hint = "Inline work must never block: bind the method to a ThreadPool or a "
                    "FiberPool.",
        };
      });
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  {
    executors_internal::WatchScope watch(&thread, options.label, watchdog_threshold());
    InCallScope enter(std::move(options.call_scope));
    std::move(task)();
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  completed_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

ExecutorStats InlineExecutor::stats() const {
  ExecutorStats stats;
  stats.in_flight = in_flight_.load(std::memory_order_relaxed);
  stats.completed = completed_.load(std::memory_order_relaxed);
  return stats;
}

void InlineExecutor::SetWatchdogThreshold(absl::Duration threshold) {
  watchdog_threshold_ns_.store(threshold == absl::InfiniteDuration()
                                   ? std::numeric_limits<int64_t>::max()
                                   : absl::ToInt64Nanoseconds(threshold),
                               std::memory_order_relaxed);
}

absl::Duration InlineExecutor::watchdog_threshold() const {
  const int64_t ns = watchdog_threshold_ns_.load(std::memory_order_relaxed);
  return ns == std::numeric_limits<int64_t>::max() ? absl::InfiniteDuration()
                                                   : absl::Nanoseconds(ns);
}

}  // namespace tandem
