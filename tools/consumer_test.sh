#!/usr/bin/env bash
# Builds and tests examples/consumer, a separate workspace that takes duo
# through http_archive from an archive of this repository (tools/release.sh)
# at a file:// URL with its sha256. Extra arguments go to `bazel test`.
set -euo pipefail
cd "$(dirname "$0")/.."
consumer=examples/consumer
read -r archive sha256 prefix < <(tools/release.sh "${consumer}/.release")
cat > "${consumer}/duo_release.bzl" <<BZL
# Written by tools/consumer_test.sh; not committed.
DUO_URL = "file://${archive}"
DUO_SHA256 = "${sha256}"
DUO_STRIP_PREFIX = "${prefix}"
BZL
cd "${consumer}"
exec bazel test --color=no --curses=no --test_summary=short "$@" //...
