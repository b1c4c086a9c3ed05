#!/usr/bin/env bash
# `make demo`: the release gate on one machine. Runs `tars release` with
# release/local.yaml against a free loopback port: preflight, deploy (`tars
# serve --demo`, SQLite), readiness, the API and database checks, the load
# scenario, the decision, the report; then shows what was measured and stops
# the server. Never prints a password or a token. Exits with the release's
# exit code (0 approved, 1 rejected, 2 inconclusive).
#
# Usage: scripts/demo.sh BINARY      (e.g. scripts/demo.sh build/src/cli/tars)
set -euo pipefail

PROG=demo
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
. "$ROOT/bench/lib.sh"

RUN_DIR=""
BASE=""

cleanup() {
  local rc=$?
  if [ -n "$RUN_DIR" ]; then
    TARS_RUN_DIR=$RUN_DIR TARS_BASE_URL=$BASE "$ROOT/scripts/release-local.sh" stop >/dev/null || true
  fi
  exit "$rc"
}

summarise() {
  "$PYTHON" - "$RUN_DIR/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("    %-10s %-6s %9s  %s" % ("stage", "status", "seconds", "reason"))
for s in r.get("stages", []):
    print("    %-10s %-6s %9.1f  %s" % (s["name"], s["status"], s["duration_ms"] / 1000, s["reason"]))
c = r.get("checks", {}).get("counts")
if c:
    print("\n    checks: %d passed, %d failed, %d skipped, %d errors"
          % (c["pass"], c["fail"], c["skip"], c["error"]))
for load in r.get("loads", []):
    res = load["result"]
    print("\n    load %s: %d requests, %d failed, %.0f s" % (
        load["name"], res["total"]["requests"], res["total"]["failures"], res["duration_ms"] / 1000))
    for t in load["thresholds"]:
        print("      %-4s %s" % ("pass" if t["passed"] else "FAIL", t["text"]))
for d in r.get("decisions", []):
    print("\n    decision: %s" % d["decision"])
    for why in d["reasons"]:
        print("      - %s" % why)
PY
}

main() {
  [ $# -eq 1 ] || die 3 "usage: scripts/demo.sh BINARY"
  local binary rc=0
  binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$binary" ] || die 3 "$1: not an executable (run 'make build' first)"
  require_tools curl "$PYTHON"
  cd "$ROOT"
  BASE="http://127.0.0.1:$(free_port)"
  RUN_DIR="runs/demo-$(date -u +%Y%m%dT%H%M%SZ)"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  say "tars demo: the release gate on this machine (tars serve on SQLite, everything on 127.0.0.1)"
  step "tars release --config release/local.yaml --base-url $BASE --run $RUN_DIR"
  "$binary" release --config release/local.yaml --base-url "$BASE" --run "$RUN_DIR" || rc=$?

  step "What was measured ($RUN_DIR/run.json)"
  summarise
  if [ -s "$RUN_DIR/report.md" ]; then
    step "The report ($RUN_DIR/report.md), first lines"
    head -n 25 "$RUN_DIR/report.md" | sed 's/^/    /'
  fi
  step "Stopping the deployed server"
  TARS_RUN_DIR=$RUN_DIR TARS_BASE_URL=$BASE "$ROOT/scripts/release-local.sh" stop | sed 's/^/    /'
  RUN_DIR_KEPT=$RUN_DIR
  RUN_DIR=""
  printf '\ndemo: release exit code %d; everything it measured is in %s\n' "$rc" "$RUN_DIR_KEPT"
  exit "$rc"
}

main "$@"
