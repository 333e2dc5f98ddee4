// TLS and mutual TLS from PEM files, as gRPC credentials, for ServerBuilder::AddListeningPort
// and for the channels generated clients are made from.
//
//   auto server_tls = tandem::ServerTlsCredentials({.cert_file = "server.pem",
//                                                   .key_file = "server.key",
//                                                   .client_ca_file = "clients-ca.pem"});  // mTLS
//   if (!server_tls.ok()) ...  // names the file and what is wrong with it
//   builder.AddListeningPort("0.0.0.0:443", *server_tls);
//
//   auto client_tls = tandem::ClientTlsCredentials({.ca_file = "ca.pem"});
//   GreeterTandem::Client client(grpc::CreateChannel("greeter.example:443", *client_tls));
//
// The credentials are gRPC's own (grpc::SslServerCredentials, grpc::SslCredentials). What this
// adds is checking the files first, with OpenSSL, so that a mistake is one clear error at start
// rather than a failed handshake later: a file that is missing or unreadable, that holds no PEM
// certificate or key, a certificate that has expired or is not valid yet, a key that does not
// belong to its certificate. The error names the file and the reason.
//
// Threads: any thread. Each call reads the files anew; files changed later are not noticed.
#ifndef TANDEM_SECURITY_TLS_CREDENTIALS_H_
#define TANDEM_SECURITY_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace tandem {

struct ServerTlsFiles {
  std::string cert_file;  // the server's certificate chain, PEM, its own certificate first
  std::string key_file;   // its private key, PEM
  // Mutual TLS when set: clients must present a certificate signed by one of these CAs (PEM),
  // or their connection is refused. Empty: any client may connect, without a certificate.
  std::string client_ca_file;
};

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const ServerTlsFiles& files);

struct ClientTlsFiles {
  // The CAs the server's certificate must be signed by, PEM. Empty: gRPC's default roots.
  std::string ca_file;
  // The client's certificate chain and key, PEM, for servers that require mutual TLS; both or
  // neither.
  std::string cert_file;
  std::string key_file;
};

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const ClientTlsFiles& files);

}  // namespace tandem

#endif  // TANDEM_SECURITY_TLS_CREDENTIALS_H_
