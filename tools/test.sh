#!/usr/bin/env bash
# Installs what is missing, runs every test on SQLite and PostgreSQL, and ends
# with one line "N passed, M failed" counted from Bazel's test summary.
# Extra arguments go to `bazel test` (for example --config=asan).
set -uo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh --postgres || exit 1

# The command promises PostgreSQL coverage: a missing server is a failure.
export DUO_REQUIRE_POSTGRES=1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bazel test --color=no --curses=no --test_summary=short "$@" //... 2>&1 | tee "$log"
bazel_status=${PIPESTATUS[0]}

# duo as a user takes it: a separate workspace fetching it with http_archive
# (its own build; the sanitizer configs are this workspace's).
tools/consumer_test.sh 2>&1 | tee -a "$log"
consumer_status=${PIPESTATUS[0]}

summary='^//[^ ]+ +(\(cached\) )?'
passed=$(grep -cE "${summary}PASSED" "$log")
failed=$(grep -cE "${summary}(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)" "$log")
echo "${passed} passed, ${failed} failed"

if ((bazel_status != 0 || consumer_status != 0 || failed != 0 || passed == 0)); then
  exit 1
fi
