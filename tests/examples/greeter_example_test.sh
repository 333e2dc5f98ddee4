#!/usr/bin/env bash
# Runs the greeter example as a user would: the server on a free port, then the client against it.
# Both must exit 0, the server after SIGTERM, and then print its method report
# (server/method_report.h): every method's style, executor and counts. Then once more at each step
# of docs/migrating.md (SayHello on threads, on fibers, as a coroutine), and once over TLS: the
# client's output must not change, and the report must show SayHello where the step put it.
set -euo pipefail

# shellcheck source=tests/examples/greeter_server_lib.sh
source "${TEST_SRCDIR}/tandem/tests/examples/greeter_server_lib.sh"

# The method report the server printed after "shutting down", or nothing.
method_report() {
  sed -n '/^signal [0-9]*: shutting down$/,$p' "${GREETER_SERVER_OUT}" | tail -n +2
}

# The client's output against a server started with FLAGS; the server's report must match the
# extended regular expression SAY_HELLO_LINE. The client calls SayHello twice (once with no name,
# an error), Shout once and Greet once, and Greet calls SayHello and Shout.
run_step() {
  local say_hello_line="$1"
  shift
  start_greeter_server "$@"
  local status=0
  timeout 60 "${GREETER_BIN_DIR}/greeter_client" --target="${GREETER_ADDRESS}" \
    >"${TEST_TMPDIR}/client.out" || status=$?
  cat "${TEST_TMPDIR}/client.out"
  [[ "${status}" -eq 0 ]] || fail "greeter_client exited with ${status} (server flags: $*)"
  stop_greeter_server
  method_report >"${TEST_TMPDIR}/report.out"
  grep -qE '^method +style +executor +started +ok +errors$' "${TEST_TMPDIR}/report.out" ||
    fail "no method report header after shutting down (flags: $*)"
  grep -qE "^${say_hello_line}$" "${TEST_TMPDIR}/report.out" ||
    fail "the report did not show SayHello as /${say_hello_line}/ (flags: $*)"
  grep -qE '^/tandem\.examples\.Greeter/Shout +callback +inline +2 +2 +0$' \
    "${TEST_TMPDIR}/report.out" || fail "the report did not show Shout's calls (flags: $*)"
  grep -qE '^/tandem\.examples\.Greeter/Greet +coroutine +tandem-loop +1 +1 +0$' \
    "${TEST_TMPDIR}/report.out" || fail "the report did not show Greet's call (flags: $*)"
}

run_step '/tandem\.examples\.Greeter/SayHello +blocking +tandem-pool +3 +2 +1'
cp "${TEST_TMPDIR}/client.out" "${TEST_TMPDIR}/expected.out"

run_step '/tandem\.examples\.Greeter/SayHello +blocking +greeter-fibers +3 +2 +1' --say_hello=fibers
diff -u "${TEST_TMPDIR}/expected.out" "${TEST_TMPDIR}/client.out" ||
  fail "the client saw a difference with SayHello on fibers"

run_step '/tandem\.examples\.Greeter/SayHello +coroutine +tandem-loop +3 +2 +1' --say_hello=coroutine
diff -u "${TEST_TMPDIR}/expected.out" "${TEST_TMPDIR}/client.out" ||
  fail "the client saw a difference with SayHello as a coroutine"

# Before the switch to step 3 (docs/migrating.md, "Shadow the rewrite"): fibers answer, and the
# coroutine rewrite runs as SayHello's shadow on every call. Every answer matches, including the
# error for an empty name, and the client sees nothing of it.
start_greeter_server --say_hello=fibers --shadow_say_hello
status=0
timeout 60 "${GREETER_BIN_DIR}/greeter_client" --target="${GREETER_ADDRESS}" \
  >"${TEST_TMPDIR}/client.out" || status=$?
[[ "${status}" -eq 0 ]] || fail "greeter_client exited with ${status} against the shadowed server"
diff -u "${TEST_TMPDIR}/expected.out" "${TEST_TMPDIR}/client.out" ||
  fail "the client saw a difference with SayHello shadowed"
stop_greeter_server
method_report >"${TEST_TMPDIR}/report.out"
cat "${TEST_TMPDIR}/report.out"
grep -qE '^/tandem\.examples\.Greeter/SayHello +blocking +greeter-fibers +3 +2 +1 +coroutine +greeter-shadow +3 +0 +0 +0$' \
  "${TEST_TMPDIR}/report.out" || fail "the report did not show SayHello's 3 shadow matches"
status=0
"${GREETER_BIN_DIR}/greeter_server" --port=0 --say_hello=coroutine --shadow_say_hello \
  >"${TEST_TMPDIR}/shadow_after_switch.out" 2>&1 || status=$?
[[ "${status}" -eq 2 ]] || fail "--shadow_say_hello with --say_hello=coroutine exited ${status}, not 2"

# Over TLS: a self-signed certificate for 127.0.0.1, which the client trusts as its CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=greeter" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "${TEST_TMPDIR}/greeter.key" \
  -out "${TEST_TMPDIR}/greeter.pem" 2>"${TEST_TMPDIR}/openssl.log" ||
  fail "openssl: $(cat "${TEST_TMPDIR}/openssl.log")"
start_greeter_server --use_tls --tls_cert_file="${TEST_TMPDIR}/greeter.pem" \
  --tls_key_file="${TEST_TMPDIR}/greeter.key"
status=0
timeout 60 "${GREETER_BIN_DIR}/greeter_client" --target="${GREETER_ADDRESS}" \
  --tls_ca_file="${TEST_TMPDIR}/greeter.pem" >"${TEST_TMPDIR}/client.out" || status=$?
cat "${TEST_TMPDIR}/client.out"
[[ "${status}" -eq 0 ]] || fail "greeter_client over TLS exited with ${status}"
diff -u "${TEST_TMPDIR}/expected.out" "${TEST_TMPDIR}/client.out" ||
  fail "the client saw a difference over TLS"
status=0
timeout 60 "${GREETER_BIN_DIR}/greeter_client" --target="${GREETER_ADDRESS}" \
  >/dev/null 2>&1 || status=$?
[[ "${status}" -ne 0 ]] || fail "a plain-text client was served by the TLS server"
stop_greeter_server

# A TLS flag with a file that is not there: the server says which and exits 2 before serving.
status=0
"${GREETER_BIN_DIR}/greeter_server" --port=0 --use_tls --tls_cert_file=/nonexistent/server.pem \
  --tls_key_file=/nonexistent/server.key >"${TEST_TMPDIR}/bad_tls.out" 2>&1 || status=$?
[[ "${status}" -eq 2 ]] || fail "greeter_server with a missing certificate exited ${status}, not 2"
grep -q "TLS cert_file '/nonexistent/server.pem': No such file or directory" \
  "${TEST_TMPDIR}/bad_tls.out" || fail "greeter_server did not name the missing certificate: $(cat "${TEST_TMPDIR}/bad_tls.out")"

# A TLS file without --use_tls is a mistake, not plain text.
status=0
"${GREETER_BIN_DIR}/greeter_server" --port=0 --tls_cert_file="${TEST_TMPDIR}/greeter.pem" \
  >"${TEST_TMPDIR}/tls_without_use_tls.out" 2>&1 || status=$?
[[ "${status}" -eq 2 ]] || fail "greeter_server with --tls_cert_file alone exited ${status}, not 2"
grep -q "the --tls_\* flags need --use_tls" "${TEST_TMPDIR}/tls_without_use_tls.out" ||
  fail "greeter_server did not say --use_tls is missing: $(cat "${TEST_TMPDIR}/tls_without_use_tls.out")"

echo PASS
