// Requests and responses as bytes, on the client: Tandem's generated clients call gRPC's raw
// (byte-buffer) methods and serialize and parse every message themselves.
//
// With typed calls, gRPC 1.51's callback client takes a response it cannot parse for no message
// at all, and reports the server's status as is: a unary call answers OK with an empty reply,
// and a stream ends "cleanly" at the bad message, so the caller acts on partial data as if it
// were complete. Parsing here ends such a call with INTERNAL and a message naming the method and
// the type instead (tests/end2end/hostile_server_test.cc), as server/internal/wire_message.h
// does for requests on the server.
//
// Threads: all functions are thread-safe and never block.
#ifndef TANDEM_CLIENT_INTERNAL_WIRE_MESSAGE_H_
#define TANDEM_CLIENT_INTERNAL_WIRE_MESSAGE_H_

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace tandem::client_internal {

// Serializes `request` for gRPC. Returns OK, or the status that ends the call before it is
// sent (a message protobuf cannot serialize, e.g. over 2 GiB), naming the method.
template <class Request>
grpc::Status SerializeRequestMessage(absl::string_view method, const Request& request,
                                     grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  grpc::Status status = grpc::SerializationTraits<Request>::Serialize(request, bytes, &own_buffer);
  if (status.ok()) return status;
  return grpc::Status(grpc::StatusCode::INTERNAL,
                      absl::StrCat(method, ": cannot serialize the request: ",
                                   status.error_message()));
}

// Parses `bytes` (consumed) into `response`. If they are not a valid encoding of it, returns the
// status that ends the call: INTERNAL, naming the method, the response type and, for the
// `index`-th message of a stream (counted from 1), its place.
template <class Response>
grpc::Status ParseResponseMessage(absl::string_view method, grpc::ByteBuffer* bytes,
                                  Response* response, size_t index = 0) {
  const size_t size = bytes->Length();
  if (grpc::SerializationTraits<Response>::Deserialize(bytes, response).ok()) {
    return grpc::Status::OK;
  }
  return grpc::Status(
      grpc::StatusCode::INTERNAL,
      absl::StrCat(method, ": response message ", index > 0 ? absl::StrCat(index, " ") : "", "(",
                   size, " bytes) is not a valid ", response->GetTypeName(), " message"));
}

}  // namespace tandem::client_internal

#endif  // TANDEM_CLIENT_INTERNAL_WIRE_MESSAGE_H_
