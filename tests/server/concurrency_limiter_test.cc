// ConcurrencyLimiter: a fixed limit admits calls up to the limit; priorities decide who is shed
// first; an adaptive limit grows while calls run at their no-load latency and the room is used,
// shrinks when calls queue, and stays put when the load is light.
#include "server/concurrency_limiter.h"

#include "gtest/gtest.h"

namespace tandem {
namespace {

// Admits `calls` calls at `priority`; returns how many got in.
int AcquireUpTo(ConcurrencyLimiter& limiter, int calls, Priority priority = Priority::kNormal) {
  int admitted = 0;
  for (int i = 0; i < calls; ++i) admitted += limiter.TryAcquire(priority) ? 1 : 0;
  return admitted;
}

TEST(FixedLimit, AdmitsUpToItsLimitAndCountsTheShed) {
  auto limiter = ConcurrencyLimiter::Fixed(3);
  EXPECT_EQ(AcquireUpTo(*limiter, 5), 3);
  EXPECT_EQ(limiter->in_flight(), 3);
  EXPECT_EQ(limiter->shed(), 2u);
  limiter->Release(absl::Milliseconds(1));
  EXPECT_TRUE(limiter->TryAcquire(Priority::kNormal)) << "a released place is free again";
  EXPECT_EQ(limiter->limit(), 3) << "a fixed limit never moves";
}

TEST(FixedLimit, ShedsIdleCallsFirstAndHighPriorityCallsLast) {
  auto limiter = ConcurrencyLimiter::Fixed(20);
  EXPECT_EQ(AcquireUpTo(*limiter, 10, Priority::kHigh), 10);
  EXPECT_FALSE(limiter->TryAcquire(Priority::kIdle)) << "idle calls fill half the limit at most";
  EXPECT_EQ(AcquireUpTo(*limiter, 8, Priority::kNormal), 8);
  EXPECT_FALSE(limiter->TryAcquire(Priority::kNormal)) << "normal calls fill nine tenths at most";
  EXPECT_EQ(AcquireUpTo(*limiter, 5, Priority::kHigh), 2) << "high-priority calls fill it all";
}

TEST(FixedLimit, NonPositiveLimitsAreUnusable) {
  EXPECT_NE(ConcurrencyLimiter::Fixed(0)->ConfigurationError(), nullptr);
  EXPECT_NE(ConcurrencyLimiter::Fixed(-3)->ConfigurationError(), nullptr);
  EXPECT_EQ(ConcurrencyLimiter::Fixed(1)->ConfigurationError(), nullptr);
}

TEST(AdaptiveLimit, BadOptionsAreUnusable) {
  EXPECT_NE(ConcurrencyLimiter::Adaptive({.min_limit = 0})->ConfigurationError(), nullptr);
  EXPECT_NE(ConcurrencyLimiter::Adaptive({.initial_limit = 5000})->ConfigurationError(), nullptr);
  EXPECT_NE(ConcurrencyLimiter::Adaptive({.window_calls = 0})->ConfigurationError(), nullptr);
  EXPECT_EQ(ConcurrencyLimiter::Adaptive()->ConfigurationError(), nullptr);
}

// Windows close by count alone, so the test controls them.
ConcurrencyLimiter::AdaptiveOptions CountedWindows() {
  return {.initial_limit = 20, .min_limit = 2, .max_limit = 200, .window_calls = 10,
          .window_time = absl::ZeroDuration()};
}

// Runs `windows` windows in which the limiter is filled to `load` calls at once, each call then
// released after `latency`.
void RunWindows(ConcurrencyLimiter& limiter, int windows, int load, absl::Duration latency) {
  for (int w = 0; w < windows; ++w) {
    for (int done = 0; done < 10;) {
      const int admitted = AcquireUpTo(limiter, load, Priority::kHigh);
      for (int i = 0; i < admitted; ++i) limiter.Release(latency);
      done += admitted;
    }
  }
}

TEST(AdaptiveLimit, GrowsWhileFullCallsRunAtTheirNoLoadLatency) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  RunWindows(*limiter, 20, /*load=*/1000, absl::Milliseconds(1));
  EXPECT_GT(limiter->limit(), 20);
}

TEST(AdaptiveLimit, ShrinksWhenCallsQueue) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  RunWindows(*limiter, 5, 1000, absl::Milliseconds(1));  // learns the no-load latency
  const int before = limiter->limit();
  RunWindows(*limiter, 40, 1000, absl::Milliseconds(20));
  EXPECT_LT(limiter->limit(), before);
  RunWindows(*limiter, 400, 1000, absl::Milliseconds(20));
  EXPECT_EQ(limiter->limit(), 2) << "sustained queueing takes it down to min_limit";
}

TEST(AdaptiveLimit, StaysPutWhenTheLoadIsLight) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  RunWindows(*limiter, 50, /*load=*/2, absl::Milliseconds(1));
  EXPECT_EQ(limiter->limit(), 20) << "calls that never fill half the limit must not raise it";
}

TEST(AdaptiveLimit, CallsThatNeverRanGiveNoSample) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(limiter->TryAcquire(Priority::kHigh));
    limiter->Release(absl::InfiniteDuration());
  }
  EXPECT_EQ(limiter->limit(), 20);
  EXPECT_EQ(limiter->in_flight(), 0);
}

}  // namespace
}  // namespace tandem
