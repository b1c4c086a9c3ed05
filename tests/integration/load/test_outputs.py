"""What `tars load` leaves behind: mergeable JSON (tars load merge), results after SIGINT, and
Locust-compatible CSV files."""

import csv
import os
import re
import subprocess
import threading
import unittest

import loadlib
from loadlib import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, Fixture, TempDir, note, run_load,
                     summary_ms)

LOCUST = "/usr/bin/locust"

# The header lines of Locust 2.12.1 (Debian bookworm's python3-locust), used only when
# /usr/bin/locust is not installed; with it, the test compares against a real Locust run.
LOCUST_HEADERS = {
    "stats": "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
             "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
             "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n",
    "stats_history": "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,"
                     "95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,"
                     "Total Median Response Time,Total Average Response Time,Total Min Response Time,"
                     "Total Max Response Time,Total Average Content Size\r\n",
    "failures": "Method,Name,Error,Occurrences\r\n",
}

LOCUSTFILE = """\
from locust import HttpUser, task


class Fixture(HttpUser):
    @task
    def get(self):
        self.client.get("/csv")
"""


def first_line(path):
    with open(path, "rb") as f:
        return f.readline().decode("utf-8", "replace")


def run_in_thread(fn):
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # reported by join()
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()

    def join():
        t.join()
        if "error" in box:
            raise box["error"]
        return box["value"]
    return join


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        a, b = cls.tmp.join("a.json"), cls.tmp.join("b.json")
        # Two workers of the same open-model scenario, one against a server that stalls
        # (p99 in the hundreds of ms), one against a healthy one (p99 around 1 ms).
        with Fixture("ok") as ok, Fixture("stall", "--at", 0.5, "--for", 0.5, "--clock",
                                          "first-request") as stall:
            args = ["-R", 150, "-c", 20, "-t", 1, "-d", "2s", "-q"]
            join_a = run_in_thread(lambda: run_load([ok.url("/m")] + args, timeout=15, json_path=a))
            join_b = run_in_thread(lambda: run_load([stall.url("/m")] + args, timeout=15, json_path=b))
            cls.a, cls.b = join_a(), join_b()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def merge(self, files, *extra, out=None):
        return run_load(["merge"] + list(files) + list(extra), timeout=15, json_path=out)

    def test_merge_adds_up_and_interpolates(self):
        for r in (self.a, self.b):
            self.assertEqual(r.rc, EXIT_OK, r.describe())
        m = self.merge([self.a.json_path, self.b.json_path], out=self.tmp.join("m.json"))
        self.assertEqual(m.rc, EXIT_OK, m.describe())
        ja, jb, jm = self.a.json(), self.b.json(), m.json()
        pa, pb, pm = (summary_ms(j["total"], "p99_ms") for j in (ja, jb, jm))
        note("merge: a %d requests p99 %.2f ms; b %d requests p99 %.2f ms; merged %d requests p99 %.2f ms"
             % (ja["total"]["requests"], pa, jb["total"]["requests"], pb, jm["total"]["requests"], pm))
        self.assertEqual(jm["total"]["requests"], ja["total"]["requests"] + jb["total"]["requests"])
        self.assertEqual(jm["total"]["failures"], ja["total"]["failures"] + jb["total"]["failures"])
        self.assertEqual(jm["total"]["latency"]["count"],
                         ja["total"]["latency"]["count"] + jb["total"]["latency"]["count"])
        self.assertEqual(len(jm["tasks"]), 1)
        self.assertEqual(jm["tasks"][0]["requests"], jm["total"]["requests"])
        self.assertEqual(jm["merged_from"], 2)
        # The generator's own CPU time: measured (> 0), bounded by its threads' wall time, summed.
        for j in (ja, jb):
            self.assertGreater(j["generator_cpu_s"], 0)
            self.assertLessEqual(j["generator_cpu_s"], j["threads"] * j["duration_ms"] / 1000 + 0.5)
        self.assertAlmostEqual(jm["generator_cpu_s"], ja["generator_cpu_s"] + jb["generator_cpu_s"])
        self.assertGreater(pb, pa * 2, "the two runs should differ (a stall in b)")
        self.assertTrue(min(pa, pb) <= pm <= max(pa, pb),
                        "merged p99 %.3f ms is not between %.3f and %.3f" % (pm, pa, pb))
        self.assertEqual(jm["total"]["latency"]["max"],
                         max(ja["total"]["latency"]["max"], jb["total"]["latency"]["max"]))
        self.assertEqual(jm["total"]["latency"]["min"],
                         min(ja["total"]["latency"]["min"], jb["total"]["latency"]["min"]))
        self.assertIn("merged", m.stdout, m.describe())

    def test_merge_with_itself_keeps_every_percentile(self):
        m = self.merge([self.b.json_path, self.b.json_path], out=self.tmp.join("bb.json"))
        self.assertEqual(m.rc, EXIT_OK, m.describe())
        jb, jm = self.b.json(), m.json()
        self.assertEqual(jm["total"]["requests"], 2 * jb["total"]["requests"])
        for key in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p99_9_ms", "max_ms", "min_ms"):
            self.assertEqual(jm["total"]["summary"][key], jb["total"]["summary"][key], key)

    def test_threshold_on_merge(self):
        files = [self.a.json_path, self.b.json_path]
        failing = self.merge(files, "--threshold", "p99<1ms")
        self.assertEqual(failing.rc, EXIT_FAILED, failing.describe())
        self.assertRegex(failing.stdout, r"FAIL\s+p99<1ms", failing.describe())
        total = self.a.json()["total"]["requests"] + self.b.json()["total"]["requests"]
        passing = self.merge(files, "--threshold", "p99<10s", "--threshold",
                             "requests>=%d" % total, "--threshold", "error_rate<1%")
        self.assertEqual(passing.rc, EXIT_OK, passing.describe())
        unknown = self.merge(files, "--threshold", "nosuch:p99<1s")
        self.assertEqual(unknown.rc, EXIT_USAGE, unknown.describe())

    def test_merge_rejects_bad_files(self):
        bad = self.tmp.write("bad.json", '{"format": "tars-load-result", "version": 1}')
        for files in ([self.a.json_path, self.tmp.join("missing.json")], [self.a.json_path, bad], []):
            r = self.merge(files)
            self.assertEqual(r.rc, EXIT_USAGE, r.describe())


class Interrupt(unittest.TestCase):
    def test_sigint_stops_reports_and_writes(self):
        tmp = TempDir()
        try:
            out = tmp.join("int.json")
            with Fixture("ok") as fx:
                run = run_load([fx.url("/i"), "-c", 4, "-t", 1, "-d", "30s"], timeout=15, json_path=out,
                               sigint_after=1.5)
            after_signal = run.elapsed - 1.5
            note("SIGINT after 1.5 s: exit %d %.2f s later" % (run.rc, after_signal))
            self.assertLess(after_signal, 3.0, "took %.2f s to stop after SIGINT" % after_signal)
            self.assertEqual(run.rc, EXIT_OK, run.describe())
            self.assertRegex(run.stdout, r"interrupted", run.describe())
            self.assertRegex(run.stdout, r"GET /i\s+\d+\s+0\s", "the summary table\n" + run.describe())
            j = run.json()
            self.assertIs(j["interrupted"], True)
            self.assertGreater(j["total"]["requests"], 0)
            # The rate is computed over the time the run really ran (about 1.5 s, not 30 s).
            note("interrupted run: duration_ms %d, %d requests, %.0f req/s; per second: %s"
                 % (j["duration_ms"], j["total"]["requests"], j["total"]["summary"]["rps"],
                    [h["requests"] for h in j["history"]]))
            self.assertLess(j["duration_ms"], 2100,
                            "duration_ms %d for a run interrupted ~1.5 s after its start" % j["duration_ms"])
            self.assertGreater(j["duration_ms"], 1000)
        finally:
            tmp.close()


class Csv(unittest.TestCase):
    def test_csv_files_have_locust_headers(self):
        tmp = TempDir()
        try:
            prefix = tmp.join("tars")
            with Fixture("ok") as fx:
                join_locust = run_in_thread(lambda: self.locust_headers(fx, tmp))
                run = run_load([fx.url("/csv"), "-c", 2, "-t", 1, "-d", "2s", "-q", "--csv", prefix],
                               timeout=15, json_path=tmp.join("csv.json"))
                expected, source = join_locust()
            self.assertEqual(run.rc, EXIT_OK, run.describe())
            for kind, line in expected.items():
                path = "%s_%s.csv" % (prefix, kind)
                self.assertTrue(os.path.exists(path), "%s was not written" % path)
                self.assertEqual(first_line(path), line, "first line of %s vs %s" % (path, source))
            note("CSV header lines identical to %s" % source)
            self.check_stats_rows(prefix, run.json())
        finally:
            tmp.close()

    def check_stats_rows(self, prefix, result):
        with open(prefix + "_stats.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        by_name = {r["Name"]: r for r in rows}
        self.assertIn("Aggregated", by_name, rows)
        self.assertIn("/csv", by_name, rows)
        self.assertEqual(by_name["/csv"]["Type"], "GET")
        self.assertEqual(int(by_name["Aggregated"]["Request Count"]), result["total"]["requests"])
        self.assertEqual(int(by_name["Aggregated"]["Failure Count"]), 0)
        self.assertEqual(float(by_name["/csv"]["Average Content Size"]), 1150)
        with open(prefix + "_stats_history.csv", newline="") as f:
            history = list(csv.DictReader(f))
        self.assertGreaterEqual(len(history), 2, "one history row per second")
        self.assertEqual(int(history[-1]["Total Request Count"]), result["total"]["requests"])

    def locust_headers(self, fx, tmp):
        """First lines of a real Locust run's CSV files (1 user, 2 s), or the constants."""
        if not os.access(LOCUST, os.X_OK):
            note("%s not installed: comparing with Locust 2.12.1's header lines" % LOCUST)
            return dict(LOCUST_HEADERS), "Locust 2.12.1 (constants)"
        locustfile = tmp.write("locustfile.py", LOCUSTFILE)
        prefix = tmp.join("locust")
        p = subprocess.run([LOCUST, "-f", locustfile, "--headless", "-u", "1", "-r", "1", "-t", "2s",
                            "--host", fx.url(""), "--csv", prefix, "--only-summary",
                            "--loglevel", "ERROR"],
                           capture_output=True, text=True, timeout=60, cwd=tmp.path)
        lines = {}
        for kind in LOCUST_HEADERS:
            path = "%s_%s.csv" % (prefix, kind)
            if not os.path.exists(path):
                raise AssertionError("Locust wrote no %s (exit %d): %s" % (path, p.returncode, p.stderr[-2000:]))
            lines[kind] = first_line(path)
        version = ""
        try:  # Debian's locust --version prints no number; ask dpkg
            version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-locust"],
                                     capture_output=True, text=True, timeout=30).stdout
        except OSError:
            pass
        m = re.search(r"(\d+\.\d+\.\d+)", version)
        return lines, "a real Locust %s run" % (m.group(1) if m else "?")


if __name__ == "__main__":
    unittest.main()
