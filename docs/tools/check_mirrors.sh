#!/usr/bin/env bash
# Checks that the build-file snippets of docs pages are copied verbatim from
# files that really build, so the snippets cannot drift from them.
#
#   check_mirrors.sh [REPO_PATH=FILE ...] PAGE.md ...
#
# In a page, a fenced block right after a line
#   <!-- mirror: examples/consumer/.bazelrc -->
# must be that whole file, line for line; after
#   <!-- excerpt: examples/consumer/BUILD.bazel -->
# a contiguous part of it. Each REPO_PATH=FILE says where the test finds the
# file a page names (its runfiles path); a snippet whose file is not given
# fails the check.
set -euo pipefail

declare -A files=()
pages=()
for arg in "$@"; do
  if [[ "${arg}" == *=* ]]; then
    files["${arg%%=*}"]="${arg#*=}"
  else
    pages+=("${arg}")
  fi
done

checked=0
failed=0
for page in "${pages[@]}"; do
  # One line per snippet: "<line number> <mirror|excerpt> <repo path>".
  while read -r line kind path; do
    target="${files[${path}]:-}"
    if [[ -z "${target}" ]]; then
      echo "${page}:${line}: mirrors ${path}, which this test was not given" >&2
      failed=1
      continue
    fi
    if ! awk -v start="${line}" -v page="${page}" -v kind="${kind}" '
      FNR == NR { whole = whole $0 "\n"; next }         # the mirrored file
      FNR == start + 1 && $0 !~ /^```/ { bad = "no fenced block after the mirror comment"; exit }
      FNR > start + 1 && /^```[ \t]*$/ { done = 1; exit }
      FNR > start + 1 { block = block $0 "\n" }
      END {
        if (bad != "") { print page ":" start ": " bad > "/dev/stderr"; exit 1 }
        if (!done) { print page ":" start ": the fenced block never ends" > "/dev/stderr"; exit 1 }
        if (kind == "mirror" && block != whole) { print page ":" start ": the block is not the whole file it mirrors" > "/dev/stderr"; exit 1 }
        if (index(whole, block) == 0) { print page ":" start ": the block is not in the file it quotes" > "/dev/stderr"; exit 1 }
      }' "${target}" "${page}"; then
      echo "  (${path}, read from ${target})" >&2
      failed=1
    fi
    checked=$((checked + 1))
  done < <(awk '/^<!-- (mirror|excerpt): [^ ]+ -->$/ { sub(":", "", $2); print FNR, $2, $3 }' "${page}")
done

if ((checked == 0)); then
  echo "no quoted blocks found in: ${pages[*]}" >&2
  exit 1
fi
echo "${checked} quoted block(s) checked"
exit "${failed}"
