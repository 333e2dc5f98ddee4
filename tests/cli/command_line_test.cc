// tandem's command line: bad flags and arguments are usage errors (exit 2, one line on stderr)
// found before any server is asked, and --help documents the commands and the exit codes.
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/process.h"

namespace tandem::cli_test {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// No server listens there; a usage error must be found before that matters.
const std::string kNowhere = "127.0.0.1:1";

struct UsageCase {
  std::string name;
  std::vector<std::string> args;
  std::string error;  // a part of the one line on stderr
};

class UsageError : public ::testing::TestWithParam<UsageCase> {};

TEST_P(UsageError, ExitsTwoWithOneLine) {
  const Result result = RunTandem(GetParam().args);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, StartsWith("tandem: "));
  EXPECT_THAT(result.err, HasSubstr(GetParam().error));
  EXPECT_THAT(result.err, EndsWith("\n"));
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_EQ(result.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    Tandem, UsageError,
    ::testing::Values(
        UsageCase{"NoCommand", {}, "missing command"},
        UsageCase{"UnknownCommand", {"fetch", kNowhere}, "unknown command \"fetch\""},
        UsageCase{"ListWithoutAddress", {"list"}, "wrong number of arguments for list"},
        UsageCase{"CallWithoutMethod", {"call", kNowhere}, "wrong number of arguments for call"},
        UsageCase{"UnknownFlag", {"--bogus", "list", kNowhere}, "unknown flag --bogus"},
        UsageCase{"BadDeadline", {"--deadline=soon", "list", kNowhere}, "--deadline"},
        UsageCase{"NegativeDeadline", {"--deadline=-1s", "list", kNowhere}, "must be positive"},
        UsageCase{"FlagWithoutValue", {"list", kNowhere, "--deadline"}, "--deadline needs a value"},
        UsageCase{"HeaderWithoutColon", {"-H", "novalue", "list", kNowhere}, "key:value"},
        UsageCase{"BinaryHeaderNotBase64", {"-H", "x-bin:***", "list", kNowhere}, "base64"},
        UsageCase{"ShortOptionWithoutValue", {"list", kNowhere, "-H"}, "-H needs a value"},
        UsageCase{"ImportPathWithoutProto", {"-I", ".", "list", kNowhere}, "-I needs --proto"},
        UsageCase{
            "MissingProtoFile", {"--proto", "nothere.proto", "list", kNowhere}, "nothere.proto"},
        UsageCase{"TlsFileWithoutTls", {"--ca_file=ca.pem", "list", kNowhere}, "need --tls"},
        UsageCase{"UnreadableCaFile",
                  {"--tls", "--ca_file=/nonexistent.pem", "list", kNowhere},
                  "TLS ca_file '/nonexistent.pem': No such file or directory"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

TEST(Tandem, HelpListsCommandsFlagsAndExitCodes) {
  const Result result = RunTandem({"--help"});
  EXPECT_THAT(result.out, HasSubstr("tandem [flags] list HOST:PORT"));
  EXPECT_THAT(result.out, HasSubstr("tandem [flags] describe HOST:PORT SYMBOL"));
  EXPECT_THAT(result.out, HasSubstr("tandem [flags] call HOST:PORT package.Service/Method"));
  EXPECT_THAT(result.out, HasSubstr("tandem [flags] methods HOST:PORT"));
  EXPECT_THAT(result.out, HasSubstr("5  the server has no reflection service"));
  EXPECT_THAT(result.out, HasSubstr("7  deadline exceeded"));
  for (const char* flag : {"--header", "--deadline", "--json", "--tls", "--ca_file", "--cert_file",
                           "--key_file", "--server_name_override", "--proto", "--import_path"}) {
    EXPECT_THAT(result.out, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace tandem::cli_test
