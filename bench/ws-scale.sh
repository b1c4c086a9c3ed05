#!/usr/bin/env bash
# bench/ws-scale.sh BINARY: the WebSocket feed at scale, everything on 127.0.0.1
# (docs/benchmarks.md "WebSocket at scale").
#
#   1. tars serve --demo (SQLite); a developer token (it may post evaluations and
#      subscribe), kept in a 0600 file and handed to ws-stress through its
#      environment, never on argv.
#   2. tars ws-stress with BENCH_CONNECTIONS (10,000) connections subscribed to
#      evaluation.updates, opened at BENCH_RAMP connections/s, then publishing
#      BENCH_RATE evaluations/s through POST /api/v1/evaluations for about
#      BENCH_DURATION seconds after the ramp: every post is broadcast to every
#      connection (10 messages/s to 10,000 clients = 100,000 deliveries/s).
#   3. Resident memory of the server and of ws-stress sampled every 0.2 s (the
#      peaks are reported), delivery latency p50/p99 from ws-stress's JSON
#      (server timestamp to receipt; one machine, so one clock).
# The last line holds the figures and the targets: server RSS < 1 GB, p99 < 50 ms,
# all connections held by one ws-stress process.
#
# Environment: BENCH_CONNECTIONS (10000), BENCH_RATE (10), BENCH_DURATION (30),
# BENCH_RAMP (2000), BENCH_SERVE_THREADS (default: number of CPUs),
# BENCH_STRESS_THREADS (default: number of CPUs), BENCH_ENFORCE=1 (exit 1 when a
# target is missed).
# Exit: 0 measured; 1 messages lost or duplicated (or a missed target with
#       BENCH_ENFORCE=1); 2 a tool is missing, the descriptor limit is too low or
#       tars did not start; 3 bad usage.
set -euo pipefail

PROG=bench/ws-scale
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS=${BENCH_CONNECTIONS:-10000}
RATE=${BENCH_RATE:-10}
DURATION=${BENCH_DURATION:-30}
RAMP=${BENCH_RAMP:-2000}
CPUS=$(nproc)
SERVE_THREADS=${BENCH_SERVE_THREADS:-$CPUS}
STRESS_THREADS=${BENCH_STRESS_THREADS:-$CPUS}
ENFORCE=${BENCH_ENFORCE:-0}
START_TIMEOUT_S=20
STOP_TIMEOUT_S=15
TARGET_RSS_MB=1024
TARGET_P99_MS=50

WORK=""
TARS_PID=""
STRESS_PID=""

cleanup() {
  local rc=$?
  if [ -n "$STRESS_PID" ] && process_alive "$STRESS_PID"; then
    kill -INT "$STRESS_PID" 2>/dev/null || true
    wait "$STRESS_PID" 2>/dev/null || true
  fi
  if [ -n "$TARS_PID" ] && process_alive "$TARS_PID"; then
    stop_process "$TARS_PID" "$STOP_TIMEOUT_S" || warn "tars serve did not stop cleanly ($STOP_STATUS)"
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit "$rc"
}

# rss_kb PID: resident set size in KiB, 0 once the process is gone.
rss_kb() {
  awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Both processes hold a descriptor per connection, plus their own.
raise_fd_limit() {
  local want=$((CONNECTIONS + 1024)) hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    die 2 "ulimit -Hn is $hard; $want descriptors are needed per process"
  fi
  ulimit -n "$want"
  say "    ulimit -n $want"
}

start_tars() {
  local binary=$1 port reply
  port=$(free_port)
  TARS_BASE="127.0.0.1:$port"
  step "tars serve --demo --threads $SERVE_THREADS on $TARS_BASE (SQLite)"
  "$binary" serve --demo --threads "$SERVE_THREADS" --listen "$TARS_BASE" \
    --data-dir "$WORK/tars-data" --exempt-networks 127.0.0.0/8 >"$WORK/tars.log" 2>&1 &
  TARS_PID=$!
  if ! wait_http "http://$TARS_BASE/health" "$TARS_PID" "$START_TIMEOUT_S"; then
    show_log "$WORK/tars.log"
    die 2 "tars serve did not become healthy at http://$TARS_BASE/health"
  fi
  reply=$(tars_login "http://$TARS_BASE" "$WORK/tars-data/credentials.json" developer "$WORK/auth") ||
    die 2 "cannot log in as developer (HTTP ${reply%% *})"
  say "    pid $TARS_PID, RSS $(($(rss_kb "$TARS_PID") / 1024)) MB idle; developer token obtained (not shown)"
}

# run_stress BINARY: ws-stress in the background, RSS sampled until it ends.
run_stress() {
  local binary=$1 ramp_s total server_peak=0 stress_peak=0 r rc=0
  ramp_s=$(((CONNECTIONS + RAMP - 1) / RAMP))
  total=$((ramp_s + DURATION))
  step "tars ws-stress: $CONNECTIONS connections ($RAMP/s, $STRESS_THREADS threads), $RATE posts/s, ${total}s"
  # The token goes through the environment of this one process only.
  WS_TOKEN=$(sed -n 's/^Authorization: Bearer //p' "$WORK/auth") \
    "$binary" ws-stress "ws://$TARS_BASE/ws" --connections "$CONNECTIONS" --duration "${total}s" \
    --channel evaluation.updates --publish-rate "$RATE/s" --token-env WS_TOKEN \
    --threads "$STRESS_THREADS" --ramp-rate "$RAMP/s" --connect-timeout 30s --drain 10s \
    --json "$WORK/ws.json" -q >"$WORK/stress.out" 2>"$WORK/stress.err" &
  STRESS_PID=$!
  while process_alive "$STRESS_PID"; do
    r=$(rss_kb "$TARS_PID"); [ "$r" -gt "$server_peak" ] && server_peak=$r
    r=$(rss_kb "$STRESS_PID"); [ "$r" -gt "$stress_peak" ] && stress_peak=$r
    sleep 0.2
  done
  wait "$STRESS_PID" || rc=$?
  STRESS_PID=""
  SERVER_RSS_MB=$((server_peak / 1024))
  STRESS_RSS_MB=$((stress_peak / 1024))
  sed 's/^/    /' "$WORK/stress.out"
  [ -s "$WORK/stress.err" ] && sed 's/^/    /' "$WORK/stress.err" >&2
  [ -s "$WORK/ws.json" ] || die 2 "ws-stress wrote no summary (exit $rc)"
  say "    ws-stress exit $rc"
}

main() {
  [ $# -eq 1 ] || die 3 "usage: bench/ws-scale.sh path/to/tars"
  local binary=$1
  [ -x "$binary" ] || die 3 "$binary is not an executable"
  require_tools curl awk sed
  WORK=$(mktemp -d /tmp/tars-bench-ws.XXXXXX)
  chmod 700 "$WORK"
  trap cleanup EXIT INT TERM
  step "limits"
  raise_fd_limit
  start_tars "$binary"
  run_stress "$binary"

  local established lost dup expected published p50 p99 verdict=met
  established=$(json_get "$WORK/ws.json" connections established)
  expected=$(json_get "$WORK/ws.json" messages expected)
  lost=$(json_get "$WORK/ws.json" messages lost)
  dup=$(json_get "$WORK/ws.json" messages duplicated)
  published=$(json_get "$WORK/ws.json" messages published)
  p50=$(json_get "$WORK/ws.json" latency p50_ms)
  p99=$(json_get "$WORK/ws.json" latency p99_ms)
  [ "$p99" = null ] && die 2 "no message was delivered; nothing to measure"
  p50=$(printf '%.2f' "$p50")
  p99=$(printf '%.2f' "$p99")
  if [ "$established" -lt "$CONNECTIONS" ] || [ "$SERVER_RSS_MB" -ge "$TARGET_RSS_MB" ] ||
    awk -v p="$p99" -v t="$TARGET_P99_MS" 'BEGIN { exit !(p >= t) }'; then
    verdict=missed
  fi
  step "figures"
  say "    connections established: $established/$CONNECTIONS (one ws-stress process)"
  say "    published $published; deliveries expected $expected, lost $lost, duplicated $dup"
  say "    delivery latency p50 $p50 ms, p99 $p99 ms (target < $TARGET_P99_MS ms)"
  say "    peak RSS: tars serve $SERVER_RSS_MB MB (target < $TARGET_RSS_MB MB), ws-stress $STRESS_RSS_MB MB"
  say "ws-scale: connections $established/$CONNECTIONS rate ${RATE}/s server_rss_mb $SERVER_RSS_MB" \
    "p50_ms $p50 p99_ms $p99 lost $lost/$expected duplicated $dup ws_stress_rss_mb $STRESS_RSS_MB" \
    "targets $verdict"
  [ "$lost" = 0 ] && [ "$dup" = 0 ] || exit 1
  [ "$ENFORCE" = 1 ] && [ "$verdict" = missed ] && exit 1
  return 0
}

main "$@"
