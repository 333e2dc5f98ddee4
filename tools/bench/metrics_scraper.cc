#include "tools/bench/metrics_scraper.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace tandem::bench {
namespace {

// One HTTP/1.0 GET of /metrics on 127.0.0.1:`port`, read to the end. True if an answer came.
bool ScrapeOnce(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool answered = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[16384];
      ssize_t n;
      while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) answered = true;
    }
  }
  close(fd);
  return answered;
}

}  // namespace

MetricsScraper::MetricsScraper(int port, absl::Duration interval)
    : thread_([this, port, interval] { Run(port, interval); }) {}

void MetricsScraper::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void MetricsScraper::Run(int port, absl::Duration interval) {
  while (!stop_.WaitForNotificationWithTimeout(interval)) {
    if (ScrapeOnce(port)) scrapes_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace tandem::bench
