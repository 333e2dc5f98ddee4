// Watchdog: work that holds an executor's thread past the executor's threshold is reported, once,
// by label, with the thread and the time held, on every kind of executor; work that waits at a
// Tandem blocking point on a fiber is not; a thread pool's thread is reported only while tasks
// wait for it.
#include "executors/watchdog.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "executors/blocking.h"
#include "executors/coroutine_loop.h"
#include "executors/event.h"
#include "executors/executor.h"
#include "executors/fiber_pool.h"
#include "executors/task.h"
#include "executors/thread_pool.h"
#include "executors/work_label.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/executors/bounded_waits.h"

namespace tandem {
namespace {

using executors_testing::BoundedThread;
using executors_testing::kTimeout;
using executors_testing::ShutdownAndWaitOrDie;
using ::testing::HasSubstr;

constexpr absl::Duration kThreshold = absl::Milliseconds(20);

// Waits (bounded) until the watchdog has reported work labelled `label`, and returns the report.
std::optional<WatchdogReport> WaitForReport(const WorkLabel& label) {
  const absl::Time give_up = absl::Now() + kTimeout;
  while (label.watchdog_reports.load() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (const WatchdogReport& report : Watchdog::Get().RecentReports()) {
    if (report.label == label.name) return report;
  }
  return std::nullopt;
}

// A task that holds its thread (truly blocking, as a misbehaving handler would) until released.
class Holder {
 public:
  Executor::Task Task() {
    return [this] { released_.WaitForNotificationWithTimeout(kTimeout); };
  }
  void Release() { released_.Notify(); }

 private:
  absl::Notification released_;
};

void ExpectReport(const std::optional<WatchdogReport>& report, const WorkLabel& label,
                  absl::string_view thread) {
  ASSERT_TRUE(report.has_value()) << "no watchdog report for " << label.name;
  EXPECT_EQ(report->label, label.name);
  EXPECT_THAT(report->thread, HasSubstr(thread));
  EXPECT_EQ(report->threshold, kThreshold);
  EXPECT_GE(report->held, kThreshold);
  EXPECT_THAT(report->message, HasSubstr(label.name));
  EXPECT_THAT(report->message, HasSubstr(thread));
}

TEST(Watchdog, ReportsAFiberThatHoldsItsThread) {
  WorkLabel label{.name = "/test.Service/BlocksAFiberThread"};
  Holder holder;
  FiberPool pool({.name = "watched-fibers", .threads = 1, .watchdog_threshold = kThreshold});
  ASSERT_TRUE(pool.TryPost(holder.Task(), {.label = &label}));
  std::optional<WatchdogReport> report = WaitForReport(label);
  holder.Release();
  ShutdownAndWaitOrDie(pool);

  ExpectReport(report, label, "fiber pool 'watched-fibers' thread 0");
  EXPECT_EQ(label.watchdog_reports, 1u);
}

TEST(Watchdog, ReportsATaskThatHoldsACoroutineLoop) {
  WorkLabel label{.name = "/test.Service/BlocksTheLoop"};
  Holder holder;
  CoroutineLoop loop({.name = "watched-loop", .watchdog_threshold = kThreshold});
  ASSERT_TRUE(loop.TryPost(holder.Task(), {.label = &label}));
  std::optional<WatchdogReport> report = WaitForReport(label);
  holder.Release();
  ShutdownAndWaitOrDie(loop);

  ExpectReport(report, label, "coroutine loop 'watched-loop'");
  EXPECT_EQ(label.watchdog_reports, 1u);
}

Task<void> SleepThenBlock(Holder* holder) {
  co_await AsyncSleepFor(absl::Milliseconds(1));
  holder->Task()();  // Blocks the loop thread, in the coroutine's second run.
}

TEST(Watchdog, ReportsACoroutineThatBlocksAfterResuming) {
  WorkLabel label{.name = "/test.Service/CoroutineBlocksTheLoop"};
  Holder holder;
  CoroutineLoop loop({.name = "watched-loop", .watchdog_threshold = kThreshold});
  ASSERT_TRUE(loop.TrySpawn(SleepThenBlock(&holder), {.label = &label}));
  std::optional<WatchdogReport> report = WaitForReport(label);
  holder.Release();
  ShutdownAndWaitOrDie(loop);

  ExpectReport(report, label, "coroutine loop 'watched-loop'");
}

TEST(Watchdog, ReportsAThreadPoolThreadHeldWhileTasksWait) {
  WorkLabel label{.name = "/test.Service/StarvesThePool"};
  Holder holder;
  ThreadPool pool({.name = "watched-pool", .threads = 1, .watchdog_threshold = kThreshold});
  ASSERT_TRUE(pool.TryPost(holder.Task(), {.label = &label}));
  ASSERT_TRUE(pool.TryPost([] {}));  // Waits for the held thread.
  std::optional<WatchdogReport> report = WaitForReport(label);
  holder.Release();
  ShutdownAndWaitOrDie(pool);

  ExpectReport(report, label, "thread pool 'watched-pool' thread 0");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->waiting_tasks, 1u);
  EXPECT_THAT(report->message, HasSubstr("1 tasks wait for a thread"));
}

TEST(Watchdog, ReportsInlineWorkThatHoldsThePostingThread) {
  WorkLabel label{.name = "/test.Service/BlocksACallbackThread"};
  Holder holder;
  const absl::Duration saved = InlineExecutor::Get()->watchdog_threshold();
  InlineExecutor::Get()->SetWatchdogThreshold(kThreshold);
  BoundedThread poster("InlineExecutor::TryPost",
                       [&] { InlineExecutor::Get()->TryPost(holder.Task(), {.label = &label}); });
  std::optional<WatchdogReport> report = WaitForReport(label);
  holder.Release();
  poster.JoinOrDie();
  InlineExecutor::Get()->SetWatchdogThreshold(saved);

  ExpectReport(report, label, "running inline work");
}

// The fiber sleeps at a Tandem blocking point for many thresholds: its thread is free meanwhile.
// A second fiber then holds the thread, to show that the watchdog was watching all along.
TEST(Watchdog, IgnoresAFiberThatWaitsAtATandemBlockingPoint) {
  WorkLabel sleeper{.name = "/test.Service/SleepsPolitely"};
  WorkLabel blocker{.name = "/test.Service/BlocksAfterwards"};
  Event slept;
  Holder holder;
  FiberPool pool({.name = "watched-fibers", .threads = 1, .watchdog_threshold = kThreshold});
  ASSERT_TRUE(pool.TryPost(
      [&] {
        tandem::SleepFor(10 * kThreshold);
        slept.Notify();
      },
      {.label = &sleeper}));
  ASSERT_TRUE(slept.WaitFor(kTimeout));
  ASSERT_TRUE(pool.TryPost(holder.Task(), {.label = &blocker}));
  std::optional<WatchdogReport> report = WaitForReport(blocker);
  holder.Release();
  ShutdownAndWaitOrDie(pool);

  EXPECT_TRUE(report.has_value());
  EXPECT_EQ(sleeper.watchdog_reports, 0u);
}

TEST(Watchdog, CountsEveryReport) {
  WorkLabel label{.name = "/test.Service/Counted"};
  const uint64_t before = Watchdog::Get().report_count();
  Holder holder;
  FiberPool pool({.name = "watched-fibers", .threads = 1, .watchdog_threshold = kThreshold});
  ASSERT_TRUE(pool.TryPost(holder.Task(), {.label = &label}));
  ASSERT_TRUE(WaitForReport(label).has_value());
  holder.Release();
  ShutdownAndWaitOrDie(pool);
  EXPECT_GE(Watchdog::Get().report_count(), before + 1);
}

}  // namespace
}  // namespace tandem
