#include "executors/executor.h"

#include <utility>

namespace tandem {

absl::string_view ExecutorKindName(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kThreadPool:
      return "thread pool";
    case ExecutorKind::kCoroutineLoop:
      return "coroutine loop";
    case ExecutorKind::kInline:
      return "inline";
  }
  return "unknown";
}

std::shared_ptr<InlineExecutor> InlineExecutor::Get() {
  // Leaked on purpose: servers and tasks may still hold it during static destruction.
  static auto* const instance = new std::shared_ptr<InlineExecutor>(new InlineExecutor());
  return *instance;
}

bool InlineExecutor::TryPost(Task task) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  std::move(task)();
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

}  // namespace tandem
