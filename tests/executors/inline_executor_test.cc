// InlineExecutor: runs each task at once, on the thread that posts it.
#include <memory>
#include <thread>

#include "executors/executor.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::BoundedThread;

TEST(InlineExecutor, IsOneProcessWideInstanceOfKindInline) {
  std::shared_ptr<InlineExecutor> executor = InlineExecutor::Get();
  ASSERT_NE(executor, nullptr);
  EXPECT_EQ(executor, InlineExecutor::Get());
  EXPECT_EQ(executor->kind(), ExecutorKind::kInline);
  EXPECT_EQ(executor->name(), "inline");
}

TEST(InlineExecutor, RunsTheTaskOnTheCallingThreadBeforeTryPostReturns) {
  bool ran = false;
  std::thread::id ran_on;
  EXPECT_TRUE(InlineExecutor::Get()->TryPost([&] {
    ran = true;
    ran_on = std::this_thread::get_id();
  }));
  EXPECT_TRUE(ran);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(InlineExecutor, RunsTheTaskOnWhicheverThreadPostsIt) {
  std::thread::id poster;
  std::thread::id ran_on;
  BoundedThread other("InlineExecutor::TryPost", [&] {
    poster = std::this_thread::get_id();
    InlineExecutor::Get()->TryPost([&] { ran_on = std::this_thread::get_id(); });
  });
  other.JoinOrDie();
  EXPECT_EQ(ran_on, poster);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(InlineExecutor, CountsTheTaskInFlightWhileItRunsThenCompleted) {
  std::shared_ptr<InlineExecutor> executor = InlineExecutor::Get();
  // The instance is process-wide, so compare with what it had counted before.
  const ExecutorStats before = executor->stats();
  ExecutorStats during;
  ASSERT_TRUE(executor->TryPost([&] { during = executor->stats(); }));
  const ExecutorStats after = executor->stats();

  EXPECT_EQ(during.in_flight, before.in_flight + 1);
  EXPECT_EQ(during.completed, before.completed);
  EXPECT_EQ(after.in_flight, before.in_flight);
  EXPECT_EQ(after.completed, before.completed + 1);
  EXPECT_EQ(after.queue_depth, 0u);
  EXPECT_EQ(after.rejected, 0u);
}

}  // namespace
}  // namespace tandem
