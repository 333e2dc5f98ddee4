// CallSettings: what every call the tool makes carries, the reflection lookups and the call
// itself alike: the user's metadata (-H) and one deadline for the whole command (--deadline).
//
// Threads: immutable once built; Apply may be called from any thread.
#ifndef TANDEM_TOOLS_CLI_CALL_SETTINGS_H_
#define TANDEM_TOOLS_CLI_CALL_SETTINGS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"

namespace tandem::cli {

class CallSettings {
 public:
  // Parses each "key:value" header (spaces around the value are dropped; the key is lowercased).
  // A key ending in "-bin" takes its value in base64, as gRPC sends binary metadata.
  // FAILED_PRECONDITION (a usage error) if a header has no ':' or bad base64.
  static absl::StatusOr<CallSettings> Create(const std::vector<std::string>& headers,
                                             absl::Time deadline);

  // Adds the metadata and the deadline (unless it is infinite) to `context`.
  void Apply(grpc::ClientContext& context) const;

 private:
  std::vector<std::pair<std::string, std::string>> metadata_;
  absl::Time deadline_ = absl::InfiniteFuture();
};

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_CALL_SETTINGS_H_
