# shellcheck shell=bash
# Sourced by the greeter sh_tests: starts the example server on a free port and stops it.
#
#   start_greeter_server [FLAGS]    sets GREETER_ADDRESS ("127.0.0.1:PORT") and GREETER_SERVER_PID
#   stop_greeter_server             SIGTERM, wait, print the server's output; fails unless it exits 0
#
# Every wait is bounded, so a broken server fails the test instead of hanging it. An EXIT trap
# stops a server the test left running.

readonly GREETER_BIN_DIR="${TEST_SRCDIR}/tandem/examples/greeter"
readonly GREETER_SERVER_OUT="${TEST_TMPDIR}/greeter_server.out"
GREETER_SERVER_PID=""
GREETER_ADDRESS=""

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

kill_greeter_server() {
  if [[ -n "${GREETER_SERVER_PID}" ]]; then
    # `timeout` leads its own process group, the server included: kill both.
    kill -KILL -- "-${GREETER_SERVER_PID}" 2>/dev/null || kill -KILL "${GREETER_SERVER_PID}" 2>/dev/null || true
    wait "${GREETER_SERVER_PID}" 2>/dev/null || true
    GREETER_SERVER_PID=""
  fi
}
trap kill_greeter_server EXIT

start_greeter_server() {
  # `timeout` caps the server's life; it passes our SIGTERM on and returns the server's status.
  timeout -k 10 240 "${GREETER_BIN_DIR}/greeter_server" --port=0 "$@" >"${GREETER_SERVER_OUT}" 2>&1 &
  GREETER_SERVER_PID=$!

  # The server prints its address once it serves: wait for that line, not for a timer.
  local pattern='^listening on 127\.0\.0\.1:[0-9]+$'
  if ! timeout 30 bash -c "until grep -qE '${pattern}' '${GREETER_SERVER_OUT}'; do
                             kill -0 ${GREETER_SERVER_PID} 2>/dev/null || exit 1
                             sleep 0.05
                           done"; then
    cat "${GREETER_SERVER_OUT}" >&2
    fail "greeter_server did not report 'listening on 127.0.0.1:PORT'"
  fi
  GREETER_ADDRESS="$(grep -m1 -E "${pattern}" "${GREETER_SERVER_OUT}" | sed 's/^listening on //')"
  echo "greeter_server is listening on ${GREETER_ADDRESS}"
}

stop_greeter_server() {
  kill -TERM "${GREETER_SERVER_PID}"
  # Shutdown has a 5s grace period; 30s means the server is stuck.
  if ! timeout 30 tail --pid="${GREETER_SERVER_PID}" -f /dev/null; then
    cat "${GREETER_SERVER_OUT}" >&2
    fail "greeter_server did not exit within 30s of SIGTERM"
  fi
  local status=0
  wait "${GREETER_SERVER_PID}" || status=$?
  GREETER_SERVER_PID=""
  echo "--- greeter_server output"
  cat "${GREETER_SERVER_OUT}"
  [[ "${status}" -eq 0 ]] || fail "greeter_server exited with ${status} after SIGTERM"
}
