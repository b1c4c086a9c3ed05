#!/usr/bin/env bash
# bench/load-vs-peers.sh BINARY: `tars load` against its peers as load generators, same run,
# same machine, everything on 127.0.0.1 (docs/benchmarks.md).
#
#   1. nginx, 1 worker, its own prefix, access_log off, serving a static 1,150-byte JSON file
#      (the body of tests/fixtures/http_fixture.py's "ok" mode).
#   2. Throughput, one thread and 50 connections each, BENCH_DURATION seconds:
#      wrk -t1 -c50; tars load URL -t1 -c50; Locust headless (FastHttpUser, then HttpUser;
#      50 users, spawn rate 50; requests/s from its --csv stats). Ratios tars/wrk, tars/Locust.
#   3. Memory: 10,000 connections held open (a closed-model scenario: 10,000 users thinking
#      4-6 s between requests, about 2,000 requests/s). Peak RSS (VmHWM) of tars over the
#      connections it really held, gross and marginal (over a 100-user run of the same
#      scenario). The open model (-R 2000 -c 10000) is run too and its connection count shown:
#      its pool opens connections only when every open one is busy, so at a modest rate it
#      holds few.
#   4. The 10,000-user run again for BENCH_LONG seconds: its peak RSS against the 10 s run's.
# The last line holds the main figures and ratios.
#
# Environment: BENCH_DURATION (s, default 10), BENCH_LONG (s, default 60), BENCH_ROUNDS (rounds
# of one wrk and one tars run, alternating order, the median ratio reported; default 1),
# BENCH_CONNECTIONS_MEM (default 10000), BENCH_ENFORCE=1 (exit 1 when a target is missed).
# Exit: 0 measured; 1 wrong responses (or a missed target with BENCH_ENFORCE=1);
#       2 a tool is missing or a peer did not start; 3 bad usage.
set -euo pipefail

PROG=bench/load-vs-peers
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-10}
LONG=${BENCH_LONG:-60}
ROUNDS=${BENCH_ROUNDS:-1}
MEM_CONNECTIONS=${BENCH_CONNECTIONS_MEM:-10000}
ENFORCE=${BENCH_ENFORCE:-0}
CONNECTIONS=50
START_TIMEOUT_S=20
STOP_TIMEOUT_S=15
LOCUST=/usr/bin/locust
FIXTURE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/fixtures/http_fixture.py"
# Targets (measured here, not by timed tests).
TARGET_WRK_RATIO=1.0
TARGET_LOCUST_RATIO=20
TARGET_BYTES_PER_CONN=65536
TARGET_RSS_DRIFT_PCT=10

WORK=""
NGINX=""
NGINX_PID=""
NGINX_URL=""
CHILD_PID="" # the load generator running at the moment, if any
BINARY=""

cleanup() {
  local rc=$?
  if [ -n "$CHILD_PID" ] && process_alive "$CHILD_PID"; then
    kill -KILL "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  if [ -n "$NGINX_PID" ] && process_alive "$NGINX_PID"; then
    stop_process "$NGINX_PID" "$STOP_TIMEOUT_S" || true
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit "$rc"
}

# ---- nginx ----------------------------------------------------------------
find_nginx() {
  NGINX=$(command -v nginx || true)
  if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
  [ -n "$NGINX" ] || die 2 "nginx not found (run scripts/deps.sh bench)"
}

# raise_fd_limit NEEDED: raises the soft limit on open files towards NEEDED plus room, within
# the hard limit; says so when the hard limit is too low, and lowers MEM_CONNECTIONS to fit.
raise_fd_limit() {
  local needed=$1 hard soft want
  hard=$(ulimit -Hn)
  soft=$(ulimit -Sn)
  want=$((needed + 1000))
  if [ "$hard" != unlimited ] && [ "$want" -gt "$hard" ]; then want=$hard; fi
  if [ "$soft" = unlimited ] || [ "$soft" -ge "$want" ]; then
    say "    open files: soft limit $soft (hard $hard), enough for $needed connections"
    FD_LIMIT=$soft
  elif ulimit -n "$want" 2>/dev/null; then
    say "    open files: soft limit raised from $soft to $want (hard $hard)"
    FD_LIMIT=$want
  else
    say "    open files: could NOT raise the soft limit $soft (hard $hard)"
    FD_LIMIT=$soft
  fi
  if [ "$FD_LIMIT" != unlimited ] && [ $((FD_LIMIT - 200)) -lt "$needed" ]; then
    MEM_CONNECTIONS=$((FD_LIMIT - 200))
    say "    the hard limit on open files ($hard) does not allow $needed connections:" \
      "measuring $MEM_CONNECTIONS instead"
  fi
}

start_nginx() {
  local dir=$WORK/nginx port status
  port=$(free_port)
  NGINX_URL="http://127.0.0.1:$port/api/v1/version"
  step "nginx ($("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), 1 worker) on 127.0.0.1:$port"
  mkdir -p "$dir/www" "$dir/tmp"
  "$PYTHON" "$FIXTURE" body >"$dir/www/body.json"
  BODY_BYTES=$(stat -c %s "$dir/www/body.json")
  [ "$BODY_BYTES" = 1150 ] || die 2 "the fixture body is $BODY_BYTES bytes, not 1150"
  # As root nginx's worker runs as nobody: it must be able to read the file.
  chmod 755 "$WORK" "$dir" "$dir/www"
  chmod 644 "$dir/www/body.json"
  write_nginx_conf "$dir" "$port" /api/v1/version body.json $((MEM_CONNECTIONS + 1000))
  "$NGINX" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>"$dir/check.log" || {
    show_log "$dir/check.log"
    die 2 "the nginx configuration was rejected"
  }
  "$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  if ! wait_http "$NGINX_URL" "$NGINX_PID" "$START_TIMEOUT_S"; then
    show_log "$dir/error.log"
    die 2 "nginx did not start at $NGINX_URL"
  fi
  status=$(http GET "$NGINX_URL" "$WORK/check-body.json")
  if [ "$status" != 200 ] || ! cmp -s "$dir/www/body.json" "$WORK/check-body.json"; then
    die 2 "nginx does not serve the body (HTTP $status)"
  fi
  say "    pid $NGINX_PID; serves $BODY_BYTES bytes of JSON at $NGINX_URL"
}

# ---- wrk ------------------------------------------------------------------
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f\n", $2; found = 1 } END { if (!found) print 0 }' "$1"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$1"; }
wrk_socket_errors() { awk -F'Socket errors: ' 'NF > 1 { print $2 }' "$1"; }

# cpu_of CPU_FILE CMD...: runs CMD, then writes the CPU seconds (user + system) it and its
# children spent to CPU_FILE; exits with CMD's status.
cpu_of() {
  local file=$1
  shift
  "$PYTHON" -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%.6f\n" % (r.ru_utime + r.ru_stime))
sys.exit(rc)' "$file" "$@"
}

# wrk_requests FILE: the request count of "N requests in Ts".
wrk_requests() { awk '/ requests in / { print $1; found = 1 } END { if (!found) print 0 }' "$1"; }

run_wrk() {
  local out=$1 seconds=$2
  cpu_of "$out.cpu" timeout $((seconds + 30)) wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s "$NGINX_URL" \
    >"$out" 2>&1 || {
    show_log "$out"
    die 2 "wrk failed"
  }
  [ "$(wrk_non2xx "$out")" = 0 ] || {
    show_log "$out"
    die 1 "wrk saw non-2xx answers from nginx"
  }
  [ -z "$(wrk_socket_errors "$out")" ] || warn "wrk: socket errors: $(wrk_socket_errors "$out")"
  wrk_rps "$out"
}

# ---- tars load ------------------------------------------------------------
# sample_process PID OUT: until PID exits, writes "peak_vmhwm_kib max_sockets" to OUT
# (VmHWM is the kernel's own peak-RSS mark; sockets counted in /proc/PID/fd).
sample_process() {
  local pid=$1 out=$2 hwm=0 socks=0 v s
  while process_alive "$pid"; do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
    s=$(find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l)
    [ "$s" -gt "$socks" ] && socks=$s
    echo "$hwm $socks" >"$out"
    sleep 0.25
  done
}

# run_tars NAME SECONDS_BOUND ARGS...: one `tars load` run with --json $WORK/NAME.json,
# sampled; sets TARS_RC, TARS_HWM_KIB, TARS_SOCKETS.
run_tars() {
  local name=$1 bound=$2
  shift 2
  "$BINARY" load "$@" -q --json "$WORK/$name.json" >"$WORK/$name.out" 2>&1 &
  CHILD_PID=$!
  sample_process "$CHILD_PID" "$WORK/$name.sample" &
  local sampler=$! deadline=$((SECONDS + bound))
  while process_alive "$CHILD_PID" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if process_alive "$CHILD_PID"; then
    kill -KILL "$CHILD_PID" 2>/dev/null || true
    show_log "$WORK/$name.out"
    die 2 "tars load ($name) did not end within $bound s"
  fi
  TARS_RC=0
  wait "$CHILD_PID" || TARS_RC=$?
  CHILD_PID=""
  wait "$sampler" 2>/dev/null || true
  read -r TARS_HWM_KIB TARS_SOCKETS <"$WORK/$name.sample" || { TARS_HWM_KIB=0; TARS_SOCKETS=0; }
  if [ "$TARS_RC" != 0 ]; then
    show_log "$WORK/$name.out"
    die 1 "tars load ($name) exited with $TARS_RC"
  fi
}

# tars_field NAME KEY...: a field of $WORK/NAME.json.
tars_field() {
  local name=$1
  shift
  json_get "$WORK/$name.json" "$@"
}

tars_rps() {
  local name=$1 failures
  failures=$(tars_field "$name" total failures)
  [ "$failures" = 0 ] || {
    show_log "$WORK/$name.out"
    die 1 "tars load ($name) counted $failures failures"
  }
  tars_field "$name" total summary rps | awk '{ printf "%.0f\n", $1 }'
}

# ---- Locust ---------------------------------------------------------------
write_locustfiles() {
  cat >"$WORK/locust_fast.py" <<'PY'
from locust import task
from locust.contrib.fasthttp import FastHttpUser


class Fast(FastHttpUser):
    @task
    def version(self):
        self.client.get("/api/v1/version")
PY
  cat >"$WORK/locust_http.py" <<'PY'
from locust import HttpUser, task


class Plain(HttpUser):
    @task
    def version(self):
        self.client.get("/api/v1/version")
PY
}

# run_locust NAME FILE: 50 users, spawn rate 50, DURATION s; prints the Aggregated req/s.
run_locust() {
  local name=$1 file=$2 host rc=0
  host=${NGINX_URL%/api/v1/version}
  (cd "$WORK" && timeout $((DURATION + 60)) "$LOCUST" -f "$file" --headless -u "$CONNECTIONS" \
    -r "$CONNECTIONS" -t "${DURATION}s" --host "$host" --csv "$WORK/$name" --only-summary \
    --loglevel WARNING >"$WORK/$name.log" 2>&1) || rc=$?
  [ -f "$WORK/${name}_stats.csv" ] || {
    show_log "$WORK/$name.log"
    die 2 "Locust ($name) did not run (exit $rc)"
  }
  "$PYTHON" - "$WORK/${name}_stats.csv" <<'PY'
import csv, sys
rows = {r["Name"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
agg = rows.get("Aggregated")
if agg is None or int(agg["Request Count"]) == 0:
    sys.exit("no requests in " + sys.argv[1])
if int(agg["Failure Count"]) != 0:
    sys.exit("%s failures in %s" % (agg["Failure Count"], sys.argv[1]))
print("%.0f" % float(agg["Requests/s"]))
PY
}

# ---- the measurements -----------------------------------------------------
# cpu_ticks PID: user + system clock ticks PID has used so far (0 when it is gone).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# server_busy_start / server_busy_end: nginx's worker's share of one CPU in between, in %.
server_busy_start() {
  BUSY_TICKS=$(cpu_ticks "$NGINX_WORKER")
  BUSY_NS=$(date +%s%N)
}
server_busy_end() {
  awk -v t0="$BUSY_TICKS" -v t1="$(cpu_ticks "$NGINX_WORKER")" -v n0="$BUSY_NS" \
    -v n1="$(date +%s%N)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f\n", (t1 - t0) / hz / ((n1 - n0) / 1e9) * 100 }'
}

# us_per_request CPU_SECONDS REQUESTS
us_per_request() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.1f\n", (n > 0 ? c / n * 1e6 : 0) }'; }

# wrk_round R / tars_round R: one measured run each; set W (or T), its CPU per request and
# nginx's busy share during it.
wrk_round() {
  server_busy_start
  W=$(run_wrk "$WORK/wrk-$1.txt" "$DURATION")
  W_BUSY=$(server_busy_end)
  W_US=$(us_per_request "$(cat "$WORK/wrk-$1.txt.cpu")" "$(wrk_requests "$WORK/wrk-$1.txt")")
}
# (tars runs in the foreground here, as wrk does: the memory runs' sampler forks a few
# processes a second, which on two cores takes time from the generator.)
tars_round() {
  local rc=0
  server_busy_start
  timeout $((DURATION + 30)) "$BINARY" load "$NGINX_URL" -t1 -c"$CONNECTIONS" -d"${DURATION}s" \
    -q --json "$WORK/tars-$1.json" >"$WORK/tars-$1.out" 2>&1 || rc=$?
  T_BUSY=$(server_busy_end)
  if [ "$rc" != 0 ]; then
    show_log "$WORK/tars-$1.out"
    die 1 "tars load (round $1) exited with $rc"
  fi
  T=$(tars_rps "tars-$1")
  T_US=$(us_per_request "$(tars_field "tars-$1" generator_cpu_s)" "$(tars_field "tars-$1" total requests)")
}

measure_throughput() {
  local r ratio rounds_file=$WORK/rounds.txt
  step "Throughput: one thread, $CONNECTIONS connections, ${DURATION}s each, $ROUNDS round(s)"
  timeout 30 wrk -t1 -c"$CONNECTIONS" -d2s "$NGINX_URL" >"$WORK/warm.txt" 2>&1 || die 2 "wrk warm-up failed"
  : >"$rounds_file"
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then
      wrk_round "$r"
      tars_round "$r"
    else
      tars_round "$r"
      wrk_round "$r"
    fi
    if [ "$W" -le 0 ] || [ "$T" -le 0 ]; then die 2 "no throughput measured"; fi
    ratio=$(awk -v a="$T" -v b="$W" 'BEGIN { printf "%.2f\n", a / b }')
    say "    round $r: wrk $W req/s ($W_US us CPU/request, nginx busy $W_BUSY%)," \
      "tars load $T req/s ($T_US us CPU/request, nginx busy $T_BUSY%, p99 $(tars_field "tars-$r" total summary p99_ms | awk '{ printf "%.2f", $1 }') ms), ratio $ratio"
    echo "$ratio $T $W $T_US $W_US $T_BUSY $W_BUSY" >>"$rounds_file"
  done
  read -r WRK_RATIO TARS_RPS WRK_RPS TARS_US WRK_US TARS_BUSY WRK_BUSY \
    < <(sort -n "$rounds_file" | awk -v k=$(((ROUNDS + 1) / 2)) 'NR == k')
  local which=""
  if [ "$ROUNDS" -gt 1 ]; then which="(the round with the median ratio)"; fi
  say "    tars load $TARS_RPS req/s, wrk $WRK_RPS req/s, ratio $WRK_RATIO $which"
  say "    CPU per request: tars load $TARS_US us, wrk $WRK_US us; nginx's worker busy $TARS_BUSY% and" \
    "$WRK_BUSY% of a CPU (near 100%: the server, not the generator, set the rate)"

  step "Locust $(dpkg-query -W -f='${Version}' python3-locust 2>/dev/null || echo '?') headless:" \
    "$CONNECTIONS users, spawn rate $CONNECTIONS, ${DURATION}s"
  FAST_RPS=$(run_locust locust-fast locust_fast.py) || die 2 "Locust FastHttpUser: $FAST_RPS"
  say "    FastHttpUser: $FAST_RPS req/s"
  HTTP_RPS=$(run_locust locust-http locust_http.py) || die 2 "Locust HttpUser: $HTTP_RPS"
  say "    HttpUser:     $HTTP_RPS req/s"
  if [ "$FAST_RPS" -le 0 ] || [ "$HTTP_RPS" -le 0 ]; then die 2 "Locust measured no throughput"; fi
  LOCUST_RATIO=$(awk -v a="$TARS_RPS" -v b="$HTTP_RPS" 'BEGIN { printf "%.1f\n", a / b }')
  FAST_RATIO=$(awk -v a="$TARS_RPS" -v b="$FAST_RPS" 'BEGIN { printf "%.1f\n", a / b }')
  say "    tars load / Locust HttpUser = $LOCUST_RATIO; tars load / Locust FastHttpUser = $FAST_RATIO"
}

write_memory_scenario() {
  local users=$1 seconds=$2 out=$3
  cat >"$out" <<YAML
# bench/load-vs-peers.sh: $users users each holding one keep-alive connection, thinking 4-6 s
# between requests (about $((users / 5)) requests/s in all).
name: hold-$users
base_url: ${NGINX_URL%/api/v1/version}
model: closed
threads: 1
users: $users
spawn_rate: 0
duration: ${seconds}s
think_time: between(4s, 6s)
tasks:
  - name: version
    path: /api/v1/version
    expect:
      status: [200]
YAML
}

# memory_run NAME USERS SECONDS: sets MEM_HWM_KIB, MEM_SOCKETS, MEM_REQUESTS.
memory_run() {
  local name=$1 users=$2 seconds=$3
  write_memory_scenario "$users" "$seconds" "$WORK/$name.yaml"
  run_tars "$name" $((seconds + 60)) "$WORK/$name.yaml"
  local failures
  failures=$(tars_field "$name" total failures)
  [ "$failures" = 0 ] || {
    show_log "$WORK/$name.out"
    die 1 "tars load ($name) counted $failures failures"
  }
  MEM_HWM_KIB=$TARS_HWM_KIB
  MEM_SOCKETS=$TARS_SOCKETS
  MEM_REQUESTS=$(tars_field "$name" total requests)
}

measure_memory() {
  local base_kib base_socks rate open_socks open_kib
  step "Memory: $MEM_CONNECTIONS connections held open (closed model, think time 4-6 s), ${DURATION}s"
  memory_run mem-base 100 "$DURATION"
  base_kib=$MEM_HWM_KIB
  base_socks=$MEM_SOCKETS
  say "    100 users: peak RSS $base_kib KiB, $base_socks sockets, $MEM_REQUESTS requests"
  memory_run mem-short "$MEM_CONNECTIONS" "$DURATION"
  SHORT_KIB=$MEM_HWM_KIB
  HELD=$MEM_SOCKETS
  rate=$(awk -v n="$MEM_REQUESTS" -v s="$DURATION" 'BEGIN { printf "%.0f", n / s }')
  say "    $MEM_CONNECTIONS users: peak RSS $SHORT_KIB KiB, $HELD sockets open at the peak," \
    "$MEM_REQUESTS requests (~$rate/s)"
  [ "$HELD" -ge $((MEM_CONNECTIONS * 95 / 100)) ] ||
    warn "only $HELD of $MEM_CONNECTIONS connections were open at once"
  BYTES_PER_CONN=$(awk -v k="$SHORT_KIB" -v n="$HELD" 'BEGIN { printf "%.0f", k * 1024 / n }')
  MARGINAL_PER_CONN=$(awk -v k="$SHORT_KIB" -v b="$base_kib" -v n="$HELD" -v m="$base_socks" \
    'BEGIN { printf "%.0f", (k - b) * 1024 / (n - m) }')
  say "    per connection: $BYTES_PER_CONN bytes (peak RSS / sockets);" \
    "$MARGINAL_PER_CONN bytes marginal (over the 100-user run)"

  step "Open model for comparison: -R $((MEM_CONNECTIONS / 5)) -c $MEM_CONNECTIONS, ${DURATION}s"
  run_tars mem-open $((DURATION + 60)) "$NGINX_URL" -t1 -R $((MEM_CONNECTIONS / 5)) \
    -c "$MEM_CONNECTIONS" -d"${DURATION}s"
  open_kib=$TARS_HWM_KIB
  open_socks=$TARS_SOCKETS
  say "    peak RSS $open_kib KiB with $open_socks sockets open (the pool opens a connection only" \
    "when all open ones are busy), $(tars_field mem-open total requests) requests," \
    "p99 $(tars_field mem-open total summary p99_ms | awk '{ printf "%.2f", $1 }') ms"

  step "Duration: the $MEM_CONNECTIONS-user run again for ${LONG}s"
  memory_run mem-long "$MEM_CONNECTIONS" "$LONG"
  LONG_KIB=$MEM_HWM_KIB
  DRIFT_PCT=$(awk -v a="$SHORT_KIB" -v b="$LONG_KIB" 'BEGIN { d = (b - a) / a * 100; printf "%.1f", d }')
  say "    ${DURATION}s: $SHORT_KIB KiB; ${LONG}s: $LONG_KIB KiB ($MEM_SOCKETS sockets," \
    "$MEM_REQUESTS requests); difference $DRIFT_PCT %"
}

# ---- report ---------------------------------------------------------------
print_machine() {
  step "Machine"
  say "    date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  say "    cpu:     $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  say "    tars:    $("$BINARY" version 2>/dev/null | head -n 1 || echo '?')"
  say "    wrk:     $(wrk --version 2>&1 | awk 'NR == 1 { print $1, $2 }' || true)"
  say "    locust:  $(dpkg-query -W -f='${Version}' python3-locust 2>/dev/null || echo '?')"
  say "    idle:    $(cpu_idle_percent 2)% of the CPUs over the 2 s before the run"
}



report_targets() {
  step "Targets"
  target "requests/s >= ${TARGET_WRK_RATIO} x wrk (ratio $WRK_RATIO)" \
    "$(awk -v r="$WRK_RATIO" -v t="$TARGET_WRK_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')"
  target "requests/s >= ${TARGET_LOCUST_RATIO} x Locust HttpUser (ratio $LOCUST_RATIO)" \
    "$(awk -v r="$LOCUST_RATIO" -v t="$TARGET_LOCUST_RATIO" 'BEGIN { print (r >= t) ? 1 : 0 }')"
  target "<= 64 KB resident per connection with $HELD connections ($BYTES_PER_CONN bytes)" \
    "$(awk -v b="$BYTES_PER_CONN" -v t="$TARGET_BYTES_PER_CONN" 'BEGIN { print (b <= t) ? 1 : 0 }')"
  target "${DURATION}s vs ${LONG}s peak RSS within ${TARGET_RSS_DRIFT_PCT}% ($DRIFT_PCT %)" \
    "$(awk -v d="$DRIFT_PCT" -v t="$TARGET_RSS_DRIFT_PCT" 'BEGIN { if (d < 0) d = -d; print (d < t) ? 1 : 0 }')"
}

main() {
  [ $# -eq 1 ] || die 3 "usage: bench/load-vs-peers.sh BINARY"
  BINARY=$1
  [ -x "$BINARY" ] || die 3 "$BINARY: not an executable (run 'make build' first)"
  case "$BINARY" in /*) ;; *) BINARY=$PWD/$BINARY ;; esac
  require_tools wrk curl timeout find pgrep getconf "$PYTHON"
  [ -x "$LOCUST" ] || die 2 "$LOCUST not found (Debian package python3-locust)"
  [ -f "$FIXTURE" ] || die 2 "$FIXTURE not found"
  find_nginx

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tars-bench-load.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  print_machine
  step "Limits"
  raise_fd_limit "$MEM_CONNECTIONS"
  start_nginx
  NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -n 1)
  [ -n "$NGINX_WORKER" ] || die 2 "nginx's worker process not found"
  write_locustfiles
  measure_throughput
  measure_memory
  report_targets
  printf 'load: tars %s req/s, wrk %s req/s, ratio %s (CPU/request %s vs %s us; nginx busy %s%%/%s%%); Locust FastHttpUser %s, HttpUser %s req/s, tars/HttpUser %s; %s connections: %s B/conn; RSS %ss %s KiB vs %ss %s KiB (%s%%)\n' \
    "$TARS_RPS" "$WRK_RPS" "$WRK_RATIO" "$TARS_US" "$WRK_US" "$TARS_BUSY" "$WRK_BUSY" "$FAST_RPS" "$HTTP_RPS" "$LOCUST_RATIO" "$HELD" \
    "$BYTES_PER_CONN" "$DURATION" "$SHORT_KIB" "$LONG" "$LONG_KIB" "$DRIFT_PCT"
  if [ "$ENFORCE" = 1 ] && [ "$MISSED" -gt 0 ]; then
    exit 1
  fi
}

main "$@"
