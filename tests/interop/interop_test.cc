// The interop cases of gRPC's interop test descriptions, driven by a plain gRPC C++ client (the
// stub grpc_cpp_plugin generates, synchronous API) against the Tandem interop server.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/testing/test.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/interop/interop_service.h"

namespace tandem::interop {
namespace {

using grpc::testing::ResponseParameters;
using grpc::testing::TestService;
using grpc::testing::UnimplementedService;

class Interop : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0").RegisterService(&service_);
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = TestService::NewStub(channel_);
  }

  // Every call gets a deadline, so a hang fails the test instead of stalling it.
  static void SetDeadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }

  InteropService service_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TestService::Stub> stub_;
};

TEST_F(Interop, EmptyUnary) {
  grpc::ClientContext context;
  SetDeadline(context);
  Empty response;
  grpc::Status status = stub_->EmptyCall(&context, Empty(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.ByteSizeLong(), 0u);
}

TEST_F(Interop, LargeUnary) {
  grpc::ClientContext context;
  SetDeadline(context);
  SimpleRequest request;
  request.set_response_size(314159);
  request.mutable_payload()->set_body(std::string(271828, '\0'));
  SimpleResponse response;
  grpc::Status status = stub_->UnaryCall(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.payload().body(), std::string(314159, '\0'));
}

TEST_F(Interop, CacheableUnary) {
  grpc::ClientContext context;
  SetDeadline(context);
  SimpleRequest request;
  request.set_response_size(1024);
  SimpleResponse response;
  ASSERT_TRUE(stub_->CacheableUnaryCall(&context, request, &response).ok());
  EXPECT_EQ(response.payload().body().size(), 1024u);
}

TEST_F(Interop, ClientStreaming) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingInputCallResponse response;
  auto writer = stub_->StreamingInputCall(&context, &response);
  for (int size : {27182, 8, 1828, 45904}) {
    StreamingInputCallRequest request;
    request.mutable_payload()->set_body(std::string(size, '\0'));
    ASSERT_TRUE(writer->Write(request));
  }
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.aggregated_payload_size(), 74922);
}

TEST_F(Interop, ServerStreaming) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingOutputCallRequest request;
  for (int size : {31415, 9, 2653, 58979}) request.add_response_parameters()->set_size(size);
  auto reader = stub_->StreamingOutputCall(&context, request);
  std::vector<size_t> sizes;
  StreamingOutputCallResponse response;
  while (reader->Read(&response)) sizes.push_back(response.payload().body().size());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(sizes, ::testing::ElementsAre(31415u, 9u, 2653u, 58979u));
}

TEST_F(Interop, ServerStreamingWithIntervals) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingOutputCallRequest request;
  for (int i = 0; i < 3; ++i) {
    ResponseParameters* parameters = request.add_response_parameters();
    parameters->set_size(10);
    parameters->set_interval_us(20000);
  }
  auto reader = stub_->StreamingOutputCall(&context, request);
  int received = 0;
  StreamingOutputCallResponse response;
  while (reader->Read(&response)) ++received;
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(received, 3);
}

TEST_F(Interop, PingPong) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->FullDuplexCall(&context);
  const int request_sizes[] = {27182, 8, 1828, 45904};
  const int response_sizes[] = {31415, 9, 2653, 58979};
  for (int i = 0; i < 4; ++i) {
    StreamingOutputCallRequest request;
    request.add_response_parameters()->set_size(response_sizes[i]);
    request.mutable_payload()->set_body(std::string(request_sizes[i], '\0'));
    ASSERT_TRUE(stream->Write(request));
    StreamingOutputCallResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.payload().body().size(), static_cast<size_t>(response_sizes[i]));
  }
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse extra;
  EXPECT_FALSE(stream->Read(&extra));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(Interop, HalfDuplexAnswersAfterTheHalfClose) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->HalfDuplexCall(&context);
  for (int size : {5, 6}) {
    StreamingOutputCallRequest request;
    request.add_response_parameters()->set_size(size);
    ASSERT_TRUE(stream->Write(request));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::vector<size_t> sizes;
  StreamingOutputCallResponse response;
  while (stream->Read(&response)) sizes.push_back(response.payload().body().size());
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_THAT(sizes, ::testing::ElementsAre(5u, 6u));
}

TEST_F(Interop, EmptyStream) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->FullDuplexCall(&context);
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(Interop, CancelAfterBegin) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingInputCallResponse response;
  auto writer = stub_->StreamingInputCall(&context, &response);
  context.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(Interop, CancelAfterFirstResponse) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(31415);
  request.mutable_payload()->set_body(std::string(27182, '\0'));
  ASSERT_TRUE(stream->Write(request));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response));
  context.TryCancel();
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(Interop, TimeoutOnSleepingServer) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1));
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.mutable_payload()->set_body(std::string(27182, '\0'));
  stream->Write(request);
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(Interop, CustomMetadataUnary) {
  grpc::ClientContext context;
  SetDeadline(context);
  context.AddMetadata("x-grpc-test-echo-initial", "test_initial_metadata_value");
  context.AddMetadata("x-grpc-test-echo-trailing-bin", std::string("\x0a\x0b\x0a\x0b\x0a\x0b"));
  SimpleRequest request;
  request.set_response_size(314159);
  request.mutable_payload()->set_body(std::string(271828, '\0'));
  SimpleResponse response;
  ASSERT_TRUE(stub_->UnaryCall(&context, request, &response).ok());
  auto initial = context.GetServerInitialMetadata().find("x-grpc-test-echo-initial");
  ASSERT_NE(initial, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(initial->second.data(), initial->second.size()),
            "test_initial_metadata_value");
  auto trailing = context.GetServerTrailingMetadata().find("x-grpc-test-echo-trailing-bin");
  ASSERT_NE(trailing, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(trailing->second.data(), trailing->second.size()),
            std::string("\x0a\x0b\x0a\x0b\x0a\x0b"));
}

TEST_F(Interop, CustomMetadataFullDuplex) {
  grpc::ClientContext context;
  SetDeadline(context);
  context.AddMetadata("x-grpc-test-echo-initial", "test_initial_metadata_value");
  context.AddMetadata("x-grpc-test-echo-trailing-bin", std::string("\x0a\x0b\x0a\x0b\x0a\x0b"));
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(314159);
  ASSERT_TRUE(stream->Write(request));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&response));
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(context.GetServerInitialMetadata().count("x-grpc-test-echo-initial"), 1u);
  EXPECT_EQ(context.GetServerTrailingMetadata().count("x-grpc-test-echo-trailing-bin"), 1u);
}

TEST_F(Interop, StatusCodeAndMessage) {
  const std::string message = "test status message";
  {
    grpc::ClientContext context;
    SetDeadline(context);
    SimpleRequest request;
    request.mutable_response_status()->set_code(2);
    request.mutable_response_status()->set_message(message);
    SimpleResponse response;
    grpc::Status status = stub_->UnaryCall(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
    EXPECT_EQ(status.error_message(), message);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = stub_->FullDuplexCall(&context);
    StreamingOutputCallRequest request;
    request.mutable_response_status()->set_code(2);
    request.mutable_response_status()->set_message(message);
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->WritesDone());
    StreamingOutputCallResponse response;
    EXPECT_FALSE(stream->Read(&response));
    grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
    EXPECT_EQ(status.error_message(), message);
  }
}

TEST_F(Interop, SpecialStatusMessage) {
  const std::string message = "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and non-BMP "
                              "\xf0\x9f\x98\x88\t\n";
  grpc::ClientContext context;
  SetDeadline(context);
  SimpleRequest request;
  request.mutable_response_status()->set_code(2);
  request.mutable_response_status()->set_message(message);
  SimpleResponse response;
  grpc::Status status = stub_->UnaryCall(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(status.error_message(), message);
}

TEST_F(Interop, UnimplementedMethod) {
  grpc::ClientContext context;
  SetDeadline(context);
  Empty response;
  EXPECT_EQ(stub_->UnimplementedCall(&context, Empty(), &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(Interop, UnimplementedService) {
  auto stub = UnimplementedService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  Empty response;
  EXPECT_EQ(stub->UnimplementedCall(&context, Empty(), &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace tandem::interop
