#!/usr/bin/env bash
# bench/serve.sh BINARY: `tars serve` against nginx, same run, same machine,
# everything on 127.0.0.1 (docs/benchmarks.md).
#
#   1. tars serve --demo --threads 1 (SQLite); a viewer and a developer token.
#   2. nginx, 1 worker, serving a static file holding the very bytes of the
#      authenticated GET /api/v1/agents response (same size, same type).
#   3. wrk -t1 -c50: warm-up, then the measured run against each; both get the
#      same request, Authorization header included. Ours, nginx's, the ratio.
#   4. Latency at about half of our rate: wrk has no fixed-rate mode, so each
#      connection pauses 1 ms between requests (a wrk Lua delay()) and the
#      number of connections is calibrated to land near the rate; p99 from
#      wrk --latency, reported with the rate really achieved.
#   5. Acknowledged POST /api/v1/evaluations as developer: req/s; every
#      response must be a 201, and the rows must be there afterwards.
# The last line holds the main figures and the ratio.
#
# Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3),
# BENCH_CONNECTIONS (default 50), BENCH_ROUNDS (rounds of one nginx and one
# tars run; the round with the median ratio is reported; default 1),
# BENCH_ENFORCE=1 (exit 1 when a target is missed).
# Exit: 0 measured; 1 wrong responses (or a missed target with BENCH_ENFORCE=1);
#       2 a tool is missing or nginx/tars did not start; 3 bad usage.
set -euo pipefail

PROG=bench/serve
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
ROUNDS=${BENCH_ROUNDS:-1}
ENFORCE=${BENCH_ENFORCE:-0}
START_TIMEOUT_S=20
STOP_TIMEOUT_S=15
# Targets (measured here, not by timed tests).
TARGET_RATIO=0.80
TARGET_P99_MS=5
TARGET_POST=5000

WORK=""
TARS_PID=""
NGINX_PID=""
NGINX=""
TARS_URL=""
NGINX_URL=""

cleanup() {
  local rc=$?
  if [ -n "$TARS_PID" ] && process_alive "$TARS_PID"; then
    stop_process "$TARS_PID" "$STOP_TIMEOUT_S" || warn "tars serve did not stop cleanly ($STOP_STATUS)"
  fi
  if [ -n "$NGINX_PID" ] && process_alive "$NGINX_PID"; then
    stop_process "$NGINX_PID" "$STOP_TIMEOUT_S" || true
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit "$rc"
}

# ---- wrk runs and their figures -------------------------------------------
write_lua_scripts() {
  # GET with the Authorization header read from a file (never on argv);
  # BENCH_DELAY_MS > 0 makes each connection pause between requests.
  cat >"$WORK/get.lua" <<'LUA'
local f = assert(io.open(os.getenv("BENCH_AUTH_FILE")))
local name, value = f:read("*l"):match("^([^:]+):%s*(.-)%s*$")
f:close()
wrk.headers[name] = value
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end
LUA
  # POST one evaluation per request and count the answers that are not 201.
  cat >"$WORK/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BENCH_AUTH_FILE")))
local name, value = f:read("*l"):match("^([^:]+):%s*(.-)%s*$")
f:close()
wrk.method = "POST"
wrk.headers[name] = value
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"agent_id":"policy","region":"us-east-1","status":"completed",'
  .. '"reward":0.91,"duration_ms":42,"details":{"source":"bench/serve.sh"}}'

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) created, other = 0, 0 end
function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); o = o + t:get("other") end
  io.write(string.format("created_201: %d\nnot_201: %d\n", c, o))
end
LUA
}

# run_wrk OUT SECONDS CONNECTIONS AUTH_FILE SCRIPT URL [DELAY_MS]: one wrk run,
# its output in OUT; bounded by timeout(1) in case wrk hangs.
run_wrk() {
  local out=$1 seconds=$2 connections=$3 auth=$4 script=$5 url=$6 delay_ms=${7:-0}
  BENCH_AUTH_FILE=$auth BENCH_DELAY_MS=$delay_ms \
    timeout $((seconds + 30)) wrk -t1 -c"$connections" -d"${seconds}s" --timeout 5s \
    --latency -s "$script" "$url" >"$out" 2>&1 ||
    die 2 "wrk failed against $url: $(tail -n 3 "$out")"
}

# Figures from a wrk output file.
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f\n", $2; found = 1 } END { if (!found) print 0 }' "$1"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$1"; }
wrk_socket_errors() { awk -F'Socket errors: ' 'NF > 1 { print $2 }' "$1"; }
# p99 in milliseconds, from "     99%    1.23ms" (units us, ms, s).
wrk_p99_ms() {
  awk '$1 == "99%" {
      v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
      f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : -1
      printf "%.2f\n", v * f; found = 1 }
    END { if (!found) print "n/a" }' "$1"
}

# check_wrk NAME FILE: a run whose answers were errors measures nothing.
check_wrk() {
  local name=$1 file=$2 bad errors
  bad=$(wrk_non2xx "$file")
  errors=$(wrk_socket_errors "$file")
  [ -z "$errors" ] || warn "$name: socket errors: $errors"
  if [ "$bad" != 0 ]; then
    sed 's/^/    /' "$file" >&2
    die 1 "$name: $bad responses were not 2xx; the figure would be meaningless"
  fi
}

# ---- the two servers ------------------------------------------------------
start_tars() {
  local binary=$1 port
  port=$(free_port)
  TARS_URL="http://127.0.0.1:$port"
  step "tars serve --demo --threads 1 on 127.0.0.1:$port (SQLite)"
  "$binary" serve --demo --threads 1 --listen "127.0.0.1:$port" --data-dir "$WORK/tars-data" \
    >"$WORK/tars.log" 2>&1 &
  TARS_PID=$!
  if ! wait_http "$TARS_URL/health" "$TARS_PID" "$START_TIMEOUT_S"; then
    show_log "$WORK/tars.log"
    die 2 "tars serve did not become healthy at $TARS_URL/health"
  fi
  local user reply
  for user in viewer developer; do
    reply=$(tars_login "$TARS_URL" "$WORK/tars-data/credentials.json" "$user" "$WORK/auth-$user") ||
      die 2 "cannot log in as $user (HTTP ${reply%% *})"
  done
  say "    pid $TARS_PID; tokens for viewer and developer obtained (not shown)"
}

# fetch_agents_body: the authenticated GET /api/v1/agents, saved for nginx.
fetch_agents_body() {
  local status
  status=$(http GET "$TARS_URL/api/v1/agents" "$WORK/agents.json" "$WORK/auth-viewer")
  [ "$status" = 200 ] || die 2 "GET /api/v1/agents answered $status"
  AGENTS_BYTES=$(stat -c %s "$WORK/agents.json")
  say "    GET /api/v1/agents: HTTP 200, $AGENTS_BYTES bytes of JSON"
}

find_nginx() {
  NGINX=$(command -v nginx || true)
  if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
  [ -n "$NGINX" ] || die 2 "nginx not found (run scripts/deps.sh bench)"
}

start_nginx() {
  local dir=$WORK/nginx port status
  port=$(free_port)
  NGINX_URL="http://127.0.0.1:$port"
  step "nginx ($("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), 1 worker) on 127.0.0.1:$port"
  mkdir -p "$dir/www" "$dir/tmp"
  cp "$WORK/agents.json" "$dir/www/agents.json"
  # As root nginx's worker runs as nobody: it must be able to read the file.
  chmod 755 "$WORK" "$dir" "$dir/www"
  chmod 644 "$dir/www/agents.json"
  write_nginx_conf "$dir" "$port" /api/v1/agents agents.json 4096
  "$NGINX" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>"$dir/check.log" || {
    show_log "$dir/check.log"
    die 2 "the nginx configuration was rejected"
  }
  "$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  if ! wait_http "$NGINX_URL/api/v1/agents" "$NGINX_PID" "$START_TIMEOUT_S"; then
    show_log "$dir/error.log"
    die 2 "nginx did not start at $NGINX_URL"
  fi
  status=$(http GET "$NGINX_URL/api/v1/agents" "$WORK/nginx-agents.json")
  cmp -s "$WORK/agents.json" "$WORK/nginx-agents.json" ||
    die 2 "nginx does not serve the same bytes (HTTP $status)"
  say "    pid $NGINX_PID; serves the same $AGENTS_BYTES bytes as application/json"
}

# ---- the measurements -----------------------------------------------------
# throughput_run NAME URL OUT: one measured wrk run; prints its req/s.
throughput_run() {
  run_wrk "$3" "$DURATION" "$CONNECTIONS" "$WORK/auth-viewer" "$WORK/get.lua" "$2/api/v1/agents"
  check_wrk "$1" "$3"
  wrk_rps "$3"
}

# Each round runs nginx and tars back to back (the order alternates), so the
# two figures of a round saw the same machine; the round with the median
# ratio is the one reported.
measure_throughput() {
  local r n t ratio rounds_file=$WORK/rounds.txt
  step "Throughput: wrk -t1 -c$CONNECTIONS, ${WARMUP}s warm-up then ${DURATION}s each, $ROUNDS round(s)"
  run_wrk "$WORK/warm-nginx.txt" "$WARMUP" "$CONNECTIONS" "$WORK/auth-viewer" "$WORK/get.lua" \
    "$NGINX_URL/api/v1/agents"
  run_wrk "$WORK/warm-tars.txt" "$WARMUP" "$CONNECTIONS" "$WORK/auth-viewer" "$WORK/get.lua" \
    "$TARS_URL/api/v1/agents"
  check_wrk "warm-up against tars" "$WORK/warm-tars.txt"
  : >"$rounds_file"
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then
      n=$(throughput_run nginx "$NGINX_URL" "$WORK/nginx-$r.txt")
      t=$(throughput_run "tars GET /api/v1/agents" "$TARS_URL" "$WORK/tars-$r.txt")
    else
      t=$(throughput_run "tars GET /api/v1/agents" "$TARS_URL" "$WORK/tars-$r.txt")
      n=$(throughput_run nginx "$NGINX_URL" "$WORK/nginx-$r.txt")
    fi
    if [ "$n" -eq 0 ] || [ "$t" -eq 0 ]; then die 2 "wrk reported no throughput"; fi
    ratio=$(awk -v a="$t" -v b="$n" 'BEGIN { printf "%.2f\n", a / b }')
    say "    round $r: nginx $n req/s (p99 $(wrk_p99_ms "$WORK/nginx-$r.txt") ms)," \
      "tars $t req/s (p99 $(wrk_p99_ms "$WORK/tars-$r.txt") ms), ratio $ratio"
    echo "$ratio $t $n" >>"$rounds_file"
  done
  read -r RATIO TARS_RPS NGINX_RPS < <(sort -n "$rounds_file" | awk -v k=$(((ROUNDS + 1) / 2)) 'NR == k')
  say "    tars $TARS_RPS req/s, nginx $NGINX_RPS req/s, ratio $RATIO" \
    "$([ "$ROUNDS" -gt 1 ] && echo "(the round with the median ratio)")"
}

# Paced connections: each pauses 1 ms between a response and its next request,
# so the rate is at most connections x 1000 / (1 + latency in ms); wrk's timers
# are coarse, ~500/s per connection in practice. Calibrate the
# number of connections with short runs (at most 3, until within 10% of the
# target), then measure.
measure_latency() {
  local target conns rate try file=$WORK/latency.txt
  target=$((TARS_RPS / 2))
  conns=$(awk -v t="$target" 'BEGIN { c = int(t / 500 + 0.5); print (c < 1) ? 1 : c }')
  step "Latency at about half our rate (~$target req/s): paced wrk --latency"
  for try in 1 2 3; do
    run_wrk "$WORK/calibrate-$try.txt" 2 "$conns" "$WORK/auth-viewer" "$WORK/get.lua" \
      "$TARS_URL/api/v1/agents" 1
    check_wrk "latency calibration" "$WORK/calibrate-$try.txt"
    rate=$(wrk_rps "$WORK/calibrate-$try.txt")
    say "    calibration $try: $conns connections, $rate req/s"
    if awk -v r="$rate" -v t="$target" 'BEGIN { exit !(r >= 0.9 * t && r <= 1.1 * t) }'; then
      break
    fi
    conns=$(awk -v c="$conns" -v t="$target" -v r="$rate" \
      'BEGIN { n = (r > 0) ? int(c * t / r + 0.5) : c; print (n < 1) ? 1 : (n > 4000) ? 4000 : n }')
  done
  run_wrk "$file" "$DURATION" "$conns" "$WORK/auth-viewer" "$WORK/get.lua" \
    "$TARS_URL/api/v1/agents" 1
  check_wrk "latency run" "$file"
  LATENCY_RPS=$(wrk_rps "$file")
  P99_MS=$(wrk_p99_ms "$file")
  say "    $conns paced connections: $LATENCY_RPS req/s, p99 $P99_MS ms" \
    "(p50 $(awk '$1 == "50%" { print $2 }' "$file"), p90 $(awk '$1 == "90%" { print $2 }' "$file"))"
}

# count_evaluations: total of GET /api/v1/evaluations (not deleted).
count_evaluations() {
  local status
  status=$(http GET "$TARS_URL/api/v1/evaluations?limit=1" "$WORK/count.json" "$WORK/auth-viewer")
  [ "$status" = 200 ] || die 1 "GET /api/v1/evaluations answered $status"
  json_get "$WORK/count.json" total
}

measure_post() {
  local before after created other file=$WORK/post.txt
  step "Acknowledged writes: POST /api/v1/evaluations as developer, wrk -t1 -c$CONNECTIONS, ${DURATION}s"
  before=$(count_evaluations)
  run_wrk "$file" "$DURATION" "$CONNECTIONS" "$WORK/auth-developer" "$WORK/post.lua" \
    "$TARS_URL/api/v1/evaluations"
  created=$(awk '/^created_201:/ { print $2 }' "$file")
  other=$(awk '/^not_201:/ { print $2 }' "$file")
  if [ -z "$created" ] || [ -z "$other" ]; then die 2 "no response counts in the wrk output"; fi
  if [ "$other" != 0 ] || [ "$(wrk_non2xx "$file")" != 0 ]; then
    sed 's/^/    /' "$file" >&2
    show_log "$WORK/tars.log"
    die 1 "$other POST responses were not 201 Created"
  fi
  after=$(count_evaluations)
  if [ $((after - before)) -lt "$created" ]; then
    die 1 "$created evaluations got a 201 but only $((after - before)) more are stored"
  fi
  POST_RPS=$(wrk_rps "$file")
  say "    $POST_RPS req/s; all $created responses were 201; $((after - before)) rows stored" \
    "(p99 $(wrk_p99_ms "$file") ms)"
  [ -z "$(wrk_socket_errors "$file")" ] || warn "POST: socket errors: $(wrk_socket_errors "$file")"
}

# ---- report ---------------------------------------------------------------
print_machine() {
  local version idle
  version=$("$1" version 2>/dev/null | head -n 1) || true
  step "Machine"
  say "    date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  say "    cpu:     $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  say "    tars:    ${version:-?}"
  say "    wrk:     $(wrk --version 2>&1 | awk 'NR == 1 { print $1, $2 }' || true)"
  idle=$(cpu_idle_percent 2)
  say "    idle:    ${idle}% of the CPUs over the 2 s before the run"
  if [ "$idle" -lt 90 ]; then
    warn "other processes are using the CPUs (${idle}% idle): figures will be noisy"
  fi
}



report_targets() {
  local p99_ok=0
  step "Targets"
  target "GET /api/v1/agents >= $TARGET_RATIO x nginx (ratio $RATIO)" \
    "$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')"
  [ "$P99_MS" = n/a ] ||
    p99_ok=$(awk -v p="$P99_MS" -v t="$TARGET_P99_MS" 'BEGIN { print (p < t) ? 1 : 0 }')
  target "p99 < $TARGET_P99_MS ms at ~half rate ($P99_MS ms at $LATENCY_RPS req/s)" "$p99_ok"
  target "POST /api/v1/evaluations >= $TARGET_POST/s on SQLite ($POST_RPS/s)" \
    "$([ "$POST_RPS" -ge "$TARGET_POST" ] && echo 1 || echo 0)"
  local log_mb
  log_mb=$(($(stat -c %s "$WORK/tars.log") / 1048576))
  [ "$log_mb" -lt 10 ] || warn "tars serve wrote ${log_mb} MiB of log during the run"
}

main() {
  [ $# -eq 1 ] || die 3 "usage: bench/serve.sh BINARY"
  local binary=$1
  [ -x "$binary" ] || die 3 "$binary: not an executable (run 'make build' first)"
  require_tools wrk curl timeout "$PYTHON"
  find_nginx

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tars-bench.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  print_machine "$binary"
  write_lua_scripts
  start_tars "$binary"
  fetch_agents_body
  start_nginx
  measure_throughput
  measure_latency
  measure_post
  report_targets
  printf 'serve: agents %s req/s, nginx %s req/s, ratio %s; p99 %s ms at ~%s req/s; post %s/s\n' \
    "$TARS_RPS" "$NGINX_RPS" "$RATIO" "$P99_MS" "$LATENCY_RPS" "$POST_RPS"
  if [ "$ENFORCE" = 1 ] && [ "$MISSED" -gt 0 ]; then
    exit 1
  fi
}

main "$@"
