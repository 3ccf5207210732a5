#!/usr/bin/env bash
# Refuses a database difference decided outside the per-database packages:
# a comparison with a database's name, or a switch on a backend enum, in the
# database-neutral code. Each difference belongs in the database's own
# package (duo/dialect/<db>, duo/engine/<db>, migrate/<db>), behind the
# Dialect, engine::Connector and migrate::MigrateImpl interfaces, so that
# adding a database is adding packages (docs/databases.md).
#
# Arguments: the C++ files of the database-neutral packages. Tests, fuzzers,
# test data and testonly helpers may name databases and are skipped.
set -euo pipefail

readonly names='sqlite|sqlite3|postgresql|postgres|pg|mysql|mariadb'
readonly patterns=(
  # dialect.name() == "sqlite", url.scheme != "postgresql"
  "[!=]=[[:space:]]*\"(${names})\""
  "\"(${names})\"[[:space:]]*[!=]="
  # Any literal compared with a dialect's or a URL's name.
  "name\(\)[[:space:]]*[!=]=[[:space:]]*\""
  "\"[^\"]*\"[[:space:]]*[!=]=[[:space:]]*[[:alnum:]_.>()-]*name\(\)"
  # absl::EqualsIgnoreCase(dialect.name(), "sqlite"), StartsWith(scheme, "postgres")
  "(EqualsIgnoreCase|StartsWith|EndsWith|StrContains|compare)\([^;]*\"(${names})\""
  # A closed set of backends to switch on.
  "DatabaseUrl::Backend|Backend::k(Sqlite|Postgres|Mysql|Mariadb)"
)

grep_args=()
for pattern in "${patterns[@]}"; do grep_args+=(-e "${pattern}"); done

# Prints "file:line:text" for each offending line of the files given,
# comment lines aside.
offenses() {
  { grep -nHE "${grep_args[@]}" -- "$@" || true; } |
    { grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true; }
}

# The patterns themselves, checked on lines they must and must not match,
# so that a broken expression cannot pass everything.
self_test() {
  local sample
  sample=$(mktemp)
  cat > "${sample}" <<'CPP'
if (database.dialect().name() == "sqlite") return 32766;
const bool pg = "postgresql" != url.scheme;
if (absl::EqualsIgnoreCase(dialect.name(), "mysql")) {}
return url.backend == DatabaseUrl::Backend::kSqlite;
if (kind == name()) {}
// if (dialect.name() == "sqlite") in a comment
CPP
  local found
  found=$(offenses "${sample}" | cut -d: -f2 | tr '\n' ' ')
  rm -f "${sample}"
  if [[ "${found}" != "1 2 3 4 " ]]; then
    echo "FAIL: the patterns found lines [${found}] of the sample, expected [1 2 3 4 ]"
    exit 1
  fi
}

self_test
files=()
for file in "$@"; do
  case "${file}" in
    *_test.cc | *_test.h | *_fuzzer.cc | */testdata/* | */internal/test_executor.*) continue ;;
  esac
  files+=("${file}")
done
if ((${#files[@]} == 0)); then
  echo "FAIL: no files to check"
  exit 1
fi
failures=0
while IFS= read -r line; do
  echo "FAIL: ${line}"
  failures=$((failures + 1))
done < <(offenses "${files[@]}")
if ((failures > 0)); then
  echo "${failures} database differences decided outside the per-database packages; move them"
  echo "behind Dialect, engine::Connector or migrate::MigrateImpl (see docs/databases.md)"
  exit 1
fi
echo "${#files[@]} files: no database named outside the per-database packages"
