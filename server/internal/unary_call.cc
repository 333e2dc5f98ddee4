#include "server/internal/unary_call.h"

#include <utility>

#include "absl/time/time.h"
#include "server/internal/shadow.h"

namespace tandem::server_internal {

bool UnaryCall::PostFinish(grpc::Status status) {
  if (finished_.exchange(true, std::memory_order_acq_rel)) return false;
  if (status.ok()) status = SerializeResponse();
  sent_code_ = status.error_code();
  MarkFinished();
  // Only calls whose handler ran are shadowed; the shadow copies what it needs of gRPC's
  // context now, before gRPC has the status and may end the call.
  DetachedCall* shadow = nullptr;
  if (method_.shadow != nullptr && context_.times().started != absl::InfinitePast()) {
    shadow = method_.shadow->Prepare(context_, status);
  }
  if (shadow == nullptr) {
    // gRPC's Finish is thread-safe, never blocks, and may be called before gRPC has bound this
    // reactor to the call (it is then queued until the binding).
    grpc::ServerUnaryReactor::Finish(std::move(status));
    return true;
  }
  Ref();  // keeps the request and response, which the shadow takes, past gRPC's OnDone
  grpc::ServerUnaryReactor::Finish(std::move(status));
  method_.shadow->Start(shadow, request_message(), response_message());
  Unref();
  return true;
}

}  // namespace tandem::server_internal
