#include "server/concurrency_limiter.h"

#include <algorithm>
#include <cmath>


namespace tandem {
namespace {

// The share of the limit each priority may fill: idle work is shed first, high-priority last.
int ThresholdFor(Priority priority, int limit) {
  switch (priority) {
    case Priority::kHigh:
      return limit;
    case Priority::kNormal:
      return static_cast<int>(std::ceil(limit * 0.9));
    case Priority::kIdle:
      return static_cast<int>(std::ceil(limit * 0.5));
  }
  return limit;
}

}  // namespace

std::shared_ptr<ConcurrencyLimiter> ConcurrencyLimiter::Fixed(int limit) {
  return std::shared_ptr<ConcurrencyLimiter>(
      new ConcurrencyLimiter(/*adaptive=*/false, limit, AdaptiveOptions()));
}

std::shared_ptr<ConcurrencyLimiter> ConcurrencyLimiter::Adaptive(AdaptiveOptions options) {
  return std::shared_ptr<ConcurrencyLimiter>(
      new ConcurrencyLimiter(/*adaptive=*/true, options.initial_limit, options));
}

ConcurrencyLimiter::ConcurrencyLimiter(bool adaptive, int limit, AdaptiveOptions options)
    : adaptive_(adaptive), options_(options), limit_(limit), exact_limit_(limit) {}

const char* ConcurrencyLimiter::ConfigurationError() const {
  if (!adaptive_) return limit() > 0 ? nullptr : "a fixed limit must be positive";
  if (options_.min_limit <= 0) return "min_limit must be positive";
  if (options_.max_limit < options_.min_limit) return "max_limit must be at least min_limit";
  if (options_.initial_limit < options_.min_limit || options_.initial_limit > options_.max_limit) {
    return "initial_limit must lie between min_limit and max_limit";
  }
  if (options_.window_calls <= 0) return "window_calls must be positive";
  if (options_.baseline_drift < 0) return "baseline_drift must not be negative";
  return nullptr;
}

bool ConcurrencyLimiter::TryAcquire(Priority priority) {
  const int threshold = std::max(1, ThresholdFor(priority, limit()));
  if (in_flight_.fetch_add(1, std::memory_order_relaxed) < threshold) return true;
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  shed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void ConcurrencyLimiter::Release(absl::Duration latency, absl::Time now) {
  const int was_in_flight = in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (!adaptive_ || latency == absl::InfiniteDuration()) return;
  absl::MutexLock lock(&mu_);
  if (window_calls_ == 0) window_start_ = now;
  ++window_calls_;
  window_total_ += latency;
  window_min_ = std::min(window_min_, latency);
  window_peak_in_flight_ = std::max(window_peak_in_flight_, was_in_flight);
  if (window_calls_ >= options_.window_calls && now - window_start_ >= options_.window_time) {
    UpdateLimitLocked(now);
  }
}

void ConcurrencyLimiter::UpdateLimitLocked(absl::Time now) {
  const absl::Duration mean = window_total_ / window_calls_;
  no_load_ = no_load_ == absl::InfiniteDuration()
                 ? window_min_
                 : std::min(no_load_ * (1 + options_.baseline_drift), window_min_);
  // Little's law floor, as brpc's limiter computes its whole limit: the calls in flight that the
  // best recent throughput needs at the no-load latency. Latency that rises for another reason
  // than admitted calls queueing (a CPU saturated by gRPC's own work on a flood of calls, shed
  // ones included) would otherwise take Vegas down to min_limit and throughput with it, while
  // the latency stays where it was.
  const double window_rate =
      window_calls_ / std::max(1e-9, absl::ToDoubleSeconds(now - window_start_));
  peak_rate_ = std::max(window_rate, peak_rate_ * (1 - options_.baseline_drift));
  const double floor = peak_rate_ * absl::ToDoubleSeconds(no_load_);
  const double limit = exact_limit_;
  // Vegas: the calls queueing beyond what the server serves without delay.
  const double queued =
      mean > absl::ZeroDuration() ? limit * (1 - absl::FDivDuration(no_load_, mean)) : 0;
  // Vegas's thresholds (3 and 6 times log10 of the limit), but never more than a quarter and a
  // half of the limit: with a handful of cores the whole limit is a handful of calls, and Vegas's
  // own thresholds would let the queue hold more calls than run.
  const double step = std::max(1.0, std::log10(limit));
  const double grow_below = std::min(3 * step, limit / 4);
  const double shrink_above = std::min(6 * step, limit / 2);
  double next = limit;
  if (queued <= grow_below) {
    // Grow only when the calls used the room they had: a lightly loaded method keeps its limit.
    if (window_peak_in_flight_ >= limit / 2) next = limit + step;
  } else if (queued >= shrink_above) {
    next = std::max(limit - step, std::min(limit, floor));
  }
  exact_limit_ = std::clamp(next, static_cast<double>(options_.min_limit),
                            static_cast<double>(options_.max_limit));
  limit_.store(static_cast<int>(std::lround(exact_limit_)), std::memory_order_relaxed);
  window_calls_ = 0;
  window_total_ = absl::ZeroDuration();
  window_min_ = absl::InfiniteDuration();
  window_peak_in_flight_ = 0;
  window_start_ = now;
}

}  // namespace tandem
