#include "executors/coroutine_loop.h"

#include <exception>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "asio/post.hpp"

namespace tandem {

CoroutineLoop::CoroutineLoop(Options options)
    : options_(std::move(options)), work_guard_(context_.get_executor()) {
  thread_ = std::thread([this] { context_.run(); });
}

CoroutineLoop::~CoroutineLoop() { ShutdownAndWait(); }

bool CoroutineLoop::TryReserve() {
  if (stopping_.load(std::memory_order_acquire)) {
    stats_.OnRejected();
    return false;
  }
  if (pending_.fetch_add(1, std::memory_order_relaxed) >= options_.max_pending) {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    stats_.OnRejected();
    return false;
  }
  stats_.OnPosted();
  return true;
}

bool CoroutineLoop::TryPost(Task task) {
  if (!TryReserve()) return false;
  asio::post(context_, [this, task = std::move(task), posted_at = absl::Now()]() mutable {
    stats_.OnStarted(posted_at);
    std::move(task)();
    stats_.OnFinished();
    pending_.fetch_sub(1, std::memory_order_relaxed);
  });
  return true;
}

bool CoroutineLoop::TrySpawn(tandem::Task<void> coroutine) {
  if (!TryReserve()) return false;
  const absl::Time posted_at = absl::Now();
  stats_.OnStarted(posted_at);  // A coroutine is in flight from spawn until it completes.
  asio::co_spawn(context_, std::move(coroutine), [this](std::exception_ptr error) {
    if (error) {
      ABSL_RAW_LOG(FATAL, "CoroutineLoop %s: exception escaped a spawned coroutine",
                   options_.name.c_str());
    }
    stats_.OnFinished();
    pending_.fetch_sub(1, std::memory_order_relaxed);
  });
  return true;
}

void CoroutineLoop::ShutdownAndWait() {
  stopping_.store(true, std::memory_order_release);
  if (!thread_.joinable()) return;
  ABSL_RAW_CHECK(!IsLoopThread(), "CoroutineLoop::ShutdownAndWait called on the loop thread");
  // Without the guard, run() returns once no handler or pending operation is left.
  asio::post(context_, [this] { work_guard_.reset(); });
  thread_.join();
}

}  // namespace tandem
