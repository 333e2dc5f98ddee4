// The greeter example server: serves GreeterService until SIGINT or SIGTERM.
//
//   greeter_server [--port=N]     (0, the default, picks a free port)
//
// Prints "listening on 127.0.0.1:<port>" once it serves, then shuts down gracefully on a signal.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "examples/greeter/greeter_service.h"
#include "grpcpp/create_channel.h"
#include "server/server.h"
#include "server/stop_signal.h"
#include "tools/parse_flags.h"

ABSL_FLAG(int, port, 0,
          "the port to listen on, on 127.0.0.1 (0: a free one, printed at start)");

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv,
                     "Serves the greeter example until SIGINT or SIGTERM; prints \"listening on "
                     "ADDRESS\" once it serves.");
  const int port = absl::GetFlag(FLAGS_port);

  tandem::BlockStopSignals();  // Before any thread starts, so the signal waits for main.

  tandem::examples::GreeterService greeter;
  tandem::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port)).RegisterService(&greeter);
  absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "greeter_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string address = absl::StrCat("127.0.0.1:", (*server)->port());
  greeter.ConnectClient(std::make_shared<tandem::examples::GreeterTandem::Client>(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials())));
  std::printf("listening on %s\n", address.c_str());
  std::fflush(stdout);

  const int signal = tandem::WaitForStopSignal();
  std::printf("signal %d: shutting down\n", signal);
  (*server)->Shutdown(absl::Seconds(5));
  for (const tandem::MethodStats& stats : (*server)->method_stats()) {
    std::printf("  %-36s %-9s ok=%llu errors=%llu\n", stats.method.c_str(),
                std::string(tandem::HandlerStyleName(stats.style)).c_str(),
                static_cast<unsigned long long>(stats.finished_ok),
                static_cast<unsigned long long>(stats.finished_error));
  }
  return 0;
}
