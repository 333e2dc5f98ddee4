// Every Tandem server answers gRPC's health checks and server reflection, through gRPC's own
// clients: the health stub generated from grpc/health/v1/health.proto, and reflection requests
// built from the descriptors gRPC's reflection library registers. Each can be turned off.
// Shutdown turns every health status to NOT_SERVING before in-flight calls drain.
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kTestService[] = "tandem.testing.TestService";

std::unique_ptr<grpc::ClientContext> WithDeadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kWait));
  return context;
}

// The status Check reports for `service` ("SERVING", "NOT_SERVING"), or the call's error code
// ("NOT_FOUND").
std::string Check(TestServer& server, const std::string& service) {
  auto stub = Health::NewStub(server.channel());
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(WithDeadline().get(), request, &response);
  if (!status.ok()) {
    return absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  }
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

TEST(Health, EveryRegisteredServiceAndTheServerAsAWholeAreServing) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(Check(*server, ""), "SERVING");
  EXPECT_EQ(Check(*server, kTestService), "SERVING");
  EXPECT_EQ(Check(*server, "no.such.Service"), "NOT_FOUND");
}

TEST(Health, AServiceCanBeMarkedNotServingAndBack) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(server->server().health(), nullptr);
  server->server().health()->SetServingStatus(kTestService, false);
  EXPECT_EQ(Check(*server, kTestService), "NOT_SERVING");
  server->server().health()->SetServingStatus(kTestService, true);
  EXPECT_EQ(Check(*server, kTestService), "SERVING");
}

// A load balancer watching health hears NOT_SERVING while the server still drains its calls;
// the watch itself does not hold up the drain.
TEST(Health, TurnsNotServingAsShutdownBeginsBeforeCallsInFlightDrain) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  auto in_flight = std::async(std::launch::async, [&] {
    return server->Call(Method::kBlocking, ClientForm::kBlocking,
                        MakeRequest(TestRequest::BLOCK, "drained"));
  });
  ASSERT_TRUE(server->service().WaitForHandlersWaiting(1, kWait));

  auto stub = Health::NewStub(server->channel());
  std::unique_ptr<grpc::ClientContext> watch_context = WithDeadline();
  HealthCheckRequest request;
  request.set_service(kTestService);
  auto watch = stub->Watch(watch_context.get(), request);
  HealthCheckResponse seen;
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), HealthCheckResponse::SERVING);

  absl::Notification shut_down;
  std::thread shutdown([&] {
    server->server().Shutdown(kWait);
    shut_down.Notify();
  });
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(in_flight.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the call in flight ended before the health status changed";
  EXPECT_FALSE(shut_down.HasBeenNotified());

  server->service().Release();
  absl::StatusOr<TestReply> reply = in_flight.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "drained");
  EXPECT_TRUE(shut_down.WaitForNotificationWithTimeout(kWait))
      << "an open health watch held up the shutdown";
  shutdown.join();
}

// During the lame-duck period the server says NOT_SERVING and still serves new calls: a load
// balancer polling Check takes it out before it stops accepting.
TEST(Health, ALameDuckPeriodAnswersNotServingWhileStillServing) {
  auto server = TestServer::Start([](ServerBuilder& builder, ServiceOptions&) {
    builder.SetLameDuckPeriod(absl::Seconds(5));
  });
  ASSERT_NE(server, nullptr);
  std::thread shutdown([&] { server->server().Shutdown(kWait); });

  std::string status = "SERVING";
  const absl::Time give_up = absl::Now() + kWait;
  while (status == "SERVING" && absl::Now() < give_up) status = Check(*server, kTestService);
  EXPECT_EQ(status, "NOT_SERVING");
  EXPECT_EQ(Check(*server, ""), "NOT_SERVING");
  absl::StatusOr<TestReply> reply =
      server->Call(Method::kCoroutine, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO, "hi"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "hi");
  shutdown.join();
}

TEST(Health, CanBeTurnedOff) {
  auto server = TestServer::Start(
      [](ServerBuilder& builder, ServiceOptions&) { builder.EnableHealthService(false); });
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->server().health(), nullptr);
  EXPECT_EQ(Check(*server, ""), "UNIMPLEMENTED");
}

TEST(ServerConfig, RejectsANegativeLameDuckPeriod) {
  TestServiceImpl service;
  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0")
      .RegisterService(&service)
      .SetLameDuckPeriod(absl::Seconds(-1));
  absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("SetLameDuckPeriod"), std::string::npos)
      << server.status();
}

// Reflection: the services a server lists, asked through one ServerReflectionInfo stream with
// messages built from the descriptors gRPC's reflection library registers.
class ReflectionClient {
 public:
  explicit ReflectionClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(std::move(channel)),
        pool_(*google::protobuf::DescriptorPool::generated_pool()),
        request_type_(pool_.FindMessageTypeByName(
            "grpc.reflection.v1alpha.ServerReflectionRequest")),
        response_type_(pool_.FindMessageTypeByName(
            "grpc.reflection.v1alpha.ServerReflectionResponse")) {}

  // The service names the server lists, or the call's error.
  absl::StatusOr<std::vector<std::string>> ListServices() {
    if (request_type_ == nullptr || response_type_ == nullptr) {
      return absl::InternalError("gRPC's reflection descriptors are not linked in");
    }
    std::unique_ptr<google::protobuf::Message> request(factory_.GetPrototype(request_type_)->New());
    request->GetReflection()->SetString(request.get(),
                                        request_type_->FindFieldByName("list_services"), "");
    grpc::ByteBuffer request_bytes;
    bool own_buffer = false;
    if (!grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(
             *request, &request_bytes, &own_buffer)
             .ok()) {
      return absl::InternalError("could not serialize the request");
    }
    std::unique_ptr<grpc::ClientContext> context = WithDeadline();
    grpc::CompletionQueue cq;
    auto stream = stub_.PrepareCall(
        context.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    void* tag = nullptr;
    bool ok = false;
    stream->StartCall(&tag);
    cq.Next(&tag, &ok);
    stream->Write(request_bytes, &tag);
    cq.Next(&tag, &ok);
    stream->WritesDone(&tag);
    cq.Next(&tag, &ok);
    grpc::ByteBuffer response_bytes;
    stream->Read(&response_bytes, &tag);
    cq.Next(&tag, &ok);
    const bool got_response = ok;
    grpc::Status status;
    stream->Finish(&status, &tag);
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    if (!got_response) return absl::InternalError("no response");
    std::unique_ptr<google::protobuf::Message> response(
        factory_.GetPrototype(response_type_)->New());
    if (!grpc::GenericDeserialize<grpc::ProtoBufferReader, google::protobuf::Message>(
             &response_bytes, response.get())
             .ok()) {
      return absl::InternalError("could not parse the response");
    }
    const google::protobuf::Reflection& reflection = *response->GetReflection();
    const google::protobuf::Message& list = reflection.GetMessage(
        *response, response_type_->FindFieldByName("list_services_response"));
    const google::protobuf::FieldDescriptor* services =
        list.GetDescriptor()->FindFieldByName("service");
    std::vector<std::string> names;
    for (int i = 0; i < list.GetReflection()->FieldSize(list, services); ++i) {
      const google::protobuf::Message& service =
          list.GetReflection()->GetRepeatedMessage(list, services, i);
      names.push_back(service.GetReflection()->GetString(
          service, service.GetDescriptor()->FindFieldByName("name")));
    }
    return names;
  }

 private:
  grpc::GenericStub stub_;
  const google::protobuf::DescriptorPool& pool_;
  const google::protobuf::Descriptor* request_type_;
  const google::protobuf::Descriptor* response_type_;
  google::protobuf::DynamicMessageFactory factory_;
};

TEST(Reflection, ListsEveryRegisteredServiceWithHealthReflectionAndAdmin) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::vector<std::string>> services =
      ReflectionClient(server->channel()).ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, ::testing::UnorderedElementsAre(
                             kTestService, "grpc.health.v1.Health",
                             "grpc.reflection.v1alpha.ServerReflection",
                             "tandem.admin.v1.ServerAdmin"));
}

TEST(Reflection, CanBeTurnedOff) {
  auto server = TestServer::Start(
      [](ServerBuilder& builder, ServiceOptions&) { builder.EnableReflection(false); });
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(ReflectionClient(server->channel()).ListServices().status().code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace tandem::testing
