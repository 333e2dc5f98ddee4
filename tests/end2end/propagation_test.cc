// Deadlines and cancellation travel (executors/call_scope.h): a client call made while serving a
// call inherits that call's deadline, less the server's margin, unless its own is earlier, and is
// cancelled with it; a detached call inherits nothing. Each case runs a chain of calls
// A -> B -> C through one handler style and executor, every hop made with that style's own client
// form, and each hop waiting first (so that a fiber or coroutine may resume on another thread,
// and a callback handler continues on a timer thread) unless the case says otherwise.
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/cancellation.h"
#include "executors/fiber_pool.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);
// gRPC sends a deadline as a timeout, which each hop turns back into a deadline on its own
// clock: it may land a little earlier (time in transit) or later (gRPC's cached clock and
// rounding) at each hop.
constexpr absl::Duration kTransitSlack = absl::Milliseconds(500);
constexpr absl::Duration kClockSlack = absl::Milliseconds(250);

struct Setup {
  std::string name;
  Method method;
  bool on_fibers = false;  // the blocking method rebound to a FiberPool
};

std::string SetupName(const ::testing::TestParamInfo<Setup>& info) { return info.param.name; }

class Propagation : public ::testing::TestWithParam<Setup> {
 protected:
  std::unique_ptr<TestServer> Start(absl::Duration margin = absl::ZeroDuration()) {
    return TestServer::Start([margin, on_fibers = GetParam().on_fibers](ServerBuilder& builder,
                                                                       ServiceOptions& options) {
      builder.SetDeadlineMargin(margin);
      if (on_fibers) {
        options.Bind("Blocking", std::make_shared<FiberPool>(
                                     FiberPool::Options{.name = "chain-fibers", .threads = 2}));
      }
    });
  }

  std::string method() const { return MethodName(GetParam().method); }

  // A -> ... -> `last`: `hops` FORWARD calls before it, each waiting `wait_ms` first.
  TestRequest Chain(int hops, TestRequest last, int wait_ms = 3) const {
    TestRequest request = std::move(last);
    for (int hop = 0; hop < hops; ++hop) {
      TestRequest forward = MakeRequest(TestRequest::FORWARD);
      forward.set_forward_method(method());
      forward.set_sleep_ms(wait_ms);
      *forward.mutable_forward() = std::move(request);
      request = std::move(forward);
    }
    return request;
  }

  // One call of the chain through the async client, on a thread of its own.
  std::future<absl::StatusOr<TestReply>> CallInBackground(TestServer& server, TestRequest request,
                                                          CallOptions options) {
    return std::async(std::launch::async, [&server, method = GetParam().method, request, options] {
      return server.Call(method, ClientForm::kAsyncCallback, request, options);
    });
  }
};

absl::Time DeadlineOf(const TestReply& reply) {
  return reply.deadline_unix_ns() == 0 ? absl::InfiniteFuture()
                                       : absl::FromUnixNanos(reply.deadline_unix_ns());
}

TEST_P(Propagation, TheClientsDeadlineReachesTheLastHop) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam().method, ClientForm::kBlocking,
                   Chain(2, MakeRequest(TestRequest::ECHO, "c")),
                   CallOptions().set_deadline(deadline));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "c");
  EXPECT_LE(DeadlineOf(*reply), deadline + kClockSlack);
  EXPECT_GE(DeadlineOf(*reply), deadline - kTransitSlack);
}

TEST_P(Propagation, EachHopKeepsTheServersMarginInHand) {
  const absl::Duration margin = absl::Seconds(2);
  auto server = Start(margin);
  ASSERT_NE(server, nullptr);
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam().method, ClientForm::kBlocking,
                   Chain(2, MakeRequest(TestRequest::ECHO)), CallOptions().set_deadline(deadline));
  ASSERT_TRUE(reply.ok()) << reply.status();
  // A's call to B keeps one margin, B's call to C another.
  EXPECT_LE(DeadlineOf(*reply), deadline - 2 * margin + kClockSlack);
  EXPECT_GE(DeadlineOf(*reply), deadline - 2 * margin - kTransitSlack);
}

TEST_P(Propagation, ACallWithoutADeadlinePassesNoneOn) {
  auto server = Start(absl::Seconds(1));
  ASSERT_NE(server, nullptr);
  absl::StatusOr<TestReply> reply = server->Call(GetParam().method, ClientForm::kBlocking,
                                                 Chain(2, MakeRequest(TestRequest::ECHO)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_FALSE(reply->has_deadline());
}

TEST_P(Propagation, AnOnwardCallsOwnEarlierDeadlineWins) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  TestRequest request = Chain(1, MakeRequest(TestRequest::ECHO));
  request.set_forward_timeout_ms(3000);
  const absl::Time sent = absl::Now();
  absl::StatusOr<TestReply> reply = server->Call(GetParam().method, ClientForm::kBlocking, request,
                                                 CallOptions().set_timeout(absl::Seconds(15)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_LE(DeadlineOf(*reply), absl::Now() + absl::Seconds(3) + kClockSlack);
  EXPECT_GE(DeadlineOf(*reply), sent + absl::Seconds(3) - kTransitSlack);
}

TEST_P(Propagation, AMarginLargerThanTheTimeLeftFailsTheOnwardCallWithoutSendingIt) {
  auto server = Start(absl::Seconds(10));
  ASSERT_NE(server, nullptr);
  absl::StatusOr<TestReply> reply =
      server->Call(GetParam().method, ClientForm::kBlocking,
                   Chain(1, MakeRequest(TestRequest::ECHO), /*wait_ms=*/0),
                   CallOptions().set_timeout(absl::Seconds(5)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();
  EXPECT_EQ(server->StatsOnceIdle(method()).started, 1u) << "the onward call reached the server";
}

TEST_P(Propagation, TheClientsCancellationReachesTheLastHop) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto cancellation = ClientCancellation::Create();
  auto call = CallInBackground(*server, Chain(2, MakeRequest(TestRequest::WAIT_FOR_CANCEL)),
                               CallOptions().set_cancellation(cancellation));
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait)) << "C never started";
  cancellation->Cancel();
  EXPECT_TRUE(server->service().WaitForCancellationsSeen(1, kWait))
      << "C's handler never saw the client's cancellation of A";
  EXPECT_EQ(call.get().status().code(), absl::StatusCode::kCancelled);
  const MethodStats stats = server->StatsOnceIdle(method());
  EXPECT_EQ(stats.started, 3u);
  EXPECT_EQ(stats.finished_error, 3u);
}

TEST_P(Propagation, TheDeadlineOfAnyHopCancelsTheHopsAfterIt) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  // The client sets no deadline; B's call to C has one of its own, shorter than C waits.
  TestRequest to_c = Chain(1, MakeRequest(TestRequest::WAIT_FOR_CANCEL));
  to_c.set_forward_timeout_ms(300);
  TestRequest request = Chain(1, MakeRequest(TestRequest::ECHO));
  *request.mutable_forward() = to_c;
  absl::StatusOr<TestReply> reply = server->Call(GetParam().method, ClientForm::kBlocking, request);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();
  EXPECT_TRUE(server->service().WaitForCancellationsSeen(1, kWait));
}

TEST_P(Propagation, ADetachedCallSurvivesItsCaller) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  auto cancellation = ClientCancellation::Create();
  TestRequest sleep = MakeRequest(TestRequest::SLEEP, "detached");
  sleep.set_sleep_ms(1500);
  TestRequest request = Chain(1, sleep, /*wait_ms=*/0);
  request.set_detached(true);
  auto call = CallInBackground(*server, request,
                               CallOptions().set_cancellation(cancellation).set_timeout(kWait));
  ASSERT_TRUE(server->WaitUntilReceived(method(), 2)) << "the detached call never started";
  cancellation->Cancel();
  EXPECT_EQ(call.get().status().code(), absl::StatusCode::kCancelled);
  const MethodStats stats = server->StatsOnceIdle(method());
  EXPECT_EQ(stats.finished_ok, 1u) << "the detached call was cancelled with its caller";
  EXPECT_EQ(stats.finished_error, 1u);
}

TEST_P(Propagation, ConcurrentChainsEachCarryTheirOwnDeadline) {
  // Interleaved on the same threads, fibers and loop: each hop must see its own call's scope.
  auto server = Start();
  ASSERT_NE(server, nullptr);
  constexpr int kChains = 5;
  std::vector<absl::Time> deadlines;
  std::vector<std::future<absl::StatusOr<TestReply>>> calls;
  for (int i = 0; i < kChains; ++i) {
    deadlines.push_back(absl::Now() + absl::Seconds(10 + 10 * i));
    calls.push_back(CallInBackground(*server, Chain(2, MakeRequest(TestRequest::ECHO)),
                                     CallOptions().set_deadline(deadlines.back())));
  }
  for (int i = 0; i < kChains; ++i) {
    absl::StatusOr<TestReply> reply = calls[i].get();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_LE(DeadlineOf(*reply), deadlines[i] + kClockSlack) << "chain " << i;
    EXPECT_GE(DeadlineOf(*reply), deadlines[i] - kTransitSlack) << "chain " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryStyle, Propagation,
    ::testing::Values(Setup{"BlockingOnThreads", Method::kBlocking},
                      Setup{"BlockingOnFibers", Method::kBlocking, /*on_fibers=*/true},
                      Setup{"Coroutine", Method::kCoroutine}, Setup{"Callback", Method::kCallback},
                      Setup{"CallbackOnPool", Method::kCallbackOnPool}),
    SetupName);

TEST(PropagationConfig, ANegativeMarginIsRefusedAtBuildAndStart) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0").RegisterService(&service);
  builder.SetDeadlineMargin(absl::Milliseconds(-1));
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("SetDeadlineMargin"), std::string::npos)
      << server.status();
}

}  // namespace
}  // namespace tandem::testing
