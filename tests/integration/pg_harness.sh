#!/usr/bin/env bash
# A throw-away PostgreSQL instance for tests.
#
#   pg_harness.sh start DIR   creates a cluster in DIR (which must not hold
#                             one yet), starts it on a free port on 127.0.0.1
#                             and prints its URL, postgres://tars@127.0.0.1:PORT/tars
#   pg_harness.sh stop DIR    stops it (if running) and removes DIR
#
# Only the URL goes to stdout; progress and errors go to stderr. DIR also gets
# the files url and port. Trust authentication, fsync off: for tests only.
# initdb refuses to run as root, so as root the cluster belongs to the user
# "postgres" (DIR is chown'ed to it and must be reachable by it).
set -euo pipefail

die() { echo "pg_harness: $*" >&2; exit 1; }

find_bindir() {
    local d
    # shellcheck disable=SC2012 # sort -V on the version directories
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    d=$(command -v pg_ctl 2>/dev/null || true)
    [ -n "$d" ] && [ -x "$(dirname "$d")/initdb" ] && { dirname "$d"; return 0; }
    die "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
}

# Runs a command as the cluster's owner: postgres when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pick_port: a free port outside the kernel's ephemeral range (tests/integration/freeport.py).
pick_port() {
    /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/freeport.py" || die "no free port found"
}

# Unix socket paths are limited to 107 bytes: use DIR only when short.
socket_option() {
    local dir=$1 port=$2
    if [ $(( ${#dir} + 20 )) -lt 100 ]; then
        printf -- "-k %s" "$dir"
    else
        printf -- "-c unix_socket_directories=''"
    fi
}

start() {
    local dir=$1 bin port url
    bin=$(find_bindir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -e "$dir/data/PG_VERSION" ] && die "$dir already holds a cluster"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the user \"postgres\""
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" || die "user postgres cannot write $dir (check its parents' permissions)"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U tars -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    for _ in 1 2 3 4 5; do
        port=$(pick_port)
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "$(socket_option "$dir" "$port") -p $port -c listen_addresses=127.0.0.1 -c fsync=off" \
            start >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        echo "pg_harness: start on port $port failed, retrying" >&2
        port=""
    done
    [ -n "$port" ] || { cat "$dir/postgres.log" >&2 || true; die "cannot start PostgreSQL"; }
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U tars tars >&2 || die "createdb failed"
    url="postgres://tars@127.0.0.1:$port/tars"
    echo "$port" >"$dir/port"
    echo "$url" >"$dir/url"
    echo "$url"
}

stop() {
    local dir=$1 bin
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        bin=$(find_bindir)
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || \
            echo "pg_harness: pg_ctl stop failed" >&2
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR | stop DIR" ;;
esac
