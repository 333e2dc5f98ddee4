// StartUnary: the one entry point generated code calls for a unary method, on gRPC's dispatch
// thread. Picks the start function of the handler's style, fixed at compile time.
#ifndef TANDEM_SERVER_INTERNAL_START_UNARY_H_
#define TANDEM_SERVER_INTERNAL_START_UNARY_H_

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/handler_blocking.h"
#include "server/handler_callback.h"
#include "server/handler_coroutine.h"
#include "server/service.h"

namespace tandem::server_internal {

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerUnaryReactor* StartUnary(MethodBinding& method,
                                     grpc::CallbackServerContext* grpc_context,
                                     const Request* request, Response* response, Handler handler) {
  if constexpr (kStyle == HandlerStyle::kBlocking) {
    return StartBlockingUnary(method, grpc_context, request, response, std::move(handler));
  } else if constexpr (kStyle == HandlerStyle::kCoroutine) {
    return StartCoroutineUnary(method, grpc_context, request, response, std::move(handler));
  } else if constexpr (kStyle == HandlerStyle::kCallback) {
    return StartCallbackUnary(method, grpc_context, request, response, std::move(handler));
  } else {
    auto* reactor = grpc_context->DefaultReactor();
    reactor->Finish(UnimplementedStatus(method));
    return reactor;
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
