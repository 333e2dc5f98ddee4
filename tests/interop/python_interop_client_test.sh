#!/usr/bin/env bash
# gRPC's interop client cases, run by an independent gRPC implementation (Python's grpcio,
# Debian's python3-grpcio) against the Tandem interop server: a real binary on a free port.
#
# Every wait is bounded, so a broken server fails the test instead of hanging it. An EXIT trap
# stops a server the test left running.
set -euo pipefail

readonly SERVER_BIN="${TEST_SRCDIR}/tandem/tests/interop/interop_server"
readonly SERVER_OUT="${TEST_TMPDIR}/interop_server.out"
readonly CLIENT="${TEST_SRCDIR}/tandem/tests/interop/python_interop_client.py"
readonly PROTOC="${TEST_SRCDIR}/system/bin/protoc"
readonly GRPC_PYTHON_PLUGIN="${TEST_SRCDIR}/system/bin/grpc_python_plugin"
readonly PROTO_ROOT="${TEST_SRCDIR}/grpc_proto"
readonly PY_OUT="${TEST_TMPDIR}/py"
SERVER_PID=""
ADDRESS=""

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

kill_server() {
  if [[ -n "${SERVER_PID}" ]]; then
    # `timeout` leads its own process group, the server included: kill both.
    kill -KILL -- "-${SERVER_PID}" 2>/dev/null || kill -KILL "${SERVER_PID}" 2>/dev/null || true
    wait "${SERVER_PID}" 2>/dev/null || true
    SERVER_PID=""
    echo "--- interop_server output (killed)"
    cat "${SERVER_OUT}"
  fi
}
trap kill_server EXIT

start_server() {
  # `timeout` caps the server's life; it passes our SIGTERM on and returns the server's status.
  timeout -k 10 240 "${SERVER_BIN}" --port=0 >"${SERVER_OUT}" 2>&1 &
  SERVER_PID=$!

  # The server prints its address once it serves: wait for that line, not for a timer.
  local pattern='^listening on 127\.0\.0\.1:[0-9]+$'
  if ! timeout 30 bash -c "until grep -qE '${pattern}' '${SERVER_OUT}'; do
                             kill -0 ${SERVER_PID} 2>/dev/null || exit 1
                             sleep 0.05
                           done"; then
    cat "${SERVER_OUT}" >&2
    fail "interop_server did not report 'listening on 127.0.0.1:PORT'"
  fi
  ADDRESS="$(grep -m1 -E "${pattern}" "${SERVER_OUT}" | sed 's/^listening on //')"
  echo "interop_server is listening on ${ADDRESS}"
}

stop_server() {
  kill -TERM "${SERVER_PID}"
  # Shutdown has a 5s grace period; 30s means the server is stuck.
  if ! timeout 30 tail --pid="${SERVER_PID}" -f /dev/null; then
    cat "${SERVER_OUT}" >&2
    fail "interop_server did not exit within 30s of SIGTERM"
  fi
  local status=0
  wait "${SERVER_PID}" || status=$?
  SERVER_PID=""
  echo "--- interop_server output"
  cat "${SERVER_OUT}"
  [[ "${status}" -eq 0 ]] || fail "interop_server exited with ${status} after SIGTERM"
}

# The Python messages and stubs, generated now from Debian's grpc-proto files (package
# grpc.testing; the client puts them under grpcio's `grpc` package).
mkdir -p "${PY_OUT}"
"${PROTOC}" --proto_path="${PROTO_ROOT}" \
  --python_out="${PY_OUT}" \
  --plugin=protoc-gen-grpc_python="${GRPC_PYTHON_PLUGIN}" --grpc_python_out="${PY_OUT}" \
  grpc/testing/empty.proto grpc/testing/messages.proto grpc/testing/test.proto

start_server

status=0
# Debian's interpreter, the one python3-grpcio is installed for (not a pyenv or venv python3).
timeout -k 5 90 /usr/bin/python3 "${CLIENT}" "${PY_OUT}" "${ADDRESS}" || status=$?

# Stop the server either way: its output and exit status belong in the log.
stop_server
[[ "${status}" -eq 0 ]] || fail "python_interop_client.py exited with ${status}"
echo PASS
