// The Tandem bench: Tandem side by side with plain gRPC, in one run, as ratios (issue 5).
//
//   bench [--scenario=all|unary,blocking-sleep,stream,tail] [--quick] [--json] [--rounds=N]
//         [--warmup=1s] [--duration=5s] [--concurrency=N,...] [--variants=V,...]
//         [--channels=2] [--payload=BYTES] [--call-timeout=10s] [--out=BENCHMARKS.md]
//       Runs the scenarios, prints a table (stdout; with --json, the table goes to stderr and
//       stdout gets one JSON object per line), and writes BENCHMARKS.md: by default into the
//       workspace under `bazel run`, else the current directory; --out= (empty) writes none.
//       --quick: 1 round of 0.15 s warm-up + 0.5 s per point, under a minute in all.
//   bench --serve=VARIANT [--parent=PID]
//       Serves one variant on 127.0.0.1 (a free port), prints "listening on 127.0.0.1:PORT",
//       and runs until SIGTERM/SIGINT, or until process PID (its parent) is gone.
//   bench --load --target=127.0.0.1:PORT [--method=echo|sleep|stream] [--sleep=10ms]
//         [--stream-messages=1000]
//         [--slow-share=0.01 --slow-sleep=100ms] [--concurrency=64 | --rate=CALLS_PER_S]
//         [--channels=2]
//         [--payload=64] [--warmup=1s] [--duration=5s] [--call-timeout=10s] [--json]
//       The load generator alone, against any bench server on loopback.
//   bench --list
//       The scenarios and server variants.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tools/bench/driver.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/report.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/server_variants.h"

namespace tandem::bench {
namespace {

// --name=value and --name (value "true"), nothing else.
class Flags {
 public:
  static absl::StatusOr<Flags> Parse(int argc, char** argv) {
    Flags flags;
    for (int i = 1; i < argc; ++i) {
      absl::string_view arg = argv[i];
      if (!absl::ConsumePrefix(&arg, "--")) {
        return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", argv[i], "'"));
      }
      const size_t equals = arg.find('=');
      if (equals == absl::string_view::npos) {
        flags.values_[std::string(arg)] = "true";
      } else {
        flags.values_[std::string(arg.substr(0, equals))] = std::string(arg.substr(equals + 1));
      }
      flags.args_.push_back(argv[i]);
    }
    return flags;
  }

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, std::string fallback = "") const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  // The first flag not in `known`, if any.
  absl::Status CheckOnly(const std::set<std::string>& known) const {
    for (const auto& [name, value] : values_) {
      if (known.count(name) == 0) {
        return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
      }
    }
    return absl::OkStatus();
  }
  const std::vector<std::string>& args() const { return args_; }

  absl::Status Int(const std::string& name, int* out) const {
    if (!Has(name)) return absl::OkStatus();
    if (!absl::SimpleAtoi(Get(name), out)) return Bad(name, "an integer");
    return absl::OkStatus();
  }
  absl::Status Double(const std::string& name, double* out) const {
    if (!Has(name)) return absl::OkStatus();
    if (!absl::SimpleAtod(Get(name), out)) return Bad(name, "a number");
    return absl::OkStatus();
  }
  absl::Status Duration(const std::string& name, absl::Duration* out) const {
    if (!Has(name)) return absl::OkStatus();
    if (!absl::ParseDuration(Get(name), out)) return Bad(name, "a duration such as 500ms or 5s");
    return absl::OkStatus();
  }
  absl::Status IntList(const std::string& name, std::vector<int>* out) const {
    if (!Has(name)) return absl::OkStatus();
    out->clear();
    for (absl::string_view item : absl::StrSplit(Get(name), ',', absl::SkipEmpty())) {
      int value = 0;
      if (!absl::SimpleAtoi(item, &value) || value < 1) return Bad(name, "positive integers");
      out->push_back(value);
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Bad(const std::string& name, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", Get(name), ": expected ", what));
  }

  std::map<std::string, std::string> values_;
  std::vector<std::string> args_;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "bench: %s\n", std::string(status.message()).c_str());
  return 2;
}

// --serve: one variant, until a stop signal or the parent's death.
int Serve(const Flags& flags) {
  if (absl::Status s = flags.CheckOnly({"serve", "parent"}); !s.ok()) return Fail(s);
  int parent = 0;
  if (absl::Status s = flags.Int("parent", &parent); !s.ok()) return Fail(s);
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

  absl::StatusOr<std::unique_ptr<BenchServer>> server = StartBenchServer(flags.Get("serve"));
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
int Load(const Flags& flags) {
  if (absl::Status s = flags.CheckOnly({"load", "target", "method", "sleep", "stream-messages",
                                        "slow-share",
                                        "slow-sleep", "concurrency", "rate", "channels", "payload",
                                        "warmup", "duration", "call-timeout", "json"});
      !s.ok()) {
    return Fail(s);
  }
  LoadSpec spec{.target = flags.Get("target"), .concurrency = 64, .channels = 2};
  int payload = static_cast<int>(spec.payload_bytes);
  CallClass main_class;
  absl::Duration sleep = absl::Milliseconds(10);
  int stream_messages = 1000;
  double slow_share = 0;
  absl::Duration slow_sleep = absl::Milliseconds(100);
  for (absl::Status s :
       {flags.Int("concurrency", &spec.concurrency), flags.Double("rate", &spec.rate),
        flags.Int("channels", &spec.channels),
        flags.Int("payload", &payload), flags.Duration("warmup", &spec.warmup),
        flags.Duration("duration", &spec.duration),
        flags.Duration("call-timeout", &spec.call_timeout), flags.Duration("sleep", &sleep),
        flags.Int("stream-messages", &stream_messages),
        flags.Double("slow-share", &slow_share), flags.Duration("slow-sleep", &slow_sleep)}) {
    if (!s.ok()) return Fail(s);
  }
  if (payload < 0) return Fail(absl::InvalidArgumentError("--payload must be >= 0"));
  spec.payload_bytes = payload;
  const std::string method = flags.Get("method", "echo");
  if (method == "sleep") {
    main_class = CallClass{.name = "sleep", .method = BenchMethod::kSleep, .sleep = sleep};
  } else if (method == "stream") {
    main_class = CallClass{
        .name = "stream", .method = BenchMethod::kStream, .stream_messages = stream_messages};
  } else if (method != "echo") {
    return Fail(absl::InvalidArgumentError("--method must be echo, sleep or stream"));
  }
  if (slow_share < 0 || slow_share >= 1) {
    return Fail(absl::InvalidArgumentError("--slow-share must be in [0, 1)"));
  }
  main_class.share = 1 - slow_share;
  spec.mix = {main_class};
  if (slow_share > 0) {
    spec.mix.push_back(CallClass{
        .name = "slow", .method = BenchMethod::kSleep, .sleep = slow_sleep, .share = slow_share});
  }

  absl::StatusOr<LoadResult> result = RunLoad(spec);
  if (!result.ok()) return Fail(result.status());
  if (flags.Has("json")) {
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

std::string DefaultReportPath() {
  // `bazel run` starts us in the runfiles tree and says where the workspace is.
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return workspace != nullptr && *workspace != '\0'
             ? absl::StrCat(workspace, "/BENCHMARKS.md")
             : "BENCHMARKS.md";
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

// The driver: every selected scenario, a table, JSON lines, BENCHMARKS.md.
int RunDriver(const Flags& flags) {
  if (absl::Status s = flags.CheckOnly({"scenario", "quick", "json", "rounds", "warmup",
                                        "duration", "call-timeout", "concurrency", "variants",
                                        "channels", "payload", "out"});
      !s.ok()) {
    return Fail(s);
  }
  const bool quick = flags.Has("quick");
  BenchOptions options;
  options.rounds = quick ? 1 : 3;
  options.warmup = quick ? absl::Milliseconds(150) : absl::Seconds(1);
  options.duration = quick ? absl::Milliseconds(500) : absl::Seconds(5);
  int payload = -1;
  for (absl::Status s :
       {flags.Int("rounds", &options.rounds), flags.Duration("warmup", &options.warmup),
        flags.Duration("duration", &options.duration),
        flags.Duration("call-timeout", &options.call_timeout),
        flags.IntList("concurrency", &options.concurrency), flags.Int("channels", &options.channels),
        flags.Int("payload", &payload)}) {
    if (!s.ok()) return Fail(s);
  }
  if (options.rounds < 1 || options.channels < 1 || (flags.Has("payload") && payload < 0)) {
    return Fail(absl::InvalidArgumentError("--rounds and --channels must be >= 1, --payload >= 0"));
  }
  if (flags.Has("payload")) options.payload_bytes = payload;

  const std::string wanted = flags.Get("scenario", "all");
  std::set<std::string> names;
  for (absl::string_view name : absl::StrSplit(wanted, ',', absl::SkipEmpty())) {
    names.insert(std::string(name));
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
  if (flags.Has("variants")) {
    options.variants = absl::StrSplit(flags.Get("variants"), ',', absl::SkipEmpty());
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
  std::vector<std::string> args;
  for (const std::string& arg : flags.args()) {
    if (!absl::StartsWith(arg, "--out=") && arg != "--json") args.push_back(arg);
  }
  const std::string joined = args.empty() ? "" : absl::StrCat(" ", absl::StrJoin(args, " "));
  info.command = absl::StrCat("`tools/dev bench", joined, "` (that is, `bazel run -c opt //tools/bench --",
                              joined, "`)");

  const absl::Time started = absl::Now();
  const std::vector<Row> rows = RunBench(options);
  info.load_average = absl::StrCat(load_before, " / ", LoadAverage());
  const std::vector<TargetCheck> checks = CheckTargets(rows);

  const bool json = flags.Has("json");
  FILE* table_out = json ? stderr : stdout;
  std::fprintf(table_out, "%s%s", FormatTable(options.scenarios, rows).c_str(),
               FormatTargets(checks).c_str());
  std::fprintf(table_out, "\n(%s, %s)\n", info.mode.c_str(),
               absl::FormatDuration(absl::Trunc(absl::Now() - started, absl::Seconds(1))).c_str());
  if (json) {
    for (const Row& row : rows) std::printf("%s\n", FormatJson(row).c_str());
  }
  std::fflush(stdout);

  const std::string out = flags.Get("out", DefaultReportPath());
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
  absl::StatusOr<Flags> flags = Flags::Parse(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  if (flags->Has("serve")) return Serve(*flags);
  if (flags->Has("load")) return Load(*flags);
  if (flags->Has("list")) return List();
  return RunDriver(*flags);
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) { return tandem::bench::Main(argc, argv); }
