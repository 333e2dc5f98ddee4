// TestCertificates: a small PKI made at test time with Debian's `openssl` command, in a fresh
// directory: two CAs, and certificates signed by them for a server (127.0.0.1 and localhost),
// clients, a server of another name, and an expired one. Nothing is checked in: certificates
// expire, and keys in a repository get copied.
//
// Threads: Create from one thread; the paths are plain strings, readable from any.
#ifndef TANDEM_TESTS_SECURITY_TEST_CERTIFICATES_H_
#define TANDEM_TESTS_SECURITY_TEST_CERTIFICATES_H_

#include <string>

#include "absl/status/statusor.h"

namespace tandem::testing {

struct KeyPair {
  std::string cert_file;
  std::string key_file;
};

struct TestCertificates {
  std::string ca_file;        // the CA that signed server, client and wrong_host
  std::string other_ca_file;  // a CA nobody trusts, which signed stranger
  KeyPair server;             // CN=tandem-test-server; SANs IP:127.0.0.1, DNS:localhost
  KeyPair client;             // CN=client-a
  KeyPair stranger;           // CN=stranger, signed by other_ca_file
  KeyPair wrong_host;         // CN=elsewhere; SAN DNS:elsewhere.example only
  KeyPair expired;            // CN=expired, self-signed, expired yesterday
  KeyPair not_pem;            // files of text that is no PEM

  // Makes all of them in `directory` (created if missing). An error says which openssl
  // command failed and what it printed.
  static absl::StatusOr<TestCertificates> Create(const std::string& directory);
  // Create in the test's own scratch directory ($TEST_TMPDIR/pki).
  static absl::StatusOr<TestCertificates> CreateForTest();
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_SECURITY_TEST_CERTIFICATES_H_
