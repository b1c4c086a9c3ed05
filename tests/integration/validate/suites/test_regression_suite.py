"""suites/regression.yaml against a real local stack (localstack.py: tars serve --demo on SQLite,
a real Prometheus with the shipped rules, traffic) plus the Grafana/Jaeger double of
tests/fixtures, run through the original command line (--environment local --namespace --version
--canary-endpoint): every selected check passes or is a documented skip. Then broken stacks, each
failing with its reason:

- a slowed endpoint (tests/fixtures/http_fixture.py --delay) as the canary: the canary latency
  check fails naming its p95;
- a field removed: api_compat against a snapshot of "the previous version" that had one more
  field fails naming it;
- an index dropped (sqlite3 DROP INDEX): both index checks fail naming it;
- a stopped service: the checks that talk to it are errors (connection refused), never passes.

Selected out (they need what a local stack has not): the orchestration agent's /health, the PPO
container memory series (cAdvisor) and the Jaeger operations list of the Redis consumer.

The rules are the shipped file with every group's interval cut to 1 s, so that every group has
been evaluated within seconds (the shipped intervals go up to 60 s); names and expressions are
the shipped ones.
"""

import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import localstack  # noqa: E402
from localstack import (EXIT_FAILED, EXIT_INCONCLUSIVE, HOST, RULES, ROOT, SUITES,  # noqa: E402
                        LocalStack, harness, note, run_suite)
from test_staging_fixtures import Fixture  # noqa: E402

REGRESSION = os.path.join(SUITES, "regression.yaml")
SNAPSHOT = os.path.join(ROOT, "tests", "fixtures", "api-snapshot-v1.0.1.json")
DATA_TIMEOUT = 40
DROPPED_INDEX = "idx_api_keys_user_active"
NEEDS_INFRA = {"regression.e2e.orchestration_healthy", "regression.ppo.memory_ceiling",
               "regression.ppo.memory_growth", "regression.jaeger.redis_streams_tracing"}
# skip: in the suite (a tool measures them), and on_empty: skip without a canary or replication.
SKIPS = {"regression.websocket.reconnection_benchmark", "regression.websocket.manual_refresh_rate",
         "regression.ppo.buffer_clearing",
         "regression.ppo.tensorflow_graph_cleanup", "regression.e2e.evaluation_pushed",
         "regression.rollback.data_integrity", "regression.upgrade.zero_downtime",
         "regression.upgrade.migrations_idempotent", "regression.upgrade.config_compat",
         "regression.performance.baseline_comparison", "regression.canary.error_rate",
         "regression.canary.memory"}
# With the server stopped these must be errors (refused), never a pass or a plain failure.
SERVER_CHECKS = ["regression.websocket.reconnection_e2e", "regression.websocket.ping_pong",
                 "regression.database.api_latency_p95", "regression.e2e.auth_missing_token",
                 "regression.rollback.service_health", "regression.upgrade.api_compat"]


def fast_rules(workdir):
    """The shipped rules with every interval 1 s (text edit: no YAML library needed)."""
    with open(RULES) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(\s*interval:\s*)\S+", r"\g<1>1s", text)
    assert n >= 9, "expected an interval per group, found %d" % n
    path = os.path.join(workdir, "rules-fast.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def seed_evaluations(db_path, count):
    """count completed evaluations, straight into tars serve's SQLite file (WAL: safe beside it)."""
    now = int(time.time() * 1000)
    con = sqlite3.connect(db_path, timeout=10)
    con.executemany(
        "INSERT INTO evaluations (id, agent_id, region, status, reward, duration_ms, details, "
        "created_at, updated_at, timestamp) VALUES (?, ?, ?, 'completed', 0.5, 20, NULL, ?, ?, ?)",
        [("seed-%d" % i, "seed-agent-%d" % (i % 50), "us-east-1", now - i, now - i, now - i)
         for i in range(count)])
    con.commit()
    con.close()


def api_key(server, admin_token):
    body = json.dumps({"service_name": "regression-suite", "role": "viewer"}).encode()
    req = urllib.request.Request("http://%s:%d/api/v1/admin/api-keys" % (HOST, server.port),
                                 data=body, method="POST",
                                 headers={"Authorization": "Bearer " + admin_token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        key = json.loads(resp.read().decode())["api_key"]
    harness.register_secret(key)
    return key


class RegressionSuiteTest(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        localstack.tars_bin()
        self.work = tempfile.mkdtemp(prefix="tars-regression-it-")
        self.stack = None
        self.fixtures = []
        self.addCleanup(self.cleanup)

    def cleanup(self):
        for f in self.fixtures:
            f.close()
        if self.stack is not None:
            self.stack.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def start_fixture(self, script, *args):
        f = Fixture(script, *args)
        self.fixtures.append(f)
        return f

    def run_regression(self, only, canary_url=None, snapshot=SNAPSHOT, extra=(), limits=()):
        server = self.stack.server
        api_url = "http://%s:%d" % (HOST, server.port)
        variables = [("API_URL", api_url), ("PROMETHEUS_URL", self.stack.prom.url),
                     ("DATABASE_URL", self.stack.database_url()), ("API_SNAPSHOT", snapshot),
                     ("GRAFANA_URL", "http://%s:%d" % (HOST, self.grafana.port)),
                     ("JAEGER_URL", "http://%s:%d" % (HOST, self.jaeger.port)),
                     ("HEARTBEAT_WITHIN", "3s"), ("PANEL_STEP", "1s")]
        if os.environ.get("TARS_SANITIZED") == "ON" or os.environ.get("TARS_UNDER_LOAD") == "1":
            # The 5 ms median and the 100 ms p95 are the optimized build's targets on a machine
            # that has its cores (met there: ~1.4 ms and a few ms); under ASan beside other tests
            # one run measured 8 ms, and with stress-ng holding both cores (make
            # check-under-load) 15.6 ms and more than 100 ms. Here the checks themselves are
            # tested: they still time 100 requests each and judge them against these limits.
            # Prometheus's own answers the same way: its instant query (150 ms) and panel range
            # queries (200 ms) measured 153-395 ms early in loaded runs, beside the suite's other
            # checks (8 at once) on the same two cores; they are still timed and judged.
            variables += [("API_KEY_P50_MS", "50"), ("API_P95_MS", "1000"),
                          ("QUERY_P95_MS", "1000"), ("PANEL_QUERY_P95_MS", "1000")]
        variables += list(limits)
        argv = ["--environment", "local", "--namespace", "tars", "--version", "v1.0.1",
                "--canary-endpoint", canary_url or api_url] + list(extra)
        for o in only:
            argv += ["--only", o]
        return run_suite(REGRESSION, variables, self.work, env_extra=self.secrets, extra=argv)

    def selection(self):
        checks = []
        with open(REGRESSION) as f:
            for line in f:
                m = re.match(r"\s*- id: (regression\.[a-z0-9_.]+)$", line)
                if m and m.group(1) not in NEEDS_INFRA:
                    checks.append(m.group(1))
        self.assertGreaterEqual(len(checks), 40)
        return checks

    def test_healthy_passes_and_broken_stacks_fail_with_reasons(self):
        t0 = time.monotonic()
        self.stack = LocalStack(serve_args=["--ws-heartbeat", "1s"], rules=fast_rules(self.work))
        server = self.stack.server
        self.grafana = self.start_fixture("grafana_jaeger_fixture.py", "--state", "healthy",
                                          "--token", "grafana-key-0123")
        self.jaeger = self.start_fixture("grafana_jaeger_fixture.py", "--state", "healthy")
        seed_evaluations(os.path.join(server.data_dir, "tars.db"), 5000)
        self.secrets = {"TARS_API_TOKEN": server.token("viewer"),
                        "TARS_WRITE_TOKEN": server.token("developer"),
                        "TARS_API_KEY": api_key(server, server.token("admin")),
                        "TARS_ADMIN_TOKEN": server.token("admin"),
                        "GRAFANA_API_KEY": "grafana-key-0123"}
        waited = self.stack.wait_for_data(DATA_TIMEOUT)
        # The panel checks' range queries (1 s steps) need a step after each rule's first sample.
        panels = ["%s[1h:1s]" % r for r in ("tars:evaluation_rate:1m", "tars:evaluation_latency:p95:1m",
                                             "tars:http_request_latency:p95:1m")]
        # regression.e2e.multi_region_replication reads a rate over two write-batch scrapes.
        wanted = panels + ["tars:replication_lag:max"]
        localstack.promstack.wait_until("panel range queries and replication lag with data",
                                        lambda: all(self.stack.prom.query(q) for q in wanted), 20)
        note("stack ready after %.1f s" % waited)
        only = self.selection()

        # ---- healthy, through the original command line
        run = self.run_regression(only)
        self.assertTrue(run.checks, run.describe())
        self.assertEqual(sorted(run.checks), sorted(only), run.describe())
        not_passing = {i: c["status"] for i, c in run.not_passing().items()}
        self.assertEqual(not_passing, {i: "skip" for i in SKIPS}, run.describe())
        self.assertEqual(run.rc, 0, run.describe())
        self.assertIn("environment local", run.stdout)
        for cid in ("regression.rollback.data_integrity", "regression.upgrade.zero_downtime"):
            self.assertRegex(run.checks[cid]["reason"], r"tars (db-integrity|release)")
        for secret in self.secrets.values():
            self.assertNotIn(secret, run.stdout + run.stderr)
        note("healthy: %d checks, wall %.0f ms, sum %.0f ms" % (len(run.checks), run.wall_ms(),
                                                                 run.sum_ms()))

        # ---- broken: a slowed canary, a removed field, a dropped index
        slow = self.start_fixture("http_fixture.py", "ok", "--delay", "0.3")
        old = os.path.join(self.work, "snapshot-with-removed-field.json")
        with open(SNAPSHOT) as f:
            snap = json.load(f)
        removed = self.add_field_to_version(snap)
        with open(old, "w") as f:
            json.dump(snap, f)
        con = sqlite3.connect(os.path.join(server.data_dir, "tars.db"), timeout=10)
        con.execute("DROP INDEX %s" % DROPPED_INDEX)
        con.commit()
        con.close()
        broken_only = ["regression.canary.latency", "regression.upgrade.api_compat",
                       "regression.database.indexes_deployed", "regression.database.all_indexes_valid",
                       "regression.websocket.reconnection_e2e"]
        broken = self.run_regression(broken_only, canary_url="http://%s:%d" % (HOST, slow.port),
                                     snapshot=old)
        self.assertEqual(broken.rc, EXIT_FAILED, broken.describe())
        c = broken.checks
        self.assertEqual(c["regression.canary.latency"]["status"], "fail", broken.describe())
        self.assertRegex(c["regression.canary.latency"]["reason"], r"p95 \d+\.\d ms, expected < 200 ms")
        self.assertEqual(c["regression.upgrade.api_compat"]["status"], "fail", broken.describe())
        self.assertIn(removed, c["regression.upgrade.api_compat"]["reason"])
        for cid in ("regression.database.indexes_deployed", "regression.database.all_indexes_valid"):
            self.assertEqual(c[cid]["status"], "fail", broken.describe())
            self.assertIn(DROPPED_INDEX, c[cid]["reason"])
        self.assertEqual(c["regression.websocket.reconnection_e2e"]["status"], "pass")

        # ---- the Prometheus query limits are variables, and still judged: below any answer's time
        queries = ["regression.grafana.query_execution_time",
                   "regression.grafana.panel_query_evaluation_rate"]
        tight = self.run_regression(queries, limits=[("QUERY_P95_MS", "0.001"),
                                                     ("PANEL_QUERY_P95_MS", "0.001")])
        self.assertEqual(tight.rc, EXIT_FAILED, tight.describe())
        for cid in queries:
            self.assertEqual(tight.checks[cid]["status"], "fail", tight.describe())
            self.assertRegex(tight.checks[cid]["reason"], r"p95 \d+\.\d+ ms, expected < 0\.001 ms",
                             tight.describe())

        # ---- broken: the service stopped
        self.stack.stop_server()
        stopped = self.run_regression(SERVER_CHECKS)
        self.assertEqual(stopped.rc, EXIT_INCONCLUSIVE, stopped.describe())
        for cid in SERVER_CHECKS:
            self.assertEqual(stopped.checks[cid]["status"], "error", stopped.describe())
        note("broken stacks failed as expected; test took %.1f s" % (time.monotonic() - t0))

    @staticmethod
    def add_field_to_version(snap):
        """Adds a field to the stored shape of GET /api/v1/version: the running API lacks it, as if
        the new version had removed it. Returns the field's name."""
        for key, ep in snap["endpoints"].items():
            if key.endswith("/api/v1/version"):
                shape = ep.get("shape") or ep.get("body") or ep
                break
        else:
            raise AssertionError("no /api/v1/version in the snapshot: %s" % list(snap["endpoints"])[:10])
        target = shape
        if isinstance(target, dict) and "keys" in target:
            target = target["keys"]
        if isinstance(target, dict) and "fields" in target:
            target = target["fields"]
        target["build_channel"] = "string"
        return "build_channel"


if __name__ == "__main__":
    unittest.main()
