#!/usr/bin/env bash
# Installs what is missing, then runs the benchmark suite: every workload
# through DuoORM and through the raw sqlite3 / libpq / MariaDB Connector/C
# API, on a SQLite file, SQLite in memory and throwaway PostgreSQL and
# MariaDB servers, ending with one table (workload, duo, raw, ratio, target,
# met). Takes a few minutes.
#
#   tools/bench.sh                               everything
#   tools/bench.sh --sqlite_only                 no servers
#   tools/bench.sh --backends=mariadb,postgres   some of sqlite-file,
#                                                sqlite-memory, postgres, mariadb
#   tools/bench.sh --benchmark_filter='get/.*'   Google Benchmark's flags
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --postgres
# setup.sh has installed MariaDB's server: a MariaDB that does not start is
# an error here, not a backend quietly left out of the table.
export DUO_REQUIRE_MARIADB=1
exec bazel run --color=no -c opt //bench:suite -- "$@"
