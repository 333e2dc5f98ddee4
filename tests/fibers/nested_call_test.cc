// The nested-call deadlock: a blocking handler calls another method of its own server through the
// blocking client, while every thread of the pool does the same.
//   - On a fiber pool the waiting handlers hold no thread: the nested calls run on the same two
//     threads, and everything completes.
//   - On a thread pool the nested calls queue behind the very handlers that wait for them. It must
//     not hang silently: the pool is stuck until the first nested call's deadline, that call ends
//     with a message saying so, the watchdog names the method holding the starved pool's threads,
//     and the pool's stats show how long the nested calls sat in its queue.
#include <future>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "executors/fiber_pool.h"
#include "executors/thread_pool.h"
#include "executors/watchdog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kBlockingMethod[] = "/tandem.testing.TestService/Blocking";
constexpr absl::Duration kWait = absl::Seconds(30);

// `count` calls to Blocking, each of which waits until all `count` are inside the handler, then
// calls Blocking on the same server with a deadline of `nested_timeout`.
std::vector<std::future<absl::StatusOr<TestReply>>> StartNestedCalls(
    TestServer& server, int count, absl::Duration nested_timeout) {
  std::vector<std::future<absl::StatusOr<TestReply>>> calls;
  for (int i = 0; i < count; ++i) {
    TestRequest request = MakeRequest(TestRequest::NESTED_CALL, absl::StrCat("nested-", i));
    request.set_code(count);
    request.set_sleep_ms(absl::ToInt64Milliseconds(nested_timeout));
    calls.push_back(std::async(std::launch::async, [&server, request] {
      return server.Call(Method::kBlocking, ClientForm::kAsyncCallback, request,
                         CallOptions().set_timeout(kWait), kWait + absl::Seconds(10));
    }));
  }
  return calls;
}

uint64_t WatchdogReportsOf(Server& server, absl::string_view method) {
  for (const MethodStats& stats : server.method_stats()) {
    if (stats.method == method) return stats.watchdog_reports;
  }
  return 0;
}

TEST(NestedCall, CompletesOnAFiberPoolWhileEveryCallWaitsForItsNestedCall) {
  constexpr int kThreads = 2;
  constexpr int kCalls = 16;  // Eight times the threads, all waiting at once.
  auto pool = std::make_shared<FiberPool>(
      FiberPool::Options{.name = "nested-fibers", .threads = kThreads});
  auto server = TestServer::Start(
      [&](ServerBuilder&, ServiceOptions& options) { options.Bind("Blocking", pool); });
  ASSERT_NE(server, nullptr);

  auto calls = StartNestedCalls(*server, kCalls, kWait);
  for (int i = 0; i < kCalls; ++i) {
    absl::StatusOr<TestReply> reply = calls[i].get();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), absl::StrCat("nested-", i));
  }
  server->server().Shutdown(kWait);
  EXPECT_EQ(pool->stats().completed, static_cast<uint64_t>(2 * kCalls));
}

TEST(NestedCall, OnAThreadPoolEndsByDeadlineAndTheWatchdogNamesTheStarvedPool) {
  constexpr int kThreads = 2;
  constexpr absl::Duration kThreshold = absl::Milliseconds(50);
  constexpr absl::Duration kNestedTimeout = absl::Seconds(3);
  auto pool = std::make_shared<ThreadPool>(ThreadPool::Options{
      .name = "nested-pool", .threads = kThreads, .watchdog_threshold = kThreshold});
  auto server = TestServer::Start([&](ServerBuilder& builder, ServiceOptions& options) {
    options.Bind("Blocking", pool);
    // Deadlines end these calls: no queue-time bound shorter than the nested deadline.
    builder.SetDefaultMaxQueueTime(absl::InfiniteDuration());
  });
  ASSERT_NE(server, nullptr);

  // As many calls as threads: each holds a thread while its nested call waits in the queue, until
  // the first nested deadline frees a thread. Then a later call's nested call may still make it.
  auto calls = StartNestedCalls(*server, kThreads, kNestedTimeout);
  int ended_by_deadline = 0;
  for (auto& call : calls) {
    absl::StatusOr<TestReply> reply = call.get();
    if (reply.ok()) continue;
    ++ended_by_deadline;
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_THAT(reply.status().message(),
                HasSubstr(absl::StrCat("nested call to ", kBlockingMethod, " failed")));
  }
  EXPECT_GE(ended_by_deadline, 1);
  // A nested call that gets a thread once its deadline has passed ends without running its
  // handler (the call path's start stage, server/internal/call_path.h).
  server->server().Shutdown(kWait);

  EXPECT_GE(WatchdogReportsOf(server->server(), kBlockingMethod), 1u);
  bool named = false;
  for (const WatchdogReport& report : Watchdog::Get().RecentReports()) {
    if (report.thread.find("thread pool 'nested-pool'") == std::string::npos) continue;
    named = true;
    EXPECT_EQ(report.label, kBlockingMethod);
    EXPECT_GE(report.waiting_tasks, 1u);
    EXPECT_THAT(report.message, HasSubstr("deadlock"));
  }
  EXPECT_TRUE(named) << "no watchdog report names the pool";
  // A nested call could start only after its caller's nested deadline freed a thread.
  const ExecutorStats stats = pool->stats();
  EXPECT_GE(stats.max_queued_time, kNestedTimeout / 3);
  EXPECT_EQ(stats.completed, static_cast<uint64_t>(2 * kThreads));
}

}  // namespace
}  // namespace tandem::testing
