"""A real monitoring stack for the Prometheus-backed check tests (Python 3 standard library only).

Starts `tars serve --demo` instances (through ../api/harness.py), a real Prometheus scraping them
every second with the shipped recording rules (scripts/prometheus-local.sh), a background
thread that keeps a little traffic flowing, and runs `tars validate` on suites written by the
tests. Everything listens on 127.0.0.1 and is stopped at the end; every wait is a bounded poll.

Environment: TARS_BIN (required; set by CMake), TARS_TEST_KEEP (keep temporary directories),
TARS_TEST_VERBOSE (print every check's result).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

import harness  # noqa: E402  (tests/integration/api/harness.py)
from harness import HOST, mask, note, register_secret  # noqa: E402,F401

PROM_HARNESS = os.path.join(ROOT, "scripts", "prometheus-local.sh")
RULES = os.path.join(ROOT, "deploy", "prometheus", "recording_rules.yaml")
TARS_BIN = os.environ.get("TARS_BIN", "")

EXIT_OK, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_USAGE = 0, 1, 2, 3


def tars_bin():
    if not TARS_BIN:
        raise unittest.SkipTest("TARS_BIN is not set")
    if not os.access(TARS_BIN, os.X_OK):
        raise AssertionError("TARS_BIN %r is not an executable file" % TARS_BIN)
    return TARS_BIN


def wait_until(what, fn, timeout, interval=0.25):
    """Poll fn() until it returns a true value (returned); AssertionError naming what and the
    last value seen after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last and not isinstance(last, Exception):
                return last
        except (OSError, ValueError, KeyError) as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError("gave up after %.0f s waiting for %s (last: %s)"
                                 % (timeout, what, mask(repr(last))[:800]))
        time.sleep(interval)


# ---------------------------------------------------------------- Prometheus

class Prometheus:
    """prometheus-local.sh start DIR RULES TARGET...; a context manager."""

    def __init__(self, targets, rules=RULES):
        self.dir = tempfile.mkdtemp(prefix="tars-prom-it-")
        self.home = os.path.join(self.dir, "prom")
        r = subprocess.run(["bash", PROM_HARNESS, "start", self.home, rules] + list(targets),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            self.close()
            raise AssertionError("prometheus-local.sh start failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
        self.url = r.stdout.strip()

    def api(self, path, timeout=5.0):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
            doc = json.loads(resp.read().decode("utf-8"))
        if doc.get("status") != "success":
            raise ValueError("prometheus said %r" % doc)
        return doc["data"]

    def query(self, promql):
        """The result list of an instant query."""
        return self.api("/api/v1/query?query=" + urllib.parse.quote(promql))["result"]

    def rule_groups(self):
        return self.api("/api/v1/rules")["groups"]

    def log_tail(self, limit=3000):
        try:
            with open(os.path.join(self.home, "prometheus.log"), "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        subprocess.run(["bash", PROM_HARNESS, "stop", self.home], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
        if os.environ.get("TARS_TEST_KEEP"):
            note("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- traffic

class Traffic(threading.Thread):
    """Every `period` s, for each server: GET /health, GET /api/v1/agents (viewer), GET an unknown
    path (404), and POST one evaluation (developer) with status `completed`, or `error` for every
    other one on servers listed in error_servers. Errors are counted, never raised."""

    def __init__(self, servers, error_servers=(), period=0.4):
        super().__init__(daemon=True)
        self.servers = list(servers)
        self.error_servers = set(id(s) for s in error_servers)
        self.period = period
        self.stop_event = threading.Event()
        self.rounds = 0
        self.failures = []
        self.tokens = {id(s): (s.token("viewer"), s.token("developer")) for s in self.servers}

    def one_round(self, server):
        viewer, developer = self.tokens[id(server)]
        server.get("/health", timeout=5)
        server.get("/api/v1/agents", token=viewer, timeout=5)
        server.get("/api/v1/no-such-route", timeout=5)
        bad = id(server) in self.error_servers and self.rounds % 2 == 1
        r = server.post("/api/v1/evaluations",
                        {"agent_id": "ppo-agent-1", "region": "us-west-2",
                         "status": "error" if bad else "completed",
                         "reward": 0.5, "duration_ms": 20 + self.rounds % 40},
                        token=developer, timeout=5)
        if r.status != 201 and len(self.failures) < 20:
            self.failures.append(r.describe())

    def run(self):
        while not self.stop_event.is_set():
            for s in self.servers:
                try:
                    self.one_round(s)
                except OSError as e:
                    if len(self.failures) < 20:
                        self.failures.append(repr(e))
            self.rounds += 1
            self.stop_event.wait(self.period)

    def stop(self):
        self.stop_event.set()
        self.join(15)


# ---------------------------------------------------------------- tars validate

class ValidateRun:
    def __init__(self, rc, stdout, stderr, report):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.report = report or {}
        self.checks = {}
        for suite in self.report.get("suites", []):
            for c in suite.get("checks", []):
                self.checks[c["id"]] = c

    def describe(self):
        lines = ["exit %d" % self.rc]
        for cid, c in sorted(self.checks.items()):
            lines.append("  %-28s %-5s %s (%d attempts)" % (cid, c["status"], c["reason"],
                                                             c.get("attempts", 0)))
        if self.stderr.strip():
            lines.append("stderr: " + self.stderr.strip()[-1500:])
        return mask("\n".join(lines))


def run_validate(suite, tmpdir, variables=(), extra=(), timeout=120):
    """Writes suite (a dict; JSON is YAML) to tmpdir and runs `tars validate` on it with
    --format json; returns a ValidateRun."""
    path = os.path.join(tmpdir, "%s.yaml" % suite.get("suite", "suite"))
    out = os.path.join(tmpdir, "%s.json" % suite.get("suite", "suite"))
    with open(path, "w") as f:
        json.dump(suite, f, indent=2)
    argv = [tars_bin(), "validate", path, "--format", "json:" + out, "--parallel", "8"]
    for k, v in variables:
        argv += ["--var", "%s=%s" % (k, v)]
    argv += list(extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, env=env, cwd=tmpdir)
    report = None
    if os.path.exists(out):
        with open(out) as f:
            report = json.load(f)
    run = ValidateRun(r.returncode, r.stdout, r.stderr, report)
    if os.environ.get("TARS_TEST_VERBOSE"):
        note("suite %s:\n%s" % (suite.get("suite"), run.describe()))
    return run
