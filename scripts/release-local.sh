#!/usr/bin/env bash
# Deploy and rollback steps of release/local.yaml: `tars serve --demo` on
# the loopback address of $TARS_BASE_URL, its data under the run directory.
#
#   scripts/release-local.sh deploy    start it, wait for /health, log in and
#                                      hand a developer token to the later
#                                      steps through $TARS_RELEASE_ENV (mode
#                                      0600, outside the run directory)
#   scripts/release-local.sh upgrade   replace a running one with no downtime:
#                                      start the new process on the same port
#                                      (--takeover, SO_REUSEPORT), wait until
#                                      it listens, then SIGTERM the old one,
#                                      which drains
#   scripts/release-local.sh upgrade-abrupt
#                                      the same done badly: kill -9 the old
#                                      one first, then start the new one
#   scripts/release-local.sh rollback  stop it (a local stack has no earlier
#                                      version to return to)
#   scripts/release-local.sh stop      the same, for the end of a demo
#
# Environment (set by `tars release`): TARS_BIN, TARS_BASE_URL, TARS_RUN_DIR,
# TARS_RELEASE_ENV. Never prints a password or a token.
set -euo pipefail

PROG=release-local
# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench/lib.sh"

START_TIMEOUT_S=20
STOP_TIMEOUT_S=15

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
  hand_over_credentials
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
# $TARS_RELEASE_ENV only.
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
  rm -rf "$auth"
  say "a developer token was handed to the next steps (TARS_API_TOKEN)"
}

stop() {
  local pid
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
