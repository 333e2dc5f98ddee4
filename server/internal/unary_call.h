// UnaryCall: the state of one unary call on the server, and its reply shim.
//
// It is gRPC's reactor for the call, which gRPC runs as a raw (byte-buffer) method: the typed
// UnaryCallOf holds the parsed request and the response, and serializes the response when the
// call finishes OK, on the thread that finishes it (see wire_message.h for why). The handler,
// whatever its style, ends the call by calling Finish from whatever thread it runs on; Finish
// hands the status to gRPC and returns at once.
//
// Threads: Finish, Ref and Unref may be called from any thread and never block. OnCancel and
// OnDone are gRPC reactions (gRPC callback threads): they only update state and post.
// Lifetime: reference-counted. gRPC holds one reference, released by OnDone; a callback handler's
// responder holds another, so a responder that outlives the call (moved into a thread that
// finishes late) stays safe. Finish is first-wins: later calls are ignored, because a callback
// handler may legitimately race its own error path (it threw after handing off its responder).
#ifndef TANDEM_SERVER_INTERNAL_UNARY_CALL_H_
#define TANDEM_SERVER_INTERNAL_UNARY_CALL_H_

#include <atomic>
#include <exception>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/internal/wire_message.h"
#include "server/server_context.h"
#include "server/service.h"

namespace tandem::server_internal {

class UnaryCall : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(MethodBinding& method, grpc::CallbackServerContext* grpc_context);

  MethodBinding& method() const { return method_; }
  ServerContext& context() { return context_; }

  // The reply shim: sends `status` (with the response the handler filled, serialized here, if
  // OK). Any thread; never blocks. Returns false if the call was already finished.
  bool Finish(grpc::Status status);

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  ~UnaryCall() override = default;

 private:
  // Serializes the response for gRPC; called once, by the Finish that wins, if its status is OK.
  // Returns the status to send: OK, or the serialization failure (see wire_message.h).
  virtual grpc::Status SerializeResponse() = 0;

  // gRPC may run these on the thread that completes the call instead of hopping to one of its
  // executor threads (a context switch per call): safe, as they never block. gRPC marks the
  // hook "not API"; its own DefaultReactor uses it the same way.
  bool InternalInlineable() override { return true; }
  void OnCancel() override { context_.MarkCancelled(); }
  void OnDone() override {
    RecordOutcome();
    Unref();
  }

  // Counts the call as finished OK only if it sent OK and was not cancelled on the way (the
  // client then never saw the OK). gRPC calls OnCancel, if at all, before OnDone.
  void RecordOutcome();

  MethodBinding& method_;
  ServerContext context_;
  std::atomic<int> refs_{1};  // gRPC's, released by OnDone
  std::atomic<bool> finished_{false};
  // Written by the Finish that wins, before it hands the status to gRPC; read by OnDone, which
  // gRPC runs after that Finish.
  bool sent_ok_ = false;
};

// The unary call of a method with these message types.
template <class Request, class Response>
class UnaryCallOf final : public UnaryCall {
 public:
  // `response_bytes` is gRPC's, valid until OnDone.
  UnaryCallOf(MethodBinding& method, grpc::CallbackServerContext* grpc_context,
              grpc::ByteBuffer* response_bytes)
      : UnaryCall(method, grpc_context), response_bytes_(response_bytes) {}

  Request* request() { return &request_; }
  Response* response() { return &response_; }

 private:
  ~UnaryCallOf() override = default;

  grpc::Status SerializeResponse() override {
    return SerializeResponseMessage(method(), response_, response_bytes_);
  }

  Request request_;
  Response response_;
  grpc::ByteBuffer* const response_bytes_;
};

// Runs `handler` (which returns grpc::Status) and turns an exception into the call's error: a
// handler that throws costs its own call, never the server.
template <class Handler>
grpc::Status RunCatching(MethodBinding& method, Handler&& handler) {
  try {
    return handler();
  } catch (const std::exception& e) {
    method.exceptions.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method.full_name, ": handler threw: ", e.what()));
  } catch (...) {
    method.exceptions.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method.full_name, ": handler threw a non-standard exception"));
  }
}

// The status of a call whose executor refused it (queue full, or shutting down).
grpc::Status RejectedStatus(MethodBinding& method);

// The status of a call to a method declared tandem::NotImplemented.
grpc::Status UnimplementedStatus(const MethodBinding& method);

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_UNARY_CALL_H_
