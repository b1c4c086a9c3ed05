#!/usr/bin/env bash
# Runs every libFuzzer harness of tests/fuzz, one at a time: each replays its
# committed seed corpus, then fuzzes for SECONDS. Any crash, leak, timeout
# (10 s for one input) or out-of-memory (2 GB) is a finding: the input is
# kept under OUT/ and the script exits 1 after the last harness.
#
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TABLE_FILE]
#   BUILD_DIR   a build configured with -DTARS_FUZZ=ON (make fuzz-build)
#   TABLE_FILE  when given, the rows of the harnesses run replace theirs in the
#               table between the fuzz-table markers of that file
#               (docs/reliability.md); rows of harnesses not run this time
#               stay, each with the date and duration of its own run
# Environment: FUZZ_OUT (default BUILD_DIR/fuzz-out), FUZZ_ONLY (harnesses to
# run, separated by spaces or commas; default all). The serve harness writes
# the requests before an unanswered one into OUT/serve/stall-* (replay them
# with tests/fuzz/serve/replay.py).
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS [TABLE_FILE]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TABLE_FILE]}
table_file=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-$build/fuzz-out}
rm -rf "$out"
mkdir -p "$out"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/../lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rows=()
failed=0
bad=0
total_start=$(date +%s)
for src in "$here"/*/fuzz.c; do
  name=$(basename "$(dirname "$src")")
  if [ -n "${FUZZ_ONLY:-}" ] && [[ " ${FUZZ_ONLY//,/ } " != *" $name "* ]]; then
    continue
  fi
  bin=$build/tests/fuzz/fuzz_$name
  if [ ! -x "$bin" ]; then
    echo "fuzz: $name: $bin is not built" >&2
    failed=1
    bad=$((bad + 1))
    rows+=("| $name | not built | | | $(date -u +%Y-%m-%d) | |")
    continue
  fi
  work=$out/$name
  mkdir -p "$work/corpus"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$work/")
  [ -f "$here/$name/dict" ] && args+=(-dict="$here/$name/dict")
  started=$(date +%s)
  FUZZ_SERVE_STALLS=$work "$bin" "${args[@]}" "$work/corpus" "$here/$name/corpus" >"$work/log" 2>&1
  rc=$?
  took=$(( $(date +%s) - started ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
  found=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
            -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then
    found=1 # failed without writing an input (e.g. a seed failed while loading)
  fi
  if [ "$rc" -ne 0 ]; then
    failed=1
    bad=$((bad + 1))
    echo "fuzz: $name: FINDING (exit $rc); log and inputs in $work" >&2
    grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$work/log" | head -25 >&2
  fi
  printf 'fuzz: %-16s %10s executions, coverage %5s, findings %s\n' "$name" "${execs:-?}" "${cov:-?}" "$found"
  rows+=("| $name | ${execs:-?} | ${cov:-?} | $found | $(date -u +%Y-%m-%d) | $took |")
done
elapsed=$(( $(date +%s) - total_start ))
echo "fuzz: ${#rows[@]} harnesses, ${seconds} s each, ${elapsed} s in all"

if [ -n "$table_file" ]; then
  printf '%s\n' "${rows[@]}" >"$out/rows.md"
  /usr/bin/python3 - "$table_file" "$out/rows.md" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" \
    "$elapsed" <<'PY'
import re, sys
path, rows_file, cores, load, elapsed = sys.argv[1:]
text = open(path).read()
pat = re.compile(r"<!-- fuzz-table:begin.*?<!-- fuzz-table:end -->", re.S)
m = pat.search(text)
if not m:
    sys.exit(f"{path}: no fuzz-table markers")
rows = {}
for line in m.group(0).splitlines():  # earlier rows: | name | execs | cov | findings | date | s |
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 6 and cells[0] not in ("harness", "---") and not cells[0].startswith("-"):
        rows[cells[0]] = line
new = [l for l in open(rows_file).read().splitlines() if l.strip()]
for line in new:
    rows[line.strip().strip("|").split("|")[0].strip()] = line
table = "\n".join([
    "<!-- fuzz-table:begin (written by make fuzz) -->",
    f"Rows of `make fuzz`, each from its own run (date, seconds); the last run: {len(new)} "
    f"harness(es), one at a time, {cores} cores (load average {load} at the end), {elapsed} s in all.",
    "Coverage is libFuzzer's count of covered edges of tars' own code.",
    "",
    "| harness | executions | coverage | findings | date | seconds |",
    "| --- | ---: | ---: | ---: | --- | ---: |",
    *[rows[k] for k in sorted(rows)],
    "<!-- fuzz-table:end -->"])
open(path, "w").write(pat.sub(lambda _: table, text))
PY
fi
echo "fuzz: $(( ${#rows[@]} - bad )) passed, $bad failed"
exit $failed
