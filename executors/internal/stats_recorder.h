// StatsRecorder: the counters behind ExecutorStats, shared by the executors that queue work.
//
// Threads: every member is thread-safe and lock-free; call from any thread.
#ifndef TANDEM_EXECUTORS_INTERNAL_STATS_RECORDER_H_
#define TANDEM_EXECUTORS_INTERNAL_STATS_RECORDER_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "executors/executor.h"

namespace tandem::executors_internal {

class StatsRecorder {
 public:
  void OnPosted() { queued_.fetch_add(1, std::memory_order_relaxed); }
  void OnRejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }

  // A queued task starts running; `posted_at` is when it was queued.
  void OnStarted(absl::Time posted_at) {
    const int64_t waited_ns = absl::ToInt64Nanoseconds(absl::Now() - posted_at);
    queued_.fetch_sub(1, std::memory_order_relaxed);
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    total_queued_ns_.fetch_add(waited_ns, std::memory_order_relaxed);
    int64_t max = max_queued_ns_.load(std::memory_order_relaxed);
    while (waited_ns > max &&
           !max_queued_ns_.compare_exchange_weak(max, waited_ns, std::memory_order_relaxed)) {
    }
  }

  void OnFinished() {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    completed_.fetch_add(1, std::memory_order_relaxed);
  }

  // `threads`: the executor's own count of its threads, reported as they are.
  ExecutorStats Snapshot(size_t threads) const {
    ExecutorStats stats;
    stats.threads = threads;
    stats.queue_depth = queued_.load(std::memory_order_relaxed);
    stats.in_flight = in_flight_.load(std::memory_order_relaxed);
    stats.completed = completed_.load(std::memory_order_relaxed);
    stats.rejected = rejected_.load(std::memory_order_relaxed);
    stats.total_queued_time = absl::Nanoseconds(total_queued_ns_.load(std::memory_order_relaxed));
    stats.max_queued_time = absl::Nanoseconds(max_queued_ns_.load(std::memory_order_relaxed));
    return stats;
  }

 private:
  std::atomic<size_t> queued_{0};
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<int64_t> total_queued_ns_{0};
  std::atomic<int64_t> max_queued_ns_{0};
};

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_STATS_RECORDER_H_
