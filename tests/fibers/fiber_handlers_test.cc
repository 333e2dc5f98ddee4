// Blocking handlers on a fiber pool: the same handler source behaves the same on a thread pool and
// on a fiber pool, a server runs methods on both at once, and Tandem's blocking client calls made
// on fibers wait without holding the fibers' thread.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "executors/event.h"
#include "executors/fiber_pool.h"
#include "executors/future.h"
#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

struct BlockingExecutor {
  std::string name;
  std::function<std::shared_ptr<Executor>()> make;
};

std::vector<BlockingExecutor> BlockingExecutors() {
  return {
      {"ThreadPool",
       [] {
         return std::make_shared<ThreadPool>(ThreadPool::Options{.name = "threads", .threads = 4});
       }},
      {"FiberPool",
       [] {
         return std::make_shared<FiberPool>(FiberPool::Options{.name = "fibers", .threads = 2});
       }},
  };
}

// The test service's Blocking method, bound to the executor under test.
class BlockingHandler : public ::testing::TestWithParam<BlockingExecutor> {
 protected:
  void SetUp() override {
    executor_ = GetParam().make();
    server_ = TestServer::Start(
        [this](ServerBuilder&, ServiceOptions& options) { options.Bind("Blocking", executor_); });
    ASSERT_NE(server_, nullptr);
  }

  absl::StatusOr<TestReply> Call(const TestRequest& request,
                                 CallOptions options = CallOptions().set_timeout(kWait)) {
    return server_->Call(Method::kBlocking, ClientForm::kBlocking, request, options);
  }

  std::shared_ptr<Executor> executor_;
  std::unique_ptr<TestServer> server_;
};

TEST_P(BlockingHandler, EchoesTheRequest) {
  absl::StatusOr<TestReply> reply = Call(MakeRequest(TestRequest::ECHO, "hello"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "hello");
  EXPECT_EQ(reply->handler_style(), "blocking");
}

TEST_P(BlockingHandler, ReturnsTheHandlersStatus) {
  TestRequest request = MakeRequest(TestRequest::FAIL, "no such thing");
  request.set_code(static_cast<int>(absl::StatusCode::kNotFound));
  absl::StatusOr<TestReply> reply = Call(request);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reply.status().message(), "no such thing");
}

TEST_P(BlockingHandler, AnExceptionEndsTheCallWithInternal) {
  absl::StatusOr<TestReply> reply = Call(MakeRequest(TestRequest::THROW, "boom"));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(reply.status().message(), HasSubstr("boom"));
}

TEST_P(BlockingHandler, SleepsWithTandemSleepFor) {
  TestRequest request = MakeRequest(TestRequest::SLEEP, "rested");
  request.set_sleep_ms(20);
  absl::StatusOr<TestReply> reply = Call(request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "rested");
}

TEST_P(BlockingHandler, WaitForCancellationSeesTheDeadline) {
  absl::StatusOr<TestReply> reply = Call(MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                                         CallOptions().set_timeout(absl::Milliseconds(500)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(BlockingHandler, EchoesClientMetadata) {
  absl::StatusOr<TestReply> reply =
      Call(MakeRequest(TestRequest::ECHO_METADATA),
           CallOptions().set_timeout(kWait).AddMetadata("x-echo", "fiber-or-thread"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "fiber-or-thread");
}

INSTANTIATE_TEST_SUITE_P(
    EitherPool, BlockingHandler, ::testing::ValuesIn(BlockingExecutors()),
    [](const ::testing::TestParamInfo<BlockingExecutor>& info) { return info.param.name; });

TEST(FiberPoolServer, RunsBlockingMethodsOnFibersBesideAThreadPool) {
  auto fibers = std::make_shared<FiberPool>(FiberPool::Options{.name = "fibers", .threads = 2});
  auto threads = std::make_shared<ThreadPool>(ThreadPool::Options{.name = "threads", .threads = 2});
  auto server = TestServer::Start([&](ServerBuilder&, ServiceOptions& options) {
    options.Bind("Blocking", fibers).Bind("CallbackOnPool", threads);
  });
  ASSERT_NE(server, nullptr);
  for (Method method : {Method::kBlocking, Method::kCallbackOnPool}) {
    absl::StatusOr<TestReply> reply =
        server->Call(method, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO, "both"),
                     CallOptions().set_timeout(kWait));
    ASSERT_TRUE(reply.ok()) << MethodName(method) << ": " << reply.status();
    EXPECT_EQ(reply->message(), "both");
  }
  server->server().Shutdown(kWait);
  EXPECT_EQ(fibers->stats().completed, 1u);
  EXPECT_EQ(threads->stats().completed, 1u);
  for (const MethodStats& stats : server->server().method_stats()) {
    if (stats.method == "/tandem.testing.TestService/Blocking") EXPECT_EQ(stats.executor, "fibers");
  }
}

// The client side: each fiber calls a method that waits until every call is inside it at once.
// On one thread, that is only possible if each fiber's call waits without holding the thread.
enum class FiberClient { kBlockingCall, kAsyncCallWithUseFuture };

class FiberClientCalls : public ::testing::TestWithParam<FiberClient> {};

TEST_P(FiberClientCalls, CallsFromFibersOfOneThreadAreAllInFlightAtOnce) {
  constexpr int kCalls = 16;
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetDefaultThreadPoolOptions({.name = "wide", .threads = kCalls});
  });
  ASSERT_NE(server, nullptr);
  FiberPool client_fibers({.name = "client-fibers", .threads = 1});

  absl::Mutex mu;
  std::vector<absl::StatusOr<TestReply>> replies;
  Event all_answered;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(client_fibers.TryPost([&, i] {
      TestRequest request = MakeRequest(TestRequest::RENDEZVOUS, absl::StrCat("call-", i));
      request.set_code(kCalls);
      const CallOptions options = CallOptions().set_timeout(kWait);
      absl::StatusOr<TestReply> reply =
          GetParam() == FiberClient::kBlockingCall
              ? server->client().Blocking(request, options)
              : server->client().AsyncBlocking(request, options, use_future).get();
      absl::MutexLock lock(&mu);
      replies.push_back(std::move(reply));
      if (replies.size() == kCalls) all_answered.Notify();
    }));
  }
  ASSERT_TRUE(all_answered.WaitFor(2 * kWait));
  client_fibers.ShutdownAndWait();

  absl::MutexLock lock(&mu);
  for (const absl::StatusOr<TestReply>& reply : replies) {
    EXPECT_TRUE(reply.ok()) << reply.status();
  }
}

INSTANTIATE_TEST_SUITE_P(BothForms, FiberClientCalls,
                         ::testing::Values(FiberClient::kBlockingCall,
                                           FiberClient::kAsyncCallWithUseFuture),
                         [](const ::testing::TestParamInfo<FiberClient>& info) {
                           return info.param == FiberClient::kBlockingCall ? "BlockingCall"
                                                                           : "AsyncCallWithUseFuture";
                         });

TEST(FiberPoolServerStart, AcceptsABlockingHandlerOnAFiberPool) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0")
      .RegisterService(&service,
                       ServiceOptions().Bind("Blocking", std::make_shared<FiberPool>(
                                                             FiberPool::Options{.threads = 1})));
  EXPECT_TRUE(builder.BuildAndStart().ok());
}

TEST(FiberPoolServerStart, RefusesAPriorityForAMethodTheServiceDoesNotHave) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0")
      .RegisterService(&service, ServiceOptions().SetPriority("NoSuchMethod", Priority::kHigh));
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("NoSuchMethod"));
  EXPECT_THAT(server.status().message(), HasSubstr("SetPriority"));
}

}  // namespace
}  // namespace tandem::testing
