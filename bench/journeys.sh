#!/usr/bin/env bash
# bench/journeys.sh BINARY: what carrying state costs the load generator
# (docs/benchmarks.md). Against one `tars serve --demo --threads 1` on 127.0.0.1,
# same run, one load thread and BENCH_USERS users each, BENCH_DURATION seconds, in turn:
#
#   quick    tars load URL (quick mode): GET /api/v1/version, one request, no state;
#   same     quick mode on each of the journey's three URLs in turn (three runs); its figure is
#            the mean of the three per-request figures, each URL weighing what it weighs in the
#            journey (one request in three): the single-request figure for the same requests;
#   plain    a scenario of the same three requests as the journey, as independent tasks;
#   steps    the same three requests as a journey's steps without extraction (constant paths):
#            what the journey machinery alone costs;
#   journey  a 3-step journey: GET /api/v1/agents extracting agents[0].id (the body parsed as
#            JSON), GET /api/v1/agents/${agent_id}/history?limit=1, GET /api/v1/version;
#   expect   the plain scenario with `expect: {json: [agents]}` on its first task: the same JSON
#            parse of the same body, without a journey.
#
# The figure is the generator's CPU per request: generator_cpu_s / total.requests of the result
# JSON (the load thread's user + system time; the journey's own row is not a request). Every
# run must answer without a failure, or its figure is refused. BENCH_ROUNDS rounds, the order
# rotating; the median of each figure is reported, with the machine's load average. Beside it,
# from the tars load process's resource usage (all its threads, start-up included): its user
# and system time per request (tars' own code against the kernel's socket work and scheduling)
# and its voluntary context switches per request (how often the generator slept waiting for
# the server's answers).
# Target: journey within 15 % of the single-request quick mode. Judged against `same` (quick
# mode on the journey's own requests); `quick` (the cheapest endpoint) is shown beside it, and
# plain for what the bodies cost.
#
# Environment: BENCH_DURATION (s, default 10), BENCH_USERS (default 20), BENCH_ROUNDS
# (default 3), BENCH_ENFORCE=1 (exit 1 when the target is missed).
# Exit: 0 measured; 1 failures in a run (or a missed target with BENCH_ENFORCE=1);
#       2 a tool is missing or the server did not start; 3 bad usage.
set -euo pipefail

PROG=bench/journeys
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-10}
USERS=${BENCH_USERS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
ENFORCE=${BENCH_ENFORCE:-0}
START_TIMEOUT_S=20
STOP_TIMEOUT_S=15
TARGET_PCT=15

WORK=""
TARS_PID=""

cleanup() {
  local rc=$?
  if [ -n "$TARS_PID" ] && process_alive "$TARS_PID"; then
    stop_process "$TARS_PID" "$STOP_TIMEOUT_S" || true
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  exit "$rc"
}

start_server() {
  local binary=$1 port reply
  port=$(free_port)
  URL="http://127.0.0.1:$port"
  step "tars serve --demo --threads 1 on 127.0.0.1:$port"
  "$binary" serve --demo --threads 1 --listen "127.0.0.1:$port" --data-dir "$WORK/data" \
    >"$WORK/serve.log" 2>&1 &
  TARS_PID=$!
  if ! wait_http "$URL/health" "$TARS_PID" "$START_TIMEOUT_S"; then
    show_log "$WORK/serve.log"
    die 2 "tars serve did not become healthy at $URL/health"
  fi
  reply=$(tars_login "$URL" "$WORK/data/credentials.json" viewer "$WORK/auth") ||
    die 2 "cannot log in as viewer (HTTP ${reply%% *})"
  # the token reaches tars load through the environment (--token-env), never argv
  TARS_BENCH_TOKEN=$(sed 's/^Authorization: Bearer //' "$WORK/auth")
  export TARS_BENCH_TOKEN
}

write_scenarios() {
  cat >"$WORK/plain.yaml" <<EOF
name: plain
base_url: $URL
users: $USERS
tasks:
  - {name: agents, path: /api/v1/agents, expect: {status: 200}}
  - {name: history, path: /api/v1/agents/consensus/history?limit=1, expect: {status: 200}}
  - {name: version, path: /api/v1/version, expect: {status: 200}}
EOF
  cat >"$WORK/expect.yaml" <<EOF
name: expect
base_url: $URL
users: $USERS
tasks:
  - {name: agents, path: /api/v1/agents, expect: {status: 200, json: [agents]}}
  - {name: history, path: /api/v1/agents/consensus/history?limit=1, expect: {status: 200}}
  - {name: version, path: /api/v1/version, expect: {status: 200}}
EOF
  cat >"$WORK/steps.yaml" <<EOF
name: steps
base_url: $URL
users: $USERS
tasks:
  - name: three
    steps:
      - {name: agents, path: /api/v1/agents, expect: {status: 200}}
      - {name: history, path: /api/v1/agents/consensus/history?limit=1, expect: {status: 200}}
      - {name: version, path: /api/v1/version, expect: {status: 200}}
EOF
  cat >"$WORK/journey.yaml" <<EOF
name: journey
base_url: $URL
users: $USERS
tasks:
  - name: three
    steps:
      - name: agents
        path: /api/v1/agents
        expect: {status: 200}
        extract: {agent_id: "agents[0].id"}
      - name: history
        path: /api/v1/agents/\${agent_id}/history?limit=1
        expect: {status: 200}
      - name: version
        path: /api/v1/version
        expect: {status: 200}
EOF
}

# measure_same: quick mode on each of the journey's URLs (constant agent id, as plain), one
# line as measure prints: requests and CPU s summed, each per-request figure the mean of the
# three runs' (each URL one request in three, as in the journey).
measure_same() {
  local path line lines=""
  for path in /api/v1/agents "/api/v1/agents/consensus/history?limit=1" /api/v1/version; do
    line=$(measure same "$URL$path" -c "$USERS") || exit 1
    lines+="$line"$'\n'
  done
  printf '%s' "$lines" | awk '{ n += $2; cpu += $3; us += $4; u += $5; s += $6; w += $7 }
    END { printf "same %d %.4f %.3f %.3f %.3f %.3f\n", n, cpu, us / 3, u / 3, s / 3, w / 3 }'
}

# measure NAME ARGS...: one tars load run; prints "NAME requests cpu_s us_per_request
# user_us_per_request sys_us_per_request switches_per_request".
measure() {
  local name=$1 out
  shift
  out="$WORK/$name.json"
  # the process's resource usage, read by its parent when it has exited
  if ! "$PYTHON" -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as log:
    rc = subprocess.run(sys.argv[3:], stdout=log, stderr=subprocess.STDOUT).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[2], "w") as f:
    f.write("%.6f %.6f %d\n" % (u.ru_utime, u.ru_stime, u.ru_nvcsw))
sys.exit(rc)' "$WORK/$name.log" "$WORK/$name.rusage" \
    "$BINARY" load "$@" -t 1 -d "${DURATION}s" --token-env TARS_BENCH_TOKEN -q --json "$out"; then
    show_log "$WORK/$name.log"
    die 1 "$name: tars load failed"
  fi
  "$PYTHON" - "$out" "$name" "$WORK/$name.rusage" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["total"]
if t["requests"] == 0 or t["failures"] != 0:
    sys.exit("%s: %d requests, %d failures: no figure" % (sys.argv[2], t["requests"], t["failures"]))
user, system, switches = open(sys.argv[3]).read().split()
n = t["requests"]
print("%s %d %.4f %.3f %.3f %.3f %.3f" % (sys.argv[2], n, r["generator_cpu_s"],
                                        r["generator_cpu_s"] / n * 1e6, float(user) / n * 1e6,
                                        float(system) / n * 1e6, int(switches) / n))
PY
}

main() {
  [ $# -eq 1 ] || die 3 "usage: bench/journeys.sh BINARY"
  BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$BINARY" ] || die 3 "$1 is not an executable"
  require_tools curl
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tars-bench-journeys.XXXXXX")
  trap cleanup EXIT INT TERM
  start_server "$BINARY"
  write_scenarios
  step "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
  local round kinds=(quick same plain steps journey expect) k kind line
  for round in $(seq 1 "$ROUNDS"); do
    for k in 0 1 2 3 4 5; do
      kind=${kinds[$(((k + round) % 6))]}
      case $kind in
      quick) line=$(measure quick "$URL/api/v1/version" -c "$USERS") ;;
      same) line=$(measure_same) ;;
      *) line=$(measure "$kind" "$WORK/$kind.yaml") ;;
      esac
      say "    round $round: $line (name, requests, CPU s, CPU µs, user µs, system µs and" \
        "voluntary switches per request)"
      echo "$line" >>"$WORK/figures"
    done
  done
  step "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$PYTHON" - "$WORK/figures" "$TARGET_PCT" "$ENFORCE" <<'PY'
import statistics, sys
per, parts = {}, {}
for line in open(sys.argv[1]):
    name, _, _, us, user, system, switches = line.split()
    per.setdefault(name, []).append(float(us))
    parts.setdefault(name, []).append((float(user), float(system), float(switches)))
med = {k: statistics.median(v) for k, v in per.items()}
print("\nmedians per request: kind, CPU µs (the figure), vs same, vs quick, user µs, system µs, "
      "voluntary switches")
for k in ("quick", "same", "plain", "steps", "journey", "expect"):
    print("  %-8s %6.2f  %+6.1f %%  %+6.1f %%  %6.2f  %6.2f  %5.2f"
          % (k, med[k], (med[k] / med["same"] - 1) * 100, (med[k] / med["quick"] - 1) * 100,
             *(statistics.median(p[i] for p in parts[k]) for i in range(3))))
over = (med["journey"] / med["same"] - 1) * 100
print("\nmedian CPU per request: same %.2f µs, quick %.2f µs, plain %.2f µs, steps %.2f µs, "
      "journey %.2f µs, expect %.2f µs; journey vs same %+.1f %% (target within %s %%), "
      "journey vs quick %+.1f %%, journey vs plain %+.1f %%"
      % (med["same"], med["quick"], med["plain"], med["steps"], med["journey"], med["expect"],
         over, sys.argv[2], (med["journey"] / med["quick"] - 1) * 100,
         (med["journey"] / med["plain"] - 1) * 100))
if sys.argv[3] == "1" and over > float(sys.argv[2]):
    sys.exit(1)
PY
}

main "$@"
