// StatsExporter: something that shows a running server's stats outside the process, such as
// metrics//:prometheus_exporter (Prometheus' text format over HTTP). The core only starts and
// stops it, so it depends on no exporter's library.
//
//   builder.AddStatsExporter(std::make_unique<tandem::PrometheusExporter>("127.0.0.1:9464"));
//
// The server calls Start once it serves (from BuildAndStart) and Stop at the very end of its
// Shutdown, after its calls have drained and its executors have stopped.
//
// The rule for implementers:
//   - Start runs on the thread that calls BuildAndStart. It returns quickly; an error (the address
//     is in use, or invalid) fails BuildAndStart with that status, so it names what is wrong. Start
//     must not throw: catch the library's exceptions and turn them into the status.
//   - Between Start and Stop the exporter may read the server from any thread, at any time, as
//     often as it likes: method_stats() and executor_stats() are thread-safe, never block, and
//     stay valid during Shutdown (a scrape then sees the drain).
//   - Stop runs on the thread that shuts the server down. When it returns, no thread of the
//     exporter reads the server any more: it waits for reads in progress, which never block.
//     Stop is called once, and only after a Start that succeeded.
// Lifetime: owned by the Server, destroyed after Stop.
#ifndef TANDEM_SERVER_STATS_EXPORTER_H_
#define TANDEM_SERVER_STATS_EXPORTER_H_

#include "absl/status/status.h"

namespace tandem {

class Server;

class StatsExporter {
 public:
  virtual ~StatsExporter() = default;

  virtual absl::Status Start(const Server& server) = 0;
  virtual void Stop() = 0;
};

}  // namespace tandem

#endif  // TANDEM_SERVER_STATS_EXPORTER_H_
