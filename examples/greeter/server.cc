// The greeter example server: serves the Greeter service until SIGINT or SIGTERM.
//
//   greeter_server [--port=N] [--say_hello=threads|fibers|coroutine] [--shadow_say_hello]
//                  [--use_tls --tls_cert_file=F --tls_key_file=F [--tls_client_ca_file=F]]
//                  [--metrics_address=HOST:PORT]
//
// Prints "listening on 127.0.0.1:<port>" once it serves (and, with --metrics_address, "metrics on
// http://HOST:PORT/metrics" next: where to scrape its Prometheus metrics), then shuts down gracefully on a signal
// and prints each method's style, executor and call counts (server/method_report.h; `tandem
// methods ADDRESS` shows the same table while it runs). --say_hello picks the step of
// docs/migrating.md that SayHello is at; clients see no difference. --shadow_say_hello tries the
// coroutine rewrite of SayHello on every call, beside the threads or fibers handler that answers
// it, and counts how their answers compare (docs/migrating.md, "Shadow the rewrite").
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "metrics/metrics_flags.h"
#include "examples/greeter/coroutine_greeter_service.h"
#include "examples/greeter/greeter_service.h"
#include "executors/coroutine_loop.h"
#include "executors/fiber_pool.h"
#include "security/server_tls_flags.h"
#include "server/method_report.h"
#include "server/server.h"
#include "server/stop_signal.h"
#include "tools/parse_flags.h"

ABSL_FLAG(int, port, 0,
          "the port to listen on, on 127.0.0.1 (0: a free one, printed at start)");
ABSL_FLAG(std::string, say_hello, "threads",
          "how SayHello runs, a step of docs/migrating.md: threads (a blocking handler on the "
          "server's thread pool), fibers (the same handler on a FiberPool), coroutine (rewritten "
          "as a coroutine)");

ABSL_FLAG(bool, shadow_say_hello, false,
          "with --say_hello=threads or fibers: run the coroutine rewrite of SayHello as a shadow "
          "of every call, on a loop of its own, and count matches and mismatches");

namespace {

using tandem::examples::CoroutineGreeterService;
using tandem::examples::GreeterService;
using tandem::examples::GreeterTandem;

// Serves `greeter` with `options` until a stop signal; the process's exit code.
template <class Greeter>
int Serve(Greeter& greeter, tandem::ServiceOptions options) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      tandem::ServerCredentialsFromFlags();
  if (!credentials.ok()) {
    std::fprintf(stderr, "greeter_server: %s\n", credentials.status().ToString().c_str());
    return 2;
  }
  tandem::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)), *credentials)
      .RegisterService(&greeter, std::move(options));
  const tandem::PrometheusExporter* metrics = tandem::AddPrometheusExporterFromFlags(builder);
  absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "greeter_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string address = absl::StrCat("127.0.0.1:", (*server)->port());
  // Greet calls this very server, in process (no network, no TLS to set up).
  greeter.ConnectClient(std::make_shared<GreeterTandem::Client>(
      (*server)->grpc_server()->InProcessChannel(grpc::ChannelArguments())));
  std::printf("listening on %s\n", address.c_str());
  if (metrics != nullptr) std::printf("metrics on %s\n", metrics->url().c_str());
  std::fflush(stdout);

  const int signal = tandem::WaitForStopSignal();
  std::printf("signal %d: shutting down\n", signal);
  (*server)->Shutdown(absl::Seconds(5));
  std::printf("%s", tandem::FormatMethodReport((*server)->method_stats()).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv,
                     "Serves the greeter example until SIGINT or SIGTERM; prints \"listening on "
                     "ADDRESS\" once it serves.");
  const std::string step = absl::GetFlag(FLAGS_say_hello);
  if (step != "threads" && step != "fibers" && step != "coroutine") {
    std::fprintf(stderr, "greeter_server: --say_hello is threads, fibers or coroutine, not '%s'\n",
                 step.c_str());
    return 2;
  }
  tandem::BlockStopSignals();  // Before any thread starts, so the signal waits for main.

  const bool shadow = absl::GetFlag(FLAGS_shadow_say_hello);
  if (step == "coroutine") {
    if (shadow) {
      std::fprintf(stderr, "greeter_server: --shadow_say_hello shadows the threads or fibers "
                           "step with the coroutine; at --say_hello=coroutine it has switched\n");
      return 2;
    }
    CoroutineGreeterService greeter;
    return Serve(greeter, tandem::ServiceOptions());
  }
  GreeterService greeter;
  // The rewrite, tried on live calls before the switch. Declared before the server: a shadow
  // candidate must outlive it.
  CoroutineGreeterService rewritten;
  tandem::ServiceOptions options;
  if (step == "fibers") {
    options.Bind("SayHello", std::make_shared<tandem::FiberPool>(
                                 tandem::FiberPool::Options{.name = "greeter-fibers"}));
  }
  if (shadow) {
    options.Shadow("SayHello", rewritten,
                   {.executor = std::make_shared<tandem::CoroutineLoop>(
                        tandem::CoroutineLoop::Options{.name = "greeter-shadow"})});
  }
  return Serve(greeter, std::move(options));
}
