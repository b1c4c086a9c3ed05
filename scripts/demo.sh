#!/usr/bin/env bash
# `make demo`: the release gate on one machine. Runs `tars release` with
# release/local.yaml against a free loopback port: preflight, deploy (`tars
# serve --demo`, SQLite), readiness, the API and database checks, the load
# scenario, the WebSocket stress, the database benchmark, the decision, the
# report; then shows what was measured and stops the server. A second demo is
# compared with the previous one (tars compare, in the decide stage). Never
# prints a password or a token. Exits 0 when the gate ran to its decision,
# whatever it decided (the decision, its reasons and the comparison are
# printed last, framed); otherwise the release's exit code (3 bad usage, 2 when
# it stopped before deciding).
#
# Usage: scripts/demo.sh BINARY      (e.g. scripts/demo.sh build/src/cli/tars)
# Environment: DEMO_DURATION (e.g. 60s or 5m): the load phase's length (10s).
set -euo pipefail

PROG=demo
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
. "$ROOT/bench/lib.sh"

RUN_DIR=""
BASE=""
CONFIG_COPY=""

cleanup() {
  local rc=$?
  if [ -n "$RUN_DIR" ]; then
    TARS_RUN_DIR=$RUN_DIR TARS_BASE_URL=$BASE "$ROOT/scripts/release-local.sh" stop >/dev/null || true
  fi
  [ -z "$CONFIG_COPY" ] || rm -f "$CONFIG_COPY"
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
for db in r.get("db", []):
    print("    db-bench %-20s p95 %7.3f ms (limit %g ms) %s" % (
        db.get("family", "?"), db.get("p95_ms") or 0, db.get("threshold_ms") or 0,
        "pass" if db.get("passed") else "FAIL"))
PY
}

# verdict RC: the gate's decision and the comparison with the previous demo, framed so that
# nobody scrolls past them (docs/compare.md says how each metric is judged).
verdict() {
  "$PYTHON" - "$RUN_DIR/run.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rule = "=" * 78
print("\n" + rule)
for d in r.get("decisions", []):
    print("  RELEASE DECISION: %s   (tars release exit code %s)" % (d["decision"].upper(), sys.argv[2]))
    for why in d["reasons"]:
        print("    - %s" % why)
cmp = r.get("comparison")
if not cmp:
    print("\n  No comparison with a previous demo (the first demo here, or the perf stage did not pass).")
else:
    window = cmp.get("window") or {}
    apart = window.get("apart_s")
    when = {"same": "side by side (the same time window)",
            "cross-time": "cross-time: measured %s after the previous demo"
            % ("%.0f s" % apart if apart is not None and apart < 120 else "%.1f min" % ((apart or 0) / 60)),
            }.get(window.get("kind"), "measurement times unknown")
    ms = cmp.get("metrics", [])
    judged = [m for m in ms if m["verdict"] in ("pass", "high", "low")]
    print("\n  COMPARISON WITH THE PREVIOUS DEMO (%s): %s" % (cmp.get("baseline"), cmp.get("verdict", "?").upper()))
    score = cmp.get("score")
    print("    %s of %s judged metrics pass (score %s); %s" % (
        cmp.get("passed"), cmp.get("judged"), "n/a" if score is None else "%.0f" % score, when))
    for m in judged:
        if m["verdict"] != "pass":
            print("    - %s %s: %s -> %s (%+.0f %%, p = %s)" % (
                m["verdict"].upper(), m["name"], m["baseline"], m["current"], m["delta_pct"],
                "n/a" if m.get("p_value") is None else "%.3g" % m["p_value"]))
    few = [m for m in ms if m["verdict"] == "too_few_samples"]
    reported = [m for m in ms if m["verdict"] == "reported"]
    nodata = [m for m in ms if m["verdict"] == "nodata"]
    if few:
        named = ["%s (n = %s)" % (m["name"], min(m["n_baseline"], m["n_current"])) for m in few]
        print("    - not judged, too few samples: %s%s" % (
            ", ".join(named[:4]), " and %d more" % (len(named) - 4) if len(named) > 4 else ""))
    if reported:
        print("    - reported, not judged: %s: %s" % (
            ", ".join(m["name"] for m in reported), reported[0].get("reason")))
    if nodata:
        print("    - no data: %s" % ", ".join(m["name"] for m in nodata))
print(rule)
PY
}

# live_scrape: what the demo's Prometheus (still running) scraped from the perf stage's loads
# and ws-stress while they ran: their live metrics endpoints (jobs "tars-load" and
# "tars-ws-stress", scripts/release-local.sh).
live_scrape() {
  local url_file=$RUN_DIR/serve/prometheus/url
  [ -f "$url_file" ] || { say "    (no Prometheus: TARS_LOCAL_PROMETHEUS=off)"; return 0; }
  "$PYTHON" - "$(cat "$url_file")" <<'PY' || say "    (Prometheus did not answer)"
import json, sys, urllib.parse, urllib.request
url = sys.argv[1]
def query(expr):
    with urllib.request.urlopen(url + "/api/v1/query?query=" + urllib.parse.quote(expr), timeout=10) as r:
        return json.load(r)["data"]["result"]
scrapes = query('count_over_time(tars_load_running{job="tars-load"}[1h])')
if not scrapes:
    print("    Prometheus saw no live load metrics (did the perf stage run?)")
    sys.exit(0)
print("    %d scrapes of tars load's /metrics while the loads ran; the last values it stored:"
      % int(float(scrapes[0]["value"][1])))
def row_name(m):
    task, step = m.get("task", "?"), m.get("step", "?")
    return task if step == task else task + "/" + step
for row in sorted(query('max_over_time(tars_load_requests_total{job="tars-load"}[1h])'),
                  key=lambda r: row_name(r["metric"])):
    print("    %-28s %8d requests" % (row_name(row["metric"]), int(float(row["value"][1]))))
ws = query('count_over_time(tars_ws_stress_running{job="tars-ws-stress"}[1h])')
if not ws:
    print("    Prometheus saw no live ws-stress metrics")
    sys.exit(0)
def last(name):
    rows = query('max_over_time(%s{job="tars-ws-stress"}[1h])' % name)
    return int(float(rows[0]["value"][1])) if rows else 0
print("    %d scrapes of tars ws-stress's /metrics: %d connections established, %d messages received"
      % (int(float(ws[0]["value"][1])), last("tars_ws_stress_connections_established_total"),
         last("tars_ws_stress_messages_received_total")))
PY
}

# gate_ran: the release got as far as its decision (run.json "decisions").
gate_ran() {
  [ -f "$RUN_DIR/run.json" ] && "$PYTHON" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])).get("decisions") else 1)' \
    "$RUN_DIR/run.json" 2>/dev/null
}

# previous_demo: the newest earlier demo run that got as far as measuring (run.json "loads").
previous_demo() {
  local d
  # shellcheck disable=SC2012 # run directory names are ours: no blanks
  for d in $(ls -d runs/demo-*/ 2>/dev/null | sort -r); do
    if [ -f "$d/run.json" ] && "$PYTHON" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])).get("loads") else 1)' \
      "$d/run.json" 2>/dev/null; then
      echo "${d%/}"
      return
    fi
  done
}

# config_for DURATION: release/local.yaml, or a copy whose load phase lasts DURATION (the
# caller removes it).
config_for() {
  local duration=$1 copy
  if [ -z "$duration" ]; then
    echo release/local.yaml
    return
  fi
  [[ "$duration" =~ ^[0-9]+(s|m)$ ]] || die 3 "DEMO_DURATION must look like 30s or 5m, not \"$duration\""
  grep -q -- '--duration, 10s' release/local.yaml || die 2 "release/local.yaml has no 10 s load phase to lengthen"
  copy=$(mktemp "${TMPDIR:-/tmp}/tars-demo-release.XXXXXX")
  sed "s/--duration, 10s/--duration, $duration/" release/local.yaml >"$copy"
  echo "$copy"
}

main() {
  [ $# -eq 1 ] || die 3 "usage: scripts/demo.sh BINARY"
  local binary rc=0 demo_rc config baseline args
  binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$binary" ] || die 3 "$1: not an executable (run 'make build' first)"
  require_tools curl "$PYTHON"
  cd "$ROOT"
  BASE="http://127.0.0.1:$(free_port)"
  RUN_DIR="runs/demo-$(date -u +%Y%m%dT%H%M%SZ)"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  config=$(config_for "${DEMO_DURATION:-}")
  [ "$config" = release/local.yaml ] || CONFIG_COPY=$config
  baseline=$(previous_demo)
  args=(release --config "$config" --base-url "$BASE" --run "$RUN_DIR")
  [ -z "$baseline" ] || args+=(--baseline "$baseline")

  say "tars demo: the release gate on this machine (tars serve on SQLite, everything on 127.0.0.1)"
  if [ -n "$baseline" ]; then
    say "compared with the previous demo: $baseline"
  else
    say "the first demo here: the next one will be compared with it"
  fi
  step "tars ${args[*]}"
  "$binary" "${args[@]}" || rc=$?

  step "What was measured ($RUN_DIR/run.json)"
  [ ! -f "$RUN_DIR/run.json" ] || summarise
  if [ -s "$RUN_DIR/report.md" ]; then
    step "The report ($RUN_DIR/report.md), first lines"
    head -n 25 "$RUN_DIR/report.md" | sed 's/^/    /'
  fi
  step "Live metrics of the loads and ws-stress, as Prometheus scraped them (jobs tars-load, tars-ws-stress)"
  live_scrape
  step "Stopping the deployed server"
  TARS_RUN_DIR=$RUN_DIR TARS_BASE_URL=$BASE "$ROOT/scripts/release-local.sh" stop | sed 's/^/    /'
  # The demo shows the gate's judgement; it does not fail on it. It fails when the gate could
  # not run to its decision (bad usage, a crash, an interruption before deciding).
  demo_rc=$rc
  if gate_ran && [ "$rc" -le 2 ]; then
    verdict "$rc"
    demo_rc=0
  fi
  RUN_DIR_KEPT=$RUN_DIR
  RUN_DIR=""
  printf '\ndemo: the gate ran to its end: tars release exit code %d (0 approved, 1 rejected, 2 inconclusive);\n' "$rc"
  printf 'demo: everything it measured is in %s\n' "$RUN_DIR_KEPT"
  exit "$demo_rc"
}

main "$@"
