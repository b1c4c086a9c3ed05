#!/usr/bin/env bash
# Runs the tars_store_query unit tests (tests/unit/store/test_store_query.c) against a fresh
# PostgreSQL: read-only transactions, single-row streaming and the cancel after max_rows.
# Usage: store_query_pg.sh PG_HARNESS TEST_BINARY
set -euo pipefail
harness=$1
test_bin=$2

dir=$(mktemp -d "${TMPDIR:-/tmp}/tars-query-pg.XXXXXX")
chmod 755 "$dir"   # as root the cluster belongs to "postgres", which must reach it
trap '"$harness" stop "$dir/pg"; rm -rf "$dir"' EXIT
url=$("$harness" start "$dir/pg")
TARS_TEST_DB_URL=$url "$test_bin"
