#include "tools/cli/channel.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace tandem::cli {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", path));
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace

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
  grpc::SslCredentialsOptions options;
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> roots = ReadFile("--ca_file", tls.ca_file);
    if (!roots.ok()) return roots.status();
    options.pem_root_certs = *std::move(roots);
  }
  if (!tls.cert_file.empty()) {
    absl::StatusOr<std::string> chain = ReadFile("--cert_file", tls.cert_file);
    if (!chain.ok()) return chain.status();
    absl::StatusOr<std::string> key = ReadFile("--key_file", tls.key_file);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(chain);
    options.pem_private_key = *std::move(key);
  }
  if (!tls.server_name_override.empty()) {
    arguments.SetSslTargetNameOverride(tls.server_name_override);
  }
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(options), arguments);
}

}  // namespace tandem::cli
