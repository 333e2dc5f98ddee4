// Client unary calls in three forms, shared by every generated client.
//
// One result convention for all three: absl::StatusOr<Response>, OK with the reply or the
// call's status (gRPC codes map one to one onto absl::StatusCode).
//   - Blocking:    waits until the reply comes: on a fiber (a FiberPool) it suspends only the
//                  fiber, anywhere else it parks the thread.
//   - Async:       takes an Asio completion token. A plain callback runs on the gRPC thread that
//                  completes the call, so it must never block; asio::use_awaitable resumes the
//                  coroutine on its own executor; asio::use_future gives a std::future;
//                  tandem::use_future gives a tandem::Future, whose get() suspends only a fiber.
//   - Coroutine:   the async form with asio::use_awaitable.
// A cast (Response = void) takes the same path and delivers absl::Status alone: the call's
// status, its response bytes dropped unparsed.
// Generated clients call these with the method's name and a `start` function that begins the call
// on gRPC's callback API as a raw method: start(context, request_bytes, response_bytes, on_done)
// with on_done(grpc::Status). The request is serialized on the calling thread, and the response
// parsed where the result is delivered (client/internal/wire_message.h): a response that does not
// parse ends the call with INTERNAL.
#ifndef TANDEM_CLIENT_UNARY_CALL_H_
#define TANDEM_CLIENT_UNARY_CALL_H_

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asio/associated_executor.hpp"
#include "asio/async_result.hpp"
#include "asio/executor_work_guard.hpp"
#include "absl/strings/string_view.h"
#include "client/call_options.h"
#include "client/internal/wire_message.h"
#include "client/status.h"
#include "executors/completion.h"
#include "executors/event.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace tandem {

namespace client_internal {

// What a unary call delivers: absl::StatusOr<Response>, or for a cast (Response = void) the
// status alone.
template <class Response>
struct UnaryResultOf {
  using type = absl::StatusOr<Response>;
};
template <>
struct UnaryResultOf<void> {
  using type = absl::Status;
};
template <class Response>
using UnaryResult = typename UnaryResultOf<Response>::type;

// The result of a finished call: its status, and (unless a cast) the response parsed from
// `response_bytes` (consumed). A response that does not parse ends the call with INTERNAL.
template <class Response>
UnaryResult<Response> MakeUnaryResult(absl::string_view method, grpc::Status status,
                                      grpc::ByteBuffer* response_bytes) {
  if constexpr (std::is_void_v<Response>) {
    return ToAbslStatus(status);
  } else {
    Response response;
    if (status.ok()) status = ParseResponseMessage(method, response_bytes, &response);
    if (!status.ok()) return ToAbslStatus(status);
    return response;
  }
}

// Waits for the call: on a fiber, suspends the fiber; elsewhere, blocks the calling thread. Never
// call it on a gRPC callback thread or a coroutine loop: it would hold that thread for the whole
// call.
template <class Response, class Request, class Start>
UnaryResult<Response> BlockingUnaryCall(absl::string_view method, Start start,
                                        const Request& request, const CallOptions& options) {
  grpc::ByteBuffer request_bytes;
  if (grpc::Status serialized = SerializeRequestMessage(method, request, &request_bytes);
      !serialized.ok()) {
    return ToAbslStatus(serialized);
  }
  auto context = std::make_shared<grpc::ClientContext>();
  const CallScope::Registration in_scope = options.ApplyTo(context);
  grpc::ByteBuffer response_bytes;
  grpc::Status status;
  // Event's destructor waits out a Notify still running, so leaving this frame as soon as the
  // wait ends is safe.
  Event done;
  start(context.get(), &request_bytes, &response_bytes, [&](grpc::Status result) {
    status = std::move(result);
    done.Notify();
  });
  done.Wait();
  return MakeUnaryResult<Response>(method, std::move(status), &response_bytes);
}

// One asynchronous unary call: owns what gRPC needs until the call completes, then hands the
// result to the completion handler and deletes itself.
template <class Request, class Response, class Handler>
class AsyncUnaryOp {
 public:
  template <class Start>
  static void Begin(absl::string_view method, Start& start, const Request& request,
                    const CallOptions& options, Handler handler) {
    auto* op = new AsyncUnaryOp(method, std::move(handler));
    if (grpc::Status serialized = SerializeRequestMessage(method, request, &op->request_);
        !serialized.ok()) {
      op->Complete(std::move(serialized));
      return;
    }
    op->in_scope_ = options.ApplyTo(op->context_);
    // After this, `op` may be deleted at any moment by its completion.
    start(op->context_.get(), &op->request_, &op->response_,
          [op](grpc::Status status) { op->Complete(std::move(status)); });
  }

 private:
  AsyncUnaryOp(absl::string_view method, Handler handler)
      : method_(method),
        context_(std::make_shared<grpc::ClientContext>()),
        handler_(std::move(handler)),
        work_(asio::make_work_guard(asio::get_associated_executor(handler_))) {}

  // Runs on a gRPC callback thread (or at once, if the request did not serialize): parses the
  // response, and never blocks (see CompleteOnItsExecutor).
  void Complete(grpc::Status status) {
    std::unique_ptr<AsyncUnaryOp> self(this);
    CompleteOnItsExecutor(std::move(handler_),
                          MakeUnaryResult<Response>(method_, std::move(status), &response_));
  }

  const absl::string_view method_;  // the generated client's constant
  std::shared_ptr<grpc::ClientContext> context_;  // shared: cancellations hold a weak_ptr
  CallScope::Registration in_scope_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  Handler handler_;
  // Keeps the handler's executor (a coroutine loop) running while the call is in flight.
  decltype(asio::make_work_guard(asio::get_associated_executor(std::declval<Handler&>()))) work_;
};

template <class Response, class Request, class Start, class CompletionToken>
auto AsyncUnaryCall(absl::string_view method, Start start, const Request& request,
                    const CallOptions& options, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(UnaryResult<Response>)>(
      [method, start](auto handler, Request request, CallOptions options) mutable {
        AsyncUnaryOp<Request, Response, decltype(handler)>::Begin(method, start, request,
                                                                   options, std::move(handler));
      },
      token, request, options);
}

}  // namespace client_internal
}  // namespace tandem

#endif  // TANDEM_CLIENT_UNARY_CALL_H_
