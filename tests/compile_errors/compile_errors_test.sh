#!/usr/bin/env bash
# Handler mistakes are compile errors that name the method: each snippet is compiled against the
# real headers and generated code, and must fail (or, for the control case, pass) as stated.
set -euo pipefail

root="${TEST_SRCDIR}/tandem"
cxx="${CXX:-g++}"
failures=0
passed=0

compile() {
  "$cxx" -std=c++20 -fsyntax-only -DASIO_NO_DEPRECATED -I"$root" "$root/tests/compile_errors/$1" 2>&1
}

expect_ok() {
  if output=$(compile "$1"); then
    echo "PASS $1 compiles"
    passed=$((passed + 1))
  else
    echo "FAIL $1 should compile:"
    echo "$output" | head -20
    failures=$((failures + 1))
  fi
}

expect_error() {
  local file="$1" message="$2"
  if output=$(compile "$file"); then
    echo "FAIL $file compiled, but must not"
    failures=$((failures + 1))
  elif grep -qF -- "$message" <<<"$output"; then
    echo "PASS $file fails with: $message"
    passed=$((passed + 1))
  else
    echo "FAIL $file failed without \"$message\":"
    echo "$output" | grep -E "error" | head -10
    failures=$((failures + 1))
  fi
}

expect_ok one_handler.cc
expect_error no_handler.cc "tandem.compile_errors.Pinger/Ping has no handler"
expect_error two_handlers.cc "tandem.compile_errors.Pinger/Ping has handlers in more than one style"
expect_error wrong_signature.cc "tandem.compile_errors.Pinger/Ping has no handler"
expect_error shadow_wrong_type.cc "tandem.compile_errors.Pinger/Ping has no handler"
expect_error shadow_not_a_service.cc \
  "Shadow takes a class derived from a generated FooTandem::Service<Impl>"

echo "${passed} passed, ${failures} failed"
[[ $failures -eq 0 ]]
