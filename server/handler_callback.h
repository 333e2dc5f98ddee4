// Callback handlers: get a responder and finish it later, from any thread.
//
//   void SayHello(tandem::ServerContext& context, const HelloRequest& request,
//                 tandem::UnaryResponder<HelloReply> responder);
//
// By default runs inline on gRPC's callback thread, so the handler itself must never block: it
// starts work elsewhere and returns. Bound to a pool with ServiceOptions::Bind, it runs there.
// The call ends when the responder is finished, from whatever thread holds it then; a responder
// destroyed unfinished ends the call with INTERNAL, so an early return still answers. An
// exception thrown by the handler ends the call with INTERNAL and the exception's message.
// `context` and `request` are valid until the responder is finished or destroyed.
#ifndef TANDEM_SERVER_HANDLER_CALLBACK_H_
#define TANDEM_SERVER_HANDLER_CALLBACK_H_

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/internal/unary_call.h"
#include "server/server_context.h"
#include "server/service.h"

namespace tandem {

namespace server_internal {
template <class Request, class Response, class Handler>
void StartCallbackUnary(UnaryCallOf<Request, Response>* call, Handler handler);
}  // namespace server_internal

// The obligation to answer one unary call. Move-only.
// Threads: may be moved to, used on and destroyed on any thread, by one thread at a time.
// Finish never blocks.
template <class Response>
class UnaryResponder {
 public:
  UnaryResponder(UnaryResponder&& other) noexcept
      : call_(std::exchange(other.call_, nullptr)),
        response_(std::exchange(other.response_, nullptr)),
        uncaught_at_start_(other.uncaught_at_start_) {}
  UnaryResponder& operator=(UnaryResponder&&) = delete;
  UnaryResponder(const UnaryResponder&) = delete;

  // Ends the call unfinished with INTERNAL, unless the stack is unwinding from the handler's
  // exception: the exception's message is the better answer, and Tandem sends it.
  ~UnaryResponder() {
    if (call_ == nullptr) return;
    if (std::uncaught_exceptions() <= uncaught_at_start_) {
      call_->Finish(grpc::Status(
          grpc::StatusCode::INTERNAL,
          absl::StrCat(call_->method().full_name, ": handler dropped its responder unfinished")));
    }
    call_->Unref();
  }

  // The reply, sent if Finish gets an OK status. Valid until Finish.
  Response* response() const { return response_; }

  // True when the call has been cancelled; finishing it is then pointless. Thread-safe.
  bool IsCancelled() const { return call_ != nullptr && call_->context().IsCancelled(); }

  // Ends the call with `status` (and response() if OK). Any thread; never blocks. Call once:
  // a second call is a bug, ignored.
  void Finish(grpc::Status status) {
    if (call_ == nullptr) return;
    call_->Finish(std::move(status));
    std::exchange(call_, nullptr)->Unref();
    response_ = nullptr;
  }

 private:
  template <class Rq, class Rs, class H>
  friend void server_internal::StartCallbackUnary(server_internal::UnaryCallOf<Rq, Rs>*, H);

  UnaryResponder(server_internal::UnaryCall* call, Response* response)
      : call_(call), response_(response), uncaught_at_start_(std::uncaught_exceptions()) {
    call_->Ref();
  }

  server_internal::UnaryCall* call_;
  Response* response_;
  int uncaught_at_start_;
};

namespace server_internal {

// Runs a unary call whose handler is callback-style: runs it on the method's executor (inline on
// this gRPC thread by default) and returns.
template <class Request, class Response, class Handler>
void StartCallbackUnary(UnaryCallOf<Request, Response>* call, Handler handler) {
  MethodBinding& method = call->method();
  call->Ref();  // Held by the task below until it has run.
  const bool posted = method.executor->TryPost([call, handler = std::move(handler)]() mutable {
    // If the handler throws, its responder sees the exception and leaves the answer to us.
    grpc::Status error = RunCatching(call->method(), [&] {
      handler(call->context(), *call->request(),
              UnaryResponder<Response>(call, call->response()));
      return grpc::Status::OK;
    });
    if (!error.ok()) call->Finish(std::move(error));
    call->Unref();
  }, method.post_options());
  if (!posted) {
    call->Finish(RejectedStatus(method));
    call->Unref();
  }
}

}  // namespace server_internal
}  // namespace tandem

#endif  // TANDEM_SERVER_HANDLER_CALLBACK_H_
