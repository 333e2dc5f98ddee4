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

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv,
                     "Calls each method of a greeter server, each in another client form.");
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string name = absl::GetFlag(FLAGS_name);
  if (target.empty()) {
    std::fprintf(stderr, "greeter_client: --target=HOST:PORT is required (see --help)\n");
    return 2;
  }

  GreeterTandem::Client client(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
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
