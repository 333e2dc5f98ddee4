// Unary calls behave the same whatever the handler style and whatever the client form.
//
// Every case runs over each TestService method (blocking on the thread pool, coroutine on the
// loop, callback inline, callback on a pool) × each client form (blocking, async, coroutine).
#include <future>
#include <memory>
#include <tuple>

#include "absl/strings/match.h"
#include "client/cancellation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

class UnaryStyles : public ::testing::TestWithParam<std::tuple<Method, ClientForm>> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  Method method() const { return std::get<0>(GetParam()); }
  ClientForm form() const { return std::get<1>(GetParam()); }

  absl::StatusOr<TestReply> Call(const TestRequest& request,
                                 const CallOptions& options = CallOptions()) {
    return server_->Call(method(), form(), request, options);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(UnaryStyles, OkStatusCarriesTheReply) {
  absl::StatusOr<TestReply> reply = Call(MakeRequest(TestRequest::ECHO, "hello"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "hello");
}

TEST_P(UnaryStyles, HandlerStatusReachesTheClientAsIs) {
  TestRequest request = MakeRequest(TestRequest::FAIL, "no such thing");
  request.set_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  absl::StatusOr<TestReply> reply = Call(request);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reply.status().message(), "no such thing");
}

TEST_P(UnaryStyles, HandlerExceptionCostsOnlyThatCall) {
  absl::StatusOr<TestReply> thrown = Call(MakeRequest(TestRequest::THROW, "boom"));
  EXPECT_EQ(thrown.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(thrown.status().message(), HasSubstr("boom"));
  EXPECT_THAT(thrown.status().message(), HasSubstr(MethodName(method())));

  absl::StatusOr<TestReply> next = Call(MakeRequest(TestRequest::ECHO, "still serving"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->message(), "still serving");
}

TEST_P(UnaryStyles, DeadlineExceededReachesClientAndCancelsTheHandler) {
  absl::StatusOr<TestReply> reply = Call(MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                                         CallOptions().set_timeout(absl::Milliseconds(200)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(UnaryStyles, ClientCancelReachesClientAndTheHandler) {
  auto cancellation = ClientCancellation::Create();
  auto reply = std::async(std::launch::async, [&] {
    return Call(MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                CallOptions().set_cancellation(cancellation).set_timeout(kWait));
  });
  ASSERT_TRUE(server_->service().WaitForHandlersWaiting(1, kWait));
  cancellation->Cancel();
  EXPECT_EQ(reply.get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(server_->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(UnaryStyles, CancelBeforeTheCallStartsCancelsItAtOnce) {
  auto cancellation = ClientCancellation::Create();
  cancellation->Cancel();
  absl::StatusOr<TestReply> reply =
      Call(MakeRequest(TestRequest::ECHO), CallOptions().set_cancellation(cancellation));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kCancelled);
}

TEST_P(UnaryStyles, ContextShowsDeadlinePeerAndMetadata) {
  TestRequest request = MakeRequest(TestRequest::ECHO_METADATA);
  absl::StatusOr<TestReply> reply =
      Call(request, CallOptions().set_timeout(kWait).AddMetadata("x-echo", "marco"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "marco");
  EXPECT_TRUE(reply->has_deadline());
  EXPECT_THAT(reply->peer(), HasSubstr("127.0.0.1"));

  absl::StatusOr<TestReply> no_deadline = Call(MakeRequest(TestRequest::ECHO));
  ASSERT_TRUE(no_deadline.ok()) << no_deadline.status();
  EXPECT_FALSE(no_deadline->has_deadline());
}

TEST_P(UnaryStyles, HandlerRunsInItsOwnStyle) {
  absl::StatusOr<TestReply> reply = Call(MakeRequest(TestRequest::ECHO));
  ASSERT_TRUE(reply.ok()) << reply.status();
  const std::string expected[] = {"blocking", "coroutine", "callback", "callback-on-pool"};
  EXPECT_EQ(reply->handler_style(), expected[static_cast<int>(method())]);
}

INSTANTIATE_TEST_SUITE_P(
    AllStylesAllClients, UnaryStyles,
    ::testing::Combine(::testing::Values(Method::kBlocking, Method::kCoroutine, Method::kCallback,
                                         Method::kCallbackOnPool),
                       ::testing::Values(ClientForm::kBlocking, ClientForm::kAsyncCallback,
                                         ClientForm::kCoroutine)),
    [](const auto& info) {
      return MethodName(std::get<0>(info.param)) + "_" + ClientFormName(std::get<1>(info.param));
    });

// Callback handlers only: the responder is an obligation to answer.
class CallbackResponder : public ::testing::TestWithParam<Method> {};

TEST_P(CallbackResponder, DroppedUnfinishedAnswersInternal) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::DROP_REPLY));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(reply.status().message(), HasSubstr("dropped its responder"));
}

TEST_P(CallbackResponder, FinishedFromAnotherThreadLater) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  TestRequest request = MakeRequest(TestRequest::SLEEP, "later");
  request.set_sleep_ms(20);
  absl::StatusOr<TestReply> reply = server->Call(GetParam(), ClientForm::kBlocking, request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "later");
}

INSTANTIATE_TEST_SUITE_P(InlineAndOnPool, CallbackResponder,
                         ::testing::Values(Method::kCallback, Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

}  // namespace
}  // namespace tandem::testing
