// ClientCancellation: cancels client calls from any thread.
//
// Pass one in CallOptions; Cancel() then cancels every call started with it that is still
// running, and every call started with it later (they end at once with CANCELLED).
//
// Threads: every member is thread-safe and never blocks on a call; Cancel may run a call's
// completion on the calling thread (gRPC can complete a cancelled call inline).
#ifndef TANDEM_CLIENT_CANCELLATION_H_
#define TANDEM_CLIENT_CANCELLATION_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"

namespace tandem {

class ClientCancellation {
 public:
  static std::shared_ptr<ClientCancellation> Create() {
    return std::make_shared<ClientCancellation>();
  }

  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);
  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);

  // For Tandem's client calls: registers a call before it starts (gRPC applies a cancellation
  // made before the start as the call starts). A weak pointer is all this keeps, so a finished
  // call needs no unregistering.
  void Attach(std::weak_ptr<grpc::ClientContext> context) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<grpc::ClientContext>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem

#endif  // TANDEM_CLIENT_CANCELLATION_H_
