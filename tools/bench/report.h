// The bench's output: a text table for the terminal, one JSON object per row, and BENCHMARKS.md.
// Pure formatting: nothing here measures or touches the filesystem.
#ifndef TANDEM_TOOLS_BENCH_REPORT_H_
#define TANDEM_TOOLS_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "tools/bench/scenarios.h"

namespace tandem::bench {

// What BENCHMARKS.md says about the run itself.
struct RunInfo {
  std::string date;         // UTC
  std::string machine;      // cores, CPU model, memory, kernel
  std::string load_average; // before and after the run
  std::string build;        // compilation mode, gRPC version
  std::string mode;         // rounds, durations, channels, payload
  std::string command;      // the command that reproduces the run
};

// Per scenario: a heading, how to read the ratio, and one line per row.
std::string FormatTable(const std::vector<Scenario>& scenarios, const std::vector<Row>& rows);

// One line of JSON for `row`. Fields: scenario, variant, concurrency, available, rounds, qps,
// p50_ms, p90_ms, p99_ms, max_ms, rss_mib, threads, errors, errors_by_code, ratio_vs_baseline,
// baseline, server_cpu_s, cpu_us_per_call, client_cpu_s, failures; tail scenarios add
// latency_of ("fast calls"), slow_share, p99_fast_no_slow_ms and p99_slow_ms; shadow scenarios
// add p99_ratio_vs_baseline, meets_targets (null for the unshadowed rows) and, for X-shadowed
// rows, shadow (the server's counters: calls, matches, mismatches, candidate_errors, skipped,
// in_flight, candidate_executor). Figures that were not measured are null.
std::string FormatJson(const Row& row);

std::string FormatTargets(const std::vector<TargetCheck>& checks);

// The whole of BENCHMARKS.md.
std::string FormatMarkdown(const RunInfo& info, const std::vector<Scenario>& scenarios,
                           const std::vector<Row>& rows, const std::vector<TargetCheck>& checks);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_REPORT_H_
