#include "client/call_options.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace tandem {

void CallOptions::ApplyTo(grpc::ClientContext& context) const {
  const absl::Time deadline = std::min(deadline_, absl::Now() + timeout_);
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
  for (const auto& [key, value] : metadata_) context.AddMetadata(key, value);
  context.set_wait_for_ready(wait_for_ready_);
}

}  // namespace tandem
