#!/usr/bin/env bash
# Checks that no docs page has a code sample that escapes testing.
#
#   check_coverage.sh --samples PAGES... --shell PAGES... --mirrors PAGES... --all PAGES...
#
# --samples: pages whose C++ blocks a doc_samples_test compiles and runs;
# --shell: pages whose ```sh blocks a doc_shell_test runs; --mirrors: pages
# whose build-file blocks a check_mirrors.sh test compares with real files
# (here or in examples/consumer); --all: every page. Fails when a page has
# C++ or shell samples no test runs, a build-file or Python block without a mirror
# comment, a fenced block of an unknown kind, or when README.md does not
# link every page.
set -euo pipefail

declare -A samples=() shell=() mirrors=()
all=()
list=""
for arg in "$@"; do
  case "${arg}" in
    --samples | --shell | --mirrors | --all) list="${arg#--}" ;;
    *)
      case "${list}" in
        samples) samples["$(basename "${arg}")"]=1 ;;
        shell) shell["$(basename "${arg}")"]=1 ;;
        mirrors) mirrors["$(basename "${arg}")"]=1 ;;
        all) all+=("${arg}") ;;
        *) echo "usage: check_coverage.sh --samples ... --shell ... --mirrors ... --all ..." >&2; exit 2 ;;
      esac
      ;;
  esac
done

failed=0
readme=""
for page in "${all[@]}"; do
  [[ "$(basename "${page}")" == README.md ]] && readme="${page}"
done
if [[ -z "${readme}" ]]; then
  echo "docs/README.md is missing" >&2
  exit 1
fi

for page in "${all[@]}"; do
  name="$(basename "${page}")"
  # Which kinds of blocks the page has, and blocks that break the rules.
  kinds=$(awk -v page="${page}" '
    /^```/ && !open {
      open = 1
      kind = substr($0, 4); sub(/[ \t].*/, "", kind)
      if (kind == "cpp") seen["cpp"] = 1
      else if (kind == "sh") seen["sh"] = 1
      else if (kind == "starlark" || kind == "python") {
        # Build files, and the Python other clients run (testing/interop):
        # copied from files that really run.
        seen[kind] = 1
        if (previous !~ /^<!-- (mirror|excerpt): [^ ]+ -->$/) {
          print page ":" FNR ": a " kind " block without a <!-- mirror: FILE --> or <!-- excerpt: FILE --> line before it" > "/dev/stderr"
          bad = 1
        }
      } else if (kind != "sql" && kind != "text") {
        print page ":" FNR ": a ```" kind " block: use cpp, sh, starlark or python (mirrored), sql or text" > "/dev/stderr"
        bad = 1
      }
      previous = $0
      next
    }
    /^```[ \t]*$/ && open { open = 0 }
    { previous = $0 }
    /^<!-- test( top)?[ \t]*$/ { seen["cpp-hidden"] = 1 }
    /^<!-- (mirror|excerpt): / { seen["mirror"] = 1 }
    END {
      for (k in seen) printf "%s ", k
      exit bad
    }' "${page}") || failed=1
  if [[ " ${kinds} " == *" cpp "* || " ${kinds} " == *" cpp-hidden "* ]] && [[ -z "${samples[${name}]:-}" ]]; then
    echo "${page}: has C++ samples but no doc_samples_test in docs/BUILD.bazel" >&2
    failed=1
  fi
  if [[ " ${kinds} " == *" sh "* && -z "${shell[${name}]:-}" ]]; then
    echo "${page}: has \`\`\`sh samples but no doc_shell_test runs them" >&2
    failed=1
  fi
  if [[ " ${kinds} " == *" mirror "* && -z "${mirrors[${name}]:-}" ]]; then
    echo "${page}: has mirrored build-file blocks that no check_mirrors test checks" >&2
    failed=1
  fi
  if [[ "${name}" != README.md ]] && ! grep -q "](${name})" "${readme}"; then
    echo "${readme}: does not link ${name}" >&2
    failed=1
  fi
done

if ((failed == 0)); then echo "${#all[@]} pages: every sample is tested"; fi
exit "${failed}"
