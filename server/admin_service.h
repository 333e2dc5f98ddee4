// AdminService: tandem.admin.v1.ServerAdmin (proto/tandem_admin.proto), what a server tells about
// its own methods: ListMethods answers each method's handler style, executor and counts (and its
// one-way and shadow results), the rows of FormatMethodReport (server/method_report.h). It is
// what `tandem methods HOST:PORT` asks. Every Server registers one unless built with
// ServerBuilder::EnableAdminService(false).
//
// Implemented on gRPC's callback API with gRPC's own generated service base (not Tandem's: it
// must not run on, or count in, the executors and stats it reports).
//
// Threads: ListMethods runs on gRPC's callback thread and answers at once; `method_stats` must
// be thread-safe and never block (Server::method_stats() is both, also during Shutdown).
// Lifetime: must outlive the gRPC server it is registered with.
#ifndef TANDEM_SERVER_ADMIN_SERVICE_H_
#define TANDEM_SERVER_ADMIN_SERVICE_H_

#include <functional>
#include <vector>

#include "grpcpp/support/server_callback.h"
#include "proto/tandem_admin.grpc.pb.h"
#include "server/service.h"

namespace tandem {

class AdminService final : public admin::v1::ServerAdmin::CallbackService {
 public:
  using MethodStatsSource = std::function<std::vector<MethodStats>()>;

  explicit AdminService(MethodStatsSource method_stats);

  grpc::ServerUnaryReactor* ListMethods(grpc::CallbackServerContext* context,
                                        const admin::v1::ListMethodsRequest* request,
                                        admin::v1::ListMethodsResponse* response) override;

 private:
  const MethodStatsSource method_stats_;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_ADMIN_SERVICE_H_
