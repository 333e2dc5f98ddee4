// What the server checks when it starts, and what a method without a handler answers.
#include <memory>

#include "executors/coroutine_loop.h"
#include "executors/executor.h"
#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

absl::Status StartWith(ServiceOptions options) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0").RegisterService(&service, std::move(options));
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  return server.status();
}

std::shared_ptr<ThreadPool> Pool() {
  return std::make_shared<ThreadPool>(ThreadPool::Options{.name = "pool", .threads = 1});
}

TEST(ServerStart, RefusesABlockingHandlerOnTheInlineExecutor) {
  absl::Status status = StartWith(ServiceOptions().Bind("Blocking", InlineExecutor::Get()));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("/tandem.testing.TestService/Blocking"));
  EXPECT_THAT(status.message(), HasSubstr("blocking handler"));
}

TEST(ServerStart, RefusesABlockingHandlerOnACoroutineLoop) {
  absl::Status status = StartWith(
      ServiceOptions().Bind("Blocking", std::make_shared<CoroutineLoop>(CoroutineLoop::Options{})));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("/tandem.testing.TestService/Blocking"));
}

TEST(ServerStart, RefusesACoroutineHandlerOnAThreadPool) {
  absl::Status status = StartWith(ServiceOptions().Bind("Coroutine", Pool()));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("/tandem.testing.TestService/Coroutine"));
}

TEST(ServerStart, RefusesABindingForAMethodTheServiceDoesNotHave) {
  absl::Status status = StartWith(ServiceOptions().Bind("NoSuchMethod", Pool()));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("NoSuchMethod"));
  EXPECT_THAT(status.message(), HasSubstr("tandem.testing.TestService"));
}

TEST(ServerStart, RefusesABindingForANotImplementedMethod) {
  absl::Status status = StartWith(ServiceOptions().Bind("Unimplemented", Pool()));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("/tandem.testing.TestService/Unimplemented"));
}

TEST(ServerStart, AcceptsACallbackHandlerOnAnyExecutor) {
  EXPECT_TRUE(StartWith(ServiceOptions().Bind("Callback", InlineExecutor::Get())).ok());
  EXPECT_TRUE(StartWith(ServiceOptions().Bind("Callback", Pool())).ok());
  EXPECT_TRUE(StartWith(ServiceOptions().Bind(
                            "Callback", std::make_shared<CoroutineLoop>(CoroutineLoop::Options{})))
                  .ok());
}

TEST(ServerStart, ReportsAnAddressItCannotListenOn) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("256.0.0.1:1").RegisterService(&service);
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  EXPECT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("256.0.0.1:1"));
}

TEST(ServerStart, RefusesAKeepaliveDurationThatIsNotPositive) {
  for (ServerKeepalive keepalive :
       {ServerKeepalive{.time = absl::ZeroDuration()},
        ServerKeepalive{.timeout = absl::Seconds(-1)},
        ServerKeepalive{.min_client_ping_interval = absl::ZeroDuration()}}) {
    TestServiceImpl service;
    ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0").RegisterService(&service).SetKeepalive(keepalive);
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(server.status().message(), HasSubstr("SetKeepalive needs a positive "));
  }
}

TEST(NotImplementedMethod, AnswersUnimplemented) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<TestReply> reply = server->client().Unimplemented(
      MakeRequest(TestRequest::ECHO), CallOptions().set_timeout(absl::Seconds(20)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(reply.status().message(), HasSubstr("/tandem.testing.TestService/Unimplemented"));
}

TEST(MethodStats, CountEachOutcome) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  const CallOptions options = CallOptions().set_timeout(absl::Seconds(20));
  ASSERT_TRUE(server->client().Blocking(MakeRequest(TestRequest::ECHO), options).ok());
  ASSERT_FALSE(server->client().Blocking(MakeRequest(TestRequest::THROW), options).ok());
  server->server().Shutdown(absl::Seconds(5));

  for (const MethodStats& stats : server->server().method_stats()) {
    if (stats.method != "/tandem.testing.TestService/Blocking") continue;
    EXPECT_EQ(stats.style, HandlerStyle::kBlocking);
    EXPECT_EQ(stats.started, 2u);
    EXPECT_EQ(stats.finished_ok, 1u);
    EXPECT_EQ(stats.finished_error, 1u);
    EXPECT_EQ(stats.exceptions, 1u);
    return;
  }
  ADD_FAILURE() << "no stats for the Blocking method";
}

}  // namespace
}  // namespace tandem::testing
