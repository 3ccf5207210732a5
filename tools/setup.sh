#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages DuoORM builds and tests with, and only
# those that are missing: when everything is present it does nothing and
# takes a fraction of a second. Safe to run any number of times.
#
#   tools/setup.sh              what building and the SQLite demo need
#   tools/setup.sh --postgres   also the test servers: PostgreSQL (and PgBouncer) and
#                             MariaDB, which the tests start, and SQLAlchemy for the
#                             cross-client tests
#   tools/setup.sh --format     also clang-format (tools/check_format.sh)
#   tools/setup.sh --fuzz       also clang 14 and its libFuzzer runtime (tools/fuzz.sh)
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-platforms  # Bazel 4.2.3 and its rules, offline
  g++
  libabsl-dev libre2-dev libsqlite3-dev libpq-dev nlohmann-json3-dev
  libmariadb-dev  # MariaDB Connector/C: the MySQL and MariaDB driver
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev  # examples/web
)
want_postgres=false
for arg in "$@"; do
  case "$arg" in
    # SQLAlchemy (with psycopg2) under Debian's python3: the cross-client
    # tests (testing/python_client.h) read and write the databases with it.
    # The flag keeps its name; it means "the test servers": MariaDB's
    # (Debian's mariadb-server, 10.11 on bookworm) too.
    --postgres)
      want_postgres=true
      packages+=(python3-sqlalchemy python3-psycopg2 mariadb-server)
      ;;
    --format) packages+=(clang-format) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    *)
      echo "usage: $0 [--postgres] [--format] [--fuzz]  (--postgres: the test servers)" >&2
      exit 2
      ;;
  esac
done

missing=()
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null \
  | awk '$NF == "installed" { print $1 }' || true)
for package in "${packages[@]}"; do
  grep -qx "$package" <<<"$installed" || missing+=("$package")
done
# Any PostgreSQL server version will do; the fixtures find the newest.
if $want_postgres && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  missing+=(postgresql)
fi
# PgBouncer: the tests run the shared suites through it as well.
if $want_postgres && ! dpkg-query -W -f='${Status}' pgbouncer 2>/dev/null | grep -q 'ok installed'; then
  missing+=(pgbouncer)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "tools/setup.sh: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) != 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
