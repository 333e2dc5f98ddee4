// The call path: the one sequence every call goes through, whatever its RPC kind (unary, server,
// client or bidirectional streaming) and its handler's style (blocking, coroutine, callback).
//
//   gRPC's dispatch thread                   the method's executor (pool thread, fiber, loop,
//                                            or inline on the dispatch thread)
//   ----------------------                   ----------------------------------------------
//   door      the method's ConcurrencyLimiter admits the call, or it is shed: RESOURCE_EXHAUSTED
//             at once, before any state of the call exists (AdmitAtTheDoor)
//   received  ServerCall's constructor
//   admit     the request parses (start_call.h)
//   hand off  HandOff: TryPost / TrySpawn -> start   expired while queued (deadline passed,
//             refused: RESOURCE_EXHAUSTED,           cancelled, or past SetMaxQueueTime)?
//             at once                                finish it without running the handler;
//                                                    else MarkStarted
//                                            run     the style's adapter calls the handler
//                                            finish  the handler's status through the reply
//                                                    shim (PostFinish); a callback handler
//                                                    finishes later, through its handles
//   done      OnDone (a gRPC thread): ServerCall::RecordDone records the outcome and times
//
// A style is an adapter of a few lines on this path: a blocking handler's status is the call's,
// a coroutine's is awaited first, a callback handler answers through the handles it was given.
// What comes between "start" and "run" or at "admit" (queue timeouts, deadlines, limits) is added
// here once, for every call.
//
// Threads: HandOff runs on gRPC's dispatch thread and never blocks; it never runs the handler
// there, unless the method is bound to the InlineExecutor (callback handlers only).
#ifndef TANDEM_SERVER_INTERNAL_CALL_PATH_H_
#define TANDEM_SERVER_INTERNAL_CALL_PATH_H_

#include <exception>
#include <optional>
#include <utility>

#include "executors/task.h"
#include "grpcpp/support/status.h"
#include "server/internal/method_binding.h"
#include "server/internal/server_call.h"
#include "server/service.h"

namespace tandem::server_internal {

// The door, on gRPC's dispatch thread: whether the method's limiter admits one more call. A call
// shed here is counted (MethodBinding::shed) and answered by ShedCall. Never blocks.
inline bool AdmitAtTheDoor(MethodBinding& method) {
  if (!method.limiter || method.limiter->TryAcquire(method.priority)) return true;
  method.shed.fetch_add(1, std::memory_order_relaxed);
  return false;
}

// The status of a call shed at the door.
grpc::Status ShedStatus(const MethodBinding& method);

// The reactor of a streaming call shed at the door: it only finishes, then deletes itself. For
// unary calls gRPC's own default reactor does this without an allocation.
template <class Reactor>
class ShedCall final : public Reactor {
 public:
  explicit ShedCall(const MethodBinding& method) { this->Finish(ShedStatus(method)); }
  void OnDone() override { delete this; }
};

// The start stage, on the executor: whether the call expired while it waited there. Returns the
// status that ends it without running its handler, and counts it; or nullopt, and the handler
// starts now. Never blocks.
std::optional<grpc::Status> ExpiredWhileQueued(ServerCall* call);

// Start, run and finish on a pool thread, a fiber, or inline: blocking and callback handlers.
// `invoke` calls the handler; a blocking handler returns the call's status, a callback handler
// returns nothing and finishes through its handles.
template <HandlerStyle kStyle, class Invoke>
void RunHandler(ServerCall* call, Invoke& invoke) {
  if (std::optional<grpc::Status> expired = ExpiredWhileQueued(call)) {
    call->PostFinish(*std::move(expired));
    call->ReleaseHandle();
    return;
  }
  call->MarkStarted();
  grpc::Status status = RunCatching(*call, [&] {
    if constexpr (kStyle == HandlerStyle::kBlocking) {
      return invoke();
    } else {
      invoke();
      return grpc::Status::OK;
    }
  });
  // A callback handler that threw is answered here: its handles, dropped while the exception
  // unwound, were not the last (the path's is), so the exception's message goes out.
  if (kStyle == HandlerStyle::kBlocking || !status.ok()) call->PostFinish(std::move(status));
  call->ReleaseHandle();
}

// Start, run and finish on a coroutine loop: `invoke` returns the handler's Task<grpc::Status>.
template <class Invoke>
Task<void> RunCoroutineHandler(ServerCall* call, Invoke invoke) {
  if (std::optional<grpc::Status> expired = ExpiredWhileQueued(call)) {
    call->PostFinish(*std::move(expired));
    call->ReleaseHandle();
    co_return;
  }
  call->MarkStarted();
  grpc::Status status;
  try {
    status = co_await invoke();
  } catch (...) {
    // A coroutine cannot co_await in a catch block; RunCatching rethrows to build the status.
    status = RunCatching(*call, [error = std::current_exception()]() -> grpc::Status {
      std::rethrow_exception(error);
    });
  }
  call->PostFinish(std::move(status));
  call->ReleaseHandle();
}

// Hands `call` to its method's executor, to run `invoke` there in the style `kStyle`, and
// returns whether the executor took it (if not, the call is finished RESOURCE_EXHAUSTED). The
// path holds a handle on the call until the handler has returned (or co_returned),
// so the handler's status or exception decides how the call ends, not the order in which its
// handles are dropped.
template <HandlerStyle kStyle, class Invoke>
bool HandOff(ServerCall* call, Invoke invoke) {
  static_assert(kStyle != HandlerStyle::kNotImplemented);
  MethodBinding& method = call->method();
  call->AddHandle();
  // The handler runs in its call's scope, so the client calls it makes inherit the call's
  // deadline and cancellation, wherever its code resumes.
  PostOptions options = method.post_options();
  options.call_scope = call->context().call_scope();
  bool started;
  if constexpr (kStyle == HandlerStyle::kCoroutine) {
    started = method.executor->TrySpawn(RunCoroutineHandler(call, std::move(invoke)),
                                        std::move(options));
  } else {
    started = method.executor->TryPost(
        [call, invoke = std::move(invoke)]() mutable { RunHandler<kStyle>(call, invoke); },
        std::move(options));
  }
  if (!started) {
    call->FinishRefused();
    call->ReleaseHandle();
  }
  return started;
}

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_CALL_PATH_H_
