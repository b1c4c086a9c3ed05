"""Every response is timed, whatever its status (as wrk and Locust do): a rate-limited or
failing endpoint shows real latency figures in the table, the JSON, the CSV and the
thresholds; `p95{ok}` judges the successful responses alone; responses are counted by
status class (docs/load-format.md §3, §5)."""

import csv
import re
import unittest

from loadlib import (EXIT_FAILED, EXIT_INCONCLUSIVE, Fixture, TempDir, note, run_load,
                     summary_ms)

FAIL_DELAY_S = 0.05  # each failing response takes at least 50 ms
SLOW_S = 0.3  # rate-limited answers: slower than any successful one, even on a busy machine


class EveryResponseTimed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def test_half_rate_limited_all_and_ok_latency(self):
        """Every 2nd request answered 429 after 300 ms, the others 200 at once."""
        out = self.tmp.join("half.json")
        with Fixture("status", "--status", 429, "--every", 2, "--status-delay", SLOW_S) as fx:
            run = run_load([fx.url("/limited"), "-c", 4, "-t", 1, "-d", "2s", "-q",
                            "--threshold", "p95<250ms", "--threshold", "p95{ok}<250ms",
                            "--csv", self.tmp.join("half")], timeout=20, json_path=out)
        self.assertEqual(run.rc, EXIT_FAILED, run.describe())
        total = run.json()["total"]
        st = total["statuses"]
        note("half rate-limited: %d requests, statuses %s, p95 all %.1f ms, p95 ok %.1f ms"
             % (total["requests"], st, total["summary"]["p95_ms"], total["summary_ok"]["p95_ms"]))
        self.assertGreater(st["2xx"], 0, st)
        self.assertGreater(st["4xx"], 0, st)
        self.assertEqual(st["2xx"] + st["4xx"], total["requests"], st)
        self.assertEqual(st["4xx"], total["failures"])
        self.assertEqual(total["latency"]["count"], total["requests"], "every response timed")
        self.assertEqual(total["latency_ok"]["count"], st["2xx"], "ok: the successful ones")
        self.assertGreaterEqual(summary_ms(total, "p95_ms"), SLOW_S * 1000)
        self.assertLess(total["summary_ok"]["p95_ms"], SLOW_S * 1000)
        self.assertRegex(run.stdout, r"FAIL\s+p95<250ms\s+measured\s+\d{3,}\.\d+ ms", run.describe())
        self.assertRegex(run.stdout, r"PASS\s+p95\{ok\}<250ms\s+measured", run.describe())
        self.assertRegex(run.stdout, r"GET /limited\s+2xx \d+ 3xx 0 4xx \d+ 5xx 0\s+\| ok: p50",
                         run.describe())

    def test_all_failing_task_has_real_figures(self):
        """Every request answered 503 after 50 ms: percentiles and CSV figures are the
        failures' times, not 0.00 ms and N/A; a threshold over them is measured, not nan
        (a generous limit: the point is that it is measured, on a machine of any speed)."""
        prefix = self.tmp.join("failing")
        with Fixture("status", "--status", 503, "--status-delay", FAIL_DELAY_S) as fx:
            run = run_load([fx.url("/down"), "-c", 2, "-t", 1, "-d", "1s", "-q",
                            "--threshold", "p95<10s", "--csv", prefix],
                           timeout=20, json_path=self.tmp.join("failing.json"))
        self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())  # no request succeeded
        self.assertIn("no request succeeded", run.stderr)
        m = re.search(r"PASS\s+p95<10s\s+measured\s+([0-9.]+) ms", run.stdout)
        self.assertTrue(m, run.describe())
        self.assertGreaterEqual(float(m.group(1)), FAIL_DELAY_S * 1000, run.describe())
        self.assertNotIn("nan", run.stdout)
        row = re.search(r"^GET /down\s+(\d+)\s+(\d+)\s+\S+\s+(\S+)\s+\S+\s+(\S+)", run.stdout, re.M)
        self.assertTrue(row, run.describe())
        self.assertEqual(row.group(1), row.group(2), "every request failed")
        self.assertGreaterEqual(float(row.group(3)), FAIL_DELAY_S * 1000, "p50 of the failures")
        total = run.json()["total"]
        self.assertEqual(total["statuses"]["5xx"], total["requests"])
        self.assertEqual(total["latency_ok"]["count"], 0, "no successful response")
        with open(prefix + "_stats.csv", newline="") as f:
            rows = {r["Name"]: r for r in csv.DictReader(f)}
        down = rows["/down"]
        note("all failing: CSV row %s" % dict(down))
        self.assertEqual(down["Request Count"], down["Failure Count"])
        for col in ("Median Response Time", "Average Response Time", "Min Response Time",
                    "Max Response Time", "50%", "95%", "100%"):
            self.assertNotEqual(down[col], "N/A", col)
            self.assertGreaterEqual(float(down[col]), FAIL_DELAY_S * 1000, "%s: %s" % (col, down))
        self.assertGreater(float(down["Average Content Size"]), 0)


if __name__ == "__main__":
    unittest.main()
