#include "tools/bench/driver.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/server_process.h"
#include "tools/bench/server_variants.h"

namespace tandem::bench {
namespace {

constexpr absl::Duration kServerReadyTimeout = absl::Seconds(20);
constexpr absl::Duration kServerStopTimeout = absl::Seconds(15);
constexpr absl::Duration kThreadSamplePeriod = absl::Milliseconds(20);
// How long the shadow counters may take to settle once the load has drained: the candidates of
// the last calls are still running.
constexpr absl::Duration kShadowSettleTimeout = absl::Seconds(10);
// The method every bench load calls, as the server's stats name it.
constexpr char kEchoMethod[] = "/tandem.bench.Bench/Echo";

// For a shadow scenario: X for X-shadowed, else the variant itself.
std::string ShadowBaseline(const std::string& variant) {
  absl::string_view base = variant;
  absl::ConsumeSuffix(&base, kShadowedSuffix);
  return std::string(base);
}

// One server process driven once.
struct Measurement {
  std::string failure;  // empty if it ran
  LoadResult load;
  double server_cpu_s = 0;
  double rss_mib = 0;
  int threads = 0;
  // Overload scenarios: the phases before the overload (`load` is the overload itself).
  double capacity_per_s = 0;
  double p99_unloaded_ms = 0;
  double rss_unloaded_mib = 0;
  // Shadow scenarios, X-shadowed variants: the server's shadow counters once the load drained.
  std::optional<ShadowCounts> shadow;

  bool ok() const { return failure.empty(); }
  double fast_p99_ms() const {
    return load.classes.empty() ? 0 : load.classes.front().latency.p99_ms;
  }
};

// A fresh server process of `variant`, ready to serve.
absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(const BenchOptions& options,
                                                           const std::string& variant) {
  return ServerProcess::Start({options.server_binary, absl::StrCat("--serve=", variant),
                              absl::StrCat("--parent=", getpid())},
                             kServerReadyTimeout);
}

// Hooks that read `pid`'s CPU time into `start` and `end` as the measurement window opens and
// closes, so warm-up and draining are left out.
LoadHooks CpuWindowHooks(pid_t pid, double* start, double* end) {
  auto cpu_now = [pid] {
    absl::StatusOr<ProcSample> sample = ReadProcSample(pid);
    return sample.ok() ? sample->cpu_s : 0.0;
  };
  return {.window_start = [=] { *start = cpu_now(); }, .window_end = [=] { *end = cpu_now(); }};
}

// One point: a fresh server process of `variant`, loaded with `mix`, closed-loop at
// `concurrency` or, with a `rate`, open-loop at that many calls per second.
Measurement Measure(const BenchOptions& options, const Scenario& scenario,
                    const std::string& variant, const std::vector<CallClass>& mix,
                    int concurrency, double rate = 0) {
  Measurement measurement;
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = StartServer(options, variant);
  if (!process.ok()) {
    measurement.failure = process.status().ToString();
    return measurement;
  }
  const pid_t pid = (*process)->pid();
  PeakThreadSampler sampler(pid, kThreadSamplePeriod);

  double cpu_start = 0;
  double cpu_end = 0;
  LoadHooks hooks = CpuWindowHooks(pid, &cpu_start, &cpu_end);
  std::optional<LoadResult> load_override;
  if (scenario.idle) {
    // No load: the window is the same length, with no client at all.
    LoadResult idle;
    idle.window = options.duration;
    absl::SleepFor(options.warmup);
    hooks.window_start();
    absl::SleepFor(options.duration);
    hooks.window_end();
    load_override = std::move(idle);
  }
  LoadSpec spec{.target = (*process)->address(),
                .concurrency = concurrency,
                .rate = rate,
                .channels = options.channels,
                .payload_bytes = options.payload_bytes.value_or(scenario.payload_bytes),
                .warmup = options.warmup,
                .duration = options.duration,
                .call_timeout = options.call_timeout,
                .mix = mix};
  absl::StatusOr<LoadResult> load =
      load_override ? absl::StatusOr<LoadResult>(*std::move(load_override))
                    : RunLoad(spec, hooks);
  // After the window: reading the counters costs the measurement nothing.
  absl::Status shadow_read;
  if (scenario.shadow && ShadowBaseline(variant) != variant && load.ok() && load->drained) {
    absl::StatusOr<ShadowCounts> counts =
        ReadShadowCounts((*process)->address(), kEchoMethod, kShadowSettleTimeout);
    if (counts.ok()) {
      measurement.shadow = *std::move(counts);
    } else {
      shadow_read = counts.status();
    }
  }

  // VmHWM before the process goes: a zombie has no memory figures left.
  absl::StatusOr<ProcSample> last = ReadProcSample(pid);
  measurement.threads = sampler.Stop();
  if (last.ok()) {
    measurement.rss_mib = last->vm_hwm_mib;
    measurement.threads = std::max(measurement.threads, last->threads);
  }
  const absl::Status stopped = (*process)->Stop(kServerStopTimeout);

  if (!load.ok()) {
    measurement.failure = load.status().ToString();
  } else if (!load->drained) {
    measurement.failure = absl::StrCat("calls still in flight ",
                                       absl::FormatDuration(options.call_timeout),
                                       " after the window closed");
  } else if (!stopped.ok()) {
    measurement.failure = stopped.ToString();
  } else if (!last.ok()) {
    measurement.failure = last.status().ToString();
  } else if (!shadow_read.ok()) {
    measurement.failure = shadow_read.ToString();
  }
  if (load.ok()) measurement.load = *std::move(load);
  measurement.server_cpu_s = cpu_end - cpu_start;
  return measurement;
}

// An overload scenario's three phases on one server process of `variant`, as a service lives
// through them: its capacity (closed loop), its latency at a tenth of that rate, then twice its
// capacity offered open-loop, every call with a 1 s deadline, for twice the usual window.
// `known_capacity`, for a variant with a concurrency limit, is the capacity of the same server
// without it: a limiter sheds calls in a closed loop, whose clients then back off, so the loop
// would measure less than the server can do. The closed loop still runs, as the same warm-up.
Measurement MeasureOverload(const BenchOptions& options, const Scenario& scenario,
                            const std::string& variant, int concurrency,
                            std::optional<double> known_capacity) {
  constexpr absl::Duration kDeadline = absl::Seconds(1);
  Measurement measurement;
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = StartServer(options, variant);
  if (!process.ok()) {
    measurement.failure = process.status().ToString();
    return measurement;
  }
  const pid_t pid = (*process)->pid();
  PeakThreadSampler sampler(pid, kThreadSamplePeriod);
  auto peak_rss = [pid]() {
    absl::StatusOr<ProcSample> sample = ReadProcSample(pid);
    return sample.ok() ? sample->vm_hwm_mib : 0.0;
  };
  LoadSpec spec{.target = (*process)->address(),
                .concurrency = concurrency,
                .channels = options.channels,
                .payload_bytes = options.payload_bytes.value_or(scenario.payload_bytes),
                .warmup = options.warmup,
                .duration = options.duration,
                .call_timeout = kDeadline,
                .mix = scenario.mix};
  absl::Status failed;
  absl::StatusOr<LoadResult> capacity = RunLoad(spec);
  if (capacity.ok() && known_capacity) capacity->qps = *known_capacity;
  if (capacity.ok() && capacity->qps > 0) {
    measurement.capacity_per_s = capacity->qps;
    spec.rate = capacity->qps / 10;
    absl::StatusOr<LoadResult> unloaded = RunLoad(spec);
    if (unloaded.ok()) {
      measurement.p99_unloaded_ms = unloaded->latency.p99_ms;
      measurement.rss_unloaded_mib = peak_rss();
      spec.rate = capacity->qps * 2;
      spec.duration = options.duration * 2;
      double cpu_start = 0;
      double cpu_end = 0;
      absl::StatusOr<LoadResult> overload =
          RunLoad(spec, CpuWindowHooks(pid, &cpu_start, &cpu_end));
      if (overload.ok()) {
        measurement.load = *std::move(overload);
        measurement.server_cpu_s = cpu_end - cpu_start;
      } else {
        failed = overload.status();
      }
    } else {
      failed = unloaded.status();
    }
  } else {
    failed = capacity.ok() ? absl::UnavailableError("no call succeeded measuring capacity")
                           : capacity.status();
  }
  measurement.rss_mib = peak_rss();
  measurement.threads = sampler.Stop();
  const absl::Status stopped = (*process)->Stop(kServerStopTimeout);
  if (!failed.ok()) {
    measurement.failure = failed.ToString();
  } else if (!measurement.load.drained) {
    measurement.failure = "calls still in flight 1s after the overload window closed";
  } else if (!stopped.ok()) {
    measurement.failure = stopped.ToString();
  }
  return measurement;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

void PrintProgress(int round, int rounds, const Scenario& scenario, int concurrency,
                   const std::string& variant, const char* what, const Measurement& m) {
  if (!m.ok()) {
    std::fprintf(stderr, "[round %d/%d] %s c=%d %s%s: FAILED: %s\n", round, rounds,
                 scenario.name.c_str(), concurrency, variant.c_str(), what, m.failure.c_str());
    return;
  }
  // Tail scenarios ask about the fast calls.
  const bool fast_only = scenario.tail && !m.load.classes.empty();
  const LatencySummary& latency = fast_only ? m.load.classes.front().latency : m.load.latency;
  std::fprintf(stderr,
               "[round %d/%d] %s c=%d %s%s: %.0f calls/s%s, %sp50 %.2f ms, p99 %.2f ms, "
               "%.1f MiB, %d threads, %.2f CPU s, %llu errors\n",
               round, rounds, scenario.name.c_str(), concurrency, variant.c_str(), what,
               m.load.qps,
               scenario.streaming
                   ? absl::StrFormat(" (%.0f msgs/s, %.1f MiB/s)", m.load.messages_per_s,
                                     m.load.mib_per_s)
                         .c_str()
                   : "",
               fast_only ? "fast " : "", latency.p50_ms, latency.p99_ms, m.rss_mib, m.threads,
               m.server_cpu_s, static_cast<unsigned long long>(m.load.errors));
}

// Measurements of one scenario at one concurrency: [variant][round].
struct Cell {
  std::map<std::string, std::vector<Measurement>> with_mix;
  // Tail scenarios only: each round's closed-loop capacity (fast calls), and the open loop at half
  // that rate with no slow calls.
  std::map<std::string, std::vector<Measurement>> capacity;
  std::map<std::string, std::vector<Measurement>> no_slow;
};

// A point that could not run because the one it depends on failed.
Measurement NotRun(std::string why) {
  Measurement m;
  m.failure = std::move(why);
  return m;
}

}  // namespace

std::vector<Row> RunBench(const BenchOptions& options) {
  const std::vector<std::string> known = BenchServerVariants();
  auto available = [&known](const std::string& variant) {
    return std::find(known.begin(), known.end(), variant) != known.end();
  };
  auto selected = [&options](const std::string& variant) {
    return options.variants.empty() || std::find(options.variants.begin(), options.variants.end(),
                                                 variant) != options.variants.end();
  };
  auto levels = [&options](const Scenario& scenario) {
    return options.concurrency.empty() || scenario.idle ? scenario.concurrency
                                                        : options.concurrency;
  };

  // cells[scenario index][concurrency]
  std::vector<std::map<int, Cell>> cells(options.scenarios.size());
  for (int round = 0; round < options.rounds; ++round) {
    for (size_t s = 0; s < options.scenarios.size(); ++s) {
      const Scenario& scenario = options.scenarios[s];
      std::vector<std::string> order;
      for (const std::string& variant : scenario.variants) {
        if (selected(variant) && available(variant)) order.push_back(variant);
      }
      if (order.empty()) continue;
      // A different variant goes first each round, so none always runs on a cold machine.
      std::rotate(order.begin(), order.begin() + round % order.size(), order.end());
      for (int concurrency : levels(scenario)) {
        Cell& cell = cells[s][concurrency];
        for (const std::string& variant : order) {
          if (scenario.overload) {
            // A "-limit" variant is offered twice the capacity of its server without the limit,
            // measured first in this round if it was not yet.
            std::optional<double> known_capacity;
            std::vector<std::string> to_measure = {variant};
            if (absl::string_view base = variant; absl::ConsumeSuffix(&base, "-limit")) {
              to_measure.insert(to_measure.begin(), std::string(base));
            }
            for (const std::string& v : to_measure) {
              std::vector<Measurement>& measured = cell.with_mix[v];
              if (measured.size() > static_cast<size_t>(round)) {
                known_capacity = measured.back().capacity_per_s;
                continue;  // already measured this round
              }
              Measurement m = MeasureOverload(options, scenario, v, concurrency,
                                              v == variant ? known_capacity : std::nullopt);
              PrintProgress(round + 1, options.rounds, scenario, concurrency, v,
                            absl::StrFormat(" (2x capacity of %.0f/s, unloaded p99 %.2f ms, "
                                            "rejections p99 %.2f ms)",
                                            m.capacity_per_s, m.p99_unloaded_ms,
                                            m.load.reject_latency.p99_ms)
                                .c_str(),
                            m);
              if (m.capacity_per_s > 0) known_capacity = m.capacity_per_s;
              measured.push_back(std::move(m));
            }
            continue;
          }
          double rate = 0;
          if (scenario.tail) {
            const std::vector<CallClass> fast_only = {scenario.mix.front()};
            Measurement capacity = Measure(options, scenario, variant, fast_only, concurrency);
            PrintProgress(round + 1, options.rounds, scenario, concurrency, variant,
                          " (capacity: closed loop, no slow calls)", capacity);
            rate = capacity.ok() ? capacity.load.qps / 2 : 0;
            cell.capacity[variant].push_back(std::move(capacity));
            if (rate <= 0) {
              cell.no_slow[variant].push_back(NotRun("its capacity was not measured"));
              cell.with_mix[variant].push_back(NotRun("its capacity was not measured"));
              continue;
            }
            Measurement m = Measure(options, scenario, variant, fast_only, concurrency, rate);
            PrintProgress(round + 1, options.rounds, scenario, concurrency, variant,
                          absl::StrFormat(" (open loop at %.0f/s, no slow calls)", rate).c_str(),
                          m);
            cell.no_slow[variant].push_back(std::move(m));
          }
          Measurement m = Measure(options, scenario, variant, scenario.mix, concurrency, rate);
          std::string what = rate > 0 ? absl::StrFormat(" (open loop at %.0f/s)", rate) : "";
          if (m.shadow) {
            absl::StrAppend(&what, absl::StrFormat(
                                       " (shadow: %d calls, %d matched, %d skipped, %d mismatched, "
                                       "%d candidate errors, %d in flight)",
                                       m.shadow->calls, m.shadow->matches, m.shadow->skipped,
                                       m.shadow->mismatches, m.shadow->candidate_errors,
                                       m.shadow->in_flight));
          }
          PrintProgress(round + 1, options.rounds, scenario, concurrency, variant, what.c_str(),
                        m);
          cell.with_mix[variant].push_back(std::move(m));
        }
      }
    }
  }

  std::vector<Row> rows;
  for (size_t s = 0; s < options.scenarios.size(); ++s) {
    const Scenario& scenario = options.scenarios[s];
    for (int concurrency : levels(scenario)) {
      Cell& cell = cells[s][concurrency];
      for (const std::string& variant : scenario.variants) {
        if (!selected(variant)) continue;
        Row row;
        row.scenario = scenario.name;
        row.variant = variant;
        row.baseline = scenario.tail       ? variant + " with no slow calls"
                       : scenario.overload ? variant + "'s own capacity"
                       : scenario.shadow   ? ShadowBaseline(variant)
                                           : scenario.variants.front();
        row.concurrency = concurrency;
        row.available = available(variant);
        if (scenario.tail) row.slow_share = scenario.mix.back().share;
        if (!row.available) {
          rows.push_back(std::move(row));
          continue;
        }

        const std::vector<Measurement>& measured = cell.with_mix[variant];
        std::vector<double> qps, msgs, mib, p50, p90, p99, cpu, cpu_per_call, client_cpu, ratios,
            ratios_vs_sync, p99_slow, p99_no_slow, capacity, offered, p99_unloaded, p99_reject,
            rss_unloaded, p99_ratios;
        std::map<std::string, uint64_t> errors;
        for (size_t round = 0; round < measured.size(); ++round) {
          const Measurement& m = measured[round];
          if (!m.ok()) {
            row.failures.push_back(absl::StrCat("round ", round + 1, ": ", m.failure));
            continue;
          }
          ++row.rounds;
          // Tail scenarios report the fast calls' latency: that is the question they ask.
          const LatencySummary& latency =
              scenario.tail ? m.load.classes.front().latency : m.load.latency;
          qps.push_back(m.load.qps);
          msgs.push_back(m.load.messages_per_s);
          mib.push_back(m.load.mib_per_s);
          p50.push_back(latency.p50_ms);
          p90.push_back(latency.p90_ms);
          p99.push_back(latency.p99_ms);
          row.max_ms = std::max(row.max_ms, latency.max_ms);
          cpu.push_back(m.server_cpu_s);
          // Per message for streams: a call there is a thousand messages.
          const uint64_t units = scenario.streaming ? m.load.messages : m.load.ok;
          if (units > 0) cpu_per_call.push_back(m.server_cpu_s * 1e6 / units);
          client_cpu.push_back(m.load.client_cpu_s);
          row.rss_mib = std::max(row.rss_mib, m.rss_mib);
          row.threads = std::max(row.threads, m.threads);
          row.errors += m.load.errors;
          for (const auto& [code, count] : m.load.errors_by_code) errors[code] += count;

          if (scenario.overload) {
            capacity.push_back(m.capacity_per_s);
            offered.push_back(m.load.offered_per_s);
            if (m.capacity_per_s > 0) ratios.push_back(m.load.qps / m.capacity_per_s);
            p99_unloaded.push_back(m.p99_unloaded_ms);
            if (m.load.reject_latency.count > 0) p99_reject.push_back(m.load.reject_latency.p99_ms);
            rss_unloaded.push_back(m.rss_unloaded_mib);
          } else if (scenario.tail) {
            p99_slow.push_back(m.load.classes.back().latency.p99_ms);
            offered.push_back(m.load.offered_per_s);
            const std::vector<Measurement>& capacities = cell.capacity[variant];
            if (round < capacities.size() && capacities[round].ok()) {
              capacity.push_back(capacities[round].load.qps);
            }
            const std::vector<Measurement>& reference = cell.no_slow[variant];
            if (round < reference.size() && reference[round].ok() &&
                reference[round].fast_p99_ms() > 0) {
              p99_no_slow.push_back(reference[round].fast_p99_ms());
              ratios.push_back(m.fast_p99_ms() / reference[round].fast_p99_ms());
            }
          } else {
            // Streams compare messages/s, everything else calls/s.
            auto rate = [&scenario](const Measurement& x) {
              return scenario.streaming ? x.load.messages_per_s : x.load.qps;
            };
            // The ratio of this round's rate to `other`'s in the same round, if it measured.
            auto ratio_to = [&](const std::string& other) -> std::optional<double> {
              auto base = cell.with_mix.find(other);
              if (base == cell.with_mix.end() || round >= base->second.size() ||
                  !base->second[round].ok() || rate(base->second[round]) <= 0) {
                return std::nullopt;
              }
              return rate(m) / rate(base->second[round]);
            };
            if (auto ratio = ratio_to(row.baseline)) ratios.push_back(*ratio);
            if (scenario.shadow) {
              auto base = cell.with_mix.find(row.baseline);
              if (base != cell.with_mix.end() && round < base->second.size() &&
                  base->second[round].ok() && base->second[round].load.latency.p99_ms > 0) {
                p99_ratios.push_back(m.load.latency.p99_ms /
                                     base->second[round].load.latency.p99_ms);
              }
              if (m.shadow) {
                if (!row.shadow) row.shadow.emplace();
                *row.shadow += *m.shadow;
              }
            }
            if (scenario.streaming) {
              if (auto ratio = ratio_to("grpc-sync")) ratios_vs_sync.push_back(*ratio);
            }
          }
        }
        if (scenario.tail) {
          for (const Measurement& m : cell.capacity[variant]) {
            if (!m.ok()) row.failures.push_back("capacity: " + m.failure);
          }
          for (const Measurement& m : cell.no_slow[variant]) {
            if (!m.ok()) row.failures.push_back("no-slow reference: " + m.failure);
          }
        }
        row.qps = Median(qps);
        if (scenario.streaming && !msgs.empty()) {
          row.msgs_per_s = Median(msgs);
          row.mib_per_s = Median(mib);
        }
        row.p50_ms = Median(p50);
        row.p90_ms = Median(p90);
        row.p99_ms = Median(p99);
        row.server_cpu_s = Median(cpu);
        row.cpu_us_per_call = Median(cpu_per_call);
        row.client_cpu_s = Median(client_cpu);
        row.errors_by_code.assign(errors.begin(), errors.end());
        if (!ratios.empty()) row.ratio_vs_baseline = Median(ratios);
        if (!ratios_vs_sync.empty()) row.ratio_vs_grpc_sync = Median(ratios_vs_sync);
        if (!p99_ratios.empty()) row.p99_ratio_vs_baseline = Median(p99_ratios);
        if (scenario.idle && row.rounds > 0) {
          row.idle_core_share = row.server_cpu_s / absl::ToDoubleSeconds(options.duration);
        }
        if (!p99_slow.empty()) row.p99_slow_ms = Median(p99_slow);
        if (!p99_no_slow.empty()) row.p99_fast_no_slow_ms = Median(p99_no_slow);
        if (!capacity.empty()) row.capacity_per_s = Median(capacity);
        if (!offered.empty()) row.offered_per_s = Median(offered);
        if (scenario.overload) {
          if (!ratios.empty()) row.goodput_ratio = Median(ratios);
          if (!p99_unloaded.empty()) row.p99_unloaded_ms = Median(p99_unloaded);
          if (!p99_reject.empty()) row.p99_reject_ms = Median(p99_reject);
          if (!rss_unloaded.empty()) row.rss_unloaded_mib = Median(rss_unloaded);
        }
        rows.push_back(std::move(row));
      }
    }
  }
  return rows;
}

}  // namespace tandem::bench
