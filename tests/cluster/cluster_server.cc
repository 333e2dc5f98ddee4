// cluster_server: the test service (tests/testing, every reply carrying the server's pid) on
// 127.0.0.1, until SIGTERM or SIGINT: one of the several server processes that
// multi_process_test and keepalive_test start, kill, stop and restart.
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/server.h"
#include "server/stop_signal.h"
#include "tests/testing/test_service_impl.h"
#include "tools/parse_flags.h"

ABSL_FLAG(int, port, 0, "the port to listen on, on 127.0.0.1 (0: a free one, printed at start)");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Seconds(10),
          "how often clients may send keepalive pings");

int main(int argc, char** argv) {
  tandem::ParseFlags(argc, argv, "Serves the test service for the multi-process tests.");
  tandem::BlockStopSignals();  // Before any thread starts, so the signal waits for main.

  tandem::testing::TestServiceImpl service;
  tandem::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)))
      .RegisterService(&service)
      .SetKeepalive({.min_client_ping_interval = absl::GetFlag(FLAGS_min_client_ping_interval)});
  absl::StatusOr<std::unique_ptr<tandem::Server>> server = builder.BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "cluster_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  tandem::WaitForStopSignal();
  (*server)->Shutdown(absl::Seconds(1));
  return 0;
}
