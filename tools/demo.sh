#!/usr/bin/env bash
# Installs what is missing, then runs the quickstart on an embedded SQLite
# file (duo_quickstart.db in the current directory). Arguments go to the
# quickstart, for example a database URL.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec bazel run --color=no //examples/quickstart -- "$@"
