#!/usr/bin/env bash
# Installs what is missing, runs every test on SQLite and PostgreSQL, and ends
# with one line "N passed, M failed" counted from Bazel's test summaries of
# every pass.
#
#   tools/test.sh [--sanitizers] [bazel test arguments...]
#
# Passes:
#   1. every test, normal build (fuzz targets run their bounded driver);
#   2. the consumer workspace (examples/consumer through http_archive);
# and with --sanitizers, or whenever CI=true (what .ci/run runs):
#   3. every test under --config=asan (AddressSanitizer + UBSan);
#   4. every test under --config=tsan (ThreadSanitizer). Both fit CI's
#      budget with room to spare (see the README); the tests where threads
#      meet are also tagged "tsan", for a quicker local
#      `bazel test --config=tsan --test_tag_filters=tsan //...`.
# Extra arguments go to `bazel test` in passes 1, 3 and 4.
set -uo pipefail
cd "$(dirname "$0")/.."

sanitizers=false
[[ "${CI:-}" == true || "${CI:-}" == 1 ]] && sanitizers=true
args=()
for arg in "$@"; do
  if [[ "$arg" == --sanitizers ]]; then
    sanitizers=true
  else
    args+=("$arg")
  fi
done

tools/setup.sh --postgres || exit 1

# The command promises PostgreSQL coverage: a missing server is a failure.
export DUO_REQUIRE_POSTGRES=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
timings=()

# Runs one pass, appending its output to the log; records its wall time.
run_pass() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== tools/test.sh: ${name}" | tee -a "$log"
  "$@" 2>&1 | tee -a "$log"
  local pass_status=${PIPESTATUS[0]}
  timings+=("${name}: $((SECONDS - start)) s (exit ${pass_status})")
  ((pass_status == 0)) || status=1
}

bazel_test=(bazel test --color=no --curses=no --test_summary=short)
run_pass "tests" "${bazel_test[@]}" "${args[@]}" //...
# duo as a user takes it: a separate workspace fetching it with http_archive
# (its own build; the sanitizer configs are this workspace's).
run_pass "consumer" tools/consumer_test.sh
if $sanitizers; then
  run_pass "asan+ubsan" "${bazel_test[@]}" --config=asan "${args[@]}" //...
  run_pass "tsan" "${bazel_test[@]}" --config=tsan "${args[@]}" //...
fi

for timing in "${timings[@]}"; do echo "tools/test.sh: ${timing}"; done
summary='^//[^ ]+ +(\(cached\) )?'
passed=$(grep -cE "${summary}PASSED" "$log")
failed=$(grep -cE "${summary}(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)" "$log")
echo "${passed} passed, ${failed} failed"

if ((status != 0 || failed != 0 || passed == 0)); then
  exit 1
fi
