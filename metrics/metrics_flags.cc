#include "metrics/metrics_flags.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, metrics_address, "",
          "serve the server's metrics in Prometheus' text format at http://HOST:PORT/metrics "
          "(e.g. 127.0.0.1:9464; port 0: a free one, printed at start); unset: no metrics");

namespace tandem {

PrometheusExporter* AddPrometheusExporterFromFlags(ServerBuilder& builder) {
  const std::string address = absl::GetFlag(FLAGS_metrics_address);
  if (address.empty()) return nullptr;
  auto exporter = std::make_unique<PrometheusExporter>(address);
  PrometheusExporter* added = exporter.get();
  builder.AddStatsExporter(std::move(exporter));
  return added;
}

}  // namespace tandem
