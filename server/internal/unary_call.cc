#include "server/internal/unary_call.h"

#include <utility>

namespace tandem::server_internal {

bool UnaryCall::PostFinish(grpc::Status status) {
  if (finished_.exchange(true, std::memory_order_acq_rel)) return false;
  if (status.ok()) status = SerializeResponse();
  sent_code_ = status.error_code();
  MarkFinished();
  // gRPC's Finish is thread-safe, never blocks, and may be called before gRPC has bound this
  // reactor to the call (it is then queued until the binding).
  grpc::ServerUnaryReactor::Finish(std::move(status));
  return true;
}

}  // namespace tandem::server_internal
