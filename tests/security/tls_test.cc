// TLS and mutual TLS with gRPC's own credentials, made from PEM files by
// security/tls_credentials.h: calls in every handler style over TLS; under mutual TLS, clients
// without a certificate or with one from another CA refused, and the handler seeing the
// client's identity; and every kind of bad file named at once, before any handshake.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "security/tls_credentials.h"
#include "server/server.h"
#include "tests/security/test_certificates.h"
#include "tests/testing/test_methods.h"
#include "tests/testing/test_service_impl.h"

namespace tandem::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr Method kEveryStyle[] = {Method::kBlocking, Method::kCoroutine, Method::kCallback};

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TestCertificates> made = TestCertificates::CreateForTest();
    ASSERT_TRUE(made.ok()) << made.status();
    certificates_ = new TestCertificates(*std::move(made));
  }
  static void TearDownTestSuite() { delete certificates_; }

  const TestCertificates& pki() { return *certificates_; }

  // Starts a server on 127.0.0.1 with `files`; fails the test if it cannot.
  void StartServer(const ServerTlsFiles& files) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        ServerTlsCredentials(files);
    ASSERT_TRUE(credentials.ok()) << credentials.status();
    ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", *credentials).RegisterService(&service_);
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // A client of the server over TLS with `files`, dialling `host`.
  std::unique_ptr<TestClient> Client(const ClientTlsFiles& files,
                                     const std::string& host = "127.0.0.1") {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        ClientTlsCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    if (!credentials.ok()) return nullptr;
    return std::make_unique<TestClient>(
        grpc::CreateChannel(absl::StrCat(host, ":", server_->port()), *credentials));
  }

  static absl::StatusOr<TestReply> Echo(TestClient& client, Method method) {
    TestRequest request;
    request.set_action(TestRequest::ECHO);
    request.set_message("over tls");
    return CallBlocking(client, method, request, CallOptions().set_timeout(absl::Seconds(20)));
  }

  static TestCertificates* certificates_;
  TestServiceImpl service_;
  std::unique_ptr<Server> server_;
};

TestCertificates* Tls::certificates_ = nullptr;

TEST_F(Tls, CallsInEveryStyleSucceed) {
  StartServer({.cert_file = pki().server.cert_file, .key_file = pki().server.key_file});
  auto client = Client({.ca_file = pki().ca_file});
  ASSERT_NE(client, nullptr);
  for (Method method : kEveryStyle) {
    absl::StatusOr<TestReply> reply = Echo(*client, method);
    ASSERT_TRUE(reply.ok()) << MethodName(method) << ": " << reply.status();
    EXPECT_EQ(reply->message(), "over tls");
    EXPECT_THAT(reply->peer_identity(), ::testing::IsEmpty()) << "no client certificate";
  }
}

TEST_F(Tls, AClientThatDoesNotTrustTheServersCaIsRefused) {
  StartServer({.cert_file = pki().server.cert_file, .key_file = pki().server.key_file});
  auto client = Client({.ca_file = pki().other_ca_file});
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Echo(*client, Method::kBlocking).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(Tls, AServerCertificateForAnotherHostIsRefused) {
  StartServer({.cert_file = pki().wrong_host.cert_file, .key_file = pki().wrong_host.key_file});
  auto client = Client({.ca_file = pki().ca_file});
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Echo(*client, Method::kBlocking).status().code(), absl::StatusCode::kUnavailable);
}

// ChannelOptions::tls_server_name: the name to check the certificate against, when the address
// dialled is not it.
TEST_F(Tls, AChannelMayCheckTheCertificateAgainstAnotherName) {
  StartServer({.cert_file = pki().wrong_host.cert_file, .key_file = pki().wrong_host.key_file});
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ClientTlsCredentials({.ca_file = pki().ca_file});
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  TestClient client(CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                  {.credentials = *credentials,
                                   .tls_server_name = "elsewhere.example"}));
  absl::StatusOr<TestReply> reply = Echo(client, Method::kBlocking);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "over tls");
}

class MutualTls : public Tls {
 protected:
  void SetUp() override {
    StartServer({.cert_file = pki().server.cert_file,
                 .key_file = pki().server.key_file,
                 .client_ca_file = pki().ca_file});
  }
};

TEST_F(MutualTls, AClientWithACertificateIsServedAndTheHandlerSeesWhoItIs) {
  auto client = Client({.ca_file = pki().ca_file,
                        .cert_file = pki().client.cert_file,
                        .key_file = pki().client.key_file});
  ASSERT_NE(client, nullptr);
  for (Method method : kEveryStyle) {
    absl::StatusOr<TestReply> reply = Echo(*client, method);
    ASSERT_TRUE(reply.ok()) << MethodName(method) << ": " << reply.status();
    EXPECT_THAT(reply->peer_identity(), ElementsAre("client-a")) << MethodName(method);
  }
}

TEST_F(MutualTls, AClientWithoutACertificateIsRefused) {
  auto client = Client({.ca_file = pki().ca_file});
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Echo(*client, Method::kBlocking).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(MutualTls, AClientWithACertificateFromAnotherCaIsRefused) {
  auto client = Client({.ca_file = pki().ca_file,
                        .cert_file = pki().stranger.cert_file,
                        .key_file = pki().stranger.key_file});
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Echo(*client, Method::kBlocking).status().code(), absl::StatusCode::kUnavailable);
}

// Bad files: one error at once, naming the file and the reason.
class BadTlsFiles : public Tls {};

TEST_F(BadTlsFiles, AMissingFileIsNamed) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerTlsCredentials({.cert_file = "/nonexistent/server.pem", .key_file = "k"});
  EXPECT_EQ(credentials.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(credentials.status().message(),
            "TLS cert_file '/nonexistent/server.pem': No such file or directory");
}

TEST_F(BadTlsFiles, AFileWithoutPemIsNamed) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = ServerTlsCredentials(
      {.cert_file = pki().not_pem.cert_file, .key_file = pki().server.key_file});
  EXPECT_EQ(credentials.status().message(),
            absl::StrCat("TLS cert_file '", pki().not_pem.cert_file,
                         "': holds no PEM certificate"));
  credentials = ServerTlsCredentials(
      {.cert_file = pki().server.cert_file, .key_file = pki().not_pem.key_file});
  EXPECT_THAT(credentials.status().message(), HasSubstr("holds no PEM private key"));
  EXPECT_THAT(credentials.status().message(), HasSubstr(pki().not_pem.key_file));
}

TEST_F(BadTlsFiles, AnExpiredCertificateSaysWhenItExpired) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = ServerTlsCredentials(
      {.cert_file = pki().expired.cert_file, .key_file = pki().expired.key_file});
  EXPECT_THAT(credentials.status().message(),
              HasSubstr(absl::StrCat("TLS cert_file '", pki().expired.cert_file,
                                     "': the certificate expired on ")));
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> client = ClientTlsCredentials(
      {.cert_file = pki().expired.cert_file, .key_file = pki().expired.key_file});
  EXPECT_THAT(client.status().message(), HasSubstr("the certificate expired on "));
}

TEST_F(BadTlsFiles, AKeyOfAnotherCertificateIsNamed) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = ServerTlsCredentials(
      {.cert_file = pki().server.cert_file, .key_file = pki().client.key_file});
  EXPECT_EQ(credentials.status().message(),
            absl::StrCat("TLS key_file '", pki().client.key_file,
                         "': the key does not belong to the certificate in '",
                         pki().server.cert_file, "'"));
}

TEST_F(BadTlsFiles, AClientCertificateWithoutItsKeyIsRefused) {
  EXPECT_EQ(ClientTlsCredentials({.cert_file = pki().client.cert_file}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::testing
