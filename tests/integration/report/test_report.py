"""Integration tests of `tars report` (Python 3 standard library only).

Golden run directories (tests/fixtures/runs/{passing,failing,partial}/run.json) must render to
their report.md.golden byte for byte; regenerate them after an intended change with

    TARS_BIN=build/src/cli/tars /usr/bin/python3 tests/integration/report/test_report.py --update-golden

and review the diff. The other tests check what the report claims against run.json.
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
RUNS = os.path.join(ROOT, "tests", "fixtures", "runs")
SEED = os.path.join(ROOT, "tests", "fixtures", "seed-release-report.md")
TEMPLATE = os.path.join(ROOT, "templates", "staging-release-report.md")
TARS = os.environ.get("TARS_BIN", "")
EPOCH = "1795458600"  # 2026-11-23T18:30:00Z: reports are reproducible
UPDATE = "--update-golden" in sys.argv
OPEN, CLOSE = "\x1e", "\x1f"

# The numbers the template itself writes (targets and hotfix ids; templates/*.md). Anything else
# in the template's text would be a hard-coded figure, which the honesty test refuses.
TEMPLATE_LITERALS = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
                     "1001", "1002", "1003", "1004", "1005", "0", "30", "0.1", "150", "100", "99",
                     "250", "1000", "99.9", "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4",
                     "2.5", "3.1", "3.2", "4.1", "4.2", "4.3", "4.4", "1.0"}


def report(run_dir, *args, env_extra=None, out=None):
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    env.update(env_extra or {})
    with tempfile.TemporaryDirectory() as tmp:
        path = out or os.path.join(tmp, "report.md")
        p = subprocess.run([TARS, "report", run_dir, "-o", path, *args], env=env,
                           capture_output=True, timeout=30)
        text = read(path) if os.path.exists(path) else None
    return p.returncode, text, p.stdout.decode(), p.stderr.decode()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class Golden(unittest.TestCase):
    def test_golden(self):
        for name in ("passing", "failing", "partial"):
            with self.subTest(run=name):
                rc, text, _, err = report(os.path.join(RUNS, name))
                self.assertEqual(rc, 0, err)
                golden = os.path.join(RUNS, name, "report.md.golden")
                if UPDATE:
                    with open(golden, "w", encoding="utf-8") as f:
                        f.write(text)
                self.assertEqual(text, read(golden),
                                 f"{name}: rendering differs from {golden} (--update-golden)")


class Gate(unittest.TestCase):
    def test_exit_codes_and_marks(self):
        rc, text, out, _ = report(os.path.join(RUNS, "passing"), "--gate")
        self.assertEqual(rc, 0, out)
        self.assertIn("✅ **APPROVED FOR PRODUCTION PROMOTION**", text)
        self.assertNotIn("❌", text)

        rc, text, out, _ = report(os.path.join(RUNS, "failing"), "--gate")
        self.assertEqual(rc, 1, out)
        self.assertIn("NOT APPROVED", out)
        self.assertNotIn("APPROVED FOR PRODUCTION", text)
        summary = text.split("## 1.")[0]
        self.assertIn("❌ **NOT APPROVED**", summary)
        self.assertIn("check local.api.cors_preflight failed", summary)
        self.assertRegex(summary, r"❌ Checks: 18 of 34 passed, 2 failed, 14 could not run")
        self.assertIn("| api | 16 | 14 | 2 | 0 | 0 | 87.5 % | ❌ |", text)
        self.assertIn("| `error_rate<1%` | 32.43 % | ❌ |", text)
        self.assertIn("**Status:** ❌ **NOT APPROVED**", text)

        rc, text, out, _ = report(os.path.join(RUNS, "partial"), "--gate")
        self.assertEqual(rc, 2, out)
        self.assertIn("⚠️ **INCONCLUSIVE**", text)
        self.assertIn("no load test recorded", text)

    def test_one_failed_check_flips_the_verdict(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = json.load(open(os.path.join(RUNS, "passing", "run.json")))
            run["checks"]["suites"][1]["checks"][0]["status"] = "fail"
            run["checks"]["suites"][1]["checks"][0]["reason"] = "no pong within 5 s"
            json.dump(run, open(os.path.join(tmp, "run.json"), "w"))
            rc, text, out, _ = report(tmp, "--gate")
            self.assertEqual(rc, 1, out)
            self.assertIn("❌ NOT VALIDATED", text)  # TARS-1001's section
            self.assertIn("no pong within 5 s", text.split("## 1.")[0])

    def test_a_hotfix_with_an_unmeasured_criterion_is_partial(self):
        """TARS-1002 without its grafana checks: one of two criteria measured is not VALIDATED."""
        with tempfile.TemporaryDirectory() as tmp:
            run = json.load(open(os.path.join(RUNS, "passing", "run.json")))
            staging = run["checks"]["suites"][1]
            staging["checks"] = [c for c in staging["checks"] if c["category"] != "grafana"]
            json.dump(run, open(os.path.join(tmp, "run.json"), "w"))
            rc, text, out, err = report(tmp, "--gate")
            self.assertEqual(rc, 2, out + err)
            self.assertIn("### 2.2 TARS-1002: Grafana query optimisation ⚠️ PARTIAL "
                          "(1 of 2 criteria measured)", text)
            summary = text.split("## 1.")[0]
            self.assertIn("⚠️ **INCONCLUSIVE**", summary)
            self.assertIn("Hotfixes validated: 4 of 5 (TARS-1001 ✅, TARS-1002 ⚠️,", summary)
            self.assertEqual(summary.count("no grafana check ran in this run"), 1, summary)
            self.assertNotIn("VALIDATED", text.split("### 2.2")[1].split("### 2.3")[0].split("\n")[0])

    def test_verdicts_on_no_data(self):
        """The report's recommendation for a table of evidence: no data, an empty list, NaN,
        +Inf, -Inf, a value exactly at its limit, a peer error. No data is never approved, nor
        a silent failure: inconclusive (--gate exit 2) with what was missing named."""
        def first_threshold(run, **fields):
            th = run["loads"][0]["thresholds"][0]
            th.clear()
            th.update(fields)

        def nan(run):
            first_threshold(run, text="agents:p95<150ms", outcome="no_data", passed=False,
                            measured=None, limit=150e6, unit="ns",
                            missing="the measured value is nan")

        def at_limit(outcome):
            return lambda run: first_threshold(run, text="agents:p95<150ms", outcome=outcome,
                                               passed=outcome == "pass", measured=150e6,
                                               limit=150e6, unit="ns")

        def peer_error(run):
            check = run["checks"]["suites"][0]["checks"][0]
            check["status"], check["reason"] = "error", "connection refused by 127.0.0.1:1"

        cases = [
            ("a pass claimed with nothing measured",
             lambda run: first_threshold(run, text="agents:p95<150ms", passed=True), None,
             2, "agents:p95<150ms: nothing was measured"),
            ("an empty list of loads", lambda run: run.update(loads=[]), None,
             2, "no load test recorded"),
            ("NaN", nan, None, 2, "agents:p95<150ms: the measured value is nan"),
            ("+Inf", None, '"measured": 1e999', 3, "run.json"),
            ("-Inf", None, '"measured": -1e999', 3, "run.json"),
            ("exactly at the limit of <=", at_limit("pass"), None, 0, ""),
            ("exactly at the limit of <", at_limit("fail"), None, 1,
             "threshold agents:p95<150ms not met (measured 150.0 ms)"),
            ("a peer error", peer_error, None, 2, "could not be run"),
        ]
        for name, change, raw, want, words in cases:
            with self.subTest(case=name), tempfile.TemporaryDirectory() as tmp:
                run = json.load(open(os.path.join(RUNS, "passing", "run.json")))
                if change:
                    change(run)
                text = json.dumps(run, indent=1)
                if raw:  # a number JSON cannot hold, written where the first measured value is
                    text = re.sub(r'"measured": [-0-9.e+]+', raw, text, count=1)
                with open(os.path.join(tmp, "run.json"), "w") as f:
                    f.write(text)
                rc, report_text, out, err = report(tmp, "--gate")
                self.assertEqual(rc, want, f"{name}: {out}{err}")
                said = (report_text or "").split("## 1.")[0] + out + err
                self.assertIn(words, said, f"{name}: {said}")
                if want == 2:
                    self.assertIn("⚠️ **INCONCLUSIVE**", report_text)

    def test_separate_load_runs_stay_separate(self):
        """A slow scenario run and a fast quick run: each keeps its own req/s, none is summed
        into one throughput, and every load file of the run is linked in the appendix."""
        with tempfile.TemporaryDirectory() as tmp:
            run = json.load(open(os.path.join(RUNS, "passing", "run.json")))
            scenario = run["loads"][0]
            quick = json.loads(json.dumps(scenario))
            quick["name"], quick["file"] = "quick", "load-quick.json"
            total = quick["result"]["total"]
            total["requests"] *= 2500
            total["summary"]["rps"] = total["requests"] / (quick["result"]["duration_ms"] / 1000)
            run["loads"].append(quick)
            with open(os.path.join(tmp, "run.json"), "w") as f:
                json.dump(run, f)
            rc, text, out, err = report(tmp)
            self.assertEqual(rc, 0, out + err)
            rates = [l["result"]["total"]["summary"]["rps"] for l in run["loads"]]
            summed = sum(l["result"]["total"]["requests"] for l in run["loads"]) / (
                sum(l["result"]["duration_ms"] for l in run["loads"]) / 1000)
            row = [line for line in text.splitlines() if line.startswith("| Throughput |")][0]
            self.assertIn("%.1f req/s (%s), %.1f req/s (quick)" % (rates[0], scenario["name"],
                                                                  rates[1]), row)
            self.assertNotIn("%.1f" % summed, text)
            appendix = text.split("## 14.")[1]
            for load in run["loads"]:
                self.assertIn("- Load result: [%s](%s)" % (load["file"], load["file"]), appendix)

    def test_strict_lists_unresolved(self):
        rc, text, _, err = report(os.path.join(RUNS, "partial"), "--strict")
        self.assertEqual(rc, 2)
        self.assertIn("TOTAL_REQUESTS: no load test recorded", err)

    def test_bad_input(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.assertEqual(report(tmp)[0], 3)  # no run.json
            bad = os.path.join(tmp, "bad.md")
            open(bad, "w").write("ok\n{#each LOADS}\n")
            rc, _, _, err = report(os.path.join(RUNS, "passing"), "--template", bad)
            self.assertEqual(rc, 3)
            self.assertIn("bad.md:2:1: unclosed {#each LOADS}", err)

    def test_secrets_masked(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = json.load(open(os.path.join(RUNS, "failing", "run.json")))
            c = run["checks"]["suites"][0]["checks"]
            c[0]["status"] = "fail"
            c[0]["reason"] = ("GET https://admin:hunter2@example.com/ with Authorization: Bearer "
                              "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl password=s3cret "
                              "hook https://hooks.slack.com/services/T000/B000/XXXXSECRET")
            json.dump(run, open(os.path.join(tmp, "run.json"), "w"))
            rc, text, _, _ = report(tmp)
            self.assertEqual(rc, 0)
            for secret in ("hunter2", "eyJhbGci", "s3cret", "XXXXSECRET", "T000"):
                self.assertNotIn(secret, text)
            # report.md is Markdown: the mask's stars are escaped so they read as stars
            self.assertIn("https://\\*\\*\\*\\*@example.com/", text)
            self.assertNotIn("Authorization: ****", text)

    def test_outside_text_is_text_not_markdown(self):
        """What a server or a person wrote reads the same in report.md rendered to HTML: a tag is
        not dropped as raw HTML, a '|' does not split a table cell, '*' and '[..](..)' are not
        emphasis or links, a line break does not end a table row; a code span is not closed."""
        evil = "expected <token> | got *bold* [x](http://evil/) _u_ ~~s~~ &amp;\nsecond line"
        with tempfile.TemporaryDirectory() as tmp:
            run = json.load(open(os.path.join(RUNS, "failing", "run.json")))
            c = run["checks"]["suites"][0]["checks"]
            c[0]["status"] = "fail"
            c[0]["reason"] = evil
            c[0]["id"] = "local.api.odd`id|x"
            json.dump(run, open(os.path.join(tmp, "run.json"), "w"))
            html_path = os.path.join(tmp, "report.html")
            rc, text, _, err = report(tmp, "--html", html_path)
            self.assertEqual(rc, 0, err)
            with open(html_path, encoding="utf-8") as f:
                page = f.read()
        shown = html.unescape(re.sub(r"<[^>]+>", "", page))
        flat = evil.replace("\n", " ")
        self.assertIn(flat, shown)
        # (a bare URL may be autolinked, GFM does that; the Markdown link must not be one)
        for markup in ("<em>bold</em>", 'href="http://evil/">x</a>', "<del>", "<u>"):
            self.assertFalse(markup in page, f"{markup} made from a value in report.html")
        self.assertIn("local.api.odd'id|x", shown)
        # the row of the check in the table of checks that did not pass: three cells, whole
        row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "odd'id" in r)
        self.assertEqual(len(re.findall(r"<td", row)), 3, row)
        self.assertIn(flat, html.unescape(re.sub(r"<[^>]+>", "", row)))


def numbers_in(run):
    """Every figure the unit rule (docs/report.md, Units) can make from run.json, plus the counts
    and ratios the binding derives from its records, recomputed here independently."""
    found = set()

    def fmt(v):
        out = {f"{v:.1f}", f"{v:.2f}", f"{v / 1e6:.1f}", f"{v * 100:.2f}", f"{v / 1000:.2f}",
               f"{v:g}", f"{v:.4f}", f"{v:+.1f}"}
        if float(v).is_integer():
            out.add(str(int(v)))
        return out

    def walk(v):
        if isinstance(v, bool):
            return
        if isinstance(v, (int, float)):
            found.update(fmt(v))
        elif isinstance(v, str):
            found.update(re.findall(r"\d+(?:\.\d+)?", v))
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
    walk(run)
    checks = [c for s in run.get("checks", {}).get("suites", []) for c in s["checks"]]
    groups = {"": checks}
    for c in checks:
        groups.setdefault(c["category"], []).append(c)
    reg = {"api", "agents", "coordination", "automl", "hypersync", "cognitive", "multi_region", "security"}
    groups["regression"] = [c for c in checks if c["category"] in reg]
    for g in groups.values():
        n = {s: sum(1 for c in g if c["status"] == s) for s in ("pass", "fail", "skip", "error")}
        found.update(str(x) for x in (len(g), *n.values()))
        nonskip = [c for c in g if c["status"] != "skip"]
        found.update((str(len(nonskip)), str(sum(1 for c in nonskip if c["status"] == "fail"))))
        if g:
            found.add(f"{100 * n['pass'] / len(g):.1f}")
    loads = run.get("loads", [])
    req = sum(l["result"]["total"]["requests"] for l in loads)
    fail = sum(l["result"]["total"]["failures"] for l in loads)
    ms = sum(l["result"]["duration_ms"] for l in loads)
    th = [t for l in loads for t in l["thresholds"]]
    found.update({str(req), str(fail), str(req - fail), str(len(th)),
                  str(sum(1 for t in th if t["passed"]))})
    if req:
        found.update({f"{100 * (req - fail) / req:.2f}", f"{100 * fail / req:.2f}"})
    if th:
        found.add(f"{100 * sum(1 for t in th if t['passed']) / len(th):.1f}")
    if ms:
        found.add(f"{req / (ms / 1000):.1f}")
    for ws in run.get("ws", []):
        c, m = ws["connections"], ws["messages"]
        found.add(f"{100 * c['failed'] / (c['established'] + c['failed']):.2f}")
        found.update({f"{100 * m['lost'] / m['expected']:.2f}", f"{100 * m['received'] / m['expected']:.2f}"})
    db = run.get("db", [])
    found.update({str(len(db)), str(sum(1 for d in db if d["passed"])),
                  str(sum(1 for d in db if d["plan"]["uses_index"]))})
    zd = run.get("zero_downtime")
    if zd and zd["requests"]:
        found.add(f"{100 * (zd['requests'] - zd['failed']) / zd['requests']:.2f}")
    found.update(str(i) for i in range(6))  # hotfixes validated, criteria met/failed (0..5)
    return found


class Honesty(unittest.TestCase):
    def test_every_number_comes_from_the_run(self):
        for name in ("passing", "failing", "partial"):
            with self.subTest(run=name):
                run_dir = os.path.join(RUNS, name)
                rc, text, _, err = report(run_dir, "--mark-values")
                self.assertEqual(rc, 0, err)
                allowed = numbers_in(json.load(open(os.path.join(run_dir, "run.json"))))
                allowed |= TEMPLATE_LITERALS  # the binding's criteria in its own sentences
                for head in ("What failed", "What is missing"):
                    part = text.split(head)[1].split("\n\n")[1] if head in text else ""
                    allowed.add(str(part.count("\n- ") + part.startswith("- ")))
                values = re.findall(OPEN + "(.*?)" + CLOSE, text, re.S)
                self.assertGreater(len(values), 100)
                for v in values:
                    if v.startswith("n/a (") or v == "2026-11-23T18:30:00Z":  # or the report time, EPOCH
                        continue
                    if re.fullmatch(r"sha256:[0-9a-f]{64}", v):  # the evidence digest: a hash, no figure
                        continue
                    for n in re.findall(r"(?<![\w.])[-+]?\d+(?:\.\d+)?", v):
                        self.assertTrue(n in allowed or n.lstrip("+-") in allowed,
                                        f"{name}: {n!r} in {v!r} is not found in run.json")
                literal = re.sub(OPEN + ".*?" + CLOSE, "", text, flags=re.S)
                literal = re.sub(r"n/a \(.*?\)", "", literal)
                for n in re.findall(r"(?<![\w.\-])\d+(?:\.\d+)?", literal):
                    self.assertIn(n, TEMPLATE_LITERALS, f"{name}: template text holds {n}")


class Seed(unittest.TestCase):
    def test_seed_template_leaves_nothing_unexplained(self):
        names = sorted(set(re.findall(r"\{([A-Z][A-Z0-9_]*)\}", open(SEED, encoding="utf-8").read())))
        self.assertEqual(len(names), 389)
        for name in ("passing", "partial"):
            rc, text, _, err = report(os.path.join(RUNS, name), "--template", SEED)
            self.assertEqual(rc, 0, err)
            self.assertNotIn("n/a (not recorded)", text)
            self.assertNotRegex(text, r"\{[A-Z][A-Z0-9_]*\}")
        doc = open(os.path.join(ROOT, "docs", "report-variables.md"), encoding="utf-8").read()
        for n in names:
            self.assertIn(f"| `{n}` |", doc)


class Live(unittest.TestCase):
    def test_serve_validate_load_report(self):
        sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "api"))
        import harness
        tmp = tempfile.mkdtemp()
        try:
            srv = harness.Server()
            srv.start()
            try:
                tok = srv.token("developer")
                pw = srv.password("developer")
                base = "http://127.0.0.1:%d" % srv.port
                run_dir = os.path.join(tmp, "run")
                env = dict(os.environ, TARS_API_TOKEN=tok, TARS_LOAD_USERNAME="developer",
                           TARS_LOAD_PASSWORD=pw)
                subprocess.run([TARS, "validate", os.path.join(ROOT, "suites", "local.yaml"),
                                "--only", "database", "--var", f"API_URL={base}",
                                "--var", f"DATABASE_URL=sqlite:{srv.data_dir}/tars.db",
                                "--run", run_dir], env=env, capture_output=True, timeout=60)
                subprocess.run([TARS, "load", os.path.join(ROOT, "scenarios", "tars-api.yaml"),
                                "--host", base, "--users", "4", "--spawn-rate", "0",
                                "-d", "2s", "-q", "--run", run_dir], env=env,
                               capture_output=True, timeout=60)
            finally:
                srv.stop()
            rc, text, out, err = report(run_dir, "--gate")
            self.assertIn(rc, (0, 1, 2), err)
            self.assertNotIn("Segmentation", err)
            run = json.load(open(os.path.join(run_dir, "run.json")))
            total = run["loads"][0]["result"]["total"]["requests"]
            self.assertIn(f"{total} requests", text)
            self.assertIn("| database | 4 |", text)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[a for a in sys.argv if a != "--update-golden"])
