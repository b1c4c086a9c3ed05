"""`tars validate --format tap:/junit:/json:` read back by their real consumers.

The suite holds every result and every awkward text: passes, failures whose reasons carry
quotes, colons, a newline, non-ASCII and a secret, skips whose reasons carry '#' and quotes,
errors, and no data. prove (perl's TAP::Harness) and tappy (python3-tap) must parse the TAP;
python3-junitparser must read the JUnit with counts that agree at every level, and xmllint must
accept it; the secret appears in none of them, nor in the run directory (checks.json,
checks.junit.xml, run.json) nor in the report rendered from it, Markdown and HTML.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import junitparser
from tap.parser import Parser

TARS = os.environ.get("TARS_BIN", "tars")
SECRET = "s3cr3t-token-value-42"
AWKWARD = 'he said "no": bad\nline two: ünïcödé ✓ \\ end'

SUITE = r'''
suite: consumers
variables:
  DB: sqlite:%(db)s
  TOKEN: {env: CONSUMER_TOKEN, secret: true, default: ""}
targets:
  database: {url: "${DB}"}
checks:
  - {id: c.db.pass, category: db, type: database, check: query, sql: "SELECT 1"}
  - {id: c.db.awkward, category: db, type: database, check: query, sql: "SELECT note FROM notes",
     op: "==", value: "something else"}
  - {id: c.db.secret, category: db, type: database, check: query, sql: "SELECT '${TOKEN}'",
     op: "==", value: "other"}
  - {id: c.db.nodata, category: db, type: database, check: query, sql: "SELECT 1 WHERE 0"}
  - {id: c.api.refused, category: api, type: http, url: "http://127.0.0.1:1/health",
     timeout: 2s}
  - id: c.api.skipped
    category: api
    skip: 'not measured here: "quoted" # not a directive; ünï'
'''


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr


class CheckOutputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tars-consumers-")
        db = os.path.join(cls.work, "c.db")
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE notes (note TEXT)")
            c.execute("INSERT INTO notes VALUES (?)", (AWKWARD,))
        suite = os.path.join(cls.work, "suite.yaml")
        with open(suite, "w") as f:
            f.write(SUITE % {"db": db})
        cls.tap = os.path.join(cls.work, "r.tap")
        cls.junit = os.path.join(cls.work, "r.xml")
        cls.json = os.path.join(cls.work, "r.json")
        env = dict(os.environ, CONSUMER_TOKEN=SECRET)
        cls.rc, cls.out, cls.err = run([TARS, "validate", suite, "--format", "tap:" + cls.tap,
                                        "--format", "junit:" + cls.junit,
                                        "--format", "json:" + cls.json,
                                        "--run", os.path.join(cls.work, "run")], env=env)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def shown(self):
        return "exit %d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out, self.err)

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def test_0_the_run(self):
        """Failures make it exit 1; every file is written; the secret is nowhere."""
        self.assertEqual(self.rc, 1, self.shown())
        for path in (self.tap, self.junit, self.json):
            text = self.read(path)
            self.assertNotIn(SECRET, text, path)
        self.assertNotIn(SECRET, self.out + self.err)

    def test_run_directory_and_report_hold_no_secret(self):
        """The secret check's masked reason reaches every file of --run and the report."""
        self.assertEqual(self.rc, 1, self.shown())
        run_dir = os.path.join(self.work, "run")
        md, html = os.path.join(self.work, "report.md"), os.path.join(self.work, "report.html")
        rc, out, err = run([TARS, "report", run_dir, "-o", md, "--html", html])
        self.assertEqual(rc, 0, "tars report exit %d\n%s\n%s" % (rc, out, err))
        self.assertNotIn(SECRET, out + err)
        for name in ("checks.json", "checks.junit.xml", "run.json", md, html):
            path = os.path.join(run_dir, name)
            text = self.read(path)
            self.assertIn("c.db.secret", text, path)
            self.assertNotIn(SECRET, text, path)
        checks = json.loads(self.read(os.path.join(run_dir, "checks.json")))
        reasons = {c["id"]: c["reason"] for c in checks["suites"][0]["checks"]}
        self.assertIn("****", reasons["c.db.secret"])

    def test_json(self):
        doc = json.loads(self.read(self.json))
        checks = {c["id"]: c for c in doc["suites"][0]["checks"]}
        self.assertEqual({k: c["status"] for k, c in checks.items()},
                         {"c.db.pass": "pass", "c.db.awkward": "fail", "c.db.secret": "fail",
                          "c.db.nodata": "error", "c.api.refused": "error",
                          "c.api.skipped": "skip"})
        self.assertIn(AWKWARD, checks["c.db.awkward"]["reason"])
        self.assertIn("****", checks["c.db.secret"]["reason"])
        self.assertEqual(doc["counts"], {"pass": 1, "fail": 2, "skip": 1, "error": 2})
        for c in checks.values():
            text = json.dumps(c["duration_ms"])
            self.assertLessEqual(len(text.split(".")[-1]) if "." in text else 0, 3, text)

    def test_prove_reads_the_tap(self):
        """prove parses it: six tests, the failures and errors as failed, no parse errors."""
        rc, out, err = run(["prove", "-v", "--exec", "cat", self.tap])
        shown = "prove exit %d\n%s\n%s\nTAP:\n%s" % (rc, out, err, self.read(self.tap))
        self.assertNotIn("Bad plan", out + err, shown)
        self.assertNotIn("Parse errors", out + err, shown)
        self.assertRegex(out, r"Failed 4/6 subtests", shown)
        self.assertNotEqual(rc, 0, shown)  # the TAP says not ok: prove must fail

    def test_tappy_reads_the_tap(self):
        """tappy's parser sees the plan, six results, the skip and the YAML blocks whole."""
        lines = list(Parser().parse_text(self.read(self.tap)))
        kinds = [type(x).__name__ for x in lines]
        self.assertNotIn("Unknown", kinds, "\n".join(repr(x) for x in lines))
        results = [x for x in lines if x.category == "test"]
        self.assertEqual(len(results), 6)
        self.assertEqual([r.ok for r in results], [True, False, False, False, False, True])
        self.assertTrue(results[5].skip)
        self.assertIn('"quoted"', results[5].directive.reason)
        awkward = results[1]
        self.assertIsNotNone(awkward.yaml_block, "the YAML block of %r did not parse" % awkward)
        self.assertEqual(awkward.yaml_block["status"], "fail")
        self.assertIn(AWKWARD, awkward.yaml_block["reason"])
        self.assertEqual(results[3].yaml_block["status"], "error")
        self.assertIn("no data", results[3].yaml_block["reason"])

    def test_xmllint_accepts_the_junit(self):
        rc, out, err = run(["xmllint", "--noout", self.junit])
        self.assertEqual(rc, 0, out + err + self.read(self.junit))

    def test_junitparser_reads_the_junit(self):
        xml = junitparser.JUnitXml.fromfile(self.junit)
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        suites = list(xml)
        self.assertEqual(sorted(s.name for s in suites), ["consumers.api", "consumers.db"])
        for s in suites:
            cases = list(s)
            counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
            time = 0.0
            for case in cases:
                time += case.time
                for r in case.result:
                    key = {"Failure": "failures", "Error": "errors", "Skipped": "skipped"}[
                        type(r).__name__]
                    counts[key] += 1
                    if key != "skipped":
                        self.assertEqual(r.type, "fail" if key == "failures" else "error")
                        self.assertTrue(r.text, "no reason as the text of %s" % case.name)
                        self.assertEqual(r.text, r.message)
            for key, value in counts.items():
                self.assertEqual(getattr(s, key), value, "%s %s" % (s.name, key))
                totals[key] += value
            self.assertAlmostEqual(s.time, time, places=6, msg=s.name)
            totals["time"] += time
            self.assertRegex(s.timestamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
            self.assertTrue(s.hostname)
        for key in ("tests", "failures", "errors", "skipped"):
            self.assertEqual(getattr(xml, key), totals[key], key)
        self.assertAlmostEqual(xml.time, totals["time"], places=6)
        awkward = [c for s in suites for c in s if c.name == "c.db.awkward"][0]
        self.assertIn(AWKWARD, awkward.result[0].text)
        secret = [c for s in suites for c in s if c.name == "c.db.secret"][0]
        self.assertIn("****", secret.result[0].text)


if __name__ == "__main__":
    unittest.main()
