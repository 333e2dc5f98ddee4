#include "tests/testing/echo_services.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "executors/blocking.h"
#include "gtest/gtest.h"

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

MethodStats SayStats(InProcessServer& server) {
  for (MethodStats& stats : server.server().method_stats()) {
    if (stats.method == "/tandem.testing.Echo/Say") return std::move(stats);
  }
  ADD_FAILURE() << "no stats for Echo.Say";
  return {};
}

ExecutorKind KindOf(InProcessServer& server, const std::string& executor) {
  for (const NamedExecutorStats& stats : server.server().executor_stats()) {
    if (stats.name == executor) return stats.kind;
  }
  ADD_FAILURE() << "no executor named " << executor;
  return ExecutorKind::kInline;
}

}  // namespace tandem::testing
