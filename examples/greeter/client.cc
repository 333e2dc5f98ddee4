// The greeter example client: calls each method of a greeter server, each in another client form.
//
//   greeter_client --target=127.0.0.1:PORT [--name=NAME]
//
// Exits 0 when every call behaved as expected.
#include <cstdio>
#include <future>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "asio/co_spawn.hpp"
#include "asio/io_context.hpp"
#include "asio/use_future.hpp"
#include "examples/greeter/greeter.tandem.h"
#include "grpcpp/create_channel.h"
#include "security/tls_credentials.h"
#include "tools/parse_flags.h"

namespace {

using tandem::examples::GreeterTandem;
using tandem::examples::HelloReply;
using tandem::examples::HelloRequest;

bool Report(absl::string_view what, const absl::StatusOr<HelloReply>& reply) {
  if (reply.ok()) {
    std::printf("%-40s -> %s\n", std::string(what).c_str(), reply->message().c_str());
  } else {
    std::printf("%-40s -> error: %s\n", std::string(what).c_str(),
                reply.status().ToString().c_str());
  }
  return reply.ok();
}

}  // namespace

ABSL_FLAG(std::string, target, "", "the greeter server, HOST:PORT (required)");
ABSL_FLAG(std::string, name, "Tandem", "the name to greet");
ABSL_FLAG(std::string, tls_ca_file, "",
          "connect over TLS, trusting the CAs in this PEM file (unset: plain text)");
ABSL_FLAG(std::string, tls_cert_file, "", "with --tls_ca_file: a client certificate, PEM");
ABSL_FLAG(std::string, tls_key_file, "", "with --tls_cert_file: its private key, PEM");

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv,
                     "Calls each method of a greeter server, each in another client form.");
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string name = absl::GetFlag(FLAGS_name);
  if (target.empty()) {
    std::fprintf(stderr, "greeter_client: --target=HOST:PORT is required (see --help)\n");
    return 2;
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!absl::GetFlag(FLAGS_tls_ca_file).empty()) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        tandem::ClientTlsCredentials({.ca_file = absl::GetFlag(FLAGS_tls_ca_file),
                                      .cert_file = absl::GetFlag(FLAGS_tls_cert_file),
                                      .key_file = absl::GetFlag(FLAGS_tls_key_file)});
    if (!tls.ok()) {
      std::fprintf(stderr, "greeter_client: %s\n", tls.status().ToString().c_str());
      return 2;
    }
    credentials = *tls;
  }
  GreeterTandem::Client client(grpc::CreateChannel(target, credentials));
  HelloRequest request;
  request.set_name(name);
  const auto options = [] { return tandem::CallOptions().set_timeout(absl::Seconds(5)); };
  bool ok = true;

  // Blocking form: waits on this thread.
  ok &= Report("SayHello (blocking handler, blocking call)", client.SayHello(request, options()));

  // Async form with a future.
  std::future<absl::StatusOr<HelloReply>> shout =
      client.AsyncShout(request, options(), asio::use_future);
  ok &= Report("Shout (callback handler, future call)", shout.get());

  // Coroutine form, on a loop of our own.
  asio::io_context loop;
  std::future<absl::StatusOr<HelloReply>> greet = asio::co_spawn(
      loop, client.CoGreet(request, options()), asio::use_future);
  loop.run();
  ok &= Report("Greet (coroutine handler, co_await call)", greet.get());

  // A handler's error status reaches the client as is.
  const absl::StatusOr<HelloReply> empty = client.SayHello(HelloRequest(), options());
  Report("SayHello with no name", empty);
  ok &= empty.status().code() == absl::StatusCode::kInvalidArgument;

  std::printf("%s\n", ok ? "all calls behaved as expected" : "SOME CALLS FAILED");
  return ok ? 0 : 1;
}
