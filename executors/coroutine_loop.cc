#include "executors/coroutine_loop.h"

#include <exception>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "asio/post.hpp"
#include "executors/internal/resumption_executor.h"
#include "executors/internal/watched_thread.h"

namespace tandem {

CoroutineLoop::CoroutineLoop(Options options)
    : options_(std::move(options)), work_guard_(context_.get_executor()) {
  thread_ = std::thread([this] {
    executors_internal::WatchedThread watched({
        .description = absl::StrCat("coroutine loop '", options_.name, "'"),
        .hint = "A coroutine that blocks stalls its whole loop: co_await instead "
                "(tandem::AsyncSleepFor, the generated Co* client calls).",
    });
    context_.run();
  });
}

CoroutineLoop::~CoroutineLoop() { ShutdownAndWait(); }

std::optional<CoroutineLoop::WorkGuard> CoroutineLoop::TryReserve() {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    stats_.OnRejected();
    return std::nullopt;
  }
  if (pending_.fetch_add(1, std::memory_order_relaxed) >= options_.max_pending) {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    stats_.OnRejected();
    return std::nullopt;
  }
  stats_.OnPosted();
  return asio::make_work_guard(context_);
}

bool CoroutineLoop::TryPost(Task task, PostOptions options) {
  const std::optional<WorkGuard> reserved = TryReserve();
  if (!reserved) return false;
  Queue(options.priority, [this, task = std::move(task), label = options.label,
                           call_scope = std::move(options.call_scope)]() mutable {
    {
      executors_internal::WatchScope watch(label, options_.watchdog_threshold);
      InCallScope enter(std::move(call_scope));
      std::move(task)();
    }
    stats_.OnFinished();
    pending_.fetch_sub(1, std::memory_order_relaxed);
  });
  return true;
}

bool CoroutineLoop::TrySpawn(tandem::Task<void> coroutine, PostOptions options) {
  const std::optional<WorkGuard> reserved = TryReserve();
  if (!reserved) return false;
  // A coroutine is in flight from its start until it completes.
  Queue(options.priority, [this, coroutine = std::move(coroutine), label = options.label,
                           call_scope = std::move(options.call_scope)]() mutable {
    auto on_done = [this](std::exception_ptr error) {
      if (error) {
        ABSL_RAW_LOG(FATAL, "CoroutineLoop %s: exception escaped a spawned coroutine",
                     options_.name.c_str());
      }
      stats_.OnFinished();
      pending_.fetch_sub(1, std::memory_order_relaxed);
    };
    // Every resumption of the coroutine goes through its executor, which tells the watchdog and
    // makes the coroutine's call current.
    executors_internal::ResumptionExecutor executor(
        context_.get_executor(),
        {.label = label,
         .watchdog_threshold = options_.watchdog_threshold,
         .call_scope = std::move(call_scope)});
    asio::co_spawn(executor, std::move(coroutine), std::move(on_done));
  });
  return true;
}

void CoroutineLoop::Queue(Priority priority, absl::AnyInvocable<void() &&> start) {
  {
    absl::MutexLock lock(&mu_);
    queued_[static_cast<size_t>(priority)].push_back(Queued{std::move(start), absl::Now()});
  }
  asio::post(context_, [this] { StartNextQueued(); });
}

void CoroutineLoop::StartNextQueued() {
  Queued next;
  {
    absl::MutexLock lock(&mu_);
    for (std::deque<Queued>& queue : queued_) {
      if (queue.empty()) continue;
      next = std::move(queue.front());
      queue.pop_front();
      break;
    }
  }
  stats_.OnStarted(next.posted_at);
  std::move(next.start)();
}

void CoroutineLoop::ShutdownAndWait() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (!thread_.joinable()) return;
  ABSL_RAW_CHECK(!IsLoopThread(), "CoroutineLoop::ShutdownAndWait called on the loop thread");
  // Without the guard, run() returns once no handler or pending operation is left.
  asio::post(context_, [this] { work_guard_.reset(); });
  thread_.join();
}

}  // namespace tandem
