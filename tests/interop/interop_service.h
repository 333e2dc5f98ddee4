// InteropService: grpc.testing.TestService, the service of gRPC's interop tests, on Tandem.
//
// Its methods are spread over the three handler styles, so a standard interop client exercises
// all of them on the wire:
//   EmptyCall            callback (inline)      StreamingInputCall  callback (inline)
//   UnaryCall            blocking               FullDuplexCall      blocking
//   CacheableUnaryCall   coroutine              HalfDuplexCall      coroutine
//   StreamingOutputCall  coroutine              UnimplementedCall   not implemented
// Server-side requirements of the interop descriptions it meets: responses of the requested
// sizes (zero-filled COMPRESSABLE payloads) and intervals; `response_status` echoed as the
// call's status; the "x-grpc-test-echo-initial" request metadata echoed as initial metadata and
// "x-grpc-test-echo-trailing-bin" as trailing metadata. Compression is not requested per
// message, so the compressed_* cases are out of scope.
//
// Threads: as each handler style says (server/handlers.h, server/stream.h).
#ifndef TANDEM_TESTS_INTEROP_INTEROP_SERVICE_H_
#define TANDEM_TESTS_INTEROP_INTEROP_SERVICE_H_

#include "grpc/testing/test.tandem.h"
#include "server/handlers.h"
#include "server/stream.h"

namespace tandem::interop {

using grpc::testing::Empty;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;
using grpc::testing::StreamingInputCallRequest;
using grpc::testing::StreamingInputCallResponse;
using grpc::testing::StreamingOutputCallRequest;
using grpc::testing::StreamingOutputCallResponse;

class InteropService final
    : public grpc::testing::TestServiceTandem::Service<InteropService> {
 public:
  void EmptyCall(ServerContext& context, const Empty& request, UnaryResponder<Empty> responder);
  grpc::Status UnaryCall(ServerContext& context, const SimpleRequest& request,
                         SimpleResponse* response);
  Task<grpc::Status> CacheableUnaryCall(ServerContext& context, const SimpleRequest& request,
                                        SimpleResponse* response);
  Task<grpc::Status> StreamingOutputCall(ServerContext& context,
                                         const StreamingOutputCallRequest& request,
                                         ServerWriter<StreamingOutputCallResponse> writer);
  void StreamingInputCall(ServerContext& context,
                          ServerReader<StreamingInputCallRequest> reader,
                          StreamingInputCallResponse* response);
  grpc::Status FullDuplexCall(
      ServerContext& context,
      ServerReaderWriter<StreamingOutputCallRequest, StreamingOutputCallResponse> stream);
  Task<grpc::Status> HalfDuplexCall(
      ServerContext& context,
      ServerReaderWriter<StreamingOutputCallRequest, StreamingOutputCallResponse> stream);
  static constexpr NotImplemented UnimplementedCall{};
};

}  // namespace tandem::interop

#endif  // TANDEM_TESTS_INTEROP_INTEROP_SERVICE_H_
