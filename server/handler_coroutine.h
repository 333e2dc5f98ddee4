// Coroutine handlers: C++20 coroutines that co_await and co_return a status.
//
//   tandem::Task<grpc::Status> SayHello(tandem::ServerContext& context,
//                                       const HelloRequest& request, HelloReply* response);
//
// Runs on a CoroutineLoop (the server's default loop unless bound elsewhere) and resumes there
// after every co_await, never on a gRPC thread. It must not block the loop: co_await instead
// (tandem::AsyncSleepFor, the generated client's Co* calls, anything taking asio::use_awaitable).
// co_return ends the call as a blocking handler's return does; an exception ends it with INTERNAL.
// `context`, `request` and `response` are valid until the coroutine completes.
#ifndef TANDEM_SERVER_HANDLER_COROUTINE_H_
#define TANDEM_SERVER_HANDLER_COROUTINE_H_

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "executors/task.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/internal/unary_call.h"
#include "server/server_context.h"
#include "server/service.h"

namespace tandem {

namespace server_internal {

// The coroutine that runs one call on the loop: awaits the handler, then finishes the call.
// Takes everything by value, so nothing it needs lives in a caller's frame.
template <class Request, class Response, class Handler>
Task<void> RunCoroutineUnary(UnaryCallOf<Request, Response>* call, Handler handler) {
  grpc::Status status;
  try {
    status = co_await handler(call->context(), *call->request(), call->response());
  } catch (...) {
    // A coroutine cannot co_await in a catch block; RunCatching rethrows to build the status.
    status = RunCatching(call->method(), [error = std::current_exception()]() -> grpc::Status {
      std::rethrow_exception(error);
    });
  }
  call->Finish(std::move(status));
}

// Runs a unary call whose handler is a coroutine: spawns it on the method's loop and returns.
// Runs on gRPC's dispatch thread; never blocks, never runs the handler there.
template <class Request, class Response, class Handler>
void StartCoroutineUnary(UnaryCallOf<Request, Response>* call, Handler handler) {
  MethodBinding& method = call->method();
  if (!method.loop->TrySpawn(RunCoroutineUnary(call, std::move(handler)),
                             method.post_options())) {
    call->Finish(RejectedStatus(method));
  }
}

}  // namespace server_internal
}  // namespace tandem

#endif  // TANDEM_SERVER_HANDLER_COROUTINE_H_
