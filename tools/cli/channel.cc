#include "tools/cli/channel.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "security/tls_credentials.h"

namespace tandem::cli {

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const TlsOptions& tls) {
  grpc::ChannelArguments arguments;
  if (!tls.enabled) {
    if (!tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty() ||
        !tls.server_name_override.empty()) {
      return absl::FailedPreconditionError(
          "--ca_file, --cert_file, --key_file and --server_name_override need --tls");
    }
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::FailedPreconditionError("--cert_file and --key_file go together");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = ClientTlsCredentials(
      {.ca_file = tls.ca_file, .cert_file = tls.cert_file, .key_file = tls.key_file});
  if (!credentials.ok()) return absl::FailedPreconditionError(credentials.status().message());
  if (!tls.server_name_override.empty()) {
    arguments.SetSslTargetNameOverride(tls.server_name_override);
  }
  return grpc::CreateCustomChannel(target, *credentials, arguments);
}

}  // namespace tandem::cli
