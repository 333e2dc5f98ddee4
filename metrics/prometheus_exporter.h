// PrometheusExporter: a Tandem server's stats in Prometheus' text format, served over HTTP by
// prometheus-cpp's Exposer (civetweb) at http://ADDRESS/metrics.
//
//   auto exporter = std::make_unique<tandem::PrometheusExporter>("127.0.0.1:9464");
//   tandem::PrometheusExporter* metrics = exporter.get();  // owned by the server from here on
//   builder.AddStatsExporter(std::move(exporter));
//   ... BuildAndStart() ...
//   std::printf("metrics on %s\n", metrics->url().c_str());
//
// Nothing is counted twice: each scrape reads Server::method_stats() and executor_stats() and
// turns them into metric families (CollectServerMetrics), so the exporter costs the call path
// nothing and an idle exporter costs nothing at all. What it exports, every per-method series
// labelled {method="/pkg.Service/Method", style, executor}, every per-executor one {executor,
// kind}:
//   tandem_server_calls_started_total               counter    calls received (past the door)
//   tandem_server_calls_total{code="OK",...}        counter    calls finished, by status code
//   tandem_server_calls_in_flight                   gauge      started, not yet finished
//   tandem_server_calls_rejected_total              counter    refused by the executor
//   tandem_server_calls_expired_in_queue_total      counter    deadline or cancel while queued
//   tandem_server_calls_queue_timeout_total         counter    past SetMaxQueueTime
//   tandem_server_calls_shed_total                  counter    shed by the concurrency limiter
//   tandem_server_handler_exceptions_total          counter
//   tandem_server_malformed_requests_total          counter
//   tandem_server_watchdog_reports_total            counter
//   tandem_server_concurrency_limit                 gauge      methods with a limiter only
//   tandem_server_concurrency_limiter_in_flight     gauge      (shared limiters: every method)
//   tandem_server_call_duration_seconds             histogram  received to finished, every call
//   tandem_server_call_queue_seconds                histogram  received to started, calls that ran
//   tandem_server_call_running_seconds              histogram  started to finished
//   tandem_server_stream_messages_written_total     counter
//   tandem_server_stream_bytes_written_total        counter
//   tandem_server_stream_max_queued_bytes           gauge      the write queue's high-water mark
//   tandem_executor_queue_depth                     gauge
//   tandem_executor_in_flight                       gauge      running tasks (fibers, coroutines)
//   tandem_executor_threads                         gauge
//   tandem_executor_tasks_completed_total           counter
//   tandem_executor_tasks_rejected_total            counter
//   tandem_executor_queue_wait_seconds_total        counter    time tasks waited, summed
//   tandem_executor_watchdog_reports_total          counter    about the server's methods on it
// Calls shed at the door never became calls of the server: they are in calls_shed_total, not in
// calls_total{code="RESOURCE_EXHAUSTED"}. calls_total always has an OK series per method, and a
// series per other code once a call ended with it.
//
// Threads: the constructor, Start and Stop are the server's business (server/stats_exporter.h).
// Scrapes run on the exposer's own threads (two) and never block on the server. port() and url()
// are thread-safe once BuildAndStart has returned.
#ifndef TANDEM_METRICS_PROMETHEUS_EXPORTER_H_
#define TANDEM_METRICS_PROMETHEUS_EXPORTER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/metric_family.h"
#include "server/server.h"
#include "server/stats_exporter.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace tandem {

class PrometheusExporter final : public StatsExporter {
 public:
  // Serves on `address`, "HOST:PORT" with a numeric host: "127.0.0.1:9464", "0.0.0.0:9464",
  // "[::1]:9464"; port 0 picks a free port (see port()). Checked by Start: an invalid address,
  // or one in use, fails the server's BuildAndStart with an error naming it.
  explicit PrometheusExporter(std::string address);
  ~PrometheusExporter() override;

  absl::Status Start(const Server& server) override;
  void Stop() override;

  // The port it listens on once started (the one picked, for port 0); 0 before.
  int port() const { return port_.load(std::memory_order_acquire); }
  // Where to scrape, "http://HOST:PORT/metrics", once started; empty before.
  std::string url() const;

 private:
  class Collector;

  const std::string address_;
  std::atomic<int> port_{0};
  std::shared_ptr<Collector> collector_;
  // Joins the exposer's threads when reset, after any scrape in progress has finished.
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// `server`'s stats as the metric families above, read now. Thread-safe; never blocks.
std::vector<prometheus::MetricFamily> CollectServerMetrics(const Server& server);

}  // namespace tandem

#endif  // TANDEM_METRICS_PROMETHEUS_EXPORTER_H_
