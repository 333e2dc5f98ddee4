#include "server/internal/server_call.h"

namespace tandem::server_internal {

ServerCall::ServerCall(MethodBinding& method, grpc::CallbackServerContext* grpc_context,
                       absl::string_view handle_noun)
    : method_(method),
      context_(grpc_context, method.full_name, method.priority, method.deadline_margin),
      handle_noun_(handle_noun) {
  method_.started.fetch_add(1, std::memory_order_relaxed);
}

ServerCall::ServerCall(MethodBinding& method, std::unique_ptr<const CallSnapshot> snapshot,
                       absl::Time deadline, absl::string_view handle_noun)
    : method_(method),
      context_(std::move(snapshot), method.full_name, method.priority, deadline,
               method.deadline_margin),
      handle_noun_(handle_noun) {}

void ServerCall::FinishRefused() {
  method_.rejected.fetch_add(1, std::memory_order_relaxed);
  refused_.store(true, std::memory_order_release);
  PostFinish(RefusedStatus(method_));
}

void ServerCall::ReleaseHandle() {
  if (handles_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    NoteHandlerFailed();
    PostFinish(grpc::Status(grpc::StatusCode::INTERNAL,
                            absl::StrCat(method_.full_name, ": handler dropped its ", handle_noun_,
                                         " unfinished")));
  }
  Unref();
}

grpc::Status RefusedStatus(const MethodBinding& method) {
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
