#!/usr/bin/env bash
# duo-migrate (built with duo_migrate_binary) creates the schema from the
# models; the app then uses it.
set -euo pipefail
bin="${TEST_SRCDIR}/${TEST_WORKSPACE}"
work="${TEST_TMPDIR}"
url="sqlite:///${work}/notes.db"
"${bin}/migrate" init --dir "${work}/migrations" --url "${url}"
"${bin}/migrate" create "notes" --dir "${work}/migrations" --url "${url}"
"${bin}/migrate" upgrade --dir "${work}/migrations" --url "${url}"
"${bin}/migrate" check --dir "${work}/migrations" --url "${url}"
output=$("${bin}/app" "${url}")
echo "${output}"
[[ "${output}" == "notes: 1 open" ]]
