#include "tests/testing/echo_services.h"

#include "absl/strings/ascii.h"
#include "executors/blocking.h"

namespace tandem::testing {

grpc::Status BlockingEcho::Say(ServerContext&, const EchoRequest& request, EchoReply* reply) {
  reply->set_message(request.message());
  reply->set_implementation("BlockingEcho");
  reply->set_calls(++calls_);
  reply->set_on_fiber(OnFiber());
  return grpc::Status::OK;
}

Task<grpc::Status> CoroutineEcho::Say(ServerContext&, const EchoRequest& request,
                                      EchoReply* reply) {
  reply->set_message(request.message());
  reply->set_implementation("CoroutineEcho");
  reply->set_calls(++calls_);
  reply->set_on_fiber(OnFiber());
  co_return grpc::Status::OK;
}

grpc::Status UpperCaseEcho::Say(ServerContext&, const EchoRequest& request, EchoReply* reply) {
  reply->set_message(absl::AsciiStrToUpper(request.message()));
  reply->set_implementation("UpperCaseEcho");
  reply->set_calls(++calls_);
  reply->set_on_fiber(OnFiber());
  return grpc::Status::OK;
}

}  // namespace tandem::testing
