#include "executors/event.h"

#include <chrono>

#include "absl/base/internal/raw_logging.h"
#include "absl/time/clock.h"
#include "executors/blocking.h"
#include "executors/internal/steady_deadline.h"

namespace tandem {
namespace {

// absl::Mutex as the Lockable that Boost's condition_variable_any takes. A fiber may resume on
// another thread of its pool: it relocks there, and unlocks there too.
class AbslLockable {
 public:
  explicit AbslLockable(absl::Mutex* mu) : mu_(mu) {}
  void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Lock(); }
  void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_->Unlock(); }

 private:
  absl::Mutex* const mu_;
};

}  // namespace

Event::~Event() {
  // Only takes the lock: a Notify that woke a waiter may still be inside Unlock, and must be done
  // with this object before it goes away.
  absl::MutexLock lock(&mu_);
}

void Event::Notify() {
  absl::MutexLock lock(&mu_);
  ABSL_RAW_CHECK(!notified_, "tandem::Event notified twice");
  notified_ = true;
  // Under the lock: a fiber cannot see notified_, return and destroy the event before this
  // wake-up is done with the condition variable.
  if (fiber_waiters_ > 0) fibers_cv_.notify_all();
}

bool Event::HasBeenNotified() const {
  absl::MutexLock lock(&mu_);
  return notified_;
}

void Event::Wait() { WaitUntil(absl::InfiniteFuture()); }

bool Event::WaitFor(absl::Duration timeout) { return WaitUntil(absl::Now() + timeout); }

bool Event::WaitUntil(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (!OnFiber()) return mu_.AwaitWithDeadline(absl::Condition(&notified_), deadline);
  ++fiber_waiters_;
  AbslLockable lockable(&mu_);
  const std::chrono::steady_clock::time_point steady_deadline =
      executors_internal::SteadyDeadlineAt(deadline);
  while (!notified_) {
    if (steady_deadline == std::chrono::steady_clock::time_point::max()) {
      fibers_cv_.wait(lockable);
    } else if (fibers_cv_.wait_until(lockable, steady_deadline) ==
               boost::fibers::cv_status::timeout) {
      break;
    }
  }
  --fiber_waiters_;
  return notified_;
}

}  // namespace tandem
