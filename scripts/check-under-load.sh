#!/usr/bin/env bash
# `make check-under-load`: the integration tests of the normal build while `stress-ng --cpu N`
# keeps every core busy, so that a test that only passes on an idle machine fails here first.
# stress-ng is bounded by --timeout (the whole budget) and stopped by its pid when the tests end;
# ctest itself is bounded by the same budget (tests that are still running when it is spent fail).
#
# Usage: scripts/check-under-load.sh BUILD_DIR
# Environment: UNDER_LOAD_BUDGET  seconds for the whole run (default 1800)
#              UNDER_LOAD_CPUS    stress-ng CPU workers (default: the number of cores)
#              UNDER_LOAD_TESTS   ctest -R regex of the tests to run (default: every integration test)
#              UNDER_LOAD_EXCLUDE ctest -E regex of tests left out (default: none)
#              JOBS               tests run at once (default: the number of cores)
set -euo pipefail

die() { echo "check-under-load: $2" >&2; exit "$1"; }

[ $# -eq 1 ] || die 3 "usage: scripts/check-under-load.sh BUILD_DIR"
build=$1
[ -f "$build/CTestTestfile.cmake" ] || die 3 "$build: not a configured build (run 'make build' first)"
command -v stress-ng >/dev/null || die 3 "stress-ng is not installed (scripts/deps.sh build)"

cores=$(nproc 2>/dev/null || echo 2)
budget=${UNDER_LOAD_BUDGET:-1800}
cpus=${UNDER_LOAD_CPUS:-$cores}
jobs=${JOBS:-$cores}
[[ "$budget" =~ ^[1-9][0-9]*$ ]] || die 3 "UNDER_LOAD_BUDGET must be a number of seconds, not \"$budget\""
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die 3 "UNDER_LOAD_CPUS must be a positive number, not \"$cpus\""

stress_pid=""
stop_stress() {
  if [ -n "$stress_pid" ] && kill -0 "$stress_pid" 2>/dev/null; then
    kill -TERM "$stress_pid" 2>/dev/null || true
    wait "$stress_pid" 2>/dev/null || true
  fi
  stress_pid=""
}
trap stop_stress EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --timeout bounds stress-ng even if this script is killed without running its trap.
stress-ng --cpu "$cpus" --cpu-method matrixprod --timeout "${budget}s" --quiet &
stress_pid=$!
# Wait (bounded) until stress-ng's workers run, so that no test starts on an idle machine.
for _ in $(seq 100); do
  [ -n "$(pgrep -P "$stress_pid" 2>/dev/null || true)" ] && break
  kill -0 "$stress_pid" 2>/dev/null || die 2 "stress-ng exited before the tests started"
  sleep 0.1
done
echo "check-under-load: stress-ng --cpu $cpus (pid $stress_pid) keeps $cores cores busy;" \
     "integration tests with -j $jobs, at most ${budget} s"

start=$(date +%s)
rc=0
# Tests that judge the original's fixed production latency targets (the regression suite's 5 ms
# median, 100 ms p95) judge them against limits a starved machine can keep, as under ASan.
export TARS_UNDER_LOAD=1
(cd "$build" && ctest --output-on-failure -j "$jobs" -L integration \
   ${UNDER_LOAD_TESTS:+-R "$UNDER_LOAD_TESTS"} ${UNDER_LOAD_EXCLUDE:+-E "$UNDER_LOAD_EXCLUDE"} \
   --stop-time "$(date -u -d "+${budget} seconds" "+%H:%M:%S +0000")") || rc=$?
stop_stress
echo "check-under-load: the integration tests took $(( $(date +%s) - start )) s under load; ctest exit $rc"
exit "$rc"
