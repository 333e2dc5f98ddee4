// RunJsonCall: makes one call of any kind (unary, client-, server- or bidi-streaming) through
// gRPC's generic stub, with requests and responses as JSON text converted by protobuf's JSON
// mapping into and out of DynamicMessages of the method's types.
//
// Every call goes over one bidi-streaming call object, which is what all four kinds are on
// the wire: requests are written as `next_request` yields them while responses are read
// concurrently, so a bidi server's answers print as they come.
//
// Requests: a method whose client does not stream takes exactly one; a client-streaming one
// takes as many as `next_request` yields before nullopt. A request that is not valid JSON
// for the request type cancels the call and returns INVALID_ARGUMENT naming the request, the
// field and the position, as protobuf's parser reports them.
//
// Threads: RunJsonCall blocks the caller until the call is over. `next_request` runs on the
// caller's thread; `on_response` runs on gRPC threads, one response at a time in order, and
// should not block for long. While next_request blocks, a call the server has already ended
// is only reported once next_request returns.
#ifndef TANDEM_TOOLS_CLI_JSON_CALL_H_
#define TANDEM_TOOLS_CLI_JSON_CALL_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "tools/cli/call_settings.h"

namespace tandem::cli {

// How a call ended: every call that was started has one, whatever its status.
struct CallOutcome {
  grpc::Status status;
  int responses = 0;
  // Binary ("-bin") values are the raw bytes, as gRPC decodes them.
  std::multimap<std::string, std::string> initial_metadata;
  std::multimap<std::string, std::string> trailing_metadata;
};

// The next request as JSON text; nullopt once there are no more.
using RequestReader = std::function<std::optional<std::string>()>;
// One response as a line of JSON (no newline).
using ResponseWriter = std::function<void(const std::string& json)>;

absl::StatusOr<CallOutcome> RunJsonCall(const std::shared_ptr<grpc::Channel>& channel,
                                        const google::protobuf::MethodDescriptor& method,
                                        const CallSettings& settings,
                                        const RequestReader& next_request,
                                        const ResponseWriter& on_response);

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_JSON_CALL_H_
