#include "security/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tandem {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

// One of the files, read: what it is for ("cert_file") and where it is, for errors.
struct PemFile {
  std::string role;
  std::string path;
  std::string contents;

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("TLS ", role, " '", path, "': ", what));
  }
  Bio Reader() const {
    return Bio(BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size())));
  }
};

absl::StatusOr<PemFile> Read(absl::string_view role, const std::string& path) {
  PemFile file{std::string(role), path, ""};
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("TLS ", role, ": no file given"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return file.Error(std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return file.Error(std::strerror(errno));
  file.contents = std::move(contents).str();
  if (file.contents.empty()) return file.Error("the file is empty");
  return file;
}

std::string TimeText(const ASN1_TIME* time) {
  Bio out(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(out.get(), time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// Every certificate in `file`, in order; an error if there is none.
absl::StatusOr<std::vector<Certificate>> Certificates(const PemFile& file) {
  Bio reader = file.Reader();
  std::vector<Certificate> certificates;
  while (X509* cert = PEM_read_bio_X509(reader.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(cert);
  }
  ERR_clear_error();  // the read that ended the loop
  if (certificates.empty()) return file.Error("holds no PEM certificate");
  return certificates;
}

absl::Status CheckValidNow(const PemFile& file, const X509& cert) {
  if (X509_cmp_current_time(X509_get0_notBefore(&cert)) > 0) {
    return file.Error(
        absl::StrCat("the certificate is not valid before ", TimeText(X509_get0_notBefore(&cert))));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(&cert)) < 0) {
    return file.Error(
        absl::StrCat("the certificate expired on ", TimeText(X509_get0_notAfter(&cert))));
  }
  return absl::OkStatus();
}

// A certificate chain and its key, checked: the first certificate is valid now and the key is
// its key.
absl::Status CheckKeyPair(const PemFile& cert_file, const PemFile& key_file) {
  absl::StatusOr<std::vector<Certificate>> chain = Certificates(cert_file);
  if (!chain.ok()) return chain.status();
  if (absl::Status valid = CheckValidNow(cert_file, *chain->front()); !valid.ok()) return valid;
  Bio reader = key_file.Reader();
  PrivateKey key(PEM_read_bio_PrivateKey(reader.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) return key_file.Error("holds no PEM private key (or one with a passphrase)");
  if (X509_check_private_key(chain->front().get(), key.get()) != 1) {
    ERR_clear_error();
    return key_file.Error(
        absl::StrCat("the key does not belong to the certificate in '", cert_file.path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const ServerTlsFiles& files) {
  absl::StatusOr<PemFile> cert = Read("cert_file", files.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<PemFile> key = Read("key_file", files.key_file);
  if (!key.ok()) return key.status();
  if (absl::Status pair = CheckKeyPair(*cert, *key); !pair.ok()) return pair;

  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({key->contents, cert->contents});
  if (!files.client_ca_file.empty()) {
    absl::StatusOr<PemFile> client_ca = Read("client_ca_file", files.client_ca_file);
    if (!client_ca.ok()) return client_ca.status();
    if (absl::StatusOr<std::vector<Certificate>> cas = Certificates(*client_ca); !cas.ok()) {
      return cas.status();
    }
    options.pem_root_certs = client_ca->contents;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const ClientTlsFiles& files) {
  grpc::SslCredentialsOptions options;
  if (!files.ca_file.empty()) {
    absl::StatusOr<PemFile> ca = Read("ca_file", files.ca_file);
    if (!ca.ok()) return ca.status();
    if (absl::StatusOr<std::vector<Certificate>> cas = Certificates(*ca); !cas.ok()) {
      return cas.status();
    }
    options.pem_root_certs = ca->contents;
  }
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS: a client certificate needs both cert_file and key_file");
  }
  if (!files.cert_file.empty()) {
    absl::StatusOr<PemFile> cert = Read("cert_file", files.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<PemFile> key = Read("key_file", files.key_file);
    if (!key.ok()) return key.status();
    if (absl::Status pair = CheckKeyPair(*cert, *key); !pair.ok()) return pair;
    options.pem_cert_chain = cert->contents;
    options.pem_private_key = key->contents;
  }
  return grpc::SslCredentials(options);
}

}  // namespace tandem
