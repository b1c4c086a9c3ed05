"""tars validate, db-bench and db-seed interrupted by SIGINT or SIGTERM: partial results written
and marked "interrupted", a message on stderr, exit 2 -- never the verdict of partial figures."""

import json
import os
import select
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "load"))

from loadlib import (EXIT_INCONCLUSIVE, EXIT_OK, Fixture, TempDir, note,  # noqa: E402
                     tars_bin, wait_until)


class Background:
    """A tars command in the background; stderr read line by line as it comes."""

    def __init__(self, args, cwd=None):
        self.argv = [tars_bin()] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.err = b""

    def wait_stderr(self, text, timeout=60):
        """Until stderr holds text (or the command ended: the test then fails)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.err:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("no %r on stderr of %s (exit %s): %r"
                                     % (text, " ".join(self.argv), self.proc.poll(), self.err))
            r, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if r:
                self.err += os.read(self.proc.stderr.fileno(), 65536)

    def finish(self, sig=None, timeout=60):
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("%s did not end %d s after the signal" % (self.argv, timeout))
        self.out = out.decode("utf-8", "replace")
        self.err = (self.err + err).decode("utf-8", "replace")
        self.rc = self.proc.returncode
        return self

    def describe(self):
        return "$ %s\nexit %s\n--- stdout\n%s\n--- stderr\n%s" % (
            " ".join(self.argv), self.rc, self.out[-3000:], self.err[-3000:])


class Validate(unittest.TestCase):
    def test_signal_stops_starting_checks_and_exits_2(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=sig.name):
                self.check_interrupted(sig)

    def check_interrupted(self, sig):
        tmp = TempDir()
        try:
            # every answer takes 2 s; one check at a time: the signal comes during the first
            with Fixture("ok", "--delay", 2) as fx:
                suite = tmp.write("slow.yaml", "suite: slow\nchecks:\n" + "".join(
                    "  - {id: slow.api.c%d, category: api, type: http, url: \"%s\", timeout: 10s}\n"
                    % (i, fx.url("/c%d" % i)) for i in range(5)))
                bg = Background(["validate", suite, "--parallel", 1, "--format",
                                 "json:" + tmp.join("checks.json"), "--run", tmp.join("run")])
                wait_until(lambda: fx.served() >= 1, 30, "the first check's request")
                asked = time.monotonic()
                bg.finish(sig)
                took = time.monotonic() - asked
            note("validate %s during the first check: exit %d %.1f s later" % (sig.name, bg.rc, took))
            self.assertEqual(bg.rc, EXIT_INCONCLUSIVE, bg.describe())
            self.assertIn("interrupted: the results are partial", bg.err, bg.describe())
            self.assertLess(took, 8, "the checks not started must not run: %s" % bg.describe())
            with open(tmp.join("checks.json")) as f:
                doc = json.load(f)
            self.assertIs(doc.get("interrupted"), True, doc)
            checks = doc["suites"][0]["checks"]
            self.assertEqual(len(checks), 5)
            not_run = [c for c in checks if "not run: interrupted" in json.dumps(c)]
            self.assertGreaterEqual(len(not_run), 3, checks)
            with open(tmp.join("run", "run.json")) as f:
                self.assertIs(json.load(f).get("interrupted"), True)
        finally:
            tmp.close()


class DbSeedAndBench(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.db = "sqlite:" + cls.tmp.join("bench.db")
        p = subprocess.run([tars_bin(), "db-seed", "--db", cls.db, "--rows", "5000", "-q"],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != EXIT_OK:
            raise AssertionError("db-seed: exit %d\n%s\n%s" % (p.returncode, p.stdout, p.stderr))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def test_db_bench_interrupted_writes_partial_results_and_exits_2(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=sig.name):
                out, run = self.tmp.join("bench-%s.json" % sig.name), self.tmp.join("run-" + sig.name)
                bg = Background(["db-bench", "--db", self.db, "--iterations", 1000000, "--json", out,
                                 "--run", run])
                bg.wait_stderr("benchmarking ")
                asked = time.monotonic()
                bg.finish(sig)
                took = time.monotonic() - asked
                note("db-bench %s: exit %d %.1f s later" % (sig.name, bg.rc, took))
                self.assertEqual(bg.rc, EXIT_INCONCLUSIVE, bg.describe())
                self.assertRegex(bg.err, r"interrupted after \d+ famil(y|ies): the results are partial")
                self.assertLess(took, 20, "a million executions were not waited for")
                with open(out) as f:
                    doc = json.load(f)
                self.assertIs(doc["interrupted"], True, doc)
                self.assertEqual(doc["status"], "inconclusive")
                self.assertGreaterEqual(len(doc["families"]), 1)
                self.assertLess(doc["families"][0]["iterations"], 1000000)
                with open(os.path.join(run, "run.json")) as f:
                    self.assertTrue(all(fam["interrupted"] for fam in json.load(f)["db"]))

    def test_db_seed_interrupted_keeps_what_was_written_and_exits_2(self):
        bg = Background(["db-seed", "--db", "sqlite:" + self.tmp.join("seed.db"), "--rows", 20000000,
                         "--batch", 1000])
        bg.wait_stderr("seeding: ")
        bg.finish(signal.SIGINT)
        note("db-seed SIGINT: exit %d" % bg.rc)
        self.assertEqual(bg.rc, EXIT_INCONCLUSIVE, bg.describe())
        self.assertIn("stopped early: partial data", bg.out, bg.describe())
        self.assertRegex(bg.err, r"interrupted after \d+ of 20000000 evaluations", bg.describe())


if __name__ == "__main__":
    unittest.main()
