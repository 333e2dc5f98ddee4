#include "executors/internal/fiber_scheduler.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "boost/fiber/fiber.hpp"
#include "boost/fiber/protected_fixedsize_stack.hpp"
#include "boost/fiber/type.hpp"

namespace tandem::executors_internal {
namespace {

using boost::fibers::context;

// The launch in progress on this thread: Boost makes a new fiber's properties (new_properties)
// while constructing the fiber, before LaunchFiber could set them, and another thread may take
// the fiber from the queue right after. So LaunchFiber leaves them here for new_properties.
thread_local const FiberLaunch* launch_in_progress = nullptr;

size_t IndexOf(Priority priority) { return static_cast<size_t>(priority); }

}  // namespace

void FiberRunQueue::Push(context* fiber, Priority priority) {
  absl::MutexLock lock(&mu_);
  ready_[IndexOf(priority)].push_back(fiber);
  if (sleepers_.empty()) return;
  // Under the lock: a sleeper cannot unregister, exit and be destroyed before it is woken.
  FiberScheduler* sleeper = sleepers_.back();
  sleepers_.pop_back();
  sleeper->notify();
}

context* FiberRunQueue::TryPop() {
  absl::MutexLock lock(&mu_);
  for (std::deque<context*>& ready : ready_) {
    if (ready.empty()) continue;
    context* fiber = ready.front();
    ready.pop_front();
    return fiber;
  }
  return nullptr;
}

bool FiberRunQueue::HasReady() const {
  absl::MutexLock lock(&mu_);
  return HasReadyLocked();
}

bool FiberRunQueue::HasReadyLocked() const {
  return std::any_of(ready_.begin(), ready_.end(),
                     [](const std::deque<context*>& ready) { return !ready.empty(); });
}

bool FiberRunQueue::AddSleeperUnlessReady(FiberScheduler* thread) {
  absl::MutexLock lock(&mu_);
  if (HasReadyLocked()) return false;
  sleepers_.push_back(thread);
  return true;
}

void FiberRunQueue::RemoveSleeper(FiberScheduler* thread) {
  absl::MutexLock lock(&mu_);
  sleepers_.erase(std::remove(sleepers_.begin(), sleepers_.end(), thread), sleepers_.end());
}

FiberScheduler::FiberScheduler(FiberRunQueue& queue, std::unique_ptr<WatchedThread> watched,
                               absl::Duration watchdog_threshold)
    : queue_(queue), watched_(std::move(watched)), watchdog_threshold_(watchdog_threshold) {}

void FiberScheduler::awakened(context* fiber, FiberProperties& properties) noexcept {
  if (fiber->is_context(boost::fibers::type::pinned_context)) {
    local_.push_back(*fiber);
    return;
  }
  // Detached, the fiber may be resumed by any thread of the pool.
  fiber->detach();
  queue_.Push(fiber, properties.priority);
}

context* FiberScheduler::pick_next() noexcept {
  if (!local_.empty()) {
    context* pinned = &local_.front();
    local_.pop_front();
    watched_->Idle();  // Tandem's and Boost's own code: nothing to watch.
    return pinned;
  }
  context* fiber = queue_.TryPop();
  if (fiber == nullptr) {
    watched_->Idle();
    return nullptr;
  }
  context::active()->attach(fiber);
  watched_->Hold(properties(fiber).label, watchdog_threshold_);
  return fiber;
}

bool FiberScheduler::has_ready_fibers() const noexcept {
  return !local_.empty() || queue_.HasReady();
}

void FiberScheduler::suspend_until(
    const std::chrono::steady_clock::time_point& deadline) noexcept {
  if (!queue_.AddSleeperUnlessReady(this)) return;
  {
    absl::MutexLock lock(&wake_mu_);
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      wake_mu_.Await(absl::Condition(&woken_));
    } else {
      wake_mu_.AwaitWithDeadline(
          absl::Condition(&woken_),
          absl::Now() + absl::FromChrono(deadline - std::chrono::steady_clock::now()));
    }
    woken_ = false;
  }
  queue_.RemoveSleeper(this);
}

void FiberScheduler::notify() noexcept {
  absl::MutexLock lock(&wake_mu_);
  woken_ = true;
}

boost::fibers::fiber_properties* FiberScheduler::new_properties(context* fiber) {
  auto* properties = new FiberProperties(fiber);
  if (launch_in_progress != nullptr) {
    properties->priority = launch_in_progress->priority;
    properties->label = launch_in_progress->label;
  }
  return properties;
}

void LaunchFiber(const FiberLaunch& launch, absl::AnyInvocable<void() &&> body) {
  struct InProgress {
    explicit InProgress(const FiberLaunch& launch) { launch_in_progress = &launch; }
    ~InProgress() { launch_in_progress = nullptr; }
  } in_progress(launch);
  boost::fibers::fiber fiber(std::allocator_arg,
                             boost::fibers::protected_fixedsize_stack(launch.stack_size),
                             [body = std::move(body)]() mutable { std::move(body)(); });
  fiber.detach();
}

}  // namespace tandem::executors_internal
