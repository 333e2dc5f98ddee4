#!/usr/bin/env bash
# Runs the greeter example as a user would: the server on a free port, then the client against it.
# Both must exit 0, the server after SIGTERM. Then once more at each step of docs/migrating.md
# (SayHello on threads, on fibers, as a coroutine): the client's output must not change, and the
# server must report SayHello where the step put it.
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

echo PASS
