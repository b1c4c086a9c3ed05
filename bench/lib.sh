# shellcheck shell=bash
# Helpers shared by scripts/demo.sh and bench/*.sh: free ports, starting and
# stopping processes, HTTP requests with curl, JSON fields, logging in, CPU
# idleness and benchmark targets.
# Source it after setting PROG (the name used in messages). It only defines
# functions, PYTHON and MISSED (the target counter); it changes no shell options.
#
# Secrets: tokens and passwords only ever live in files of mode 0600 in the
# caller's temporary directory (curl reads them with -H @file and
# --data-binary @file), so they appear neither in output nor in argv.

PROG=${PROG:-tars-script}
# Debian's interpreter: the python3 first on PATH may be another one (Debian's packages live under /usr/bin/python3).
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# ---- messages -------------------------------------------------------------
say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
# die CODE MESSAGE: exit codes as docs/exit-codes.md (1 failed, 2 inconclusive, 3 usage).
die() {
  local code=$1
  shift
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit "$code"
}

# require_tools TOOL...: exit 2 naming every missing tool.
require_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die 2 "missing tools: ${missing[*]} (run scripts/deps.sh bench)"
}

# show_log FILE [LINES]: the end of a log, indented, to stderr.
show_log() {
  local file=$1 lines=${2:-40}
  [ -f "$file" ] || return 0
  printf -- '--- last %s lines of %s ---\n' "$lines" "$file" >&2
  tail -n "$lines" "$file" | sed 's/^/    /' >&2
  printf -- '---\n' >&2
}

# ---- ports and processes --------------------------------------------------
# free_port: prints a TCP port outside the kernel's ephemeral range that was free on 127.0.0.1 a
# moment ago (the test harnesses' picker, tests/integration/freeport.py).
free_port() {
  "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/freeport.py"
}

# process_alive PID: true while PID runs (a zombie child counts as exited).
process_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_http URL PID TIMEOUT_S: polls URL until it answers 200, at most
# TIMEOUT_S seconds; fails early when PID has exited.
wait_http() {
  local url=$1 pid=$2 timeout_s=$3 deadline code
  deadline=$((SECONDS + timeout_s))
  while [ "$SECONDS" -lt "$deadline" ]; do
    process_alive "$pid" || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null) || true
    [ "$code" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# stop_process PID TIMEOUT_S: SIGTERM, wait at most TIMEOUT_S, then SIGKILL.
# PID must be a child of this shell. Sets STOP_STATUS to its exit status, or
# "killed" when SIGKILL was needed; returns 0 only for a clean exit 0.
# shellcheck disable=SC2034 # STOP_STATUS is read by the callers
stop_process() {
  local pid=$1 timeout_s=$2 rc=0 deadline
  STOP_STATUS=
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout_s))
  while process_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.05
  done
  if process_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    STOP_STATUS=killed
    return 1
  fi
  wait "$pid" 2>/dev/null || rc=$?
  STOP_STATUS=$rc
  [ "$rc" = 0 ]
}

# cpu_idle_percent SECONDS: share of CPU time spent idle over that interval.
cpu_idle_percent() {
  local before after
  before=$(head -n 1 /proc/stat)
  sleep "$1"
  after=$(head -n 1 /proc/stat)
  printf '%s\n%s\n' "$before" "$after" | awk '
    { total = 0; for (i = 2; i <= NF; i++) total += $i; idle = $5 + $6 }
    NR == 1 { t0 = total; i0 = idle }
    NR == 2 { d = total - t0; print (d > 0) ? int(100 * (idle - i0) / d) : 100 }'
}

# target NAME OK: prints whether a benchmark target was met; counts the misses in MISSED.
MISSED=0
target() {
  if [ "$2" = 1 ]; then
    say "    met:     $1"
  else
    say "    MISSED:  $1"
    MISSED=$((MISSED + 1))
  fi
}

# ---- HTTP -----------------------------------------------------------------
# http METHOD URL OUT [HEADER_FILE] [BODY_FILE]: body to OUT, response
# headers to OUT.headers; prints the status code ("000" if no answer).
# HEADER_FILE holds extra request headers (e.g. Authorization), one a line;
# BODY_FILE is sent as application/json.
http() {
  local method=$1 url=$2 out=$3 header_file=${4:-} body_file=${5:-}
  local args=(-sS --max-time 10 -X "$method" -o "$out" -D "$out.headers" -w '%{http_code}')
  [ -n "$header_file" ] && args+=(-H "@$header_file")
  [ -n "$body_file" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$body_file")
  curl "${args[@]}" "$url" 2>"$out.curl-error" || true
}

# header_value FILE NAME: the value of response header NAME (case-insensitive).
header_value() {
  awk -v name="$2" 'BEGIN { name = tolower(name) ":" }
    tolower(substr($0, 1, length(name))) == name {
      v = substr($0, length(name) + 1); gsub(/^[ \t]+|[ \t\r]+$/, "", v); print v; exit }' "$1"
}

# json_get FILE KEY...: prints the value at the path of object keys and list
# indices (strings as is, other values as JSON); fails if the path is absent.
json_get() {
  "$PYTHON" - "$@" <<'PY'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value if isinstance(value, str) else json.dumps(value))
PY
}

# ---- tars serve -----------------------------------------------------------
# tars_login BASE_URL CREDENTIALS_JSON USERNAME HEADER_FILE: reads USERNAME's
# password from the --demo credentials file, obtains an access token with
# POST /api/v1/auth/token and writes "Authorization: Bearer <token>" to
# HEADER_FILE (mode 0600). Prints "STATUS EXPIRES_IN"; fails on anything but
# a 200 with an access token.
tars_login() {
  local base=$1 credentials=$2 username=$3 header_file=$4
  local dir body status
  dir=$(dirname "$header_file")
  body="$dir/login-$username.json"
  (
    umask 077
    "$PYTHON" - "$credentials" "$username" "$body" <<'PY'
import json, sys
users = json.load(open(sys.argv[1]))["users"]
match = [u for u in users if u.get("username") == sys.argv[2]]
if not match:
    sys.exit("no user %r in %s" % (sys.argv[2], sys.argv[1]))
with open(sys.argv[3], "w") as f:
    json.dump({"username": sys.argv[2], "password": match[0]["password"]}, f)
PY
  ) || return 1
  status=$(http POST "$base/api/v1/auth/token" "$dir/token-$username.out" "" "$body")
  rm -f "$body"
  if [ "$status" != 200 ]; then
    echo "$status -"
    return 1
  fi
  (
    umask 077
    "$PYTHON" - "$dir/token-$username.out" "$header_file" <<'PY'
import json, sys
reply = json.load(open(sys.argv[1]))
token = reply["access_token"]
if not token or any(c.isspace() for c in token):
    sys.exit("bad access_token")
with open(sys.argv[2], "w") as f:
    f.write("Authorization: Bearer %s\n" % token)
print(200, reply.get("expires_in", "?"))
PY
  ) || {
    rm -f "$dir/token-$username.out" # it may hold a token
    echo "$status -"
    return 1
  }
  rm -f "$dir/token-$username.out"
}

# write_nginx_conf DIR PORT LOCATION FILE CONNECTIONS: one nginx worker serving
# DIR/www/FILE as application/json at LOCATION on 127.0.0.1:PORT, access log
# off, keep-alive without forced reconnects during a run, everything under DIR.
write_nginx_conf() {
  local dir=$1 port=$2 location=$3 file=$4 conns=$5
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $((conns + 100));
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $conns; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 120;
    keepalive_requests 100000000;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 60s;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port backlog=16384;
        root $dir/www;
        location = $location {
            default_type application/json;
            try_files /$file =404;
        }
    }
}
CONF
}
