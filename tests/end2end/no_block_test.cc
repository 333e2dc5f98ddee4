// The no-block guarantee: gRPC's dispatch threads only post work, so blocking handlers never
// hold up other methods, and a pool runs as many blocking calls at once as it has threads.
#include <future>
#include <memory>
#include <vector>

#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

TestServer::Configure WithBlockingPool(int threads, size_t max_queue) {
  return [threads, max_queue](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultThreadPoolOptions(
        {.name = "blocking-pool", .threads = threads, .max_queue = max_queue});
  };
}

// Starts `count` BLOCK calls to the blocking method, without waiting for them.
std::vector<std::future<absl::StatusOr<TestReply>>> StartBlockedCalls(TestServer& server,
                                                                      int count) {
  std::vector<std::future<absl::StatusOr<TestReply>>> calls;
  for (int i = 0; i < count; ++i) {
    calls.push_back(std::async(std::launch::async, [&server] {
      return server.Call(Method::kBlocking, ClientForm::kAsyncCallback,
                         MakeRequest(TestRequest::BLOCK, "released"));
    }));
  }
  return calls;
}

TEST(NoBlock, CoroutineAndCallbackMethodsAnswerWhileEveryPoolThreadIsBlocked) {
  constexpr int kThreads = 4;
  auto server = TestServer::Start(WithBlockingPool(kThreads, 64));
  ASSERT_NE(server, nullptr);
  auto blocked = StartBlockedCalls(*server, kThreads);
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(kThreads, kWait));

  for (Method method : {Method::kCoroutine, Method::kCallback}) {
    for (ClientForm form : {ClientForm::kBlocking, ClientForm::kCoroutine}) {
      absl::StatusOr<TestReply> reply =
          server->Call(method, form, MakeRequest(TestRequest::ECHO, "prompt"),
                       CallOptions().set_timeout(kWait));
      ASSERT_TRUE(reply.ok()) << MethodName(method) << ": " << reply.status();
      EXPECT_EQ(reply->message(), "prompt");
    }
  }

  server->service().Release();
  for (auto& call : blocked) {
    absl::StatusOr<TestReply> reply = call.get();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), "released");
  }
}

// 64 blocking handlers must all be inside the handler at the same moment to get past the
// rendezvous: a serialised pool, or a held gRPC thread, makes them time out instead.
TEST(NoBlock, SixtyFourBlockingCallsRunAtOnceOnASixtyFourThreadPool) {
  constexpr int kCalls = 64;
  auto server = TestServer::Start(WithBlockingPool(kCalls, 64));
  ASSERT_NE(server, nullptr);
  std::vector<std::future<absl::StatusOr<TestReply>>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async, [&server] {
      TestRequest request = MakeRequest(TestRequest::RENDEZVOUS, "met");
      request.set_code(kCalls);
      return server->Call(Method::kBlocking, ClientForm::kAsyncCallback, request);
    }));
  }
  for (auto& call : calls) {
    absl::StatusOr<TestReply> reply = call.get();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), "met");
  }
}

TEST(NoBlock, AFullPoolQueueAnswersResourceExhausted) {
  auto pool = std::make_shared<ThreadPool>(
      ThreadPool::Options{.name = "tiny-pool", .threads = 1, .max_queue = 1});
  auto server = TestServer::Start(
      [pool](ServerBuilder& builder, ServiceOptions&) { builder.SetDefaultBlockingExecutor(pool); });
  ASSERT_NE(server, nullptr);
  auto running = StartBlockedCalls(*server, 1);
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  auto queued = StartBlockedCalls(*server, 1);
  // Bounded poll: the pool reports the second call queued once gRPC has dispatched it.
  for (int i = 0; i < 4000 && pool->stats().queue_depth < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(pool->stats().queue_depth, 1u);

  absl::StatusOr<TestReply> refused = server->Call(Method::kBlocking, ClientForm::kBlocking,
                                                   MakeRequest(TestRequest::ECHO));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(), HasSubstr("tiny-pool"));
  EXPECT_EQ(pool->stats().rejected, 1u);

  server->service().Release();
  EXPECT_TRUE(running[0].get().ok());
  EXPECT_TRUE(queued[0].get().ok());
  server->server().Shutdown(kWait);
}

}  // namespace
}  // namespace tandem::testing
