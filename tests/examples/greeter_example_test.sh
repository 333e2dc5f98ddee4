#!/usr/bin/env bash
# Runs the greeter example as a user would: the server on a free port, then the client against it.
# Both must exit 0, the server after SIGTERM. Then once more at each step of docs/migrating.md
# (SayHello on threads, on fibers, as a coroutine), and once over TLS: the client's output must
# not change, and the server must report SayHello where the step put it.
set -euo pipefail

# shellcheck source=tests/examples/greeter_server_lib.sh
source "${TEST_SRCDIR}/tandem/tests/examples/greeter_server_lib.sh"

# The client's output against a server started with FLAGS; the server's report must match the
# extended regular expression SAY_HELLO_LINE.
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
  grep -qE "${say_hello_line}" "${GREETER_SERVER_OUT}" ||
    fail "the server did not report SayHello as /${say_hello_line}/ (flags: $*)"
}

run_step 'SayHello +blocking +on tandem-pool'
cp "${TEST_TMPDIR}/client.out" "${TEST_TMPDIR}/expected.out"

run_step 'SayHello +blocking +on greeter-fibers' --say_hello=fibers
diff -u "${TEST_TMPDIR}/expected.out" "${TEST_TMPDIR}/client.out" ||
  fail "the client saw a difference with SayHello on fibers"

run_step 'SayHello +coroutine +on ' --say_hello=coroutine
diff -u "${TEST_TMPDIR}/expected.out" "${TEST_TMPDIR}/client.out" ||
  fail "the client saw a difference with SayHello as a coroutine"

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
