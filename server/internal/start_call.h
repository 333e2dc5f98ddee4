// The entry points generated code calls, one per RPC kind, on gRPC's dispatch thread, as gRPC
// hands a raw method's call over. Each makes the call's state and reply shim (UnaryCallOf,
// StreamCall), admits it (a request message that does not parse ends the call at once, see
// wire_message.h), and hands it off along the call path (call_path.h) with an `invoke` that
// calls the handler with what its kind and style take. The style is fixed at compile time.
//
// Threads: each runs on gRPC's dispatch thread, returns the reactor gRPC drives, and never
// blocks or runs the handler there (unless bound inline).
#ifndef TANDEM_SERVER_INTERNAL_START_CALL_H_
#define TANDEM_SERVER_INTERNAL_START_CALL_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/handlers.h"
#include "server/internal/call_path.h"
#include "server/internal/detached_call.h"
#include "server/internal/method_binding.h"
#include "server/internal/stream_call.h"
#include "server/internal/unary_call.h"
#include "server/internal/wire_message.h"
#include "server/service.h"
#include "server/stream.h"

namespace tandem::server_internal {

// Makes the responder a callback handler gets.
struct ResponderFactory {
  template <class Call>
  static auto For(Call* call) {
    using Response = std::remove_pointer_t<decltype(call->response())>;
    return UnaryResponder<Response>(call, call->response());
  }
};

// Hands a unary call (a UnaryCallOf, or a DetachedCallOf) off to its executor, to call `handler`
// there in `kStyle` with what that style takes. Returns whether the executor took it.
template <HandlerStyle kStyle, class Call, class Handler>
bool HandOffUnary(Call* call, Handler handler) {
  if constexpr (kStyle == HandlerStyle::kCallback) {
    return HandOff<kStyle>(call, [call, handler = std::move(handler)]() mutable {
      handler(call->context(), *call->request(), ResponderFactory::For(call));
    });
  } else {
    return HandOff<kStyle>(call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), *call->request(), call->response());
    });
  }
}

// A call of a one-way method (ServiceOptions::SetOneWay), parsed: its request moves to a
// detached call that runs the handler, and the call itself is answered OK (with an empty
// response) as soon as the executor has taken that one, or RESOURCE_EXHAUSTED if it refused.
template <HandlerStyle kStyle, class Request, class Response, class Handler>
void StartOneWay(UnaryCallOf<Request, Response>* call, Handler handler) {
  MethodBinding& method = call->method();
  auto* detached = new DetachedCallOf<Request, Response>(
      method, call->context().Snapshot(), absl::InfiniteFuture(), *method.detached_calls,
      OneWayCompletion());
  detached->request()->Swap(call->request());
  const bool admitted = HandOffUnary<kStyle>(detached, std::move(handler));
  call->PostFinish(admitted ? grpc::Status::OK : RefusedStatus(method));
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerUnaryReactor* StartUnary(MethodBinding& method,
                                     grpc::CallbackServerContext* grpc_context,
                                     const grpc::ByteBuffer* request_bytes,
                                     grpc::ByteBuffer* response_bytes, Handler handler) {
  if (!AdmitAtTheDoor(method)) {
    grpc::ServerUnaryReactor* reactor = grpc_context->DefaultReactor();
    reactor->Finish(ShedStatus(method));
    return reactor;
  }
  auto* call = new UnaryCallOf<Request, Response>(method, grpc_context, response_bytes);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else if (grpc::Status parsed = ParseRequestMessage(method, *request_bytes, call->request());
             !parsed.ok()) {
    call->PostFinish(std::move(parsed));
  } else if (method.one_way) {
    StartOneWay<kStyle>(call, std::move(handler));
  } else {
    HandOffUnary<kStyle>(call, std::move(handler));
  }
  return call;
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerWriteReactor<grpc::ByteBuffer>* StartServerStreaming(
    MethodBinding& method, grpc::CallbackServerContext* grpc_context,
    const grpc::ByteBuffer* request_bytes, Handler handler) {
  using Reactor = grpc::ServerWriteReactor<grpc::ByteBuffer>;
  if (!AdmitAtTheDoor(method)) return new ShedCall<Reactor>(method);
  auto* call = new StreamCall<Request, Response, StreamKind::kServerStreaming>(method, grpc_context);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else if (grpc::Status parsed = ParseRequestMessage(method, *request_bytes, call->request());
             !parsed.ok()) {
    call->PostFinish(std::move(parsed));
  } else {
    HandOff<kStyle>(call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), *call->request(), ServerWriter<Response>(call, call));
    });
  }
  return call->reactor();
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerReadReactor<grpc::ByteBuffer>* StartClientStreaming(
    MethodBinding& method, grpc::CallbackServerContext* grpc_context,
    grpc::ByteBuffer* response_bytes, Handler handler) {
  using Reactor = grpc::ServerReadReactor<grpc::ByteBuffer>;
  if (!AdmitAtTheDoor(method)) return new ShedCall<Reactor>(method);
  auto* call = new StreamCall<Request, Response, StreamKind::kClientStreaming>(
      method, grpc_context, response_bytes);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else {
    HandOff<kStyle>(call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), ServerReader<Request>(call, call), call->response());
    });
  }
  return call->reactor();
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StartBidiStreaming(
    MethodBinding& method, grpc::CallbackServerContext* grpc_context, Handler handler) {
  using Reactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;
  if (!AdmitAtTheDoor(method)) return new ShedCall<Reactor>(method);
  auto* call = new StreamCall<Request, Response, StreamKind::kBidi>(method, grpc_context);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else {
    HandOff<kStyle>(call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), ServerReaderWriter<Request, Response>(call));
    });
  }
  return call->reactor();
}

// A unary method of one implementation, run detached (see DetachedUnaryMethod).
template <HandlerStyle kStyle, class Request, class Response, class Handler>
class DetachedUnaryMethodOf final : public DetachedUnaryMethod {
 public:
  explicit DetachedUnaryMethodOf(Handler handler) : handler_(std::move(handler)) {}

  const google::protobuf::Descriptor* response_type() const override {
    return Response::descriptor();
  }
  DetachedCall* NewCall(MethodBinding& binding, std::unique_ptr<const CallSnapshot> snapshot,
                        absl::Time deadline, DetachedCallRegistry& registry,
                        DetachedCall::Completion completion) const override {
    return new DetachedCallOf<Request, Response>(binding, std::move(snapshot), deadline,
                                                 registry, std::move(completion));
  }
  bool Start(DetachedCall* call) const override {
    return HandOffUnary<kStyle>(static_cast<DetachedCallOf<Request, Response>*>(call), handler_);
  }

 private:
  const Handler handler_;  // calls the implementation's method; copied per call
};

// What generated code lists in ServiceDefinition::detached_methods for a unary method.
template <HandlerStyle kStyle, class Request, class Response, class Handler>
std::shared_ptr<const DetachedUnaryMethod> MakeDetachedUnaryMethod(Handler handler) {
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    return nullptr;
  } else {
    return std::make_shared<DetachedUnaryMethodOf<kStyle, Request, Response, Handler>>(
        std::move(handler));
  }
}

// The style of a handler, from which of the three signatures it has (see server/handlers.h) or
// its NotImplemented declaration. Generated code checks, with a message naming the method, that
// exactly one matched before calling this.
constexpr HandlerStyle StyleOf(bool blocking, bool coroutine, bool callback) {
  return blocking    ? HandlerStyle::kBlocking
         : coroutine ? HandlerStyle::kCoroutine
         : callback  ? HandlerStyle::kCallback
                     : HandlerStyle::kNotImplemented;
}

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_START_CALL_H_
