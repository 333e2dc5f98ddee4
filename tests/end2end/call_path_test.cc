// The call path every call takes (server/internal/call_path.h), seen from outside: the handler's
// context carries the call's state (priority, and the times it was received and started), and
// the server records every call's stages in its method's stats, whatever the handler's style.
// The streaming kinds are covered in streaming_test (EveryKindIsRecordedWithItsStageTimes).
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "client/cancellation.h"
#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

absl::Time UnixNanos(int64_t nanos) { return absl::FromUnixNanos(nanos); }

// One blocking-client call of `method`, made on a thread of its own so the test goes on while
// the call waits.
std::future<absl::StatusOr<TestReply>> CallInBackground(TestServer& server, Method method,
                                                        TestRequest request,
                                                        CallOptions options = CallOptions()) {
  return std::async(std::launch::async, [&server, method, request, options] {
    return server.Call(method, ClientForm::kBlocking, request, options);
  });
}

// A server whose blocking methods run on one thread, with room for `max_queue` calls waiting.
std::unique_ptr<TestServer> StartWithOneBlockingThread(size_t max_queue = 4096) {
  return TestServer::Start([max_queue](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultBlockingExecutor(std::make_shared<ThreadPool>(
        ThreadPool::Options{.name = "one", .threads = 1, .max_queue = max_queue}));
  });
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
  auto server = StartWithOneBlockingThread();
  ASSERT_NE(server, nullptr);
  auto blocked = CallInBackground(*server, Method::kBlocking, MakeRequest(TestRequest::BLOCK));
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  auto queued = CallInBackground(*server, Method::kBlocking, MakeRequest(TestRequest::ECHO));
  ASSERT_TRUE(server->WaitUntilReceived("Blocking", 2));
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
  auto server = StartWithOneBlockingThread(/*max_queue=*/1);
  ASSERT_NE(server, nullptr);
  auto blocked = CallInBackground(*server, Method::kBlocking, MakeRequest(TestRequest::BLOCK));
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  auto queued = CallInBackground(*server, Method::kBlocking, MakeRequest(TestRequest::ECHO));
  ASSERT_TRUE(server->WaitUntilReceived("Blocking", 2));
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

// A call that waited for its executor until its deadline passed, or its client cancelled, or
// past the method's queue limit, ends without running its handler, and is counted. The method's
// only thread (or its loop) is held with a truly blocking sleep while the call waits.
class ExpiredInQueue : public ::testing::TestWithParam<Method> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start([this](ServerBuilder& builder, ServiceOptions& options) {
      builder.SetDefaultBlockingExecutor(
          std::make_shared<ThreadPool>(ThreadPool::Options{.name = "one", .threads = 1}));
      options.Bind("CallbackOnPool", std::make_shared<ThreadPool>(ThreadPool::Options{
                                         .name = "one-callback", .threads = 1}));
      options.SetMaxQueueTime(method(), absl::Milliseconds(100));
    });
    ASSERT_NE(server_, nullptr);
    holder_ = CallInBackground(*server_, GetParam(), MakeRequest(TestRequest::BLOCKING_SLEEP));
    ASSERT_TRUE(server_->service().WaitForHandlersWaiting(1, kWait));
  }

  // Frees the executor, and checks that the holding call was the only one that ran.
  void ReleaseAndExpectOnlyTheHolderRan() {
    server_->service().Release();
    ASSERT_TRUE(holder_.get().ok());
    const MethodStats stats = server_->StatsOnceIdle(method(), kWait);
    EXPECT_EQ(stats.ran, 1u);
    // A WAIT_FOR_CANCEL handler that ran would have seen its call's cancellation.
    EXPECT_FALSE(server_->service().WaitForCancellationsSeen(1, absl::Milliseconds(200)));
  }

  std::string method() const { return MethodName(GetParam()); }

  std::unique_ptr<TestServer> server_;
  std::future<absl::StatusOr<TestReply>> holder_;
};

TEST_P(ExpiredInQueue, DeadlinePassedWhileQueuedNeverRunsTheHandler) {
  absl::StatusOr<TestReply> reply =
      server_->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                    CallOptions().set_timeout(absl::Milliseconds(50)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  ReleaseAndExpectOnlyTheHolderRan();
  EXPECT_EQ(server_->StatsOf(method()).expired_in_queue, 1u);
}

TEST_P(ExpiredInQueue, CancelledWhileQueuedNeverRunsTheHandler) {
  auto cancellation = ClientCancellation::Create();
  auto reply = CallInBackground(*server_, GetParam(), MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                                CallOptions().set_cancellation(cancellation).set_timeout(kWait));
  ASSERT_TRUE(server_->WaitUntilReceived(method(), 2));
  cancellation->Cancel();
  EXPECT_EQ(reply.get().status().code(), absl::StatusCode::kCancelled);
  // The client hears of its cancellation at once; the server, when the stream's reset arrives,
  // which nothing here can watch for. Under a sanitizer that took longer than releasing the
  // executor (1 run in about 60): give it time before the queued call's turn comes.
  absl::SleepFor(absl::Milliseconds(300));
  ReleaseAndExpectOnlyTheHolderRan();
  EXPECT_EQ(server_->StatsOf(method()).expired_in_queue, 1u);
}

TEST_P(ExpiredInQueue, PastTheQueueLimitAnswersResourceExhausted) {
  auto reply = CallInBackground(*server_, GetParam(), MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                                CallOptions().set_timeout(kWait));
  ASSERT_TRUE(server_->WaitUntilReceived(method(), 2));
  absl::SleepFor(absl::Milliseconds(200));  // past the 100 ms limit
  ReleaseAndExpectOnlyTheHolderRan();
  absl::StatusOr<TestReply> answer = reply.get();
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(answer.status().message(), ::testing::HasSubstr("SetMaxQueueTime"));
  EXPECT_EQ(server_->StatsOf(method()).queue_timeouts, 1u);
}

// Inline callbacks never queue: every style whose executor has a queue.
INSTANTIATE_TEST_SUITE_P(EveryQueueingStyle, ExpiredInQueue,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine,
                                           Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

TEST(CallPathQueue, AQueueLimitOnAnUnknownMethodOrNotPositiveFailsTheStart) {
  TestServiceImpl service;
  for (auto [method, limit] : {std::pair<std::string, absl::Duration>{"NoSuchMethod", absl::Seconds(1)},
                               {"Blocking", absl::ZeroDuration()}}) {
    ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0")
        .RegisterService(&service, ServiceOptions().SetMaxQueueTime(method, limit));
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << method;
    EXPECT_THAT(server.status().message(), ::testing::HasSubstr("SetMaxQueueTime"));
  }
}

}  // namespace
}  // namespace tandem::testing
