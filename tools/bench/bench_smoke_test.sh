#!/usr/bin/env bash
# Runs the bench in a tiny mode, every scenario and variant at concurrency 4 for a fraction of a
# second per point, and checks its JSON output and BENCHMARKS.md (check_bench_json.py).
# Not a measurement: it proves that every server variant starts, serves and stops, and that the
# output has the shape the issue asks for. The shadow scenario (issue 13) runs too, at c=4: its
# shadowed servers' counters, read through their admin service, must show every call compared or
# skipped and every compared call a match.
set -euo pipefail

readonly BENCH_DIR="${TEST_SRCDIR}/tandem/tools/bench"
readonly OUT="${TEST_TMPDIR}/bench.jsonl"
readonly REPORT="${TEST_TMPDIR}/BENCHMARKS.md"

status=0
# `timeout` bounds the run; the bench itself bounds every point (warm-up + window + call deadline).
timeout -k 10 600 "${BENCH_DIR}/bench" --quick --rounds=1 --warmup=100ms --duration=250ms \
  --concurrency=4 --json --out="${REPORT}" >"${OUT}" || status=$?
if [[ "${status}" -ne 0 ]]; then
  echo "FAIL: bench exited with ${status}; its JSON lines:" >&2
  cat "${OUT}" >&2
  exit 1
fi

python3 "${BENCH_DIR}/check_bench_json.py" "${OUT}" "${REPORT}"
echo PASS
