#include "executors/mutex.h"

#include <chrono>
#include <mutex>

#include "executors/internal/steady_deadline.h"

namespace tandem {

// Boost's condition variable takes a std::unique_lock; these adopt the caller's lock for the wait
// and release it again, so that the caller still holds the mutex it locked.

void CondVar::Wait(Mutex* mu) {
  std::unique_lock<boost::fibers::mutex> lock(mu->mu_, std::adopt_lock);
  cv_.wait(lock);
  lock.release();
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  const std::chrono::steady_clock::time_point steady_deadline =
      executors_internal::SteadyDeadlineAt(deadline);
  if (steady_deadline == std::chrono::steady_clock::time_point::max()) {
    Wait(mu);
    return false;
  }
  std::unique_lock<boost::fibers::mutex> lock(mu->mu_, std::adopt_lock);
  const boost::fibers::cv_status status = cv_.wait_until(lock, steady_deadline);
  lock.release();
  return status == boost::fibers::cv_status::timeout;
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  return WaitWithDeadline(mu, absl::Now() + timeout);
}

}  // namespace tandem
