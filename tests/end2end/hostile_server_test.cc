// A Tandem client facing a server that answers with bytes that are not the method's response
// type (a buggy or hostile server, or a .proto out of step): every form of every call kind ends
// with INTERNAL and a message naming the method and the type, never with OK on partial data.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "asio/use_future.hpp"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_callback.h"
#include "gtest/gtest.h"
#include "proto/test_service.tandem.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

// Not a valid encoding of any message: field 1, length-delimited, length past the end.
const std::string kGarbage("\x0a\x7f\x01", 3);

// Answers every call with one message of kGarbage and OK, whatever the method.
class GarbageService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() {
        grpc::Slice slice(kGarbage);
        reply_ = grpc::ByteBuffer(&slice, 1);
        StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer reply_;
    };
    return new Reactor();
  }
};

class HostileServer : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<TestServiceTandem::Client>(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  CallOptions Options() { return CallOptions().set_timeout(absl::Seconds(20)); }

  GarbageService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TestServiceTandem::Client> client_;
};

TEST_F(HostileServer, UnaryCallEndsWithInternalNamingTheResponseType) {
  absl::StatusOr<TestReply> reply = client_->Blocking(TestRequest(), Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr("/tandem.testing.TestService/Blocking"));
  EXPECT_THAT(reply.status().message(), HasSubstr("is not a valid tandem.testing.TestReply"));
}

TEST_F(HostileServer, AsyncAndCoroutineUnaryCallsEndWithInternalToo) {
  std::future<absl::StatusOr<TestReply>> reply =
      client_->AsyncCoroutine(TestRequest(), Options(), asio::use_future);
  ASSERT_EQ(reply.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(reply.get().status().code(), absl::StatusCode::kInternal);
}

TEST_F(HostileServer, ServerStreamEndsWithInternalNotWithOk) {
  ClientReader<TestReply> reader = client_->ServerStreamBlocking(TestRequest(), Options());
  TestReply reply;
  EXPECT_FALSE(reader.Read(&reply));
  absl::Status status = reader.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr("tandem.testing.TestReply"));
  EXPECT_THAT(status.message(), HasSubstr("/tandem.testing.TestService/ServerStreamBlocking"));
}

TEST_F(HostileServer, BidiStreamEndsWithInternalNotWithOk) {
  ClientReaderWriter<TestRequest, TestReply> stream = client_->BidiBlocking(Options());
  TestReply reply;
  EXPECT_FALSE(stream.Read(&reply));
  absl::Status status = stream.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr("tandem.testing.TestReply"));
}

TEST_F(HostileServer, ClientStreamEndsWithInternal) {
  ClientWriter<TestRequest, TestReply> writer = client_->ClientStreamBlocking(Options());
  absl::StatusOr<TestReply> reply = writer.Finish();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr("tandem.testing.TestReply"));
}

}  // namespace
}  // namespace tandem::testing
