#include "executors/event.h"

#include "absl/base/internal/raw_logging.h"
#include "absl/time/clock.h"

namespace tandem {

Event::~Event() {
  // Only takes the lock: a Notify that woke a waiter may still be inside Unlock, and must be done
  // with this object before it goes away.
  MutexLock lock(&mu_);
}

void Event::Notify() {
  MutexLock lock(&mu_);
  ABSL_RAW_CHECK(!notified_, "tandem::Event notified twice");
  notified_ = true;
  // Under the lock: a waiter cannot see notified_, return and destroy the Event before this
  // wake-up is done with the condition variable.
  notified_cv_.SignalAll();
}

bool Event::HasBeenNotified() const {
  MutexLock lock(&mu_);
  return notified_;
}

void Event::Wait() {
  MutexLock lock(&mu_);
  while (!notified_) notified_cv_.Wait(&mu_);
}

bool Event::WaitFor(absl::Duration timeout) { return WaitUntil(absl::Now() + timeout); }

bool Event::WaitUntil(absl::Time deadline) {
  MutexLock lock(&mu_);
  while (!notified_) {
    if (notified_cv_.WaitWithDeadline(&mu_, deadline)) return notified_;
  }
  return true;
}

}  // namespace tandem
