#include "server/internal/call_path.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tandem::server_internal {

grpc::Status ShedStatus(const MethodBinding& method) {
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat(method.full_name, ": shed by its concurrency limit (",
                   method.limiter->adaptive() ? "adaptive, now " : "", method.limiter->limit(),
                   " calls running or queued); retry later or elsewhere"));
}

std::optional<grpc::Status> ExpiredWhileQueued(ServerCall* call) {
  MethodBinding& method = call->method();
  ServerContext& context = call->context();
  const absl::Time now = absl::Now();
  const absl::Duration waited = now - context.times().received;
  const absl::string_view executor = method.executor->name();
  const bool timed_out = now >= context.deadline();
  if (timed_out || context.IsCancelled()) {
    method.expired_in_queue.fetch_add(1, std::memory_order_relaxed);
    // The client has its answer already (gRPC sent it when the call was cancelled or timed
    // out); this status only ends the call on the server.
    return grpc::Status(
        timed_out ? grpc::StatusCode::DEADLINE_EXCEEDED : grpc::StatusCode::CANCELLED,
        absl::StrCat(method.full_name, ": ", timed_out ? "deadline passed" : "cancelled",
                     " while the call waited ", absl::FormatDuration(waited), " for executor '",
                     executor, "'; its handler did not run"));
  }
  if (waited > method.max_queue_time) {
    method.queue_timeouts.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(method.full_name, ": waited ", absl::FormatDuration(waited),
                     " for executor '", executor, "', longer than its queue limit of ",
                     absl::FormatDuration(method.max_queue_time),
                     " (ServiceOptions::SetMaxQueueTime); its handler did not run"));
  }
  return std::nullopt;
}

}  // namespace tandem::server_internal
