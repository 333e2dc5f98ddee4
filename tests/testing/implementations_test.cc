// ImplementationTest (testing/implementations.h): each case runs its named implementation on its
// named executor binding, on a server and instance of its own, under a test name that says which.
// (That a failing case is reported under its name: implementations_failure_report_test.sh.)
#include "testing/implementations.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "executors/thread_pool.h"
#include "gtest/gtest.h"
#include "tests/testing/echo_services.h"

namespace tandem::testing {
namespace {

EchoRequest Message(std::string message) {
  EchoRequest request;
  request.set_message(std::move(message));
  return request;
}

// Besides Threads and Fibers: no binding, the server's own pool.
ExecutorBinding ServerPool() { return {.name = "ServerPool"}; }

std::vector<Implementation> Echoes() {
  return {Implementation::Of<BlockingEcho>("BlockingEcho"),
          Implementation::Of<CoroutineEcho>("CoroutineEcho")};
}

using EchoImplementations = ImplementationTest<EchoTandem>;

TEST_P(EchoImplementations, TheTestIsNamedAfterItsCase) {
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  EXPECT_TRUE(absl::EndsWith(name, "/" + GetParam().name())) << name;
  EXPECT_EQ(server().implementation_name(), GetParam().implementation.name);
  EXPECT_EQ(server().binding_name(), GetParam().executors.name);
}

TEST_P(EchoImplementations, RunsTheNamedImplementationOnTheNamedExecutor) {
  absl::StatusOr<EchoReply> reply = client().Say(Message("hi"), call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "hi");
  EXPECT_EQ(reply->implementation(), GetParam().implementation.name);

  const MethodStats stats = SayStats(server());
  const ExecutorKind kind = KindOf(server(), stats.executor);
  if (GetParam().implementation.name == "CoroutineEcho") {
    // A coroutine runs on the server's loop under every binding.
    EXPECT_EQ(stats.style, HandlerStyle::kCoroutine);
    EXPECT_EQ(kind, ExecutorKind::kCoroutineLoop);
    EXPECT_FALSE(reply->on_fiber());
    return;
  }
  EXPECT_EQ(stats.style, HandlerStyle::kBlocking);
  const std::string& binding = GetParam().executors.name;
  if (binding == "Threads") {
    EXPECT_EQ(stats.executor, ExecutorBinding::kThreadsExecutorName);
    EXPECT_EQ(kind, ExecutorKind::kThreadPool);
    EXPECT_FALSE(reply->on_fiber());
  } else if (binding == "Fibers") {
    EXPECT_EQ(stats.executor, ExecutorBinding::kFibersExecutorName);
    EXPECT_EQ(kind, ExecutorKind::kFiberPool);
    EXPECT_TRUE(reply->on_fiber());
  } else {
    EXPECT_EQ(stats.executor, ThreadPool::Options().name);
    EXPECT_EQ(kind, ExecutorKind::kThreadPool);
    EXPECT_FALSE(reply->on_fiber());
  }
}

TEST_P(EchoImplementations, EachCaseHasAServerAndInstanceOfItsOwn) {
  EXPECT_EQ(SayStats(server()).started, 0u) << "the server served calls of another case";
  absl::StatusOr<EchoReply> reply = client().Say(Message("hi"), call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->calls(), 1) << "the instance answered calls of another case";
}

INSTANTIATE_TEST_SUITE_P(Echo, EchoImplementations,
                         EveryCase(Echoes(), {ExecutorBinding::Threads(),
                                              ExecutorBinding::Fibers(), ServerPool()}),
                         CaseName);

// A suite adds ServiceOptions to every case by overriding ServerOptions.
class BoundEchoImplementations : public ImplementationTest<EchoTandem> {
 protected:
  InProcessServer::Options ServerOptions() override {
    return {.service_options = ServiceOptions().Bind("Say", pool_)};
  }

  std::shared_ptr<ThreadPool> pool_ =
      std::make_shared<ThreadPool>(ThreadPool::Options{.name = "bound-by-suite", .threads = 2});
};

TEST_P(BoundEchoImplementations, ServerOptionsApplyToEveryCase) {
  absl::StatusOr<EchoReply> reply = client().Say(Message("hi"), call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(SayStats(server()).executor, "bound-by-suite");
  EXPECT_FALSE(reply->on_fiber());
}

INSTANTIATE_TEST_SUITE_P(Echo, BoundEchoImplementations,
                         EveryCase({Implementation::Of<BlockingEcho>("BlockingEcho")}), CaseName);

TEST(ImplementationCases, EveryImplementationOnEveryBindingInOrder) {
  std::vector<std::string> names;
  for (const ImplementationCase& implementation_case : EveryCaseOf(Echoes())) {
    names.push_back(implementation_case.name());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"BlockingEcho_Threads", "BlockingEcho_Fibers",
                                             "CoroutineEcho_Threads", "CoroutineEcho_Fibers"}));
}

TEST(ImplementationCases, PrintAsImplementationOnBinding) {
  EXPECT_EQ(::testing::PrintToString(EveryCaseOf(Echoes()).back()), "CoroutineEcho on Fibers");
  EXPECT_EQ(::testing::PrintToString(
                ImplementationCase{.implementation = Echoes().front(), .executors = {}}),
            "BlockingEcho on the server's own pool");
}

}  // namespace
}  // namespace tandem::testing
