// Handler styles: how a method of a Tandem service is written. Each method is written in exactly
// one of three styles, read off its signature at compile time; one service mixes them freely,
// and clients cannot tell them apart. Shown for a unary method; streaming methods take the
// handles of server/stream.h instead of the request or response (same three styles).
//
// Blocking: plain code that returns a status.
//
//   grpc::Status SayHello(tandem::ServerContext& context, const HelloRequest& request,
//                         HelloReply* response);
//
//   Runs on a thread pool (the server's default pool unless bound elsewhere) or a fiber pool,
//   never on a gRPC thread, so it may block: sleep, lock, call other services. On a FiberPool it
//   runs as a fiber, and Tandem's blocking points (executors/blocking.h: tandem::SleepFor,
//   tandem::Mutex, the blocking client calls...) suspend only the fiber; the same code blocks its
//   thread on a ThreadPool. Other blocking calls (std::mutex, absl::SleepFor, future::get) hold a
//   fiber's whole thread. Returning ends the call: the status goes to the client as is, with
//   `response` if the status is OK. `context`, `request` and `response` are valid until it
//   returns.
//
// Coroutine: a C++20 coroutine that co_awaits and co_returns a status.
//
//   tandem::Task<grpc::Status> SayHello(tandem::ServerContext& context,
//                                       const HelloRequest& request, HelloReply* response);
//
//   Runs on a CoroutineLoop (the server's default loop unless bound elsewhere) and resumes there
//   after every co_await, never on a gRPC thread. It must not block the loop: co_await instead
//   (tandem::AsyncSleepFor, the generated client's Co* calls, anything taking
//   asio::use_awaitable). co_return ends the call as a blocking handler's return does.
//   `context`, `request` and `response` are valid until the coroutine completes.
//
// Callback: gets a responder and finishes it later, from any thread.
//
//   void SayHello(tandem::ServerContext& context, const HelloRequest& request,
//                 tandem::UnaryResponder<HelloReply> responder);
//
//   By default runs inline on gRPC's callback thread, so the handler itself must never block: it
//   starts work elsewhere and returns. Bound to a pool with ServiceOptions::Bind, it runs there.
//   The call ends when the responder is finished, from whatever thread holds it then; a
//   responder dropped unfinished ends the call with INTERNAL, so an early return still answers.
//   `context` and `request` are valid until the responder is finished or dropped.
//
// In every style, an exception thrown by the handler ends its call with INTERNAL and the
// exception's message, and costs nothing else. Every call, whatever its style, takes the same
// path through Tandem (server/internal/call_path.h).
#ifndef TANDEM_SERVER_HANDLERS_H_
#define TANDEM_SERVER_HANDLERS_H_

#include <utility>

#include "grpcpp/support/status.h"
#include "server/internal/server_call.h"
#include "server/server_context.h"

namespace tandem {

namespace server_internal {
struct ResponderFactory;
}  // namespace server_internal

// The obligation to answer one unary call. Move-only.
// Threads: may be moved to, used on and destroyed on any thread, by one thread at a time.
// Finish never blocks.
template <class Response>
class UnaryResponder {
 public:
  UnaryResponder(UnaryResponder&& other) noexcept
      : call_(std::exchange(other.call_, nullptr)),
        response_(std::exchange(other.response_, nullptr)) {}
  UnaryResponder& operator=(UnaryResponder&&) = delete;
  UnaryResponder(const UnaryResponder&) = delete;

  // Dropped unfinished, ends the call with INTERNAL (unless the handler that holds it threw:
  // the exception's message is the better answer, and Tandem sends it).
  ~UnaryResponder() {
    if (call_ != nullptr) call_->ReleaseHandle();
  }

  // The reply, sent if Finish gets an OK status. Valid until Finish.
  Response* response() const { return response_; }

  // True when the call has been cancelled; finishing it is then pointless. Thread-safe.
  bool IsCancelled() const { return call_ != nullptr && call_->context().IsCancelled(); }

  // Ends the call with `status` (and response() if OK). Any thread; never blocks. Call once:
  // a second call is a bug, ignored.
  void Finish(grpc::Status status) {
    if (call_ == nullptr) return;
    call_->PostFinish(std::move(status));
    std::exchange(call_, nullptr)->ReleaseHandle();
    response_ = nullptr;
  }

 private:
  friend struct server_internal::ResponderFactory;

  UnaryResponder(server_internal::ServerCall* call, Response* response)
      : call_(call), response_(response) {
    call_->AddHandle();
  }

  server_internal::ServerCall* call_;
  Response* response_;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_HANDLERS_H_
