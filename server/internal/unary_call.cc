#include "server/internal/unary_call.h"

#include <utility>

namespace tandem::server_internal {

UnaryCall::UnaryCall(MethodBinding& method, grpc::CallbackServerContext* grpc_context)
    : method_(method), context_(grpc_context, method.full_name) {
  method_.started.fetch_add(1, std::memory_order_relaxed);
}

bool UnaryCall::Finish(grpc::Status status) {
  if (finished_.exchange(true, std::memory_order_acq_rel)) return false;
  if (status.ok()) status = SerializeResponse();
  sent_ok_ = status.ok();
  // gRPC's Finish is thread-safe, never blocks, and may be called before gRPC has bound this
  // reactor to the call (it is then queued until the binding).
  grpc::ServerUnaryReactor::Finish(std::move(status));
  return true;
}

void UnaryCall::RecordOutcome() {
  const bool ok = sent_ok_ && !context_.IsCancelled();
  (ok ? method_.finished_ok : method_.finished_error).fetch_add(1, std::memory_order_relaxed);
}

grpc::Status RejectedStatus(MethodBinding& method) {
  method.rejected.fetch_add(1, std::memory_order_relaxed);
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat(method.full_name, ": executor '", method.executor->name(),
                   "' refused the call (queue full or shutting down)"));
}

grpc::Status UnimplementedStatus(const MethodBinding& method) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat(method.full_name, " is not implemented"));
}

}  // namespace tandem::server_internal
