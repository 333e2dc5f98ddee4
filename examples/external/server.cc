// inventory_server: serves Inventory on 127.0.0.1 until SIGINT or SIGTERM, then prints each
// method's handler style, executor and call counts.
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "inventory_service.h"
#include "server/method_report.h"
#include "server/server.h"
#include "server/stop_signal.h"
#include "tools/parse_flags.h"

ABSL_FLAG(int, port, 0, "port to listen on (0: a free one, printed at start)");

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv, "Serves the Inventory service until SIGINT or SIGTERM.");
  tandem::BlockStopSignals();  // Before any thread starts, so the signal waits for main.

  inventory::InventoryService service;
  tandem::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)))
      .RegisterService(&service);
  absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "inventory_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  tandem::WaitForStopSignal();
  (*server)->Shutdown(absl::Seconds(5));
  std::printf("%s", tandem::FormatMethodReport((*server)->method_stats()).c_str());
  return 0;
}
