// `tandem call` for every RPC kind, through server reflection, against the steerable test
// service (tests/testing, proto/test_service.proto) in this process; tandem itself runs as a
// subprocess. The request's action steers the server: ECHO, FAIL, WAIT_FOR_CANCEL, ...
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"
#include "tests/testing/test_server.h"

namespace tandem::cli_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kService[] = "tandem.testing.TestService";

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class TestServiceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::TestServer::Start();
    address_ = absl::StrCat("127.0.0.1:", server_->server().port());
  }

  // tandem call ADDRESS tandem.testing.TestService/METHOD ARGS..., with a deadline unless ARGS
  // set one, so that a hang fails the test.
  Result Call(const std::string& method, std::vector<std::string> args,
              const std::string& stdin_text = "") {
    args.insert(args.begin(),
                {"--deadline=30s", "call", address_, absl::StrCat(kService, "/", method)});
    return RunTandem(args, stdin_text);
  }

  std::unique_ptr<testing::TestServer> server_;
  std::string address_;
};

TEST_F(TestServiceCli, ListShowsTheServiceAndEveryKindOfMethod) {
  const Result result = RunTandem({"list", address_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("tandem.testing.TestService\n"));
  EXPECT_THAT(
      result.out,
      HasSubstr("  Blocking(tandem.testing.TestRequest) returns (tandem.testing.TestReply)\n"));
  EXPECT_THAT(result.out, HasSubstr("  ServerStreamBlocking(tandem.testing.TestRequest) returns "
                                    "(stream tandem.testing.TestReply)\n"));
  EXPECT_THAT(result.out, HasSubstr("  ClientStreamBlocking(stream tandem.testing.TestRequest) "
                                    "returns (tandem.testing.TestReply)\n"));
  EXPECT_THAT(result.out, HasSubstr("  BidiBlocking(stream tandem.testing.TestRequest) returns "
                                    "(stream tandem.testing.TestReply)\n"));
  EXPECT_THAT(result.out, HasSubstr("grpc.reflection.v1alpha.ServerReflection\n"));
}

// gRPC 1.51's reflection service starts each answer with the files of the one before (it reuses
// one response message per stream): after the admin service's file, the reflection service's
// lookup gets the admin file first. Every service is still shown with its definition.
TEST_F(TestServiceCli, ListDefinesEveryServiceThoughGrpcReflectionRepeatsEarlierFiles) {
  const Result result = RunTandem({"list", address_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("tandem.admin.v1.ServerAdmin\n"
                                    "  ListMethods(tandem.admin.v1.ListMethodsRequest) returns "
                                    "(tandem.admin.v1.ListMethodsResponse)\n"));
  EXPECT_THAT(result.out, HasSubstr("grpc.reflection.v1alpha.ServerReflection\n"
                                    "  ServerReflectionInfo(stream "));
}

TEST_F(TestServiceCli, DescribeShowsAMethod) {
  const Result result =
      RunTandem({"describe", address_, "tandem.testing.TestService/BidiBlocking"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "rpc BidiBlocking(stream .tandem.testing.TestRequest) returns "
            "(stream .tandem.testing.TestReply);\n");
}

TEST_F(TestServiceCli, DescribeShowsAMessage) {
  const Result result = RunTandem({"describe", address_, "tandem.testing.TestRequest"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("message TestRequest {\n"));
  EXPECT_THAT(result.out, HasSubstr("enum Action {"));
  EXPECT_THAT(result.out, HasSubstr("int32 sleep_ms = 4;"));
}

TEST_F(TestServiceCli, DescribeUnknownSymbolExitsFour) {
  const Result result = RunTandem({"describe", address_, "tandem.testing.NoSuchMessage"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(result.err, "tandem: unknown symbol: tandem.testing.NoSuchMessage\n");
}

TEST_F(TestServiceCli, UnaryCallPrintsTheResponseAsOneJsonLine) {
  const Result result = Call("Blocking", {R"({"message": "hi"})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(Lines(result.out).size(), 1u) << result.out;
  EXPECT_THAT(result.out, StartsWith(R"({"message":"hi","handlerStyle":"blocking",)"));
  EXPECT_EQ(result.err, "");
}

TEST_F(TestServiceCli, UnaryRequestComesFromStdinWithoutArgument) {
  const Result result = Call("Coroutine", {}, "{\n  \"message\": \"from stdin\"\n}\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith(R"({"message":"from stdin",)"));
}

TEST_F(TestServiceCli, UnaryRequestDefaultsToEmptyObjectOnEmptyStdin) {
  const Result result = Call("Callback", {}, "");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith(R"({"handlerStyle":"callback",)"));
}

TEST_F(TestServiceCli, ServerStreamingPrintsOneLinePerResponse) {
  const Result result = Call("ServerStreamCoroutine", {R"({"message": "m", "count": 3})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(Lines(result.out),
              ElementsAre(HasSubstr(R"("message":"m-0")"), HasSubstr(R"("message":"m-1")"),
                          HasSubstr(R"("message":"m-2")")));
}

TEST_F(TestServiceCli, ClientStreamingSendsOneRequestPerStdinLine) {
  const Result result = Call("ClientStreamBlocking", {},
                             "{\"message\": \"a\"}\n\n{\"message\": \"b\"}\n{\"message\": \"c\"}");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(Lines(result.out), ElementsAre(StartsWith(R"({"message":"a,b,c")")));
}

TEST_F(TestServiceCli, ClientStreamingTakesRequestLinesFromTheArgument) {
  const Result result =
      Call("ClientStreamCallback", {"{\"message\": \"x\"}\n{\"message\": \"y\"}"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(Lines(result.out), ElementsAre(StartsWith(R"({"message":"x,y")")));
}

TEST_F(TestServiceCli, BidiStreamingAnswersEachRequestLine) {
  const Result result =
      Call("BidiCoroutine", {}, "{\"message\": \"x\", \"count\": 2}\n{\"message\": \"y\"}\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(Lines(result.out),
              ElementsAre(HasSubstr(R"("message":"x-0")"), HasSubstr(R"("message":"x-1")"),
                          HasSubstr(R"("message":"y-0")")));
}

TEST_F(TestServiceCli, JsonPrintsStatusAndMetadataAfterTheResponses) {
  const Result result =
      Call("Blocking", {"-H", "x-echo: hello", "--json", R"({"action": "ECHO_METADATA"})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u) << result.out;
  EXPECT_THAT(lines[0], StartsWith(R"({"message":"hello",)"));
  EXPECT_THAT(lines[1], StartsWith(R"({"code":"OK","codeNumber":0,"message":"",)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("headers":{"x-echo-initial":["hello"]})"));
  EXPECT_THAT(lines[1], HasSubstr(R"("trailers":{"x-echo-trailing":["hello"]})"));
  EXPECT_EQ(result.err, "");
}

class HeaderForm : public TestServiceCli,
                   public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(HeaderForm, SendsTheMetadata) {
  std::vector<std::string> args = GetParam();
  args.push_back(R"({"action": "ECHO_METADATA"})");
  const Result result = Call("Blocking", args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith(R"({"message":"v",)"));
}

INSTANTIATE_TEST_SUITE_P(TestServiceCli, HeaderForm,
                         ::testing::Values(std::vector<std::string>{"-H", "x-echo:v"},
                                           std::vector<std::string>{"-Hx-echo:v"},
                                           std::vector<std::string>{"-H=x-echo:v"},
                                           std::vector<std::string>{"--header", "x-echo:v"},
                                           std::vector<std::string>{"--header=X-Echo: v"}));

TEST_F(TestServiceCli, NonOkStatusExitsOneWithCodeAndMessage) {
  const Result result = Call("Blocking", {R"({"action": "FAIL", "code": 5, "message": "gone"})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "NOT_FOUND: gone\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(TestServiceCli, NonOkStatusWithJsonGoesToStdout) {
  const Result result =
      Call("Blocking", {"--json", R"({"action": "FAIL", "code": 5, "message": "gone"})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, StartsWith(R"({"code":"NOT_FOUND","codeNumber":5,"message":"gone",)"));
  EXPECT_EQ(result.err, "");
}

TEST_F(TestServiceCli, UnimplementedMethodExitsOne) {
  const Result result = Call("Unimplemented", {"{}"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("UNIMPLEMENTED: "));
}

TEST_F(TestServiceCli, UnavailableBeforeAnyResponseExitsSix) {
  const Result result = Call("Blocking", {R"({"action": "FAIL", "code": 14, "message": "down"})"});
  EXPECT_EQ(result.exit_code, 6);
  EXPECT_EQ(result.err, "UNAVAILABLE: down\n");
}

TEST_F(TestServiceCli, UnavailableAfterResponsesExitsOne) {
  const Result result = Call("ServerStreamBlocking",
                             {R"({"action": "FAIL", "code": 14, "message": "down", "count": 2})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(Lines(result.out).size(), 2u) << result.out;
  EXPECT_EQ(result.err, "UNAVAILABLE: down\n");
}

TEST_F(TestServiceCli, DeadlineExceededExitsSeven) {
  const Result result = Call("Blocking", {"--deadline=500ms", R"({"action": "WAIT_FOR_CANCEL"})"});
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_THAT(result.err, StartsWith("DEADLINE_EXCEEDED: "));
}

TEST_F(TestServiceCli, DeadlineExceededOnABidiStreamExitsSeven) {
  const Result result = Call("BidiBlocking", {"--deadline=500ms"},
                             "{\"message\": \"x\"}\n{\"action\": \"WAIT_FOR_CANCEL\"}\n");
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_THAT(Lines(result.out), ElementsAre(HasSubstr(R"("message":"x-0")")));
  EXPECT_THAT(result.err, StartsWith("DEADLINE_EXCEEDED: "));
}

TEST_F(TestServiceCli, UnknownServiceExitsFour) {
  const Result result =
      RunTandem({"call", address_, "tandem.testing.NoSuchService/Blocking", "{}"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(result.err, "tandem: unknown service: tandem.testing.NoSuchService\n");
}

TEST_F(TestServiceCli, UnknownMethodExitsFourAndNamesTheKnownOnes) {
  const Result result = Call("Blockin", {"{}"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_THAT(result.err, StartsWith("tandem: unknown method: Blockin (tandem.testing.TestService "
                                     "has Blocking, Coroutine, "));
}

TEST_F(TestServiceCli, MalformedJsonExitsThreeAndNamesThePosition) {
  const Result result = Call("Blocking", {R"({"message": "hi",, "count": 1})"});
  EXPECT_EQ(result.exit_code, 3);
  // The reason is protobuf's wording; the position and what follows it are tandem's.
  EXPECT_THAT(result.err,
              StartsWith("tandem: request 1 is not a valid tandem.testing.TestRequest: "));
  EXPECT_THAT(result.err, HasSubstr(" at position 18: \", \"count\": 1}\"\n"));
}

TEST_F(TestServiceCli, UnknownFieldExitsThreeAndNamesTheField) {
  const Result result = Call("Blocking", {R"({"mesage": "hi"})"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err,
              StartsWith("tandem: request 1 is not a valid tandem.testing.TestRequest"));
  EXPECT_THAT(result.err, HasSubstr("mesage"));
}

TEST_F(TestServiceCli, WrongValueTypeExitsThreeAndNamesTheField) {
  const Result result = Call("Blocking", {R"({"count": "many"})"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("count"));
}

TEST_F(TestServiceCli, BadRequestLaterInAStreamExitsThreeAndNamesIt) {
  const Result result = Call("ClientStreamBlocking", {}, "{\"message\": \"a\"}\n{oops}\n");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, StartsWith("tandem: request 2 is not a valid "));
}

}  // namespace
}  // namespace tandem::cli_test
