// The metrics flag of Tandem's servers:
//
//   --metrics_address=HOST:PORT     e.g. 127.0.0.1:9464; port 0 picks a free one
//
// When set, the server serves its stats in Prometheus' text format at http://HOST:PORT/metrics
// (metrics/prometheus_exporter.h); unset, it exports nothing. A program links this target to have
// the flag, and adds the exporter to its builder after absl::ParseCommandLine.
// Threads: call from main, after the flags are parsed.
#ifndef TANDEM_METRICS_METRICS_FLAGS_H_
#define TANDEM_METRICS_METRICS_FLAGS_H_

#include "metrics/prometheus_exporter.h"
#include "server/server.h"

namespace tandem {

// Adds a PrometheusExporter on --metrics_address to `builder` if the flag is set, and returns it
// (the server owns it once built: valid as long as the server); null if the flag is not set. A
// bad or taken address fails the builder's BuildAndStart, naming it.
PrometheusExporter* AddPrometheusExporterFromFlags(ServerBuilder& builder);

}  // namespace tandem

#endif  // TANDEM_METRICS_METRICS_FLAGS_H_
