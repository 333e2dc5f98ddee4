// ConcurrencyLimiter: a fixed limit admits calls up to the limit; priorities decide who is shed
// first; an adaptive limit grows while calls run at their no-load latency and the room is used,
// shrinks to what the server serves when calls queue, keeps its level when latency rises without
// queueing, and stays put when the load is light.
#include "server/concurrency_limiter.h"

#include <algorithm>

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

// A simulated server, on a simulated clock: it serves at most `capacity` calls/s, and a call that
// does not queue takes `base`. Its clients keep `offered` calls trying at once.
struct SimulatedServer {
  double capacity;
  absl::Duration base;
  absl::Time now = absl::UnixEpoch();

  // Runs `windows` windows of calls through `limiter`.
  void Run(ConcurrencyLimiter& limiter, int windows, int offered) {
    for (int w = 0; w < windows; ++w) {
      for (int done = 0; done < 10;) {
        const int admitted = AcquireUpTo(limiter, offered, Priority::kHigh);
        const absl::Duration latency = std::max(base, absl::Seconds(admitted / capacity));
        for (int i = 0; i < admitted; ++i) {
          now += latency / admitted;
          limiter.Release(latency, now);
        }
        done += admitted;
      }
    }
  }
};

TEST(AdaptiveLimit, GrowsWhileFullCallsRunAtTheirNoLoadLatency) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  SimulatedServer server{.capacity = 1e9, .base = absl::Milliseconds(1)};
  server.Run(*limiter, 20, /*offered=*/1000);
  EXPECT_GT(limiter->limit(), 20);
}

TEST(AdaptiveLimit, ShrinksToWhatTheServerServesWhenCallsQueue) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  // 2 000 calls/s of 1 ms each: 2 calls in flight serve it all, more only queue.
  SimulatedServer server{.capacity = 2000, .base = absl::Milliseconds(1)};
  server.Run(*limiter, 5, /*offered=*/2);  // light load: learns the no-load latency
  EXPECT_EQ(limiter->limit(), 20);
  server.Run(*limiter, 200, /*offered=*/1000);
  EXPECT_LE(limiter->limit(), 4);
}

TEST(AdaptiveLimit, LatencyThatRisesWithoutQueueingKeepsTheLimit) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  SimulatedServer server{.capacity = 1e9, .base = absl::Milliseconds(1)};
  server.Run(*limiter, 5, /*offered=*/1000);
  const int before = limiter->limit();
  // Every call now takes 10 ms, however few run (a slower machine, not a queue): Vegas alone
  // would read it as queueing and shrink to min_limit, and throughput with it.
  server.base = absl::Milliseconds(10);
  server.Run(*limiter, 40, /*offered=*/1000);
  EXPECT_GE(limiter->limit(), before - 2);
}

TEST(AdaptiveLimit, StaysPutWhenTheLoadIsLight) {
  auto limiter = ConcurrencyLimiter::Adaptive(CountedWindows());
  SimulatedServer server{.capacity = 1e9, .base = absl::Milliseconds(1)};
  server.Run(*limiter, 50, /*offered=*/2);
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
