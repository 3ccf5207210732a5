#!/usr/bin/env bash
# Checks the dependency lists genquery wrote (see duo/BUILD.bazel) against
# what they must not contain. Arguments: pairs of a file (one label per line)
# and an extended regular expression of labels it must not hold.
set -euo pipefail

failures=0
while (($# >= 2)); do
  file=$1 forbidden=$2
  shift 2
  name=$(basename "$file")
  count=$(wc -l < "$file")
  if ((count == 0)); then
    echo "FAIL: ${name}: genquery found no dependencies at all"
    failures=$((failures + 1))
    continue
  fi
  while read -r label; do
    if [[ "$label" =~ ^(${forbidden})($|[:/]) ]]; then
      echo "FAIL: ${name} links ${label}"
      failures=$((failures + 1))
    fi
  done < "$file"
  echo "${name}: ${count} targets, none of ${forbidden}"
done
exit $((failures > 0))
