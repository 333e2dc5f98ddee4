// Server stream handles: what a streaming handler reads requests from and writes responses to.
//
//   server streaming:  (ServerContext&, const Req&, ServerWriter<Resp> writer)
//   client streaming:  (ServerContext&, ServerReader<Req> reader, Resp* response)
//   bidirectional:     (ServerContext&, ServerReaderWriter<Req, Resp> stream)
//
// The same handles serve every handler style; each operation comes in the three forms of
// executors/message_stream.h, shared with the client's stream handles:
//   - Read / Write wait for the result, parking the executor thread (never a gRPC thread): for
//     blocking handlers.
//   - CoRead / CoWrite are awaited: `co_await writer.CoWrite(reply)`. The coroutine resumes on
//     its loop, never on a gRPC thread: for coroutine handlers.
//   - AsyncRead / AsyncWrite take an Asio completion token; a plain callback runs on a gRPC
//     thread or at once, and must not block: for callback handlers.
// A write completes (true) once the message is in the call's bounded write queue, so a writer
// faster than its client waits there instead of growing memory (StreamLimits). A read gives the
// next request, or "no more" once the client half-closed or the call was cancelled. A write
// that fails (false) means the stream is cancelled or finished: stop and return.
//
// Ending the call: blocking and coroutine handlers return their status, which is sent after the
// last queued write. Callback handlers call Finish, from any thread. Every handle is a cheap,
// copyable reference to the call; when the handler has dropped every copy without finishing,
// the call ends with INTERNAL.
//
// Threads: one Read (in any form) at a time, and one Write at a time per handle; reads and
// writes may overlap. Finish, IsCancelled and copies are thread-safe.
// Lifetime: the handles keep the call state alive; the ServerContext and the initial request are
// valid until the call is finished.
#ifndef TANDEM_SERVER_STREAM_H_
#define TANDEM_SERVER_STREAM_H_

#include <utility>

#include "executors/message_stream.h"
#include "grpcpp/support/status.h"
#include "server/internal/server_call.h"
#include "server/server_context.h"

namespace tandem {

// The requests of a client-streaming or bidirectional call: Read, CoRead, AsyncRead.
template <class Request>
class ServerReader : public StreamReads<Request> {
 public:
  ServerReader(server_internal::ServerCall* call, MessageSource<Request>* requests)
      : StreamReads<Request>(requests), call_(call) {}

  ServerContext& context() const { return call_.get()->context(); }
  bool IsCancelled() const { return context().IsCancelled(); }

  // Ends the call (callback handlers). Any thread; never blocks; first wins.
  bool Finish(grpc::Status status) { return call_.get()->PostFinish(std::move(status)); }

 private:
  server_internal::CallHandle call_;
};

// The responses of a server-streaming or bidirectional call: Write, CoWrite, AsyncWrite. A
// write is done (true) once the response is in the call's bounded write queue.
template <class Response>
class ServerWriter : public StreamWrites<Response> {
 public:
  ServerWriter(server_internal::ServerCall* call, MessageSink<Response>* responses)
      : StreamWrites<Response>(responses), call_(call) {}

  ServerContext& context() const { return call_.get()->context(); }
  bool IsCancelled() const { return context().IsCancelled(); }

  // Ends the call after the queued writes (callback handlers). Any thread; never blocks; first
  // wins.
  bool Finish(grpc::Status status) { return call_.get()->PostFinish(std::move(status)); }

 private:
  server_internal::CallHandle call_;
};

// Both directions of a bidirectional call.
template <class Request, class Response>
class ServerReaderWriter : public ServerReader<Request>, public ServerWriter<Response> {
 public:
  template <class Call>
  explicit ServerReaderWriter(Call* call)
      : ServerReader<Request>(call, call), ServerWriter<Response>(call, call) {}

  using ServerWriter<Response>::context;
  using ServerWriter<Response>::IsCancelled;
  using ServerWriter<Response>::Finish;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_STREAM_H_
