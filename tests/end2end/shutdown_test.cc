// Shutdown drains: calls in flight when Shutdown starts still get their reply, in every style.
#include <future>
#include <memory>
#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

class Shutdown : public ::testing::TestWithParam<Method> {};

TEST_P(Shutdown, LetsInFlightCallsFinishWithinTheGrace) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  TestRequest request = MakeRequest(TestRequest::SLEEP, "drained");
  request.set_sleep_ms(300);
  auto reply = std::async(std::launch::async, [&] {
    return server->Call(GetParam(), ClientForm::kAsyncCallback, request);
  });
  // Wait until the server has the call, then shut down while the handler sleeps.
  for (int i = 0; i < 4000; ++i) {
    uint64_t started = 0;
    for (const MethodStats& stats : server->server().method_stats()) started += stats.started;
    if (started > 0) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  server->server().Shutdown(kWait);

  absl::StatusOr<TestReply> result = reply.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->message(), "drained");
}

TEST_P(Shutdown, CancelsCallsStillRunningAfterTheGrace) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  auto reply = std::async(std::launch::async, [&] {
    return server->Call(GetParam(), ClientForm::kAsyncCallback,
                        MakeRequest(TestRequest::WAIT_FOR_CANCEL));
  });
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  server->server().Shutdown(absl::Milliseconds(100));

  EXPECT_TRUE(server->service().WaitForCancellationsSeen(1, kWait));
  EXPECT_FALSE(reply.get().ok());
}

INSTANTIATE_TEST_SUITE_P(EveryStyle, Shutdown,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine,
                                           Method::kCallback, Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

TEST(ServerShutdown, IsIdempotentAndWaitReturnsAfterIt) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  std::thread waiter([&] { server->server().Wait(); });
  server->server().Shutdown(absl::Seconds(1));
  server->server().Shutdown(absl::Seconds(1));
  waiter.join();
}

}  // namespace
}  // namespace tandem::testing
