#!/usr/bin/env bash
# Runs fuzz targets under real libFuzzer: clang 14, coverage-guided, with
# ASan and UBSan (--config=fuzz), for a while longer than the bounded run
# every `bazel test` does.
#
#   tools/fuzz.sh //duo/engine:url_fuzzer [SECONDS] [libFuzzer flags...]
#   tools/fuzz.sh all [SECONDS]          every duo_fuzz_test in turn
#
# SECONDS defaults to 60 per target. Each target starts from its seed corpus
# (testdata/<stem>_corpus beside it, <stem> being the name without
# "_fuzzer") and dictionary (testdata/<stem>.dict); inputs libFuzzer finds
# go to a scratch corpus in /tmp, which the last line names, and crashes to
# crash-* files there. Promote an input worth keeping by copying it into
# the seed corpus. Builds in an output base of its own (clang would
# otherwise replace GCC in the normal one), and stops that Bazel server at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 1)); then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
target=$1
seconds=${2:-60}
shift $(($# >= 2 ? 2 : 1))

tools/setup.sh --fuzz

output_base=${DUO_FUZZ_OUTPUT_BASE:-$HOME/.cache/duo-fuzz-output-base}
fuzz_bazel=(bazel "--output_base=${output_base}")
trap '"${fuzz_bazel[@]}" shutdown >/dev/null 2>&1 || true' EXIT
bazel_flags=(--config=fuzz --color=no --curses=no --symlink_prefix=/)

if [[ "$target" == all ]]; then
  # Not //...: from this output base, the normal one's bazel-<workspace>
  # symlink would read as a package.
  mapfile -t targets < <("${fuzz_bazel[@]}" query --output=label \
    'attr(tags, "\bfuzz\b", tests(//duo/... + //migrate/... + //testing/...))')
  ((${#targets[@]} > 0)) || { echo "tools/fuzz.sh: no fuzz targets found" >&2; exit 1; }
else
  targets=("$target")
fi
binaries=()
for t in "${targets[@]}"; do binaries+=("${t}_libfuzzer"); done
"${fuzz_bazel[@]}" build "${bazel_flags[@]}" "${binaries[@]}"
bin_dir=$("${fuzz_bazel[@]}" info "${bazel_flags[@]}" bazel-bin 2>/dev/null)

scratch=$(mktemp -d /tmp/duo-fuzz-XXXXXX)
summary=()
for t in "${targets[@]}"; do
  package=${t#//}
  package=${package%%:*}
  name=${t##*:}
  stem=${name%_fuzzer}
  seeds="${PWD}/${package}/testdata/${stem}_corpus"
  dict="${PWD}/${package}/testdata/${stem}.dict"
  [[ -d "$seeds" ]] || { echo "tools/fuzz.sh: no seed corpus ${seeds}" >&2; exit 1; }
  corpus="${scratch}/${stem}"
  mkdir -p "$corpus"
  dict_flag=()
  [[ -f "$dict" ]] && dict_flag=("-dict=${dict}")
  echo "=== tools/fuzz.sh: ${t} for ${seconds} s"
  log="${scratch}/${stem}.log"
  status=0
  (cd "$scratch" && "${bin_dir}/${package}/${name}_libfuzzer" "${dict_flag[@]}" \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="${scratch}/${stem}-" \
    "$@" "$corpus" "$seeds") >"$log" 2>&1 || status=$?
  grep -E "^#[0-9]+ +(DONE|INITED)|stat::|ERROR|fuzz property failed|SUMMARY" "$log" || true
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if ((status == 0)); then
    summary+=("${t}: ${runs:-?} runs, ${rate:-?} exec/s, corpus $(ls "$corpus" | wc -l) new inputs")
  else
    summary+=("${t}: FAILED (exit ${status}); see ${log} and ${scratch}/${stem}-*")
  fi
done
printf '%s\n' "${summary[@]}"
echo "tools/fuzz.sh: scratch corpora and logs in ${scratch}"
! printf '%s\n' "${summary[@]}" | grep -q FAILED
