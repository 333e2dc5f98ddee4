// StartServerStreaming, StartClientStreaming, StartBidiStreaming: the entry points generated
// code calls for streaming methods, on gRPC's dispatch thread.
//
// Each makes the call's StreamCall, then runs the handler as its style requires: a blocking
// handler is posted to its executor, a coroutine spawned on its loop, a callback run on its
// executor (inline by default). The dispatch thread never runs blocking user code and never
// waits. The start function holds a handle of its own while the handler runs, so the handler's
// status (or exception) decides how the call ends, not the order in which handles are dropped.
#ifndef TANDEM_SERVER_INTERNAL_START_STREAM_H_
#define TANDEM_SERVER_INTERNAL_START_STREAM_H_

#include <exception>
#include <utility>

#include "executors/task.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "server/internal/stream_call.h"
#include "server/internal/unary_call.h"
#include "server/service.h"
#include "server/stream.h"

namespace tandem::server_internal {

template <class Invoke>
Task<void> RunCoroutineStream(StreamCallBase* call, Invoke invoke) {
  grpc::Status status;
  try {
    status = co_await invoke();
  } catch (...) {
    status = RunCatching(call->method(), [error = std::current_exception()]() -> grpc::Status {
      std::rethrow_exception(error);
    });
  }
  call->PostFinish(std::move(status));
  call->ReleaseHandle();
}

// Runs `invoke` (which calls the handler with the call's handles) in the style `kStyle`.
template <HandlerStyle kStyle, class Invoke>
void RunStreamHandler(MethodBinding& method, StreamCallBase* call, Invoke invoke) {
  static_assert(kStyle != HandlerStyle::kNotImplemented);
  {
    call->AddHandle();  // Ours, released once the handler has returned (or co_returned).
    bool started;
    if constexpr (kStyle == HandlerStyle::kCoroutine) {
      started =
          method.loop->TrySpawn(RunCoroutineStream(call, std::move(invoke)), method.post_options());
    } else {
      started = method.executor->TryPost([call, invoke = std::move(invoke)]() mutable {
        grpc::Status status = RunCatching(call->method(), [&] {
          if constexpr (kStyle == HandlerStyle::kBlocking) {
            return invoke();
          } else {
            invoke();  // A callback handler finishes later, through its handles.
            return grpc::Status::OK;
          }
        });
        if (kStyle == HandlerStyle::kBlocking || !status.ok()) call->PostFinish(std::move(status));
        call->ReleaseHandle();
      }, method.post_options());
    }
    if (!started) {
      call->PostFinish(RejectedStatus(method));
      call->ReleaseHandle();
    }
  }
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerWriteReactor<grpc::ByteBuffer>* StartServerStreaming(
    MethodBinding& method, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request_bytes, Handler handler) {
  using Call = StreamCall<Request, Response, StreamKind::kServerStreaming>;
  auto* call = new Call(method, context);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else if (call->ParseRequest(*request_bytes)) {
    RunStreamHandler<kStyle>(method, call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), call->request(), ServerWriter<Response>(call, call));
    });
  }
  return call->reactor();
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerReadReactor<grpc::ByteBuffer>* StartClientStreaming(
    MethodBinding& method, grpc::CallbackServerContext* context,
    grpc::ByteBuffer* response_bytes, Handler handler) {
  using Call = StreamCall<Request, Response, StreamKind::kClientStreaming>;
  auto* call = new Call(method, context, response_bytes);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else {
    RunStreamHandler<kStyle>(method, call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), ServerReader<Request>(call, call), call->response());
    });
  }
  return call->reactor();
}

template <HandlerStyle kStyle, class Request, class Response, class Handler>
grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StartBidiStreaming(
    MethodBinding& method, grpc::CallbackServerContext* context, Handler handler) {
  using Call = StreamCall<Request, Response, StreamKind::kBidi>;
  auto* call = new Call(method, context);
  if constexpr (kStyle == HandlerStyle::kNotImplemented) {
    call->PostFinish(UnimplementedStatus(method));
  } else {
    RunStreamHandler<kStyle>(method, call, [call, handler = std::move(handler)]() mutable {
      return handler(call->context(), ServerReaderWriter<Request, Response>(call));
    });
  }
  return call->reactor();
}

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_START_STREAM_H_
