// Blocking handlers: plain code that returns a status.
//
//   grpc::Status SayHello(tandem::ServerContext& context, const HelloRequest& request,
//                         HelloReply* response);
//
// Runs on a thread pool (the server's default pool unless bound elsewhere) or a fiber pool, never
// on a gRPC thread, so it may block: sleep, lock, call other services. On a FiberPool it runs as a
// fiber, and Tandem's blocking points (executors/blocking.h: tandem::SleepFor, tandem::Mutex, the
// blocking client calls...) suspend only the fiber; the same code blocks its thread on a
// ThreadPool. Other blocking calls hold a fiber's whole thread. Returning ends the call: the
// status goes to the client as is, with `response` if the status is OK. An exception ends the
// call with INTERNAL and the exception's message.
// `context`, `request` and `response` are valid until the handler returns.
#ifndef TANDEM_SERVER_HANDLER_BLOCKING_H_
#define TANDEM_SERVER_HANDLER_BLOCKING_H_

#include <utility>

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/internal/unary_call.h"
#include "server/server_context.h"
#include "server/service.h"

namespace tandem {

namespace server_internal {

// Runs a unary call whose handler is blocking: posts it to the method's executor and returns.
// Runs on gRPC's dispatch thread; never blocks, never runs the handler there.
template <class Request, class Response, class Handler>
void StartBlockingUnary(UnaryCallOf<Request, Response>* call, Handler handler) {
  MethodBinding& method = call->method();
  const bool posted = method.executor->TryPost([call, handler = std::move(handler)]() mutable {
    call->Finish(RunCatching(call->method(), [&] {
      return handler(call->context(), *call->request(), call->response());
    }));
  }, method.post_options());
  if (!posted) call->Finish(RejectedStatus(method));
}

}  // namespace server_internal
}  // namespace tandem

#endif  // TANDEM_SERVER_HANDLER_BLOCKING_H_
