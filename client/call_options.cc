#include "client/call_options.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace tandem {

CallScope::Registration CallOptions::ApplyTo(
    const std::shared_ptr<grpc::ClientContext>& context) const {
  CallScope* const scope = detached_ ? nullptr : CallScope::Current();
  absl::Time deadline = std::min(deadline_, absl::Now() + timeout_);
  if (scope != nullptr) deadline = std::min(deadline, scope->deadline());
  if (deadline != absl::InfiniteFuture()) context->set_deadline(absl::ToChronoTime(deadline));
  for (const auto& [key, value] : metadata_) context->AddMetadata(key, value);
  context->set_wait_for_ready(wait_for_ready_);
  // Before the start: gRPC applies a cancellation that comes first as the call starts.
  if (cancellation_) cancellation_->Attach(context);
  if (scope == nullptr) return {};
  return scope->OnCancel([weak = std::weak_ptr<grpc::ClientContext>(context)] {
    if (auto alive = weak.lock()) alive->TryCancel();
  });
}

}  // namespace tandem
