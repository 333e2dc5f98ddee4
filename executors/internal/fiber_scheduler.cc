#include "executors/internal/fiber_scheduler.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "boost/fiber/fiber.hpp"
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

void FiberRunQueue::Push(context* fiber, Turn turn, bool pusher_runs_it_next) {
  absl::MutexLock lock(&mu_);
  const bool alone = !HasReadyLocked();
  ready_[IndexOf(turn.priority)].push_back(Ready{fiber, turn.sequence});
  if (sleepers_.empty() || (pusher_runs_it_next && alone)) return;
  // Under the lock: a sleeper cannot unregister, exit and be destroyed before it is woken.
  FiberScheduler* sleeper = sleepers_.back();
  sleepers_.pop_back();
  sleeper->notify();
}

context* FiberRunQueue::TryPopBefore(std::optional<Turn> task) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < ready_.size(); ++i) {
    if (ready_[i].empty()) continue;
    const Ready first = ready_[i].front();
    if (task && (IndexOf(task->priority) < i ||
                 (IndexOf(task->priority) == i && task->sequence < first.sequence))) {
      return nullptr;
    }
    ready_[i].pop_front();
    return first.fiber;
  }
  return nullptr;
}

bool FiberRunQueue::HasReady() const {
  absl::MutexLock lock(&mu_);
  return HasReadyLocked();
}

bool FiberRunQueue::HasReadyLocked() const {
  return std::any_of(ready_.begin(), ready_.end(),
                     [](const std::deque<Ready>& ready) { return !ready.empty(); });
}

bool FiberRunQueue::AddSleeperUnlessReady(FiberScheduler* thread, bool main_idle) {
  absl::MutexLock lock(&mu_);
  // Under the lock: a task queued (or Stop) after this check wakes the thread registered here.
  if (HasReadyLocked() || (main_idle && MainHasWork())) return false;
  sleepers_.push_back(thread);
  return true;
}

void FiberRunQueue::WakeOneSleeper() {
  absl::MutexLock lock(&mu_);
  if (sleepers_.empty()) return;
  FiberScheduler* sleeper = sleepers_.back();
  sleepers_.pop_back();
  sleeper->notify();
}

void FiberRunQueue::Stop() {
  stopping_.store(true, std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  for (FiberScheduler* sleeper : sleepers_) sleeper->notify();
  sleepers_.clear();
}

bool FiberRunQueue::MainHasWork() const {
  return stopping_.load(std::memory_order_relaxed) || FirstQueuedTask().has_value();
}

void FiberRunQueue::RemoveSleeper(FiberScheduler* thread) {
  absl::MutexLock lock(&mu_);
  sleepers_.erase(std::remove(sleepers_.begin(), sleepers_.end(), thread), sleepers_.end());
}

void FiberRunQueue::SetFirstQueuedTask(Priority priority, std::optional<uint64_t> sequence) {
  first_queued_task_[IndexOf(priority)].store(sequence.value_or(kNone), std::memory_order_relaxed);
}

std::optional<Turn> FiberRunQueue::FirstQueuedTask() const {
  for (Priority priority : {Priority::kHigh, Priority::kNormal, Priority::kIdle}) {
    const uint64_t sequence = first_queued_task_[IndexOf(priority)].load(std::memory_order_relaxed);
    if (sequence != kNone) return Turn{priority, sequence};
  }
  return std::nullopt;
}

FiberScheduler::FiberScheduler(FiberRunQueue& queue, std::unique_ptr<WatchedThread> watched,
                               absl::Duration watchdog_threshold)
    : queue_(queue), watched_(std::move(watched)), watchdog_threshold_(watchdog_threshold) {}

void FiberScheduler::awakened(context* fiber, FiberProperties& properties) noexcept {
  if (fiber->is_context(boost::fibers::type::dispatcher_context)) {
    ready_dispatcher_ = fiber;
    return;
  }
  if (fiber->is_context(boost::fibers::type::main_context)) {
    ready_main_ = fiber;
    return;
  }
  // Detached, the fiber may be resumed by any thread of the pool.
  fiber->detach();
  const uint64_t sequence = properties.first_turn ? *properties.first_turn : queue_.NextSequence();
  properties.first_turn.reset();
  // A fiber being launched here is ready because its thread's main fiber launched it, and that
  // main fiber yields next (FiberPool::RunThread).
  queue_.Push(fiber, Turn{properties.priority, sequence},
              /*pusher_runs_it_next=*/launch_in_progress != nullptr);
}

context* FiberScheduler::pick_next() noexcept {
  if (ready_dispatcher_ != nullptr) {
    watched_->Idle();  // Boost's and Tandem's own code: nothing to watch.
    return std::exchange(ready_dispatcher_, nullptr);
  }
  // The main fiber runs only when it has work. With a task to start, only ready fibers ahead of
  // that task in line go first.
  const bool main_has_work = ready_main_ != nullptr && queue_.MainHasWork();
  std::optional<Turn> queued_task;
  if (main_has_work) queued_task = queue_.FirstQueuedTask();
  context* fiber = queue_.TryPopBefore(queued_task);
  if (fiber != nullptr) {
    context::active()->attach(fiber);
    watched_->Hold(properties(fiber).label, watchdog_threshold_);
    return fiber;
  }
  watched_->Idle();
  return main_has_work ? std::exchange(ready_main_, nullptr) : nullptr;
}

bool FiberScheduler::has_ready_fibers() const noexcept {
  return ready_dispatcher_ != nullptr || (ready_main_ != nullptr && queue_.MainHasWork()) ||
         queue_.HasReady();
}

void FiberScheduler::suspend_until(
    const std::chrono::steady_clock::time_point& deadline) noexcept {
  if (!queue_.AddSleeperUnlessReady(this, /*main_idle=*/ready_main_ != nullptr)) return;
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
    properties->first_turn = launch_in_progress->turn;
  }
  return properties;
}

void LaunchFiber(const FiberLaunch& launch, absl::AnyInvocable<void() &&> body) {
  struct InProgress {
    explicit InProgress(const FiberLaunch& launch) { launch_in_progress = &launch; }
    ~InProgress() { launch_in_progress = nullptr; }
  } in_progress(launch);
  boost::fibers::fiber fiber(std::allocator_arg, PooledStack(launch.stacks),
                             [body = std::move(body)]() mutable { std::move(body)(); });
  fiber.detach();
}

}  // namespace tandem::executors_internal
