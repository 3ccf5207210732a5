#!/usr/bin/env bash
# Installs what is missing, runs every test on SQLite, PostgreSQL and MariaDB,
# and ends with one line "N passed, M failed" counted from Bazel's test
# summaries of every pass.
#
#   tools/test.sh [--sanitizers] [bazel test arguments...]
#
# Passes:
#   0. the C++ files follow .clang-format (tools/check_format.sh);
#   1. every test (fuzz targets run their bounded driver);
#   2. the consumer workspace (examples/consumer through http_archive);
# and with --sanitizers, or whenever CI=true (what .ci/run runs):
#   pass 1 runs under --config=asan: AddressSanitizer + UBSan instrument the
#      library, duo-migrate and the fixtures, the code DuoORM ships (the test
#      files, docs samples, examples and benchmarks are compiled as in a
#      plain build). Every test then runs once, on every backend, with the
#      shipped code instrumented: running the suite a second time without
#      the sanitizers would only repeat the same paths (a separate ASan
#      pass, building the library a second time, was a fifth of CI's time);
#   3. under --config=tsan (ThreadSanitizer), the tests where threads meet,
#      tagged "tsan" (pool, event loop, async, sessions, drivers, fault
#      injection): the rest run on one thread. It runs the shared suites on
#      SQLite and PostgreSQL but not again through PgBouncer or on MariaDB
#      (DUO_TEST_BACKENDS, testing/database.h): another server changes what
#      the database does, not which native code runs;
#      //duo/session:pgbouncer_test and the MySQL driver's own tests
#      (//duo/engine/mysql:driver_test) still run there.
# Extra arguments go to `bazel test` in passes 1 and 3. With
# DUO_BAZEL_PROFILE_DIR set, each pass writes Bazel's profile there
# (<pass>.profile.gz, for `bazel analyze-profile`).
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

tools/setup.sh --postgres --format || exit 1

# The command promises PostgreSQL and MariaDB coverage (tools/setup.sh
# --postgres installs both servers): a missing server is a failure, never a
# skipped test.
export DUO_REQUIRE_POSTGRES=1
export DUO_REQUIRE_MARIADB=1

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

# The `bazel test` command of one pass, with its profile when asked for.
bazel_test() {
  local pass=$1
  shift
  local profile=()
  if [[ -n "${DUO_BAZEL_PROFILE_DIR:-}" ]]; then
    mkdir -p "$DUO_BAZEL_PROFILE_DIR"
    profile=(--profile="${DUO_BAZEL_PROFILE_DIR}/${pass}.profile.gz")
  fi
  bazel test --color=no --curses=no --test_summary=short "${profile[@]}" "$@"
}

# Formatting is checked, not discussed (.clang-format).
run_pass "format" tools/check_format.sh
# With the sanitizers, the one run of every test is under ASan+UBSan.
main_pass=("tests" bazel_test tests)
$sanitizers && main_pass=("tests (asan+ubsan)" bazel_test tests --config=asan)
run_pass "${main_pass[@]}" "${args[@]}" //...
# duo as a user takes it: a separate workspace fetching it with http_archive
# (its own build; the sanitizer configs are this workspace's).
run_pass "consumer" tools/consumer_test.sh
if $sanitizers; then
  # --build_tests_only: build what the selected tests need, not every
  # target of the packages (benchmarks, demo binaries).
  run_pass "tsan" bazel_test tsan --config=tsan --build_tests_only \
    --test_env=DUO_TEST_BACKENDS=sqlite,postgres \
    --test_tag_filters=tsan "${args[@]}" //...
fi

for timing in "${timings[@]}"; do echo "tools/test.sh: ${timing}"; done
summary='^//[^ ]+ +(\(cached\) )?'
passed=$(grep -cE "${summary}PASSED" "$log")
failed=$(grep -cE "${summary}(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)" "$log")
echo "${passed} passed, ${failed} failed"

if ((status != 0 || failed != 0 || passed == 0)); then
  exit 1
fi
