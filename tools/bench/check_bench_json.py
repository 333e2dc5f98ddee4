"""Checks the bench's --json output (one object per line) and the BENCHMARKS.md it wrote.

usage: check_bench_json.py BENCH_JSONL BENCHMARKS_MD

Every line must parse and carry the fields issue 5 asks for; every scenario must list its variants
by the issue's names; every variant this build serves must have been measured, with no failed
call, and every row's ratio must be a number when its baseline was measured too. In the shadow
scenario (issue 13), each tandem-<style>-shadowed row compares with tandem-<style>, and the
server's counters show every call compared or skipped, and every compared call a match (the
candidate is an identical echo).
"""
import json
import math
import sys

REQUIRED = ["scenario", "variant", "concurrency", "qps", "p50_ms", "p99_ms", "rss_mib",
            "threads", "errors", "ratio_vs_baseline"]

VARIANTS = {
    "unary": ["grpc-callback", "grpc-sync", "tandem-callback", "tandem-callback-metrics",
              "tandem-coroutine", "tandem-blocking-threads", "tandem-blocking-fibers"],
    "blocking-sleep": ["grpc-sync", "tandem-blocking-threads", "tandem-blocking-fibers",
                       "tandem-coroutine"],
    "stream": ["grpc-callback", "grpc-sync", "tandem-callback", "tandem-coroutine",
               "tandem-blocking-threads", "tandem-blocking-fibers"],
    "idle": ["grpc-callback", "grpc-sync", "tandem-callback", "tandem-coroutine",
             "tandem-blocking-threads", "tandem-blocking-fibers"],
    "tail": ["grpc-callback", "grpc-sync", "tandem-blocking-threads",
             "tandem-blocking-threads-own-executor", "tandem-blocking-fibers",
             "tandem-coroutine"],
    "overload-cpu": ["grpc-sync", "grpc-callback", "tandem-callback", "tandem-callback-limit",
                     "tandem-coroutine", "tandem-coroutine-limit", "tandem-blocking-threads",
                     "tandem-blocking-threads-limit", "tandem-blocking-fibers",
                     "tandem-blocking-fibers-limit"],
    "overload-wait": ["grpc-sync", "grpc-callback", "tandem-coroutine", "tandem-coroutine-limit",
                      "tandem-blocking-threads", "tandem-blocking-threads-limit",
                      "tandem-blocking-fibers", "tandem-blocking-fibers-limit"],
    "shadow": ["tandem-callback", "tandem-callback-shadowed", "tandem-coroutine",
               "tandem-coroutine-shadowed", "tandem-blocking-threads",
               "tandem-blocking-threads-shadowed", "tandem-blocking-fibers",
               "tandem-blocking-fibers-shadowed"],
}

SHADOWED = "-shadowed"

OVERLOAD_FIELDS = ["goodput_ratio", "p99_ok_ms", "p99_unloaded_ms", "p99_reject_ms",
                   "capacity_per_s", "offered_per_s", "rss_unloaded_mib"]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_shadow_row(where, row):
    """A shadow row: its baseline, its p99 ratio, and for a shadowed variant the counters."""
    variant = row["variant"]
    shadowed = variant.endswith(SHADOWED)
    expected_baseline = variant[:-len(SHADOWED)] if shadowed else variant
    if row["baseline"] != expected_baseline:
        fail(where + ": baseline %r, expected %r" % (row["baseline"], expected_baseline))
    if not is_number(row.get("p99_ratio_vs_baseline")):
        fail(where + ": p99_ratio_vs_baseline is %r" % row.get("p99_ratio_vs_baseline"))
    if not shadowed:
        if row.get("shadow") is not None:
            fail(where + ": an unshadowed variant has shadow counters")
        return
    if row.get("meets_targets") not in (True, False):
        fail(where + ": meets_targets is %r" % row.get("meets_targets"))
    counts = row.get("shadow")
    if not isinstance(counts, dict):
        fail(where + ": no shadow counters (the server's admin service was not read)")
    if counts["calls"] <= 0:
        fail(where + ": the server counted no calls: %r" % counts)
    if counts["in_flight"] != 0:
        fail(where + ": candidate calls still in flight after the run: %r" % counts)
    if counts["mismatches"] != 0 or counts["candidate_errors"] != 0:
        fail(where + ": the identical candidate did not match every call: %r" % counts)
    if counts["matches"] + counts["skipped"] != counts["calls"]:
        fail(where + ": matches + skipped != calls: %r" % counts)
    if counts["candidate_executor"] != "bench-shadow":
        fail(where + ": the candidate ran on %r, not its own loop" % counts["candidate_executor"])


def main(jsonl_path, report_path):
    rows = []
    with open(jsonl_path) as lines:
        for number, line in enumerate(lines, 1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                fail("line %d is not JSON (%s): %r" % (number, error, line))
    if not rows:
        fail("no JSON lines")

    for row in rows:
        missing = [field for field in REQUIRED if field not in row]
        if missing:
            fail("row %r lacks %s" % (row, missing))

    by_scenario = {}
    for row in rows:
        by_scenario.setdefault(row["scenario"], []).append(row)
    if sorted(by_scenario) != sorted(VARIANTS):
        fail("scenarios %s, expected %s" % (sorted(by_scenario), sorted(VARIANTS)))

    for scenario, expected in VARIANTS.items():
        variants = [row["variant"] for row in by_scenario[scenario]]
        if variants != expected:
            fail("%s: variants %s, expected %s" % (scenario, variants, expected))
        measured = {row["variant"] for row in by_scenario[scenario] if row["available"]}
        for row in by_scenario[scenario]:
            where = "%s/%s c=%s" % (scenario, row["variant"], row["concurrency"])
            if not row["available"]:
                if row["qps"] is not None:
                    fail(where + ": unavailable, yet has figures")
                continue
            if row["failures"]:
                fail(where + ": failed: %s" % row["failures"])
            if scenario == "idle":
                # No calls: only the server's CPU, memory and threads are measured.
                share = row.get("idle_core_share")
                if not is_number(share) or share < 0:
                    fail(where + ": idle_core_share is %r" % share)
                if row["qps"] != 0 or row["errors"] != 0:
                    fail(where + ": an idle server answered calls: %r" % row)
                continue
            if scenario.startswith("overload"):
                # Overload is where calls fail: shed, or past their deadline. What must hold is
                # the shape: every phase measured, and twice the capacity offered.
                missing = [field for field in OVERLOAD_FIELDS if field not in row]
                if missing:
                    fail(where + ": lacks %s" % missing)
                for field in ["goodput_ratio", "p99_unloaded_ms", "capacity_per_s",
                              "offered_per_s", "rss_unloaded_mib"]:
                    if not is_number(row[field]) or row[field] < 0:
                        fail(where + ": %s is %r" % (field, row[field]))
                if row["capacity_per_s"] <= 0 or \
                        not 1.5 * row["capacity_per_s"] <= row["offered_per_s"] <= 2.5 * row["capacity_per_s"]:
                    fail(where + ": offered %r/s is not twice the capacity %r/s"
                         % (row["offered_per_s"], row["capacity_per_s"]))
                continue
            # A stream call is 1000 messages: in a short window on a slow build (a sanitizer
            # build, a loaded machine) none may complete. msgs_per_s, checked below, is its
            # measure; whole calls only need not be negative.
            per_call = ["qps", "p50_ms", "p99_ms"]
            for field in per_call + ["rss_mib", "threads"]:
                if scenario == "stream" and field in per_call and is_number(row[field]) \
                        and row[field] == 0:
                    continue
                if not is_number(row[field]) or row[field] <= 0:
                    fail(where + ": %s is %r, expected a positive number" % (field, row[field]))
            if row["errors"] != 0:
                fail(where + ": %d calls failed: %s" % (row["errors"], row["errors_by_code"]))
            if not row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]:
                fail(where + ": latency percentiles out of order")
            baseline_measured = scenario == "tail" or row["baseline"] in measured
            if baseline_measured and not is_number(row["ratio_vs_baseline"]):
                fail(where + ": ratio_vs_baseline is %r" % row["ratio_vs_baseline"])
            if scenario != "tail" and row["variant"] == row["baseline"] \
                    and row["ratio_vs_baseline"] != 1:
                fail(where + ": the baseline's own ratio is %r" % row["ratio_vs_baseline"])
            if scenario == "stream" and not (is_number(row.get("msgs_per_s"))
                                             and row["msgs_per_s"] > 0):
                fail(where + ": msgs_per_s is %r" % row.get("msgs_per_s"))
            if scenario == "stream" and "grpc-sync" in measured:
                if not is_number(row.get("ratio_vs_grpc_sync")):
                    fail(where + ": ratio_vs_grpc_sync is %r" % row.get("ratio_vs_grpc_sync"))
                if row["variant"] == "grpc-sync" and row["ratio_vs_grpc_sync"] != 1:
                    fail(where + ": grpc-sync's own ratio to itself is %r"
                         % row["ratio_vs_grpc_sync"])
            if scenario == "shadow":
                check_shadow_row(where, row)
            if scenario == "tail" and not is_number(row.get("p99_fast_no_slow_ms")):
                fail(where + ": no p99 without slow calls")
            if scenario == "tail":
                # Open loop at half the capacity measured first: offered is about that, and
                # achieved (qps) is what the server answered inside the window.
                capacity, offered = row.get("capacity_per_s"), row.get("offered_per_s")
                if not (is_number(capacity) and is_number(offered) and capacity > 0):
                    fail(where + ": capacity %r, offered %r" % (capacity, offered))
                elif not 0.4 * capacity <= offered <= 0.6 * capacity:
                    fail(where + ": offered %.0f/s is not half the capacity %.0f/s"
                         % (offered, capacity))

    with open(report_path) as report:
        text = report.read()
    for heading in ["# Tandem benchmarks", "| Date |", "| Machine |", "| Build |",
                    "| Reproduce |", "## Targets", "## unary", "## blocking-sleep", "## stream",
                    "## tail", "## overload-cpu", "## overload-wait", "## shadow"]:
        if heading not in text:
            fail("BENCHMARKS.md lacks %r" % heading)
    print("checked %d rows and %s" % (len(rows), report_path))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: check_bench_json.py BENCH_JSONL BENCHMARKS_MD")
    main(sys.argv[1], sys.argv[2])
