#!/usr/bin/env bash
# Checks that every C++ file of the repository follows .clang-format, so that
# formatting is never a review topic. `tools/check_format.sh --fix` rewrites
# the files instead.
#
# Formatting differs between clang-format releases; the repository is
# formatted with clang-format 14 (Debian bookworm's, which tools/setup.sh
# installs). Another release only reports what it would change.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -d .git ]]; then
  mapfile -t files < <(git ls-files '*.cc' '*.h')
else
  mapfile -t files < <(find duo migrate testing examples bench -name '*.cc' -o -name '*.h' | sort)
fi
if [[ "${1:-}" == --fix ]]; then
  exec clang-format -i "${files[@]}"
fi

version=$(clang-format --version | sed -nE 's/.*version ([0-9]+).*/\1/p')
if clang-format --dry-run --Werror "${files[@]}"; then
  echo "format: ${#files[@]} files follow .clang-format"
elif [[ "$version" != 14 ]]; then
  echo "format: clang-format ${version} would change the files above; the repository is" \
    "formatted with clang-format 14, so this is not counted as a failure"
else
  echo "format: the files above do not follow .clang-format; tools/check_format.sh --fix" \
    "rewrites them"
  exit 1
fi
