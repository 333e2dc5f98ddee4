// The bench driver: runs every selected scenario's variants, each in a server process of its own,
// interleaved over rounds, and aggregates what it measured into rows.
//
// One round measures, for each scenario and concurrency level, every variant once, in an order
// that rotates from round to round; every measurement starts a fresh server process, drives it
// with the closed-loop load generator, and samples the process's CPU time, peak RSS (VmHWM) and
// thread count. Ratios are taken inside a round, between measurements minutes apart at most, and
// then the median over rounds is reported: the machine's drift cancels out of the ratios.
//
// Threads: RunBench blocks the calling thread; progress goes to stderr.
#ifndef TANDEM_TOOLS_BENCH_DRIVER_H_
#define TANDEM_TOOLS_BENCH_DRIVER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/bench/scenarios.h"

namespace tandem::bench {

struct BenchOptions {
  std::string server_binary;  // started as `server_binary --serve=VARIANT --parent=PID`
  std::vector<Scenario> scenarios;
  std::vector<std::string> variants;  // empty: every variant of each scenario
  std::vector<int> concurrency;       // empty: each scenario's own levels
  int rounds = 3;
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  absl::Duration call_timeout = absl::Seconds(10);
  int channels = 2;
  std::optional<size_t> payload_bytes;  // unset: each scenario's own
};

// Rows in scenario order, then concurrency, then the scenario's variant order. A measurement that
// fails (the server does not start, crashes, or calls never drain) is reported in the row's
// `failures`; the others still run.
std::vector<Row> RunBench(const BenchOptions& options);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_DRIVER_H_
