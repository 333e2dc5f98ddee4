// InProcessServer (testing/in_process_server.h): a service on a free loopback port, its blocking
// handlers on the binding's executor, a fresh instance per server, shut down on destruction.
#include "testing/in_process_server.h"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "executors/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/echo_services.h"
#include "testing/executor_binding.h"
#include "testing/implementation.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

CallOptions Within() { return CallOptions().set_timeout(absl::Seconds(20)); }

EchoRequest Message(std::string message) {
  EchoRequest request;
  request.set_message(std::move(message));
  return request;
}

absl::StatusOr<EchoReply> Say(InProcessServer& server, std::string message = "hi") {
  return server.NewClient<EchoTandem::Client>()->Say(Message(std::move(message)), Within());
}

std::unique_ptr<InProcessServer> StartOrDie(const Implementation& implementation,
                                            InProcessServer::Options options = {}) {
  absl::StatusOr<std::unique_ptr<InProcessServer>> server =
      InProcessServer::Start(implementation, std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(InProcessServer, ServesOnAFreeLoopbackPort) {
  std::unique_ptr<InProcessServer> server =
      StartOrDie(Implementation::Of<BlockingEcho>("BlockingEcho"));
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), absl::StrCat("127.0.0.1:", server->port()));
  absl::StatusOr<EchoReply> reply = Say(*server, "hello");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "hello");
  EXPECT_EQ(reply->implementation(), "BlockingEcho");
}

TEST(InProcessServer, ServersStartedAtOnceGetDistinctPorts) {
  constexpr int kServers = 8;
  const Implementation echo = Implementation::Of<BlockingEcho>("BlockingEcho");
  std::vector<std::unique_ptr<InProcessServer>> servers(kServers);
  {
    std::vector<std::thread> starters;
    for (int i = 0; i < kServers; ++i) {
      starters.emplace_back([&, i] {
        servers[i] = StartOrDie(echo, {.executors = i % 2 == 0 ? ExecutorBinding::Threads()
                                                                : ExecutorBinding::Fibers()});
      });
    }
    for (std::thread& starter : starters) starter.join();
  }
  std::set<int> ports;
  for (const std::unique_ptr<InProcessServer>& server : servers) {
    ASSERT_NE(server, nullptr);
    EXPECT_GT(server->port(), 0);
    ports.insert(server->port());
    // Each answers on its own port, from its own instance.
    absl::StatusOr<EchoReply> reply = Say(*server);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->calls(), 1);
  }
  EXPECT_EQ(ports.size(), kServers);
}

TEST(InProcessServer, BlockingHandlersRunOnTheBindingsExecutor) {
  struct Expected {
    ExecutorBinding binding;
    const char* executor;
    ExecutorKind kind;
    bool on_fiber;
  };
  for (const Expected& expected :
       {Expected{ExecutorBinding::Threads(), ExecutorBinding::kThreadsExecutorName,
                 ExecutorKind::kThreadPool, false},
        Expected{ExecutorBinding::Fibers(), ExecutorBinding::kFibersExecutorName,
                 ExecutorKind::kFiberPool, true}}) {
    SCOPED_TRACE(expected.binding.name);
    std::unique_ptr<InProcessServer> server =
        StartOrDie(Implementation::Of<BlockingEcho>("BlockingEcho"),
                   {.executors = expected.binding});
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(server->binding_name(), expected.binding.name);
    ASSERT_NE(server->blocking_executor(), nullptr);
    EXPECT_EQ(server->blocking_executor()->kind(), expected.kind);

    absl::StatusOr<EchoReply> reply = Say(*server);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->on_fiber(), expected.on_fiber);
    const MethodStats stats = SayStats(*server);
    EXPECT_EQ(stats.style, HandlerStyle::kBlocking);
    EXPECT_EQ(stats.executor, expected.executor);
    EXPECT_EQ(KindOf(*server, stats.executor), expected.kind);
  }
}

TEST(InProcessServer, CoroutineHandlersStayOnTheCoroutineLoopUnderEveryBinding) {
  for (const ExecutorBinding& binding : {ExecutorBinding::Threads(), ExecutorBinding::Fibers()}) {
    SCOPED_TRACE(binding.name);
    std::unique_ptr<InProcessServer> server =
        StartOrDie(Implementation::Of<CoroutineEcho>("CoroutineEcho"), {.executors = binding});
    ASSERT_NE(server, nullptr);
    absl::StatusOr<EchoReply> reply = Say(*server);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_FALSE(reply->on_fiber());
    const MethodStats stats = SayStats(*server);
    EXPECT_EQ(stats.style, HandlerStyle::kCoroutine);
    EXPECT_EQ(KindOf(*server, stats.executor), ExecutorKind::kCoroutineLoop);
  }
}

TEST(InProcessServer, WithoutABindingBlockingHandlersRunOnTheServersOwnPool) {
  std::unique_ptr<InProcessServer> server =
      StartOrDie(Implementation::Of<BlockingEcho>("BlockingEcho"));
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->blocking_executor(), nullptr);
  EXPECT_EQ(server->binding_name(), "");
  ASSERT_TRUE(Say(*server).ok());
  const MethodStats stats = SayStats(*server);
  EXPECT_EQ(stats.executor, ThreadPool::Options().name);
  EXPECT_EQ(KindOf(*server, stats.executor), ExecutorKind::kThreadPool);
}

TEST(InProcessServer, ServiceOptionsBindOverridesTheBinding) {
  auto pool = std::make_shared<ThreadPool>(ThreadPool::Options{.name = "bound-by-test"});
  std::unique_ptr<InProcessServer> server =
      StartOrDie(Implementation::Of<BlockingEcho>("BlockingEcho"),
                 {.executors = ExecutorBinding::Fibers(),
                  .service_options = ServiceOptions().Bind("Say", pool)});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<EchoReply> reply = Say(*server);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_FALSE(reply->on_fiber());
  EXPECT_EQ(SayStats(*server).executor, "bound-by-test");
}

TEST(InProcessServer, ConfigureBuilderSetsWhatElseTheTestNeeds) {
  std::unique_ptr<InProcessServer> server =
      StartOrDie(Implementation::Of<BlockingEcho>("BlockingEcho"),
                 {.configure_builder = [](ServerBuilder& builder) {
                   builder.EnableHealthService(false);
                 }});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->server().health(), nullptr);
}

TEST(InProcessServer, AServerThatCannotStartSaysWhichImplementationAndBinding) {
  absl::StatusOr<std::unique_ptr<InProcessServer>> server = InProcessServer::Start(
      Implementation::Of<BlockingEcho>("BlockingEcho"),
      {.executors = ExecutorBinding::Fibers(),
       .service_options = ServiceOptions().Bind(
           "NoSuchMethod", std::make_shared<ThreadPool>(ThreadPool::Options{}))});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("starting BlockingEcho on Fibers: "));
  EXPECT_THAT(server.status().message(), HasSubstr("NoSuchMethod"));
}

TEST(InProcessServer, ABindingThatMakesNoExecutorIsRefused) {
  absl::StatusOr<std::unique_ptr<InProcessServer>> server = InProcessServer::Start(
      Implementation::Of<BlockingEcho>("BlockingEcho"),
      {.executors = {.name = "Broken", .make_blocking_executor = [] {
                       return std::shared_ptr<Executor>();
                     }}});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("'Broken'"));
}

TEST(InProcessServer, EachServerGetsAFreshInstance) {
  auto made = std::make_shared<std::atomic<int>>(0);
  const Implementation echo = Implementation::FromFactory("BlockingEcho", [made] {
    ++*made;
    return std::make_unique<BlockingEcho>();
  });
  for (int i = 1; i <= 2; ++i) {
    std::unique_ptr<InProcessServer> server = StartOrDie(echo);
    ASSERT_NE(server, nullptr);
    EXPECT_EQ(*made, i);
    absl::StatusOr<EchoReply> reply = Say(*server);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->calls(), 1) << "the instance answered calls of an earlier server";
  }
}

TEST(InProcessServer, OnStartedGetsTheInstanceOnceTheServerServes) {
  BlockingEcho* made = nullptr;
  BlockingEcho* started = nullptr;
  absl::StatusOr<EchoReply> reply_in_hook = absl::UnknownError("on_started did not run");
  const Implementation echo = Implementation::FromFactory(
      "BlockingEcho",
      [&made] {
        auto instance = std::make_unique<BlockingEcho>();
        made = instance.get();
        return instance;
      },
      [&](BlockingEcho& instance, InProcessServer& server) {
        started = &instance;
        reply_in_hook = Say(server, "from on_started");
      });
  std::unique_ptr<InProcessServer> server = StartOrDie(echo);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(started, made);
  ASSERT_TRUE(reply_in_hook.ok()) << reply_in_hook.status();
  EXPECT_EQ(reply_in_hook->message(), "from on_started");
}

TEST(InProcessServer, DestructionShutsDownStopsTheExecutorAndReleasesTheInstance) {
  std::weak_ptr<BlockingEcho> instance;
  const Implementation echo = Implementation::FromFactory("BlockingEcho", [&instance] {
    auto made = std::make_shared<BlockingEcho>();
    instance = made;
    return made;
  });
  std::unique_ptr<InProcessServer> server = StartOrDie(echo, {.executors = ExecutorBinding::Fibers()});
  ASSERT_NE(server, nullptr);
  std::shared_ptr<EchoTandem::Client> client = server->NewClient<EchoTandem::Client>();
  std::shared_ptr<Executor> executor = server->blocking_executor();
  ASSERT_TRUE(client->Say(Message("hi"), Within()).ok());

  server->Shutdown();
  EXPECT_FALSE(instance.expired()) << "Shutdown keeps the instance for the test to look at";
  EXPECT_EQ(client->Say(Message("hi"), Within()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(executor->TryPost([] {})) << "the binding's executor still runs";

  server.reset();
  EXPECT_TRUE(instance.expired());
}

TEST(InProcessServer, StartsAServiceTheCallerOwns) {
  CoroutineEcho echo;
  absl::StatusOr<std::unique_ptr<InProcessServer>> server = InProcessServer::Start(&echo);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->implementation_name(), "Service");
  absl::StatusOr<EchoReply> reply = Say(**server);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->implementation(), "CoroutineEcho");
  EXPECT_EQ(reply->calls(), 1);
  server->reset();

  // `echo` is still ours, alive and the same instance: a second server serves it on.
  server = InProcessServer::Start(&echo);
  ASSERT_TRUE(server.ok()) << server.status();
  reply = Say(**server);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->calls(), 2);
}

}  // namespace
}  // namespace tandem::testing
