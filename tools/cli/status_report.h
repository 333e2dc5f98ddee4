// How `tandem call` reports the end of a call, after the responses: a non-OK status as one
// plain line for stderr, or (--json) the status and metadata as one JSON object for stdout:
//
//   {"code":"NOT_FOUND","codeNumber":5,"message":"...","headers":{"key":["value"]},
//    "trailers":{"key":["value", ...]}}
//
// Metadata values are lists (a key may repeat); "-bin" values are base64, as -H takes them.
// Strings are escaped by protobuf's JSON printer.
//
// Threads: pure functions, callable from any thread.
#ifndef TANDEM_TOOLS_CLI_STATUS_REPORT_H_
#define TANDEM_TOOLS_CLI_STATUS_REPORT_H_

#include <string>

#include "grpcpp/support/status.h"
#include "tools/cli/json_call.h"

namespace tandem::cli {

// "CODE: message", e.g. "UNIMPLEMENTED: Method not found: grpc.testing.TestService/Foo".
std::string StatusLine(const grpc::Status& status);

// The JSON object above, on one line.
std::string StatusJson(const CallOutcome& outcome);

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_STATUS_REPORT_H_
