// ThreadPool: tasks start in post order, run concurrently up to the thread count, wait in a bounded
// queue beyond it, are counted in stats, and are all run by shutdown.
#include "executors/thread_pool.h"

#include <atomic>
#include <cstddef>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::Blocker;
using executors_testing::BoundedThread;
using executors_testing::kTimeout;
using executors_testing::ShutdownAndWaitOrDie;
using executors_testing::WaitUntilRefusing;

TEST(ThreadPool, ReportsItsNameKindAndThreads) {
  ThreadPool pool({.name = "workers", .threads = 2});
  EXPECT_EQ(pool.name(), "workers");
  EXPECT_EQ(pool.kind(), ExecutorKind::kThreadPool);
  EXPECT_EQ(pool.threads(), 2);
}

TEST(ThreadPool, RunsTasksInPostOrderOnOneThread) {
  constexpr int kTasks = 100;
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> ran_on;
  ThreadPool pool({.threads = 1});
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(pool.TryPost([&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      ran_on.push_back(std::this_thread::get_id());
    }));
  }
  ShutdownAndWaitOrDie(pool);

  absl::MutexLock lock(&mu);
  std::vector<int> post_order;
  for (int i = 0; i < kTasks; ++i) post_order.push_back(i);
  EXPECT_EQ(order, post_order);
  ASSERT_EQ(ran_on.size(), kTasks);
  EXPECT_NE(ran_on.front(), std::this_thread::get_id());
  for (const std::thread::id& id : ran_on) EXPECT_EQ(id, ran_on.front());
}

TEST(ThreadPool, RunsTasksConcurrentlyUpToThreadCount) {
  static constexpr int kThreads = 4;
  absl::Mutex mu;
  int started = 0;
  int saw_all_started = 0;
  ThreadPool pool({.threads = kThreads});
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(pool.TryPost([&] {
      absl::MutexLock lock(&mu);
      ++started;
      // Each task holds its thread until every task has started: only possible if all run at once.
      const bool all_started = mu.AwaitWithTimeout(
          absl::Condition(+[](int* n) { return *n == kThreads; }, &started), kTimeout);
      if (all_started) ++saw_all_started;
    }));
  }
  ShutdownAndWaitOrDie(pool);

  absl::MutexLock lock(&mu);
  EXPECT_EQ(saw_all_started, kThreads);
}

TEST(ThreadPool, TasksBeyondThreadCountWaitForAFreeThread) {
  Blocker blockers[3];
  ThreadPool pool({.threads = 2});
  for (Blocker& blocker : blockers) ASSERT_TRUE(pool.TryPost(blocker.Task()));
  ASSERT_TRUE(blockers[0].WaitUntilStarted());
  ASSERT_TRUE(blockers[1].WaitUntilStarted());

  // Both threads are held, so the third task is still queued.
  EXPECT_FALSE(blockers[2].HasStarted());
  const ExecutorStats stats = pool.stats();
  EXPECT_EQ(stats.in_flight, 2u);
  EXPECT_EQ(stats.queue_depth, 1u);

  blockers[0].Release();
  EXPECT_TRUE(blockers[2].WaitUntilStarted());
  blockers[1].Release();
  blockers[2].Release();
  ShutdownAndWaitOrDie(pool);
}

TEST(ThreadPool, TryPostRefusesOnceMaxQueueTasksWait) {
  constexpr size_t kMaxQueue = 3;
  Blocker blocker;
  std::atomic<int> queued_ran{0};
  std::atomic<bool> refused_ran{false};
  ThreadPool pool({.threads = 1, .max_queue = kMaxQueue});
  ASSERT_TRUE(pool.TryPost(blocker.Task()));
  ASSERT_TRUE(blocker.WaitUntilStarted());  // Running, so no longer in the queue.

  for (size_t i = 0; i < kMaxQueue; ++i) {
    EXPECT_TRUE(pool.TryPost([&] { ++queued_ran; })) << "task " << i;
  }
  auto owned_by_task = std::make_shared<int>(0);
  EXPECT_FALSE(pool.TryPost([&, owned_by_task] { refused_ran = true; }));
  EXPECT_EQ(owned_by_task.use_count(), 1) << "a refused task is destroyed before TryPost returns";
  const ExecutorStats stats = pool.stats();
  EXPECT_EQ(stats.rejected, 1u);
  EXPECT_EQ(stats.queue_depth, kMaxQueue);

  blocker.Release();
  ShutdownAndWaitOrDie(pool);
  EXPECT_EQ(queued_ran, kMaxQueue);
  EXPECT_FALSE(refused_ran);
  EXPECT_EQ(pool.stats().rejected, 1u);
  EXPECT_EQ(pool.stats().completed, kMaxQueue + 1);
}

TEST(ThreadPool, StatsCountQueuedRunningAndCompletedTasks) {
  Blocker first;
  Blocker last;
  ThreadPool pool({.threads = 1});
  ExecutorStats stats = pool.stats();
  EXPECT_EQ(stats.queue_depth, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.completed, 0u);
  EXPECT_EQ(stats.rejected, 0u);

  ASSERT_TRUE(pool.TryPost(first.Task()));
  ASSERT_TRUE(first.WaitUntilStarted());
  stats = pool.stats();
  EXPECT_EQ(stats.queue_depth, 0u);
  EXPECT_EQ(stats.in_flight, 1u);
  EXPECT_EQ(stats.completed, 0u);

  ASSERT_TRUE(pool.TryPost([] {}));
  ASSERT_TRUE(pool.TryPost([] {}));
  ASSERT_TRUE(pool.TryPost(last.Task()));
  stats = pool.stats();
  EXPECT_EQ(stats.queue_depth, 3u);
  EXPECT_EQ(stats.in_flight, 1u);
  EXPECT_EQ(stats.completed, 0u);

  first.Release();
  ASSERT_TRUE(last.WaitUntilStarted());
  // One thread runs the tasks one after another: once `last` runs, the three before it are done.
  stats = pool.stats();
  EXPECT_EQ(stats.queue_depth, 0u);
  EXPECT_EQ(stats.in_flight, 1u);
  EXPECT_EQ(stats.completed, 3u);

  last.Release();
  ShutdownAndWaitOrDie(pool);
  stats = pool.stats();
  EXPECT_EQ(stats.queue_depth, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.completed, 4u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_GE(stats.total_queued_time, stats.max_queued_time);
}

TEST(ThreadPool, ShutdownAndWaitRunsEveryQueuedTaskBeforeReturning) {
  constexpr int kQueued = 10;
  Blocker blocker;
  std::atomic<int> ran{0};
  // Room for WaitUntilRefusing's no-ops, so that only shutdown refuses.
  ThreadPool pool({.threads = 1, .max_queue = std::numeric_limits<size_t>::max()});
  ASSERT_TRUE(pool.TryPost(blocker.Task()));
  ASSERT_TRUE(blocker.WaitUntilStarted());
  for (int i = 0; i < kQueued; ++i) ASSERT_TRUE(pool.TryPost([&] { ++ran; }));

  BoundedThread shutdown("ThreadPool::ShutdownAndWait", [&] { pool.ShutdownAndWait(); });
  // Release the blocker only once shutdown has begun, so that the tasks are queued when it does.
  ASSERT_TRUE(WaitUntilRefusing(pool));
  EXPECT_FALSE(shutdown.HasReturned());
  EXPECT_EQ(ran, 0);

  blocker.Release();
  shutdown.JoinOrDie();
  EXPECT_EQ(ran, kQueued);
}

TEST(ThreadPool, TryPostAfterShutdownReturnsFalse) {
  std::atomic<bool> ran{false};
  ThreadPool pool({.threads = 2});
  ShutdownAndWaitOrDie(pool);

  auto owned_by_task = std::make_shared<int>(0);
  EXPECT_FALSE(pool.TryPost([&, owned_by_task] { ran = true; }));
  EXPECT_EQ(owned_by_task.use_count(), 1) << "a refused task is destroyed before TryPost returns";
  EXPECT_FALSE(ran);
  EXPECT_EQ(pool.stats().rejected, 1u);
}

TEST(ThreadPool, ShutdownAndWaitIsIdempotent) {
  ThreadPool pool({.threads = 2});
  ASSERT_TRUE(pool.TryPost([] {}));
  ShutdownAndWaitOrDie(pool);
  ShutdownAndWaitOrDie(pool);
  EXPECT_EQ(pool.stats().completed, 1u);
}

TEST(ThreadPool, DestructorRunsEveryQueuedTask) {
  constexpr int kQueued = 10;
  Blocker blocker;
  std::atomic<int> ran{0};
  auto pool = std::make_unique<ThreadPool>(ThreadPool::Options{.threads = 1});
  ASSERT_TRUE(pool->TryPost(blocker.Task()));
  ASSERT_TRUE(blocker.WaitUntilStarted());
  for (int i = 0; i < kQueued; ++i) ASSERT_TRUE(pool->TryPost([&] { ++ran; }));

  BoundedThread destroy("~ThreadPool", [&] { pool.reset(); });
  blocker.Release();
  destroy.JoinOrDie();
  EXPECT_EQ(ran, kQueued);
}

}  // namespace
}  // namespace tandem
