#!/usr/bin/env bash
# `make demo` at this stage: start `tars serve --demo` on a free loopback port
# with a throwaway data directory, log in, read the agents, write an
# evaluation and read it back, show a few metric lines, stop the server.
# Prints each step; never prints a password or a token. Exits non-zero as
# soon as a step fails, and always stops the server and removes its files.
#
# Usage: scripts/demo.sh BINARY      (e.g. scripts/demo.sh build/src/cli/tars)
set -euo pipefail

PROG=demo
# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench/lib.sh"

START_TIMEOUT_S=20
STOP_TIMEOUT_S=15

WORK=""
SERVER_PID=""
BASE=""

cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && process_alive "$SERVER_PID"; then
    stop_process "$SERVER_PID" "$STOP_TIMEOUT_S" || true
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit "$rc"
}

# fail MESSAGE [RESPONSE_FILE]: says what failed, shows the response body and
# the end of the server log, exits 1.
fail() {
  printf '%s: FAILED: %s\n' "$PROG" "$1" >&2
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    printf -- '--- response ---\n%s\n---\n' "$(head -c 2000 "$2")" >&2
  fi
  if [ -n "${2:-}" ] && [ -s "$2.curl-error" ]; then
    printf 'curl: %s\n' "$(cat "$2.curl-error")" >&2
  fi
  show_log "$WORK/server.log"
  exit 1
}

# expect_status WHAT GOT WANT FILE
expect_status() {
  [ "$2" = "$3" ] || fail "$1: HTTP $2, expected $3" "$4"
}

start_server() {
  local binary=$1 port
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  step "Starting the server on a free port"
  say "    $binary serve --demo --listen 127.0.0.1:$port --data-dir $WORK/data"
  "$binary" serve --demo --listen "127.0.0.1:$port" --data-dir "$WORK/data" \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  say "    pid $SERVER_PID, log $WORK/server.log"

  step "Waiting for GET /health (at most ${START_TIMEOUT_S}s)"
  if ! wait_http "$BASE/health" "$SERVER_PID" "$START_TIMEOUT_S"; then
    if process_alive "$SERVER_PID"; then
      fail "the server did not answer 200 on $BASE/health within ${START_TIMEOUT_S}s"
    fi
    local rc=0
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=""
    fail "the server exited with status $rc before it was healthy"
  fi
  http GET "$BASE/health" "$WORK/health.json" >/dev/null
  "$PYTHON" -c 'import json, sys
h = json.load(open(sys.argv[1]))
print("    HTTP 200: status %s, service %s, version %s, database %s" % tuple(
    h.get(k, "?") for k in ("status", "service", "version", "database")))' "$WORK/health.json" ||
    fail "GET /health did not answer JSON" "$WORK/health.json"
  grep -m1 'listening on' "$WORK/server.log" | sed 's/^/    log: /' || true
}

check_credentials() {
  local file=$WORK/data/credentials.json mode users
  step "Reading the demo users from $file"
  [ -f "$file" ] || fail "--demo did not write $file"
  mode=$(stat -c '%a' "$file")
  [ "$mode" = 600 ] || fail "$file has mode $mode, expected 600"
  users=$("$PYTHON" -c 'import json, sys
for u in json.load(open(sys.argv[1]))["users"]:
    print("    %-10s role %-9s password ********" % (u["username"], u["role"]))' "$file") ||
    fail "cannot read the users in $file"
  say "$users"
  say "    (mode 0600; passwords are never printed)"
}

login() {
  local user=$1 reply
  step "Logging in as $user: POST /api/v1/auth/token"
  reply=$(tars_login "$BASE" "$WORK/data/credentials.json" "$user" "$WORK/auth-$user") ||
    fail "login as $user: HTTP ${reply%% *}" "$WORK/token-$user.out"
  say "    HTTP 200, access token ******** (expires in ${reply#* } s)"
}

list_agents() {
  local status
  step "Listing agents as viewer: GET /api/v1/agents"
  status=$(http GET "$BASE/api/v1/agents" "$WORK/agents.json" "$WORK/auth-viewer")
  expect_status "GET /api/v1/agents" "$status" 200 "$WORK/agents.json"
  "$PYTHON" - "$WORK/agents.json" <<'PY' || fail "unexpected agents body" "$WORK/agents.json"
import json, sys
reply = json.load(open(sys.argv[1]))
agents = reply["agents"]
if not agents or reply["total"] != len(agents):
    sys.exit("no agents, or total does not match")
print("    HTTP 200, total %d" % reply["total"])
print("    %-10s %-5s %-8s %-12s %12s %10s" % ("id", "type", "status", "region", "total_steps", "reward"))
for a in agents:
    print("    %-10s %-5s %-8s %-12s %12s %10.3f" % (a["id"], a["type"], a["status"], a["region"],
                                                a["total_steps"], a["recent_reward_mean"]))
PY
}

post_evaluation() {
  local status location
  step "Writing an evaluation as developer: POST /api/v1/evaluations"
  cat >"$WORK/evaluation.json" <<'JSON'
{"agent_id": "policy", "region": "us-east-1", "status": "completed",
 "reward": 0.875, "duration_ms": 1234, "details": {"source": "make demo"}}
JSON
  say "    body: $(tr -s ' \n' ' ' <"$WORK/evaluation.json" | sed 's/ $//')"
  status=$(http POST "$BASE/api/v1/evaluations" "$WORK/created.json" \
    "$WORK/auth-developer" "$WORK/evaluation.json")
  expect_status "POST /api/v1/evaluations" "$status" 201 "$WORK/created.json"
  location=$(header_value "$WORK/created.json.headers" Location)
  [ -n "$location" ] || fail "201 without a Location header" "$WORK/created.json"
  say "    HTTP 201 Created, Location: $location"
  EVALUATION_PATH=$location
}

read_evaluation() {
  local status
  step "Reading it back as viewer: GET $EVALUATION_PATH"
  status=$(http GET "$BASE$EVALUATION_PATH" "$WORK/evaluation-read.json" "$WORK/auth-viewer")
  expect_status "GET $EVALUATION_PATH" "$status" 200 "$WORK/evaluation-read.json"
  "$PYTHON" - "$WORK/evaluation-read.json" "$EVALUATION_PATH" <<'PY' || fail "the evaluation read back differs from the one written" "$WORK/evaluation-read.json"
import json, sys
e = json.load(open(sys.argv[1]))
if not sys.argv[2].endswith("/" + e["id"]) or e["agent_id"] != "policy" or e["reward"] != 0.875:
    sys.exit("the evaluation read back differs from the one written")
print("    HTTP 200: id %s, agent %s, region %s, status %s, reward %s, created_at %s"
      % (e["id"], e["agent_id"], e["region"], e["status"], e["reward"], e["created_at"]))
PY
}

show_metrics() {
  local status
  step "A few Prometheus metrics: GET /metrics"
  status=$(http GET "$BASE/metrics" "$WORK/metrics.txt")
  expect_status "GET /metrics" "$status" 200 "$WORK/metrics.txt"
  grep -E '^tars_http_requests_total\{' "$WORK/metrics.txt" >"$WORK/requests.prom" ||
    fail "no tars_http_requests_total in /metrics" "$WORK/metrics.txt"
  grep -E '^tars_evaluation_total\{' "$WORK/metrics.txt" >"$WORK/evaluations.prom" ||
    fail "no tars_evaluation_total in /metrics after a POST" "$WORK/metrics.txt"
  say "    $(grep -c . "$WORK/requests.prom") request series; the first ones:"
  head -n 6 "$WORK/requests.prom" | sed 's/^/    /'
  head -n 2 "$WORK/evaluations.prom" | sed 's/^/    /'
}

stop_server() {
  local started=$SECONDS
  step "Stopping the server with SIGTERM"
  stop_process "$SERVER_PID" "$STOP_TIMEOUT_S" ||
    fail "the server did not exit cleanly on SIGTERM (status $STOP_STATUS)"
  SERVER_PID=""
  say "    exited with status 0 after $((SECONDS - started)) s"
}

main() {
  [ $# -eq 1 ] || die 3 "usage: scripts/demo.sh BINARY"
  local binary=$1
  [ -x "$binary" ] || die 3 "$binary: not an executable (run 'make build' first)"
  require_tools curl "$PYTHON"

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tars-demo.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  say "tars demo: the reference T.A.R.S. dashboard API on SQLite, everything on 127.0.0.1"
  start_server "$binary"
  check_credentials
  login viewer
  login developer
  list_agents
  post_evaluation
  read_evaluation
  show_metrics
  stop_server
  printf '\ndemo: every step passed (server started, logged in, read agents, wrote and read an evaluation, metrics, clean stop)\n'
}

main "$@"
