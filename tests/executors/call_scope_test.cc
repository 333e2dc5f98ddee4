// CallScope: the current call follows the code, not the thread. Work posted with a call scope
// sees it on every executor; on a fiber pool it stays the fiber's own across waits that resume on
// another thread, and in a coroutine it is current during each resumption while other coroutines
// on the same loop thread see theirs. Cancelling a scope runs its callbacks once; an unregistered
// callback never runs.
#include "executors/call_scope.h"

#include <atomic>
#include <memory>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "executors/blocking.h"
#include "executors/coroutine_loop.h"
#include "executors/fiber_pool.h"
#include "executors/thread_pool.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::kTimeout;

std::shared_ptr<CallScope> NewScope() {
  return std::make_shared<CallScope>(absl::Now() + absl::Seconds(1));
}

TEST(CallScope, IsCurrentInsideInCallScopeOnlyAndNests) {
  auto outer = NewScope();
  auto inner = NewScope();
  EXPECT_EQ(CallScope::Current(), nullptr);
  {
    InCallScope enter_outer(outer);
    EXPECT_EQ(CallScope::Current(), outer.get());
    {
      InCallScope enter_inner(inner);
      EXPECT_EQ(CallScope::Current(), inner.get());
      {
        InCallScope leave(nullptr);  // code that serves no call, inside one
        EXPECT_EQ(CallScope::Current(), nullptr);
      }
      EXPECT_EQ(CallScope::Current(), inner.get());
    }
    EXPECT_EQ(CallScope::Current(), outer.get());
  }
  EXPECT_EQ(CallScope::Current(), nullptr);
}

TEST(CallScope, CancelRunsEachRegisteredCallbackOnce) {
  auto scope = NewScope();
  int kept = 0;
  int dropped = 0;
  CallScope::Registration keep = scope->OnCancel([&] { ++kept; });
  { CallScope::Registration drop = scope->OnCancel([&] { ++dropped; }); }
  EXPECT_FALSE(scope->cancelled());
  scope->Cancel();
  scope->Cancel();
  EXPECT_TRUE(scope->cancelled());
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(dropped, 0) << "a callback unregistered before the cancellation must not run";

  int late = 0;
  CallScope::Registration after = scope->OnCancel([&] { ++late; });
  EXPECT_EQ(late, 1) << "registering on a cancelled scope runs the callback at once";
}

// Posts `tasks` tasks, each with a scope of its own, that check after each of `waits` waits that
// their scope is still the current one.
template <class Wait>
void ExpectEachTaskSeesItsOwnScope(Executor& executor, int tasks, int waits, Wait wait) {
  std::atomic<int> wrong{0};
  absl::BlockingCounter done(tasks);
  for (int i = 0; i < tasks; ++i) {
    auto scope = NewScope();
    ASSERT_TRUE(executor.TryPost(
        [&, expected = scope.get()] {
          for (int w = 0; w < waits; ++w) {
            if (CallScope::Current() != expected) wrong.fetch_add(1);
            wait();
          }
          if (CallScope::Current() != expected) wrong.fetch_add(1);
          done.DecrementCount();
        },
        {.call_scope = scope}));
  }
  done.Wait();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(CallScope, FollowsEachTaskOnAThreadPool) {
  ThreadPool pool({.threads = 4});
  ExpectEachTaskSeesItsOwnScope(pool, 50, 3, [] { tandem::SleepFor(absl::Milliseconds(1)); });
  absl::Notification checked;
  bool unscoped = false;
  pool.TryPost([&] {
    unscoped = CallScope::Current() == nullptr;
    checked.Notify();
  });
  ASSERT_TRUE(checked.WaitForNotificationWithTimeout(kTimeout));
  EXPECT_TRUE(unscoped) << "a task posted without a scope must not see the last task's";
}

TEST(CallScope, FollowsEachFiberAcrossWaitsAndThreads) {
  // Many fibers per thread, each waiting many times: fibers interleave on each thread and resume
  // on either.
  FiberPool pool({.threads = 2});
  ExpectEachTaskSeesItsOwnScope(pool, 400, 10, [] {
    tandem::SleepFor(absl::Microseconds(200));
    Yield();
  });
}

TEST(CallScope, FollowsWorkRunInline) {
  auto scope = NewScope();
  bool seen = false;
  InlineExecutor::Get()->TryPost([&] { seen = CallScope::Current() == scope.get(); },
                                 {.call_scope = scope});
  EXPECT_TRUE(seen);
  EXPECT_EQ(CallScope::Current(), nullptr);
}

TEST(CallScope, FollowsEachCoroutineAcrossItsResumptions) {
  CoroutineLoop loop({});
  constexpr int kCoroutines = 200;
  std::atomic<int> wrong{0};
  absl::BlockingCounter done(kCoroutines);
  for (int i = 0; i < kCoroutines; ++i) {
    auto scope = NewScope();
    auto body = [](CallScope* expected, std::atomic<int>& wrong,
                   absl::BlockingCounter& done) -> Task<void> {
      for (int w = 0; w < 5; ++w) {
        if (CallScope::Current() != expected) wrong.fetch_add(1);
        co_await AsyncSleepFor(absl::Microseconds(100 * (w + 1)));
      }
      if (CallScope::Current() != expected) wrong.fetch_add(1);
      done.DecrementCount();
    };
    ASSERT_TRUE(loop.TrySpawn(body(scope.get(), wrong, done), {.call_scope = scope}));
  }
  done.Wait();
  EXPECT_EQ(wrong.load(), 0);
  absl::Notification checked;
  bool unscoped = false;
  loop.TryPost([&] {
    unscoped = CallScope::Current() == nullptr;
    checked.Notify();
  });
  ASSERT_TRUE(checked.WaitForNotificationWithTimeout(kTimeout));
  EXPECT_TRUE(unscoped) << "between resumptions, the loop thread serves no call";
}

}  // namespace
}  // namespace tandem
