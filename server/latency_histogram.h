// LatencyHistogram: how a duration is distributed over fixed buckets, counted lock-free on the
// call path; and LatencyDistribution, a snapshot of it (what MethodStats reports).
//
// The buckets are the same for every histogram, so that a scraper can add them up across
// methods and servers. Their upper bounds, in seconds, run 1-2.5-5 per decade from 10 µs to 10 s
// (kLatencyBucketBounds), and a last bucket takes the rest (+Inf): an in-process unary call
// takes tens of microseconds end to end and a queued one can wait a second, so both ends need
// resolution that Prometheus' default buckets (5 ms to 10 s) do not have.
//
// Threads: Record and Snapshot may be called from any thread at once and never block. Record is
// two relaxed atomic additions (its bucket and the sum); a snapshot taken during Records may see
// a bucket counted and the sum not yet (or the reverse), never a torn value.
#ifndef TANDEM_SERVER_LATENCY_HISTOGRAM_H_
#define TANDEM_SERVER_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace tandem {

// The upper bounds (inclusive, in seconds) of every bucket but the last, which is unbounded.
inline constexpr std::array<double, 19> kLatencyBucketBounds = {
    0.00001, 0.000025, 0.00005,  // 10 µs ...
    0.0001,  0.00025,  0.0005,   //
    0.001,   0.0025,   0.005,    // 1 ms ...
    0.01,    0.025,    0.05,     //
    0.1,     0.25,     0.5,      //
    1,       2.5,      5,        // 1 s ...
    10,
};
inline constexpr size_t kLatencyBuckets = kLatencyBucketBounds.size() + 1;
// The same bounds in nanoseconds, as LatencyHistogram compares them.
inline constexpr std::array<int64_t, kLatencyBucketBounds.size()> kLatencyBucketBoundsNs = [] {
  std::array<int64_t, kLatencyBucketBounds.size()> ns{};
  for (size_t i = 0; i < ns.size(); ++i) {
    // Rounded: 0.00001 * 1e9 is 9999.999... in binary floating point.
    ns[i] = static_cast<int64_t>(kLatencyBucketBounds[i] * 1e9 + 0.5);
  }
  return ns;
}();

// A snapshot: how many durations fell in each bucket (not cumulative; the last is the +Inf
// bucket), and their sum.
struct LatencyDistribution {
  std::array<uint64_t, kLatencyBuckets> buckets{};
  absl::Duration sum = absl::ZeroDuration();

  uint64_t count() const {
    uint64_t total = 0;
    for (uint64_t n : buckets) total += n;
    return total;
  }
  absl::Duration mean() const {
    const uint64_t n = count();
    return n == 0 ? absl::ZeroDuration() : sum / static_cast<int64_t>(n);
  }
};

class LatencyHistogram {
 public:
  void Record(absl::Duration duration) {
    const int64_t ns = absl::ToInt64Nanoseconds(duration);
    // The first bound at or above the duration: Prometheus' buckets include their upper bound.
    const size_t bucket =
        std::lower_bound(kLatencyBucketBoundsNs.begin(), kLatencyBucketBoundsNs.end(), ns) -
        kLatencyBucketBoundsNs.begin();
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  }

  LatencyDistribution Snapshot() const {
    LatencyDistribution snapshot;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      snapshot.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    }
    snapshot.sum = absl::Nanoseconds(sum_ns_.load(std::memory_order_relaxed));
    return snapshot;
  }

 private:
  std::array<std::atomic<uint64_t>, kLatencyBuckets> buckets_{};
  std::atomic<int64_t> sum_ns_{0};
};

}  // namespace tandem

#endif  // TANDEM_SERVER_LATENCY_HISTOGRAM_H_
