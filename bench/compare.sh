#!/usr/bin/env bash
# tars compare on two synthetic load results of 10 endpoints and 1,000,000 recorded requests
# each (bench/gen_load_result.py), against the time Python's json module takes just to read the
# same two files. Usage: bench/compare.sh BINARY   (BENCH_ROUNDS, default 5; median reported)
# Exit 0 measured, 2 a tool failed, 3 bad usage. Target: < 1 s.
set -euo pipefail
bin=${1:-}
{ [ -n "$bin" ] && [ -x "$bin" ]; } || { echo "usage: bench/compare.sh BINARY" >&2; exit 3; }
here=$(cd "$(dirname "$0")" && pwd)
rounds=${BENCH_ROUNDS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

$py "$here/gen_load_result.py" "$tmp/base.json" --seed 1 || exit 2
$py "$here/gen_load_result.py" "$tmp/cur.json" --seed 2 --slower 1.02 || exit 2

ms() { # median wall ms of rounds runs of "$@"
  for _ in $(seq "$rounds"); do
    s=$(date +%s%N); "$@" >/dev/null || [ $? -le 2 ] || exit 2; e=$(date +%s%N)
    echo $(( (e - s) / 1000000 ))
  done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
cmp_ms=$(ms "$bin" compare "$tmp/base.json" "$tmp/cur.json" -q)
read_ms=$(ms $py -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$tmp/base.json" "$tmp/cur.json")
size=$(( $(stat -c %s "$tmp/base.json") + $(stat -c %s "$tmp/cur.json") ))
echo "files: 2 x 10 endpoints x 1,000,000 requests, $size bytes of JSON in all"
echo "compare: tars compare ${cmp_ms} ms (median of $rounds); python json.load of the same files ${read_ms} ms; ratio $(awk -v a="$cmp_ms" -v b="$read_ms" 'BEGIN{printf "%.2f", (b>0? a/b : 0)}')"
