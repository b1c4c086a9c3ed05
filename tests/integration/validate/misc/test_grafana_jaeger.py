"""The grafana and jaeger check types against tests/fixtures/grafana_jaeger_fixture.py:
every check passes on the healthy state and fails, with the right reason, on the broken one."""

import os
import subprocess
import unittest

from misc_harness import TARS_BIN, CannedPeer, CheckCase, Fixture, TempDir, http_answer, run_suite

TOKEN = "fixture-grafana-token-5ad1"

SUITE = """
suite: grafana-jaeger
defaults:
  timeout: 10s
targets:
  grafana:
    url: ${FIXTURE_URL}
    token_env: FIXTURE_TOKEN
  jaeger:
    url: ${FIXTURE_URL}
    token_env: FIXTURE_TOKEN
checks:
  - {id: grafana-health, category: monitoring, type: grafana, check: health}
  - {id: grafana-search, category: grafana, type: grafana, check: search, query: T.A.R.S.,
     title: T.A.R.S. Evaluation}
  - {id: grafana-load-by-title, category: grafana, type: grafana, check: dashboard,
     title: T.A.R.S. Evaluation, samples: 5, max_ms: 5000, max_avg_ms: 2000}
  - {id: grafana-load-by-uid, category: grafana, type: grafana, check: dashboard,
     uid: tars-evaluation, samples: 2}
  - {id: grafana-load-slow, category: grafana, type: grafana, check: dashboard,
     uid: tars-overview, samples: 3, max_p95_ms: "${SLOW_P95_MS}",
     max_p99_ms: "${SLOW_P99_MS}"}
  - {id: grafana-rules-evaluation, category: grafana, type: grafana, check: panels_use_rules,
     uid: tars-evaluation}
  - {id: grafana-rules-overview, category: grafana, type: grafana, check: panels_use_rules,
     query: Overview}
  - {id: jaeger-services, category: tracing, type: jaeger, check: services,
     services: [tars-orchestration-agent, tars-insight-engine]}
  - {id: jaeger-traces, category: tracing, type: jaeger, check: traces_present,
     service: tars-orchestration-agent, lookback: 10m}
  - {id: jaeger-continuity-orchestration, category: tracing, type: jaeger, check: continuity,
     service: tars-orchestration-agent, lookback: 1h, limit: 100}
  - {id: jaeger-continuity-orchestration-skip, category: tracing, type: jaeger,
     check: continuity, service: tars-orchestration-agent, on_empty: skip}
  - {id: jaeger-continuity-insight, category: tracing, type: jaeger, check: continuity,
     service: tars-insight-engine, min: 0.99}
  - {id: jaeger-continuity-insight-low-bar, category: tracing, type: jaeger, check: continuity,
     service: tars-insight-engine, min: 0.5}
  - {id: jaeger-multi-region, category: tracing, type: jaeger, check: multi_region,
     service: tars-orchestration-agent, min_traces: 6}
  - {id: jaeger-multi-region-skip, category: tracing, type: jaeger, check: multi_region,
     service: tars-orchestration-agent, on_empty: skip}
"""


# The broken state's dashboard takes SLOW_MS to load; grafana-load-slow's limit sits between
# that and what a dashboard answered at once takes on this machine as busy as it is now: 250 ms
# on a quiet one, 5 times a cold /api/health fetch measured just before (a loaded machine's
# scheduling delays, which every cold load pays too), at most 1500 ms.
SLOW_MS = 2500


def slow_limit_ms(url):
    import http.client
    import time
    worst = 0.0
    host, port = url.rsplit("/", 1)[1].split(":")
    for _ in range(3):
        t0 = time.monotonic()
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request("GET", "/api/health")
            conn.getresponse().read()  # 200, or 503 in the broken state: answered at once
        finally:
            conn.close()
        worst = max(worst, (time.monotonic() - t0) * 1000)
    return int(min(1500, max(250, 5 * worst)))


def suite_vars(url, limit_ms):
    return {"FIXTURE_URL": url, "SLOW_P95_MS": str(limit_ms), "SLOW_P99_MS": str(limit_ms + 50)}


class GrafanaJaegerBase(CheckCase):
    state = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir("tars-misc-gj-")
        cls.fixture = Fixture("grafana_jaeger_fixture.py", "--state", cls.state, "--token", TOKEN,
                              "--slow-ms", str(SLOW_MS))
        try:
            cls.limit_ms = slow_limit_ms(cls.fixture.url)
            cls.results, cls.wall = run_suite(cls.tmp, SUITE, suite_vars(cls.fixture.url, cls.limit_ms),
                                              env={"FIXTURE_TOKEN": TOKEN})
            cls.stats = cls.fixture.stats()
        except Exception:
            cls.fixture.stop()
            cls.tmp.remove()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fixture.stop()
        cls.tmp.remove()

    def result(self, check_id):
        self.assertIn(check_id, self.results)
        r = self.results[check_id]
        self.assertNotIn(TOKEN, r["reason"])
        return r


class TestHealthy(GrafanaJaegerBase):
    state = "healthy"

    def test_grafana_health_and_search(self):
        self.assertStatus(self.result("grafana-health"), "pass", "database ok")
        self.assertStatus(self.result("grafana-search"), "pass", "found 2 dashboard(s)")

    def test_dashboard_cold_loads(self):
        self.assertStatus(self.result("grafana-load-by-title"), "pass", "5 cold loads")
        self.assertStatus(self.result("grafana-load-by-uid"), "pass", "2 cold loads")
        self.assertStatus(self.result("grafana-load-slow"), "pass", "3 cold loads")
        # 5 + 2 fetches of one dashboard, 3 of the other, each on a connection of its own.
        requests = self.stats["requests"]
        self.assertEqual(requests.get("/api/dashboards/uid/tars-evaluation"), 5 + 2 + 1)
        self.assertEqual(requests.get("/api/dashboards/uid/tars-overview"), 3 + 1)
        self.assertEqual(self.stats["dashboard_connections"], 12)

    def test_panels_use_rules(self):
        self.assertStatus(self.result("grafana-rules-evaluation"), "pass",
                          "all 5 panels (6 expressions)")
        self.assertStatus(self.result("grafana-rules-overview"), "pass", "all 2 panels")

    def test_jaeger(self):
        self.assertStatus(self.result("jaeger-services"), "pass", "every expected one")
        self.assertStatus(self.result("jaeger-traces"), "pass", "6 traces")
        r = self.result("jaeger-continuity-orchestration")
        self.assertStatus(r, "pass", "continuity 1.0000")
        self.assertIn("24 of 24 non-root spans", r["reason"])
        self.assertIn("6 roots excluded", r["reason"])
        self.assertIn("6 traces cross regions", r["reason"])
        self.assertStatus(self.result("jaeger-continuity-orchestration-skip"), "pass")
        self.assertStatus(self.result("jaeger-continuity-insight"), "pass", "continuity 1.0000")
        self.assertStatus(self.result("jaeger-multi-region"), "pass",
                          '6 of 6 traces of "tars-orchestration-agent" cross regions (at least 6)')
        results, _ = run_suite(self.tmp, SUITE.split("checks:")[0] + """checks:
  - {id: too-few, category: tracing, type: jaeger, check: multi_region,
     service: tars-orchestration-agent, min_traces: 7}
""", {"FIXTURE_URL": self.fixture.url}, env={"FIXTURE_TOKEN": TOKEN}, name="too-few.yaml")
        self.assertStatus(results["too-few"], "fail",
                          "6 of 6 traces of \"tars-orchestration-agent\" cross regions, expected "
                          "at least 7")
        self.assertStatus(self.result("jaeger-multi-region-skip"), "pass")


class TestBroken(GrafanaJaegerBase):
    state = "broken"

    def test_grafana_health(self):
        self.assertStatus(self.result("grafana-health"), "fail", "HTTP 503 (database failing)")

    def test_dashboard_missing(self):
        self.assertStatus(self.result("grafana-search"), "fail", 'none titled "T.A.R.S. Evaluation"')
        self.assertStatus(self.result("grafana-load-by-title"), "fail",
                          'no grafana dashboard titled "T.A.R.S. Evaluation"')
        self.assertStatus(self.result("grafana-load-by-uid"), "fail",
                          'dashboard "tars-evaluation" not found (HTTP 404)')
        self.assertStatus(self.result("grafana-rules-evaluation"), "fail", "HTTP 404")

    def test_dashboard_slow(self):
        r = self.result("grafana-load-slow")
        self.assertStatus(r, "fail", "too slow over 3 cold loads")
        self.assertIn("p95 ", r["reason"])
        self.assertIn(">= %d ms" % self.limit_ms, r["reason"])

    def test_panels_not_using_rules(self):
        self.assertStatus(self.result("grafana-rules-overview"), "fail",
                          '3 of 4 panels of grafana dashboard "tars-overview" do not use tars: '
                          'rules: "Latency p95" (id 2), "Errors" (id 3), "Up" (id 4)')

    def test_jaeger_no_traces(self):
        self.assertStatus(self.result("jaeger-services"), "fail",
                          "lacks services: tars-orchestration-agent")
        self.assertStatus(self.result("jaeger-traces"), "fail", "0 traces")
        self.assertStatus(self.result("jaeger-continuity-orchestration"), "error", "no data")
        self.assertStatus(self.result("jaeger-continuity-orchestration-skip"), "skip", "no traces")
        self.assertStatus(self.result("jaeger-multi-region"), "error", "no data")
        self.assertStatus(self.result("jaeger-multi-region-skip"), "skip", "no traces")

    def test_jaeger_broken_parents(self):
        r = self.result("jaeger-continuity-insight")
        self.assertStatus(r, "fail", "continuity 0.5000 below 0.99")
        self.assertIn("12 of 24 non-root spans", r["reason"])
        self.assertIn("parent missing: trace ", r["reason"])
        self.assertIn("(tars-hypersync-service/redis.stream.xread)", r["reason"])
        self.assertStatus(self.result("jaeger-continuity-insight-low-bar"), "pass",
                          "continuity 0.5000 >= 0.5")


class TestCredentials(CheckCase):
    """A missing or wrong token is an error (the check could not run), never a pass or a
    plain failure, and the token never shows."""

    def test_wrong_and_missing_token(self):
        tmp = TempDir("tars-misc-gj-")
        fixture = Fixture("grafana_jaeger_fixture.py", "--state", "healthy", "--token", TOKEN)
        try:
            wrong = TOKEN[::-1]
            results, _ = run_suite(tmp, SUITE, suite_vars(fixture.url, 250),
                                   env={"FIXTURE_TOKEN": wrong})
            r = results["grafana-search"]
            self.assertStatus(r, "error", "HTTP 401 (missing or rejected credentials)")
            self.assertNotIn(wrong, r["reason"])
            self.assertStatus(results["jaeger-services"], "error", "HTTP 401")
            # The health endpoint needs no token.
            self.assertStatus(results["grafana-health"], "pass")
            results, _ = run_suite(tmp, SUITE, suite_vars(fixture.url, 250),
                                   env={"FIXTURE_TOKEN": ""})
            self.assertStatus(results["grafana-load-by-uid"], "error", "HTTP 401")
        finally:
            fixture.stop()
            tmp.remove()


class TestUnreachable(CheckCase):
    def test_refused_is_a_transient_error(self):
        tmp = TempDir("tars-misc-gj-")
        try:
            results, wall = run_suite(tmp, SUITE, suite_vars("http://127.0.0.1:9", 250))
            for r in results.values():
                self.assertStatus(r, "error")
            self.assertLess(wall, 30)
        finally:
            tmp.remove()

JAEGER_SUITE = """
suite: jaeger-peer-errors
defaults:
  timeout: 5s
  retries: 0
targets:
  jaeger:
    url: ${PEER_URL}
checks:
  - {id: services, category: tracing, type: jaeger, check: services}
  - {id: services-named, category: tracing, type: jaeger, check: services,
     services: [tars-insight-engine]}
  - {id: traces, category: tracing, type: jaeger, check: traces_present,
     service: tars-insight-engine}
  - {id: continuity, category: tracing, type: jaeger, check: continuity,
     service: tars-insight-engine}
  - {id: multi-region, category: tracing, type: jaeger, check: multi_region,
     service: tars-insight-engine}
"""

# A Jaeger query service that errs, one row each: every check is an error (the peer could not
# be judged), never a pass and never a fail. The reason names what the peer did.
JAEGER_PEER_ERRORS = [
    ("connection refused", None, "connect"),
    ("HTTP 500 with Jaeger's error shape",
     http_answer("500 Internal Server Error",
                 '{"data":null,"errors":[{"code":500,"msg":"storage unavailable"}]}'), "500"),
    ("HTTP 503 from a proxy, HTML", http_answer("503 Service Unavailable", "<html>down</html>",
                                                "text/html"), "503"),
    ("200, not JSON", http_answer("200 OK", "<html>login</html>", "text/html"), "not JSON"),
    ("200, JSON cut short", http_answer("200 OK", '{"data":[{"traceID":"1","spans":['),
     "not JSON"),
    ("200 with errors", http_answer("200 OK", '{"data":[],"errors":[{"msg":"bad query"}]}'),
     "bad query"),
    ("200 without data", http_answer("200 OK", '{"total":0}'), "no \"data\" list"),
    ("200, data not a list", http_answer("200 OK", '{"data":{"a":1}}'), "no \"data\" list"),
    ("200, data of numbers", http_answer("200 OK", '{"data":[1,2,3]}'), " 0 "),
    ("not HTTP", b"SSH-2.0-OpenSSH_9.2\r\n", ""),
]


class TestPeerErrors(CheckCase):
    def test_every_peer_error_is_an_error(self):
        tmp = TempDir("tars-misc-gj-")
        try:
            for what, answer, reason in JAEGER_PEER_ERRORS:
                peer = CannedPeer(answer)
                try:
                    results, _ = run_suite(tmp, JAEGER_SUITE, {"PEER_URL": peer.url})
                finally:
                    peer.stop()
                self.assertEqual(len(results), 5, what)
                for r in results.values():
                    with self.subTest(peer=what, check=r["id"]):
                        self.assertStatus(r, "error", reason)
        finally:
            tmp.remove()


class TestCli(CheckCase):
    """The same suite through `tars validate`: exit 0 on the healthy state, 1 on the broken
    one, with the reasons on the console."""

    def validate(self, state):
        tmp = TempDir("tars-misc-gj-")
        fixture = Fixture("grafana_jaeger_fixture.py", "--state", state, "--token", TOKEN)
        try:
            path = tmp.file("suite.yaml", SUITE)
            args = [a for kv in suite_vars(fixture.url, slow_limit_ms(fixture.url)).items()
                    for a in ("--var", "%s=%s" % kv)]
            return subprocess.run([TARS_BIN, "validate", path, *args],
                                  capture_output=True, text=True, timeout=120,
                                  env=dict(os.environ, FIXTURE_TOKEN=TOKEN))
        finally:
            fixture.stop()
            tmp.remove()

    def test_exit_codes(self):
        if not TARS_BIN:
            self.fail("TARS_BIN is not set")
        healthy = self.validate("healthy")
        self.assertEqual(healthy.returncode, 0, healthy.stdout + healthy.stderr)
        self.assertIn("15 passed, 0 failed", healthy.stdout)
        broken = self.validate("broken")
        self.assertEqual(broken.returncode, 1, broken.stdout + broken.stderr)
        self.assertIn("trace continuity 0.5000 below 0.99", broken.stdout)
        self.assertIn('do not use tars: rules: "Latency p95" (id 2)', broken.stdout)
        self.assertNotIn(TOKEN, healthy.stdout + broken.stdout + broken.stderr)


if __name__ == "__main__":
    unittest.main()
