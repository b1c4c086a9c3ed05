#!/usr/bin/env bash
# Deploy and rollback steps of release/local.yaml: `tars serve --demo` on
# the loopback address of $TARS_BASE_URL, its data under the run directory.
#
#   scripts/release-local.sh deploy    start it, wait for /health, log in and
#                                      hand a developer token to the later
#                                      steps through $TARS_RELEASE_ENV (mode
#                                      0600, outside the run directory); start
#                                      a Prometheus scraping it every second
#                                      with the shipped recording rules (their
#                                      intervals cut to 1 s), post evaluations
#                                      until every rule the suite queries has
#                                      data, and hand over PROMETHEUS_URL;
#                                      it also scrapes the ports handed over
#                                      as TARS_LOAD_METRICS_LISTEN (job
#                                      tars-load) and
#                                      TARS_WS_STRESS_METRICS_LISTEN (job
#                                      tars-ws-stress), where the perf
#                                      stage's tars load and tars ws-stress
#                                      serve their live metrics
#   scripts/release-local.sh upgrade   replace a running one with no downtime:
#                                      start the new process on the same port
#                                      (--takeover, SO_REUSEPORT), wait until
#                                      it listens, then SIGTERM the old one,
#                                      which drains
#   scripts/release-local.sh upgrade-abrupt
#                                      the same done badly: kill -9 the old
#                                      one first, then start the new one
#   scripts/release-local.sh rollback  stop it and its Prometheus (a local
#                                      stack has no earlier version to return to)
#   scripts/release-local.sh stop      the same, for the end of a demo
#
# Environment (set by `tars release`): TARS_BIN, TARS_BASE_URL, TARS_RUN_DIR,
# TARS_RELEASE_ENV. TARS_LOCAL_PROMETHEUS=off deploys without Prometheus and
# without the warm-up traffic (the suite's monitoring checks then cannot run).
# Never prints a password or a token.
set -euo pipefail

PROG=release-local
# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench/lib.sh"

START_TIMEOUT_S=20
STOP_TIMEOUT_S=15
DATA_TIMEOUT_S=60
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RULES=$ROOT/deploy/prometheus/recording_rules.yaml
# What suites/local.yaml queries: each must have data before the suite runs.
QUERIED_RULES="tars:evaluation_rate:1m tars:evaluation_latency:p95:1m tars:evaluation_success_rate:1m
tars:agent_reward:avg:1h tars:queue_depth:current tars:http_request_rate:1m tars:http_request_latency:p95:1m"

: "${TARS_RUN_DIR:?set by tars release}" "${TARS_BASE_URL:?set by tars release}"
DATA=$TARS_RUN_DIR/serve
PID_FILE=$DATA/serve.pid

# start_server [--takeover]: one more tars serve on the port, pid into $PID_FILE.
# 127.0.0.2 is exempt from the anonymous rate limit: the release's prober sends
# from there, the suite (which must meet a 429) from 127.0.0.1.
start_server() {
  : "${TARS_BIN:?set by tars release}"
  local hostport=${TARS_BASE_URL#http://} log
  hostport=${hostport%%/*}
  mkdir -p "$DATA"
  log=$DATA/serve-$(date +%s%N).log
  say "starting tars serve --demo $* on $hostport (data $DATA)"
  setsid "$TARS_BIN" serve --demo --listen "$hostport" --data-dir "$DATA" \
    --cors-origins http://localhost:3000 --exempt-networks 127.0.0.2/32 "$@" \
    >"$log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  # Listening (and migrated) once it says so; /health may be answered by the old one.
  for _ in $(seq 1 $((START_TIMEOUT_S * 20))); do
    grep -q 'listening on' "$log" 2>/dev/null && return 0
    process_alive "$(cat "$PID_FILE")" || break
    sleep 0.05
  done
  show_log "$log"
  die 1 "tars serve did not start listening within ${START_TIMEOUT_S}s"
}

deploy() {
  : "${TARS_RELEASE_ENV:?set by tars release}"
  start_server
  wait_http "$TARS_BASE_URL/health" "$(cat "$PID_FILE")" "$START_TIMEOUT_S" ||
    die 1 "tars serve did not answer 200 on /health within ${START_TIMEOUT_S}s"
  say "healthy: $TARS_BASE_URL/health"
  hand_over_credentials warm-up
}

# start_prometheus: a Prometheus in $DATA/prometheus scraping tars serve (job "tars") and the
# live metrics of the perf stage's tars load (job "tars-load", on the port handed over as
# TARS_LOAD_METRICS_LISTEN, which tars load reads as its --metrics-listen) and tars ws-stress
# (job "tars-ws-stress", TARS_WS_STRESS_METRICS_LISTEN, read the same way).
start_prometheus() {
  local hostport=${TARS_BASE_URL#http://} url load_port ws_port
  hostport=${hostport%%/*}
  load_port=$(free_port)
  ws_port=$(free_port)
  [ "$ws_port" != "$load_port" ] || ws_port=$(free_port)
  [[ "$hostport" =~ ^127\.0\.0\.1:[0-9]+$ ]] ||
    die 1 "the local Prometheus scrapes 127.0.0.1 only, not $hostport"
  # The shipped rules, every group evaluated each second (a demo lasts a minute, not an hour).
  sed -E 's/^([[:space:]]*interval:[[:space:]]*)[^[:space:]]+/\11s/' "$RULES" >"$DATA/rules-1s.yaml"
  url=$("$ROOT/scripts/prometheus-local.sh" start "$DATA/prometheus" "$DATA/rules-1s.yaml" "$hostport" \
    "127.0.0.1:$load_port,job=tars-load" "127.0.0.1:$ws_port,job=tars-ws-stress") ||
    die 1 "Prometheus did not start (scripts/deps.sh installs the Debian package prometheus)"
  {
    echo "PROMETHEUS_URL=$url"
    echo "TARS_LOAD_METRICS_LISTEN=127.0.0.1:$load_port"
    echo "TARS_WS_STRESS_METRICS_LISTEN=127.0.0.1:$ws_port"
  } >>"$TARS_RELEASE_ENV"
  PROMETHEUS_URL=$url
  say "Prometheus at $url scrapes $hostport every second (handed over as PROMETHEUS_URL), and the"
  say "load test's live metrics on 127.0.0.1:$load_port (job tars-load, TARS_LOAD_METRICS_LISTEN)"
  say "and ws-stress's on 127.0.0.1:$ws_port (job tars-ws-stress, TARS_WS_STRESS_METRICS_LISTEN)"
}

# missing_data: the queried rules (and up{job="tars"}) that have no finite sample yet, one line
# (a quantile over a window without traffic is NaN: no data to a check).
missing_data() {
  # shellcheck disable=SC2086 # one argument per rule name
  "$PYTHON" - "$PROMETHEUS_URL" $QUERIED_RULES 'up{job="tars"}' <<'PY'
import json, math, sys, urllib.parse, urllib.request
missing = []
for q in sys.argv[2:]:
    try:
        with urllib.request.urlopen(sys.argv[1] + "/api/v1/query?query=" + urllib.parse.quote(q),
                                    timeout=2) as r:
            result = json.load(r)["data"]["result"]
            if not any(math.isfinite(float(s["value"][1])) for s in result):
                missing.append(q)
    except Exception:
        missing.append(q)
print(" ".join(missing))
PY
}

# warm_up HEADER_FILE: posts an evaluation every half second until Prometheus has a finite sample
# of every rule the suite queries (rates need two scrapes with traffic in between).
warm_up() {
  local header=$1 body=$DATA/warm-up.json deadline=$((SECONDS + DATA_TIMEOUT_S)) missing n=0 status
  while :; do
    n=$((n + 1))
    printf '{"agent_id":"policy","region":"us-east-1","status":"completed","reward":%d,"duration_ms":%d,"details":{"source":"release-local warm-up"}}' \
      $((n % 50)) $((100 + n)) >"$body"
    status=$(http POST "$TARS_BASE_URL/api/v1/evaluations" "$DATA/warm-up.out" "$header" "$body")
    [ "$status" = 201 ] || die 1 "warm-up: POST /api/v1/evaluations answered HTTP $status"
    missing=$(missing_data)
    [ -n "$missing" ] || break
    [ "$SECONDS" -lt "$deadline" ] || die 1 "Prometheus has no data for $missing after ${DATA_TIMEOUT_S}s"
    sleep 0.5
  done
  rm -f "$body" "$DATA/warm-up.out"*
  say "Prometheus has data for every rule suites/local.yaml queries ($n evaluations posted)"
}

# upgrade [abrupt]: replaces the running server by a new process.
upgrade() {
  local old
  [ -f "$PID_FILE" ] || die 1 "no running server to upgrade ($PID_FILE missing)"
  old=$(cat "$PID_FILE")
  if [ "${1:-}" = abrupt ]; then
    say "kill -9 $old, then start the new one"
    kill -KILL "$old" 2>/dev/null || true
    start_server
  else
    start_server --takeover
    say "new server (pid $(cat "$PID_FILE")) listening beside the old one; SIGTERM to $old"
    kill -TERM "$old" 2>/dev/null || true
    for _ in $(seq 1 $((STOP_TIMEOUT_S * 20))); do
      kill -0 "$old" 2>/dev/null || break
      sleep 0.05
    done
  fi
  if [ -n "${TARS_RELEASE_ENV:-}" ]; then
    hand_over_credentials
  fi
}

# The developer's token for the suite and the load test, into
# $TARS_RELEASE_ENV only. With "warm-up": Prometheus too, fed until it has data.
hand_over_credentials() {
  local auth=$DATA/auth reply
  mkdir -p "$auth"
  chmod 700 "$auth"
  reply=$(tars_login "$TARS_BASE_URL" "$DATA/credentials.json" developer "$auth/header") ||
    die 1 "login as developer: HTTP ${reply%% *}"
  (
    umask 077
    "$PYTHON" - "$auth/header" "$TARS_RELEASE_ENV" <<'PY'
import sys
token = open(sys.argv[1]).read().split("Bearer ", 1)[1].strip()
with open(sys.argv[2], "a") as f:
    f.write("TARS_API_TOKEN=%s\n" % token)
PY
  )
  say "a developer token was handed to the next steps (TARS_API_TOKEN)"
  if [ "${1:-}" = warm-up ] && [ "${TARS_LOCAL_PROMETHEUS:-on}" != off ]; then
    start_prometheus
    warm_up "$auth/header"
  fi
  rm -rf "$auth"
}

stop() {
  local pid
  if [ -d "$DATA/prometheus" ]; then
    "$ROOT/scripts/prometheus-local.sh" stop "$DATA/prometheus"
    say "Prometheus stopped"
  fi
  [ -f "$PID_FILE" ] || { say "nothing to stop"; return 0; }
  pid=$(cat "$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 $((STOP_TIMEOUT_S * 20))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      die 1 "tars serve (pid $pid) did not stop on SIGTERM within ${STOP_TIMEOUT_S}s"
    fi
  fi
  rm -f "$PID_FILE"
  say "tars serve (pid $pid) stopped"
}

case "${1:-}" in
deploy) deploy ;;
upgrade) upgrade ;;
upgrade-abrupt) upgrade abrupt ;;
rollback | stop) stop ;;
*) die 3 "usage: scripts/release-local.sh deploy|upgrade|upgrade-abrupt|rollback|stop" ;;
esac
