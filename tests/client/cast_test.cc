// The cast forms of a generated client (CastFoo, AsyncCastFoo, CoCastFoo): a call whose caller
// gets only its status, the response dropped, once the server has acknowledged the call. For a
// method the server does not run one-way, that is when its handler has finished, and the status
// is the handler's. Every case runs in each client form.
#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "asio/co_spawn.hpp"
#include "asio/use_future.hpp"
#include "executors/coroutine_loop.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/client/dead_port.h"
#include "tests/testing/garbage_server.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

class CastForms : public ::testing::TestWithParam<ClientForm> {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  // Starts a cast of TestService/Blocking in the form under test; the future gets its status.
  std::future<absl::Status> StartCast(TestClient& client, const TestRequest& request,
                                      const CallOptions& options) {
    switch (GetParam()) {
      case ClientForm::kBlocking:
        return std::async(std::launch::async, [&client, request, options] {
          return client.CastBlocking(request, options);
        });
      case ClientForm::kAsyncCallback: {
        auto promise = std::make_shared<std::promise<absl::Status>>();
        std::future<absl::Status> status = promise->get_future();
        client.AsyncCastBlocking(request, options, [promise](absl::Status result) {
          promise->set_value(std::move(result));
        });
        return status;
      }
      case ClientForm::kCoroutine:
        return asio::co_spawn(loop_.executor(), client.CoCastBlocking(request, options),
                              asio::use_future);
    }
    return {};
  }

  // A cast to the test server, bounded by its own deadline.
  absl::Status Cast(const TestRequest& request,
                    CallOptions options = CallOptions().set_timeout(kWait)) {
    return Wait(StartCast(server_->client(), request, options));
  }

  static absl::Status Wait(std::future<absl::Status> status) {
    if (status.wait_for(absl::ToChronoNanoseconds(2 * kWait)) != std::future_status::ready) {
      return absl::DeadlineExceededError("test: the cast never returned");
    }
    return status.get();
  }

  CoroutineLoop loop_{{.name = "cast-test-loop"}};
  std::unique_ptr<TestServer> server_;
};

TEST_P(CastForms, ReturnsOkOnlyOnceTheHandlerHasFinished) {
  std::future<absl::Status> cast = StartCast(server_->client(), MakeRequest(TestRequest::BLOCK),
                                             CallOptions().set_timeout(kWait));
  ASSERT_TRUE(server_->service().WaitForHandlersWaiting(1, kWait));
  // The handler is inside the call, held until released: the cast is still waiting for it.
  EXPECT_EQ(cast.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  server_->service().Release();
  EXPECT_TRUE(Wait(std::move(cast)).ok());
}

TEST_P(CastForms, HandlerErrorIsTheCastsStatus) {
  TestRequest request = MakeRequest(TestRequest::FAIL, "no such thing");
  request.set_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  absl::Status status = Cast(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such thing");
}

TEST_P(CastForms, HandlerExceptionIsTheCastsStatus) {
  absl::Status status = Cast(MakeRequest(TestRequest::THROW, "boom"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("boom"));
}

TEST_P(CastForms, PastItsDeadlineTheCastGetsDeadlineExceeded) {
  absl::Status status = Cast(MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                             CallOptions().set_timeout(absl::Milliseconds(200)));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_P(CastForms, ToAServerThatIsDownTheCastGetsUnavailable) {
  DeadPort dead;
  TestClient client(grpc::CreateChannel(dead.target(), grpc::InsecureChannelCredentials()));
  absl::Status status = Wait(
      StartCast(client, MakeRequest(TestRequest::ECHO), CallOptions().set_timeout(kWait)));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST_P(CastForms, TheResponseIsDroppedUnread) {
  // The typed call would end INTERNAL (the reply does not parse); the cast has only the status.
  GarbageServer garbage;
  ASSERT_TRUE(garbage.started());
  TestClient client(grpc::CreateChannel(garbage.target(), grpc::InsecureChannelCredentials()));
  absl::Status status = Wait(
      StartCast(client, MakeRequest(TestRequest::ECHO), CallOptions().set_timeout(kWait)));
  EXPECT_TRUE(status.ok()) << status;
}

INSTANTIATE_TEST_SUITE_P(, CastForms,
                         ::testing::Values(ClientForm::kBlocking, ClientForm::kAsyncCallback,
                                           ClientForm::kCoroutine),
                         [](const auto& info) { return ClientFormName(info.param); });

}  // namespace
}  // namespace tandem::testing
