// gRPC's own server interceptors run for Tandem's methods, whatever the handler's style or the
// RPC kind: an interceptor registered on the builder (grpc_builder().experimental()) sees each
// call's method and client metadata on arrival, and its status on the way out, and can add
// trailing metadata. This is where logging, metrics or a metadata check go (README, "Interceptors,
// logging and authentication").
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace tandem::testing {
namespace {

using grpc::experimental::InterceptionHookPoints;

// What the interceptors saw, per method: the client's "x-user" and the status sent.
struct Seen {
  std::string user;
  grpc::StatusCode status = grpc::StatusCode::UNKNOWN;
  bool status_seen = false;
};

class InterceptorLog {
 public:
  void Arrived(const std::string& method, std::string user) {
    absl::MutexLock lock(&mu_);
    seen_[method].user = std::move(user);
  }
  void Answered(const std::string& method, grpc::StatusCode status) {
    absl::MutexLock lock(&mu_);
    seen_[method].status = status;
    seen_[method].status_seen = true;
  }
  std::map<std::string, Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
};

// Runs on gRPC's threads, at each hook point of its call: records, tags the trailers, proceeds.
class LoggingInterceptor final : public grpc::experimental::Interceptor {
 public:
  LoggingInterceptor(grpc::experimental::ServerRpcInfo* info, InterceptorLog* log)
      : method_(info->method()), log_(log) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::string user;
      auto* metadata = methods->GetRecvInitialMetadata();
      if (auto it = metadata->find("x-user"); it != metadata->end()) {
        user.assign(it->second.data(), it->second.size());
      }
      log_->Arrived(method_, std::move(user));
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      log_->Answered(method_, methods->GetSendStatus().error_code());
      methods->GetSendTrailingMetadata()->emplace("x-intercepted", "yes");
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  InterceptorLog* const log_;
};

class LoggingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit LoggingInterceptorFactory(InterceptorLog* log) : log_(log) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new LoggingInterceptor(info, log_);
  }

 private:
  InterceptorLog* const log_;
};

std::unique_ptr<TestServer> StartIntercepted(InterceptorLog* log) {
  return TestServer::Start([log](ServerBuilder& builder, ServiceOptions&) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::make_unique<LoggingInterceptorFactory>(log));
    builder.grpc_builder().experimental().SetInterceptorCreators(std::move(creators));
  });
}

std::string FullName(absl::string_view method) {
  return absl::StrCat("/tandem.testing.TestService/", method);
}

TEST(ServerInterceptors, SeeEveryUnaryCallInEveryStyle) {
  InterceptorLog log;
  auto server = StartIntercepted(&log);
  ASSERT_NE(server, nullptr);
  const CallOptions options = CallOptions().AddMetadata("x-user", "ada");
  for (Method method :
       {Method::kBlocking, Method::kCoroutine, Method::kCallback, Method::kCallbackOnPool}) {
    EXPECT_TRUE(server->Call(method, ClientForm::kBlocking, MakeRequest(TestRequest::ECHO),
                             options).ok());
  }
  TestRequest fail = MakeRequest(TestRequest::FAIL, "no");
  fail.set_code(grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(server->Call(Method::kCoroutine, ClientForm::kBlocking, fail).ok());

  const std::map<std::string, Seen> seen = log.seen();
  for (const char* method : {"Blocking", "Callback", "CallbackOnPool"}) {
    ASSERT_TRUE(seen.count(FullName(method))) << method;
    EXPECT_EQ(seen.at(FullName(method)).user, "ada") << method;
    EXPECT_EQ(seen.at(FullName(method)).status, grpc::StatusCode::OK) << method;
  }
  ASSERT_TRUE(seen.count(FullName("Coroutine")));
  EXPECT_EQ(seen.at(FullName("Coroutine")).status, grpc::StatusCode::PERMISSION_DENIED)
      << "the interceptor sees the status the handler answered";
}

TEST(ServerInterceptors, SeeEveryStreamingKindInEveryStyle) {
  InterceptorLog log;
  auto server = StartIntercepted(&log);
  ASSERT_NE(server, nullptr);
  TestClient& client = server->client();
  const CallOptions options = CallOptions().set_timeout(absl::Seconds(20));
  TestRequest two = MakeRequest(TestRequest::ECHO, "m");
  two.set_count(2);
  std::vector<std::string> methods;
  for (const char* style : {"Blocking", "Coroutine", "Callback"}) {
    methods.push_back(absl::StrCat("ServerStream", style));
    methods.push_back(absl::StrCat("ClientStream", style));
    methods.push_back(absl::StrCat("Bidi", style));
  }
  auto finish_all = [](auto reader) {
    TestReply reply;
    while (reader.Read(&reply)) {
    }
    return reader.Finish();
  };
  EXPECT_TRUE(finish_all(client.ServerStreamBlocking(two, options)).ok());
  EXPECT_TRUE(finish_all(client.ServerStreamCoroutine(two, options)).ok());
  EXPECT_TRUE(finish_all(client.ServerStreamCallback(two, options)).ok());
  auto write_one = [&](auto writer) {
    EXPECT_TRUE(writer.Write(two));
    return writer.Finish().status();
  };
  EXPECT_TRUE(write_one(client.ClientStreamBlocking(options)).ok());
  EXPECT_TRUE(write_one(client.ClientStreamCoroutine(options)).ok());
  EXPECT_TRUE(write_one(client.ClientStreamCallback(options)).ok());
  auto bidi_one = [&](auto stream) {
    EXPECT_TRUE(stream.Write(two));
    stream.WritesDone();
    TestReply reply;
    while (stream.Read(&reply)) {
    }
    return stream.Finish();
  };
  EXPECT_TRUE(bidi_one(client.BidiBlocking(options)).ok());
  EXPECT_TRUE(bidi_one(client.BidiCoroutine(options)).ok());
  EXPECT_TRUE(bidi_one(client.BidiCallback(options)).ok());

  const std::map<std::string, Seen> seen = log.seen();
  for (const std::string& method : methods) {
    ASSERT_TRUE(seen.count(FullName(method))) << method << " was never intercepted";
    EXPECT_TRUE(seen.at(FullName(method)).status_seen) << method;
    EXPECT_EQ(seen.at(FullName(method)).status, grpc::StatusCode::OK) << method;
  }
}

TEST(ServerInterceptors, CanAddTrailingMetadataToTandemsReplies) {
  InterceptorLog log;
  auto server = StartIntercepted(&log);
  ASSERT_NE(server, nullptr);
  // gRPC's own stub, which shows the trailers.
  std::unique_ptr<TestService::Stub> stub = TestService::NewStub(server->channel());
  for (Method method : {Method::kBlocking, Method::kCoroutine, Method::kCallback}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    TestReply reply;
    const TestRequest request = MakeRequest(TestRequest::ECHO, "hi");
    grpc::Status status = method == Method::kBlocking    ? stub->Blocking(&context, request, &reply)
                          : method == Method::kCoroutine ? stub->Coroutine(&context, request, &reply)
                                                         : stub->Callback(&context, request, &reply);
    ASSERT_TRUE(status.ok()) << MethodName(method) << ": " << status.error_message();
    const auto& trailers = context.GetServerTrailingMetadata();
    auto tag = trailers.find("x-intercepted");
    ASSERT_NE(tag, trailers.end()) << MethodName(method);
    EXPECT_EQ(std::string(tag->second.data(), tag->second.size()), "yes");
  }
}

}  // namespace
}  // namespace tandem::testing
