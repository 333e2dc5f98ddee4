// The bench's scenarios (issue 5): what load each one puts on which server variants, and the
// targets their ratios are held to.
//
//   unary           64-byte echo at concurrency 1, 64 and 256; baseline grpc-callback.
//                   tandem-callback-metrics against tandem-callback is the cost of metrics on.
//   blocking-sleep  the handler waits 10 ms, concurrency 1024; baseline grpc-sync.
//   tail            99% fast echoes and 1% calls that take 100 ms, sent open-loop at a fixed
//                   rate: half the variant's own capacity, measured first in a closed loop of
//                   fast calls at concurrency 256. Latency runs from each call's intended send
//                   time. Every variant is also run at that rate with no slow calls at all, and
//                   is its own baseline: the ratio is the p99 of its fast calls with slow calls
//                   ÷ without (lower is better).
//   stream          server streaming of 1 KiB messages, 1000 per call, at concurrency 1 and 16;
//                   baseline grpc-callback, ratios of messages/s (and, beside, to grpc-sync).
//   overload-cpu    a method that burns 1 ms of CPU per call, and one that waits 10 ms
//   overload-wait   (overload-wait), each on one server process per variant: its capacity
//                   (closed loop, concurrency 256), its p99 at a tenth of that rate (unloaded),
//                   then twice its capacity offered open-loop for twice the window (10 s by
//                   default), every call with a 1 s deadline. Goodput (OK calls/s) ÷ capacity,
//                   the p99 of OK calls against the unloaded p99, how fast rejections come back,
//                   and peak RSS against the peak before the overload. Tandem's variants run
//                   with and without an adaptive concurrency limit (tandem-<style>-limit).
//   shadow          unary 64-byte echo at concurrency 64, each Tandem style as primary, with and
//                   without every call shadowed (ServiceOptions::Shadow, share 1.0) to a
//                   coroutine echo on a CoroutineLoop of its own: tandem-<style>-shadowed against
//                   tandem-<style> in the same round, calls/s and p99; and, after each shadowed
//                   run, the server's shadow counters (read through its admin service).
//   idle            no calls at all: the server's CPU over the window, as a share of one core.
//                   An idle server must stay idle (no polling); no ratio. /proc counts CPU time
//                   in 10 ms ticks: one tick is 0.2% of a core over the default 5 s window.
//
// Variant lists may name variants this build cannot serve yet (tandem-blocking-fibers before
// the fiber pool exists); the bench reports them as not available instead of failing.
#ifndef TANDEM_TOOLS_BENCH_SCENARIOS_H_
#define TANDEM_TOOLS_BENCH_SCENARIOS_H_

#include <optional>
#include <string>
#include <vector>

#include "tools/bench/load_generator.h"
#include "tools/bench/server_stats.h"

namespace tandem::bench {

struct Scenario {
  std::string name;
  std::string title;  // one line: what is measured
  size_t payload_bytes = 64;  // each request's payload; for streams, each message's
  std::vector<int> concurrency;
  std::vector<std::string> variants;  // the first is the baseline, except for tail and shadow
  std::vector<CallClass> mix;         // for tail scenarios: mix[0] is the fast class
  bool tail = false;
  bool streaming = false;  // ratios compare messages/s instead of calls/s
  bool idle = false;       // no load: only the server's CPU is measured; concurrency is moot
  bool overload = false;   // capacity, unloaded, then 2x capacity on one process (see above)
  // Variants come in pairs, X and X-shadowed (kShadowedSuffix): each X-shadowed is compared with
  // X in the same round, X with itself; the shadow counters of X-shadowed's server are read
  // after each of its runs.
  bool shadow = false;
  std::string ratio_meaning;  // how to read ratio_vs_baseline, for the report
};

// A shadow scenario's variant whose calls are shadowed, and its baseline without the suffix.
inline constexpr char kShadowedSuffix[] = "-shadowed";

std::vector<Scenario> AllScenarios();
std::vector<std::string> ScenarioNames();

// One aggregated result: a variant of a scenario at one concurrency, over all rounds.
struct Row {
  std::string scenario;
  std::string variant;
  // The variant ratios compare with (tail: the same variant, no slow calls; shadow: X for
  // X-shadowed, and X itself).
  std::string baseline;
  int concurrency = 0;
  int rounds = 0;   // rounds that measured it
  bool available = true;  // false: this build has no such server variant
  double qps = 0;   // median over rounds of OK calls/s
  // Streaming scenarios: medians over rounds of messages and payload MiB received per second.
  std::optional<double> msgs_per_s;
  std::optional<double> mib_per_s;
  // Latency, medians over rounds (max: the largest). Tail scenarios: of the fast calls.
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double server_cpu_s = 0;     // median over rounds, inside the measurement window
  double cpu_us_per_call = 0;  // server CPU time per OK call
  double client_cpu_s = 0;
  double rss_mib = 0;  // largest peak RSS (VmHWM) over rounds
  int threads = 0;     // largest thread count seen over rounds
  uint64_t errors = 0;  // summed over rounds
  std::vector<std::pair<std::string, uint64_t>> errors_by_code;
  std::optional<double> ratio_vs_baseline;  // median over rounds of the per-round ratio
  // Streaming scenarios: the same ratio against grpc-sync, the faster plain-gRPC streamer here.
  std::optional<double> ratio_vs_grpc_sync;
  // Idle scenarios: the server's CPU time over the window ÷ the window (1.0: one core busy).
  std::optional<double> idle_core_share;
  // Tail scenarios only.
  double slow_share = 0;
  std::optional<double> p99_fast_no_slow_ms;
  std::optional<double> p99_slow_ms;
  // Medians over rounds: the variant's capacity (closed loop, fast calls only, calls/s) and the
  // rate offered to it open-loop (half of that); qps is then the rate achieved.
  std::optional<double> capacity_per_s;
  std::optional<double> offered_per_s;
  // Overload scenarios only, medians over rounds: OK calls/s ÷ capacity under 2x overload, the
  // p99 of OK calls at a tenth of capacity, the p99 of RESOURCE_EXHAUSTED answers, and the peak
  // RSS before the overload began (rss_mib is the peak after it).
  std::optional<double> goodput_ratio;
  std::optional<double> p99_unloaded_ms;
  std::optional<double> p99_reject_ms;
  std::optional<double> rss_unloaded_mib;
  // Shadow scenarios only: the median over rounds of p99 ÷ the baseline's p99 in the same
  // round, and for X-shadowed variants the server's shadow counters, summed over rounds.
  std::optional<double> p99_ratio_vs_baseline;
  std::optional<ShadowCounts> shadow;
  std::vector<std::string> failures;  // why a round could not measure it
};

// Shadow scenarios: the targets of issue 13 for one X-shadowed row against its baseline X.
inline constexpr double kShadowMinRatio = 0.8;    // calls/s, at least
inline constexpr double kShadowMaxP99Ratio = 1.5;  // p99, at most
// Whether `row` (an X-shadowed row) meets both; unset if either ratio was not measured.
std::optional<bool> MeetsShadowTargets(const Row& row);

// A target of issues 5, 9, 10, 12 and 13, checked against the rows of one run.
struct TargetCheck {
  enum class Result { kMet, kMissed, kNotMeasured };
  std::string target;    // e.g. "unary c=64: tandem-coroutine >= 0.95x grpc-callback"
  std::string measured;  // e.g. "0.97x", or why it was not measured
  Result result = Result::kNotMeasured;
};

std::vector<TargetCheck> CheckTargets(const std::vector<Row>& rows);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_SCENARIOS_H_
