#include "testing/in_process_server.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace tandem::testing {

absl::StatusOr<std::unique_ptr<InProcessServer>> InProcessServer::Start(
    const Implementation& implementation, Options options) {
  std::unique_ptr<InProcessServer> server(new InProcessServer());
  server->implementation_name_ = implementation.name;
  server->binding_name_ = options.executors.name;
  server->shutdown_grace_ = options.shutdown_grace;

  ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0");
  if (options.executors.make_blocking_executor) {
    server->blocking_executor_ = options.executors.make_blocking_executor();
    if (server->blocking_executor_ == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "executor binding '", options.executors.name, "' made a null executor"));
    }
    builder.SetDefaultBlockingExecutor(server->blocking_executor_);
  }
  server->registered_ =
      implementation.register_fresh(builder, std::move(options.service_options));
  if (options.configure_builder) options.configure_builder(builder);

  absl::StatusOr<std::unique_ptr<Server>> started = builder.BuildAndStart();
  if (!started.ok()) {
    // Nothing was served; the executor may have threads to stop.
    if (server->blocking_executor_) server->blocking_executor_->ShutdownAndWait();
    return absl::Status(started.status().code(),
                        absl::StrCat("starting ", implementation.name,
                                     server->binding_name_.empty() ? "" : " on ",
                                     server->binding_name_, ": ", started.status().message()));
  }
  server->server_ = *std::move(started);
  server->address_ = absl::StrCat("127.0.0.1:", server->server_->port());
  server->channel_ = grpc::CreateChannel(server->address_, grpc::InsecureChannelCredentials());
  if (server->registered_.on_started) server->registered_.on_started(*server);
  return server;
}

absl::StatusOr<std::unique_ptr<InProcessServer>> InProcessServer::Start(
    const Implementation& implementation) {
  return Start(implementation, Options());
}

InProcessServer::~InProcessServer() { Shutdown(); }

void InProcessServer::Shutdown() {
  if (server_ == nullptr) return;  // Start failed: nothing served.
  // Both calls are idempotent.
  server_->Shutdown(shutdown_grace_);
  if (blocking_executor_) blocking_executor_->ShutdownAndWait();
}

}  // namespace tandem::testing
