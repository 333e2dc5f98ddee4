#include "examples/greeter/greeter_service.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "asio/post.hpp"
#include "client/status.h"

namespace tandem::examples {

GreeterService::GreeterService() = default;

GreeterService::~GreeterService() { backend_.join(); }

void GreeterService::ConnectClient(std::shared_ptr<GreeterTandem::Client> client) {
  absl::MutexLock lock(&mu_);
  client_ = std::move(client);
}

grpc::Status GreeterService::SayHello(ServerContext& context, const HelloRequest& request,
                                      HelloReply* reply) {
  if (request.name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name must not be empty");
  }
  reply->set_message(absl::StrCat("Hello, ", request.name(), "!"));
  return grpc::Status::OK;
}

void GreeterService::Shout(ServerContext& context, const HelloRequest& request,
                           UnaryResponder<HelloReply> responder) {
  // This runs on gRPC's callback thread: take what is needed and return at once.
  asio::post(backend_, [name = request.name(), responder = std::move(responder)]() mutable {
    responder.response()->set_message(absl::StrCat(absl::AsciiStrToUpper(name), "!"));
    responder.Finish(grpc::Status::OK);
  });
}

Task<grpc::Status> GreeterService::Greet(ServerContext& context, const HelloRequest& request,
                                         HelloReply* reply) {
  std::shared_ptr<GreeterTandem::Client> client;
  {
    absl::MutexLock lock(&mu_);
    client = client_;
  }
  if (client == nullptr) {
    co_return grpc::Status(grpc::StatusCode::UNAVAILABLE, "Greet has no client yet");
  }
  // The nested calls inherit this call's deadline and cancellation (executors/call_scope.h).
  absl::StatusOr<HelloReply> hello = co_await client->CoSayHello(request);
  if (!hello.ok()) co_return ToGrpcStatus(hello.status());
  absl::StatusOr<HelloReply> shout = co_await client->CoShout(request);
  if (!shout.ok()) co_return ToGrpcStatus(shout.status());
  reply->set_message(absl::StrCat(hello->message(), " ", shout->message()));
  co_return grpc::Status::OK;
}

}  // namespace tandem::examples
