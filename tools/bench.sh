#!/usr/bin/env bash
# Installs what is missing, then runs the benchmark suite: every workload
# through DuoORM and through the raw sqlite3 / libpq C API, on a SQLite file,
# SQLite in memory and a throwaway PostgreSQL server, ending with one table
# (workload, duo, raw, ratio, target, met). Takes a few minutes.
#
#   tools/bench.sh                               everything
#   tools/bench.sh --sqlite_only                 no PostgreSQL
#   tools/bench.sh --benchmark_filter='get/.*'   Google Benchmark's flags
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --postgres
exec bazel run --color=no -c opt //bench:suite -- "$@"
