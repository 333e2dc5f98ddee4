// The greeter example with server reflection turned off: what `tandem` meets on a server that
// cannot describe itself.
//
//   no_reflection_server [--port=N]     (0, the default, picks a free port)
//
// Prints "listening on 127.0.0.1:<port>" once it serves; runs until killed or signalled.
#include <cstdio>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "examples/greeter/greeter_service.h"
#include "server/server.h"
#include "server/stop_signal.h"

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--port=") || !absl::SimpleAtoi(arg, &port)) {
      std::fprintf(stderr, "usage: %s [--port=N]\n", argv[0]);
      return 2;
    }
  }
  tandem::BlockStopSignals();  // Before any thread starts, so the signal waits for main.

  tandem::examples::GreeterService greeter;
  tandem::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port))
      .RegisterService(&greeter)
      .EnableReflection(false);
  absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "no_reflection_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  tandem::WaitForStopSignal();
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}
