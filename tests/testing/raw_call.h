// RawCall: one call of any RPC kind with raw request bytes, as a hostile client makes it.
//
// Every gRPC call is a stream of messages on the wire, so one generic call covers the four RPC
// kinds: it writes `requests` as they are (not parsed, not checked), half-closes, reads every
// response, and returns the status. Blocking; the deadline bounds it.
#ifndef TANDEM_TESTS_TESTING_RAW_CALL_H_
#define TANDEM_TESTS_TESTING_RAW_CALL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace tandem::testing {

struct RawCallResult {
  grpc::Status status;
  std::vector<std::string> responses;
};

// `method` is the full name, "/package.Service/Method".
RawCallResult RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::vector<std::string>& requests, absl::Duration timeout);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_TESTING_RAW_CALL_H_
