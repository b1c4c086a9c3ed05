#!/usr/bin/env bash
# Deploy and rollback steps of release/local.yaml: `tars serve --demo` on
# the loopback address of $TARS_BASE_URL, its data under the run directory.
#
#   scripts/release-local.sh deploy    start it, wait for /health, log in and
#                                      hand a developer token to the later
#                                      steps through $TARS_RELEASE_ENV (mode
#                                      0600, outside the run directory)
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

deploy() {
  : "${TARS_BIN:?set by tars release}" "${TARS_RELEASE_ENV:?set by tars release}"
  local hostport=${TARS_BASE_URL#http://}
  hostport=${hostport%%/*}
  mkdir -p "$DATA"
  say "starting tars serve --demo on $hostport (data $DATA)"
  setsid "$TARS_BIN" serve --demo --listen "$hostport" --data-dir "$DATA" --cors-origins http://localhost:3000 \
    >"$DATA/serve.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  if ! wait_http "$TARS_BASE_URL/health" "$(cat "$PID_FILE")" "$START_TIMEOUT_S"; then
    show_log "$DATA/serve.log"
    die 1 "tars serve did not answer 200 on /health within ${START_TIMEOUT_S}s"
  fi
  say "healthy: $TARS_BASE_URL/health"
  hand_over_credentials
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
rollback | stop) stop ;;
*) die 3 "usage: scripts/release-local.sh deploy|rollback|stop" ;;
esac
