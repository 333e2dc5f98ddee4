// MakeChannel: the channel to HOST:PORT, plaintext or TLS (security/tls_credentials.h).
//
// Threads: callable from any thread; the channel is gRPC's and thread-safe.
#ifndef TANDEM_TOOLS_CLI_CHANNEL_H_
#define TANDEM_TOOLS_CLI_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace tandem::cli {

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;    // PEM roots; empty: gRPC's default roots
  std::string cert_file;  // PEM client certificate chain, with key_file for mutual TLS
  std::string key_file;
  std::string server_name_override;  // the name to check the server's certificate against
};

// FAILED_PRECONDITION (a usage error) if a TLS file is unusable (missing, not PEM, expired, a key
// of another certificate: ClientTlsCredentials names it), or TLS files are given without
// enabling TLS, or only one of cert_file and key_file is given. Connects lazily:
// an unreachable server shows up on the first call.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const TlsOptions& tls);

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_CHANNEL_H_
