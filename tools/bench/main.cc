// The Tandem bench: Tandem side by side with plain gRPC, in one run, as ratios (issue 5).
//
// Four modes, chosen by flag: the driver (the default), --serve, --load and --list. kUsage below
// describes them; each flag's help text says which modes take it; `bench --help` prints both.
// A flag that the chosen mode does not take is refused.
//
// Exit status: 0 done; 1 a measurement or a load run failed, or Abseil refused the command line
// (an unknown flag or a malformed value: its own one-line "ERROR: ..."); 2 a value out of range,
// a flag of another mode, or a stray argument.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tools/bench/driver.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/report.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/server_variants.h"
#include "tools/parse_flags.h"

namespace tandem::bench {
namespace {

constexpr char kUsage[] = R"(Tandem side by side with plain gRPC, in one run, as ratios.

  bench [--scenario=all|unary,blocking-sleep,stream,tail,...] [--quick] [--json] [--rounds=3]
        [--warmup=1s] [--duration=5s] [--concurrency=N,...] [--variants=V,...]
        [--channels=2] [--payload=BYTES] [--call_timeout=10s] [--out=BENCHMARKS.md]
      The driver: runs the scenarios, each point on a fresh server process (this binary with
      --serve), prints a table (stdout; with --json, the table goes to stderr and stdout gets
      one JSON object per line), and writes BENCHMARKS.md.
  bench --serve=VARIANT [--parent=PID]
      Serves one variant on 127.0.0.1 (a free port), prints "listening on 127.0.0.1:PORT",
      and runs until SIGTERM/SIGINT, or until process PID (its parent) is gone.
  bench --load --target=127.0.0.1:PORT [--method=echo|sleep|stream] [--sleep=10ms]
        [--stream_messages=1000] [--slow_share=0.01 --slow_sleep=100ms]
        [--concurrency=64 | --rate=CALLS_PER_S] [--channels=2] [--payload=64]
        [--warmup=1s] [--duration=5s] [--call_timeout=10s] [--json]
      The load generator alone, against any bench server on loopback.
  bench --list
      The scenarios and server variants.)";

// Where the driver writes its report unless --out says otherwise: `bazel run` starts us in the
// runfiles tree and says where the workspace is.
std::string DefaultReportPath() {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return workspace != nullptr && *workspace != '\0'
             ? absl::StrCat(workspace, "/BENCHMARKS.md")
             : "BENCHMARKS.md";
}

}  // namespace
}  // namespace tandem::bench

// The flags. Their help texts say which mode takes each; the CheckModeFlags calls enforce it.
// std::optional flags default to the mode's own value (unset: std::nullopt).

ABSL_FLAG(std::string, serve, "",
          "Serve this server variant (see --list) on 127.0.0.1, on a free port, until SIGTERM "
          "or SIGINT");
ABSL_FLAG(int, parent, 0,
          "With --serve: exit when process PID (the driver that started this server) is gone; "
          "0: never");
ABSL_FLAG(bool, load, false, "Run the load generator alone, against --target");
ABSL_FLAG(bool, list, false, "Print the scenarios and the server variants");

ABSL_FLAG(std::vector<std::string>, scenario, {"all"},
          "Driver: the scenarios to run, comma-separated: all, overload (both overload "
          "scenarios), or names from --list");
ABSL_FLAG(bool, quick, false,
          "Driver: 1 round of 150ms warm-up + 500ms per point, under a minute in all (--rounds, "
          "--warmup and --duration still apply)");
ABSL_FLAG(std::optional<int>, rounds, std::nullopt,
          "Driver: rounds, each measuring every point once; ratios are medians over rounds. "
          "Default 3, with --quick 1");
ABSL_FLAG(std::vector<std::string>, variants, {},
          "Driver: only these server variants (see --list), comma-separated. Default: every "
          "variant of each scenario");
ABSL_FLAG(std::string, out, tandem::bench::DefaultReportPath(),
          "Driver: the report to write; empty writes none. Default: BENCHMARKS.md in the "
          "workspace under `bazel run`, else in the current directory");
ABSL_FLAG(bool, json, false,
          "Driver and --load: one JSON object per line on stdout (the driver's table goes to "
          "stderr)");
ABSL_FLAG(std::vector<std::string>, concurrency, {},
          "Driver: the concurrency levels, comma-separated positive integers, instead of each "
          "scenario's own. --load: calls in flight in the closed loop, default 64");
ABSL_FLAG(std::optional<absl::Duration>, warmup, std::nullopt,
          "Driver and --load: the warm-up of each point, whose calls are not counted. "
          "Default 1s, with --quick 150ms");
ABSL_FLAG(std::optional<absl::Duration>, duration, std::nullopt,
          "Driver and --load: the measured window of each point. Default 5s, with --quick 500ms");
ABSL_FLAG(absl::Duration, call_timeout, absl::Seconds(10), "Driver and --load: each call's deadline");
ABSL_FLAG(int, channels, 2, "Driver and --load: client channels");
ABSL_FLAG(std::optional<int>, payload, std::nullopt,
          "Driver and --load: payload bytes per message. Default: the driver, each scenario's "
          "own; --load, 64");

ABSL_FLAG(std::string, target, "", "With --load: the server, as 127.0.0.1:PORT (loopback only)");
ABSL_FLAG(std::string, method, "echo", "With --load: echo, sleep or stream");
ABSL_FLAG(absl::Duration, sleep, absl::Milliseconds(10),
          "With --load --method=sleep: how long the server sleeps in each call");
ABSL_FLAG(int, stream_messages, 1000, "With --load --method=stream: messages per call");
ABSL_FLAG(double, slow_share, 0,
          "With --load: the share of calls, in [0, 1), that are slow sleep calls (--slow_sleep)");
ABSL_FLAG(absl::Duration, slow_sleep, absl::Milliseconds(100),
          "With --load --slow_share: how long the server sleeps in each slow call");
ABSL_FLAG(double, rate, 0,
          "With --load: open loop, this many calls sent per second; 0: closed loop at "
          "--concurrency");

namespace tandem::bench {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bench: %s\n", std::string(status.message()).c_str());
  return 2;
}

// The flags above are the ones defined in this file; Abseil's own (--help, --flagfile, ...)
// are not.
bool IsBenchFlagFile(absl::string_view file) { return file == __FILE__; }

// Refuses a flag of this file that `mode` does not take. A flag counts as given when its value
// differs from its default: one given with its default value (--json=false) changes nothing,
// and is let through. (Abseil 20220623 keeps "specified on the command line" private.)
absl::Status CheckModeFlags(absl::string_view mode, const std::set<absl::string_view>& takes) {
  std::vector<std::string> refused;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsBenchFlagFile(flag->Filename()) && takes.count(name) == 0 &&
        flag->CurrentValue() != flag->DefaultValue()) {
      refused.push_back(absl::StrCat("--", name));
    }
  }
  if (refused.empty()) return absl::OkStatus();
  std::sort(refused.begin(), refused.end());
  return absl::InvalidArgumentError(
      absl::StrCat(absl::StrJoin(refused, ", "),
                   refused.size() == 1 ? " is not a flag of " : " are not flags of ", mode,
                   " (see --help)"));
}

// --concurrency as positive integers.
absl::StatusOr<std::vector<int>> ConcurrencyLevels() {
  const std::vector<std::string> items = absl::GetFlag(FLAGS_concurrency);
  std::vector<int> levels;
  for (const std::string& item : items) {
    if (item.empty()) continue;
    int level = 0;
    if (!absl::SimpleAtoi(item, &level) || level < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--concurrency=", absl::StrJoin(items, ","), ": expected positive integers"));
    }
    levels.push_back(level);
  }
  return levels;
}

// --payload and --channels, shared by the driver and --load.
absl::Status CheckPayloadAndChannels() {
  if (std::optional<int> payload = absl::GetFlag(FLAGS_payload); payload && *payload < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--payload=", *payload, ": expected >= 0"));
  }
  if (const int channels = absl::GetFlag(FLAGS_channels); channels < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--channels=", channels, ": expected >= 1"));
  }
  return absl::OkStatus();
}

// --serve: one variant, until a stop signal or the parent's death.
int Serve() {
  if (absl::Status s = CheckModeFlags("--serve", {"serve", "parent"}); !s.ok()) return Fail(s);
  const int parent = absl::GetFlag(FLAGS_parent);
  // Die with the bench: a killed driver must not leave servers running. The check after prctl
  // covers a parent that died before it.
  if (parent > 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) return 1;
  }
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<BenchServer>> server =
      StartBenchServer(absl::GetFlag(FLAGS_serve));
  if (!server.ok()) {
    std::fprintf(stderr, "bench --serve: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*server)->Shutdown(absl::Seconds(1));
  return 0;
}

std::string LatencyText(const LatencySummary& latency) {
  return absl::StrFormat("p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms", latency.p50_ms,
                         latency.p90_ms, latency.p99_ms, latency.max_ms);
}

// --load: the load generator alone.
int Load() {
  if (absl::Status s = CheckModeFlags(
          "--load", {"load", "target", "method", "sleep", "stream_messages", "slow_share",
                     "slow_sleep", "concurrency", "rate", "channels", "payload", "warmup",
                     "duration", "call_timeout", "json"});
      !s.ok()) {
    return Fail(s);
  }
  if (absl::Status s = CheckPayloadAndChannels(); !s.ok()) return Fail(s);
  absl::StatusOr<std::vector<int>> levels = ConcurrencyLevels();
  if (!levels.ok()) return Fail(levels.status());
  if (levels->size() > 1) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--concurrency=", absl::StrJoin(*levels, ","), ": --load takes one level")));
  }
  LoadSpec spec{.target = absl::GetFlag(FLAGS_target),
                .concurrency = levels->empty() ? 64 : levels->front(),
                .rate = absl::GetFlag(FLAGS_rate),
                .channels = absl::GetFlag(FLAGS_channels),
                .call_timeout = absl::GetFlag(FLAGS_call_timeout)};
  if (std::optional<int> payload = absl::GetFlag(FLAGS_payload)) spec.payload_bytes = *payload;
  spec.warmup = absl::GetFlag(FLAGS_warmup).value_or(spec.warmup);
  spec.duration = absl::GetFlag(FLAGS_duration).value_or(spec.duration);

  CallClass main_class;
  const std::string method = absl::GetFlag(FLAGS_method);
  if (method == "sleep") {
    main_class = CallClass{
        .name = "sleep", .method = BenchMethod::kSleep, .sleep = absl::GetFlag(FLAGS_sleep)};
  } else if (method == "stream") {
    main_class = CallClass{.name = "stream",
                           .method = BenchMethod::kStream,
                           .stream_messages = absl::GetFlag(FLAGS_stream_messages)};
  } else if (method != "echo") {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--method=", method, ": expected echo, sleep or stream")));
  }
  const double slow_share = absl::GetFlag(FLAGS_slow_share);
  if (slow_share < 0 || slow_share >= 1) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--slow_share=", slow_share, ": expected a share in [0, 1)")));
  }
  main_class.share = 1 - slow_share;
  spec.mix = {main_class};
  if (slow_share > 0) {
    spec.mix.push_back(CallClass{.name = "slow",
                                 .method = BenchMethod::kSleep,
                                 .sleep = absl::GetFlag(FLAGS_slow_sleep),
                                 .share = slow_share});
  }

  absl::StatusOr<LoadResult> result = RunLoad(spec);
  if (!result.ok()) return Fail(result.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::vector<std::string> classes;
    for (const ClassResult& c : result->classes) {
      classes.push_back(absl::StrFormat(
          "{\"name\":\"%s\",\"ok\":%d,\"p50_ms\":%.6g,\"p90_ms\":%.6g,\"p99_ms\":%.6g,"
          "\"max_ms\":%.6g}",
          c.name, c.ok, c.latency.p50_ms, c.latency.p90_ms, c.latency.p99_ms, c.latency.max_ms));
    }
    std::vector<std::string> errors;
    for (const auto& [code, count] : result->errors_by_code) {
      errors.push_back(absl::StrFormat("\"%s\":%d", code, count));
    }
    absl::PrintF(
        "{\"target\":\"%s\",\"concurrency\":%d,\"rate\":%.6g,\"offered_per_s\":%.6g,"
        "\"qps\":%.6g,\"msgs_per_s\":%.6g,"
        "\"mib_per_s\":%.6g,\"p50_ms\":%.6g,\"p90_ms\":%.6g,"
        "\"p99_ms\":%.6g,\"max_ms\":%.6g,\"errors\":%d,\"errors_by_code\":{%s},"
        "\"drained\":%s,\"classes\":[%s]}\n",
        spec.target, spec.concurrency, spec.rate, result->offered_per_s, result->qps,
        result->messages_per_s, result->mib_per_s,
        result->latency.p50_ms,
        result->latency.p90_ms, result->latency.p99_ms, result->latency.max_ms, result->errors,
        absl::StrJoin(errors, ","), result->drained ? "true" : "false",
        absl::StrJoin(classes, ","));
  } else {
    const std::string load =
        spec.rate > 0 ? absl::StrFormat("open loop, %.0f calls/s offered", result->offered_per_s)
                      : absl::StrCat("c=", spec.concurrency);
    std::printf("%s %s: %.0f calls/s  %s  errors %llu\n", spec.target.c_str(), load.c_str(),
                result->qps, LatencyText(result->latency).c_str(),
                static_cast<unsigned long long>(result->errors));
    if (result->messages > 0) {
      std::printf("  streamed %.0f messages/s, %.1f MiB/s\n", result->messages_per_s,
                  result->mib_per_s);
    }
    for (const auto& [code, count] : result->errors_by_code) {
      std::printf("  %s: %llu\n", code.c_str(), static_cast<unsigned long long>(count));
    }
    if (result->classes.size() > 1) {
      for (const ClassResult& c : result->classes) {
        std::printf("  %-6s %llu ok  %s\n", c.name.c_str(),
                    static_cast<unsigned long long>(c.ok), LatencyText(c.latency).c_str());
      }
    }
  }
  return result->drained && result->errors == 0 ? 0 : 1;
}

std::string FirstLineWith(const std::string& path, absl::string_view prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, prefix)) return line;
  }
  return "";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one_minute;
  in >> one_minute;
  return one_minute.empty() ? "?" : one_minute;
}

std::string MachineText() {
  std::string model = FirstLineWith("/proc/cpuinfo", "model name");
  if (const size_t colon = model.find(':'); colon != std::string::npos) {
    model = std::string(absl::StripAsciiWhitespace(model.substr(colon + 1)));
  }
  std::string memory = FirstLineWith("/proc/meminfo", "MemTotal:");
  double kib = 0;
  absl::string_view value = memory;
  absl::ConsumePrefix(&value, "MemTotal:");
  value = absl::StripAsciiWhitespace(value);
  absl::ConsumeSuffix(&value, " kB");
  if (!absl::SimpleAtod(value, &kib)) kib = 0;
  utsname name{};
  uname(&name);
  return absl::StrFormat("%u cores (%s), %.1f GiB memory, %s %s",
                         std::thread::hardware_concurrency(), model.empty() ? "?" : model,
                         kib / 1024 / 1024, name.sysname, name.release);
}

std::string BuildText() {
#if defined(NDEBUG) && defined(__OPTIMIZE__)
  const char* mode = "optimized (-c opt: -O2, NDEBUG)";
#elif defined(__OPTIMIZE__)
  const char* mode = "optimized with assertions (not -c opt)";
#else
  const char* mode = "NOT optimized (fastbuild or dbg): numbers are not representative";
#endif
  return absl::StrCat(mode, "; gRPC ", grpc::Version(), "; GCC ", __VERSION__);
}

bool OptimizedBuild() {
#if defined(NDEBUG) && defined(__OPTIMIZE__)
  return true;
#else
  return false;
#endif
}

// tools/bench/analysis.md: the hand-written explanation of missed targets (profiles and fixes),
// copied into BENCHMARKS.md. The workspace's copy under `bazel run`, else the runfiles' copy.
std::string ReadAnalysis(const std::string& self) {
  std::vector<std::string> candidates;
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY"); workspace != nullptr) {
    candidates.push_back(absl::StrCat(workspace, "/tools/bench/analysis.md"));
  }
  candidates.push_back(absl::StrCat(self, ".runfiles/tandem/tools/bench/analysis.md"));
  for (const std::string& path : candidates) {
    std::ifstream in(path);
    if (!in) continue;
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
  }
  return "";
}

absl::StatusOr<std::string> SelfPath() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return absl::InternalError("cannot read /proc/self/exe");
  return std::string(path, n);
}

// The command-line arguments minus --out and --json, which change where the results go, not
// what is measured.
std::vector<std::string> MeasuringArgs(const std::vector<std::string>& args) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view name = args[i];
    if (!absl::ConsumePrefix(&name, "--")) absl::ConsumePrefix(&name, "-");
    const size_t equals = name.find('=');
    name = name.substr(0, equals);
    if (name == "json" || name == "nojson") continue;
    if (name == "out") {
      if (equals == absl::string_view::npos) ++i;  // --out PATH
      continue;
    }
    kept.push_back(args[i]);
  }
  return kept;
}

// The driver: every selected scenario, a table, JSON lines, BENCHMARKS.md. `args` are the
// command-line arguments as given, for the report's "Reproduce" line.
int RunDriver(const std::vector<std::string>& args) {
  if (absl::Status s = CheckModeFlags(
          "the driver (no --serve, --load or --list)",
          {"scenario", "quick", "json", "rounds", "warmup", "duration", "call_timeout",
           "concurrency", "variants", "channels", "payload", "out"});
      !s.ok()) {
    return Fail(s);
  }
  if (absl::Status s = CheckPayloadAndChannels(); !s.ok()) return Fail(s);
  const bool quick = absl::GetFlag(FLAGS_quick);
  BenchOptions options;
  options.rounds = absl::GetFlag(FLAGS_rounds).value_or(quick ? 1 : 3);
  if (options.rounds < 1) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat("--rounds=", options.rounds, ": expected >= 1")));
  }
  options.warmup =
      absl::GetFlag(FLAGS_warmup).value_or(quick ? absl::Milliseconds(150) : absl::Seconds(1));
  options.duration =
      absl::GetFlag(FLAGS_duration).value_or(quick ? absl::Milliseconds(500) : absl::Seconds(5));
  options.call_timeout = absl::GetFlag(FLAGS_call_timeout);
  absl::StatusOr<std::vector<int>> levels = ConcurrencyLevels();
  if (!levels.ok()) return Fail(levels.status());
  options.concurrency = *std::move(levels);
  options.channels = absl::GetFlag(FLAGS_channels);
  if (std::optional<int> payload = absl::GetFlag(FLAGS_payload)) options.payload_bytes = *payload;

  std::set<std::string> names;
  for (const std::string& name : absl::GetFlag(FLAGS_scenario)) {
    if (!name.empty()) names.insert(name);
  }
  // "overload" names both halves, overload-cpu and overload-wait.
  const bool overload = names.erase("overload") > 0;
  for (const Scenario& scenario : AllScenarios()) {
    if (names.count("all") > 0 || names.erase(scenario.name) > 0 ||
        (overload && scenario.overload)) {
      options.scenarios.push_back(scenario);
    }
  }
  names.erase("all");
  if (!names.empty() || options.scenarios.empty()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--scenario takes all or a list of: ", absl::StrJoin(ScenarioNames(), ", "))));
  }
  for (const std::string& variant : absl::GetFlag(FLAGS_variants)) {
    if (!variant.empty()) options.variants.push_back(variant);
  }
  absl::StatusOr<std::string> self = SelfPath();
  if (!self.ok()) return Fail(self.status());
  options.server_binary = *self;

  if (!OptimizedBuild()) {
    std::fprintf(stderr, "bench: WARNING: not an optimized build; use bazel run -c opt\n");
  }
  RunInfo info;
  info.date = absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::Now(), absl::UTCTimeZone());
  info.machine = MachineText();
  const std::string load_before = LoadAverage();
  info.build = BuildText();
  info.mode = absl::StrFormat(
      "%s: %d round(s); each point: a fresh server process, %s warm-up + %s measured; "
      "%d client channels; %s",
      quick ? "quick" : "full", options.rounds, absl::FormatDuration(options.warmup),
      absl::FormatDuration(options.duration), options.channels,
      options.payload_bytes ? absl::StrCat(*options.payload_bytes, "-byte payloads everywhere")
                            : "payloads as each scenario says");
  const std::vector<std::string> measuring = MeasuringArgs(args);
  const std::string joined =
      measuring.empty() ? "" : absl::StrCat(" ", absl::StrJoin(measuring, " "));
  info.command = absl::StrCat("`tools/dev bench", joined, "` (that is, `bazel run -c opt //tools/bench --",
                              joined, "`)");

  const absl::Time started = absl::Now();
  const std::vector<Row> rows = RunBench(options);
  info.load_average = absl::StrCat(load_before, " / ", LoadAverage());
  const std::vector<TargetCheck> checks = CheckTargets(rows);

  const bool json = absl::GetFlag(FLAGS_json);
  FILE* table_out = json ? stderr : stdout;
  std::fprintf(table_out, "%s%s", FormatTable(options.scenarios, rows).c_str(),
               FormatTargets(checks).c_str());
  std::fprintf(table_out, "\n(%s, %s)\n", info.mode.c_str(),
               absl::FormatDuration(absl::Trunc(absl::Now() - started, absl::Seconds(1))).c_str());
  if (json) {
    for (const Row& row : rows) std::printf("%s\n", FormatJson(row).c_str());
  }
  std::fflush(stdout);

  const std::string out = absl::GetFlag(FLAGS_out);
  if (!out.empty()) {
    std::ofstream file(out);
    file << FormatMarkdown(info, options.scenarios, rows, checks);
    if (const std::string analysis = ReadAnalysis(*self); !analysis.empty()) {
      file << "\n" << analysis;
    }
    if (!file.good()) {
      std::fprintf(stderr, "bench: cannot write %s\n", out.c_str());
      return 1;
    }
    std::fprintf(stderr, "bench: wrote %s\n", out.c_str());
  }

  bool failed = false;
  for (const Row& row : rows) failed |= !row.failures.empty();
  return failed ? 1 : 0;
}

int List() {
  if (absl::Status s = CheckModeFlags("--list", {"list"}); !s.ok()) return Fail(s);
  std::printf("scenarios:\n");
  for (const Scenario& scenario : AllScenarios()) {
    std::printf("  %-15s %s; c=%s; variants: %s\n", scenario.name.c_str(),
                scenario.title.c_str(), absl::StrJoin(scenario.concurrency, ",").c_str(),
                absl::StrJoin(scenario.variants, ", ").c_str());
  }
  std::printf("server variants in this build:\n");
  for (const std::string& variant : BenchServerVariants()) std::printf("  %s\n", variant.c_str());
  return 0;
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Exits on --help, an unknown flag or a malformed value.
  const std::vector<char*> positional = tandem::ParseFlags(argc, argv, kUsage);
  if (positional.size() > 1) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat("unexpected argument '", positional[1], "'")));
  }
  if (!absl::GetFlag(FLAGS_serve).empty()) return Serve();
  if (absl::GetFlag(FLAGS_load)) return Load();
  if (absl::GetFlag(FLAGS_list)) return List();
  return RunDriver(args);
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) { return tandem::bench::Main(argc, argv); }
