#include "metrics/prometheus_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "prometheus/client_metric.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_type.h"
#include "server/latency_histogram.h"
#include "server/service.h"

namespace tandem {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Label values in Prometheus' usual snake case: "thread pool" -> "thread_pool".
std::string LabelValue(absl::string_view name) {
  return absl::StrReplaceAll(name, {{" ", "_"}});
}

// Metric families in the order they are first named, so a scrape reads in a stable order.
class Families {
 public:
  // Adds one sample to family `name` (created with `help` and `type` on first use) and returns
  // it, for the caller to fill its value.
  ClientMetric& Add(absl::string_view name, absl::string_view help, MetricType type,
                    Labels labels) {
    MetricFamily* family = nullptr;
    for (MetricFamily& existing : families_) {
      if (existing.name == name) family = &existing;
    }
    if (family == nullptr) {
      families_.push_back(MetricFamily{std::string(name), std::string(help), type, {}});
      family = &families_.back();
    }
    family->metric.push_back(ClientMetric{});
    family->metric.back().label = std::move(labels);
    return family->metric.back();
  }

  void Counter(absl::string_view name, absl::string_view help, Labels labels, double value) {
    Add(name, help, MetricType::Counter, std::move(labels)).counter.value = value;
  }
  void Gauge(absl::string_view name, absl::string_view help, Labels labels, double value) {
    Add(name, help, MetricType::Gauge, std::move(labels)).gauge.value = value;
  }
  void Histogram(absl::string_view name, absl::string_view help, Labels labels,
                 const LatencyDistribution& distribution) {
    ClientMetric::Histogram& histogram =
        Add(name, help, MetricType::Histogram, std::move(labels)).histogram;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      cumulative += distribution.buckets[i];
      histogram.bucket.push_back(ClientMetric::Bucket{
          .cumulative_count = cumulative,
          .upper_bound = i < kLatencyBucketBounds.size()
                             ? kLatencyBucketBounds[i]
                             : std::numeric_limits<double>::infinity(),
      });
    }
    histogram.sample_count = cumulative;
    histogram.sample_sum = absl::ToDoubleSeconds(distribution.sum);
  }

  std::vector<MetricFamily> Take() && { return std::move(families_); }

 private:
  std::vector<MetricFamily> families_;
};

Labels With(Labels labels, std::string name, std::string value) {
  labels.push_back(ClientMetric::Label{std::move(name), std::move(value)});
  return labels;
}

void AddMethod(const MethodStats& stats, Families& out) {
  const Labels labels = {{"method", stats.method},
                         {"style", LabelValue(HandlerStyleName(stats.style))},
                         {"executor", stats.executor}};
  out.Counter("tandem_server_calls_started_total",
              "Calls received, past the concurrency limiter.", labels,
              static_cast<double>(stats.started));
  for (size_t code = 0; code < kStatusCodes; ++code) {
    if (code != 0 && stats.calls_by_code[code] == 0) continue;
    out.Counter("tandem_server_calls_total",
                "Calls finished, by gRPC status code (a call cancelled before its OK reached "
                "the client counts as CANCELLED or DEADLINE_EXCEEDED).",
                With(labels, "code",
                     absl::StatusCodeToString(static_cast<absl::StatusCode>(code))),
                static_cast<double>(stats.calls_by_code[code]));
  }
  // Read one after the other: a call finishing in between may make this one low, never negative.
  const uint64_t finished = stats.finished_ok + stats.finished_error;
  out.Gauge("tandem_server_calls_in_flight", "Calls received and not yet finished.", labels,
            stats.started > finished ? static_cast<double>(stats.started - finished) : 0.0);
  out.Counter("tandem_server_calls_rejected_total",
              "Calls the executor refused (queue full or shutting down): RESOURCE_EXHAUSTED.",
              labels, static_cast<double>(stats.rejected));
  out.Counter("tandem_server_calls_expired_in_queue_total",
              "Calls whose deadline passed or whose client cancelled while they waited for the "
              "executor; their handler did not run.",
              labels, static_cast<double>(stats.expired_in_queue));
  out.Counter("tandem_server_calls_queue_timeout_total",
              "Calls that waited for the executor longer than the method's queue time: "
              "RESOURCE_EXHAUSTED, their handler did not run.",
              labels, static_cast<double>(stats.queue_timeouts));
  out.Counter("tandem_server_calls_shed_total",
              "Calls shed at the door by the method's concurrency limiter: RESOURCE_EXHAUSTED, "
              "not counted as started.",
              labels, static_cast<double>(stats.shed));
  out.Counter("tandem_server_handler_exceptions_total",
              "Handlers that threw: INTERNAL.", labels, static_cast<double>(stats.exceptions));
  out.Counter("tandem_server_malformed_requests_total",
              "Request messages that did not parse: INTERNAL.", labels,
              static_cast<double>(stats.malformed_requests));
  out.Counter("tandem_server_watchdog_reports_total",
              "Times the watchdog saw a call hold its thread past the executor's threshold.",
              labels, static_cast<double>(stats.watchdog_reports));
  if (stats.concurrency_limit > 0) {
    out.Gauge("tandem_server_concurrency_limit",
              "The method's concurrency limiter's current limit (shared limiters: shared).",
              labels, stats.concurrency_limit);
    out.Gauge("tandem_server_concurrency_limiter_in_flight",
              "Calls the method's concurrency limiter holds, of every method that shares it.",
              labels, stats.limiter_in_flight);
  }
  out.Histogram("tandem_server_call_duration_seconds",
                "Whole calls, from receipt to the status handed to gRPC.", labels,
                stats.duration);
  out.Histogram("tandem_server_call_queue_seconds",
                "Time calls that ran waited for their executor, from receipt to the handler's "
                "start.",
                labels, stats.queued);
  out.Histogram("tandem_server_call_running_seconds",
                "Time from the handler's start to the status handed to gRPC.", labels,
                stats.running);
  out.Counter("tandem_server_stream_messages_written_total",
              "Stream messages written to clients.", labels,
              static_cast<double>(stats.stream_messages_written));
  out.Counter("tandem_server_stream_bytes_written_total",
              "Serialized bytes of the stream messages written to clients.", labels,
              static_cast<double>(stats.stream_bytes_written));
  out.Gauge("tandem_server_stream_max_queued_bytes",
            "The most bytes any one call of the method has had in its write queue.", labels,
            static_cast<double>(stats.max_queued_bytes));
  if (stats.one_way) {
    for (const auto& [outcome, count] :
         {std::pair{"ok", stats.one_way_ok}, std::pair{"failed", stats.one_way_failed}}) {
      out.Counter("tandem_server_one_way_handlers_total",
                  "One-way calls' handlers, which ran after the call was acknowledged, by how "
                  "they ended.",
                  With(labels, "outcome", outcome), static_cast<double>(count));
    }
  }
  if (stats.shadowed) {
    for (const auto& [result, count] :
         {std::pair{"match", stats.shadow_matches}, std::pair{"mismatch", stats.shadow_mismatches},
          std::pair{"candidate_error", stats.shadow_candidate_errors},
          std::pair{"skipped", stats.shadow_skipped}}) {
      out.Counter("tandem_server_shadow_calls_total",
                  "Shadow calls of the method's candidate implementation, by how its answer "
                  "compared with the primary's (skipped: over max_in_flight, not run).",
                  With(With(labels, "candidate_style",
                            LabelValue(HandlerStyleName(stats.shadow_style))),
                       "result", result),
                  static_cast<double>(count));
    }
  }
}

void AddExecutor(const NamedExecutorStats& executor, Families& out) {
  const Labels labels = {{"executor", executor.name},
                         {"kind", LabelValue(ExecutorKindName(executor.kind))}};
  const ExecutorStats& stats = executor.stats;
  out.Gauge("tandem_executor_queue_depth", "Tasks posted and not yet started.", labels,
            static_cast<double>(stats.queue_depth));
  out.Gauge("tandem_executor_in_flight",
            "Tasks started and not yet finished (fibers on a fiber pool, coroutines on a "
            "coroutine loop).",
            labels, static_cast<double>(stats.in_flight));
  out.Gauge("tandem_executor_threads",
            "OS threads the executor runs work on (0 inline: it runs on gRPC's).", labels,
            static_cast<double>(stats.threads));
  out.Counter("tandem_executor_tasks_completed_total", "Tasks run to the end.", labels,
              static_cast<double>(stats.completed));
  out.Counter("tandem_executor_tasks_rejected_total",
              "Tasks refused (queue full or shutting down).", labels,
              static_cast<double>(stats.rejected));
  out.Counter("tandem_executor_queue_wait_seconds_total",
              "Time started tasks waited in the queue, summed.", labels,
              absl::ToDoubleSeconds(stats.total_queued_time));
  out.Counter("tandem_executor_watchdog_reports_total",
              "Watchdog reports about the server's methods on this executor.", labels,
              static_cast<double>(executor.watchdog_reports));
}

// The host part of "HOST:PORT" ("[::1]" keeps its brackets).
absl::string_view HostOf(absl::string_view address) {
  const size_t colon = address.rfind(':');
  return colon == absl::string_view::npos ? address : address.substr(0, colon);
}

// Whether `address` is a numeric IPv4 host or a bracketed IPv6 one, a colon and a port 0-65535.
// Checked here because civetweb takes some nonsense ("999.1.2.3:80") for an address.
bool IsNumericHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  const std::string host(address.substr(0, colon));
  const absl::string_view port_text = address.substr(colon + 1);
  int port;
  if (port_text.empty() || !absl::c_all_of(port_text, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return false;
  }
  unsigned char ip[sizeof(in6_addr)];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), ip) == 1;
  }
  return inet_pton(AF_INET, host.c_str(), ip) == 1;
}

// Opens and at once closes a connection to `host` (numeric, IPv6 in brackets; a wildcard host
// means loopback) at `port`, ignoring any failure.
void Knock(absl::string_view host, int port) {
  std::string ip(host);
  const bool v6 = ip.size() > 2 && ip.front() == '[';
  if (v6) ip = ip.substr(1, ip.size() - 2);
  if (ip == "0.0.0.0") ip = "127.0.0.1";
  if (ip == "::") ip = "::1";
  sockaddr_storage address{};
  socklen_t length;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr) != 1) return;
    length = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, ip.c_str(), &in4->sin_addr) != 1) return;
    length = sizeof(sockaddr_in);
  }
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  close(fd);
}

}  // namespace

std::vector<MetricFamily> CollectServerMetrics(const Server& server) {
  Families families;
  for (const MethodStats& stats : server.method_stats()) AddMethod(stats, families);
  for (const NamedExecutorStats& executor : server.executor_stats()) {
    AddExecutor(executor, families);
  }
  return std::move(families).Take();
}

// What the exposer calls at each scrape, on its own threads.
class PrometheusExporter::Collector final : public prometheus::Collectable {
 public:
  explicit Collector(const Server& server) : server_(server) {}

  std::vector<MetricFamily> Collect() const override { return CollectServerMetrics(server_); }

 private:
  const Server& server_;
};

PrometheusExporter::PrometheusExporter(std::string address) : address_(std::move(address)) {}

PrometheusExporter::~PrometheusExporter() { Stop(); }

absl::Status PrometheusExporter::Start(const Server& server) {
  if (!IsNumericHostPort(address_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address '", address_,
        "' is not HOST:PORT with a numeric host and a port from 0 to 65535 (e.g. "
        "127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464)"));
  }
  collector_ = std::make_shared<Collector>(server);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address_);
    exposer_->RegisterCollectable(collector_);
    const std::vector<int> ports = exposer_->GetListeningPorts();
    if (ports.empty()) {
      throw std::runtime_error("no listening port");
    }
    port_.store(ports.front(), std::memory_order_release);
  } catch (const std::exception& e) {
    exposer_.reset();
    collector_.reset();
    // civetweb says only "null context when constructing CivetServer" for every failure, so the
    // likely causes are named here.
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on '", address_,
        "': the address is in use, or not one of this host's (", e.what(), ")"));
  }
  return absl::OkStatus();
}

void PrometheusExporter::Stop() {
  if (exposer_ == nullptr) return;
  // civetweb's stop waits for the scrapes in progress; the collector goes only after. Its
  // listening thread notices the stop only when its poll returns, every 2 s or at a connection:
  // knocking at the port meanwhile makes the stop take milliseconds instead of up to 2 s. A knock
  // that comes before the stop is a connection that sends nothing, closed at once.
  std::atomic<bool> stopped{false};
  std::thread knocker([&] {
    while (!stopped.load(std::memory_order_acquire)) {
      Knock(HostOf(address_), port());
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  exposer_.reset();
  stopped.store(true, std::memory_order_release);
  knocker.join();
  collector_.reset();
}

std::string PrometheusExporter::url() const {
  const int port = this->port();
  if (port == 0) return "";
  return absl::StrCat("http://", HostOf(address_), ":", port, "/metrics");
}

}  // namespace tandem
