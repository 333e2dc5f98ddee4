// ExitCode: what `tandem` exits with, one code per kind of failure, so scripts can tell a typo
// in a request from a server that is down.
//
//   0  ok: the call ended with status OK (list, describe and methods: the answer was printed)
//   1  the call ended with another non-OK status (printed as `CODE: message`)
//   2  usage error: bad flags or arguments, unreadable --proto/TLS files
//   3  bad request: malformed JSON, unknown field, wrong value type
//   4  unknown service, method or symbol
//   5  the server has no reflection service (pass --proto); `methods`: no admin service
//   6  unreachable: cannot connect, or UNAVAILABLE before any response
//   7  deadline exceeded
//
// Inside the tool a failure is an absl::Status whose code names its kind (ToolExitCode below);
// a call's own final grpc::Status is mapped separately (CallExitCode), because a server may
// answer UNIMPLEMENTED or NOT_FOUND for reasons of its own, which are exit 1.
//
// Threads: pure functions, callable from any thread.
#ifndef TANDEM_TOOLS_CLI_EXIT_CODE_H_
#define TANDEM_TOOLS_CLI_EXIT_CODE_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tandem::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitCallFailed = 1,
  kExitUsage = 2,
  kExitBadRequest = 3,
  kExitUnknownSymbol = 4,
  kExitNoReflection = 5,
  kExitUnreachable = 6,
  kExitDeadlineExceeded = 7,
};

// The tool's own failures, by status code:
//   FAILED_PRECONDITION -> 2, INVALID_ARGUMENT -> 3, NOT_FOUND -> 4, UNIMPLEMENTED -> 5
//   (only ever "no reflection service", or for `methods` "no admin service"), UNAVAILABLE -> 6,
//   DEADLINE_EXCEEDED -> 7, others -> 1.
ExitCode ToolExitCode(const absl::Status& status);

// A call's final status: OK -> 0, DEADLINE_EXCEEDED -> 7, UNAVAILABLE before any response
// -> 6, anything else -> 1.
ExitCode CallExitCode(const grpc::Status& status, int responses_received);

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_EXIT_CODE_H_
