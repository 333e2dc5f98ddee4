// The Tandem interop server: grpc.testing.TestService on 127.0.0.1.
//
//   bazel run //tests/interop:interop_server -- --port=N [--use_tls --tls_cert_file=F
//       --tls_key_file=F]     (the TLS flags of gRPC's own interop servers; plain text without)
//       [--metrics_address=HOST:PORT]   (Prometheus metrics at http://HOST:PORT/metrics)
//
// Prints "listening on 127.0.0.1:<port>" once it serves (then "metrics on URL" with
// --metrics_address); shuts down gracefully on SIGINT or SIGTERM. Drive it with any gRPC interop
// client (e.g. --server_port=N --test_case=large_unary).
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "metrics/metrics_flags.h"
#include "security/server_tls_flags.h"
#include "server/server.h"
#include "server/stop_signal.h"
#include "tests/interop/interop_service.h"
#include "tools/parse_flags.h"

ABSL_FLAG(int, port, 0,
          "the port to listen on, on 127.0.0.1 (0: a free one, printed at start)");

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv,
                     "Serves gRPC's interop grpc.testing.TestService on Tandem until SIGINT or "
                     "SIGTERM.");
  const int port = absl::GetFlag(FLAGS_port);
  tandem::BlockStopSignals();  // Before any thread starts, so the signal waits for main.

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      tandem::ServerCredentialsFromFlags();
  if (!credentials.ok()) {
    std::fprintf(stderr, "interop_server: %s\n", credentials.status().ToString().c_str());
    return 2;
  }
  tandem::interop::InteropService service;
  tandem::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), *credentials)
      .RegisterService(&service);
  const tandem::PrometheusExporter* metrics = tandem::AddPrometheusExporterFromFlags(builder);
  absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "interop_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", (*server)->port());
  if (metrics != nullptr) std::printf("metrics on %s\n", metrics->url().c_str());
  std::fflush(stdout);
  tandem::WaitForStopSignal();
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}
