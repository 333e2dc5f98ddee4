// tandem's TLS flags against the interop server and the greeter serving TLS (their --use_tls
// flags), with certificates made at test time: a trusted server, an untrusted one, and mutual
// TLS with and without a client certificate.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/cli/process.h"
#include "tests/security/test_certificates.h"

namespace tandem::cli_test {
namespace {

using ::tandem::testing::TestCertificates;

class TlsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TestCertificates> made = TestCertificates::CreateForTest();
    ASSERT_TRUE(made.ok()) << made.status();
    pki_ = new TestCertificates(*std::move(made));
  }
  static void TearDownTestSuite() { delete pki_; }

  static std::vector<std::string> ServerTlsFlags() {
    return {"--use_tls", "--tls_cert_file=" + pki_->server.cert_file,
            "--tls_key_file=" + pki_->server.key_file};
  }

  static TestCertificates* pki_;
};

TestCertificates* TlsCli::pki_ = nullptr;

TEST_F(TlsCli, CallsAnInteropServerOverTls) {
  ServerProcess server("tandem/tests/interop/interop_server", ServerTlsFlags());
  const Result result =
      RunTandem({"--deadline=30s", "--tls", "--ca_file=" + pki_->ca_file, "call",
                 server.address(), "grpc.testing.TestService/UnaryCall", R"({"responseSize": 3})"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"payload\":{\"body\":\"AAAA\"}}\n");
}

TEST_F(TlsCli, AServerItDoesNotTrustIsUnreachable) {
  ServerProcess server("tandem/tests/interop/interop_server", ServerTlsFlags());
  const Result result = RunTandem({"--deadline=30s", "--tls", "--ca_file=" + pki_->other_ca_file,
                                   "list", server.address()});
  EXPECT_EQ(result.exit_code, 6) << result.err;
}

TEST_F(TlsCli, MutualTlsNeedsTheClientCertificate) {
  std::vector<std::string> flags = ServerTlsFlags();
  flags.push_back("--tls_client_ca_file=" + pki_->ca_file);
  ServerProcess server("tandem/examples/greeter/greeter_server", flags);
  const std::vector<std::string> call = {"call", server.address(),
                                         "tandem.examples.Greeter/SayHello", R"({"name": "Ada"})"};

  std::vector<std::string> args = {"--deadline=30s", "--tls", "--ca_file=" + pki_->ca_file,
                                   "--cert_file=" + pki_->client.cert_file,
                                   "--key_file=" + pki_->client.key_file};
  args.insert(args.end(), call.begin(), call.end());
  Result result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"message\":\"Hello, Ada!\"}\n");

  args = {"--deadline=30s", "--tls", "--ca_file=" + pki_->ca_file};
  args.insert(args.end(), call.begin(), call.end());
  result = RunTandem(args);
  EXPECT_EQ(result.exit_code, 6) << result.err;
}

}  // namespace
}  // namespace tandem::cli_test
