#include "client/internal/callback_queue_anchor.h"

#include <atomic>
#include <memory>

#include "absl/base/call_once.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace tandem::client_internal {
namespace {

// The call is cancelled before it starts, so the channel never connects: no name lookup, no
// socket, no log line. (A target gRPC refuses would do as well, but gRPC logs the refusal.)
constexpr char kNowhere[] = "unix:/dev/null";

// The one call: what gRPC needs until it ends; deleted by its own completion.
struct AnchoringCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

// The anchor: never destroyed, and reachable from here, so not a leak to LeakSanitizer. (An
// atomic, because a compiler may drop a store into a static that is never read.)
std::atomic<std::shared_ptr<grpc::Channel>*> anchor{nullptr};

void StartAnchoringCall() {
  auto* channel = new std::shared_ptr<grpc::Channel>(
      grpc::CreateChannel(kNowhere, grpc::InsecureChannelCredentials()));
  anchor.store(channel, std::memory_order_release);
  auto* call = new AnchoringCall;
  grpc::Slice empty;
  call->request = grpc::ByteBuffer(&empty, 1);
  call->context.TryCancel();
  // Creating the call takes the channel's reference to the callback queue.
  grpc::GenericStub(*channel).UnaryCall(&call->context, "/tandem.internal.Anchor/Anchor",
                                        grpc::StubOptions(), &call->request, &call->response,
                                        [call](grpc::Status) { delete call; });
}

}  // namespace

void AnchorGrpcCallbackQueue() {
  static absl::once_flag once;
  absl::call_once(once, StartAnchoringCall);
}

}  // namespace tandem::client_internal
