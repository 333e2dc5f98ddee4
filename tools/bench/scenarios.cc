#include "tools/bench/scenarios.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tandem::bench {

std::vector<Scenario> AllScenarios() {
  std::vector<Scenario> scenarios;
  scenarios.push_back(Scenario{
      .name = "unary",
      .title = "64-byte echo",
      .payload_bytes = 64,
      .concurrency = {1, 64, 256},
      .variants = {"grpc-callback", "grpc-sync", "tandem-callback", "tandem-callback-metrics",
                   "tandem-coroutine", "tandem-blocking-threads", "tandem-blocking-fibers"},
      .mix = {CallClass{.name = "echo", .method = BenchMethod::kEcho}},
      .ratio_meaning = "calls/s ÷ grpc-callback's calls/s in the same round (higher is better)",
  });
  scenarios.push_back(Scenario{
      .name = "blocking-sleep",
      .title = "the handler waits 10 ms before it answers (64-byte payload)",
      .payload_bytes = 64,
      .concurrency = {1024},
      .variants = {"grpc-sync", "tandem-blocking-threads", "tandem-blocking-fibers",
                   "tandem-coroutine"},
      .mix = {CallClass{.name = "sleep",
                        .method = BenchMethod::kSleep,
                        .sleep = absl::Milliseconds(10)}},
      .ratio_meaning = "calls/s ÷ grpc-sync's calls/s in the same round (higher is better)",
  });
  scenarios.push_back(Scenario{
      .name = "stream",
      .title = "server streaming of 1 KiB messages, 1000 per call",
      .payload_bytes = 1024,
      .concurrency = {1, 16},
      .variants = {"grpc-callback", "grpc-sync", "tandem-callback", "tandem-coroutine",
                   "tandem-blocking-threads", "tandem-blocking-fibers"},
      .mix = {CallClass{.name = "stream",
                        .method = BenchMethod::kStream,
                        .stream_messages = 1000}},
      .streaming = true,
      .ratio_meaning = "messages/s ÷ grpc-callback's messages/s in the same round, and (vs sync) "
                       "÷ grpc-sync's (higher is better); latency is of whole calls",
  });
  scenarios.push_back(Scenario{
      .name = "idle",
      .title = "no calls: the server's CPU use while idle",
      .concurrency = {0},
      .variants = {"grpc-callback", "grpc-sync", "tandem-callback", "tandem-coroutine",
                   "tandem-blocking-threads", "tandem-blocking-fibers"},
      .idle = true,
      .ratio_meaning = "none; CPU time over the window ÷ the window, as % of one core (lower is "
                       "better)",
  });
  const std::vector<std::string> overload_variants = {
      "grpc-sync",
      "grpc-callback",
      "tandem-callback",
      "tandem-callback-limit",
      "tandem-coroutine",
      "tandem-coroutine-limit",
      "tandem-blocking-threads",
      "tandem-blocking-threads-limit",
      "tandem-blocking-fibers",
      "tandem-blocking-fibers-limit",
  };
  scenarios.push_back(Scenario{
      .name = "overload-cpu",
      .title = "2x capacity offered to a method that burns 1 ms of CPU (open loop, 1 s deadlines)",
      .payload_bytes = 64,
      .concurrency = {256},
      .variants = overload_variants,
      .mix = {CallClass{.name = "cpu", .method = BenchMethod::kEcho, .spin = absl::Milliseconds(1)}},
      .overload = true,
      .ratio_meaning = "goodput: OK calls/s under 2x overload ÷ the variant's own capacity "
                       "(higher is better)",
  });
  std::vector<std::string> wait_variants = overload_variants;
  // Tandem's callback bench service has no Sleep (it would need a timer of its own).
  std::erase_if(wait_variants, [](const std::string& v) { return v.starts_with("tandem-callback"); });
  scenarios.push_back(Scenario{
      .name = "overload-wait",
      .title = "2x capacity offered to a method that waits 10 ms (open loop, 1 s deadlines)",
      .payload_bytes = 64,
      .concurrency = {256},
      .variants = wait_variants,
      .mix = {CallClass{.name = "wait",
                        .method = BenchMethod::kSleep,
                        .sleep = absl::Milliseconds(10)}},
      .overload = true,
      .ratio_meaning = "goodput: OK calls/s under 2x overload ÷ the variant's own capacity "
                       "(higher is better)",
  });
  scenarios.push_back(Scenario{
      .name = "tail",
      .title = "99% fast echoes, 1% calls that take 100 ms (64-byte payload)",
      .payload_bytes = 64,
      .concurrency = {256},
      .variants = {"grpc-callback", "grpc-sync", "tandem-blocking-threads",
                   "tandem-blocking-threads-own-executor", "tandem-blocking-fibers",
                   "tandem-coroutine"},
      .mix = {CallClass{.name = "fast", .method = BenchMethod::kEcho, .share = 0.99},
              CallClass{.name = "slow",
                        .method = BenchMethod::kSleep,
                        .sleep = absl::Milliseconds(100),
                        .share = 0.01}},
      .tail = true,
      .ratio_meaning = "p99 of the fast calls ÷ the same variant's p99 with no slow calls at all, "
                       "in the same round (lower is better; 1.0 means slow calls cost fast ones "
                       "nothing)",
  });
  scenarios.push_back(Scenario{
      .name = "shadow",
      .title = "64-byte echo, every call shadowed to a coroutine echo on a CoroutineLoop of its "
               "own",
      .payload_bytes = 64,
      .concurrency = {64},
      .variants = {"tandem-callback", "tandem-callback-shadowed", "tandem-coroutine",
                   "tandem-coroutine-shadowed", "tandem-blocking-threads",
                   "tandem-blocking-threads-shadowed", "tandem-blocking-fibers",
                   "tandem-blocking-fibers-shadowed"},
      .mix = {CallClass{.name = "echo", .method = BenchMethod::kEcho}},
      .shadow = true,
      .ratio_meaning = "calls/s ÷ the same style's calls/s unshadowed (tandem-<style>) in the "
                       "same round (higher is better); p99 ratio likewise (lower is better)",
  });
  return scenarios;
}

std::optional<bool> MeetsShadowTargets(const Row& row) {
  if (!row.ratio_vs_baseline || !row.p99_ratio_vs_baseline) return std::nullopt;
  return *row.ratio_vs_baseline >= kShadowMinRatio &&
         *row.p99_ratio_vs_baseline <= kShadowMaxP99Ratio;
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const Scenario& scenario : AllScenarios()) names.push_back(scenario.name);
  return names;
}

namespace {

const Row* Find(const std::vector<Row>& rows, const std::string& scenario,
                const std::string& variant, int concurrency) {
  for (const Row& row : rows) {
    if (row.scenario == scenario && row.variant == variant && row.concurrency == concurrency &&
        row.available && row.rounds > 0) {
      return &row;
    }
  }
  return nullptr;
}

TargetCheck NotMeasured(std::string target, std::string why) {
  return TargetCheck{std::move(target), std::move(why), TargetCheck::Result::kNotMeasured};
}

TargetCheck Compare(std::string target, double value, bool met,
                    const absl::FormatSpec<double>& format) {
  return TargetCheck{std::move(target), absl::StrFormat(format, value),
                     met ? TargetCheck::Result::kMet : TargetCheck::Result::kMissed};
}

}  // namespace

std::vector<TargetCheck> CheckTargets(const std::vector<Row>& rows) {
  std::vector<TargetCheck> checks;
  const std::string not_run = "not measured in this run";

  // unary, at c=1, 64 and 256: calls/s, and at c=1 the tail too.
  const std::pair<const char*, double> unary_targets[] = {{"tandem-callback", 0.95},
                                                          {"tandem-coroutine", 0.90},
                                                          {"tandem-blocking-threads", 0.90},
                                                          {"tandem-blocking-fibers", 0.90}};
  for (int concurrency : {1, 64, 256}) {
    for (const auto& [variant, minimum] : unary_targets) {
      std::string target = absl::StrFormat("unary c=%d: %s >= %.2fx grpc-callback calls/s",
                                           concurrency, variant, minimum);
      const Row* row = Find(rows, "unary", variant, concurrency);
      if (row == nullptr || !row->ratio_vs_baseline) {
        checks.push_back(NotMeasured(std::move(target), not_run));
      } else {
        checks.push_back(Compare(std::move(target), *row->ratio_vs_baseline,
                                 *row->ratio_vs_baseline >= minimum, "%.2fx"));
      }
    }
  }
  const Row* callback_c1 = Find(rows, "unary", "grpc-callback", 1);
  for (const auto& [variant, minimum] : unary_targets) {
    std::string target =
        absl::StrFormat("unary c=1: %s p99 <= 1.5x grpc-callback's p99", variant);
    const Row* row = Find(rows, "unary", variant, 1);
    if (row == nullptr || callback_c1 == nullptr || callback_c1->p99_ms <= 0) {
      checks.push_back(NotMeasured(std::move(target), not_run));
    } else {
      const double ratio = row->p99_ms / callback_c1->p99_ms;
      checks.push_back(Compare(std::move(target), ratio, ratio <= 1.5, "%.2fx"));
    }
  }

  // unary, c=64: the cost of metrics on. Both variants' ratios are to grpc-callback in the same
  // round, so their quotient compares them within a round too.
  {
    std::string target =
        "unary c=64: tandem-callback-metrics (exported, scraped every second) >= 0.97x "
        "tandem-callback calls/s";
    const Row* metrics = Find(rows, "unary", "tandem-callback-metrics", 64);
    const Row* plain = Find(rows, "unary", "tandem-callback", 64);
    if (metrics == nullptr || plain == nullptr || !metrics->ratio_vs_baseline ||
        !plain->ratio_vs_baseline || *plain->ratio_vs_baseline <= 0) {
      checks.push_back(NotMeasured(std::move(target), not_run));
    } else {
      const double ratio = *metrics->ratio_vs_baseline / *plain->ratio_vs_baseline;
      checks.push_back(Compare(std::move(target), ratio, ratio >= 0.97, "%.3fx"));
    }
  }

  // blocking-sleep: the fiber pool against grpc-sync.
  const Row* fibers = Find(rows, "blocking-sleep", "tandem-blocking-fibers", 1024);
  const Row* sync = Find(rows, "blocking-sleep", "grpc-sync", 1024);
  const Row* fibers_unary = Find(rows, "unary", "tandem-blocking-fibers", 256);
  bool fibers_unavailable = false;
  for (const Row& row : rows) {
    fibers_unavailable |= row.variant == "tandem-blocking-fibers" && !row.available;
  }
  const std::string fiber_why = fibers_unavailable
                                    ? "tandem-blocking-fibers is not available in this build"
                                    : "blocking-sleep at c=1024 not measured in this run";
  {
    std::string target = "blocking-sleep: tandem-blocking-fibers >= 1.5x grpc-sync calls/s";
    if (fibers == nullptr || !fibers->ratio_vs_baseline) {
      checks.push_back(NotMeasured(std::move(target), fiber_why));
    } else {
      checks.push_back(Compare(std::move(target), *fibers->ratio_vs_baseline,
                               *fibers->ratio_vs_baseline >= 1.5, "%.2fx"));
    }
  }
  {
    std::string target = "blocking-sleep: tandem-blocking-fibers peak RSS <= 0.5x grpc-sync's";
    if (fibers == nullptr || sync == nullptr || sync->rss_mib <= 0) {
      checks.push_back(NotMeasured(std::move(target), fiber_why));
    } else {
      const double ratio = fibers->rss_mib / sync->rss_mib;
      checks.push_back(Compare(std::move(target), ratio, ratio <= 0.5, "%.2fx"));
    }
  }
  {
    std::string target = "blocking-sleep: tandem-blocking-fibers <= 16 threads";
    if (fibers == nullptr) {
      checks.push_back(NotMeasured(std::move(target), fiber_why));
    } else {
      checks.push_back(
          Compare(std::move(target), fibers->threads, fibers->threads <= 16, "%.0f threads"));
    }
  }
  {
    std::string target =
        "blocking-sleep: tandem-blocking-fibers calls/s >= 0.9x its own unary calls/s at c=256";
    if (fibers == nullptr || fibers_unary == nullptr || fibers_unary->qps <= 0) {
      checks.push_back(NotMeasured(std::move(target), fibers == nullptr
                                                          ? fiber_why
                                                          : "unary c=256 not measured in this run"));
    } else {
      const double ratio = fibers->qps / fibers_unary->qps;
      checks.push_back(Compare(std::move(target), ratio, ratio >= 0.9, "%.2fx"));
    }
  }

  // stream, at every concurrency measured: at least grpc-callback's rate, and the aim of 0.9x
  // the faster of grpc-callback and grpc-sync.
  for (const char* variant : {"tandem-callback", "tandem-coroutine", "tandem-blocking-threads",
                              "tandem-blocking-fibers"}) {
    bool any = false;
    for (const Row& row : rows) {
      if (row.scenario != "stream" || row.variant != variant) continue;
      any = true;
      const bool measured = row.available && row.rounds > 0 && row.ratio_vs_baseline;
      std::string target = absl::StrFormat("stream c=%d: %s >= 1.00x grpc-callback messages/s",
                                           row.concurrency, variant);
      if (!measured) {
        checks.push_back(NotMeasured(std::move(target), not_run));
      } else {
        checks.push_back(Compare(std::move(target), *row.ratio_vs_baseline,
                                 *row.ratio_vs_baseline >= 1.0, "%.2fx"));
      }
      std::string aim = absl::StrFormat(
          "stream c=%d: %s >= 0.90x the faster of grpc-callback and grpc-sync (aim)",
          row.concurrency, variant);
      if (!measured || !row.ratio_vs_grpc_sync) {
        checks.push_back(NotMeasured(std::move(aim), not_run));
      } else {
        const double ratio = std::min(*row.ratio_vs_baseline, *row.ratio_vs_grpc_sync);
        checks.push_back(Compare(std::move(aim), ratio, ratio >= 0.9, "%.2fx"));
      }
    }
    if (!any) {
      checks.push_back(NotMeasured(
          absl::StrFormat("stream: %s >= 1.00x grpc-callback messages/s", variant), not_run));
    }
  }

  // idle.
  for (const char* variant : {"tandem-callback", "tandem-coroutine", "tandem-blocking-threads",
                              "tandem-blocking-fibers"}) {
    std::string target = absl::StrFormat("idle: %s < 1%% of a core with no calls", variant);
    const Row* row = Find(rows, "idle", variant, 0);
    if (row == nullptr || !row->idle_core_share) {
      checks.push_back(NotMeasured(std::move(target), not_run));
    } else {
      checks.push_back(Compare(std::move(target), *row->idle_core_share * 100,
                               *row->idle_core_share < 0.01, "%.2f%%"));
    }
  }

  // tail.
  {
    std::string target =
        "tail (open loop): fast-call p99 with the slow method on its own executor "
        "(tandem-blocking-threads-own-executor) <= 2x its p99 with no slow calls";
    const Row* row = Find(rows, "tail", "tandem-blocking-threads-own-executor", 256);
    if (row == nullptr || !row->ratio_vs_baseline) {
      checks.push_back(NotMeasured(std::move(target), not_run));
    } else {
      checks.push_back(Compare(std::move(target), *row->ratio_vs_baseline,
                               *row->ratio_vs_baseline <= 2.0, "%.2fx"));
    }
  }

  // shadow: at c=64 (the point), calls/s and p99 against the same style unshadowed; at
  // any concurrency, every call compared alike or skipped.
  for (const char* style : {"tandem-callback", "tandem-coroutine", "tandem-blocking-threads",
                            "tandem-blocking-fibers"}) {
    const std::string variant = absl::StrCat(style, kShadowedSuffix);
    const Row* row = Find(rows, "shadow", variant, 64);
    std::string target = absl::StrFormat("shadow c=64: %s >= %.2fx %s calls/s", variant,
                                         kShadowMinRatio, style);
    if (row == nullptr || !row->ratio_vs_baseline) {
      checks.push_back(NotMeasured(std::move(target), not_run));
    } else {
      checks.push_back(Compare(std::move(target), *row->ratio_vs_baseline,
                               *row->ratio_vs_baseline >= kShadowMinRatio, "%.2fx"));
    }
    target = absl::StrFormat("shadow c=64: %s p99 <= %.1fx %s's p99", variant, kShadowMaxP99Ratio,
                             style);
    if (row == nullptr || !row->p99_ratio_vs_baseline) {
      checks.push_back(NotMeasured(std::move(target), not_run));
    } else {
      checks.push_back(Compare(std::move(target), *row->p99_ratio_vs_baseline,
                               *row->p99_ratio_vs_baseline <= kShadowMaxP99Ratio, "%.2fx"));
    }
    for (const Row& counted : rows) {
      if (counted.scenario != "shadow" || counted.variant != variant) continue;
      target = absl::StrFormat(
          "shadow c=%d: %s's candidate (an identical echo) matches every call it was given, "
          "and every call is compared or skipped",
          counted.concurrency, variant);
      if (!counted.shadow) {
        checks.push_back(NotMeasured(std::move(target), not_run));
        continue;
      }
      const ShadowCounts& c = *counted.shadow;
      const bool met = c.mismatches == 0 && c.candidate_errors == 0 && c.in_flight == 0 &&
                       c.matches + c.skipped == c.calls && c.calls > 0;
      checks.push_back(TargetCheck{
          std::move(target),
          absl::StrFormat("%d of %d matched, %d skipped; %d mismatches, %d candidate errors",
                          c.matches, c.calls, c.skipped, c.mismatches, c.candidate_errors),
          met ? TargetCheck::Result::kMet : TargetCheck::Result::kMissed});
    }
  }

  // overload: Tandem with the adaptive limit, in each style.
  for (const char* scenario : {"overload-cpu", "overload-wait"}) {
    for (const char* variant : {"tandem-callback-limit", "tandem-coroutine-limit",
                                "tandem-blocking-threads-limit", "tandem-blocking-fibers-limit"}) {
      bool listed = false;
      for (const Scenario& s : AllScenarios()) {
        if (s.name == scenario) {
          listed = std::find(s.variants.begin(), s.variants.end(), variant) != s.variants.end();
        }
      }
      if (!listed) continue;
      const Row* row = Find(rows, scenario, variant, 256);
      auto check = [&](std::string target, std::optional<double> value, double limit,
                       bool at_least, const absl::FormatSpec<double>& format) {
        target = absl::StrCat(scenario, ": ", variant, " ", target);
        if (row == nullptr || !value) {
          checks.push_back(NotMeasured(std::move(target), not_run));
        } else {
          checks.push_back(Compare(std::move(target), *value,
                                   at_least ? *value >= limit : *value <= limit, format));
        }
      };
      auto ratio = [](std::optional<double> a, std::optional<double> b) -> std::optional<double> {
        if (!a || !b || *b <= 0) return std::nullopt;
        return *a / *b;
      };
      check("goodput >= 0.9x capacity", row ? row->goodput_ratio : std::nullopt, 0.9, true,
            "%.2fx");
      check("p99 of OK calls <= 3x unloaded p99",
            row ? ratio(row->p99_ms, row->p99_unloaded_ms) : std::nullopt, 3.0, false, "%.2fx");
      check("p99 of rejections <= 5 ms", row ? row->p99_reject_ms : std::nullopt, 5.0, false,
            "%.2f ms");
      check("peak RSS <= 1.5x unloaded",
            row ? ratio(row->rss_mib, row->rss_unloaded_mib) : std::nullopt, 1.5, false,
            "%.2fx");
    }
  }
  return checks;
}

}  // namespace tandem::bench
