// `tandem methods HOST:PORT` (tools/cli/methods.h), the real binary against the greeter example
// server (a real binary on a free port): the method report of a running server, as a table and
// as JSON, through its admin service. And the servers it cannot ask: one with the admin service
// turned off (the test service, in this process), one that is not there.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"
#include "tests/testing/test_server.h"

namespace tandem::cli_test {
namespace {

using ::testing::HasSubstr;

constexpr char kGreeterServer[] = "tandem/examples/greeter/greeter_server";

// `tandem methods` against `address`, run until its output is `expected` (a call is counted on
// the server a moment after its client hears the status) or 20 s have passed; the last result.
Result MethodsOnceShowing(const std::string& address, const std::string& expected) {
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  Result result;
  do {
    result = RunTandem({"--deadline=30s", "methods", address});
    if (result.exit_code != 0 || result.out == expected) break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < give_up);
  return result;
}

TEST(MethodsCli, ShowsEachMethodsStyleExecutorAndCounts) {
  ServerProcess server(kGreeterServer);
  ASSERT_FALSE(server.address().empty());
  Result call = RunTandem({"--deadline=30s", "call", server.address(),
                           "tandem.examples.Greeter/SayHello", R"({"name": "Ada"})"});
  ASSERT_EQ(call.exit_code, 0) << call.err;
  call = RunTandem({"--deadline=30s", "call", server.address(),
                    "tandem.examples.Greeter/SayHello", R"({"name": ""})"});
  ASSERT_EQ(call.exit_code, 1) << call.err;

  const std::string expected =
      "method                             style      executor     started  ok  errors\n"
      "/tandem.examples.Greeter/SayHello  blocking   tandem-pool        2   1       1\n"
      "/tandem.examples.Greeter/Shout     callback   inline             0   0       0\n"
      "/tandem.examples.Greeter/Greet     coroutine  tandem-loop        0   0       0\n";
  const Result result = MethodsOnceShowing(server.address(), expected);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, expected);
  EXPECT_EQ(result.err, "");
}

TEST(MethodsCli, MovingAMethodShowsInTheReport) {
  ServerProcess server(kGreeterServer, {"--say_hello=fibers"});
  ASSERT_FALSE(server.address().empty());
  const Result result = RunTandem({"--deadline=30s", "methods", server.address()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("/tandem.examples.Greeter/SayHello  blocking   greeter-fibers  "));
}

TEST(MethodsCli, JsonPrintsTheAnswerAsOneObjectWithEveryCount) {
  ServerProcess server(kGreeterServer);
  ASSERT_FALSE(server.address().empty());
  const Result result = RunTandem({"--deadline=30s", "--json", "methods", server.address()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, ::testing::StartsWith(R"({"methods":[{"method":)"));
  EXPECT_THAT(result.out, HasSubstr(R"({"method":"/tandem.examples.Greeter/Shout",)"
                                    R"("style":"HANDLER_STYLE_CALLBACK","executor":"inline",)"
                                    R"("started":"0","finishedOk":"0","finishedError":"0"})"));
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out;
}

TEST(MethodsCli, ServerWithoutAdminServiceExitsFiveAndSaysWhy) {
  auto server = testing::TestServer::Start(
      [](ServerBuilder& builder, ServiceOptions&) { builder.EnableAdminService(false); });
  ASSERT_NE(server, nullptr);
  const Result result = RunTandem(
      {"--deadline=30s", "methods", absl::StrCat("127.0.0.1:", server->server().port())});
  EXPECT_EQ(result.exit_code, 5);
  EXPECT_EQ(result.err,
            "tandem: server has no admin service (tandem.admin.v1.ServerAdmin): not a Tandem "
            "server, or one built with EnableAdminService(false)\n");
  EXPECT_EQ(result.out, "");
}

TEST(MethodsCli, UnreachableServerExitsSix) {
  const Result result = RunTandem({"--deadline=30s", "methods", UnusedAddress()});
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_THAT(result.err, ::testing::StartsWith("tandem: server unreachable: "));
}

TEST(MethodsCli, WrongNumberOfArgumentsIsAUsageError) {
  const Result result = RunTandem({"methods"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("wrong number of arguments for methods"));
}

}  // namespace
}  // namespace tandem::cli_test
