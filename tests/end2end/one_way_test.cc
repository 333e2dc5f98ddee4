// One-way methods (ServiceOptions::SetOneWay): a call is answered OK, with an empty response, as
// soon as its executor has taken it, and its handler runs afterwards, in every style; how the
// handler ended is counted and never sent. Overload control still answers RESOURCE_EXHAUSTED to
// the caller, and Shutdown waits for the handlers still running. Unusable options fail
// BuildAndStart.
#include <future>
#include <memory>
#include <string>

#include "asio/co_spawn.hpp"
#include "asio/use_future.hpp"
#include "executors/coroutine_loop.h"
#include "executors/thread_pool.h"
#include "gtest/gtest.h"
#include "server/concurrency_limiter.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

// The stats of `method` once `total` one-way handlers have ended, polled.
MethodStats OneWayStatsOnceEnded(TestServer& server, absl::string_view method, uint64_t total) {
  MethodStats stats;
  const absl::Time give_up = absl::Now() + kWait;
  do {
    stats = server.StatsOf(method);
    if (stats.one_way_ok + stats.one_way_failed >= total) break;
    absl::SleepFor(absl::Milliseconds(5));
  } while (absl::Now() < give_up);
  return stats;
}

class OneWay : public ::testing::TestWithParam<Method> {
 protected:
  std::string method() const { return MethodName(GetParam()); }

  std::unique_ptr<TestServer> StartOneWay(TestServer::Configure more = nullptr) {
    return TestServer::Start([&](ServerBuilder& builder, ServiceOptions& service) {
      service.SetOneWay(method());
      if (more) more(builder, service);
    });
  }
};

TEST_P(OneWay, IsAcknowledgedBeforeItsHandlerFinishes) {
  auto server = StartOneWay();
  absl::StatusOr<TestReply> reply = server->Call(GetParam(), ClientForm::kBlocking,
                                                 MakeRequest(TestRequest::WAIT_FOR_CANCEL, "held"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "");  // the acknowledgement is an empty response
  // The handler is still running, with no deadline: only shutdown cancels it.
  EXPECT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  MethodStats stats = server->StatsOnceIdle(method());
  EXPECT_TRUE(stats.one_way);
  EXPECT_EQ(stats.finished_ok, 1);  // the acknowledgement
  EXPECT_EQ(stats.one_way_ok + stats.one_way_failed, 0);
  server->server().Shutdown(absl::Milliseconds(100));
  stats = server->StatsOf(method());
  EXPECT_EQ(stats.one_way_failed, 1);  // cancelled by the shutdown
  EXPECT_EQ(stats.ran, 1);
}

TEST_P(OneWay, HandlerFailuresAreCountedNotSent) {
  auto server = StartOneWay();
  TestRequest fail = MakeRequest(TestRequest::FAIL, "no");
  fail.set_code(grpc::StatusCode::FAILED_PRECONDITION);
  for (const TestRequest& request : {fail, MakeRequest(TestRequest::THROW, "boom"),
                                     MakeRequest(TestRequest::ECHO, "fine")}) {
    absl::StatusOr<TestReply> reply =
        server->Call(GetParam(), ClientForm::kAsyncCallback, request);
    EXPECT_TRUE(reply.ok()) << reply.status();
  }
  const MethodStats stats = OneWayStatsOnceEnded(*server, method(), 3);
  EXPECT_EQ(stats.one_way_ok, 1);
  EXPECT_EQ(stats.one_way_failed, 2);
  EXPECT_EQ(stats.exceptions, 1);
}

TEST_P(OneWay, ACallShedAtTheDoorGetsItsResourceExhausted) {
  // One place, shared with another method (not one-way), which a held call takes.
  auto limiter = ConcurrencyLimiter::Fixed(1);
  const Method other = GetParam() == Method::kCoroutine ? Method::kBlocking : Method::kCoroutine;
  auto server = StartOneWay([&](ServerBuilder&, ServiceOptions& service) {
    service.SetConcurrencyLimiter(method(), limiter)
        .SetConcurrencyLimiter(MethodName(other), limiter);
  });
  auto held = std::async(std::launch::async, [&] {
    return server->Call(other, ClientForm::kBlocking, MakeRequest(TestRequest::WAIT_FOR_CANCEL),
                        CallOptions().set_timeout(absl::Seconds(2)));
  });
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted) << reply.status();
  EXPECT_EQ(held.get().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server->StatsOf(method()).shed, 1);
}

TEST_P(OneWay, ShutdownWaitsForHandlersStillRunning) {
  auto server = StartOneWay();
  TestRequest sleep = MakeRequest(TestRequest::SLEEP, "late");
  sleep.set_sleep_ms(300);
  ASSERT_TRUE(server->Call(GetParam(), ClientForm::kBlocking, sleep).ok());
  server->server().Shutdown(absl::Seconds(10));
  const MethodStats stats = server->StatsOf(method());
  EXPECT_EQ(stats.one_way_ok, 1);
}

INSTANTIATE_TEST_SUITE_P(EveryStyle, OneWay,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine,
                                           Method::kCallback, Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

// The generated client's cast forms return once the server acknowledged the call, which for a
// one-way method is while its handler still runs.
class CastToOneWay : public ::testing::TestWithParam<ClientForm> {
 protected:
  absl::Status Cast(TestServer& server, const TestRequest& request) {
    TestServiceTandem::Client& client = server.client();
    const CallOptions options = CallOptions().set_timeout(kWait);
    switch (GetParam()) {
      case ClientForm::kBlocking:
        return client.CastBlocking(request, options);
      case ClientForm::kAsyncCallback:
        return client.AsyncCastBlocking(request, options, asio::use_future).get();
      case ClientForm::kCoroutine:
        return asio::co_spawn(loop_.executor(), client.CoCastBlocking(request, options),
                              asio::use_future)
            .get();
    }
    return absl::InternalError("unknown client form");
  }

  CoroutineLoop loop_{CoroutineLoop::Options{.name = "cast-client"}};
};

TEST_P(CastToOneWay, ReturnsOnceAcknowledgedWhileTheHandlerRuns) {
  auto server = TestServer::Start(
      [](ServerBuilder&, ServiceOptions& service) { service.SetOneWay("Blocking"); });
  EXPECT_TRUE(Cast(*server, MakeRequest(TestRequest::BLOCK)).ok());
  EXPECT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  EXPECT_EQ(server->StatsOf("Blocking").one_way_ok, 0);
  server->service().Release();
  EXPECT_EQ(OneWayStatsOnceEnded(*server, "Blocking", 1).one_way_ok, 1);
}

INSTANTIATE_TEST_SUITE_P(EveryClientForm, CastToOneWay,
                         ::testing::Values(ClientForm::kBlocking, ClientForm::kAsyncCallback,
                                           ClientForm::kCoroutine),
                         [](const auto& info) { return ClientFormName(info.param); });

TEST(OneWayRefused, AnExecutorThatRefusesAnswersResourceExhausted) {
  auto pool = std::make_shared<ThreadPool>(
      ThreadPool::Options{.name = "tiny", .threads = 1, .max_queue = 1});
  auto server = TestServer::Start([&](ServerBuilder& builder, ServiceOptions& service) {
    builder.SetExecutorConcurrencyLimiter(pool, ConcurrencyLimiter::Fixed(1 << 20));
    service.SetOneWay("Blocking").Bind("Blocking", pool);
  });
  // The one thread is held, then the one place in the queue is taken.
  ASSERT_TRUE(
      server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::BLOCK)).ok());
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));
  ASSERT_TRUE(
      server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO)).ok());
  absl::StatusOr<TestReply> refused =
      server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(refused.status().message(),
            "/tandem.testing.TestService/Blocking: executor 'tiny' refused the call (queue full "
            "or shutting down)");
  server->service().Release();
  const MethodStats stats = OneWayStatsOnceEnded(*server, "Blocking", 2);
  EXPECT_EQ(stats.one_way_ok, 2);
  EXPECT_EQ(stats.one_way_failed, 0);  // the refused call was answered, not lost
  EXPECT_EQ(stats.rejected, 1);
}

// BuildAndStart's error for `method` made one-way.
std::string OneWayBuildError(std::string method) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0")
      .RegisterService(&service, ServiceOptions().SetOneWay(std::move(method)));
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  return server.ok() ? "started" : std::string(server.status().message());
}

TEST(OneWayOptionsAreChecked, AtBuildAndStart) {
  EXPECT_EQ(OneWayBuildError("Nope"),
            "service tandem.testing.TestService has no method 'Nope' (ServiceOptions::SetOneWay "
            "takes the method's name as written in the .proto)");
  EXPECT_EQ(OneWayBuildError("ServerStreamBlocking"),
            "/tandem.testing.TestService/ServerStreamBlocking: ServiceOptions::SetOneWay takes "
            "unary methods only");
  EXPECT_EQ(OneWayBuildError("Unimplemented"),
            "/tandem.testing.TestService/Unimplemented: ServiceOptions::SetOneWay names a method "
            "declared tandem::NotImplemented");
}

}  // namespace
}  // namespace tandem::testing
