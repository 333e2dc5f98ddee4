// Shadow calls (ServiceOptions::Shadow): a candidate implementation of a unary method runs on a
// copy of each shadowed call after the primary has answered; its answers are compared with the
// primary's and counted (matches, mismatches, candidate errors, skips), and the first mismatches
// are kept with the fields that differ. Whatever the candidate does (differ, throw, hang), the
// primary's calls answer as they would unshadowed. Every primary style is shadowed by a
// candidate written in another style. Bad shadow options fail BuildAndStart.
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "asio/use_awaitable.hpp"
#include "examples/greeter/greeter_service.h"
#include "executors/blocking.h"
#include "executors/fiber_pool.h"
#include "executors/thread_pool.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

// TestService's unary methods rewritten, each in another style than TestServiceImpl's: it
// answers ECHO and FAIL as TestServiceImpl does, except where the request's message asks it not
// to: "differ..." changes the answer, "throw" throws, "hang" waits until the call is cancelled
// (its deadline passed, or the server shuts down) or the test releases it, and "await
// cancellation" waits for the cancellation to be reported (Blocking's coroutine and Coroutine's
// callback only).
class CandidateService final : public TestServiceTandem::Service<CandidateService> {
 public:
  // Candidate of the blocking Blocking: a coroutine.
  Task<grpc::Status> Blocking(ServerContext& context, const TestRequest& request,
                              TestReply* reply) {
    if (request.message() == "hang") {
      while (!released_.HasBeenNotified() && !context.IsCancelled()) {
        co_await AsyncSleepFor(absl::Milliseconds(5));
      }
    }
    if (request.message() == "await cancellation") {
      co_await context.AsyncWaitCancelled(asio::use_awaitable);
      co_return Cancelled();
    }
    co_return Answer(context, request, reply, "coroutine");
  }
  // Candidate of the coroutine Coroutine: a callback.
  void Coroutine(ServerContext& context, const TestRequest& request,
                 UnaryResponder<TestReply> responder) {
    if (request.message() == "await cancellation") {
      context.AsyncWaitCancelled(
          [responder = std::move(responder)]() mutable { responder.Finish(Cancelled()); });
      return;
    }
    responder.Finish(Answer(context, request, responder.response(), "callback"));
  }
  // Candidates of the two callback methods: blocking.
  grpc::Status Callback(ServerContext& context, const TestRequest& request, TestReply* reply) {
    return BlockingAnswer(context, request, reply);
  }
  grpc::Status CallbackOnPool(ServerContext& context, const TestRequest& request,
                              TestReply* reply) {
    return BlockingAnswer(context, request, reply);
  }
  static constexpr NotImplemented Unimplemented{};
  static constexpr NotImplemented ServerStreamBlocking{};
  static constexpr NotImplemented ServerStreamCoroutine{};
  static constexpr NotImplemented ServerStreamCallback{};
  static constexpr NotImplemented ClientStreamBlocking{};
  static constexpr NotImplemented ClientStreamCoroutine{};
  static constexpr NotImplemented ClientStreamCallback{};
  static constexpr NotImplemented BidiBlocking{};
  static constexpr NotImplemented BidiCoroutine{};
  static constexpr NotImplemented BidiCallback{};

  void Release() { released_.Notify(); }
  int hanging() const { return hanging_.load(); }

 private:
  grpc::Status BlockingAnswer(ServerContext& context, const TestRequest& request,
                              TestReply* reply) {
    if (request.message() == "hang") {
      ++hanging_;
      while (!released_.HasBeenNotified() &&
             !context.WaitForCancellation(absl::Milliseconds(5))) {
      }
      --hanging_;
    }
    return Answer(context, request, reply, "blocking");
  }

  static grpc::Status Cancelled() {
    return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
  }
  static grpc::Status Answer(ServerContext& context, const TestRequest& request,
                             TestReply* reply, absl::string_view style) {
    if (request.message() == "throw") throw std::runtime_error("candidate threw");
    reply->set_handler_style(std::string(style));
    reply->set_peer(context.peer());
    reply->set_server_pid(getpid());
    reply->set_has_deadline(context.deadline() != absl::InfiniteFuture());
    reply->set_deadline_unix_ns(reply->has_deadline() ? absl::ToUnixNanos(context.deadline())
                                                      : 0);
    reply->set_priority(std::string(PriorityName(context.priority())));
    if (request.action() == TestRequest::ECHO_METADATA) {
      reply->set_message(std::string(context.FindClientMetadata("x-echo").value_or("")));
      return grpc::Status::OK;
    }
    const bool differ = absl::StartsWith(request.message(), "differ");
    if (request.action() == TestRequest::FAIL && !differ) {
      return grpc::Status(static_cast<grpc::StatusCode>(request.code()), request.message());
    }
    reply->set_message(differ ? request.message() + "!" : request.message());
    return grpc::Status::OK;
  }

  absl::Notification released_;
  std::atomic<int> hanging_{0};
};

// The fields that differ between any two handlers of TestService, whatever they answer.
ShadowOptions Compared(ShadowOptions options = {}) {
  options.ignored_fields = {"handler_style", "received_unix_ns", "started_unix_ns"};
  return options;
}

// The stats of `method` once its shadows have all been compared, `total` of them, and its calls
// have all been recorded as finished (a call ends on the server a moment after its client hears
// the status): polled.
MethodStats ShadowStatsOnceSettled(TestServer& server, absl::string_view method, uint64_t total) {
  MethodStats stats;
  const absl::Time give_up = absl::Now() + kWait;
  do {
    stats = server.StatsOf(method);
    if (stats.shadow_in_flight == 0 && stats.started == stats.finished_ok + stats.finished_error &&
        stats.shadow_matches + stats.shadow_mismatches + stats.shadow_candidate_errors >= total) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  } while (absl::Now() < give_up);
  return stats;
}

TestRequest Echo(std::string message) { return MakeRequest(TestRequest::ECHO, std::move(message)); }

class Shadowing : public ::testing::TestWithParam<Method> {
 protected:
  std::string method() const { return MethodName(GetParam()); }

  std::unique_ptr<TestServer> StartShadowed(ShadowOptions options) {
    return TestServer::Start([&](ServerBuilder&, ServiceOptions& service) {
      service.Shadow(method(), candidate_, std::move(options));
    });
  }

  // Declared first: outlives the server.
  CandidateService candidate_;
};

TEST_P(Shadowing, CountsMatchesAndMismatchesAndKeepsTheFieldsThatDiffered) {
  auto server = StartShadowed(Compared());
  for (const char* message : {"a", "b", "differ 1", "c", "differ 2", "d"}) {
    absl::StatusOr<TestReply> reply =
        server->Call(GetParam(), ClientForm::kBlocking, Echo(message),
                     CallOptions().set_timeout(absl::Seconds(30)));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), message);  // the primary's answer, always
  }
  const MethodStats stats = ShadowStatsOnceSettled(*server, method(), 6);
  EXPECT_TRUE(stats.shadowed);
  EXPECT_EQ(stats.shadow_matches, 4);
  EXPECT_EQ(stats.shadow_mismatches, 2);
  EXPECT_EQ(stats.shadow_candidate_errors, 0);
  EXPECT_EQ(stats.shadow_skipped, 0);
  EXPECT_EQ(stats.shadow_in_flight, 0);
  ASSERT_EQ(stats.shadow_mismatch_samples.size(), 2);
  EXPECT_EQ(stats.shadow_mismatch_samples[0], "response: message differs");
  EXPECT_NE(stats.shadow_style, stats.style);
  EXPECT_EQ(stats.finished_ok, 6);
}

TEST_P(Shadowing, ComparesStatusesToo) {
  auto server = StartShadowed(Compared());
  TestRequest fail = MakeRequest(TestRequest::FAIL, "gone");
  fail.set_code(grpc::StatusCode::NOT_FOUND);
  TestRequest fail_differently = fail;
  fail_differently.set_message("differ: gone");
  for (const TestRequest& request : {fail, fail_differently}) {
    absl::StatusOr<TestReply> reply = server->Call(GetParam(), ClientForm::kBlocking, request);
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);
  }
  const MethodStats stats = ShadowStatsOnceSettled(*server, method(), 2);
  EXPECT_EQ(stats.shadow_matches, 1);
  EXPECT_EQ(stats.shadow_mismatches, 1);
  ASSERT_EQ(stats.shadow_mismatch_samples.size(), 1);
  EXPECT_EQ(stats.shadow_mismatch_samples[0],
            "status: primary NOT_FOUND 'differ: gone', candidate OK");
}

TEST_P(Shadowing, TheCandidateSeesTheCallersMetadataPeerAndDeadline) {
  auto server = StartShadowed(Compared());
  // The candidate answers the metadata it sees; the peer and deadline it sees are compared too.
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam(), ClientForm::kBlocking, MakeRequest(TestRequest::ECHO_METADATA),
                   CallOptions().AddMetadata("x-echo", "seen").set_timeout(absl::Seconds(30)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "seen");
  const MethodStats stats = ShadowStatsOnceSettled(*server, method(), 1);
  EXPECT_EQ(stats.shadow_matches, 1) << ::testing::PrintToString(stats.shadow_mismatch_samples);
}

TEST_P(Shadowing, ACandidateThatThrowsCostsOnlyItsComparison) {
  auto server = StartShadowed(Compared());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<TestReply> reply = server->Call(GetParam(), ClientForm::kAsyncCallback,
                                                   Echo("throw"));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), "throw");
  }
  const MethodStats stats = ShadowStatsOnceSettled(*server, method(), 3);
  EXPECT_EQ(stats.shadow_candidate_errors, 3);
  EXPECT_EQ(stats.shadow_matches + stats.shadow_mismatches, 0);
  EXPECT_EQ(stats.exceptions, 0);  // the primary's
}

TEST_P(Shadowing, ShadowsTheShareAsked) {
  ShadowOptions options = Compared();
  options.share = 0.25;
  auto server = StartShadowed(options);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(server->Call(GetParam(), ClientForm::kCoroutine, Echo("x")).ok());
  }
  const MethodStats stats = ShadowStatsOnceSettled(*server, method(), 2);
  EXPECT_EQ(stats.shadow_matches, 2);
  EXPECT_EQ(stats.shadow_skipped, 0);
}

TEST_P(Shadowing, NothingIsShadowedAtShareZero) {
  ShadowOptions options = Compared();
  options.share = 0;
  auto server = StartShadowed(options);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(server->Call(GetParam(), ClientForm::kBlocking, Echo("x")).ok());
  }
  const MethodStats stats = server->StatsOnceIdle(method());
  EXPECT_EQ(stats.shadow_matches + stats.shadow_mismatches + stats.shadow_candidate_errors +
                stats.shadow_skipped,
            0);
}

INSTANTIATE_TEST_SUITE_P(EveryPrimaryStyle, Shadowing,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine,
                                           Method::kCallback, Method::kCallbackOnPool),
                         [](const auto& info) { return MethodName(info.param); });

// The hanging candidates: Blocking's (a coroutine) and Callback's (blocking, on a pool of its
// own: a thread pool or a fiber pool).
class HangingCandidate : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<TestServer> StartShadowed(ShadowOptions options) {
    if (GetParam() == "Callback") options.executor = pool_;
    return TestServer::Start([&](ServerBuilder&, ServiceOptions& service) {
      service.Shadow(GetParam(), candidate_, std::move(options));
    });
  }
  Method method() const { return *MethodNamed(GetParam()); }

  CandidateService candidate_;
  std::shared_ptr<Executor> pool_ =
      std::make_shared<ThreadPool>(ThreadPool::Options{.name = "candidates", .threads = 4});
};

TEST_P(HangingCandidate, NeverDelaysThePrimaryAndStaysWithinItsBound) {
  ShadowOptions options = Compared();
  options.max_in_flight = 2;
  auto server = StartShadowed(options);
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<TestReply> reply = server->Call(method(), ClientForm::kBlocking, Echo("hang"),
                                                   CallOptions(), absl::Seconds(10));
    ASSERT_TRUE(reply.ok()) << reply.status();
  }
  MethodStats stats = server->StatsOf(GetParam());
  EXPECT_EQ(stats.shadow_in_flight, 2);
  EXPECT_EQ(stats.shadow_skipped, 3);
  candidate_.Release();
  stats = ShadowStatsOnceSettled(*server, GetParam(), 2);
  EXPECT_EQ(stats.shadow_matches, 2);
  EXPECT_EQ(stats.shadow_skipped, 3);
}

TEST_P(HangingCandidate, AnswerPastTheDeadlineIsACandidateError) {
  auto server = StartShadowed(Compared());
  absl::StatusOr<TestReply> reply =
      server->Call(method(), ClientForm::kBlocking, Echo("hang"),
                   CallOptions().set_timeout(absl::Milliseconds(300)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  const MethodStats stats = ShadowStatsOnceSettled(*server, GetParam(), 1);
  EXPECT_EQ(stats.shadow_candidate_errors, 1);
  EXPECT_EQ(stats.shadow_matches, 0);
}

TEST_P(HangingCandidate, ShutdownCancelsItAfterTheGrace) {
  auto server = StartShadowed(Compared());
  ASSERT_TRUE(server->Call(method(), ClientForm::kBlocking, Echo("hang")).ok());
  const absl::Time start = absl::Now();
  server->server().Shutdown(absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, kWait);
  const MethodStats stats = server->StatsOf(GetParam());
  EXPECT_EQ(stats.shadow_in_flight, 0);
  EXPECT_EQ(stats.shadow_matches + stats.shadow_mismatches + stats.shadow_candidate_errors, 1);
}

// No gRPC call enforces a shadow's deadline. A candidate that waits for its call's cancellation
// to be reported (AsyncWaitCancelled, in a coroutine or a callback) is still cancelled at the
// primary's deadline, and gives its place back then, not at shutdown.
class AwaitingCandidate : public ::testing::TestWithParam<Method> {};

TEST_P(AwaitingCandidate, IsCancelledAtThePrimarysDeadline) {
  CandidateService candidate;
  auto server = TestServer::Start([&](ServerBuilder&, ServiceOptions& service) {
    service.Shadow(MethodName(GetParam()), candidate, Compared());
  });
  ASSERT_TRUE(server
                  ->Call(GetParam(), ClientForm::kBlocking, Echo("await cancellation"),
                         CallOptions().set_timeout(absl::Milliseconds(300)))
                  .ok());
  const MethodStats stats = ShadowStatsOnceSettled(*server, MethodName(GetParam()), 1);
  EXPECT_EQ(stats.shadow_in_flight, 0);
  EXPECT_EQ(stats.shadow_candidate_errors, 1);
}

INSTANTIATE_TEST_SUITE_P(CoroutineAndCallbackCandidates, AwaitingCandidate,
                         ::testing::Values(Method::kBlocking, Method::kCoroutine),
                         [](const auto& info) { return MethodName(info.param); });

INSTANTIATE_TEST_SUITE_P(CoroutineAndBlocking, HangingCandidate,
                         ::testing::Values("Blocking", "Callback"),
                         [](const auto& info) { return info.param; });

TEST(ShadowOnFibers, ABlockingCandidateRunsOnAFiberPool) {
  CandidateService candidate;
  auto fibers = std::make_shared<FiberPool>(FiberPool::Options{.name = "candidate-fibers"});
  ShadowOptions options = Compared();
  options.executor = fibers;
  auto server = TestServer::Start([&](ServerBuilder&, ServiceOptions& service) {
    service.Shadow("Callback", candidate, options);
  });
  for (const char* message : {"a", "differ"}) {
    ASSERT_TRUE(server->Call(Method::kCallback, ClientForm::kBlocking, Echo(message)).ok());
  }
  const MethodStats stats = ShadowStatsOnceSettled(*server, "Callback", 2);
  EXPECT_EQ(stats.shadow_executor, "candidate-fibers");
  EXPECT_EQ(stats.shadow_style, HandlerStyle::kBlocking);
  EXPECT_EQ(stats.shadow_matches, 1);
  EXPECT_EQ(stats.shadow_mismatches, 1);
}

// BuildAndStart's error for `configure`d shadow options.
std::string BuildError(const std::function<void(ServiceOptions&)>& configure) {
  TestServiceImpl service;
  ServiceOptions options;
  configure(options);
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0").RegisterService(&service, options);
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  return server.ok() ? "started" : std::string(server.status().message());
}

TEST(ShadowOptionsAreChecked, AtBuildAndStart) {
  CandidateService candidate;
  examples::GreeterService greeter;
  auto with = [&](std::string method, ShadowOptions options) {
    return BuildError([&](ServiceOptions& service) {
      service.Shadow(std::move(method), candidate, std::move(options));
    });
  };
  EXPECT_EQ(with("Nope", {}),
            "service tandem.testing.TestService has no method 'Nope' (ServiceOptions::Shadow "
            "takes the method's name as written in the .proto)");
  EXPECT_EQ(with("BidiBlocking", {}),
            "/tandem.testing.TestService/BidiBlocking: ServiceOptions::Shadow takes unary "
            "methods only");
  EXPECT_EQ(with("Blocking", {.share = 1.5}),
            "/tandem.testing.TestService/Blocking: ShadowOptions::share must be in [0, 1], not "
            "1.5");
  EXPECT_EQ(with("Blocking", {.share = -0.1}),
            "/tandem.testing.TestService/Blocking: ShadowOptions::share must be in [0, 1], not "
            "-0.1");
  EXPECT_EQ(with("Blocking", {.max_in_flight = 0}),
            "/tandem.testing.TestService/Blocking: ShadowOptions::max_in_flight must be "
            "positive, not 0");
  EXPECT_EQ(with("Blocking", {.ignored_fields = {"message", "meta.id"}}),
            "/tandem.testing.TestService/Blocking: ShadowOptions::ignored_fields: 'meta.id' is "
            "not a field of tandem.testing.TestReply (name fields by their path from it, e.g. "
            "\"meta.request_id\")");
  EXPECT_EQ(with("Blocking", {.executor = std::make_shared<CoroutineLoop>(
                                  CoroutineLoop::Options{.name = "loop"})}),
            "started");  // Blocking's candidate is a coroutine
  EXPECT_EQ(with("Callback", {.executor = std::make_shared<CoroutineLoop>(
                                  CoroutineLoop::Options{.name = "loop"})}),
            "/tandem.testing.TestService/Callback (shadow candidate): cannot bind a blocking "
            "handler to coroutine loop executor 'loop': a blocking handler needs an executor "
            "where it may wait (a ThreadPool or FiberPool)");
  EXPECT_EQ(BuildError([&](ServiceOptions& service) { service.Shadow("Blocking", greeter); }),
            "/tandem.testing.TestService/Blocking: the shadow candidate implements "
            "tandem.examples.Greeter, another service");
  EXPECT_EQ(BuildError([&](ServiceOptions& service) {
              service.SetOneWay("Blocking").Shadow("Blocking", candidate);
            }),
            "/tandem.testing.TestService/Blocking: a one-way method cannot be shadowed (its "
            "reply is empty)");
}

}  // namespace
}  // namespace tandem::testing
