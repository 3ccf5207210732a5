#!/usr/bin/env bash
# Packs this repository as a release archive, as http_archive takes it:
#   tools/release.sh OUT_DIR   →  OUT_DIR/duo-<commit>.tar.gz, and prints
#   "<path> <sha256> <strip_prefix>".
# Uncommitted changes to tracked files are included (git stash create), so
# that the consumer test checks the tree it runs in.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: tools/release.sh OUT_DIR}"
mkdir -p "${out}"
tree=$(git stash create)
tree=${tree:-HEAD}
name="duo-$(git rev-parse --short=12 "${tree}")"
archive="$(cd "${out}" && pwd)/${name}.tar.gz"
git archive --format=tar.gz --prefix="${name}/" -o "${archive}" "${tree}"
echo "${archive} $(sha256sum "${archive}" | cut -d' ' -f1) ${name}"
