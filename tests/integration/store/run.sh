#!/usr/bin/env bash
# Runs the store unit tests against a fresh PostgreSQL, then checks from psql
# that the migrations are recorded once, that a second run applies nothing
# new, and that each of the 21 indexes exists and is valid.
# Usage: run.sh PG_HARNESS TEST_STORE_BINARY
set -euo pipefail
harness=$1
test_bin=$2

dir=$(mktemp -d "${TMPDIR:-/tmp}/tars-store-pg.XXXXXX")
trap '"$harness" stop "$dir"' EXIT
url=$("$harness" start "$dir")
# shellcheck disable=SC2012 # sort -V on the version directories
psql_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -n1)/psql
[ -x "$psql_bin" ] || psql_bin=psql
sql() { "$psql_bin" "$url" -X -v ON_ERROR_STOP=1 -At -c "$1"; }

indexes="idx_evaluations_agent_region_time idx_evaluations_status_time
idx_evaluations_agent_region_created idx_evaluations_agent_timestamp
idx_evaluations_region_status idx_agent_states_agent_region_updated
idx_agent_states_type_updated idx_metrics_name_region_time idx_metrics_name_time
idx_audit_logs_user_time idx_audit_logs_resource idx_api_keys_hash_active
idx_api_keys_user_active idx_agents_updated_at idx_agents_status
idx_training_steps_composite idx_missions_status idx_missions_created_at
idx_missions_status_created idx_telemetry_timestamp idx_evaluations_timestamp"

fail=0
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" != "$3" ]; then echo "FAIL: $1: expected $2, got $3" >&2; fail=1; else echo "ok: $1"; fi
}

# First run: the tests migrate a fresh database (and drop/re-create it once).
TARS_TEST_DB_URL=$url "$test_bin"
migrations=$(sql "SELECT COUNT(*) FROM schema_migrations")
# Second run over the already-migrated database: its tests still pass.
TARS_TEST_DB_URL=$url "$test_bin" >/dev/null
check "schema_migrations rows after a second run" "$migrations" \
    "$(sql "SELECT COUNT(*) FROM schema_migrations")"
check "migrations recorded" "001_schema.sql,002_indexes.sql,003_evaluations_timestamp.sql,004_feed.sql" \
    "$(sql "SELECT string_agg(name, ',' ORDER BY version) FROM schema_migrations")"

n=0
for name in $indexes; do
    n=$((n + 1))
    check "index $name exists" 1 "$(sql "SELECT COUNT(*) FROM pg_indexes WHERE indexname = '$name'")"
    check "index $name valid" 1 "$(sql "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '$name' AND i.indisvalid AND i.indisready")"
done
check "index names listed" 21 "$n"
check "no other idx_ indexes" 21 "$(sql "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx\_%'")"
check "no invalid index at all" 0 "$(sql "SELECT COUNT(*) FROM pg_index WHERE NOT indisvalid")"
check "api key index predicate" "1" "$(sql "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_api_keys_hash_active' AND indexdef LIKE 'CREATE UNIQUE INDEX%WHERE (revoked_at IS NULL)'")"
exit $fail
