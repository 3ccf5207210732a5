#!/usr/bin/env bash
# Runs a page's shell samples (extract_samples.sh sh) as a reader would, in
# an empty directory, stopping at the first command that fails.
#
#   run_shell_samples.sh SAMPLES.sh BINARY
#
# The pages say `bazel run //app:migrate -- ARGS`, as a user types it; here
# `bazel run LABEL -- ARGS` runs BINARY (the duo_migrate_binary built from
# the page's models) with ARGS. Nothing else of Bazel is simulated.
set -euo pipefail
samples="$(pwd)/$1"
binary="$(pwd)/$2"
work="${TEST_TMPDIR}/work"
mkdir -p "${work}"
cd "${work}"
unset DUO_DATABASE_URL

bazel() {
  if [[ "${1:-}" != run || $# -lt 2 ]]; then
    echo "run_shell_samples.sh: only 'bazel run LABEL -- ARGS' is simulated, not: bazel $*" >&2
    return 2
  fi
  shift 2
  if [[ "${1:-}" == "--" ]]; then shift; fi
  "${binary}" "$@"
}

set -x
# shellcheck source=/dev/null
source "${samples}"
