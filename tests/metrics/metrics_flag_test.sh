#!/usr/bin/env bash
# The servers we ship take --metrics_address: each prints "metrics on URL" right after its
# "listening on ..." line, and curl scrapes its metrics there. After the greeter client's calls,
# the greeter's scrape counts them by code (the client makes 2 OK SayHello calls and 1 that fails
# with INVALID_ARGUMENT). A taken metrics address makes the server exit 1, naming it.
set -euo pipefail

readonly BIN="${TEST_SRCDIR}/tandem"
fail() { echo "FAIL: $*" >&2; exit 1; }

SERVER_PID=""
SERVER_OUT=""
cleanup() { [[ -z "${SERVER_PID}" ]] || kill -KILL "${SERVER_PID}" 2>/dev/null || true; }
trap cleanup EXIT

# Starts BINARY with FLAGS and waits for its two first lines; sets ADDRESS and METRICS_URL.
start_server() {
  local binary="$1"
  shift
  SERVER_OUT="${TEST_TMPDIR}/$(basename "${binary}").out"
  "${binary}" --port=0 "$@" >"${SERVER_OUT}" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    [[ "$(grep -c . "${SERVER_OUT}" || true)" -ge 2 ]] && break
    kill -0 "${SERVER_PID}" 2>/dev/null || fail "$(basename "${binary}") exited: $(cat "${SERVER_OUT}")"
    sleep 0.05
  done
  local first second
  first="$(sed -n 1p "${SERVER_OUT}")"
  second="$(sed -n 2p "${SERVER_OUT}")"
  [[ "${first}" =~ ^listening\ on\ (127\.0\.0\.1:[0-9]+)$ ]] || fail "first line: '${first}'"
  ADDRESS="${BASH_REMATCH[1]}"
  [[ "${second}" =~ ^metrics\ on\ (http://127\.0\.0\.1:[0-9]+/metrics)$ ]] ||
    fail "second line: '${second}'"
  METRICS_URL="${BASH_REMATCH[1]}"
}

stop_server() {
  kill -TERM "${SERVER_PID}"
  local status=0
  timeout 30 tail --pid="${SERVER_PID}" -f /dev/null || fail "the server did not stop"
  wait "${SERVER_PID}" || status=$?
  SERVER_PID=""
  [[ "${status}" -eq 0 ]] || fail "the server exited with ${status}: $(cat "${SERVER_OUT}")"
}

# The value of the sample matching the extended regular expression SERIES (name and labels).
sample() {
  grep -E "^$1 " "${TEST_TMPDIR}/scrape.txt" | awk '{print $NF}'
}

# The greeter: its client's calls, counted.
start_server "${BIN}/examples/greeter/greeter_server" --metrics_address=127.0.0.1:0
timeout 60 "${BIN}/examples/greeter/greeter_client" --target="${ADDRESS}" >/dev/null ||
  fail "greeter_client failed"
# A call is recorded a moment after its client has its status: scrape until all three are in.
for _ in $(seq 1 200); do
  curl -sS -f --max-time 10 "${METRICS_URL}" >"${TEST_TMPDIR}/scrape.txt" || fail "curl failed"
  started="$(sample 'tandem_server_calls_started_total\{method="/tandem.examples.Greeter/SayHello".*\}')"
  ok="$(sample 'tandem_server_calls_total\{method="/tandem.examples.Greeter/SayHello".*code="OK"\}')"
  invalid="$(sample 'tandem_server_calls_total\{method="/tandem.examples.Greeter/SayHello".*code="INVALID_ARGUMENT"\}')"
  [[ "${ok}" == 2 && "${invalid}" == 1 ]] && break
  sleep 0.05
done
[[ "${started}" == 3 ]] || fail "SayHello started: '${started}', want 3"
[[ "${ok}" == 2 ]] || fail "SayHello OK: '${ok}', want 2"
[[ "${invalid}" == 1 ]] || fail "SayHello INVALID_ARGUMENT: '${invalid}', want 1"
grep -q '^tandem_executor_threads{executor="tandem-pool",kind="thread_pool"} 16$' \
  "${TEST_TMPDIR}/scrape.txt" || fail "no thread count for tandem-pool"
taken="${METRICS_URL#http://}"
taken="${taken%/metrics}"

# The same address again, while the greeter holds it: exit 1 with an error naming it.
status=0
timeout 30 "${BIN}/examples/greeter/greeter_server" --port=0 --metrics_address="${taken}" \
  >"${TEST_TMPDIR}/taken.out" 2>&1 || status=$?
[[ "${status}" -eq 1 ]] || fail "a taken metrics address: exit ${status}, want 1"
grep -q "${taken}" "${TEST_TMPDIR}/taken.out" ||
  fail "the error does not name ${taken}: $(cat "${TEST_TMPDIR}/taken.out")"
stop_server

# The interop server.
start_server "${BIN}/tests/interop/interop_server" --metrics_address=127.0.0.1:0
curl -sS -f --max-time 10 "${METRICS_URL}" >"${TEST_TMPDIR}/scrape.txt" || fail "curl failed"
grep -q '^tandem_server_calls_started_total{method="/grpc.testing.TestService/EmptyCall"' \
  "${TEST_TMPDIR}/scrape.txt" || fail "the interop server's scrape has no EmptyCall"
stop_server
echo PASS
