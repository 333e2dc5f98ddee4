// The greeter's behaviour, written once and run against both of its implementations
// (GreeterService, and CoroutineGreeterService after step 3 of docs/migrating.md), each with its
// blocking handlers on threads and on fibers: Greeter/Implementations.SaysHello/Greeter_Threads,
// .../CoroutineGreeter_Fibers and so on (testing/implementations.h). A rewrite that answers
// differently fails here under its own name. (CoroutineGreeterService has no blocking handler
// left, so the binding changes nothing for it; a service halfway through its migration has some.)
#include <future>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "asio/co_spawn.hpp"
#include "asio/io_context.hpp"
#include "asio/use_future.hpp"
#include "examples/greeter/coroutine_greeter_service.h"
#include "examples/greeter/greeter.tandem.h"
#include "examples/greeter/greeter_service.h"
#include "gtest/gtest.h"
#include "testing/implementations.h"

namespace tandem::examples {
namespace {

using ::tandem::testing::Implementation;
using ::tandem::testing::InProcessServer;

using Implementations = ::tandem::testing::ImplementationTest<GreeterTandem>;

HelloRequest Named(std::string name) {
  HelloRequest request;
  request.set_name(std::move(name));
  return request;
}

TEST_P(Implementations, SaysHello) {
  absl::StatusOr<HelloReply> reply = client().SayHello(Named("Ada"), call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "Hello, Ada!");
}

TEST_P(Implementations, SayHelloRefusesAnEmptyName) {
  absl::StatusOr<HelloReply> reply = client().SayHello(Named(""), call_options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reply.status().message(), "name must not be empty");
}

TEST_P(Implementations, Shouts) {
  absl::StatusOr<HelloReply> reply = client().Shout(Named("Ada"), call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "ADA!");
}

TEST_P(Implementations, GreetsWithHelloAndShout) {
  absl::StatusOr<HelloReply> reply = client().Greet(Named("Ada"), call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "Hello, Ada! ADA!");
}

// Greet's nested SayHello fails, and Greet passes its status on.
TEST_P(Implementations, GreetPassesOnSayHellosError) {
  absl::StatusOr<HelloReply> reply = client().Greet(Named(""), call_options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reply.status().message(), "name must not be empty");
}

TEST_P(Implementations, AnswersTheSameInEveryClientForm) {
  std::future<absl::StatusOr<HelloReply>> async =
      client().AsyncSayHello(Named("Ada"), call_options(), asio::use_future);
  asio::io_context loop;
  std::future<absl::StatusOr<HelloReply>> coroutine = asio::co_spawn(
      loop, client().CoSayHello(Named("Ada"), call_options()), asio::use_future);
  loop.run();

  for (std::future<absl::StatusOr<HelloReply>>* reply : {&async, &coroutine}) {
    absl::StatusOr<HelloReply> got = reply->get();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->message(), "Hello, Ada!");
  }
}

// More calls at once than the fiber pool has threads: each is a fiber (or a coroutine), none
// waits for another to finish.
TEST_P(Implementations, GreetsManyCallersAtOnce) {
  constexpr int kCalls = 64;
  std::vector<std::future<absl::StatusOr<HelloReply>>> replies;
  for (int i = 0; i < kCalls; ++i) {
    replies.push_back(client().AsyncGreet(Named(absl::StrCat("caller", i)), call_options(),
                                          asio::use_future));
  }
  for (int i = 0; i < kCalls; ++i) {
    absl::StatusOr<HelloReply> reply = replies[i].get();
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), absl::StrCat("Hello, caller", i, "! CALLER", i, "!"));
  }
}

// Greet calls SayHello and Shout through a client of the very server that runs it.
const auto kConnectToItself = [](auto& greeter, InProcessServer& server) {
  greeter.ConnectClient(server.NewClient<GreeterTandem::Client>());
};

INSTANTIATE_TEST_SUITE_P(
    Greeter, Implementations,
    ::tandem::testing::EveryCase(
        {Implementation::Of<GreeterService>("Greeter", kConnectToItself),
         Implementation::Of<CoroutineGreeterService>("CoroutineGreeter", kConnectToItself)}),
    ::tandem::testing::CaseName);

}  // namespace
}  // namespace tandem::examples
