// Priorities: on every queueing executor, queued high-priority work starts before queued normal
// work, and idle work only once no normal work is waiting. On a fiber pool they act on every
// switch too: a ready high fiber overtakes a crowd of ready normal ones, and an idle fiber waits
// while any normal fiber is ready to run.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "executors/blocking.h"
#include "executors/coroutine_loop.h"
#include "executors/event.h"
#include "executors/executor.h"
#include "executors/fiber_pool.h"
#include "executors/thread_pool.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::Blocker;
using executors_testing::kTimeout;
using executors_testing::ShutdownAndWaitOrDie;

struct OneThreadExecutor {
  std::string name;
  std::function<std::unique_ptr<Executor>()> make;
};

std::vector<OneThreadExecutor> OneThreadExecutors() {
  // The Blocker holds the only thread on purpose: keep the watchdog quiet about it.
  const absl::Duration unwatched = absl::InfiniteDuration();
  return {
      {"ThreadPool",
       [=] {
         return std::make_unique<ThreadPool>(
             ThreadPool::Options{.threads = 1, .watchdog_threshold = unwatched});
       }},
      {"FiberPool",
       [=] {
         return std::make_unique<FiberPool>(
             FiberPool::Options{.threads = 1, .watchdog_threshold = unwatched});
       }},
      {"CoroutineLoop",
       [=] {
         return std::make_unique<CoroutineLoop>(
             CoroutineLoop::Options{.watchdog_threshold = unwatched});
       }},
  };
}

class PriorityOrder : public ::testing::TestWithParam<OneThreadExecutor> {};

// The executor's only thread is held while work of every priority is queued, interleaved; once
// released, the work starts high first, then normal, then idle, in post order within each.
TEST_P(PriorityOrder, QueuedWorkStartsHighThenNormalThenIdle) {
  absl::Mutex mu;
  std::vector<std::string> order;
  std::unique_ptr<Executor> executor = GetParam().make();
  Blocker blocker;
  ASSERT_TRUE(executor->TryPost(blocker.Task()));
  ASSERT_TRUE(blocker.WaitUntilStarted());

  auto post = [&](Priority priority, std::string name) {
    ASSERT_TRUE(executor->TryPost(
        [&, name] {
          absl::MutexLock lock(&mu);
          order.push_back(name);
        },
        {.priority = priority}));
  };
  post(Priority::kNormal, "normal-1");
  post(Priority::kIdle, "idle-1");
  post(Priority::kHigh, "high-1");
  post(Priority::kNormal, "normal-2");
  post(Priority::kIdle, "idle-2");
  post(Priority::kHigh, "high-2");
  post(Priority::kNormal, "normal-3");
  blocker.Release();
  ShutdownAndWaitOrDie(*executor);

  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<std::string>{"high-1", "high-2", "normal-1", "normal-2",
                                             "normal-3", "idle-1", "idle-2"}));
}

INSTANTIATE_TEST_SUITE_P(
    EveryQueueingExecutor, PriorityOrder, ::testing::ValuesIn(OneThreadExecutors()),
    [](const ::testing::TestParamInfo<OneThreadExecutor>& info) { return info.param.name; });

TEST(Priority, InlineExecutorRunsEveryPriorityAtOnce) {
  std::vector<Priority> ran;
  for (Priority priority : {Priority::kIdle, Priority::kNormal, Priority::kHigh}) {
    EXPECT_TRUE(InlineExecutor::Get()->TryPost([&, priority] { ran.push_back(priority); },
                                               {.priority = priority}));
  }
  EXPECT_EQ(ran, (std::vector<Priority>{Priority::kIdle, Priority::kNormal, Priority::kHigh}));
}

// A crowd of normal fibers that are always ready (they yield in a loop) shares one thread. One
// of them posts a high-priority task: it runs at the next switch, not after every normal fiber
// has had its turn, as it would in first-come-first-served order.
TEST(FiberPriority, AReadyHighFiberOvertakesACrowdOfReadyNormalFibers) {
  constexpr int kNormalFibers = 20;
  constexpr int kMaxSlices = 1'000'000;  // A bound, so that a failing test still ends.
  std::atomic<int> slices{0};
  std::atomic<int> started{0};
  std::atomic<bool> high_ran{false};
  std::atomic<int> slices_at_post{-1};
  std::atomic<int> slices_at_high{-1};
  Event normals_done;
  std::atomic<int> normals_left{kNormalFibers};
  FiberPool pool({.threads = 1});
  for (int i = 0; i < kNormalFibers; ++i) {
    ASSERT_TRUE(pool.TryPost([&, i] {
      ++started;
      while (!high_ran && slices < kMaxSlices) {
        if (i == 0 && started == kNormalFibers && slices_at_post < 0) {
          slices_at_post = slices.load();
          EXPECT_TRUE(pool.TryPost(
              [&] {
                slices_at_high = slices.load();
                high_ran = true;
              },
              {.priority = Priority::kHigh}));
        }
        ++slices;
        Yield();
      }
      if (--normals_left == 0) normals_done.Notify();
    }));
  }
  ASSERT_TRUE(normals_done.WaitFor(kTimeout));
  ShutdownAndWaitOrDie(pool);

  ASSERT_TRUE(high_ran);
  ASSERT_GE(slices_at_post, 0);
  EXPECT_LT(slices_at_high - slices_at_post, kNormalFibers);
}

// Normal fibers that stay ready (yielding) keep an idle fiber off the thread until they all end.
TEST(FiberPriority, AnIdleFiberWaitsWhileNormalFibersAreReady) {
  constexpr int kNormalFibers = 10;
  constexpr int kYields = 100;
  std::atomic<int> normal_done{0};
  std::atomic<int> normal_done_when_idle_ran{-1};
  FiberPool pool({.threads = 1, .watchdog_threshold = absl::InfiniteDuration()});
  Blocker blocker;  // So that everything below is queued before any of it runs.
  ASSERT_TRUE(pool.TryPost(blocker.Task()));
  ASSERT_TRUE(blocker.WaitUntilStarted());
  ASSERT_TRUE(pool.TryPost([&] { normal_done_when_idle_ran = normal_done.load(); },
                           {.priority = Priority::kIdle}));
  for (int i = 0; i < kNormalFibers; ++i) {
    ASSERT_TRUE(pool.TryPost([&] {
      for (int y = 0; y < kYields; ++y) Yield();
      ++normal_done;
    }));
  }
  blocker.Release();
  ShutdownAndWaitOrDie(pool);
  EXPECT_EQ(normal_done_when_idle_ran, kNormalFibers);
}

// Idle work needs no normal fiber ready to run, not every normal fiber ended: a normal fiber that
// waits leaves the thread to idle work.
TEST(FiberPriority, IdleWorkRunsWhileNormalFibersWait) {
  Event idle_ran;
  std::atomic<bool> idle_ran_while_normal_slept{false};
  std::atomic<bool> normal_asleep{false};
  FiberPool pool({.threads = 1});
  ASSERT_TRUE(pool.TryPost([&] {
    normal_asleep = true;
    idle_ran.WaitFor(kTimeout);
    normal_asleep = false;
  }));
  ASSERT_TRUE(pool.TryPost(
      [&] {
        idle_ran_while_normal_slept = normal_asleep.load();
        idle_ran.Notify();
      },
      {.priority = Priority::kIdle}));
  ShutdownAndWaitOrDie(pool);
  EXPECT_TRUE(idle_ran_while_normal_slept);
}

}  // namespace
}  // namespace tandem
