#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tandem::bench {
namespace {

bool Measured(const Row& row) { return row.available && row.rounds > 0; }

std::string Ms(double ms) {
  return ms < 1 ? absl::StrFormat("%.3f", ms) : absl::StrFormat("%.2f", ms);
}

// One column of the tables, text and Markdown alike.
struct Column {
  std::string header;
  std::function<std::string(const Row&)> cell;  // only called for measured rows
  bool left = false;
};

std::vector<Column> ColumnsFor(const Scenario& scenario) {
  if (scenario.idle) {
    return {
        {"variant", [](const Row& r) { return r.variant; }, true},
        {"CPU s", [](const Row& r) { return absl::StrFormat("%.3f", r.server_cpu_s); }},
        {"% of a core", [](const Row& r) {
           return r.idle_core_share ? absl::StrFormat("%.2f%%", *r.idle_core_share * 100)
                                    : std::string("-");
         }},
        {"RSS MiB", [](const Row& r) { return absl::StrFormat("%.1f", r.rss_mib); }},
        {"threads", [](const Row& r) { return absl::StrCat(r.threads); }},
    };
  }
  // Open-loop scenarios: the capacity measured first and the rate offered, before calls/s.
  const std::vector<Column> capacity_columns = {
      {"capacity/s", [](const Row& r) {
         return r.capacity_per_s ? absl::StrFormat("%.0f", *r.capacity_per_s) : std::string("-");
       }},
      {"offered/s", [](const Row& r) {
         return r.offered_per_s ? absl::StrFormat("%.0f", *r.offered_per_s) : std::string("-");
       }},
  };
  std::vector<Column> columns = {
      {"variant", [](const Row& r) { return r.variant; }, true},
      {"c", [](const Row& r) { return absl::StrCat(r.concurrency); }},
      {"calls/s", [](const Row& r) { return absl::StrFormat("%.0f", r.qps); }},
      {"ratio", [](const Row& r) {
         return r.ratio_vs_baseline ? absl::StrFormat("%.2fx", *r.ratio_vs_baseline)
                                    : std::string("-");
       }},
      {"p50 ms", [](const Row& r) { return Ms(r.p50_ms); }},
      {"p90 ms", [](const Row& r) { return Ms(r.p90_ms); }},
      {"p99 ms", [](const Row& r) { return Ms(r.p99_ms); }},
      {"max ms", [](const Row& r) { return Ms(r.max_ms); }},
  };
  if (scenario.streaming) {
    // After calls/s: messages are what the ratios compare.
    columns.insert(columns.begin() + 3,
                   {{"msgs/s", [](const Row& r) { return absl::StrFormat("%.0f", *r.msgs_per_s); }},
                    {"MiB/s", [](const Row& r) { return absl::StrFormat("%.1f", *r.mib_per_s); }}});
    columns.insert(columns.begin() + 6, {"vs sync", [](const Row& r) {
                                           return r.ratio_vs_grpc_sync
                                                      ? absl::StrFormat("%.2fx",
                                                                        *r.ratio_vs_grpc_sync)
                                                      : std::string("-");
                                         }});
  }
  if (scenario.tail) {
    columns.push_back({"p99 no-slow ms", [](const Row& r) {
                         return r.p99_fast_no_slow_ms ? Ms(*r.p99_fast_no_slow_ms) : "-";
                       }});
    columns.push_back({"p99 slow ms", [](const Row& r) {
                         return r.p99_slow_ms ? Ms(*r.p99_slow_ms) : "-";
                       }});
    // Before calls/s, which is then the rate achieved.
    columns.insert(columns.begin() + 2, capacity_columns.begin(), capacity_columns.end());
  }
  if (scenario.shadow) {
    // After p99: the p99 ratio, and whether the row meets issue 13's targets.
    columns.insert(columns.begin() + 7,
                   {{"p99 ratio", [](const Row& r) {
                       return r.p99_ratio_vs_baseline
                                  ? absl::StrFormat("%.2fx", *r.p99_ratio_vs_baseline)
                                  : std::string("-");
                     }},
                    {"targets", [](const Row& r) {
                       if (r.variant == r.baseline) return std::string("-");
                       const std::optional<bool> met = MeetsShadowTargets(r);
                       return !met ? std::string("-") : *met ? std::string("met")
                                                             : std::string("MISSED");
                     }}});
  }
  if (scenario.overload) {
    auto optional_ms = [](const std::optional<double>& ms) { return ms ? Ms(*ms) : "-"; };
    // The ratio column is the goodput; calls/s is the goodput in calls.
    columns.insert(columns.begin() + 2, capacity_columns.begin(), capacity_columns.end());
    columns.push_back({"p99 unloaded ms",
                       [optional_ms](const Row& r) { return optional_ms(r.p99_unloaded_ms); }});
    columns.push_back({"p99 reject ms",
                       [optional_ms](const Row& r) { return optional_ms(r.p99_reject_ms); }});
    columns.push_back({"RSS before MiB", [](const Row& r) {
                         return r.rss_unloaded_mib ? absl::StrFormat("%.1f", *r.rss_unloaded_mib)
                                                   : std::string("-");
                       }});
  }
  columns.push_back(
      {"CPU s", [](const Row& r) { return absl::StrFormat("%.2f", r.server_cpu_s); }});
  columns.push_back({scenario.streaming ? "CPU µs/msg" : "CPU µs/call",
                     [](const Row& r) { return absl::StrFormat("%.1f", r.cpu_us_per_call); }});
  columns.push_back({"RSS MiB", [](const Row& r) { return absl::StrFormat("%.1f", r.rss_mib); }});
  columns.push_back({"threads", [](const Row& r) { return absl::StrCat(r.threads); }});
  columns.push_back({"errors", [](const Row& r) {
                       if (r.errors == 0) return std::string("0");
                       std::vector<std::string> codes;
                       for (const auto& [code, count] : r.errors_by_code) {
                         codes.push_back(absl::StrCat(code, "=", count));
                       }
                       return absl::StrCat(r.errors, " (", absl::StrJoin(codes, " "), ")");
                     }});
  if (scenario.shadow) {
    // The server's own counts, summed over rounds (warm-up and draining included).
    auto count = [](uint64_t ShadowCounts::*field) {
      return [field](const Row& r) {
        return r.shadow ? absl::StrCat((*r.shadow).*field) : std::string("-");
      };
    };
    columns.push_back({"server calls", count(&ShadowCounts::calls)});
    // The share the candidate really ran on: the rest were skipped at the in-flight bound.
    columns.push_back({"shadowed", [](const Row& r) {
                         if (!r.shadow || r.shadow->calls == 0) return std::string("-");
                         const ShadowCounts& c = *r.shadow;
                         return absl::StrFormat("%.1f%%", 100.0 * (c.calls - c.skipped) / c.calls);
                       }});
    columns.push_back({"matches", count(&ShadowCounts::matches)});
    columns.push_back({"mismatches", count(&ShadowCounts::mismatches)});
    columns.push_back({"cand. errors", count(&ShadowCounts::candidate_errors)});
    columns.push_back({"skipped", count(&ShadowCounts::skipped)});
  }
  return columns;
}

std::string WhyNotMeasured(const Row& row) {
  if (!row.available) return "not available in this build";
  return absl::StrCat("not measured: ", absl::StrJoin(row.failures, "; "));
}

std::vector<const Row*> RowsOf(const Scenario& scenario, const std::vector<Row>& rows) {
  std::vector<const Row*> of;
  for (const Row& row : rows) {
    if (row.scenario == scenario.name) of.push_back(&row);
  }
  return of;
}

std::string Heading(const Scenario& scenario) {
  return absl::StrCat(scenario.name, ": ", scenario.title);
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "null";
  return absl::StrFormat("%.6g", *value);
}

}  // namespace

std::string FormatTable(const std::vector<Scenario>& scenarios, const std::vector<Row>& rows) {
  std::string out;
  for (const Scenario& scenario : scenarios) {
    std::vector<const Row*> of = RowsOf(scenario, rows);
    if (of.empty()) continue;
    const std::vector<Column> columns = ColumnsFor(scenario);
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> widths;
    for (const Column& column : columns) widths.push_back(column.header.size());
    for (const Row* row : of) {
      std::vector<std::string> line;
      if (Measured(*row)) {
        for (size_t i = 0; i < columns.size(); ++i) {
          line.push_back(columns[i].cell(*row));
          widths[i] = std::max(widths[i], line.back().size());
        }
      } else {
        line = {row->variant, absl::StrCat(row->concurrency), WhyNotMeasured(*row)};
        widths[0] = std::max(widths[0], line[0].size());
      }
      cells.push_back(std::move(line));
    }
    absl::StrAppend(&out, "\n== ", Heading(scenario), "\n   ratio: ", scenario.ratio_meaning,
                    "\n");
    auto append_line = [&](const std::vector<std::string>& line) {
      std::string text;
      for (size_t i = 0; i < line.size(); ++i) {
        // The last cell of an unmeasured row is free text: no padding.
        const bool free_text = line.size() != columns.size() && i + 1 == line.size();
        if (free_text) {
          absl::StrAppend(&text, "  ", line[i]);
        } else if (columns[i].left) {
          absl::StrAppend(&text, absl::StrFormat("%-*s", widths[i], line[i]));
        } else {
          absl::StrAppend(&text, absl::StrFormat("  %*s", widths[i], line[i]));
        }
      }
      absl::StrAppend(&out, text, "\n");
    };
    std::vector<std::string> headers;
    for (const Column& column : columns) headers.push_back(column.header);
    append_line(headers);
    for (const auto& line : cells) append_line(line);
  }
  return out;
}

std::string FormatJson(const Row& row) {
  const bool measured = Measured(row);
  auto number = [measured](double value) {
    return measured ? JsonNumber(value) : std::string("null");
  };
  std::vector<std::string> fields = {
      absl::StrCat("\"scenario\":", JsonString(row.scenario)),
      absl::StrCat("\"variant\":", JsonString(row.variant)),
      absl::StrCat("\"concurrency\":", row.concurrency),
      absl::StrCat("\"available\":", row.available ? "true" : "false"),
      absl::StrCat("\"rounds\":", row.rounds),
      absl::StrCat("\"qps\":", number(row.qps)),
      absl::StrCat("\"p50_ms\":", number(row.p50_ms)),
      absl::StrCat("\"p90_ms\":", number(row.p90_ms)),
      absl::StrCat("\"p99_ms\":", number(row.p99_ms)),
      absl::StrCat("\"max_ms\":", number(row.max_ms)),
      absl::StrCat("\"rss_mib\":", number(row.rss_mib)),
      absl::StrCat("\"threads\":", measured ? absl::StrCat(row.threads) : "null"),
      absl::StrCat("\"errors\":", measured ? absl::StrCat(row.errors) : "null"),
  };
  std::vector<std::string> codes;
  for (const auto& [code, count] : row.errors_by_code) {
    codes.push_back(absl::StrCat(JsonString(code), ":", count));
  }
  fields.push_back(absl::StrCat("\"errors_by_code\":{", absl::StrJoin(codes, ","), "}"));
  fields.push_back(absl::StrCat("\"ratio_vs_baseline\":", JsonNumber(row.ratio_vs_baseline)));
  fields.push_back(absl::StrCat("\"baseline\":", JsonString(row.baseline)));
  fields.push_back(absl::StrCat("\"server_cpu_s\":", number(row.server_cpu_s)));
  fields.push_back(absl::StrCat("\"cpu_us_per_call\":", number(row.cpu_us_per_call)));
  fields.push_back(absl::StrCat("\"client_cpu_s\":", number(row.client_cpu_s)));
  if (row.msgs_per_s) {
    fields.push_back(absl::StrCat("\"msgs_per_s\":", number(*row.msgs_per_s)));
    fields.push_back(absl::StrCat("\"mib_per_s\":", number(*row.mib_per_s)));
    fields.push_back("\"ratio_of\":\"messages/s\"");
    fields.push_back(
        absl::StrCat("\"ratio_vs_grpc_sync\":", JsonNumber(row.ratio_vs_grpc_sync)));
  }
  if (row.idle_core_share) {
    fields.push_back(absl::StrCat("\"idle_core_share\":", JsonNumber(row.idle_core_share)));
  }
  if (row.slow_share > 0) {
    fields.push_back("\"latency_of\":\"fast calls\"");
    fields.push_back(absl::StrCat("\"slow_share\":", JsonNumber(row.slow_share)));
    fields.push_back(absl::StrCat("\"p99_fast_no_slow_ms\":", JsonNumber(row.p99_fast_no_slow_ms)));
    fields.push_back(absl::StrCat("\"p99_slow_ms\":", JsonNumber(row.p99_slow_ms)));
    fields.push_back(absl::StrCat("\"capacity_per_s\":", JsonNumber(row.capacity_per_s)));
    fields.push_back(absl::StrCat("\"offered_per_s\":", JsonNumber(row.offered_per_s)));
  }
  if (row.p99_ratio_vs_baseline) {
    fields.push_back(
        absl::StrCat("\"p99_ratio_vs_baseline\":", JsonNumber(row.p99_ratio_vs_baseline)));
    const std::optional<bool> met = row.variant == row.baseline ? std::nullopt
                                                                : MeetsShadowTargets(row);
    fields.push_back(absl::StrCat("\"meets_targets\":", !met ? "null" : *met ? "true" : "false"));
  }
  if (row.shadow) {
    const ShadowCounts& c = *row.shadow;
    fields.push_back(absl::StrCat(
        "\"shadow\":{\"calls\":", c.calls, ",\"matches\":", c.matches, ",\"mismatches\":",
        c.mismatches, ",\"candidate_errors\":", c.candidate_errors, ",\"skipped\":", c.skipped,
        ",\"in_flight\":", c.in_flight, ",\"candidate_executor\":",
        JsonString(c.candidate_executor), "}"));
  }
  if (row.goodput_ratio || row.p99_unloaded_ms) {
    fields.push_back(absl::StrCat("\"goodput_ratio\":", JsonNumber(row.goodput_ratio)));
    fields.push_back(absl::StrCat("\"p99_ok_ms\":", number(row.p99_ms)));
    fields.push_back(absl::StrCat("\"p99_unloaded_ms\":", JsonNumber(row.p99_unloaded_ms)));
    fields.push_back(absl::StrCat("\"p99_reject_ms\":", JsonNumber(row.p99_reject_ms)));
    fields.push_back(absl::StrCat("\"rss_unloaded_mib\":", JsonNumber(row.rss_unloaded_mib)));
    fields.push_back(absl::StrCat("\"capacity_per_s\":", JsonNumber(row.capacity_per_s)));
    fields.push_back(absl::StrCat("\"offered_per_s\":", JsonNumber(row.offered_per_s)));
  }
  std::vector<std::string> failures;
  for (const std::string& failure : row.failures) failures.push_back(JsonString(failure));
  fields.push_back(absl::StrCat("\"failures\":[", absl::StrJoin(failures, ","), "]"));
  return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
}

namespace {

const char* ResultName(TargetCheck::Result result) {
  switch (result) {
    case TargetCheck::Result::kMet:
      return "met";
    case TargetCheck::Result::kMissed:
      return "MISSED";
    case TargetCheck::Result::kNotMeasured:
      return "not measured";
  }
  return "?";
}

}  // namespace

std::string FormatTargets(const std::vector<TargetCheck>& checks) {
  std::string out = "\n== targets (issues 5, 9, 10, 12 and 13)\n";
  for (const TargetCheck& check : checks) {
    if (check.result == TargetCheck::Result::kNotMeasured) {
      absl::StrAppend(&out, absl::StrFormat("  %-12s %-8s %s (%s)\n", ResultName(check.result),
                                            "", check.target, check.measured));
    } else {
      absl::StrAppend(&out, absl::StrFormat("  %-12s %-8s %s\n", ResultName(check.result),
                                            check.measured, check.target));
    }
  }
  return out;
}

std::string FormatMarkdown(const RunInfo& info, const std::vector<Scenario>& scenarios,
                           const std::vector<Row>& rows, const std::vector<TargetCheck>& checks) {
  std::string out = absl::StrCat(
      "# Tandem benchmarks\n\n"
      "Written by the bench command (`tools/dev bench`, source in `tools/bench/`), not by hand: "
      "rerun it to refresh this file.\n\n"
      "Each row is one server variant in a process of its own, driven on loopback by a closed-loop "
      "gRPC callback-API client with a fixed number of calls in flight (c); the tail scenario "
      "drives it open-loop at a fixed rate instead (see there). Variants are "
      "interleaved round by round, and each ratio compares two measurements of the same round: on "
      "a shared machine absolute numbers drift from run to run, ratios taken together hold. "
      "Figures are medians over rounds, except max latency, peak RSS (VmHWM) and threads, which "
      "are the largest seen; a ratio is the median of the per-round ratios, so it need not equal "
      "the quotient of two median calls/s when a round ran slow for everyone. Server CPU is the server process's user + system time inside the "
      "measurement window; the client shares the machine's cores with it.\n\n"
      "## Run\n\n"
      "| | |\n|---|---|\n",
      "| Date | ", info.date, " |\n",
      "| Machine | ", info.machine, " |\n",
      "| Load average (1 min) before / after | ", info.load_average, " |\n",
      "| Build | ", info.build, " |\n",
      "| Mode | ", info.mode, " |\n",
      "| Reproduce | ", info.command, " |\n\n");

  absl::StrAppend(&out, "## Targets (issues 5, 9, 10, 12 and 13)\n\n| target | measured | result |\n|---|---|---|\n");
  for (const TargetCheck& check : checks) {
    absl::StrAppend(&out, "| ", check.target, " | ", check.measured, " | ",
                    ResultName(check.result), " |\n");
  }
  absl::StrAppend(&out, "\n");

  for (const Scenario& scenario : scenarios) {
    std::vector<const Row*> of = RowsOf(scenario, rows);
    if (of.empty()) continue;
    absl::StrAppend(&out, "## ", Heading(scenario), "\n\nRatio: ", scenario.ratio_meaning, ".");
    if (scenario.tail) {
      absl::StrAppend(
          &out,
          " Open loop: `capacity/s` is the variant's own closed-loop rate of fast calls at this "
          "concurrency, measured first in each round; calls are then sent at a fixed rate of half "
          "that (`offered/s`) whatever the server does, and `calls/s` is the rate achieved. "
          "Latency runs from each call's intended send time, so a server that falls behind shows "
          "in it. Latency columns are of the fast calls; `p99 slow` is of the 100 ms calls.");
    }
    if (scenario.shadow) {
      absl::StrAppend(
          &out,
          " Each tandem-<style>-shadowed server shadows every Echo call (share 1.0, at most 64 "
          "candidate calls in flight: ShadowOptions' default) to a coroutine echo on a "
          "CoroutineLoop of its own: after the primary has answered, the request and response "
          "move into the candidate's call, which runs on the loop, and its answer is compared "
          "with the primary's there. `targets`: ratio >= ",
          absl::StrFormat("%.1fx", kShadowMinRatio), " and p99 ratio <= ",
          absl::StrFormat("%.1fx", kShadowMaxP99Ratio),
          ". The last six columns are the server's own counts after each run, read through "
          "its admin service and summed over rounds (warm-up and draining included): every "
          "call is compared (a match, a mismatch or a candidate error) or skipped when the "
          "candidate calls in flight were at their bound; `shadowed` is the share compared.");
    }
    absl::StrAppend(&out, "\n\n");
    const std::vector<Column> columns = ColumnsFor(scenario);
    std::vector<std::string> headers, rules;
    for (const Column& column : columns) {
      headers.push_back(column.header);
      rules.push_back(column.left ? "---" : "---:");
    }
    absl::StrAppend(&out, "| ", absl::StrJoin(headers, " | "), " |\n|", absl::StrJoin(rules, "|"),
                    "|\n");
    std::vector<std::string> notes;
    for (const Row* row : of) {
      std::vector<std::string> line;
      if (Measured(*row)) {
        for (const Column& column : columns) line.push_back(column.cell(*row));
      } else {
        line = {row->variant, absl::StrCat(row->concurrency), WhyNotMeasured(*row)};
        line.resize(columns.size());
      }
      absl::StrAppend(&out, "| ", absl::StrJoin(line, " | "), " |\n");
      if (Measured(*row) && !row->failures.empty()) {
        notes.push_back(absl::StrCat(row->variant, " c=", row->concurrency, ": ",
                                     absl::StrJoin(row->failures, "; ")));
      }
    }
    for (const std::string& note : notes) absl::StrAppend(&out, "\nFailed rounds: ", note, "\n");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace tandem::bench
