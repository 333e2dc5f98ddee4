// ConcurrencyLimiter: how many calls of a method (or a group of methods) may be running or waiting
// for their executor at once. A call over the limit is answered RESOURCE_EXHAUSTED at the door, on
// gRPC's dispatch thread, before any of its state exists, so overload costs the server little
// and the client learns at once that it should back off or retry elsewhere.
//
//   // At most 8 of Upload's calls at once: long-lived streams cannot take the whole pool.
//   options.SetConcurrencyLimiter("Upload", tandem::ConcurrencyLimiter::Fixed(8));
//   // A limit that follows the measured latency, shared by every method on `pool`.
//   builder.SetExecutorConcurrencyLimiter(pool, tandem::ConcurrencyLimiter::Adaptive());
//
// Fixed: a cap. Adaptive: the limit follows the latency the server measures for the calls it
// admits (receipt to status), in the manner of TCP Vegas, as Netflix's concurrency-limits
// VegasLimit does. Every window of calls, it compares the window's mean latency with the lowest
// latency seen (the latency without queueing) and estimates how many calls are queueing:
// queued = limit * (1 - no_load / mean). Few queued (at most 3 log10(limit), and a quarter of the
// limit): the limit grows by log10(limit); many (6 log10(limit), or half the limit): it shrinks
// as much. We follow
// Vegas rather than Gradient2 because Gradient2 compares against a long-term average latency,
// which under sustained overload drifts up to the overloaded latency and lets the limit creep;
// Vegas's baseline is the no-queueing latency, which is what "p99 near the unloaded p99" needs.
// brpc's auto limiter has the same baseline (min latency, remeasured periodically); here the
// baseline drifts up slowly instead (a fraction per window), so it follows a service that got
// slower for good without a periodic drop in throughput. From brpc too: the limit never shrinks
// below what the best recent throughput needs at the no-load latency (Little's law), so latency
// that rises for another reason than queueing (a CPU saturated by gRPC's own work on a flood of
// calls) cannot take the limit, and throughput, down with it.
//
// Priorities: under load, idle calls are shed first and high-priority calls last. An idle call
// is admitted only while fewer than half the limit are in, a normal one below nine tenths, a high
// one below the whole limit.
//
// Threads: every member is thread-safe. TryAcquire and Release never block (Release of an
// adaptive limiter takes a short lock once per call, never across a wait).
#ifndef TANDEM_SERVER_CONCURRENCY_LIMITER_H_
#define TANDEM_SERVER_CONCURRENCY_LIMITER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "executors/executor.h"

namespace tandem {

class ConcurrencyLimiter {
 public:
  struct AdaptiveOptions {
    int initial_limit = 20;
    int min_limit = 2;
    int max_limit = 1000;
    // A window closes once it has this many calls and lasted this long.
    int window_calls = 20;
    absl::Duration window_time = absl::Milliseconds(20);
    // The no-load latency rises by this fraction per window unless a window shows a lower one.
    double baseline_drift = 0.001;
  };

  // At most `limit` calls at once. `limit` must be positive (checked at BuildAndStart).
  static std::shared_ptr<ConcurrencyLimiter> Fixed(int limit);
  static std::shared_ptr<ConcurrencyLimiter> Adaptive(AdaptiveOptions options);
  static std::shared_ptr<ConcurrencyLimiter> Adaptive() { return Adaptive(AdaptiveOptions()); }

  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // On gRPC's dispatch thread: admits one call at `priority`, or refuses it (and counts it as
  // shed). Never blocks.
  bool TryAcquire(Priority priority);
  // When an admitted call is done. `latency`: receipt to status, for a call whose handler ran;
  // absl::InfiniteDuration() for one that ended without running (it gives no latency sample).
  void Release(absl::Duration latency) ABSL_LOCKS_EXCLUDED(mu_) { Release(latency, absl::Now()); }
  // The same, at `now` (the clock the adaptive limit measures throughput by): for tests.
  void Release(absl::Duration latency, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  bool adaptive() const { return adaptive_; }
  int limit() const { return limit_.load(std::memory_order_relaxed); }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  uint64_t shed() const { return shed_.load(std::memory_order_relaxed); }
  // Whether the configuration is usable; else why not (for BuildAndStart).
  const char* ConfigurationError() const;

 private:
  ConcurrencyLimiter(bool adaptive, int limit, AdaptiveOptions options);
  // Closes a full window: moves the limit (Vegas). Called with mu_ held.
  void UpdateLimitLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const bool adaptive_;
  const AdaptiveOptions options_;
  std::atomic<int> limit_;
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> shed_{0};

  absl::Mutex mu_;
  double exact_limit_ ABSL_GUARDED_BY(mu_);  // limit_ is its rounding
  absl::Duration no_load_ ABSL_GUARDED_BY(mu_) = absl::InfiniteDuration();
  double peak_rate_ ABSL_GUARDED_BY(mu_) = 0;  // calls/s, the best recent window's
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int window_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int window_peak_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration window_total_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration window_min_ ABSL_GUARDED_BY(mu_) = absl::InfiniteDuration();
};

}  // namespace tandem

#endif  // TANDEM_SERVER_CONCURRENCY_LIMITER_H_
