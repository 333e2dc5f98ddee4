// MetricsScraper: what Prometheus does to a server with metrics on, for the bench's
// tandem-*-metrics variants: GET http://127.0.0.1:PORT/metrics once a second, over a new
// connection each time, reading the whole answer. Prometheus' default scrape interval is a
// minute, so this is sixty times its load.
//
// Threads: one thread of its own, started by the constructor and joined by Stop (or the
// destructor). Stop and the destructor are called from the thread that made the scraper; Stop is
// idempotent. scrapes() is thread-safe.
#ifndef TANDEM_TOOLS_BENCH_METRICS_SCRAPER_H_
#define TANDEM_TOOLS_BENCH_METRICS_SCRAPER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace tandem::bench {

class MetricsScraper {
 public:
  MetricsScraper(int port, absl::Duration interval = absl::Seconds(1));
  ~MetricsScraper() { Stop(); }

  MetricsScraper(const MetricsScraper&) = delete;
  MetricsScraper& operator=(const MetricsScraper&) = delete;

  void Stop();

  // Scrapes that got an answer so far.
  uint64_t scrapes() const { return scrapes_.load(std::memory_order_relaxed); }

 private:
  void Run(int port, absl::Duration interval);

  std::atomic<uint64_t> scrapes_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_METRICS_SCRAPER_H_
