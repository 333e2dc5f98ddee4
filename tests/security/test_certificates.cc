#include "tests/security/test_certificates.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tandem::testing {
namespace {

// Runs `command` in a shell, its output to `log`; an error with the output if it fails.
absl::Status Run(const std::string& command, const std::string& log) {
  const int status = std::system(absl::StrCat(command, " >", log, " 2>&1").c_str());
  if (status == 0) return absl::OkStatus();
  std::ifstream in(log);
  std::stringstream output;
  output << in.rdbuf();
  return absl::InternalError(absl::StrCat("`", command, "` failed:\n", output.str()));
}

}  // namespace

absl::StatusOr<TestCertificates> TestCertificates::Create(const std::string& directory) {
  std::filesystem::create_directories(directory);
  const std::string dir = directory + "/";
  const std::string log = dir + "openssl.log";
  auto path = [&](const std::string& name) { return dir + name; };

  // A self-signed CA.
  auto make_ca = [&](const std::string& name, const std::string& subject) {
    return Run(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '", subject,
                            "' -keyout ", path(name + ".key"), " -out ", path(name + ".pem")),
               log);
  };
  // A certificate for `name`, signed by `ca` (a self-signed one if empty), valid for `days`
  // (negative: expired), with the subject alternative names `sans` if any.
  auto make_cert = [&](const std::string& name, const std::string& subject,
                       const std::string& ca, int days, const std::string& sans) -> absl::Status {
    if (absl::Status s = Run(absl::StrCat("openssl req -new -newkey rsa:2048 -nodes -subj '",
                                          subject, "' -keyout ", path(name + ".key"), " -out ",
                                          path(name + ".csr")),
                             log);
        !s.ok()) {
      return s;
    }
    std::string extensions;
    if (!sans.empty()) {
      std::ofstream(path(name + ".ext")) << "subjectAltName=" << sans << "\n";
      extensions = absl::StrCat(" -extfile ", path(name + ".ext"));
    }
    const std::string signer =
        ca.empty() ? absl::StrCat(" -signkey ", path(name + ".key"))
                   : absl::StrCat(" -CA ", path(ca + ".pem"), " -CAkey ", path(ca + ".key"),
                                  " -CAcreateserial");
    return Run(absl::StrCat("openssl x509 -req -in ", path(name + ".csr"), signer, " -days ",
                            days, extensions, " -out ", path(name + ".pem")),
               log);
  };

  for (absl::Status made : {
           make_ca("ca", "/CN=Tandem Test CA"),
           make_ca("other_ca", "/CN=Some Other CA"),
           make_cert("server", "/CN=tandem-test-server", "ca", 1, "IP:127.0.0.1,DNS:localhost"),
           make_cert("client", "/CN=client-a", "ca", 1, ""),
           make_cert("stranger", "/CN=stranger", "other_ca", 1, ""),
           make_cert("wrong_host", "/CN=elsewhere", "ca", 1, "DNS:elsewhere.example"),
           make_cert("expired", "/CN=expired", "", -1, ""),
       }) {
    if (!made.ok()) return made;
  }
  std::ofstream(path("not_pem.pem")) << "this is not a certificate\n";
  std::ofstream(path("not_pem.key")) << "this is not a key\n";

  auto pair = [&](const std::string& name) {
    return KeyPair{path(name + ".pem"), path(name + ".key")};
  };
  TestCertificates certificates;
  certificates.ca_file = path("ca.pem");
  certificates.other_ca_file = path("other_ca.pem");
  certificates.server = pair("server");
  certificates.client = pair("client");
  certificates.stranger = pair("stranger");
  certificates.wrong_host = pair("wrong_host");
  certificates.expired = pair("expired");
  certificates.not_pem = pair("not_pem");
  return certificates;
}

absl::StatusOr<TestCertificates> TestCertificates::CreateForTest() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return Create(absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/pki"));
}

}  // namespace tandem::testing
