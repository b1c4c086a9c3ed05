"""The http, prometheus, prometheus_rules, prometheus_rule_health, slo, ppo and canary check types
against a real stack: two `tars serve --demo` (labelled deployment=stable and deployment=canary),
a real Prometheus scraping both every second with deploy/prometheus/recording_rules.yaml, and a
little steady traffic (the canary's evaluations half of them status "error"). Every check runs
through `tars validate`; each must pass on the healthy state and fail (or skip, or error) with the
right reason on a broken one.
"""

import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

import promstack
from promstack import RULES, harness, run_validate, wait_until

# docs/suite-coverage.md: the 9 groups, their intervals and the 46 rule names, in the original order
RULE_GROUPS = [
    ("tars_evaluation_aggregations", 15, [
        "tars:evaluation_rate:1m", "tars:evaluation_rate:5m", "tars:evaluation_latency:p50:1m",
        "tars:evaluation_latency:p95:1m", "tars:evaluation_latency:p99:1m",
        "tars:evaluation_latency:avg:1m", "tars:evaluation_success_rate:1m",
        "tars:evaluation_error_rate:1m"]),
    ("tars_agent_aggregations", 30, [
        "tars:agent_reward:avg:1h", "tars:agent_reward:trend:5m", "tars:agent_training_rate:1m",
        "tars:agent_policy_loss:avg:5m", "tars:agent_value_loss:avg:5m",
        "tars:agent_exploration_rate:current"]),
    ("tars_queue_aggregations", 10, [
        "tars:queue_depth:current", "tars:queue_depth:avg:1m", "tars:queue_depth:max:5m",
        "tars:queue_wait_time:p95:1m", "tars:queue_processing_rate:1m"]),
    ("tars_resource_aggregations", 30, [
        "tars:cpu_utilization:avg:1m", "tars:memory_utilization:current",
        "tars:memory_utilization:percentage", "tars:network_receive_rate:1m",
        "tars:network_transmit_rate:1m"]),
    ("tars_api_aggregations", 15, [
        "tars:http_request_rate:1m", "tars:http_request_latency:p50:1m",
        "tars:http_request_latency:p95:1m", "tars:http_request_latency:p99:1m",
        "tars:http_error_rate:1m", "tars:http_client_error_rate:1m"]),
    ("tars_database_aggregations", 30, [
        "tars:db_query_duration:p95:1m", "tars:db_connections:active", "tars:db_transaction_rate:1m",
        "tars:db_rows_fetched_rate:1m", "tars:db_cache_hit_rate"]),
    ("tars_redis_aggregations", 15, [
        "tars:redis_commands_rate:1m", "tars:redis_hit_rate", "tars:redis_memory_utilization",
        "tars:redis_connected_clients:current"]),
    ("tars_multiregion_aggregations", 30, [
        "tars:evaluation_rate:global:1m", "tars:evaluation_latency:global:p95:1m",
        "tars:evaluation_share:by_region", "tars:replication_lag:max"]),
    ("tars_slo_compliance", 60, [
        "tars:slo:api_latency_p95:compliance:1h", "tars:slo:error_rate:compliance:1h",
        "tars:slo:evaluation_success:compliance:1h"]),
]
ALL_RULES = [name for _, _, names in RULE_GROUPS for name in names]
# the rule names the staging suite queries (docs/suite-coverage.md)
STAGING_RULES = ["tars:evaluation_rate:1m", "tars:evaluation_latency:p95:1m",
                 "tars:evaluation_success_rate:1m", "tars:agent_reward:avg:1h",
                 "tars:queue_depth:current", "tars:http_request_rate:1m",
                 "tars:http_request_latency:p95:1m", "tars:http_error_rate:1m"]
# metrics of exporters nobody runs next to tars serve, and the original's wrong names
FOREIGN_METRIC = re.compile(r"\b(?<!tars_)(http_requests_total|http_request_duration_seconds\w*|"
                            r"container_\w+|pg_stat\w*|redis_\w+|tars_eval_queue_depth|"
                            r"tars_queue_\w+|tars_replication_lag_seconds|tars_agent_epsilon|"
                            r"tars_agent_training_steps_total|tars_agent_\w+_loss)\b")


def rule_file_structure(path):
    """[(group, interval_seconds, [record names])] read from the shipped file's own layout."""
    groups = []
    with open(path) as f:
        for line in f:
            m = re.match(r"^  - name: (\S+)\s*$", line)
            if m:
                groups.append([m.group(1), None, []])
                continue
            m = re.match(r"^    interval: (\d+)s\s*$", line)
            if m and groups:
                groups[-1][1] = int(m.group(1))
                continue
            m = re.match(r"^      - record: (\S+)\s*$", line)
            if m and groups:
                groups[-1][2].append(m.group(1))
    return [tuple(g) for g in groups]


class RulesFileTest(unittest.TestCase):
    """The shipped rules file on its own: promtool, and the original names, groups, intervals."""

    def test_promtool_accepts_all_46_rules(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.fail("promtool not found: install the Debian package prometheus")
        r = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 46 rules found", r.stdout)

    def test_original_names_groups_and_intervals(self):
        self.assertEqual(rule_file_structure(RULES), RULE_GROUPS)

    def test_promtool_rejects_a_broken_copy(self):
        """The promtool test can fail: the original's `rate(...) by (...)` shape is refused."""
        promtool = shutil.which("promtool")
        if not promtool:
            self.fail("promtool not found: install the Debian package prometheus")
        with open(RULES) as f:
            text = f.read()
        broken = text.replace("expr: sum by (region) (rate(tars_evaluation_total[1m]))",
                              "expr: rate(tars_evaluation_total[1m]) by (region)", 1)
        self.assertNotEqual(broken, text)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(broken)
            f.flush()
            r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True,
                               text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unexpected <by>", r.stdout + r.stderr)


class Stub503(http.server.BaseHTTPRequestHandler):
    """Answers everything with 503 and a Prometheus-style error body."""

    def do_GET(self):
        body = b'{"status":"error","errorType":"unavailable","error":"stub is down"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class StackTest(unittest.TestCase):
    maxDiff = 6000

    @classmethod
    def setUpClass(cls):
        promstack.tars_bin()
        cls.servers, cls.prom, cls.traffic, cls.stub = [], None, None, None
        cls.tmp = tempfile.mkdtemp(prefix="tars-validate-it-")
        try:
            cls.start_stack()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_stack(cls):
        cls.stable = harness.Server().start()
        cls.servers.append(cls.stable)
        cls.canary = harness.Server().start()
        cls.servers.append(cls.canary)
        cls.prom = promstack.Prometheus(["127.0.0.1:%d,deployment=stable" % cls.stable.port,
                                         "127.0.0.1:%d,deployment=canary" % cls.canary.port])
        cls.traffic = promstack.Traffic([cls.stable, cls.canary], error_servers=[cls.canary])
        cls.traffic.start()
        cls.stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub503)
        threading.Thread(target=cls.stub.serve_forever, daemon=True).start()
        cls.wait_for_data()

    @classmethod
    def wait_for_data(cls):
        """Until both targets are up, every rule group has been evaluated (the 60 s group
        first runs up to a minute after start), and the 1 m rate rules have values."""
        p = cls.prom
        wait_until("both targets up", lambda: len([s for s in p.query('up{job="tars"}')
                                                   if s["value"][1] == "1"]) == 2, 30)

        def evaluated():
            groups = p.rule_groups()
            return len(groups) == 9 and all(r["health"] != "unknown" for g in groups for r in g["rules"])
        wait_until("every rule group evaluated", evaluated, 150)
        for rule in ("tars:http_request_rate:1m", "tars:evaluation_success_rate:1m",
                     'tars:http_request_latency:p95:1m{endpoint="/health"}'):
            wait_until("data in %s" % rule, lambda: [s for s in p.query(rule) if s["value"][1] != "NaN"], 60)

    @classmethod
    def tearDownClass(cls):
        if cls.traffic:
            cls.traffic.stop()
        if cls.stub:
            cls.stub.shutdown()
            cls.stub.server_close()
        if cls.prom:
            cls.prom.close()
        for s in cls.servers:
            s.stop()
            s.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ------------------------------------------------------------ helpers

    def suite(self, name, checks, api_headers=None):
        api = {"base_url": "http://127.0.0.1:%d" % self.stable.port}
        if api_headers:
            api["headers"] = api_headers
        return {
            "suite": name,
            "variables": {"VIEWER_TOKEN": {"secret": True}, "DEV_TOKEN": {"secret": True}},
            "defaults": {"timeout": "20s"},
            "targets": {"api": api, "prometheus": {"url": self.prom.url}},
            "checks": [dict({"category": c.get("category", "monitoring")}, **c) for c in checks],
        }

    def validate(self, name, checks, api_headers=None):
        tokens = [("VIEWER_TOKEN", self.stable.token("viewer")), ("DEV_TOKEN", self.stable.token("developer"))]
        return run_validate(self.suite(name, checks, api_headers), self.tmp, tokens)

    # ------------------------------------------------------------ the rules in Prometheus

    def test_rules_loaded_with_original_groups_and_healthy(self):
        groups = [(g["name"], int(g["interval"]), [r["name"] for r in g["rules"]]) for g in self.prom.rule_groups()]
        self.assertEqual(sorted(groups), sorted(RULE_GROUPS))
        bad = ["%s: %s %s" % (r["name"], r["health"], r.get("lastError", ""))
               for g in self.prom.rule_groups() for r in g["rules"] if r["health"] != "ok"]
        self.assertEqual(bad, [])

    def test_every_rule_has_data_from_tars_serve(self):
        """Every one of the 46 rules yields series from what tars serve really exports. A rule
        whose group first ran before its inputs had two samples waits for its next run (up to
        60 s later for tars_slo_compliance), so poll."""
        def empty():
            return [name for name in ALL_RULES if not self.prom.query(name)]
        try:
            wait_until("data in every rule", lambda: not empty(), 130, interval=1.0)
        except AssertionError:
            self.fail("rules without data: %s" % empty())

    def test_every_metric_the_rules_read_is_exported(self):
        text = self.stable.get("/metrics").text
        families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        queries = [r["query"] for g in self.prom.rule_groups() for r in g["rules"]]
        read = set()
        for q in queries:
            self.assertIsNone(FOREIGN_METRIC.search(q), "a rule reads a metric nobody exports: " + q)
            self.assertNotIn("namespace=", q)
            for m in re.findall(r"\b((?:tars|process)_[a-z_]+)\b", q):
                read.add(re.sub(r"_(bucket|sum|count)$", "", m) if m not in families else m)
        self.assertTrue(read)
        self.assertEqual(sorted(read - families), [], "exported families: %s" % sorted(families))

    # ------------------------------------------------------------ checks: healthy

    def test_healthy_stack_passes_every_check(self):
        checks = [
            {"id": "api-health", "category": "health", "type": "http", "path": "/health",
             "expect": {"status": 200, "json": [{"path": "status", "in": ["healthy", "ok"]},
                                                {"path": "version", "contains": "1.0.1"}],
                        "body_contains": "HEALTHY", "case_insensitive": True}},
            # targets.api.headers sends the viewer token; this check sends no Authorization at all
            {"id": "api-auth-required", "category": "api", "type": "http", "path": "/api/v1/agents",
             "headers": {"Authorization": ""},
             "expect": {"status": 401, "header_present": ["WWW-Authenticate"]}},
            {"id": "api-agents-latency", "category": "api", "type": "http", "path": "/api/v1/agents",
             "expect": {"json": [{"path": "agents", "min_length": 1}]},
             "latency": {"samples": 20, "percentile": 95, "below_ms": 500, "only_status": 200}},
            {"id": "api-post-evaluation", "category": "api", "type": "http", "method": "POST",
             "path": "/api/v1/evaluations", "headers": {"Authorization": "Bearer ${DEV_TOKEN}"},
             "body": {"agent_id": "ppo-agent-1", "region": "eu-west-1", "status": "completed"},
             "expect": {"status": 201, "header_present": ["Location"],
                        "json": [{"path": "region", "equals": "eu-west-1"}]}},
            {"id": "prom-up", "type": "prometheus", "query": 'up{job="tars"}',
             "condition": {"op": "==", "value": 1}},
            {"id": "prom-rule-has-data", "type": "prometheus", "query": "tars:http_request_rate:1m"},
            {"id": "prom-rule-latency", "type": "prometheus",
             "query": 'tars:http_request_latency:p95:1m{endpoint="/health"} * 1000', "condition": "< 150"},
            {"id": "rules-staging", "type": "prometheus_rules", "names": STAGING_RULES},
            {"id": "rules-file", "type": "prometheus_rules", "file": RULES},
            {"id": "rule-health", "type": "prometheus_rule_health", "group_prefix": "tars_", "max_ms": 1000},
            # GETs only: a POST waits for its group commit, whose fsync a busy CI disk may slow
            {"id": "slo-latency", "category": "slo", "type": "slo", "objective": "latency",
             "selector": 'method="GET"'},
            {"id": "slo-latency-by-endpoint", "category": "slo", "type": "slo", "objective": "latency",
             "by": ["endpoint"], "selector": 'endpoint=~"/health|/api/v1/agents"', "window": "1m"},
            {"id": "slo-errors", "category": "slo", "type": "slo", "objective": "error_rate"},
            {"id": "slo-evaluations", "category": "slo", "type": "slo", "objective": "evaluation_success",
             "selector": 'deployment="stable"'},
            {"id": "ppo-memory", "category": "ppo", "type": "ppo", "selector": 'job="tars"'},
            {"id": "ppo-growth", "category": "ppo", "type": "ppo", "objective": "growth", "window": "1m",
             "threshold": 1000000},
            {"id": "canary", "category": "canary", "type": "canary", "max_p95_ratio": 3},
        ]
        run = self.validate("healthy", checks, api_headers={"Authorization": "Bearer ${VIEWER_TOKEN}"})
        statuses = {cid: c["status"] for cid, c in run.checks.items()}
        self.assertEqual(statuses, {c["id"]: "pass" for c in checks}, run.describe())
        self.assertEqual(run.rc, promstack.EXIT_OK, run.describe())
        reasons = {cid: c["reason"] for cid, c in run.checks.items()}
        self.assertRegex(reasons["api-agents-latency"], r"^p95 [0-9.]+ ms < 500 ms over 20 samples$")
        self.assertRegex(reasons["prom-up"], r"^2 series, value all == 1")
        self.assertEqual(reasons["rules-staging"], "all 8 rules loaded (46 in prometheus)")
        self.assertEqual(reasons["rules-file"], "all 46 rules loaded (46 in prometheus)")
        self.assertRegex(reasons["rule-health"], r"^9 groups, 46 rules healthy; slowest ")
        self.assertRegex(reasons["slo-latency"], r"^p95 latency [0-9.e+-]+ ms < 150 ms$")
        self.assertRegex(reasons["slo-latency-by-endpoint"], r"^2 series, p95 latency all < 150 ms")
        self.assertEqual(reasons["slo-errors"], "5xx ratio 0 < 0.01")
        self.assertEqual(reasons["slo-evaluations"], "evaluation success ratio 1 > 0.99")
        self.assertRegex(reasons["ppo-memory"], r"^2 series, memory all < 1024 MiB")
        self.assertRegex(reasons["canary"], r"^canary 5xx ratio 0, p95 [0-9.]+ ms \(stable 0, [0-9.]+ ms\)$")
        for secret in (self.stable.token("viewer"), self.stable.token("developer")):
            self.assertNotIn(secret, run.stdout + run.stderr + json.dumps(run.report))

    # ------------------------------------------------------------ checks: broken

    def test_broken_states_fail_with_the_reason(self):
        stub = "http://127.0.0.1:%d" % self.stub.server_address[1]
        cases = [
            ({"id": "b-status", "type": "http", "path": "/api/v1/agents", "expect": {"status": 200}},
             "fail", "answered 401, expected 200: "),
            ({"id": "b-json", "type": "http", "path": "/health",
              "expect": {"json": [{"path": "status", "equals": "down"}]}},
             "fail", 'answered 200, but json status is "healthy", expected "down"'),
            ({"id": "b-latency", "type": "http", "path": "/health", "latency": {"samples": 5, "below_ms": 0.001}},
             "fail", "expected < 0.001 ms (5 samples"),
            ({"id": "b-refused", "type": "http", "url": "http://127.0.0.1:1/health"},
             "error", "http://127.0.0.1:1/health: "),
            ({"id": "b-503", "type": "http", "url": stub + "/health"},
             "fail", "answered 503, expected 2xx"),
            ({"id": "b-no-429", "type": "http", "path": "/api/v1/version",
              "expect_status_within": {"status": 429, "requests": 3}},
             "fail", "no 429 in 3 requests (answers: 200 x3)"),
            ({"id": "b-prom-condition", "type": "prometheus", "query": 'up{job="tars"}', "condition": "< 0.5"},
             "fail", "2 of 2 series: value not < 0.5: up{"),
            ({"id": "b-prom-no-data", "type": "prometheus", "query": "tars_metric_nobody_exports"},
             "error", "no data: the query returned no series"),
            ({"id": "b-prom-no-data-fail", "type": "prometheus", "query": "tars_metric_nobody_exports",
              "on_empty": "fail"}, "fail", "no data (on_empty: fail): the query returned no series"),
            ({"id": "b-prom-no-data-skip", "type": "prometheus", "query": "tars_metric_nobody_exports",
              "on_empty": "skip"}, "skip", "no data (on_empty: skip): the query returned no series"),
            ({"id": "b-prom-bad-promql", "type": "prometheus", "query": "sum(rate(up[5m])"},
             "error", "prometheus answered 400 to /api/v1/query: "),
            ({"id": "b-prom-503", "type": "prometheus", "url": stub, "query": "up", "retries": 2,
              "retry_delay": "100ms"}, "error", "prometheus answered 503 to /api/v1/query: stub is down"),
            ({"id": "b-rules-missing", "type": "prometheus_rules",
              "names": STAGING_RULES + ["tars:does_not_exist:1m"]},
             "fail", "1 of 9 rules missing: tars:does_not_exist:1m"),
            ({"id": "b-rule-slow", "type": "prometheus_rule_health", "group_prefix": "tars_",
              "max_ms": 0.000001}, "fail", " took "),
            ({"id": "b-rule-group-missing", "type": "prometheus_rule_health",
              "groups": ["tars_api_aggregations", "tars_gone"]}, "fail", "group tars_gone not loaded"),
            ({"id": "b-slo-latency", "type": "slo", "objective": "latency", "threshold": 0.0001},
             "fail", "p95 latency "),
            ({"id": "b-slo-canary-evaluations", "type": "slo", "objective": "evaluation_success",
              "selector": 'deployment="canary"'}, "fail", ", expected > 0.99"),
            ({"id": "b-slo-no-data", "type": "slo", "objective": "error_rate", "selector": 'endpoint="/nope"'},
             "error", "no data: the query returned no series"),
            ({"id": "b-slo-no-data-skip", "type": "slo", "objective": "error_rate",
              "selector": 'endpoint="/nope"', "on_empty": "skip"}, "skip", "no data (on_empty: skip)"),
            ({"id": "b-ppo-memory", "type": "ppo", "threshold": 0.001}, "fail", "memory not < 0.001 MiB"),
            ({"id": "b-ppo-container", "type": "ppo", "source": "container"},
             "error", "no data: the query returned no series"),
            ({"id": "b-canary-ratio", "type": "canary", "max_p95_ratio": 0.1}, "fail", "x stable's"),
            ({"id": "b-canary-absent", "type": "canary", "canary": "nonexistent"},
             "error", "no data: no canary traffic in the window"),
            ({"id": "b-canary-absent-skip", "type": "canary", "canary": "nonexistent", "on_empty": "skip"},
             "skip", "no canary traffic in the window"),
        ]
        run = self.validate("broken", [c for c, _, _ in cases])
        problems = []
        for check, status, text in cases:
            got = run.checks.get(check["id"])
            if not got or got["status"] != status or text not in got["reason"]:
                problems.append("%s: expected %s with %r, got %s" % (
                    check["id"], status, text, got and (got["status"], got["reason"])))
        self.assertEqual(problems, [], run.describe())
        self.assertEqual(run.checks["b-prom-503"]["attempts"], 3, run.describe())
        self.assertEqual(run.checks["b-503"]["attempts"], 1, run.describe())
        self.assertIn(run.rc, (promstack.EXIT_FAILED, promstack.EXIT_INCONCLUSIVE), run.describe())

    def test_rate_limit_check_sees_429_and_never_retries_it(self):
        limited = harness.Server(rate_public=5, wait="tcp").start()
        self.servers.append(limited)
        base = "http://127.0.0.1:%d" % limited.port
        run = self.validate("rate-limit", [
            {"id": "rl-429", "category": "security", "type": "http", "url": base + "/api/v1/version",
             "expect_status_within": {"status": 429, "requests": 30},
             "expect": {"header_present": ["Retry-After", "X-RateLimit-Limit"]}},
        ])
        self.assertEqual(run.checks["rl-429"]["status"], "pass", run.describe())
        self.assertRegex(run.checks["rl-429"]["reason"], r"^answered 429 after [0-9]+ requests$")
        n = int(re.search(r"after ([0-9]+) requests", run.checks["rl-429"]["reason"]).group(1))
        self.assertTrue(5 < n <= 7, run.describe())
        run = self.validate("no-retry", [
            {"id": "rl-no-retry", "category": "security", "type": "http", "url": base + "/api/v1/version",
             "retries": 3, "retry_delay": "100ms"},
        ])
        got = run.checks["rl-no-retry"]
        self.assertEqual((got["status"], got["attempts"]), ("fail", 1), run.describe())
        self.assertIn("answered 429, expected 2xx", got["reason"])
        self.assertEqual(run.rc, promstack.EXIT_FAILED, run.describe())


if __name__ == "__main__":
    unittest.main()
