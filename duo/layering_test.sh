#!/usr/bin/env bash
# Checks the dependency lists genquery wrote for each layer of //duo (see
# duo/BUILD.bazel) against what the layer may depend on. Arguments: the
# files <layer>_deps, one label per line.
set -euo pipefail

# What each layer may reach inside this repository, as package patterns.
declare -A allowed=(
  [sql]='//duo/(base|sql)[:/]'
  [dialect]='//duo/(base|sql|dialect)[:/]'
  [engine]='//duo/(base|async|sql|dialect|engine)[:/]'
  [session]='//duo/(base|async|sql|dialect|engine|session)[:/]'
  [model]='//duo/(base|async|sql|dialect|engine|session|model)[:/]'
)

failures=0
for file in "$@"; do
  layer=$(basename "$file" _deps)
  pattern=${allowed[$layer]:?"no rule for layer ${layer}"}
  count=$(wc -l < "$file")
  if ((count == 0)); then
    echo "FAIL: ${layer}: genquery found no dependencies at all"
    failures=$((failures + 1))
  fi
  while read -r label; do
    if [[ ! "$label" =~ $pattern ]]; then
      echo "FAIL: the ${layer} layer depends on ${label}"
      failures=$((failures + 1))
    fi
  done < "$file"
  echo "${layer}: ${count} libraries, all below it"
done
exit $((failures > 0))
