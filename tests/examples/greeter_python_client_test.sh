#!/usr/bin/env bash
# A plain gRPC client in another language (Python, Debian's python3-grpcio) calls the example
# server: Tandem's server speaks standard gRPC, whatever each handler's style.
set -euo pipefail

# shellcheck source=tests/examples/greeter_server_lib.sh
source "${TEST_SRCDIR}/tandem/tests/examples/greeter_server_lib.sh"

# Message classes only (greeter_pb2.py): the client calls methods by name, so it needs no
# grpc_python_plugin, which Debian does not package apart from grpcio-tools.
readonly PROTOC="${TEST_SRCDIR}/system/bin/protoc"
readonly PY_OUT="${TEST_TMPDIR}/py"
mkdir -p "${PY_OUT}"
"${PROTOC}" --proto_path="${TEST_SRCDIR}/tandem" --python_out="${PY_OUT}" \
  examples/greeter/greeter.proto

start_greeter_server

status=0
# Debian's interpreter, the one python3-grpcio is installed for (not a pyenv or venv python3).
PYTHONPATH="${PY_OUT}" timeout 60 /usr/bin/python3 \
  "${TEST_SRCDIR}/tandem/tests/examples/greeter_python_client.py" "${GREETER_ADDRESS}" ||
  status=$?
[[ "${status}" -eq 0 ]] || fail "greeter_python_client.py exited with ${status}"

stop_greeter_server
echo PASS
