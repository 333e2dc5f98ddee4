// Requests and responses as bytes: Tandem parses and serializes every message itself.
//
// Tandem registers its methods with gRPC as raw (byte-buffer) callback methods. With typed
// callback methods, gRPC 1.51 answers a request it cannot parse with UNIMPLEMENTED and an empty
// message ("no such method", which sends people looking in the wrong place), and a streamed
// request it cannot parse reads as a clean end of stream, so the handler answers as if the
// client had sent fewer messages. Parsing here lets every such call end with INTERNAL and a
// message naming the method and the type, as gRPC's synchronous API and gRPC's status-code
// table ("error parsing request proto") say, and be counted in the method's stats.
//
// Threads: all functions are thread-safe and never block.
#ifndef TANDEM_SERVER_INTERNAL_WIRE_MESSAGE_H_
#define TANDEM_SERVER_INTERNAL_WIRE_MESSAGE_H_

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "grpcpp/support/status.h"
#include "server/internal/method_binding.h"

namespace tandem::server_internal {

// Parses `bytes` into `request`. If they are not a valid encoding of it (or, unary and server
// streaming, no request message came), returns the status that ends the call: INTERNAL, naming
// the method, the request type and, for the `index`-th message of a stream (counted from 1), its
// place; and counts it in the method's stats. `bytes` is left as it was (its slices are shared,
// not copied).
template <class Request>
grpc::Status ParseRequestMessage(MethodBinding& method, const grpc::ByteBuffer& bytes,
                                 Request* request, size_t index = 0) {
  grpc::ByteBuffer shared(bytes);
  grpc::ProtoBufferReader reader(&shared);
  if (reader.status().ok() && request->ParseFromZeroCopyStream(&reader)) return grpc::Status::OK;
  method.malformed_requests.fetch_add(1, std::memory_order_relaxed);
  if (!bytes.Valid()) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(method.full_name, ": the call carried no request message"));
  }
  return grpc::Status(
      grpc::StatusCode::INTERNAL,
      absl::StrCat(method.full_name, ": ", index == 0 ? "the request" : "request message ",
                   index == 0 ? "" : absl::StrCat(index), " (", bytes.Length(),
                   " bytes) is not a valid ", Request::descriptor()->full_name(), " message"));
}

// Serializes `response` into `bytes`. Fails only for a message protobuf cannot encode (such as
// one of 2 GiB or more), with the status that ends the call: INTERNAL, naming the method.
template <class Response>
grpc::Status SerializeResponseMessage(const MethodBinding& method, const Response& response,
                                      grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  const grpc::Status status =
      grpc::SerializationTraits<Response>::Serialize(response, bytes, &own_buffer);
  if (status.ok()) return status;
  return grpc::Status(grpc::StatusCode::INTERNAL,
                      absl::StrCat(method.full_name, ": a response could not be serialized: ",
                                   status.error_message()));
}

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_WIRE_MESSAGE_H_
