"""The local stack suites/local.yaml is written for, started for real (Python 3 standard library).

- `tars serve --demo` (tests/integration/api/harness.py) with its default rate limits (30
  anonymous requests a minute, 10 on the token endpoints), a CORS origin, and 127.0.0.2 as its
  only exempt network;
- a relay on 127.0.0.1 that forwards to it from the source address 127.0.0.2, so that
  Prometheus' anonymous scrapes (one a second) are exempt while tars validate, coming from
  127.0.0.1, is limited like any client (the rate-limit check must meet a 429);
- a real Prometheus (scripts/prometheus-local.sh) scraping the relay every second with
  deploy/prometheus/recording_rules.yaml;
- a thread of authenticated traffic (agents, missions, and POSTed evaluations) so that the
  rates behind the SLO checks and the recording rules have data.

Everything listens on 127.0.0.1 (the relay's outgoing side binds 127.0.0.2, also loopback) and is
stopped at the end; every wait is a bounded poll.
"""

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "validate"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
import promstack  # noqa: E402
from freeport import listening_socket  # noqa: E402  (tests/integration/freeport.py)
from harness import HOST, mask, note  # noqa: E402,F401

SUITES = os.path.join(ROOT, "suites")
LOCAL_SUITE = os.path.join(SUITES, "local.yaml")
RULES = os.path.join(ROOT, "deploy", "prometheus", "recording_rules.yaml")
CORS_ORIGIN = "http://localhost:3000"
SCRAPER_ADDR = "127.0.0.2"
EXIT_OK, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_USAGE = 0, 1, 2, 3

# The rules local.yaml reads; each must have a series before the suite can pass.
QUERIED_RULES = ["tars:evaluation_rate:1m", "tars:evaluation_latency:p95:1m",
                 "tars:evaluation_success_rate:1m", "tars:agent_reward:avg:1h",
                 "tars:queue_depth:current", "tars:http_request_rate:1m",
                 "tars:http_request_latency:p95:1m"]


def tars_bin():
    b = os.environ.get("TARS_BIN", "")
    if not b:
        raise unittest.SkipTest("TARS_BIN is not set")
    if not os.access(b, os.X_OK):
        raise AssertionError("TARS_BIN %r is not an executable file" % b)
    return b


# ---------------------------------------------------------------- the relay

class Relay:
    """Accepts on 127.0.0.1:<free port> and forwards each connection to 127.0.0.1:target_port
    from source address `source`, one pair of pump threads per connection."""

    def __init__(self, target_port, source=SCRAPER_ADDR):
        self.target_port = target_port
        self.source = source
        self.listener = listening_socket(HOST, 16)  # outside the ephemeral range
        self.port = self.listener.getsockname()[1]
        self.closing = False
        self.connections = 0
        self.lock = threading.Lock()
        self.open_socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                upstream.bind((self.source, 0))
                upstream.settimeout(5)
                upstream.connect((HOST, self.target_port))
                upstream.settimeout(None)
            except OSError:
                upstream.close()
                client.close()
                continue
            with self.lock:
                self.connections += 1
                self.open_socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.closing = True
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            for s in self.open_socks:
                try:
                    s.close()
                except OSError:
                    pass


# ---------------------------------------------------------------- traffic

class Traffic(threading.Thread):
    """Authenticated requests only (the anonymous budget belongs to the suite): every `period`
    s a viewer reads agents and missions and a developer POSTs one completed evaluation."""

    def __init__(self, server, period=0.25):
        super().__init__(daemon=True)
        self.server = server
        self.period = period
        self.viewer = server.token("viewer")
        self.developer = server.token("developer")
        self.stop_event = threading.Event()
        self.rounds = 0
        self.failures = []

    def one_round(self):
        for path in ("/api/v1/agents", "/api/v1/missions?limit=10"):
            r = self.server.get(path, token=self.viewer, timeout=5)
            if r.status != 200 and len(self.failures) < 10:
                self.failures.append(r.describe())
        r = self.server.post("/api/v1/evaluations",
                             {"agent_id": random.choice(["policy", "consensus", "ethical", "resource"]),
                              "region": random.choice(["us-east-1", "us-west-2", "eu-central-1"]),
                              "status": "completed", "reward": round(random.random(), 3),
                              "duration_ms": random.randint(10, 60)},
                             token=self.developer, timeout=5)
        if r.status != 201 and len(self.failures) < 10:
            self.failures.append(r.describe())

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.one_round()
            except OSError as e:
                if len(self.failures) < 10:
                    self.failures.append(repr(e))
            self.rounds += 1
            self.stop_event.wait(self.period)

    def stop(self):
        self.stop_event.set()
        self.join(15)


# ---------------------------------------------------------------- the stack

class LocalStack:
    """Server, relay, Prometheus and traffic; close() stops what was started, in reverse."""

    def __init__(self, db=None, serve_args=(), rules=RULES):
        self.server = None
        self.relay = None
        self.prom = None
        self.traffic = None
        self.t0 = time.monotonic()
        try:
            self.server = harness.Server(
                extra_args=["--cors-origins", CORS_ORIGIN, "--exempt-networks", SCRAPER_ADDR] +
                list(serve_args),
                rate_public=None, rate_auth=None, db=db).start()
            self.relay = Relay(self.server.port)
            self.prom = promstack.Prometheus(["%s:%d" % (HOST, self.relay.port)], rules=rules)
            self.traffic = Traffic(self.server)
            self.traffic.start()
        except BaseException:
            self.close()
            raise

    def database_url(self):
        if self.server.db:
            return self.server.db
        return "sqlite:" + os.path.join(self.server.data_dir, "tars.db")

    # -- waiting for data

    def rules_state(self):
        """(rules not evaluated yet, rules with errors) over the tars_ groups."""
        pending, bad = [], []
        for g in self.prom.rule_groups():
            if not g["name"].startswith("tars_"):
                continue
            for r in g["rules"]:
                if r.get("health") == "unknown":
                    pending.append(r["name"])
                elif r.get("health") != "ok":
                    bad.append("%s: %s" % (r["name"], r.get("lastError")))
        return pending, bad

    def missing_data(self):
        """What local.yaml needs that Prometheus does not have yet ([] when ready)."""
        missing = []
        up = self.prom.query('up{job="tars"}')
        if not up or any(s["value"][1] != "1" for s in up):
            missing.append("up{job=\"tars\"} == 1 (%s)" % up)
        pending, bad = self.rules_state()
        if bad:
            raise AssertionError("recording rules fail to evaluate: %s" % "; ".join(bad[:5]))
        if pending:
            missing.append("%d rules not evaluated yet (e.g. %s)" % (len(pending), pending[0]))
        for rule in QUERIED_RULES:
            if not self.prom.query(rule):
                missing.append(rule)
        if not self.prom.query("sum(rate(tars_evaluation_total[5m])) > 0"):
            missing.append("evaluation rate")
        return missing

    def wait_for_data(self, timeout):
        last = ["nothing checked"]

        def ready():
            last[:] = self.missing_data()
            return not last
        try:
            promstack.wait_until("recording rules with data", ready, timeout, interval=0.5)
        except AssertionError as e:
            raise AssertionError("%s; still missing: %s\n--- prometheus log ---\n%s"
                                 % (e, "; ".join(last), self.prom.log_tail()))
        return time.monotonic() - self.t0

    def wait_scrape_down(self, timeout=20):
        def down():
            up = self.prom.query('up{job="tars"}')
            return up and all(s["value"][1] == "0" for s in up)
        promstack.wait_until('up{job="tars"} == 0', down, timeout)

    def stop_server(self):
        if self.traffic is not None:
            self.traffic.stop()
        self.server.stop_clean()

    def close(self):
        if self.traffic is not None:
            self.traffic.stop()
        if self.prom is not None:
            self.prom.close()
        if self.relay is not None:
            self.relay.close()
        if self.server is not None:
            self.server.stop()
            self.server.cleanup()


# ---------------------------------------------------------------- tars validate

class SuiteRun:
    def __init__(self, argv, rc, stdout, stderr, report, wall_s):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.report = report or {}
        self.wall_s = wall_s
        self.checks = {}
        for suite in self.report.get("suites", []):
            for c in suite.get("checks", []):
                self.checks[c["id"]] = c

    def sum_ms(self):
        return sum(c.get("duration_ms", 0.0) for c in self.checks.values())

    def wall_ms(self):
        return self.report.get("wall_ms", 0.0)

    def not_passing(self):
        return {i: c for i, c in self.checks.items() if c["status"] != "pass"}

    def describe(self):
        lines = ["exit %d, wall %.0f ms, sum of check times %.0f ms"
                 % (self.rc, self.wall_ms(), self.sum_ms())]
        for cid, c in sorted(self.checks.items()):
            lines.append("  %-48s %-5s %7.1f ms  %s" % (cid, c["status"], c.get("duration_ms", 0),
                                                       c.get("reason", "")))
        if self.stderr.strip():
            lines.append("stderr: " + self.stderr.strip()[-1500:])
        return mask("\n".join(lines))


def run_suite(suite, variables, workdir, env_extra=None, extra=(), timeout=120):
    """tars validate SUITE --var k=v ... --format json:FILE; a SuiteRun."""
    out = os.path.join(workdir, "result-%d.json" % int(time.monotonic() * 1000))
    argv = [tars_bin(), "validate", suite, "--format", "json:" + out]
    for k, v in variables:
        argv += ["--var", "%s=%s" % (k, v)]
    argv += list(extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
    # Variables the suites read from the environment must come from this test only.
    for k in ("API_URL", "API_TOKEN", "PROMETHEUS_URL", "DATABASE_URL", "KUBECONFIG",
              "NAMESPACE", "GRAFANA_URL", "JAEGER_URL", "GRAFANA_API_KEY"):
        env.pop(k, None)
    env.update(env_extra or {})
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, env=env, cwd=workdir)
    wall = time.monotonic() - t0
    report = None
    if os.path.exists(out):
        with open(out) as f:
            report = json.load(f)
    return SuiteRun(argv, r.returncode, r.stdout, r.stderr, report, wall)
