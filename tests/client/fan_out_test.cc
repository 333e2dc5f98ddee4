// Fan-out calls (client/fan_out.h and the generated FanOutClient): one unary method called on
// every target at once, one deadline for all of them, one result per target in the order of the
// targets; a target that is down or slow gets its own error, never a failure of the whole. The
// cases about gathering run in each client form.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "asio/co_spawn.hpp"
#include "asio/use_future.hpp"
#include "client/fan_out.h"
#include "executors/coroutine_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/test_service.tandem.h"
#include "server/server.h"
#include "tests/client/dead_port.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using FanOutClient = TestServiceTandem::FanOutClient;
using Results = std::vector<FanOutResult<TestReply>>;

constexpr absl::Duration kWait = absl::Seconds(20);
// How long a slow server's handler holds a SLEEP call unless the call is cancelled first.
constexpr absl::Duration kSlowHandler = absl::Seconds(60);

// A TestService whose Blocking method answers "<server name>:<message>", so that each result
// shows which server gave it. SLEEP holds a slow server's handler until the call is cancelled
// (its deadline) or kSlowHandler has passed; other servers answer it at once. FAIL returns
// (`code`, `message`). The other methods are not implemented.
class NamedService final : public TestServiceTandem::Service<NamedService> {
 public:
  NamedService(std::string name, bool slow) : name_(std::move(name)), slow_(slow) {}

  grpc::Status Blocking(ServerContext& context, const TestRequest& request, TestReply* reply) {
    if (request.action() == TestRequest::FAIL) {
      return grpc::Status(static_cast<grpc::StatusCode>(request.code()), request.message());
    }
    if (request.action() == TestRequest::SLEEP && slow_ &&
        context.WaitForCancellation(kSlowHandler)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while slow");
    }
    reply->set_message(absl::StrCat(name_, ":", request.message()));
    return grpc::Status::OK;
  }

  static constexpr NotImplemented Coroutine{};
  static constexpr NotImplemented Callback{};
  static constexpr NotImplemented CallbackOnPool{};
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

 private:
  const std::string name_;
  const bool slow_;
};

// A Tandem server for one NamedService. Destroying it shuts the server down, cancelling the
// calls still in its handlers.
class NamedServer {
 public:
  static std::unique_ptr<NamedServer> Start(std::string name, bool slow = false,
                                            const std::string& address = "127.0.0.1:0") {
    std::unique_ptr<NamedServer> named(new NamedServer(std::move(name), slow));
    ServerBuilder builder;
    builder.AddListeningPort(address).RegisterService(&named->service_);
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    named->server_ = *std::move(server);
    return named;
  }

  int port() const { return server_->port(); }
  std::string target() const { return absl::StrCat("127.0.0.1:", port()); }

 private:
  NamedServer(std::string name, bool slow) : service_(std::move(name), slow) {}

  NamedService service_;  // outlives the server (members are destroyed bottom-up)
  std::unique_ptr<Server> server_;
};

TestRequest Request(TestRequest::Action action, std::string message) {
  TestRequest request;
  request.set_action(action);
  request.set_message(std::move(message));
  return request;
}

// Every call of the fixtures is bounded: the fan-out's own deadline, and a test limit past it.
CallOptions Within(absl::Duration timeout) { return CallOptions().set_timeout(timeout); }

class FanOutForms : public ::testing::TestWithParam<ClientForm> {
 protected:
  // One fan-out of TestService/Blocking in the form under test.
  Results FanOut(FanOutClient& fan_out, const TestRequest& request, const CallOptions& options) {
    std::future<Results> results;
    switch (GetParam()) {
      case ClientForm::kBlocking:
        results = std::async(std::launch::async, [&fan_out, request, options] {
          return fan_out.Blocking(request, options);
        });
        break;
      case ClientForm::kAsyncCallback: {
        auto promise = std::make_shared<std::promise<Results>>();
        results = promise->get_future();
        fan_out.AsyncBlocking(request, options, [promise](Results gathered) {
          promise->set_value(std::move(gathered));
        });
        break;
      }
      case ClientForm::kCoroutine:
        results = asio::co_spawn(loop_.executor(), fan_out.CoBlocking(request, options),
                                 asio::use_future);
        break;
    }
    if (results.wait_for(absl::ToChronoNanoseconds(2 * kWait)) != std::future_status::ready) {
      ADD_FAILURE() << "the fan-out did not return within " << 2 * kWait;
      return {};
    }
    return results.get();
  }

  CoroutineLoop loop_{{.name = "fan-out-test-loop"}};
};

TEST_P(FanOutForms, GathersOneResultPerTargetInOrderAndADeadTargetGetsItsOwnUnavailable) {
  std::unique_ptr<NamedServer> a = NamedServer::Start("a");
  std::unique_ptr<NamedServer> b = NamedServer::Start("b");
  std::unique_ptr<NamedServer> c = NamedServer::Start("c");
  ASSERT_TRUE(a && b && c);
  DeadPort dead;
  const std::vector<std::string> targets = {a->target(), dead.target(), b->target(),
                                            c->target()};
  absl::StatusOr<FanOutClient> fan_out = FanOutClient::Create(targets);
  ASSERT_TRUE(fan_out.ok()) << fan_out.status();
  EXPECT_EQ(fan_out->targets(), targets);

  Results results = FanOut(*fan_out, Request(TestRequest::ECHO, "hi"), Within(kWait));

  ASSERT_EQ(results.size(), 4);
  for (size_t i = 0; i < targets.size(); ++i) EXPECT_EQ(results[i].target, targets[i]);
  ASSERT_TRUE(results[0].result.ok()) << results[0].result.status();
  EXPECT_EQ(results[0].result->message(), "a:hi");
  EXPECT_EQ(results[1].result.status().code(), absl::StatusCode::kUnavailable)
      << results[1].result.status();
  ASSERT_TRUE(results[2].result.ok()) << results[2].result.status();
  EXPECT_EQ(results[2].result->message(), "b:hi");
  ASSERT_TRUE(results[3].result.ok()) << results[3].result.status();
  EXPECT_EQ(results[3].result->message(), "c:hi");
}

TEST_P(FanOutForms, EachTargetsHandlerErrorIsItsOwnResult) {
  std::unique_ptr<NamedServer> a = NamedServer::Start("a");
  std::unique_ptr<NamedServer> b = NamedServer::Start("b");
  ASSERT_TRUE(a && b);
  absl::StatusOr<FanOutClient> fan_out = FanOutClient::Create({a->target(), b->target()});
  ASSERT_TRUE(fan_out.ok()) << fan_out.status();
  TestRequest request = Request(TestRequest::FAIL, "not here");
  request.set_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));

  Results results = FanOut(*fan_out, request, Within(kWait));

  ASSERT_EQ(results.size(), 2);
  for (const FanOutResult<TestReply>& each : results) {
    EXPECT_EQ(each.result.status().code(), absl::StatusCode::kNotFound) << each.target;
    EXPECT_EQ(each.result.status().message(), "not here") << each.target;
  }
}

TEST_P(FanOutForms, ASlowTargetAloneMissesTheSharedDeadline) {
  std::unique_ptr<NamedServer> a = NamedServer::Start("a");
  std::unique_ptr<NamedServer> slow = NamedServer::Start("slow", /*slow=*/true);
  std::unique_ptr<NamedServer> c = NamedServer::Start("c");
  ASSERT_TRUE(a && slow && c);
  absl::StatusOr<FanOutClient> fan_out =
      FanOutClient::Create({a->target(), slow->target(), c->target()});
  ASSERT_TRUE(fan_out.ok()) << fan_out.status();
  // Connects every channel first, so that the short deadline below is spent on the calls alone.
  for (const auto& warm_up : FanOut(*fan_out, Request(TestRequest::ECHO, ""), Within(kWait))) {
    ASSERT_TRUE(warm_up.result.ok()) << warm_up.target << ": " << warm_up.result.status();
  }

  const absl::Time start = absl::Now();
  Results results =
      FanOut(*fan_out, Request(TestRequest::SLEEP, "late"), Within(absl::Seconds(2)));
  const absl::Duration elapsed = absl::Now() - start;

  ASSERT_EQ(results.size(), 3);
  ASSERT_TRUE(results[0].result.ok()) << results[0].result.status();
  EXPECT_EQ(results[0].result->message(), "a:late");
  EXPECT_EQ(results[1].result.status().code(), absl::StatusCode::kDeadlineExceeded)
      << results[1].result.status();
  ASSERT_TRUE(results[2].result.ok()) << results[2].result.status();
  EXPECT_EQ(results[2].result->message(), "c:late");
  // Ended by the deadline, not by the slow handler.
  EXPECT_LT(elapsed, kSlowHandler / 2);
}

INSTANTIATE_TEST_SUITE_P(, FanOutForms,
                         ::testing::Values(ClientForm::kBlocking, ClientForm::kAsyncCallback,
                                           ClientForm::kCoroutine),
                         [](const auto& info) { return ClientFormName(info.param); });

TEST(FanOut, AnEmptyTargetListIsInvalidArgument) {
  absl::StatusOr<FanOutClient> fan_out = FanOutClient::Create({});
  EXPECT_EQ(fan_out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fan_out.status().message(), HasSubstr("at least one target"));
}

TEST(FanOut, AnEmptyTargetIsInvalidArgument) {
  absl::StatusOr<FanOutClient> fan_out = FanOutClient::Create({"127.0.0.1:50051", ""});
  EXPECT_EQ(fan_out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fan_out.status().message(), HasSubstr("target 1 of 2 is empty"));
}

TEST(FanOut, TheClientMayGoAwayWhileItsCallsAreInFlight) {
  std::unique_ptr<NamedServer> a = NamedServer::Start("a");
  std::unique_ptr<NamedServer> slow = NamedServer::Start("slow", /*slow=*/true);
  ASSERT_TRUE(a && slow);
  auto promise = std::make_shared<std::promise<Results>>();
  std::future<Results> results = promise->get_future();
  {
    absl::StatusOr<FanOutClient> fan_out = FanOutClient::Create({a->target(), slow->target()});
    ASSERT_TRUE(fan_out.ok()) << fan_out.status();
    // The slow target holds the fan-out until its deadline, long after the client is gone.
    fan_out->AsyncBlocking(Request(TestRequest::SLEEP, "x"), Within(absl::Seconds(1)),
                           [promise](Results gathered) {
                             promise->set_value(std::move(gathered));
                           });
  }
  ASSERT_EQ(results.wait_for(absl::ToChronoNanoseconds(kWait)), std::future_status::ready);
  Results gathered = results.get();
  ASSERT_EQ(gathered.size(), 2);
  ASSERT_TRUE(gathered[0].result.ok()) << gathered[0].result.status();
  EXPECT_EQ(gathered[0].result->message(), "a:x");
  EXPECT_EQ(gathered[1].result.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(FanOutDeadline, TheTimeoutBecomesOneAbsoluteDeadline) {
  const absl::Time before = absl::Now();
  const CallOptions options = client_internal::WithOneDeadline(Within(absl::Seconds(5)));
  const absl::Time after = absl::Now();
  EXPECT_EQ(options.timeout(), absl::InfiniteDuration());
  EXPECT_GE(options.deadline(), before + absl::Seconds(5));
  EXPECT_LE(options.deadline(), after + absl::Seconds(5));
}

TEST(FanOutDeadline, AnEarlierDeadlineThanTheTimeoutStands) {
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  const CallOptions options = client_internal::WithOneDeadline(
      CallOptions().set_deadline(deadline).set_timeout(absl::Seconds(60)));
  EXPECT_EQ(options.deadline(), deadline);
  EXPECT_EQ(options.timeout(), absl::InfiniteDuration());
}

TEST(ResolveFanOutTargets, LocalhostResolvesToItsLoopbackAddressesAndFansOutThroughThem) {
  // "localhost:0": the server listens on every address localhost has, on one port.
  std::unique_ptr<NamedServer> local =
      NamedServer::Start("local", /*slow=*/false, "localhost:0");
  ASSERT_TRUE(local);
  const std::string port = absl::StrCat(local->port());

  absl::StatusOr<std::vector<std::string>> targets =
      ResolveFanOutTargets(absl::StrCat("localhost:", port));
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_FALSE(targets->empty());
  for (const std::string& target : *targets) {
    EXPECT_THAT(target, AnyOf(absl::StrCat("ipv4:127.0.0.1:", port),
                              absl::StrCat("ipv6:[::1]:", port)));
  }

  absl::StatusOr<FanOutClient> fan_out = FanOutClient::Create(*targets);
  ASSERT_TRUE(fan_out.ok()) << fan_out.status();
  Results results = fan_out->Blocking(Request(TestRequest::ECHO, "hi"), Within(kWait));
  ASSERT_EQ(results.size(), targets->size());
  for (const FanOutResult<TestReply>& each : results) {
    ASSERT_TRUE(each.result.ok()) << each.target << ": " << each.result.status();
    EXPECT_EQ(each.result->message(), "local:hi");
  }
}

TEST(ResolveFanOutTargets, IpLiteralsNeedNoLookup) {
  EXPECT_EQ(ResolveFanOutTargets("127.0.0.1:50051").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"ipv4:127.0.0.1:50051"});
  EXPECT_EQ(ResolveFanOutTargets("dns:///127.0.0.1:50051").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"ipv4:127.0.0.1:50051"});
  EXPECT_EQ(ResolveFanOutTargets("[::1]:50051").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"ipv6:[::1]:50051"});
}

TEST(ResolveFanOutTargets, ANameThatDoesNotResolveIsAnErrorNamingIt) {
  absl::StatusOr<std::vector<std::string>> targets =
      ResolveFanOutTargets("no-such-host.invalid:50051");
  EXPECT_THAT(targets.status().code(),
              AnyOf(absl::StatusCode::kNotFound, absl::StatusCode::kUnavailable));
  EXPECT_THAT(targets.status().message(), HasSubstr("no-such-host.invalid:50051"));
}

TEST(ResolveFanOutTargets, ANameWithoutAUsablePortIsInvalidArgument) {
  for (const char* name : {"localhost", "localhost:", "localhost:http", "localhost:0",
                           "localhost:70000", "::1:50051", ":50051"}) {
    absl::StatusOr<std::vector<std::string>> targets = ResolveFanOutTargets(name);
    EXPECT_EQ(targets.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(targets.status().message(), HasSubstr(name)) << name;
  }
}

}  // namespace
}  // namespace tandem::testing
