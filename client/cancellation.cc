#include "client/cancellation.h"

#include <algorithm>
#include <utility>

namespace tandem {

void ClientCancellation::Cancel() {
  std::vector<std::weak_ptr<grpc::ClientContext>> calls;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    calls.swap(calls_);
  }
  // Outside the lock: TryCancel may complete the call, and its completion may run right here.
  for (auto& weak : calls) {
    if (auto context = weak.lock()) context->TryCancel();
  }
}

bool ClientCancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

void ClientCancellation::Attach(std::weak_ptr<grpc::ClientContext> context) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      calls_.erase(std::remove_if(calls_.begin(), calls_.end(),
                                  [](const auto& weak) { return weak.expired(); }),
                   calls_.end());
      calls_.push_back(std::move(context));
      return;
    }
  }
  if (auto alive = context.lock()) alive->TryCancel();
}

}  // namespace tandem
