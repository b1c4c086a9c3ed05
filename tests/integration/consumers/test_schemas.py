"""Real outputs of tars validate, tars load and tars ws-stress, and the run.json they fill,
validated against the JSON Schemas published in docs/schema/ (python3-jsonschema, draft
2020-12). Each schema is first shown to reject a broken copy of the same document, so a schema
that accepts anything cannot pass this test."""
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "load"))
sys.path.insert(0, os.path.join(HERE, "..", "ws_stress"))
import loadlib  # noqa: E402  (tests/integration/load/loadlib.py)
import wslib  # noqa: E402  (tests/integration/ws_stress/wslib.py)

TARS = os.environ.get("TARS_BIN", "tars")
SCHEMA_DIR = os.path.join(os.environ.get("TARS_SOURCE_DIR", os.path.join(HERE, "..", "..", "..")),
                          "docs", "schema")
BASE = "https://tars.invalid/schema/"


def schemas():
    store = {}
    for path in glob.glob(os.path.join(SCHEMA_DIR, "*.schema.json")):
        with open(path) as f:
            s = json.load(f)
        store[s["$id"]] = s
    return store


STORE = schemas()


def errors(doc, name):
    """The schema's complaints about doc, as text (empty when it is valid)."""
    schema = STORE[BASE + name + ".schema.json"]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=STORE),
            format_checker=cls.FORMAT_CHECKER)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message[:300])
            for e in v.iter_errors(doc)]


def tars(*args, env=None):
    p = subprocess.run([TARS] + list(args), capture_output=True, text=True, timeout=120, env=env)
    return p.returncode, p.stdout, p.stderr


class Schemas(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tars-schemas-")
        self.run_dir = os.path.join(self.work, "run")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def load_json(self, path):
        with open(path) as f:
            text = f.read()
        for whole, frac in re.findall(r"(?<![\w.\"])(\d+)\.(\d+)", text):
            digits = (whole + frac).lstrip("0")
            self.assertLessEqual(len(digits), 15, "%s: %s.%s has more than 15 significant digits"
                                 % (path, whole, frac))
        return json.loads(text)

    def assertValid(self, doc, name, broken):
        self.assertEqual(errors(doc, name), [], name)
        bad = copy.deepcopy(doc)
        broken(bad)
        self.assertNotEqual(errors(bad, name), [], "%s accepted a broken document" % name)

    def test_checks_json(self):
        suite = os.path.join(self.work, "s.yaml")
        with open(suite, "w") as f:
            f.write("suite: schema\nchecks:\n"
                    "  - {id: s.a, category: a, type: http, url: 'http://127.0.0.1:1/', timeout: 1s}\n"
                    "  - {id: s.b, category: a, skip: not here}\n")
        out = os.path.join(self.work, "c.json")
        rc, o, e = tars("validate", suite, "--format", "json:" + out, "--run", self.run_dir)
        self.assertEqual(rc, 2, o + e)
        doc = self.load_json(out)
        self.assertValid(doc, "checks", lambda d: d["suites"][0]["checks"][0].update(status="ok"))
        run = self.load_json(os.path.join(self.run_dir, "run.json"))
        self.assertValid(run, "run", lambda d: d["checks"]["counts"].pop("error"))

    def test_load_result(self):
        with loadlib.Fixture("ok") as fx:
            out = os.path.join(self.work, "l.json")
            rc, o, e = tars("load", fx.url("/"), "-c", "2", "-d", "1s", "-q", "--json", out,
                            "--run", self.run_dir, "--threshold", "p95<5s")
        self.assertEqual(rc, 0, o + e)
        doc = self.load_json(out)
        self.assertValid(doc, "load-result", lambda d: d["total"].update(requests=-1))
        # strict: a key the writer does not write is refused, at every level
        for where in (lambda d: d, lambda d: d["total"], lambda d: d["total"]["summary"],
                      lambda d: d["total"]["statuses"], lambda d: d["total"]["latency"],
                      lambda d: d["history"][0]):
            self.assertValid(doc, "load-result", lambda d: where(d).update(bogus=1))
        run = self.load_json(os.path.join(self.run_dir, "run.json"))
        self.assertValid(run, "run", lambda d: d["loads"][0]["result"].pop("tasks"))

    def test_k6_summary_export(self):
        """--summary-export against a server whose every 4th answer is a 500: k6's figures, the
        thresholds' crossed flags as k6 writes them (true = failed), valid against the schema."""
        out = os.path.join(self.work, "k6.json")
        with loadlib.Fixture("status", "--every", 4, "--status", 500, "--status-delay", 0) as fx:
            rc, o, e = tars("load", fx.url("/x"), "-c", "2", "-t", "1", "-d", "1s", "-q",
                            "--summary-export", out,
                            "--threshold", "http_req_duration{name:GET /x}: p(95)<60000",
                            "--threshold", "http_req_failed: rate<0.01",
                            "--threshold", "GET /x:p99{ok}<60s", "--threshold", "http_reqs: count>0")
        self.assertEqual(rc, 1, o + e)  # the error rate (25 %) crosses rate<0.01
        doc = self.load_json(out)
        self.assertValid(doc, "k6-summary",
                         lambda d: d["metrics"]["http_req_duration"].update({"p(99)": 1}))
        m = doc["metrics"]
        reqs, failed = m["http_reqs"]["count"], m["http_req_failed"]["passes"]
        self.assertGreater(reqs, 8)
        self.assertEqual(failed, reqs // 4, "every 4th request is a 500")
        self.assertEqual(m["http_req_failed"]["fails"], reqs - failed)
        self.assertAlmostEqual(m["http_req_failed"]["value"], failed / reqs)
        self.assertEqual(m["checks"]["passes"], reqs - failed)
        self.assertEqual(m["http_req_failed"]["thresholds"], {"rate<0.01": True})
        self.assertEqual(m["http_req_duration{name:GET /x}"]["thresholds"], {"p(95)<60000": False})
        self.assertEqual(m["http_req_duration{name:GET /x,expected_response:true}"]["thresholds"],
                         {"GET /x:p99{ok}<60s": False})
        self.assertEqual(m["http_reqs"]["thresholds"], {"count>0": False})
        d = m["http_req_duration"]
        self.assertTrue(d["min"] <= d["med"] <= d["p(90)"] <= d["p(95)"] <= d["max"], d)
        self.assertEqual(doc["root_group"]["checks"]["GET /x: expect"]["fails"], failed)

    def test_ws_stress_result(self):
        fx = wslib.Fixture("--publish-rate", "40")
        try:
            out = os.path.join(self.work, "w.json")
            rc, o, e = tars("ws-stress", fx.url, "-c", "3", "-d", "1500ms", "-q", "--json", out,
                            "--run", self.run_dir, "--threshold", "loss<1%",
                            "--threshold", "reconnect_avg<5s")
        finally:
            fx.stop()
        self.assertEqual(rc, 2, o + e)  # no reconnect happened: that threshold has no data
        doc = self.load_json(out)
        self.assertIsNone(doc["thresholds"][1]["measured"])
        self.assertValid(doc, "ws-stress-result",
                         lambda d: d["thresholds"][1].update(passed=True))
        for where in (lambda d: d, lambda d: d["connections"], lambda d: d["messages"],
                      lambda d: d["latency"], lambda d: d["reconnects"],
                      lambda d: d["thresholds"][0]):
            self.assertValid(doc, "ws-stress-result", lambda d: where(d).update(bogus=1))
        run = self.load_json(os.path.join(self.run_dir, "run.json"))
        self.assertValid(run, "run", lambda d: d["ws"][0]["result"]["messages"].update(lost="x"))

    def test_result_schemas_are_strict(self):
        """Every object the load and ws-stress results (and their histograms and thresholds)
        describe lists its keys and refuses others: the formats are tars' own."""
        def walk(node, path):
            if isinstance(node, dict):
                if "properties" in node:
                    self.assertIs(node.get("additionalProperties"), False, path)
                for k, v in node.items():
                    if k not in ("if", "then", "else", "not"):  # conditions, not objects
                        walk(v, path + "/" + k)
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (path, i))

        for name in ("load-result", "ws-stress-result", "histogram", "threshold"):
            walk(STORE[BASE + name + ".schema.json"], name)


if __name__ == "__main__":
    unittest.main()
