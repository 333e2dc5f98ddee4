// A Tandem client facing a server that answers with bytes that are not the method's response
// type (a buggy or hostile server, or a .proto out of step): every form of every call kind ends
// with INTERNAL and a message naming the method and the type, never with OK on partial data.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "asio/use_future.hpp"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "proto/test_service.tandem.h"
#include "tests/testing/garbage_server.h"

namespace tandem::testing {
namespace {

using ::testing::HasSubstr;

class HostileServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.started());
    client_ = std::make_unique<TestServiceTandem::Client>(
        grpc::CreateChannel(server_.target(), grpc::InsecureChannelCredentials()));
  }

  CallOptions Options() { return CallOptions().set_timeout(absl::Seconds(20)); }

  GarbageServer server_;
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
