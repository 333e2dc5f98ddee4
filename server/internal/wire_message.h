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
#include "server/service.h"

namespace tandem::server_internal {

// Parses `bytes` into `message`; false if they are not a valid encoding of it. `bytes` is left as
// it was (its slices are shared, not copied).
template <class Message>
bool ParseWireMessage(const grpc::ByteBuffer& bytes, Message* message) {
  grpc::ByteBuffer shared(bytes);
  grpc::ProtoBufferReader reader(&shared);
  return reader.status().ok() && message->ParseFromZeroCopyStream(&reader);
}

// Serializes `message` into `bytes`. Fails (INTERNAL) only for a message protobuf cannot encode,
// such as one of 2 GiB or more.
template <class Message>
grpc::Status SerializeWireMessage(const Message& message, grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  return grpc::SerializationTraits<Message>::Serialize(message, bytes, &own_buffer);
}

// The status of a call whose request (or, streaming, its `index`-th request, counted from 1)
// could not be parsed, or (unary and server streaming) never came. Counts it in the method's
// stats.
template <class Request>
grpc::Status MalformedRequestStatus(MethodBinding& method, const grpc::ByteBuffer& bytes,
                                    size_t index = 0) {
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

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_WIRE_MESSAGE_H_
