"""`tars compare` on real `tars load` results (docs/compare.md): the same endpoint twice passes,
injected latency fails with exit 1, bad input exits 3 naming the file."""

import json
import os
import threading
import unittest

from cmplib import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, Fixture, TempDir, load, metric, read_json,
                    start_demo_server, tars)

# Latency changes under 5 ms never fail here (default 1 ms): these tests share two cores with
# parallel builds, whose scheduling hiccups reach the tail of a sub-millisecond loopback
# endpoint. The injected delay (20 ms on every response) is four times that.
FLOOR = ["--latency-floor", "5"]


class SameEndpoint(unittest.TestCase):
    def test_two_runs_of_the_same_endpoint_side_by_side_pass(self):
        # Measured side by side (two generators started together): whatever else this machine
        # runs weighs on both alike. Two runs one after the other on a loaded machine may
        # differ for real (its load changed in between): tars compare rightly says so, and
        # that case is judged in RunDirectory below by what it records, not by its verdict.
        tmp = TempDir("tars-compare-it-")
        server = start_demo_server()
        try:
            a, b, out = tmp.join("a"), tmp.join("b"), tmp.join("cmp.json")
            together([(server_url(server, "/health"), a), (server_url(server, "/health"), b)])
            r = tars("compare", a, b, "--json", out, *FLOOR)
            self.assertEqual(r.rc, EXIT_OK, r.describe())
            doc = read_json(out)
            self.assertEqual(doc["verdict"], "pass", r.describe())
            self.assertEqual(doc["baseline"], a)
            # 400 requests a side: p99 needs 1000 (docs/compare.md "Minimum sample sizes");
            # open model: rps is the offered rate, achieved_pct is what is judged
            self.assertEqual(doc["judged"], 4, r.describe())
            self.assertEqual(metric(doc, "total p99_ms")["verdict"], "too_few_samples")
            # (about 400 a side: a busy machine's open model may send a few fewer)
            self.assertRegex(metric(doc, "total p99_ms")["reason"],
                             r"^too few samples \(n = \d+ and \d+; at least 1000 a side\)$")
            self.assertEqual(metric(doc, "total rps")["verdict"], "reported")
            self.assertEqual(metric(doc, "total achieved_pct")["verdict"], "pass")
            self.assertEqual(doc["window"]["kind"], "same")
            self.assertIn("side by side", r.stdout)
            p95 = metric(doc, "total p95_ms")
            self.assertIsNotNone(p95["p_value"])
            self.assertEqual(p95["direction"], "lower")
            self.assertEqual(metric(doc, "total rps")["direction"], "higher")
            self.assertIn("compare: pass", r.stdout)
        finally:
            server.stop()
            tmp.close()


def server_url(server, path):
    return "http://127.0.0.1:%d%s" % (server.port, path)


class InjectedLatency(unittest.TestCase):
    def test_a_slower_endpoint_fails_with_exit_1(self):
        tmp = TempDir("tars-compare-it-")
        try:
            # side by side, as above: a busy machine's delays weigh on both alike, and the
            # 20 ms injected on every response is what tells them apart
            a, b, out = tmp.join("a"), tmp.join("b"), tmp.join("cmp.json")
            with Fixture("ok") as fast, Fixture("ok", "--delay", "0.02") as slow:
                together([(fast.url("/x"), a), (slow.url("/x"), b)])
            r = tars("compare", a, b, "--json", out, *FLOOR)
            self.assertEqual(r.rc, EXIT_FAILED, r.describe())
            doc = read_json(out)
            self.assertEqual(doc["verdict"], "fail")
            for name in ("total p50_ms", "total p95_ms"):
                m = metric(doc, name)
                self.assertEqual(m["verdict"], "high", m)
                self.assertLess(m["p_value"], 0.05)
                self.assertGreater(m["effect"], 0.9)
                self.assertGreaterEqual(m["current"], 20.0)
            # the other way round the slower run is the baseline: an improvement passes
            r = tars("compare", b, a, *FLOOR)
            self.assertEqual(r.rc, EXIT_OK, r.describe())
        finally:
            tmp.close()


class RunDirectory(unittest.TestCase):
    def test_run_records_comparison_and_canary(self):
        tmp = TempDir("tars-compare-it-")
        try:
            with Fixture("ok") as fast:
                load(fast.url("/x"), run_dir=tmp.join("base"))
                load(fast.url("/x"), run_dir=tmp.join("cur"))
            r = tars("compare", tmp.join("base"), tmp.join("cur"), "--run", tmp.join("cur"),
                     "-q", *FLOOR)
            self.assertIn(r.rc, (EXIT_OK, EXIT_FAILED, 2), r.describe())
            self.assertEqual(len(r.stdout.strip().splitlines()), 1, r.describe())
            run = read_json(tmp.join("cur", "run.json"))
            self.assertIn("comparison", run)
            self.assertEqual(run["comparison"]["current"], tmp.join("cur"))
            # one after the other: compared cross-time, and said so
            self.assertEqual(read_json(tmp.join("cur", "comparison.json"))["window"]["kind"],
                             "cross-time", r.describe())
            # a canary is never judged against a run recorded earlier
            r = tars("compare", tmp.join("base", "run.json"), tmp.join("cur"), "--run",
                     tmp.join("cur"), "--canary", "-q", *FLOOR)
            self.assertEqual(r.rc, EXIT_USAGE, r.describe())
            self.assertIn("--canary needs the baseline and the canary measured in the same time "
                          "window", r.stderr)
            self.assertIn("cross-time: the current run started", r.stderr)
            self.assertNotIn("canary", read_json(tmp.join("cur", "run.json")))
            # stable and canary measured side by side: two generators started together
            with Fixture("ok") as stable, Fixture("ok") as canary:
                together([(stable.url("/x"), tmp.join("stable")),
                          (canary.url("/x"), tmp.join("canary"))])
            r = tars("compare", tmp.join("stable", "run.json"), tmp.join("canary"), "--run",
                     tmp.join("canary"), "--canary", *FLOOR)
            self.assertIn(r.rc, (EXIT_OK, EXIT_FAILED, 2), r.describe())
            self.assertIn("side by side", r.stdout, r.describe())
            run = read_json(tmp.join("canary", "run.json"))
            self.assertIn("canary", run)
            self.assertEqual(run["canary"]["baseline"], tmp.join("stable", "run.json"))
            self.assertEqual(run["canary"]["window"]["kind"], "same")
        finally:
            tmp.close()


def together(jobs):
    """Runs one load per (url, run_dir) at the same time; raises the first failure."""
    errors = []

    def one(url, run_dir):
        try:
            load(url, run_dir=run_dir)
        except AssertionError as e:  # reported by the caller's thread
            errors.append(e)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    if any(t.is_alive() for t in threads):
        raise AssertionError("a load did not finish within 60 s")


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir("tars-compare-it-")
        self.good = self.tmp.write("good.json", json.dumps({"format": "tars-run/1",
                                                             "checks": {"counts": {"pass": 3}}}))

    def tearDown(self):
        self.tmp.close()

    def assert_bad(self, path, *words):
        r = tars("compare", self.good, path)
        self.assertEqual(r.rc, EXIT_USAGE, r.describe())
        self.assertIn(path, r.stderr, r.describe())
        for w in words:
            self.assertIn(w, r.stderr, r.describe())
        r = tars("compare", path, self.good)
        self.assertEqual(r.rc, EXIT_USAGE, r.describe())
        self.assertIn(path, r.stderr, r.describe())

    def test_missing_file(self):
        self.assert_bad(self.tmp.join("nope.json"), "no such file")

    def test_not_json(self):
        self.assert_bad(self.tmp.write("bad.json", '{"format": "tars-run/1", '), "not JSON")

    def test_unknown_format(self):
        self.assert_bad(self.tmp.write("other.json", '{"hello": 1}'), "neither")

    def test_directory_without_run_json(self):
        os.mkdir(self.tmp.join("empty"))
        self.assert_bad(self.tmp.join("empty"), "run.json")

    def test_broken_load_result(self):
        bad = {"format": "tars-load-result", "version": 1, "scenario": "x"}
        self.assert_bad(self.tmp.write("load.json", json.dumps(bad)), "loads[0]")

    def test_nothing_in_common(self):
        other = self.tmp.write("other.json", json.dumps({"format": "tars-run/1"}))
        r = tars("compare", self.good, other)
        self.assertEqual(r.rc, EXIT_USAGE, r.describe())
        self.assertIn("nothing to compare", r.stderr)

    def test_bad_options(self):
        for args in (["--threshold", "speed=3%"], ["--cutoffs", "pass=50,marginal=60"],
                     ["--alpha", "2"], ["--bogus"]):
            r = tars("compare", self.good, self.good, *args)
            self.assertEqual(r.rc, EXIT_USAGE, r.describe())
        r = tars("compare", self.good)
        self.assertEqual(r.rc, EXIT_USAGE, r.describe())
        r = tars("compare", self.good, self.good)
        self.assertEqual(r.rc, EXIT_OK, r.describe())


if __name__ == "__main__":
    unittest.main()
