#!/usr/bin/env bash
# Runs the greeter example as a user would: the server on a free port, then the client against it.
# Both must exit 0, the server after SIGTERM.
set -euo pipefail

# shellcheck source=tests/examples/greeter_server_lib.sh
source "${TEST_SRCDIR}/tandem/tests/examples/greeter_server_lib.sh"

start_greeter_server

status=0
timeout 60 "${GREETER_BIN_DIR}/greeter_client" --target="${GREETER_ADDRESS}" || status=$?
[[ "${status}" -eq 0 ]] || fail "greeter_client exited with ${status}"

stop_greeter_server
echo PASS
