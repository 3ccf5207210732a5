#!/usr/bin/env bash
# Turns the code samples of a docs page into a test source, so that the
# pages cannot drift from the library.
#
#   extract_samples.sh cc [--prelude P.md]... [--global] PAGE.md...
#                                                 a gtest .cc on stdout
#   extract_samples.sh models PAGE.md             the page's top-level C++ only
#   extract_samples.sh sh PAGE.md                 the page's shell samples
#
# In cc mode several pages share one test program (compiling each page's
# program would parse the same headers again for every page): each page
# becomes a namespace of its own, doc_<stem>, holding its declarations and
# its test body, and a test DocTest.<stem> that runs the body. Prelude
# pages' declarations come first, once, at global scope; so do the pages'
# with --global (one page then, whose declarations cannot live in a
# namespace of their own, such as specializations of duo's templates).
#
# What a page marks, and where it goes:
#   ```cpp            statements: the page's test body, in page order (one
#                     function returning absl::Status, so DUO_ASSIGN_OR_RETURN
#                     works, run once on SQLite and once on PostgreSQL)
#   ```cpp top        declarations at namespace scope (models, hooks, tasks)
#   <!-- test         hidden from readers: checks on the outcomes (EXPECT_*,
#   ...               DOC_REQUIRE) or set-up the reader need not see; ends
#   -->               at a line "-->"
#   <!-- test top     hidden declarations
#   ```sh             (sh mode) commands run by an sh_test, in page order
#   <!-- test sh      (sh mode) hidden shell checks
# Prelude pages contribute only their top-level blocks (a shared set of
# models). A ```cpp block with any other tag is an error: every C++ sample
# runs. #line directives make compile errors point at the page's lines.
set -euo pipefail

mode="$1"
shift

extract() {
  # $1: which blocks to print ("top", "body" or "sh"); $2: the page.
  awk -v want="$1" -v file="$2" '
    function fail(message) {
      printf "%s:%d: %s\n", file, NR, message > "/dev/stderr"
      exit 1
    }
    BEGIN { state = "" }
    state == "" {
      if ($0 ~ /^```cpp[ \t]*$/) { state = "cpp"; kind = "body"; start = 1; next }
      if ($0 ~ /^```cpp[ \t]+top[ \t]*$/) { state = "cpp"; kind = "top"; start = 1; next }
      if ($0 ~ /^```(cpp|c\+\+|cc)/) fail("unknown C++ sample tag: every C++ sample is ```cpp or ```cpp top")
      if ($0 ~ /^```sh[ \t]*$/) { state = "fence"; kind = "sh"; start = 1; next }
      if ($0 ~ /^```/) { state = "fence"; kind = "other"; next }
      if ($0 ~ /^<!-- test[ \t]*$/) { state = "hidden"; kind = "body"; start = 1; next }
      if ($0 ~ /^<!-- test top[ \t]*$/) { state = "hidden"; kind = "top"; start = 1; next }
      if ($0 ~ /^<!-- test sh[ \t]*$/) { state = "hidden"; kind = "sh"; start = 1; next }
      if ($0 ~ /^<!-- test/) fail("unknown hidden block: <!-- test, <!-- test top or <!-- test sh")
      next
    }
    (state == "cpp" || state == "fence") && $0 ~ /^```[ \t]*$/ { state = ""; next }
    state == "hidden" && $0 ~ /^-->[ \t]*$/ { state = ""; next }
    state == "other" { next }
    {
      if (kind != want) next
      if (start && want != "sh") printf "#line %d \"%s\"\n", NR, file
      if (start && want == "sh") printf "# %s:%d\n", file, NR
      start = 0
      print
    }
    END { if (state != "") fail("a block opened here is never closed") }
  ' "$2"
}

# The cc mode's program: preludes, then one namespace and one test per page.
samples_program() {
  local preludes=() pages=() global=false
  while (($# > 0)); do
    case "$1" in
      --prelude) preludes+=("$2"); shift 2 ;;
      --global) global=true; shift ;;
      *) pages+=("$1"); shift ;;
    esac
  done
  if $global && ((${#pages[@]} != 1)); then
    echo "extract_samples.sh: --global takes exactly one page" >&2
    exit 2
  fi
  echo "// Generated from ${pages[*]} by docs/tools/extract_samples.sh: edit the pages, not this."
  echo '#include "docs/doc_test.h"'
  local prelude page stem
  for prelude in ${preludes[@]+"${preludes[@]}"}; do extract top "${prelude}"; done
  for page in "${pages[@]}"; do
    stem=$(basename "${page}" .md)
    $global || echo "namespace doc_${stem} {"
    # A prelude page's declarations are already in.
    if [[ " ${preludes[*]-} " != *" ${page} "* ]]; then extract top "${page}"; fi
    echo '#line 1 "generated test body"'
    $global && echo "namespace doc_${stem} {"
    echo 'absl::Status PageSamples() {'
    extract body "${page}"
    echo '#line 1 "generated test body"'
    echo '  return absl::OkStatus();'
    echo '}'
    echo "}  // namespace doc_${stem}"
    echo "TEST_P(DocTest, ${stem}) {"
    echo "  const absl::Status status = doc_${stem}::PageSamples();"
    echo "  EXPECT_TRUE(status.ok()) << \"${page}: \" << status;"
    echo '}'
  done
  echo 'DUO_INSTANTIATE_DOC_TEST();'
}

case "${mode}" in
  cc)
    samples_program "$@"
    ;;
  models)
    page="$1"
    echo "// Generated from ${page} by docs/tools/extract_samples.sh: edit the page, not this."
    echo '#include "docs/doc_models.h"'
    extract top "${page}"
    ;;
  sh)
    page="$1"
    echo "# Generated from ${page} by docs/tools/extract_samples.sh: edit the page, not this."
    extract sh "${page}"
    ;;
  *)
    echo "usage: extract_samples.sh cc [--prelude P.md]... [--global] PAGE.md... | models PAGE.md | sh PAGE.md" >&2
    exit 2
    ;;
esac
