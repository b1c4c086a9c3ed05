#!/usr/bin/env python3
"""The tables of bench/compare-calibration.sh (Python 3 standard library only).

    compare_calibration.py p95-delay PAIRS
        the +20 % of p95 delay in ms: 20 % of the median total p95 of the saturating A/A
        arms, at least 2 ms (the goal is about regressions of at least 2 ms)
    compare_calibration.py tables PAIRS --tars BIN --machine FILE --direct JSON
        --via-proxy JSON --p20 MS [--write-docs docs/compare.md]
        runs `tars compare` on every pair under the defaults and a few other settings, prints
        the Markdown tables, checks the goals (exit 1 when one is missed), and with
        --write-docs replaces the block between the calibration markers of that file

PAIRS holds one line per pair: "GROUP BASELINE.json CURRENT.json"; groups: demo-aa, sat-aa,
sat-ab-<delay ms>.
"""

import argparse
import json
import statistics
import subprocess
import sys

BEGIN = "<!-- calibration:begin (bench/compare-calibration.sh --write-docs writes this block) -->"
END = "<!-- calibration:end -->"

# (label, extra tars compare options); the first is the shipped defaults.
SETTINGS = [
    ("defaults", []),
    ("latency threshold 5 %", ["--threshold", "latency=5%"]),
    ("latency threshold 20 %", ["--threshold", "latency=20%"]),
    ("latency floor 0.5 ms", ["--latency-floor", "0.5"]),
    ("latency floor 1 ms (the earlier default)", ["--latency-floor", "1"]),
    ("alpha 0.01", ["--alpha", "0.01"]),
    ("throughput threshold 10 % (the earlier default)", ["--threshold", "throughput=10%"]),
    ("throughput threshold 40 %", ["--threshold", "throughput=40%"]),
    ("cut-offs pass 80, marginal 60", ["--cutoffs", "pass=80,marginal=60"]),
]



def machine_state(loadavg_start):
    """Busy when other work already kept a core busy (1-minute load >= 1) before the runs."""
    try:
        first = float(loadavg_start.split()[0])
    except (ValueError, IndexError, AttributeError):
        return "the machine's state was not recorded."
    if first >= 1.0:
        return ("**a busy machine**, shared with other work while it ran; the figures are what a "
                "gate sees on such a machine, not a quiet one.")
    return ("an otherwise idle machine (the later load averages are the script's own runs).")

def read_pairs(path):
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                out.append(tuple(parts))
    return out


def total(path):
    with open(path) as f:
        return json.load(f)["total"]


def p95_ms(path):
    return total(path)["summary"]["p95_ms"]


def p20_delay(pairs):
    p95s = [p95_ms(p) for g, a, b in pairs if g == "sat-aa" for p in (a, b)]
    if not p95s:
        raise SystemExit("no saturating A/A pairs")
    return max(2.0, round(0.2 * statistics.median(p95s), 2))


def compare(tars, a, b, extra):
    p = subprocess.run([tars, "compare", a, b, "--json", "-"] + extra, capture_output=True,
                       text=True, timeout=60)
    if p.returncode > 2:
        raise SystemExit("tars compare %s %s failed (exit %d): %s" % (a, b, p.returncode, p.stderr))
    return json.loads(p.stdout)


def counts(docs):
    c = {"pass": 0, "marginal": 0, "fail": 0, "inconclusive": 0}
    for d in docs:
        c[d["verdict"]] += 1
    return c


def pct(k, n):
    return "%.0f %%" % (100.0 * k / n) if n else "n/a"


def groups_of(pairs):
    order = []
    for g, _, _ in pairs:
        if g not in order:
            order.append(g)
    return order


def describe_group(g, p20):
    if g == "demo-aa":
        return "A/A, demo scenario (closed, 20 users, think 1-5 s), one run after the other"
    if g == "sat-aa":
        return ("A/A, saturating (closed, no think time), side by side, through two pass ports "
                "of one proxy")
    delay = g[len("sat-ab-"):]
    label = "+%s ms" % delay
    if abs(float(delay) - p20) < 1e-9:
        label += " (the goal's case: 20 % of the A/A p95, at least 2 ms)"
    return "A/B, saturating, %s on every response of the current arm" % label


def failing_metrics(docs):
    names = {}
    for d in docs:
        for m in d["metrics"]:
            if m["verdict"] in ("high", "low"):
                names[m["name"]] = names.get(m["name"], 0) + 1
    top = sorted(names.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join("%s (%d)" % kv for kv in top) or "none"


def tables(args):
    pairs = read_pairs(args.pairs)
    results = {}  # setting label -> group -> [doc]
    for label, extra in SETTINGS:
        per = results.setdefault(label, {})
        for g, a, b in pairs:
            per.setdefault(g, []).append(compare(args.tars, a, b, extra))
    with open(args.machine) as f:
        machine = dict(line.rstrip("\n").split(" ", 1) for line in f if " " in line)
    direct, via = total(args.direct), total(args.via_proxy)
    with open(args.direct) as f:
        direct_ms = json.load(f)["duration_ms"]
    with open(args.via_proxy) as f:
        via_ms = json.load(f)["duration_ms"]
    lines = []
    w = lines.append
    w("Measured %s on %s (%s). Load average (1, 5, 15 min): %s at the start, %s after the demo "
      "runs, %s after the saturating A/A, %s at the end: %s"
      % (machine.get("date", "?"), machine.get("machine", "?"), machine.get("settings", "?"),
         machine.get("loadavg_start", "?"), machine.get("loadavg_demo", "?"),
         machine.get("loadavg_aa", "?"), machine.get("loadavg_end", "?"),
         machine_state(machine.get("loadavg_start", ""))))
    w("")
    w("The proxy's own limit (the same saturating run, straight to `tars serve` and through a "
      "pass proxy): %.0f req/s, p50 %.2f ms, p95 %.2f ms direct; %.0f req/s, p50 %.2f ms, "
      "p95 %.2f ms through the proxy. The proxy (one Python process) sets the saturating "
      "scenario's rate, so both arms of every saturating pair go through the same proxy "
      "process, each on its own port (`--pass-listener`): A/A and A/B differ only in the "
      "injected delay, and a busy machine starves both arms alike."
      % (direct["requests"] / (direct_ms / 1000.0), direct["summary"]["p50_ms"],
         direct["summary"]["p95_ms"], via["requests"] / (via_ms / 1000.0),
         via["summary"]["p50_ms"], via["summary"]["p95_ms"]))
    w("")
    w("Verdicts with the shipped defaults (latency threshold 10 %, throughput threshold 25 %, "
      "alpha 0.05, latency floor 2 ms, cut-offs pass 95 / marginal 75):")
    w("")
    w("| pairs | n | pass | marginal | fail | inconclusive | judged metrics (median) "
      "| baseline p95 ms (median) | Δ p95 ms (median) | metrics judged high/low (count) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    base = results["defaults"]
    for g in groups_of(pairs):
        docs = base[g]
        c = counts(docs)
        gp = [(a, b) for gg, a, b in pairs if gg == g]
        b95 = statistics.median(p95_ms(a) for a, _ in gp)
        d95 = statistics.median(p95_ms(b) - p95_ms(a) for a, b in gp)
        w("| %s | %d | %d (%s) | %d | %d (%s) | %d | %.0f | %.2f | %+.2f | %s |"
          % (describe_group(g, args.p20), len(docs), c["pass"], pct(c["pass"], len(docs)),
             c["marginal"], c["fail"], pct(c["fail"], len(docs)), c["inconclusive"],
             statistics.median(d["judged"] for d in docs), b95, d95, failing_metrics(docs)))
    w("")
    w("The same pairs compared again under other settings (one change from the defaults each): "
      "A/A columns give pass / fail, A/B columns the share judged fail (the detection rate).")
    w("")
    ab = [g for g in groups_of(pairs) if g.startswith("sat-ab-")]
    head = "| setting | A/A demo pass / fail | A/A saturating pass / fail | " + " | ".join(
        "A/B +%s ms fail" % g[len("sat-ab-"):] for g in ab) + " |"
    w(head)
    w("|" + "---|" * (3 + len(ab)))
    for label, _ in SETTINGS:
        per = results[label]
        cells = []
        for g in ("demo-aa", "sat-aa"):
            c = counts(per.get(g, []))
            cells.append("%d / %d" % (c["pass"], c["fail"]))
        for g in ab:
            c = counts(per[g])
            cells.append(pct(c["fail"], len(per[g])))
        w("| %s | %s |" % (label, " | ".join(cells)))
    block = "\n".join(lines)
    print(block)
    missed = 0
    for g in ("demo-aa", "sat-aa"):
        c = counts(base.get(g, []))
        n = len(base.get(g, []))
        ok = n > 0 and c["fail"] == 0 and c["pass"] >= 0.95 * n
        print("    %s  A/A %s: %d of %d pass, %d fail (goal: >= 95 %% pass, 0 fail)"
              % ("met:   " if ok else "MISSED:", g, c["pass"], n, c["fail"]))
        missed += not ok
    g = "sat-ab-%s" % fmt_delay(args.p20)
    if g in base:
        c = counts(base[g])
        n = len(base[g])
        ok = c["fail"] >= 0.95 * n
        print("    %s  A/B +%s ms (20 %% of p95, >= 2 ms): %d of %d judged fail (goal: >= 95 %%)"
              % ("met:   " if ok else "MISSED:", fmt_delay(args.p20), c["fail"], n))
        missed += not ok
    if args.write_docs:
        write_docs(args.write_docs, block)
    return 1 if missed else 0


def fmt_delay(ms):
    return ("%g" % ms)


def write_docs(path, block):
    with open(path) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit("%s has no calibration markers" % path)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + block + "\n" + END + tail)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("p95-delay")
    p.add_argument("pairs")
    t = sub.add_parser("tables")
    t.add_argument("pairs")
    t.add_argument("--tars", required=True)
    t.add_argument("--machine", required=True)
    t.add_argument("--direct", required=True)
    t.add_argument("--via-proxy", required=True)
    t.add_argument("--p20", type=float, required=True)
    t.add_argument("--write-docs")
    args = ap.parse_args()
    if args.cmd == "p95-delay":
        print(fmt_delay(p20_delay(read_pairs(args.pairs))))
        return 0
    return tables(args)


if __name__ == "__main__":
    sys.exit(main())
