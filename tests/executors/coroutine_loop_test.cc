// CoroutineLoop: tasks and coroutines run on the loop thread, in post order; a coroutine resumes
// there after co_await; max_pending bounds queued tasks and live coroutines; shutdown waits for
// coroutines that are still asleep.
#include "executors/coroutine_loop.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "asio/error_code.hpp"
#include "asio/post.hpp"
#include "asio/redirect_error.hpp"
#include "asio/steady_timer.hpp"
#include "asio/use_awaitable.hpp"
#include "executors/task.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::Blocker;
using executors_testing::BoundedThread;
using executors_testing::kTimeout;
using executors_testing::ShutdownAndWaitOrDie;
using executors_testing::WaitUntilRefusing;

// A gate coroutines wait at without holding the loop thread, opened from any thread. Waits also
// end after kTimeout, so that a test that fails before Open() still ends.
// Threads: Wait() on the loop only; Open() from any thread.
// Lifetime: destroy it after the loop has shut down, and before the loop itself.
class Gate {
 public:
  explicit Gate(CoroutineLoop& loop)
      : timer_(loop.executor(), std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(kTimeout)) {}

  Task<void> Wait() {
    asio::error_code opened;  // Open() cancels the wait: not an error here.
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, opened));
  }

  // Lets current waiters through, and later ones at once.
  void Open() {
    asio::post(timer_.get_executor(), [this] { timer_.expires_after(std::chrono::nanoseconds(0)); });
  }

 private:
  asio::steady_timer timer_;
};

// Where a coroutine ran before and after co_await AsyncSleepFor.
struct SleepRecord {
  bool on_loop_before = false;
  bool on_loop_after = false;
  std::thread::id thread_before;
  std::thread::id thread_after;
};

Task<void> SleepAndRecord(CoroutineLoop* loop, SleepRecord* record, absl::Notification* done) {
  record->on_loop_before = loop->IsLoopThread();
  record->thread_before = std::this_thread::get_id();
  co_await AsyncSleepFor(absl::Milliseconds(1));
  record->on_loop_after = loop->IsLoopThread();
  record->thread_after = std::this_thread::get_id();
  done->Notify();
}

// Reports that it is waiting at `gate`, waits there, then sleeps once more before it finishes.
Task<void> WaitAtGateThenSleep(Gate* gate, absl::Notification* waiting, std::atomic<bool>* finished) {
  waiting->Notify();
  co_await gate->Wait();
  co_await AsyncSleepFor(absl::Milliseconds(1));
  *finished = true;
}

Task<void> SetFlag(std::atomic<bool>* flag) {
  *flag = true;
  co_return;
}

TEST(CoroutineLoop, ReportsItsNameAndKind) {
  CoroutineLoop loop({.name = "handlers"});
  EXPECT_EQ(loop.name(), "handlers");
  EXPECT_EQ(loop.kind(), ExecutorKind::kCoroutineLoop);
}

TEST(CoroutineLoop, TryPostRunsTasksOnTheLoopThreadInPostOrder) {
  constexpr int kTasks = 100;
  std::vector<int> order;     // Written on the loop thread, read after shutdown.
  std::vector<bool> on_loop;  // Likewise.
  CoroutineLoop loop({});
  EXPECT_FALSE(loop.IsLoopThread());
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(loop.TryPost([&, i] {
      order.push_back(i);
      on_loop.push_back(loop.IsLoopThread());
    }));
  }
  ShutdownAndWaitOrDie(loop);

  std::vector<int> post_order;
  for (int i = 0; i < kTasks; ++i) post_order.push_back(i);
  EXPECT_EQ(order, post_order);
  EXPECT_EQ(on_loop, std::vector<bool>(kTasks, true));
}

TEST(CoroutineLoop, TrySpawnedCoroutineResumesOnTheLoopThreadAfterAsyncSleepFor) {
  SleepRecord record;
  absl::Notification done;
  CoroutineLoop loop({});
  ASSERT_TRUE(loop.TrySpawn(SleepAndRecord(&loop, &record, &done)));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kTimeout));

  EXPECT_TRUE(record.on_loop_before);
  EXPECT_TRUE(record.on_loop_after);
  EXPECT_EQ(record.thread_after, record.thread_before);
  EXPECT_NE(record.thread_after, std::this_thread::get_id());
  ShutdownAndWaitOrDie(loop);
  EXPECT_EQ(loop.stats().completed, 1u);
  EXPECT_EQ(loop.stats().in_flight, 0u);
}

TEST(CoroutineLoop, LiveCoroutinesCountTowardMaxPending) {
  absl::Notification waiting[2];
  std::atomic<bool> finished[2] = {false, false};
  std::atomic<bool> refused_ran{false};
  CoroutineLoop loop({.max_pending = 2});
  Gate gate(loop);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(loop.TrySpawn(WaitAtGateThenSleep(&gate, &waiting[i], &finished[i])));
  }
  for (absl::Notification& n : waiting) ASSERT_TRUE(n.WaitForNotificationWithTimeout(kTimeout));

  // Both coroutines are alive, suspended at the gate: the loop is full.
  EXPECT_FALSE(loop.TrySpawn(SetFlag(&refused_ran)));
  EXPECT_FALSE(loop.TryPost([&] { refused_ran = true; }));
  ExecutorStats stats = loop.stats();
  EXPECT_EQ(stats.in_flight, 2u);
  EXPECT_EQ(stats.rejected, 2u);

  gate.Open();
  ShutdownAndWaitOrDie(loop);
  EXPECT_TRUE(finished[0]);
  EXPECT_TRUE(finished[1]);
  EXPECT_FALSE(refused_ran);
  stats = loop.stats();
  EXPECT_EQ(stats.completed, 2u);
  EXPECT_EQ(stats.rejected, 2u);
}

TEST(CoroutineLoop, QueuedTasksCountTowardMaxPending) {
  Blocker blocker;
  std::atomic<bool> queued_ran{false};
  std::atomic<bool> refused_ran{false};
  CoroutineLoop loop({.max_pending = 2});
  // Holding the loop thread stalls the whole loop: only a test may do it, to keep a task queued.
  ASSERT_TRUE(loop.TryPost(blocker.Task()));
  ASSERT_TRUE(blocker.WaitUntilStarted());
  ASSERT_TRUE(loop.TryPost([&] { queued_ran = true; }));

  EXPECT_FALSE(loop.TryPost([&] { refused_ran = true; }));
  EXPECT_FALSE(loop.TrySpawn(SetFlag(&refused_ran)));
  ExecutorStats stats = loop.stats();
  EXPECT_EQ(stats.queue_depth, 1u);
  EXPECT_EQ(stats.in_flight, 1u);
  EXPECT_EQ(stats.rejected, 2u);

  blocker.Release();
  ShutdownAndWaitOrDie(loop);
  EXPECT_TRUE(queued_ran);
  EXPECT_FALSE(refused_ran);
  EXPECT_EQ(loop.stats().completed, 2u);
}

TEST(CoroutineLoop, ShutdownAndWaitWaitsForASleepingCoroutine) {
  absl::Notification waiting;
  std::atomic<bool> finished{false};
  CoroutineLoop loop({});
  Gate gate(loop);
  ASSERT_TRUE(loop.TrySpawn(WaitAtGateThenSleep(&gate, &waiting, &finished)));
  ASSERT_TRUE(waiting.WaitForNotificationWithTimeout(kTimeout));

  BoundedThread shutdown("CoroutineLoop::ShutdownAndWait", [&] { loop.ShutdownAndWait(); });
  ASSERT_TRUE(WaitUntilRefusing(loop));
  // Shutdown has begun while the coroutine is still asleep at the gate: it must not return yet.
  EXPECT_FALSE(shutdown.HasReturned());
  EXPECT_FALSE(finished);

  gate.Open();
  shutdown.JoinOrDie();
  EXPECT_TRUE(finished);
  EXPECT_EQ(loop.stats().in_flight, 0u);
}

Task<void> Increment(std::atomic<int>* counter) {
  ++*counter;
  co_return;
}

// Regression: TryPost and TrySpawn checked for shutdown, then queued, with nothing to stop run()
// returning in between. Work queued after run() had returned was accepted (true) yet never ran.
// It is a race, so the test runs many rounds; before the fix it failed within the first few.
TEST(CoroutineLoop, WorkAcceptedWhileShutdownStartsStillRuns) {
  constexpr int kRounds = 300;
  constexpr int kPosters = 4;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<int> accepted{0};
    std::atomic<int> ran{0};
    CoroutineLoop loop({});
    std::vector<std::unique_ptr<BoundedThread>> posters;
    for (int p = 0; p < kPosters; ++p) {
      posters.push_back(std::make_unique<BoundedThread>("poster", [&, p] {
        for (int i = 0;; ++i) {
          const bool ok = (i + p) % 2 == 0 ? loop.TryPost([&] { ++ran; })
                                           : loop.TrySpawn(Increment(&ran));
          if (!ok) return;
          ++accepted;
        }
      }));
    }
    ShutdownAndWaitOrDie(loop);
    for (auto& poster : posters) poster->JoinOrDie();
    ASSERT_EQ(ran, accepted) << "round " << round;
  }
}

TEST(CoroutineLoop, TryPostAndTrySpawnAfterShutdownReturnFalse) {
  std::atomic<bool> ran{false};
  CoroutineLoop loop({});
  ShutdownAndWaitOrDie(loop);

  EXPECT_FALSE(loop.TryPost([&] { ran = true; }));
  EXPECT_FALSE(loop.TrySpawn(SetFlag(&ran)));
  EXPECT_FALSE(ran);
  EXPECT_EQ(loop.stats().rejected, 2u);
}

TEST(CoroutineLoop, ShutdownAndWaitIsIdempotent) {
  CoroutineLoop loop({});
  ASSERT_TRUE(loop.TryPost([] {}));
  ShutdownAndWaitOrDie(loop);
  ShutdownAndWaitOrDie(loop);
  EXPECT_EQ(loop.stats().completed, 1u);
}

}  // namespace
}  // namespace tandem
