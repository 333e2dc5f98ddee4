#include "server/admin_service.h"

#include <utility>

#include "grpcpp/server_context.h"
#include "server/method_stats_proto.h"

namespace tandem {

AdminService::AdminService(MethodStatsSource method_stats)
    : method_stats_(std::move(method_stats)) {}

grpc::ServerUnaryReactor* AdminService::ListMethods(grpc::CallbackServerContext* context,
                                                    const admin::v1::ListMethodsRequest*,
                                                    admin::v1::ListMethodsResponse* response) {
  for (const MethodStats& stats : method_stats_()) {
    *response->add_methods() = MethodStatsToProto(stats);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace tandem
