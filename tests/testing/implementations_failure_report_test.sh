#!/usr/bin/env bash
# A failing case of an ImplementationTest suite is reported under its implementation and binding:
# runs implementations_failure_report (UpperCaseEcho fails, BlockingEcho passes, each on threads
# and fibers) and reads GoogleTest's report.
set -euo pipefail

binary="$1"
out="${TEST_TMPDIR}/report.out"
status=0
timeout 120 "${binary}" >"${out}" 2>&1 || status=$?
cat "${out}"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ "${status}" -eq 1 ]] || fail "expected the suite to exit 1 (a test failed), got ${status}"
for implementation_case in BlockingEcho_Threads BlockingEcho_Fibers; do
  grep -qF "[       OK ] Echo/EchoImplementations.EchoesItsMessage/${implementation_case} (" \
    "${out}" || fail "${implementation_case} did not pass"
done
for binding in Threads Fibers; do
  grep -qF "[  FAILED  ] Echo/EchoImplementations.EchoesItsMessage/UpperCaseEcho_${binding}, where GetParam() = UpperCaseEcho on ${binding}" \
    "${out}" || fail "UpperCaseEcho on ${binding} was not reported as failed under its name"
done
grep -qF "2 FAILED TESTS" "${out}" || fail "expected exactly 2 failed tests"
grep -qF 'Which is: "QUIET PLEASE"' "${out}" || fail "the failure does not show the reply"
echo "PASS"
