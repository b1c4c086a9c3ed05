"""`tars load --metrics-listen`: the live Prometheus exposition of a running load (docs/metrics.md).

promtool accepts it; the final figures (served during --metrics-linger) equal the result JSON
exactly, bucket by bucket; the endpoint serves /metrics only, bounds the request head, refuses a
non-loopback address unless allowed and a port in use before any request is sent; and a real
Prometheus (scripts/prometheus-local.sh) scrapes it while the load runs.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

from loadlib import (EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, HOST, ROOT, Fixture, TempDir,
                     free_port, run_load, task_named)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from promtext import parse, promtool_check, scrape, value  # noqa: E402

PROM_HARNESS = os.path.join(ROOT, "scripts", "prometheus-local.sh")


def hdr_cumulative(hist_json, bound_ns):
    """Values of a result JSON histogram in buckets whose highest value is <= bound_ns (the
    rule of docs/metrics.md), from the bucket layout of include/tars/hist.h."""
    bits = hist_json["sub_bucket_bits"]
    n = 0
    for index, count in hist_json["buckets"]:
        shift = 0 if index < (2 << bits) else (index >> bits) - 1
        low = (index - (shift << bits)) << shift
        high = low + (1 << shift) - 1
        if high <= bound_ns:
            n += count
    return n


class Scraper:
    """Scrapes every 0.2 s while polled (run_load's signal_when); holds the expositions seen.
    Returns True (send the signal) once a final exposition (tars_load_running 0) was read and
    the result JSON written: the results are written before the linger starts, and a signal
    sent before that could still reach the run and mark it interrupted."""

    def __init__(self, port, json_path):
        self.port = port
        self.json_path = json_path
        self.texts = []
        self.running_seen = False
        self.final = None
        self.next = 0

    def __call__(self):
        if time.monotonic() < self.next:
            return False
        self.next = time.monotonic() + 0.2
        try:
            status, ctype, text = scrape(self.port)
        except OSError:
            return False
        if status != 200:
            raise AssertionError("GET /metrics answered %d: %s" % (status, text[:500]))
        self.ctype = ctype
        self.texts.append(text)
        samples = parse(text)
        if value(samples, "tars_load_running") == 1:
            self.running_seen = True
        elif self.final is None:
            self.final = text
        return self.final is not None and os.path.exists(self.json_path)


class LiveMetrics(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()

    def tearDown(self):
        self.tmp.close()

    def test_final_figures_equal_the_result_json(self):
        """Every third answer is a 429 (failures of kind "status"): during the run the counters
        only grow and promtool accepts the text; the lingering final exposition equals the
        JSON: requests, each failure kind, the histogram's count, sum and every bucket."""
        port = free_port()
        out = self.tmp.join("r.json")
        scraper = Scraper(port, out)
        with Fixture("status", "--every", "3", lifetime=60) as fx:
            run = run_load([fx.url("/live"), "-c", "4", "-t", "2", "-d", "3s", "-q",
                            "--metrics-listen", "%s:%d" % (HOST, port),
                            "--metrics-linger", "30s"], timeout=60, json_path=out,
                           signal_when=scraper, sig=signal.SIGTERM)
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertTrue(scraper.running_seen, "no scrape saw the load running\n" + run.describe())
        self.assertIsNotNone(scraper.final, "no final exposition was scraped\n" + run.describe())
        self.assertTrue(scraper.ctype.startswith("text/plain; version=0.0.4"), scraper.ctype)
        promtool_check(self, scraper.texts[0])
        promtool_check(self, scraper.final)
        # counters never go down from one scrape to the next
        series = 'tars_load_requests_total'
        seen = [value(parse(t), series, task="GET /live", step="GET /live") for t in scraper.texts]
        self.assertEqual(seen, sorted(seen), seen)
        self.assertGreater(seen[-1], 0)

        result = run.json()
        task = task_named(result, "GET /live")
        final = parse(scraper.final)
        labels = {"task": "GET /live", "step": "GET /live"}
        self.assertEqual(value(final, series, **labels), task["requests"])
        self.assertEqual(task["requests"], result["total"]["requests"])
        self.assertGreater(task["errors"]["status"], 0, "the fixture answered no 429")
        for kind, n in task["errors"].items():
            self.assertEqual(value(final, "tars_load_failures_total", kind=kind, **labels), n, kind)
        hist = task["latency"]
        name = "tars_load_request_duration_seconds"
        self.assertEqual(value(final, name + "_count", **labels), hist["count"])
        self.assertEqual(value(final, name + "_bucket", le="+Inf", **labels), hist["count"])
        self.assertAlmostEqual(value(final, name + "_sum", **labels), int(hist["sum"]) / 1e9, places=6)
        bounds = sorted(float(dict(k[1])["le"]) for k in final
                        if k[0] == name + "_bucket" and dict(k[1])["le"] != "+Inf")
        self.assertGreaterEqual(len(bounds), 10)
        for b in bounds:
            self.assertEqual(value(final, name + "_bucket", le="%g" % b, **labels),
                             hdr_cumulative(hist, round(b * 1e9)), "le=%g" % b)
        self.assertEqual(value(final, "tars_load_running"), 0)
        self.assertEqual(value(final, "tars_load_active_users"), 0)
        self.assertAlmostEqual(value(final, "tars_load_elapsed_seconds"),
                               result["duration_ms"] / 1000, delta=0.01)

    def test_journeys_rows_and_steps(self):
        """A journey's steps are task=JOURNEY, step=STEP request rows; the journey's own row
        (iterations, whole-journey times) is apart and not counted as requests."""
        port = free_port()
        out = self.tmp.join("j.json")
        scraper = Scraper(port, out)
        with Fixture("ok", lifetime=60) as fx:
            scenario = self.tmp.write("journeys.yaml", "\n".join([
                "name: live-journeys", "base_url: %s" % fx.url("").rstrip("/"), "model: closed",
                "users: 2", "duration: 2s", "tasks:",
                "  - name: browse", "    steps:",
                "      - {name: first, path: /a}", "      - {name: second, path: /b}",
                "  - name: single", "    path: /c", ""]))
            run = run_load([scenario, "-t", "1", "-q", "--metrics-listen", "%s:%d" % (HOST, port),
                            "--metrics-linger", "30s"], timeout=60, json_path=out,
                           signal_when=scraper, sig=signal.SIGTERM)
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        promtool_check(self, scraper.final)
        final, result = parse(scraper.final), run.json()
        rows = {("browse", "first"): "browse/first", ("browse", "second"): "browse/second",
                ("single", "single"): "single"}
        total = 0
        for (task, step), name in rows.items():
            n = value(final, "tars_load_requests_total", task=task, step=step)
            self.assertEqual(n, task_named(result, name)["requests"], name)
            self.assertGreater(n, 0, name)
            total += n
        self.assertEqual(total, result["total"]["requests"])
        self.assertEqual([k for k in final if k[0] == "tars_load_requests_total"
                          and dict(k[1]).get("step") == "browse"], [])
        journey = task_named(result, "browse")
        self.assertEqual(value(final, "tars_load_journeys_total", journey="browse"),
                         journey["requests"])
        self.assertGreater(journey["requests"], 0)
        self.assertEqual(value(final, "tars_load_journey_failures_total", journey="browse"),
                         journey["failures"])
        self.assertEqual(value(final, "tars_load_journey_duration_seconds_count", journey="browse"),
                         journey["latency"]["count"])

    def test_only_get_metrics_and_bounded_requests(self):
        port = free_port()
        answers = {}

        def probe():
            if answers:
                return True
            try:
                answers["other"] = scrape(port, "/")[0]
            except OSError:
                return False
            answers["query"] = scrape(port, "/metrics?x=1")[0]
            answers["post"] = scrape(port, "/metrics", method="POST")[0]
            with socket.create_connection((HOST, port), timeout=5) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n")
                answers["huge"] = s.recv(100)
            with socket.create_connection((HOST, port), timeout=5) as s:
                s.sendall(b"nonsense\r\n\r\n")
                answers["garbage"] = s.recv(100)
            return True

        with Fixture("ok", lifetime=60) as fx:
            run = run_load([fx.url("/"), "-c", "2", "-t", "1", "-d", "30s", "-q",
                            "--metrics-listen", "%s:%d" % (HOST, port)], timeout=60,
                           signal_when=probe, sig=signal.SIGINT)
        self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())  # interrupted
        self.assertEqual(answers["other"], 404)
        self.assertEqual(answers["query"], 200)
        self.assertEqual(answers["post"], 405)
        self.assertTrue(answers["huge"].startswith(b"HTTP/1.1 431 "), answers["huge"])
        self.assertTrue(answers["garbage"].startswith(b"HTTP/1.1 400 "), answers["garbage"])

    def test_listen_address_from_the_environment(self):
        """TARS_LOAD_METRICS_LISTEN stands for --metrics-listen (the demo hands it over);
        the same rules apply to it."""
        port = free_port()
        seen = {}

        def scraped():
            try:
                seen["status"] = scrape(port)[0]
            except OSError:
                return False
            return True

        with Fixture("ok", lifetime=60) as fx:
            run = run_load([fx.url("/env"), "-c", "1", "-t", "1", "-d", "30s", "-q"], timeout=60,
                           env={"TARS_LOAD_METRICS_LISTEN": "%s:%d" % (HOST, port)},
                           signal_when=scraped, sig=signal.SIGINT)
            self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())  # interrupted
            self.assertEqual(seen.get("status"), 200, run.describe())
            r = run_load([fx.url("/"), "-d", "2s"], timeout=30,
                         env={"TARS_LOAD_METRICS_LISTEN": "0.0.0.0:%d" % free_port()})
            self.assertEqual(r.rc, EXIT_USAGE, r.describe())

    def test_non_loopback_refused_before_any_request(self):
        with Fixture("ok", lifetime=60) as fx:
            run = run_load([fx.url("/"), "-d", "2s", "--metrics-listen", "0.0.0.0:%d" % free_port()],
                           timeout=30)
            self.assertEqual(run.rc, EXIT_USAGE, run.describe())
            self.assertIn("--metrics-allow-remote", run.stderr)
            for bad in ("127.0.0.1", "127.0.0.1:99999", "localhost:9464"):
                r = run_load([fx.url("/"), "-d", "2s", "--metrics-listen", bad], timeout=30)
                self.assertEqual(r.rc, EXIT_USAGE, r.describe())
            r = run_load([fx.url("/"), "-d", "2s", "--metrics-linger", "5s"], timeout=30)
            self.assertEqual(r.rc, EXIT_USAGE, r.describe())
            self.assertEqual(fx.served(), 0)

    def test_port_in_use_fails_before_any_request(self):
        with socket.socket() as taken, Fixture("ok", lifetime=60) as fx:
            taken.bind((HOST, free_port()))
            taken.listen(1)
            run = run_load([fx.url("/"), "-d", "2s", "--metrics-listen",
                            "%s:%d" % taken.getsockname()], timeout=30)
            self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())
            self.assertIn("cannot listen", run.stderr)
            self.assertEqual(fx.served(), 0)


class PrometheusScrapes(unittest.TestCase):
    """A real Prometheus scrapes the endpoint every second while a load runs."""

    def test_prometheus_scrapes_a_running_load(self):
        if not shutil.which("prometheus") and not os.access("/usr/bin/prometheus", os.X_OK):
            self.fail("prometheus not found: install the Debian package prometheus")
        tmp = TempDir()
        port = free_port()
        home = tmp.join("prom")
        r = subprocess.run(["bash", PROM_HARNESS, "start", home, "-", "%s:%d" % (HOST, port)],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        url = r.stdout.strip()
        found = {}

        def query(promql):
            with urllib.request.urlopen(url + "/api/v1/query?query=" + urllib.parse.quote(promql),
                                        timeout=5) as resp:
                doc = json.loads(resp.read().decode("utf-8"))
            return doc["data"]["result"] if doc.get("status") == "success" else []

        def scraped_while_running():
            try:
                rows = query('tars_load_requests_total{job="tars"} and on() tars_load_running == 1')
            except (OSError, ValueError):
                return False
            if rows and float(rows[0]["value"][1]) > 0:
                found["rows"] = rows
                found["p95"] = query('histogram_quantile(0.95, sum by (le) '
                                     '(tars_load_request_duration_seconds_bucket))')
                return True
            return False

        try:
            with Fixture("ok", lifetime=90) as fx:
                run = run_load([fx.url("/prom"), "-c", "2", "-t", "1", "-d", "60s", "-q",
                                "--metrics-listen", "%s:%d" % (HOST, port)], timeout=90,
                               signal_when=scraped_while_running, sig=signal.SIGINT)
        finally:
            subprocess.run(["bash", PROM_HARNESS, "stop", home], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
            tmp.close()
        self.assertIn("rows", found, "Prometheus never returned the series\n" + run.describe())
        self.assertEqual(run.rc, EXIT_INCONCLUSIVE, run.describe())  # stopped by SIGINT
        metric = found["rows"][0]["metric"]
        self.assertEqual((metric.get("task"), metric.get("step")), ("GET /prom", "GET /prom"))
        self.assertEqual(len(found["p95"]), 1, found["p95"])
        p95 = float(found["p95"][0]["value"][1])
        self.assertTrue(0 < p95 <= 10, p95)


if __name__ == "__main__":
    unittest.main()
