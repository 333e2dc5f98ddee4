// UnaryCall: the reply shim of a unary call, and gRPC's reactor for it.
//
// gRPC runs every Tandem method as a raw (byte-buffer) method: the typed UnaryCallOf holds the
// parsed request and the response, and serializes the response when the call finishes OK, on the
// thread that finishes it (see wire_message.h for why). Whatever the handler's style, the call
// path (call_path.h) or the handler's responder ends the call with PostFinish, from whatever
// thread it runs on; PostFinish hands the status to gRPC and returns at once.
//
// Threads: PostFinish may be called from any thread and never blocks. OnCancel and OnDone are
// gRPC reactions (gRPC callback threads): they only update state. PostFinish is first-wins,
// because a callback handler may legitimately race its own error path (it threw after handing
// its responder to another thread).
// Lifetime: see ServerCall.
#ifndef TANDEM_SERVER_INTERNAL_UNARY_CALL_H_
#define TANDEM_SERVER_INTERNAL_UNARY_CALL_H_

#include <atomic>
#include <optional>

#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "server/internal/method_binding.h"
#include "server/internal/server_call.h"
#include "server/internal/wire_message.h"

namespace tandem::server_internal {

class UnaryCall : public ServerCall, public grpc::ServerUnaryReactor {
 public:
  UnaryCall(MethodBinding& method, grpc::CallbackServerContext* grpc_context)
      : ServerCall(method, grpc_context, "responder") {}

  // Sends `status`, with the response the handler filled (serialized here) if OK. For a
  // shadowed method (shadow.h), then starts the candidate.
  bool PostFinish(grpc::Status status) override;

 protected:
  ~UnaryCall() override = default;

 private:
  // Serializes the response for gRPC; called once, by the PostFinish that wins, if its status is
  // OK. Returns the status to send: OK, or the serialization failure (see wire_message.h).
  virtual grpc::Status SerializeResponse() = 0;
  // The typed call's messages, for its shadow.
  virtual google::protobuf::Message& request_message() = 0;
  virtual google::protobuf::Message& response_message() = 0;

  // gRPC may run these on the thread that completes the call instead of hopping to one of its
  // executor threads (a context switch per call): safe, as they never block. gRPC marks the
  // hook "not API"; its own DefaultReactor uses it the same way.
  bool InternalInlineable() override { return true; }
  void OnCancel() override { context_.MarkCancelled(); }
  void OnDone() override {
    RecordDone(sent_code_);
    Unref();
  }

  std::atomic<bool> finished_{false};
  // Written by the PostFinish that wins, before it hands the status to gRPC; read by OnDone,
  // which gRPC runs after that.
  std::optional<grpc::StatusCode> sent_code_;
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
  google::protobuf::Message& request_message() override { return request_; }
  google::protobuf::Message& response_message() override { return response_; }

  Request request_;
  Response response_;
  grpc::ByteBuffer* const response_bytes_;
};

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_UNARY_CALL_H_
