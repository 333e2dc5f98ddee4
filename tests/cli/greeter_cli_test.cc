// tandem against the greeter example server (a real binary on a free port): list, describe and
// call through server reflection, the same through --proto without it, and the servers tandem
// cannot use: one without reflection, one that is not there.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"

namespace tandem::cli_test {
namespace {

using ::testing::HasSubstr;

constexpr char kGreeterServer[] = "tandem/examples/greeter/greeter_server";
constexpr char kNoReflectionServer[] = "tandem/tests/cli/no_reflection_server";

// --proto greeter.proto with its directory as the import path.
std::vector<std::string> GreeterProtoFlags() {
  return {"-I", Runfile("tandem/examples/greeter"), "--proto", "greeter.proto"};
}

class GreeterCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(kGreeterServer); }
  static void TearDownTestSuite() { delete server_; }

  const std::string& address() { return server_->address(); }

  static ServerProcess* server_;
};

ServerProcess* GreeterCli::server_ = nullptr;

TEST_F(GreeterCli, ListShowsServicesAndMethods) {
  const Result result = RunTandem({"--deadline=30s", "list", address()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("tandem.examples.Greeter\n"
                                    "  SayHello(tandem.examples.HelloRequest) returns "
                                    "(tandem.examples.HelloReply)\n"
                                    "  Shout(tandem.examples.HelloRequest) returns "
                                    "(tandem.examples.HelloReply)\n"
                                    "  Greet(tandem.examples.HelloRequest) returns "
                                    "(tandem.examples.HelloReply)\n"));
}

TEST_F(GreeterCli, DescribeShowsAServiceAMethodAndAMessage) {
  Result result = RunTandem({"--deadline=30s", "describe", address(), "tandem.examples.Greeter"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("service Greeter {\n  rpc SayHello("));

  result = RunTandem({"--deadline=30s", "describe", address(), "tandem.examples.Greeter/Shout"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "rpc Shout(.tandem.examples.HelloRequest) returns (.tandem.examples.HelloReply);\n");

  result = RunTandem({"--deadline=30s", "describe", address(), "tandem.examples.HelloRequest"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "message HelloRequest {\n  string name = 1;\n}\n");
}

TEST_F(GreeterCli, CallThroughReflection) {
  const Result result = RunTandem(
      {"--deadline=30s", "call", address(), "tandem.examples.Greeter/Greet", R"({"name": "Ada"})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"message\":\"Hello, Ada! ADA!\"}\n");
}

TEST_F(GreeterCli, CallWithProtoFilesWithoutReflection) {
  std::vector<std::string> args = GreeterProtoFlags();
  args.insert(args.end(), {"--deadline=30s", "call", address(), "tandem.examples.Greeter/SayHello",
                           R"({"name": "Ada"})"});
  const Result result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"message\":\"Hello, Ada!\"}\n");
}

TEST_F(GreeterCli, ListWithProtoFilesShowsTheirServices) {
  std::vector<std::string> args = GreeterProtoFlags();
  args.insert(args.end(), {"list", address()});
  const Result result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("tandem.examples.Greeter\n  SayHello("));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("ServerReflection")));
}

TEST_F(GreeterCli, ServerErrorExitsOneWithCodeAndMessage) {
  const Result result = RunTandem(
      {"--deadline=30s", "call", address(), "tandem.examples.Greeter/SayHello", R"({"name": ""})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "INVALID_ARGUMENT: name must not be empty\n");
}

TEST_F(GreeterCli, UnknownMethodInProtoFilesExitsFour) {
  std::vector<std::string> args = GreeterProtoFlags();
  args.insert(args.end(), {"call", address(), "tandem.examples.Greeter/Wave", "{}"});
  const Result result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(result.err,
            "tandem: unknown method: Wave (tandem.examples.Greeter has SayHello, Shout, Greet)\n");
}

TEST(NoReflectionServer, ListExitsFiveAndSuggestsProto) {
  ServerProcess server(kNoReflectionServer);
  const Result result = RunTandem({"--deadline=30s", "list", server.address()});
  EXPECT_EQ(result.exit_code, 5);
  EXPECT_EQ(result.err, "tandem: server has no reflection service; pass --proto\n");
}

TEST(NoReflectionServer, CallWithProtoFilesWorks) {
  ServerProcess server(kNoReflectionServer);
  std::vector<std::string> args = GreeterProtoFlags();
  args.insert(args.end(), {"--deadline=30s", "call", server.address(),
                           "tandem.examples.Greeter/Shout", R"({"name": "Ada"})"});
  const Result result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"message\":\"ADA!\"}\n");
}

TEST(UnreachableServer, ReflectionExitsSix) {
  const Result result = RunTandem({"--deadline=30s", "list", UnusedAddress()});
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_THAT(result.err, ::testing::StartsWith("tandem: server unreachable: "));
}

TEST(UnreachableServer, CallExitsSix) {
  std::vector<std::string> args = GreeterProtoFlags();
  args.insert(args.end(), {"--deadline=30s", "call", UnusedAddress(),
                           "tandem.examples.Greeter/SayHello", "{}"});
  const Result result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_THAT(result.err, ::testing::StartsWith("UNAVAILABLE: "));
}

}  // namespace
}  // namespace tandem::cli_test
