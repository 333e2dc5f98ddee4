#include "examples/greeter/coroutine_greeter_service.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tandem::examples {

void CoroutineGreeterService::ConnectClient(std::shared_ptr<GreeterTandem::Client> client) {
  unmigrated_.ConnectClient(std::move(client));
}

Task<grpc::Status> CoroutineGreeterService::SayHello(ServerContext&, const HelloRequest& request,
                                                     HelloReply* reply) {
  if (request.name().empty()) {
    co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name must not be empty");
  }
  reply->set_message(absl::StrCat("Hello, ", request.name(), "!"));
  co_return grpc::Status::OK;
}

void CoroutineGreeterService::Shout(ServerContext& context, const HelloRequest& request,
                                    UnaryResponder<HelloReply> responder) {
  unmigrated_.Shout(context, request, std::move(responder));
}

Task<grpc::Status> CoroutineGreeterService::Greet(ServerContext& context,
                                                  const HelloRequest& request, HelloReply* reply) {
  return unmigrated_.Greet(context, request, reply);
}

}  // namespace tandem::examples
