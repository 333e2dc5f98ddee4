// SteadyDeadline: Abseil durations and times as the steady-clock deadlines Boost.Fiber waits on.
// Infinite durations, times in the far future, and deadlines past the clock's range all become
// time_point::max(), which Boost.Fiber treats as "no deadline".
//
// Threads: pure functions of the clocks; call from anywhere.
#ifndef TANDEM_EXECUTORS_INTERNAL_STEADY_DEADLINE_H_
#define TANDEM_EXECUTORS_INTERNAL_STEADY_DEADLINE_H_

#include <chrono>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tandem::executors_internal {

inline std::chrono::steady_clock::time_point SteadyDeadlineAfter(absl::Duration timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point now = Clock::now();
  if (timeout <= absl::ZeroDuration()) return now;
  const int64_t timeout_ns = absl::ToInt64Nanoseconds(timeout);  // saturates when infinite
  const int64_t room_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::time_point::max() - now).count();
  if (timeout_ns >= room_ns) return Clock::time_point::max();
  return now + std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(timeout_ns));
}

inline std::chrono::steady_clock::time_point SteadyDeadlineAt(absl::Time deadline) {
  return SteadyDeadlineAfter(deadline - absl::Now());
}

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_STEADY_DEADLINE_H_
