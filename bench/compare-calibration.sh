#!/usr/bin/env bash
# How often `tars compare` cries wolf, and how often it catches a real regression, measured on
# this machine (docs/compare.md "Calibration").
#
#   A/A: pairs of runs of the same build against one `tars serve --demo`:
#     - the demo's scenario (scenarios/tars-api.yaml, 20 users thinking 1-5 s, CAL_DEMO_DURATION
#       each), one run after the other as `make demo` compares them: run k against run k+1;
#     - a saturating scenario (GET /api/v1/agents, CAL_CONNECTIONS users without think time,
#       CAL_SAT_DURATION), both arms started together, each through its own fault proxy
#       (tests/fixtures/fault_proxy.py) in pass mode.
#   A/B: the saturating pairs again, the current arm through a proxy adding a fixed delay to
#     every response: +2 ms, +5 ms, and +20 % of the A/A p95 (at least 2 ms).
#   Then every pair is compared again offline under a few other settings (thresholds, alpha,
#   latency floor) so the defaults can be chosen from the figures.
#
# Usage: bench/compare-calibration.sh BINARY [--write-docs]
#   --write-docs  replaces the block between the calibration markers in docs/compare.md
# Environment: CAL_PAIRS (20), CAL_DEMO_DURATION (10s), CAL_SAT_DURATION (3s),
#   CAL_CONNECTIONS (8), CAL_KEEP=1 keeps the working directory.
# Exit: 0 measured and the goals met, 1 a goal missed, 2 a tool failed, 3 bad usage.
set -euo pipefail

PROG=compare-calibration
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$ROOT/bench/lib.sh"

PAIRS=${CAL_PAIRS:-20}
DEMO_DURATION=${CAL_DEMO_DURATION:-10s}
SAT_DURATION=${CAL_SAT_DURATION:-3s}
CONNECTIONS=${CAL_CONNECTIONS:-8}
PROXY=$ROOT/tests/fixtures/fault_proxy.py
WORK=""
SERVER_PID=""
PROXY_PIDS=()

cleanup() {
  local rc=$? pid
  for pid in "${PROXY_PIDS[@]}"; do
    stop_process "$pid" 5 || true
  done
  [ -z "$SERVER_PID" ] || stop_process "$SERVER_PID" 10 || true
  if [ -n "$WORK" ]; then
    if [ "${CAL_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}

# port_outside_ephemeral: a free loopback port in 20000-32767 (below the kernel's ephemeral range).
port_outside_ephemeral() {
  "$PYTHON" -c 'import random, socket
for p in random.sample(range(20000, 32768), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    raise SystemExit("no free port")'
}

start_server() {
  local binary=$1 port log
  port=$(port_outside_ephemeral)
  BASE=http://127.0.0.1:$port
  log=$WORK/serve.log
  "$binary" serve --demo --listen "127.0.0.1:$port" --data-dir "$WORK/serve" \
    --rate-limit-public 0 --rate-limit-auth 0 >"$log" 2>&1 </dev/null &
  SERVER_PID=$!
  wait_http "$BASE/health" "$SERVER_PID" 30 || {
    show_log "$log"
    die 2 "tars serve did not answer on $BASE/health within 30 s"
  }
  tars_login "$BASE" "$WORK/serve/credentials.json" developer "$WORK/auth-header" >/dev/null ||
    die 2 "could not log in as developer on $BASE"
  # The token goes to tars load through the environment only (never argv, never printed).
  TARS_CAL_TOKEN=$(sed -n 's/^Authorization: Bearer //p' "$WORK/auth-header")
  export TARS_CAL_TOKEN
}

# start_proxy MODE [ARGS...]: a fault proxy in front of the server with a pass listener beside
# the fault (one process, one event loop for both arms: a busy machine starves them alike);
# sets PROXY_URL (the fault) and PASS_URL (unchanged).
start_proxy() {
  local out=$WORK/proxy-$RANDOM$RANDOM lines="" pid
  "$PYTHON" -B "$PROXY" "$@" --upstream "${BASE#http://}" --lifetime 3600 --pass-listener \
    --max-connections 256 >"$out.out" 2>"$out.err" </dev/null &
  pid=$!
  PROXY_PIDS+=("$pid")
  for _ in $(seq 1 200); do
    lines=$(head -n 2 "$out.out" 2>/dev/null | tr '\n' ' ' || true)
    [[ "$lines" =~ pass-port ]] && break
    process_alive "$pid" || break
    sleep 0.05
  done
  [[ "$lines" =~ ^port\ ([0-9]+)\ pass-port\ ([0-9]+)\ $ ]] || {
    show_log "$out.err"
    die 2 "fault proxy $* did not start"
  }
  PROXY_URL=http://127.0.0.1:${BASH_REMATCH[1]}
  PASS_URL=http://127.0.0.1:${BASH_REMATCH[2]}
  PROXY_PID=$pid
}

stop_proxy() {
  local pid=$1 keep=() p
  stop_process "$pid" 5 || true
  for p in "${PROXY_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PROXY_PIDS=("${keep[@]}")
}

# run_load JSON ARGS...: tars load ARGS --json JSON; a failed request is data (exit 1 or 2 with
# a result written), anything else (bad usage, no result) stops the calibration.
run_load() {
  local json=$1 rc=0
  shift
  (cd "$ROOT" && "$BINARY" load "$@" -q --json "$json") >"$json.log" 2>&1 || rc=$?
  if [ "$rc" -gt 2 ] || [ ! -s "$json" ]; then
    show_log "$json.log"
    die 2 "tars load $1 failed (exit $rc)"
  fi
}

# saturating URL JSON: one saturating run (closed model, no think time).
saturating() {
  run_load "$2" "$1/api/v1/agents" --token-env TARS_CAL_TOKEN -c "$CONNECTIONS" -t 1 \
    -d "$SAT_DURATION"
}

# demo_run JSON: one run of the demo's load scenario, as release/local.yaml runs it.
demo_run() {
  run_load "$1" scenarios/tars-api.yaml --host "$BASE" --token-env TARS_CAL_TOKEN --users 20 \
    --spawn-rate 20 --duration "$DEMO_DURATION"
}

# pairs_side_by_side NAME BASE_URL CURRENT_URL: PAIRS pairs, both arms started together;
# one line "NAME BASELINE.json CURRENT.json" each into $WORK/pairs.
pairs_side_by_side() {
  local name=$1 a_url=$2 b_url=$3 i a b pa pb
  for i in $(seq 1 "$PAIRS"); do
    a=$WORK/$name-$i-a.json
    b=$WORK/$name-$i-b.json
    saturating "$a_url" "$a" &
    pa=$!
    saturating "$b_url" "$b" &
    pb=$!
    wait "$pa" || die 2 "pair $name $i: the baseline arm failed"
    wait "$pb" || die 2 "pair $name $i: the current arm failed"
    echo "$name $a $b" >>"$WORK/pairs"
  done
  say "    $PAIRS pairs of $name done"
}

# proxy_capacity: the same saturating run straight to the server and through a pass proxy.
proxy_capacity() {
  step "How much the Python proxy limits a saturating run ($CONNECTIONS users, $SAT_DURATION)"
  saturating "$BASE" "$WORK/direct.json"
  start_proxy pass
  saturating "$PROXY_URL" "$WORK/via-proxy.json"
  stop_proxy "$PROXY_PID"
}

main() {
  local write_docs=0 p20
  [ $# -ge 1 ] || die 3 "usage: bench/compare-calibration.sh BINARY [--write-docs]"
  BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$BINARY" ] || die 3 "$1: not an executable (run 'make build' first)"
  [ "${2:-}" != --write-docs ] || write_docs=1
  if ! [[ "$PAIRS" =~ ^[0-9]+$ ]] || [ "$PAIRS" -lt 2 ]; then
    die 3 "CAL_PAIRS must be a number >= 2"
  fi
  require_tools curl "$PYTHON"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tars-calibration.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  : >"$WORK/pairs"
  {
    echo "date $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "machine $(uname -sr), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "loadavg_start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "settings pairs $PAIRS, demo runs $DEMO_DURATION, saturating runs $SAT_DURATION with $CONNECTIONS users"
  } >"$WORK/machine"

  start_server "$BINARY"
  say "tars serve --demo on $BASE (rate limits off); $(tr '\n' ';' <"$WORK/machine")"
  proxy_capacity

  step "A/A, the demo's scenario: $((PAIRS + 1)) runs of $DEMO_DURATION one after the other"
  local i
  for i in $(seq 0 "$PAIRS"); do
    demo_run "$WORK/demo-$i.json"
    [ "$i" -eq 0 ] || echo "demo-aa $WORK/demo-$((i - 1)).json $WORK/demo-$i.json" >>"$WORK/pairs"
  done
  echo "loadavg_demo $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine"

  step "A/A, saturating: both arms together, through two pass ports of one proxy"
  start_proxy pass
  pairs_side_by_side sat-aa "$PASS_URL" "$PROXY_URL"
  stop_proxy "$PROXY_PID"
  echo "loadavg_aa $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine"

  p20=$("$PYTHON" "$ROOT/bench/compare_calibration.py" p95-delay "$WORK/pairs")
  local delays=(2 5) delay
  [ "$p20" = 2 ] || [ "$p20" = 5 ] || delays+=("$p20")
  for delay in "${delays[@]}"; do
    step "A/B, saturating: the current arm through the proxy's port adding $delay ms to every response"
    start_proxy delay --delay-ms "$delay"
    pairs_side_by_side "sat-ab-$delay" "$PASS_URL" "$PROXY_URL"
    stop_proxy "$PROXY_PID"
  done
  echo "loadavg_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine"

  step "Verdicts"
  local docs_args=()
  [ "$write_docs" = 0 ] || docs_args=(--write-docs "$ROOT/docs/compare.md")
  "$PYTHON" "$ROOT/bench/compare_calibration.py" tables "$WORK/pairs" --tars "$BINARY" \
    --machine "$WORK/machine" --direct "$WORK/direct.json" --via-proxy "$WORK/via-proxy.json" \
    --p20 "$p20" "${docs_args[@]}"
}

main "$@"
