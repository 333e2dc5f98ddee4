// Priorities per method, end to end: a flood of normal-priority calls keeps a one-thread fiber pool
// busy (each handler stays ready to run, yielding in a loop). A high-priority method still answers
// during the flood; an idle-priority method answers only once the flood ends, and then it does.
#include <future>
#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "executors/fiber_pool.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);

TEST(MethodPriority, HighCallsAnswerDuringAFloodAndIdleCallsOnceItEnds) {
  constexpr int kFlood = 20;
  auto pool = std::make_shared<FiberPool>(FiberPool::Options{.name = "busy", .threads = 1});
  // All three methods share the pool: Blocking (the flood) at normal priority, CallbackOnPool at
  // high, Callback at idle.
  auto server = TestServer::Start([&](ServerBuilder&, ServiceOptions& options) {
    options.Bind("Blocking", pool)
        .Bind("CallbackOnPool", pool)
        .SetPriority("CallbackOnPool", Priority::kHigh)
        .Bind("Callback", pool)
        .SetPriority("Callback", Priority::kIdle);
  });
  ASSERT_NE(server, nullptr);

  std::vector<std::future<absl::StatusOr<TestReply>>> flood;
  for (int i = 0; i < kFlood; ++i) {
    flood.push_back(std::async(std::launch::async, [&server] {
      return server->Call(Method::kBlocking, ClientForm::kAsyncCallback,
                          MakeRequest(TestRequest::SPIN, "flood"), CallOptions().set_timeout(kWait));
    }));
  }
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(kFlood, kWait));

  absl::Notification idle_answered;
  absl::StatusOr<TestReply> idle_reply;
  server->client().AsyncCallback(MakeRequest(TestRequest::ECHO, "idle"),
                                 CallOptions().set_timeout(kWait),
                                 [&](absl::StatusOr<TestReply> reply) {
                                   idle_reply = std::move(reply);
                                   idle_answered.Notify();
                                 });

  // The flood is still on: its handlers only return once released.
  absl::StatusOr<TestReply> high = server->Call(Method::kCallbackOnPool, ClientForm::kBlocking,
                                                MakeRequest(TestRequest::ECHO, "high"),
                                                CallOptions().set_timeout(kWait));
  ASSERT_TRUE(high.ok()) << high.status();
  EXPECT_EQ(high->message(), "high");
  EXPECT_FALSE(idle_answered.HasBeenNotified());

  server->service().Release();
  for (auto& call : flood) {
    absl::StatusOr<TestReply> reply = call.get();
    EXPECT_TRUE(reply.ok()) << reply.status();
  }
  ASSERT_TRUE(idle_answered.WaitForNotificationWithTimeout(kWait));
  ASSERT_TRUE(idle_reply.ok()) << idle_reply.status();
  EXPECT_EQ(idle_reply->message(), "idle");
}

}  // namespace
}  // namespace tandem::testing
