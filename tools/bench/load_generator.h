// A load generator on gRPC's callback API, for the bench service (bench.proto), in two modes:
//
//   - Closed loop (rate == 0): `concurrency` calls are always in flight: each call that ends
//     starts the next one at once, from the gRPC thread that ended it, until the measurement
//     window closes. It finds a server's capacity; its latencies describe a client that waits.
//   - Open loop (rate > 0): calls are sent on a fixed schedule, `rate` per second, whatever
//     happens to the calls already sent, and each call's latency runs from its intended send
//     time, so a server (or a sender) that falls behind shows in the latencies instead of slowing
//     the load down ("coordinated omission"). It is how a server's tail under a given load is
//     measured. The calls whose intended time falls in the window are the ones counted.
//
// Calls are spread over `channels` channels, each with a TCP connection of its own. Each call
// picks its method from `mix` at random, by share, so one run can mix fast and slow calls and
// report them apart.
//
// Only loopback targets are accepted: client and server share the machine the numbers describe,
// and this tool is not for loading anybody else's server.
//
// Time is bounded: RunLoad returns within warmup + duration + call_timeout + a few seconds.
// Every call carries a deadline (call_timeout); calls still in flight after that are abandoned and
// the result says so (drained == false).
//
// Threads: RunLoad blocks the calling thread; the hooks run on it. Calls run on gRPC's threads;
// an open loop sends from a pacing thread of its own. Several RunLoad may run at once; they share
// nothing.
#ifndef TANDEM_TOOLS_BENCH_LOAD_GENERATOR_H_
#define TANDEM_TOOLS_BENCH_LOAD_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::bench {

enum class BenchMethod { kEcho, kSleep, kStream };

// One kind of call in the load.
struct CallClass {
  std::string name = "echo";  // how the results name it
  BenchMethod method = BenchMethod::kEcho;
  absl::Duration sleep = absl::ZeroDuration();  // kSleep: how long the server waits
  absl::Duration spin = absl::ZeroDuration();   // kEcho: CPU time the server burns first
  int stream_messages = 0;  // kStream: messages per call, each of LoadSpec::payload_bytes
  double share = 1.0;       // relative weight among the mix
};

struct LoadSpec {
  std::string target;  // host:port on loopback (127.0.0.1, localhost or [::1])
  int concurrency = 1;  // closed loop: calls in flight
  // Open loop: calls sent per second (0: closed loop). At most max_in_flight calls are in flight;
  // a call due when that many are is not sent, and counted in LoadResult::not_sent.
  double rate = 0;
  int max_in_flight = 100000;
  int channels = 1;
  size_t payload_bytes = 64;
  absl::Duration warmup = absl::Seconds(1);  // calls run, but are not counted
  absl::Duration duration = absl::Seconds(5);
  absl::Duration call_timeout = absl::Seconds(10);
  std::vector<CallClass> mix = {CallClass{}};
};

// Latency of the calls that ended OK inside the window, in milliseconds.
struct LatencySummary {
  uint64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct ClassResult {
  std::string name;
  uint64_t ok = 0;  // calls that ended OK inside the window
  uint64_t messages = 0;  // kStream: messages received inside the window
  LatencySummary latency;
  // Calls that ended with an error from the window's start on (draining included), by the
  // name of their status code, e.g. "DEADLINE_EXCEEDED".
  std::map<std::string, uint64_t> errors;
};

struct LoadResult {
  absl::Duration window;
  uint64_t ok = 0;
  uint64_t errors = 0;
  double qps = 0;  // ok / window
  // Streamed messages received inside the window, whether or not their call ended there.
  uint64_t messages = 0;
  double messages_per_s = 0;
  double mib_per_s = 0;  // of message payload
  LatencySummary latency;  // of whole calls (a stream: from its start to its status)
  // Of the calls answered RESOURCE_EXHAUSTED (shed by the server) inside the window: how fast
  // a server says no.
  LatencySummary reject_latency;
  std::map<std::string, uint64_t> errors_by_code;
  std::vector<ClassResult> classes;  // parallels LoadSpec::mix
  double client_cpu_s = 0;           // this process's CPU time inside the window
  bool drained = true;               // false if calls were still in flight when it gave up
  // Open loop: calls due inside the window, per second (the load offered; qps is the load
  // achieved), and calls not sent because max_in_flight were in flight.
  double offered_per_s = 0;
  uint64_t not_sent = 0;
};

// Run on the calling thread when the measurement window opens and closes, e.g. to sample the
// server process. They should be quick: the load keeps running meanwhile.
struct LoadHooks {
  std::function<void()> window_start;
  std::function<void()> window_end;
};

// Runs the load, closed or open loop as `spec.rate` says. Fails without load if the spec is
// invalid (an open loop takes no streaming calls), the target is not loopback, or a channel
// cannot connect within 10 seconds.
absl::StatusOr<LoadResult> RunLoad(const LoadSpec& spec, const LoadHooks& hooks = {});

// OK if `target` ("host:port") names a loopback address.
absl::Status CheckLoopbackTarget(absl::string_view target);

// "OK", "DEADLINE_EXCEEDED", ... for a gRPC status code number.
std::string StatusCodeName(int code);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_LOAD_GENERATOR_H_
