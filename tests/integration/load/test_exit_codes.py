"""Thresholds, bad input and bad servers: exit codes per docs/exit-codes.md (0 good, 1 a threshold
failed, 2 inconclusive, 3 bad usage or input), failures counted by kind, memory bounded."""

import json
import re
import socket
import time
import unittest

import loadlib
from loadlib import (EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, Fixture, TempDir, note,
                     run_load)


class Thresholds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def test_failing_threshold_on_a_stall_exits_1(self):
        with Fixture("stall", "--at", 0.5, "--for", 0.5, "--clock", "first-request") as fx:
            run = run_load([fx.url("/s"), "-R", 100, "-c", 20, "-t", 1, "-d", "2s", "-q",
                            "--threshold", "p99<1ms", "--threshold", "error_rate<1%"],
                           timeout=15, json_path=self.tmp.join("stall.json"))
        self.assertEqual(run.rc, EXIT_FAILED, run.describe())
        self.assertRegex(run.stdout, r"FAIL\s+p99<1ms\s+measured\s+[0-9.]+ ms", run.describe())
        self.assertRegex(run.stdout, r"PASS\s+error_rate<1%", run.describe())
        p99 = run.json()["total"]["summary"]["p99_ms"]
        note("stall with p99<1ms: exit %d, p99 %.1f ms" % (run.rc, p99))
        self.assertGreater(p99, 1.0)
        self.assertTrue(run.json_path and run.json()["total"]["requests"] > 0,
                        "the result must be written even when a threshold fails")

    def test_passing_thresholds_exit_0(self):
        with Fixture("ok") as fx:
            run = run_load([fx.url("/ok"), "-c", 2, "-t", 1, "-d", "1s", "-q",
                            "--threshold", "p99<5s", "--threshold", "error_rate<1%",
                            "--threshold", "rps>10", "--threshold", "GET /ok:p95<=5000ms"],
                           timeout=15)
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertEqual(len(re.findall(r"^\s*PASS\s", run.stdout, re.M)), 4, run.describe())
        self.assertNotRegex(run.stdout, r"FAIL", run.describe())

    def test_threshold_naming_an_unknown_task_exits_3(self):
        with Fixture("ok") as fx:
            run = run_load([fx.url("/ok"), "-c", 2, "-t", 1, "-d", "5s", "-q",
                            "--threshold", "nosuch:p99<1s"], timeout=15)
        note("unknown task in --threshold: exit %d after %.1f s" % (run.rc, run.elapsed))
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertIn("nosuch", run.stdout + run.stderr, run.describe())
        self.assertLess(run.elapsed, 3.0, "rejected before the 5 s of load, not after")

    def test_k6_thresholds_on_the_command_line(self):
        k6 = ["http_req_duration: p(95)<5000", "http_req_failed: rate<0.01", "http_reqs: count>10",
              "http_req_duration{name:GET /ok}:p(99)<=5000", "http_reqs{name:GET /ok}: rate>5"]
        with Fixture("ok") as fx:
            args = [fx.url("/ok"), "-c", 2, "-t", 1, "-d", "1s", "-q"]
            for t in k6:
                args += ["--threshold", t]
            run = run_load(args, timeout=15)
            self.assertEqual(run.rc, EXIT_OK, run.describe())
            self.assertEqual(len(re.findall(r"^\s*PASS\s", run.stdout, re.M)), 5, run.describe())
            failing = run_load([fx.url("/ok"), "-c", 2, "-t", 1, "-d", "1s", "-q", "--threshold",
                                "http_reqs: count>100000000", "--threshold",
                                "http_req_duration: max<60000"], timeout=15)
        self.assertEqual(failing.rc, EXIT_FAILED, failing.describe())
        self.assertRegex(failing.stdout, r"FAIL\s+http_reqs: count>100000000", failing.describe())
        self.assertRegex(failing.stdout, r"PASS\s+http_req_duration: max<60000", failing.describe())

    def test_k6_threshold_naming_an_unknown_task_or_metric_exits_3(self):
        for threshold, says in (("http_req_duration{name:GET /oj}:p(95)<150",
                                 'no task named "GET /oj" (did you mean "GET /ok"?)'),
                                ("http_req_waiting: p(95)<150",
                                 'k6 metric "http_req_waiting" is not measured by tars'),
                                ("http_req_duration: p95<150", "http_req_duration takes avg")):
            run = run_load(["http://127.0.0.1:9/ok", "-d", "5s", "-q", "--threshold", threshold],
                           timeout=10)
            self.assertEqual(run.rc, EXIT_USAGE, run.describe())
            self.assertIn(says, run.stderr, run.describe())
            self.assertLess(run.elapsed, 3.0, "rejected before the 5 s of load, not after")

    def test_threshold_naming_an_unknown_task_in_a_scenario_exits_3(self):
        path = self.tmp.write("unknown-task.yaml", """\
name: unknown-task
base_url: http://127.0.0.1:9
duration: 5s
users: 1
tasks:
  - name: home
    path: /
thresholds:
  - "nosuch:p95<150ms"
""")
        run = run_load([path, "-q"], timeout=10)
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertRegex(run.stderr, re.escape(path) + r":9:\d+:.*nosuch", run.describe())
        self.assertLess(run.elapsed, 3.0, "rejected before the 5 s of load, not after")


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def test_broken_yaml_exits_3_with_file_line_col(self):
        # Line 6 is indented with a tab, which YAML forbids.
        path = self.tmp.write("broken.yaml", "name: broken\nbase_url: http://127.0.0.1:9\n"
                              "users: 1\ntasks:\n  - name: a\n\tpath: /x\n")
        run = run_load([path, "-d", "1s", "-q"], timeout=10)
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        note("broken YAML: %s" % run.stderr.strip())
        self.assertRegex(run.stderr, re.escape(path) + r":6:\d+: ", run.describe())

    def test_unclosed_quote_yaml_exits_3_with_file_line_col(self):
        path = self.tmp.write("quote.yaml", "name: quote\nbase_url: http://127.0.0.1:9\n"
                              "users: 1\ntasks:\n  - name: a\n    path: \"/x\n    method: GET\n")
        run = run_load([path, "-d", "1s", "-q"], timeout=10)
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertRegex(run.stderr, re.escape(path) + r":\d+:\d+: ", run.describe())

    def test_unknown_template_function_exits_3(self):
        path = self.tmp.write("template.yaml", """\
name: template
base_url: http://127.0.0.1:9
users: 1
tasks:
  - name: a
    path: "/x?id=${random.foo(1,2)}"
""")
        run = run_load([path, "-d", "1s", "-q"], timeout=10)
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertRegex(run.stderr, re.escape(path) + r":6:\d+:.*random\.foo", run.describe())
        run = run_load(["http://127.0.0.1:9/x?id=${random.foo(1,2)}", "-d", "1s", "-q"], timeout=10)
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertIn("random.foo", run.stderr, run.describe())

    def test_unparseable_url_exits_3(self):
        for url in ("http://[::1", "http://127.0.0.1:99999/", "ftp://127.0.0.1/"):
            run = run_load([url, "-d", "1s", "-q"], timeout=10)
            self.assertEqual(run.rc, EXIT_USAGE, "%s\n%s" % (url, run.describe()))
            self.assertTrue(run.stderr.strip(), "no message for %s" % url)

    def test_bad_options_exit_3(self):
        for args in ([], ["http://127.0.0.1:9/", "-d", "forever"], ["http://127.0.0.1:9/", "-c", "0"],
                     ["http://127.0.0.1:9/", "--threshold", "p95<<1"], ["http://127.0.0.1:9/", "--frobnicate"]):
            run = run_load(args, timeout=10)
            self.assertEqual(run.rc, EXIT_USAGE, run.describe())


class BadServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def assertAllFailed(self, run, kind):
        """Exit 2 (no request succeeded), failures == requests, all of the given kind."""
        self.assertGreaterEqual(run.rc, 0, "killed by signal %d\n%s" % (-run.rc, run.describe()))
        self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())
        total = run.json()["total"]
        errors = loadlib.errors_of(total)
        note("%s: %d requests, %d failures, errors %s, peak RSS %d KiB, %.2f s"
             % (kind, total["requests"], total["failures"],
                {k: v for k, v in errors.items() if v}, run.peak_rss_kib, run.elapsed))
        self.assertGreater(total["requests"], 0, run.describe())
        self.assertEqual(total["failures"], total["requests"], run.describe())
        self.assertEqual(errors.get(kind), total["failures"],
                         "expected every failure to be %r: %s" % (kind, errors))
        self.assertIn(kind, run.stdout, "the failures table names the kind\n" + run.describe())
        return total

    def test_unreachable_port_counts_refused(self):
        port = loadlib.closed_port()
        run = run_load(["http://127.0.0.1:%d/" % port, "-c", 2, "-t", 1, "-d", "1s", "-q"],
                       timeout=10, json_path=self.tmp.join("refused.json"))
        self.assertAllFailed(run, "refused")

    def test_latency_threshold_without_a_timed_response_is_inconclusive(self):
        """Every connection refused: no response was timed, so p95<150ms cannot be judged
        (exit 2 naming what was missing), not failed and not passed."""
        port = loadlib.closed_port()
        run = run_load(["http://127.0.0.1:%d/" % port, "-c", 2, "-t", 1, "-d", "1s", "-q",
                        "--threshold", "p95<150ms", "--run", self.tmp.join("nodata-run")],
                       timeout=10, json_path=self.tmp.join("nodata.json"))
        self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())
        self.assertRegex(run.stdout, r"N/A\s+p95<150ms\s+inconclusive: no response was timed",
                         run.describe())
        self.assertNotRegex(run.stdout, r"(?m)^\s*(FAIL|PASS)\s", run.describe())
        self.assertIn("1 threshold could not be judged", run.stderr)
        with open(self.tmp.join("nodata-run", "run.json")) as f:
            th = json.load(f)["loads"][0]["thresholds"][0]
        self.assertEqual((th["outcome"], th["passed"], th["measured"]), ("no_data", False, None), th)
        self.assertIn("no response was timed", th["missing"])

    def test_garbage_counts_parse_errors(self):
        with Fixture("garbage") as fx:
            run = run_load([fx.url("/g"), "-c", 2, "-t", 1, "-d", "1s", "-q"], timeout=10,
                           json_path=self.tmp.join("garbage.json"))
        self.assertAllFailed(run, "parse")

    def test_huge_headers_are_a_counted_failure(self):
        with Fixture("huge-headers") as fx:
            run = run_load([fx.url("/h"), "-c", 2, "-t", 1, "-d", "1s", "-q"], timeout=10,
                           json_path=self.tmp.join("huge.json"))
        self.assertGreaterEqual(run.rc, 0, "killed by signal %d\n%s" % (-run.rc, run.describe()))
        self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())
        total = run.json()["total"]
        note("huge headers: %d requests, %d failures, errors %s, peak RSS %d KiB"
             % (total["requests"], total["failures"],
                {k: v for k, v in total["errors"].items() if v}, run.peak_rss_kib))
        self.assertGreater(total["failures"], 0)
        self.assertEqual(total["failures"], total["requests"])
        self.assertLess(run.peak_rss_kib, 100 * 1024)

    def test_endless_body_times_out_with_bounded_memory(self):
        seconds = 3
        # 4 connections x 50 MB/s: a client that kept the body would hold ~200 MB after 1 s.
        with Fixture("endless", "--bytes-per-second", 50e6) as fx:
            run = run_load([fx.url("/e"), "-c", 4, "-t", 1, "-d", "%ds" % seconds, "--timeout", "1s", "-q"],
                           timeout=15, json_path=self.tmp.join("endless.json"))
        total = self.assertAllFailed(run, "timeout")
        self.assertGreaterEqual(total["requests"], 4, "each connection timed out at least once")
        self.assertLess(run.peak_rss_kib, 100 * 1024,
                        "peak RSS %d KiB while reading endless bodies" % run.peak_rss_kib)
        # On time: the duration, plus start-up and the end of the progress loop.
        self.assertLess(run.elapsed, seconds + 1.5, run.describe())


def response_header_length(fx):
    """The bytes of the fixture's response header (status line to the blank line), read off
    the wire with one request on a raw socket."""
    with socket.create_connection(("127.0.0.1", fx.port), timeout=10) as s:
        s.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise AssertionError("no response header from the fixture: %r" % data[:200])
    return end + 4


class WrkSummary(unittest.TestCase):
    """wrk's end-of-run figures, checked against what the fixture really sent."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def summary(self, run):
        """The JSON total and the wrk lines of stdout."""
        return run.json()["total"], run.stdout

    def test_non_2xx_bytes_and_rates_are_counted(self):
        # every 4th request is answered 500 with a 39-byte body, the others 200 with 1,150 bytes
        with Fixture("status", "--every", 4, "--status", 500, "--status-delay", 0) as fx:
            run = run_load([fx.url("/x"), "-c", 2, "-t", 1, "-d", "1s"], timeout=15,
                           json_path=self.tmp.join("wrk500.json"))
            served = fx.served()
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        total, out = self.summary(run)
        n2, n5 = total["statuses"]["2xx"], total["statuses"]["5xx"]
        note("wrk summary: %d requests, %d non-2xx/3xx, fixture served %d" % (total["requests"], n5,
                                                                             served))
        self.assertEqual(n2 + n5, total["requests"], run.describe())
        self.assertLessEqual(abs(n5 - served // 4), 1, "every 4th request the fixture served")
        self.assertEqual(total["summary"]["non_2xx_3xx"], n5)
        m = re.search(r"^  Non-2xx or 3xx responses: (\d+)$", out, re.M)
        self.assertTrue(m, run.describe())
        self.assertEqual(int(m.group(1)), n5)
        body500 = len(b'{"error":"status 500 from the fixture"}')
        self.assertEqual(total["bytes_received"], n2 * 1150 + n5 * body500)
        m = re.search(r"^  (\d+) requests in ([0-9.]+)s, ([0-9.]+)MB read$", out, re.M)
        self.assertTrue(m, run.describe())
        self.assertEqual(int(m.group(1)), total["requests"])
        # read: every byte of the responses, headers included (wrk's), more than the bodies
        self.assertAlmostEqual(float(m.group(3)), total["bytes_read"] / 2**20, delta=0.006)
        self.assertGreater(total["bytes_read"], total["bytes_received"] + total["requests"] * 40)
        secs = run.json()["duration_ms"] / 1000
        self.assertAlmostEqual(total["summary"]["bytes_per_s"], total["bytes_received"] / secs,
                               delta=1)
        m = re.search(r"^    Latency\s+([0-9.]+)(us|ms|s)\s+([0-9.]+)(us|ms|s)\s+([0-9.]+)(us|ms|s)"
                      r"\s+[0-9.]+%$", out, re.M)
        self.assertTrue(m, run.describe())
        scale = {"us": 1e-3, "ms": 1, "s": 1e3}
        mean, stdev, mx = (float(m.group(i)) * scale[m.group(i + 1)] for i in (1, 3, 5))
        self.assertAlmostEqual(mean, total["summary"]["mean_ms"], delta=0.01 + mean * 0.01)
        self.assertAlmostEqual(stdev, total["summary"]["stdev_ms"], delta=0.01 + stdev * 0.01)
        self.assertAlmostEqual(mx, total["summary"]["max_ms"], delta=0.01 + mx * 0.01)
        self.assertGreater(stdev, 0)
        self.assertEqual(total["socket_errors"], {"connect": 0, "read": 0, "write": 0,
                                                  "timeout": 0})
        self.assertNotIn("Socket errors", out, "wrk prints the line only when there are some")

    def test_typed_as_wrk(self):
        """`tars load -t2 -c10 -d2s --latency URL`, as a wrk user types it: wrk's Thread Stats
        table (Latency and Req/Sec: Avg, Stdev, Max, +/- Stdev), bytes read with the headers
        and Transfer/sec, each figure the JSON result's."""
        with Fixture("ok") as fx:
            header = response_header_length(fx)
            run = run_load(["-t2", "-c10", "-d2s", "--latency", fx.url("/x")], timeout=20,
                           json_path=self.tmp.join("wrk.json"))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        j, out = run.json(), run.stdout
        total, threads = j["total"], j["thread_stats"]
        # each load thread's requests, adding up to the total
        self.assertEqual(len(threads["requests"]), 2, threads)
        self.assertEqual(sum(threads["requests"]), total["requests"])
        # Req/Sec: one sample per thread and whole second; their mean x count is every request
        rate = threads["req_per_sec"]
        self.assertEqual(rate["samples"], 4, rate)
        self.assertAlmostEqual(rate["avg"] * rate["samples"], total["requests"], delta=0.5)
        for figures in (rate, total["summary"]):
            for key in ("stdev" if figures is rate else "stdev_ms", "within_stdev"):
                v = figures[key]
                self.assertTrue(v == v and v not in (float("inf"), float("-inf")), figures)
                self.assertGreaterEqual(v, 0, figures)
        self.assertTrue(0 < total["summary"]["within_stdev"] <= 1, total["summary"])
        self.assertGreaterEqual(rate["max"], rate["avg"])
        # bytes read: every response's header and body, as wrk counts them
        self.assertEqual(total["bytes_received"], 1150 * total["requests"])
        self.assertEqual(total["bytes_read"], (header + 1150) * total["requests"],
                         "header %d bytes" % header)
        # the printed table is the JSON's figures, in wrk's units
        units = {"us": 1e-3, "ms": 1, "s": 1e3, "": 1, "k": 1e3, "M": 1e6}
        m = re.search(r"^  Thread Stats\s+Avg\s+Stdev\s+Max\s+\+/- Stdev$", out, re.M)
        self.assertTrue(m, run.describe())
        row = r"\s+([0-9.]+)(us|ms|s|k|M|)" * 3 + r"\s+([0-9.]+)%$"
        for name, figures, keys in (("Latency", total["summary"],
                                     ("mean_ms", "stdev_ms", "max_ms")),
                                    ("Req/Sec", rate, ("avg", "stdev", "max"))):
            m = re.search(r"^    %s%s" % (re.escape(name), row), out, re.M)
            self.assertTrue(m, "%s row\n%s" % (name, run.describe()))
            for i, key in enumerate(keys):
                shown = float(m.group(1 + 2 * i)) * units[m.group(2 + 2 * i)]
                self.assertAlmostEqual(shown, figures[key], delta=0.01 + abs(figures[key]) * 0.01,
                                       msg="%s %s" % (name, key))
            self.assertAlmostEqual(float(m.group(7)), 100 * figures["within_stdev"], delta=0.006)
        m = re.search(r"^  (\d+) requests in ([0-9.]+)s, ([0-9.]+)(B|KB|MB|GB) read$", out, re.M)
        self.assertTrue(m, run.describe())
        size = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}
        self.assertEqual(int(m.group(1)), total["requests"])
        self.assertAlmostEqual(float(m.group(3)) * size[m.group(4)], total["bytes_read"],
                               delta=0.006 * size[m.group(4)])
        m = re.search(r"^Transfer/sec:\s+([0-9.]+)(B|KB|MB|GB)$", out, re.M)
        self.assertTrue(m, run.describe())
        self.assertAlmostEqual(float(m.group(1)) * size[m.group(2)], total["summary"]["bytes_read_per_s"],
                               delta=0.006 * size[m.group(2)])
        note("wrk summary: %d requests, %d bytes read (%d-byte headers), Req/Sec %.0f +/- %.0f, "
             "%.0f%% within a stdev" % (total["requests"], total["bytes_read"], header, rate["avg"],
                                         rate["stdev"], 100 * rate["within_stdev"]))

    def test_socket_errors_by_kind(self):
        cases = (("connect", lambda: None, []),
                 ("read", lambda: Fixture("garbage"), []),
                 ("timeout", lambda: Fixture("ok", "--delay", 5), ["--timeout", "200ms"]))
        for kind, start, extra in cases:
            fx = start()
            url = fx.url("/x") if fx else "http://127.0.0.1:9/x"
            try:
                run = run_load([url, "-c", 2, "-t", 1, "-d", "1s"] + extra, timeout=20,
                               json_path=self.tmp.join("wrk-%s.json" % kind))
            finally:
                if fx:
                    fx.stop()
            self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())  # no request succeeded
            total, out = self.summary(run)
            n = total["requests"]
            self.assertGreater(n, 0, run.describe())
            want = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
            want[kind] = n
            self.assertEqual(total["socket_errors"], want, run.describe())
            self.assertIn("  Socket errors: connect %d, read %d, write %d, timeout %d\n"
                          % tuple(want[k] for k in ("connect", "read", "write", "timeout")), out,
                          run.describe())
            self.assertNotIn("Non-2xx", out, run.describe())


if __name__ == "__main__":
    unittest.main()
