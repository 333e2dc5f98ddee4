// StartUnary: the one entry point generated code calls for a unary method, on gRPC's dispatch
// thread. Picks the start function of the handler's style, fixed at compile time.
#ifndef TANDEM_SERVER_INTERNAL_START_UNARY_H_
#define TANDEM_SERVER_INTERNAL_START_UNARY_H_

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/handler_blocking.h"
#include "server/handler_callback.h"
#include "server/handler_coroutine.h"
#include "server/internal/unary_call.h"
#include "server/internal/wire_message.h"
#include "server/service.h"

namespace tandem::server_internal {

// Starts one call, given as gRPC hands a raw method's call over: parses the request (a request
// that does not parse ends the call at once, see wire_message.h), then hands the call to the
// handler's style. Runs on gRPC's dispatch thread; never blocks.
template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerUnaryReactor* StartUnary(MethodBinding& method,
                                     grpc::CallbackServerContext* grpc_context,
                                     const grpc::ByteBuffer* request_bytes,
                                     grpc::ByteBuffer* response_bytes, Handler handler) {
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    auto* reactor = grpc_context->DefaultReactor();
    reactor->Finish(UnimplementedStatus(method));
    return reactor;
  } else {
    auto* call = new UnaryCallOf<Request, Response>(method, grpc_context, response_bytes);
    if (grpc::Status parsed = ParseRequestMessage(method, *request_bytes, call->request());
        !parsed.ok()) {
      call->Finish(std::move(parsed));
    } else if constexpr (kStyle == HandlerStyle::kBlocking) {
      StartBlockingUnary(call, std::move(handler));
    } else if constexpr (kStyle == HandlerStyle::kCoroutine) {
      StartCoroutineUnary(call, std::move(handler));
    } else {
      StartCallbackUnary(call, std::move(handler));
    }
    return call;
  }
}

// The style of a handler, from which of the three signatures it has (see handler_*.h) or its
// NotImplemented declaration. Generated code checks, with a message naming the method, that
// exactly one matched before calling this.
constexpr HandlerStyle StyleOf(bool blocking, bool coroutine, bool callback) {
  return blocking    ? HandlerStyle::kBlocking
         : coroutine ? HandlerStyle::kCoroutine
         : callback  ? HandlerStyle::kCallback
                     : HandlerStyle::kNotImplemented;
}

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_START_UNARY_H_
