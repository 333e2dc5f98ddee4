// HealthService: gRPC's health checking protocol (grpc.health.v1.Health, Check and Watch) for a
// Tandem server, with a status per service name ("" is the server as a whole).
//
// Why not gRPC's own DefaultHealthCheckService: in gRPC 1.51 its Watch streams stay open through
// Server::Shutdown, so every load balancer or client that watches health holds the server's
// drain for the whole grace period. This one tells watchers NOT_SERVING when shutdown begins,
// then ends their streams (EndWatches) before the drain, so only real calls are waited for.
// Messages are read and written with protobuf's wire-format coders rather than generated code
// (as gRPC's own service does with upb), so a program may link its own copy of health.pb.cc.
//
// Threads: every member is thread-safe and returns without waiting; Check and the Watch
// reactions run on gRPC's callback threads.
// Lifetime: must outlive the gRPC server it is registered with (its calls point into it).
#ifndef TANDEM_SERVER_HEALTH_SERVICE_H_
#define TANDEM_SERVER_HEALTH_SERVICE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/byte_buffer.h"

namespace tandem {

class HealthService final : public grpc::HealthCheckServiceInterface {
 public:
  HealthService();
  ~HealthService() override;

  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // The gRPC service to register with the server's builder.
  grpc::Service* grpc_service() { return grpc_service_.get(); }

  // Sets `service`'s status, or every known one's; watchers hear of a change. Ignored once
  // Shutdown has been called.
  void SetServingStatus(const std::string& service, bool serving) override
      ABSL_LOCKS_EXCLUDED(mu_);
  void SetServingStatus(bool serving) override ABSL_LOCKS_EXCLUDED(mu_);

  // Every status NOT_SERVING, for good; watchers hear it now. Watch streams stay open.
  void Shutdown() override ABSL_LOCKS_EXCLUDED(mu_);

  // Ends every Watch stream (after the status it is sending), and every later one after its
  // first status: called once the server stops taking calls, so watches never delay the drain.
  void EndWatches() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The wire values of HealthCheckResponse.ServingStatus.
  enum WireStatus : int { kServing = 1, kNotServing = 2, kServiceUnknown = 3 };
  class WatchReactor;
  class GrpcService;

  WireStatus StatusOfLocked(const std::string& service) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NotifyWatchersLocked(const std::string& service) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Check's answer for `request`: OK with `response` filled, or the error to answer.
  grpc::Status Check(const grpc::ByteBuffer& request, grpc::ByteBuffer* response)
      ABSL_LOCKS_EXCLUDED(mu_);
  WatchReactor* StartWatch(const grpc::ByteBuffer& request) ABSL_LOCKS_EXCLUDED(mu_);
  void EndWatch(WatchReactor* watch) ABSL_LOCKS_EXCLUDED(mu_);

  // Lock order: mu_, then a WatchReactor's.
  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, WatchReactor*> watches_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool watches_ended_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Service> grpc_service_;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_HEALTH_SERVICE_H_
