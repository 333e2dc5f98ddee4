// tandem against Tandem's interop server (gRPC's grpc.testing.TestService, a real binary on a
// free port), through server reflection: list, describe, and a call of every RPC kind with the
// interop cases' requests, metadata echoed back, and a method the server does not implement.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"

namespace tandem::cli_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kInteropServer[] = "tandem/tests/interop/interop_server";

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class InteropCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(kInteropServer); }
  static void TearDownTestSuite() { delete server_; }

  // tandem [FLAGS] call ADDRESS grpc.testing.TestService/METHOD [REQUEST], bounded in time.
  static Result Call(const std::string& method, std::vector<std::string> request,
                     const std::string& stdin_text = "", std::vector<std::string> flags = {}) {
    std::vector<std::string> args = std::move(flags);
    args.insert(args.end(), {"--deadline=30s", "call", server_->address(),
                             "grpc.testing.TestService/" + method});
    args.insert(args.end(), request.begin(), request.end());
    return RunTandem(args, stdin_text);
  }

  static ServerProcess* server_;
};

ServerProcess* InteropCli::server_ = nullptr;

TEST_F(InteropCli, ListShowsTheTestServiceWithEveryKindOfMethod) {
  const Result result = RunTandem({"--deadline=30s", "list", server_->address()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("grpc.testing.TestService\n"));
  EXPECT_THAT(result.out, HasSubstr("  EmptyCall(grpc.testing.Empty) returns (grpc.testing.Empty)"));
  EXPECT_THAT(result.out, HasSubstr("  StreamingOutputCall(grpc.testing.StreamingOutputCallRequest)"
                                    " returns (stream grpc.testing.StreamingOutputCallResponse)"));
  EXPECT_THAT(result.out, HasSubstr("  StreamingInputCall(stream grpc.testing."
                                    "StreamingInputCallRequest) returns (grpc.testing."
                                    "StreamingInputCallResponse)"));
  EXPECT_THAT(result.out, HasSubstr("  FullDuplexCall(stream grpc.testing."
                                    "StreamingOutputCallRequest) returns (stream grpc.testing."
                                    "StreamingOutputCallResponse)"));
}

TEST_F(InteropCli, DescribeShowsAMethodAndAMessage) {
  Result result = RunTandem({"--deadline=30s", "describe", server_->address(),
                             "grpc.testing.TestService/UnaryCall"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "rpc UnaryCall(.grpc.testing.SimpleRequest) returns (.grpc.testing.SimpleResponse);\n");

  result = RunTandem(
      {"--deadline=30s", "describe", server_->address(), "grpc.testing.ResponseParameters"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("message ResponseParameters {\n  int32 size = 1;"));
}

TEST_F(InteropCli, EmptyUnary) {
  const Result result = Call("EmptyCall", {"{}"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{}\n");
}

TEST_F(InteropCli, LargeUnaryAnswersAPayloadOfTheAskedSize) {
  const Result result = Call("UnaryCall", {R"({"responseSize": 6})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // Six zero bytes, base64.
  EXPECT_EQ(result.out, "{\"payload\":{\"body\":\"AAAAAAAA\"}}\n");
}

TEST_F(InteropCli, ServerStreamingPrintsOneLinePerResponse) {
  const Result result = Call(
      "StreamingOutputCall",
      {R"({"responseParameters": [{"size": 3}, {"size": 0}, {"size": 6}]})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(Lines(result.out), ElementsAre("{\"payload\":{\"body\":\"AAAA\"}}",
                                             "{\"payload\":{}}",
                                             "{\"payload\":{\"body\":\"AAAAAAAA\"}}"));
}

TEST_F(InteropCli, ClientStreamingSendsEachStdinLine) {
  const Result result = Call("StreamingInputCall", {},
                             "{\"payload\": {\"body\": \"AAAA\"}}\n"
                             "{\"payload\": {\"body\": \"AAAAAAAA\"}}\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"aggregatedPayloadSize\":9}\n");
}

TEST_F(InteropCli, BidiAnswersEachStdinLine) {
  const Result result = Call("FullDuplexCall", {},
                             "{\"responseParameters\": [{\"size\": 3}]}\n"
                             "{\"responseParameters\": [{\"size\": 6}]}\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(Lines(result.out), ElementsAre("{\"payload\":{\"body\":\"AAAA\"}}",
                                             "{\"payload\":{\"body\":\"AAAAAAAA\"}}"));
}

TEST_F(InteropCli, MetadataIsEchoedBackAsTheInteropCasesAsk) {
  const Result result =
      Call("UnaryCall", {"{}"}, "",
           {"-H", "x-grpc-test-echo-initial:test_initial_metadata_value", "-H",
            "x-grpc-test-echo-trailing-bin:q6urqw==", "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u) << result.out;
  EXPECT_THAT(lines[1], HasSubstr("\"code\":\"OK\""));
  EXPECT_THAT(lines[1], HasSubstr("\"x-grpc-test-echo-initial\":[\"test_initial_metadata_value\"]"));
  EXPECT_THAT(lines[1], HasSubstr("\"x-grpc-test-echo-trailing-bin\":[\"q6urqw==\"]"));
}

TEST_F(InteropCli, ACallEndingWithAnErrorStatusExitsOneNamingIt) {
  const Result result =
      Call("UnaryCall", {R"({"responseStatus": {"code": 2, "message": "test status message"}})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "UNKNOWN: test status message\n");
}

TEST_F(InteropCli, AnUnimplementedMethodExitsOne) {
  const Result result = Call("UnimplementedCall", {"{}"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("UNIMPLEMENTED"));
}

TEST_F(InteropCli, ADeadlineShorterThanTheCallExitsSeven) {
  // Two responses 2 s apart: the second is never in time.
  const Result result = RunTandem(
      {"--deadline=1s", "call", server_->address(), "grpc.testing.TestService/StreamingOutputCall",
       R"({"responseParameters": [{"size": 1, "intervalUs": 2000000},
                                  {"size": 1, "intervalUs": 2000000}]})"});
  EXPECT_EQ(result.exit_code, 7) << result.err;
}

}  // namespace
}  // namespace tandem::cli_test
