"""Exit codes and outputs of `tars ws-stress` (docs/exit-codes.md: 0 ok, 1 threshold failed,
2 inconclusive, 3 bad usage)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from freeport import free_port  # noqa: E402  (tests/integration/freeport.py)
from wslib import (EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, Fixture, Stress, run,
                   tars_bin)


class ExitCodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fx = Fixture("--publish-rate", "40")

    @classmethod
    def tearDownClass(cls):
        cls.fx.stop()

    def test_thresholds_met_and_missed(self):
        ok = run(self.fx.url, "-c", "4", "-d", "1500ms", "--threshold", "loss<0.1%",
                 "--threshold", "p99<2s", "--threshold", "connect_p95<1s")
        self.assertEqual(ok.rc, EXIT_OK, ok.describe())
        self.assertEqual([t["passed"] for t in ok.json["thresholds"]], [True, True, True])
        missed = run(self.fx.url, "-c", "4", "-d", "1500ms", "--threshold", "p50<0.001ms")
        self.assertEqual(missed.rc, EXIT_FAILED, missed.describe())
        self.assertFalse(missed.json["thresholds"][0]["passed"])
        # no reconnect happened: a reconnect threshold has no data, which is never a pass
        # nor a silent fail: inconclusive, naming what was missing
        nodata = run(self.fx.url, "-c", "2", "-d", "1s", "--threshold", "reconnect_avg<5s")
        self.assertEqual(nodata.rc, EXIT_INCONCLUSIVE, nodata.describe())
        self.assertIn("inconclusive: no reconnect happened", nodata.out)
        self.assertIn("could not be judged", nodata.err)
        self.assertEqual(nodata.json["thresholds"][0]["outcome"], "no_data")
        self.assertIsNone(nodata.json["thresholds"][0]["measured"])

    def test_bad_usage(self):
        for args in (["ws-stress"], ["ws-stress", "http://x/ws"],
                     ["ws-stress", self.fx.url, "--threshold", "lossy<1%"],
                     ["ws-stress", self.fx.url, "--threshold", "p99<5%"],
                     ["ws-stress", self.fx.url, "-c", "0"],
                     ["ws-stress", self.fx.url, "--duration", "soon"],
                     ["ws-stress", self.fx.url, "--channel", "bad channel"],
                     ["ws-stress", self.fx.url, "--token-env", "TARS_SURELY_UNSET_VAR"],
                     ["ws-stress", self.fx.url, "--publish-rate", "5/s", "--publish-url", "ftp://x"],
                     ["ws-stress", self.fx.url, "--token-env", "HOME", "--token-in", "cookie"]):
            p = subprocess.run([tars_bin()] + args, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, EXIT_USAGE, "%r: %s %s" % (args, p.stdout, p.stderr))

    def test_nothing_listening_is_inconclusive(self):
        r = run("ws://127.0.0.1:%d/ws" % free_port(), "-c", "2", "-d", "1s", "--drain", "200ms")
        self.assertEqual(r.rc, EXIT_INCONCLUSIVE, r.describe())
        self.assertEqual(r.json["connections"]["failed"], 2)
        self.assertIn("no connection was established", r.err)

    def test_interrupted_run_writes_partial_results_and_exits_2(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=sig.name), tempfile.TemporaryDirectory() as d:
                before = self.fx.stats()["subscribes"]
                s = Stress(self.fx.url, "-c", "3", "-d", "60s", "--run", d,
                           "--threshold", "loss<1%")
                self.fx.wait_subscribed(before + 3, timeout=30)
                s.interrupt(sig)
                r = s.result(timeout=30)
                self.assertEqual(r.rc, EXIT_INCONCLUSIVE, r.describe())
                self.assertIn("interrupted after", r.err)
                self.assertLess(r.elapsed, 50, "stopped at the signal, not at the end")
                self.assertIs(r.json["interrupted"], True)
                with open(os.path.join(d, "run.json")) as f:
                    entry = json.load(f)["ws"][0]
                self.assertIs(entry["interrupted"], True, entry)
                self.assertEqual(entry["connections"]["established"], 3, entry)

    def test_run_directory_records_ws(self):
        with tempfile.TemporaryDirectory() as d:
            r = run(self.fx.url, "-c", "3", "-d", "1s", "--run", d, "--threshold", "loss<1%")
            self.assertEqual(r.rc, EXIT_OK, r.describe())
            with open(os.path.join(d, "run.json")) as f:
                record = json.load(f)
            with open(os.path.join(d, "ws.json")) as f:
                ws = json.load(f)
        self.assertEqual(len(record["ws"]), 1)
        entry = record["ws"][0]
        self.assertEqual(entry["file"], "ws.json")
        self.assertEqual(entry["thresholds"][0]["text"], "loss<1%")
        self.assertEqual(entry["result"]["messages"]["expected"], ws["messages"]["expected"])
        self.assertGreater(ws["messages"]["expected"], 0)


if __name__ == "__main__":
    unittest.main()
