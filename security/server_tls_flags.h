// The TLS flags of Tandem's servers, as gRPC's interop servers spell them:
//
//   --use_tls --tls_cert_file=server.pem --tls_key_file=server.key [--tls_client_ca_file=ca.pem]
//
// Plain text without --use_tls; --tls_client_ca_file asks for mutual TLS. A program links this
// target to have the flags, and asks for its credentials after absl::ParseCommandLine.
// Threads: call from main, after the flags are parsed.
#ifndef TANDEM_SECURITY_SERVER_TLS_FLAGS_H_
#define TANDEM_SECURITY_SERVER_TLS_FLAGS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace tandem {

// The credentials the flags ask for: insecure without --use_tls, else TLS from the files (an
// error names the flag or file at fault, see security/tls_credentials.h).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFromFlags();

}  // namespace tandem

#endif  // TANDEM_SECURITY_SERVER_TLS_FLAGS_H_
