#include "security/server_tls_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "security/tls_credentials.h"

ABSL_FLAG(bool, use_tls, false, "serve over TLS (with --tls_cert_file and --tls_key_file)");
ABSL_FLAG(std::string, tls_cert_file, "", "with --use_tls: the server's certificate chain, PEM");
ABSL_FLAG(std::string, tls_key_file, "", "with --use_tls: the server's private key, PEM");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "with --use_tls: mutual TLS, clients must present a certificate signed by these CAs "
          "(PEM)");

namespace tandem {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags() {
  if (!absl::GetFlag(FLAGS_use_tls)) {
    if (!absl::GetFlag(FLAGS_tls_cert_file).empty() ||
        !absl::GetFlag(FLAGS_tls_key_file).empty() ||
        !absl::GetFlag(FLAGS_tls_client_ca_file).empty()) {
      return absl::InvalidArgumentError("the --tls_* flags need --use_tls");
    }
    return grpc::InsecureServerCredentials();
  }
  return ServerTlsCredentials({.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
                               .key_file = absl::GetFlag(FLAGS_tls_key_file),
                               .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file)});
}

}  // namespace tandem
