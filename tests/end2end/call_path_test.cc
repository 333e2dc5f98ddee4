// The call path every call takes (server/internal/call_path.h), seen from outside: the handler's
// context carries the call's state (priority, and the times it was received and started), and
// the server records every call's stages in its method's stats, whatever the handler's style.
// The streaming kinds are covered in streaming_test (EveryKindIsRecordedWithItsStageTimes).
#include <future>
#include <memory>

#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

absl::Time UnixNanos(int64_t nanos) { return absl::FromUnixNanos(nanos); }

// Whether `method` has received `calls` calls, within kWait.
bool WaitUntilReceived(TestServer& server, absl::string_view method, uint64_t calls) {
  const absl::Time give_up = absl::Now() + kWait;
  while (server.StatsOf(method).started < calls) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

class CallPath : public ::testing::TestWithParam<Method> {
 protected:
  std::string method() const { return MethodName(GetParam()); }
};

TEST_P(CallPath, TheHandlersContextShowsWhenTheCallWasReceivedAndStarted) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  const absl::Time before = absl::Now();
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  const absl::Time after = absl::Now();
  ASSERT_TRUE(reply.ok()) << reply.status();

  const absl::Time received = UnixNanos(reply->received_unix_ns());
  const absl::Time started = UnixNanos(reply->started_unix_ns());
  EXPECT_LE(before, received);
  EXPECT_LE(received, started);
  EXPECT_LE(started, after);
  EXPECT_EQ(reply->priority(), "normal");
}

TEST_P(CallPath, TheHandlersContextShowsTheMethodsPriority) {
  auto server = TestServer::Start([this](ServerBuilder&, ServiceOptions& options) {
    options.SetPriority(method(), Priority::kHigh);
  });
  ASSERT_NE(server, nullptr);
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->priority(), "high");
}

TEST_P(CallPath, EveryCallIsRecordedOnceWithTheTimeItRan) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  TestRequest sleep = MakeRequest(TestRequest::SLEEP);
  sleep.set_sleep_ms(50);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<TestReply> reply = server->Call(GetParam(), ClientForm::kBlocking, sleep);
    ASSERT_TRUE(reply.ok()) << reply.status();
  }
  TestRequest fail = MakeRequest(TestRequest::FAIL, "no");
  fail.set_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  ASSERT_FALSE(server->Call(GetParam(), ClientForm::kBlocking, fail).ok());

  const MethodStats stats = server->StatsOnceIdle(method(), kWait);
  EXPECT_EQ(stats.started, 4u);
  EXPECT_EQ(stats.finished_ok, 3u);
  EXPECT_EQ(stats.finished_error, 1u);
  EXPECT_EQ(stats.ran, 4u);
  EXPECT_GE(stats.max_queued, stats.mean_queued);
  // Three of four calls slept 50 ms while running (a callback handler runs until it finishes
  // its responder, after its timer).
  EXPECT_GE(stats.mean_running, absl::Milliseconds(3 * 50 / 4));
}

INSTANTIATE_TEST_SUITE_P(EveryStyle, CallPath,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine, Method::kCallback,
                                           Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

// With the method's only thread busy, a second call waits for its executor: the wait is its
// queued time, from receipt to the handler's start.
TEST(CallPathQueue, TimeWaitingForTheExecutorIsQueuedTime) {
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultBlockingExecutor(
        std::make_shared<ThreadPool>(ThreadPool::Options{.name = "one", .threads = 1}));
  });
  ASSERT_NE(server, nullptr);
  auto blocked = std::async(std::launch::async, [&] {
    return server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::BLOCK));
  });
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  auto queued = std::async(std::launch::async, [&] {
    return server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  });
  ASSERT_TRUE(WaitUntilReceived(*server, "Blocking", 2));
  absl::SleepFor(absl::Milliseconds(100));
  server->service().Release();

  absl::StatusOr<TestReply> reply = queued.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_GE(UnixNanos(reply->started_unix_ns()) - UnixNanos(reply->received_unix_ns()),
            absl::Milliseconds(100));
  ASSERT_TRUE(blocked.get().ok());
  const MethodStats stats = server->StatsOnceIdle("Blocking", kWait);
  EXPECT_EQ(stats.ran, 2u);
  EXPECT_GE(stats.max_queued, absl::Milliseconds(100));
}

// A call its executor refuses is answered at once and never runs: it counts as received and
// rejected, not as run.
TEST(CallPathQueue, ARefusedCallNeverRuns) {
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultBlockingExecutor(std::make_shared<ThreadPool>(
        ThreadPool::Options{.name = "full", .threads = 1, .max_queue = 1}));
  });
  ASSERT_NE(server, nullptr);
  auto blocked = std::async(std::launch::async, [&] {
    return server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::BLOCK));
  });
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  auto queued = std::async(std::launch::async, [&] {
    return server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  });
  ASSERT_TRUE(WaitUntilReceived(*server, "Blocking", 2));
  absl::StatusOr<TestReply> refused =
      server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  server->service().Release();
  ASSERT_TRUE(blocked.get().ok());
  ASSERT_TRUE(queued.get().ok());

  const MethodStats stats = server->StatsOnceIdle("Blocking", kWait);
  EXPECT_EQ(stats.started, 3u);
  EXPECT_EQ(stats.rejected, 1u);
  EXPECT_EQ(stats.ran, 2u);
}

}  // namespace
}  // namespace tandem::testing
