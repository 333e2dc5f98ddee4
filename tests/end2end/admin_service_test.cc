// Every Tandem server answers tandem.admin.v1.ServerAdmin/ListMethods (server/admin_service.h)
// through gRPC's own generated client: each method of its Tandem services, in registration order,
// with its handler style, its executor and its counts, as Server::method_stats() has them. The
// builder can turn the service off.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "proto/tandem_admin.grpc.pb.h"
#include "server/method_stats_proto.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using ::tandem::admin::v1::ListMethodsRequest;
using ::tandem::admin::v1::ListMethodsResponse;
using ::tandem::admin::v1::ServerAdmin;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr char kService[] = "/tandem.testing.TestService/";

grpc::Status ListMethods(TestServer& server, ListMethodsResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
  return ServerAdmin::NewStub(server.channel())->ListMethods(&context, ListMethodsRequest(),
                                                             response);
}

// The entry for `method` (its name in the .proto); fails the test if there is none.
admin::v1::MethodStats Find(const ListMethodsResponse& response, const std::string& method) {
  for (const admin::v1::MethodStats& stats : response.methods()) {
    if (stats.method() == kService + method) return stats;
  }
  ADD_FAILURE() << "ListMethods has no " << kService << method;
  return admin::v1::MethodStats();
}

TEST(AdminService, ListMethodsGivesEachMethodsStyleExecutorAndCounts) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO))
            .ok());
  }
  TestRequest failing = MakeRequest(TestRequest::FAIL, "no");
  failing.set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_FALSE(server->Call(Method::kBlocking, ClientForm::kBlocking, failing).ok());
  ASSERT_TRUE(
      server->Call(Method::kCoroutine, ClientForm::kCoroutine, MakeRequest(TestRequest::ECHO))
          .ok());
  ASSERT_EQ(server->StatsOnceIdle("Blocking").started, 3u);
  ASSERT_EQ(server->StatsOnceIdle("Coroutine").started, 1u);

  ListMethodsResponse response;
  const grpc::Status status = ListMethods(*server, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const admin::v1::MethodStats blocking = Find(response, "Blocking");
  EXPECT_EQ(blocking.style(), admin::v1::HANDLER_STYLE_BLOCKING);
  EXPECT_EQ(blocking.executor(), "tandem-pool");
  EXPECT_EQ(blocking.started(), 3u);
  EXPECT_EQ(blocking.finished_ok(), 2u);
  EXPECT_EQ(blocking.finished_error(), 1u);
  EXPECT_FALSE(blocking.has_one_way());
  EXPECT_FALSE(blocking.has_shadow());

  const admin::v1::MethodStats coroutine = Find(response, "Coroutine");
  EXPECT_EQ(coroutine.style(), admin::v1::HANDLER_STYLE_COROUTINE);
  EXPECT_EQ(coroutine.executor(), "tandem-loop");
  EXPECT_EQ(coroutine.started(), 1u);
  EXPECT_EQ(coroutine.finished_ok(), 1u);

  const admin::v1::MethodStats callback = Find(response, "Callback");
  EXPECT_EQ(callback.style(), admin::v1::HANDLER_STYLE_CALLBACK);
  EXPECT_EQ(callback.executor(), "inline");
  EXPECT_EQ(callback.started(), 0u);
  EXPECT_EQ(Find(response, "CallbackOnPool").executor(), "callback-pool");

  const admin::v1::MethodStats unimplemented = Find(response, "Unimplemented");
  EXPECT_EQ(unimplemented.style(), admin::v1::HANDLER_STYLE_NOT_IMPLEMENTED);
  EXPECT_EQ(unimplemented.executor(), "");
}

// Every method, in registration order, as Server::method_stats() has it; the admin service's own
// call is not among them.
TEST(AdminService, ListMethodsAnswersWhatMethodStatsSays) {
  auto server = TestServer::Start();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(
      server->Call(Method::kCallback, ClientForm::kAsyncCallback, MakeRequest(TestRequest::ECHO))
          .ok());
  server->StatsOnceIdle("Callback");

  ListMethodsResponse response;
  ASSERT_TRUE(ListMethods(*server, &response).ok());
  const std::vector<MethodStats> expected = server->server().method_stats();
  ASSERT_EQ(response.methods_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    const admin::v1::MethodStats want = MethodStatsToProto(expected[i]);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(response.methods(i), want))
        << "method " << i << ": " << response.methods(i).ShortDebugString() << " vs "
        << want.ShortDebugString();
  }
}

TEST(AdminService, CanBeTurnedOff) {
  auto server = TestServer::Start(
      [](ServerBuilder& builder, ServiceOptions&) { builder.EnableAdminService(false); });
  ASSERT_NE(server, nullptr);
  ListMethodsResponse response;
  EXPECT_EQ(ListMethods(*server, &response).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // The server serves on.
  EXPECT_TRUE(
      server->Call(Method::kBlocking, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO))
          .ok());
}

}  // namespace
}  // namespace tandem::testing
