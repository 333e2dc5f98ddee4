#include "server/internal/deadline_alarm.h"

#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tandem::server_internal {

struct DeadlineAlarm::Pending {
  explicit Pending(absl::AnyInvocable<void() &&> function) : at_deadline(std::move(function)) {}

  bool NotRunning() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return !running_on.has_value(); }

  absl::Mutex mu;
  absl::AnyInvocable<void() &&> at_deadline ABSL_GUARDED_BY(mu);  // empty once taken or dropped
  std::optional<std::thread::id> running_on ABSL_GUARDED_BY(mu);  // while the function runs
};

// Constructed without taking `mu`, so that an owner may arm it under a lock of its own that the
// function also takes, without the two locks ever being ordered both ways.
DeadlineAlarm::DeadlineAlarm(absl::Time deadline, absl::AnyInvocable<void() &&> at_deadline)
    : pending_(std::make_shared<Pending>(std::move(at_deadline))) {
  // The callback shares `pending_`: it may run after this object is gone (ok = false then).
  alarm_.Set(absl::ToChronoTime(deadline), [pending = pending_](bool ok) {
    absl::AnyInvocable<void() &&> at_deadline;
    {
      absl::MutexLock lock(&pending->mu);
      if (!ok || !pending->at_deadline) return;
      at_deadline = std::move(pending->at_deadline);
      pending->at_deadline = nullptr;
      pending->running_on = std::this_thread::get_id();
    }
    // Unlocked: the function may end its owner, whose destructor then takes `mu`.
    std::move(at_deadline)();
    absl::MutexLock lock(&pending->mu);
    pending->running_on.reset();
  });
}

DeadlineAlarm::~DeadlineAlarm() {
  {
    absl::MutexLock lock(&pending_->mu);
    pending_->at_deadline = nullptr;
    // A run under way on another thread is waited for; one on this thread is what destroys us.
    if (pending_->running_on.has_value() && *pending_->running_on != std::this_thread::get_id()) {
      pending_->mu.Await(absl::Condition(pending_.get(), &Pending::NotRunning));
    }
  }
  alarm_.Cancel();
}

}  // namespace tandem::server_internal
