"""suites/local.yaml against a real local stack (localstack.py): every check passes on the healthy
stack; then the server is stopped and an index dropped, and the suite must exit 1 with exactly the
right checks failing or erroring, each for the right reason.

Prints the figure the validate issue asks for: the suite's wall time and the sum of its check
times (wall ≈ the slowest check, not the sum).

TARS_SUITE_DB=postgres runs the same on a throw-away PostgreSQL (tests/integration/pg_harness.sh,
path in TARS_PG_HARNESS), with enough rows that the planner's choice of an index means something.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import localstack  # noqa: E402
from localstack import (CORS_ORIGIN, EXIT_FAILED, LOCAL_SUITE, LocalStack, harness,  # noqa: E402
                        note, run_suite)

DATA_TIMEOUT = 75          # s: the slowest rule group evaluates every 60 s
DROPPED_INDEX = "idx_telemetry_timestamp"

# Checks that talk to tars serve itself: with the server stopped each must be an error
# (connection refused, retried once as transient), never a pass or a plain failure.
API_CHECKS = ["local.api.health", "local.api.ready", "local.api.version",
              "local.api.auth_required_agents", "local.api.auth_required_evaluations",
              "local.api.token_accepted", "local.api.agents", "local.api.agent_detail",
              "local.api.evaluations", "local.api.missions", "local.api.metrics_query",
              "local.api.feature_flags", "local.api.cors_preflight", "local.api.response_time",
              "local.api.metrics_exposition", "local.api.auth_rate_limit"]
# Checks that must still pass with the server down: Prometheus itself, and what it holds.
STILL_PASSING = ["local.monitoring.prometheus_healthy", "local.monitoring.recording_rules_loaded",
                 "local.database.reachable", "local.database.explain_missions"]


class PgInstance:
    """tests/integration/pg_harness.sh start/stop in a temporary directory."""

    def __init__(self):
        self.sh = os.environ.get("TARS_PG_HARNESS") or os.path.join(
            localstack.ROOT, "tests", "integration", "pg_harness.sh")
        self.tmp = tempfile.mkdtemp(prefix="tars-suites-pg-")
        os.chmod(self.tmp, 0o755)   # as root the cluster belongs to "postgres"
        self.dir = os.path.join(self.tmp, "pg")
        r = subprocess.run(["bash", self.sh, "start", self.dir], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0 or not r.stdout.strip():
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise AssertionError("pg_harness start failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
        self.url = r.stdout.strip().splitlines()[-1]

    def close(self):
        subprocess.run(["bash", self.sh, "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)


def seed_postgres(url):
    """Rows enough that an index scan beats a sequential one (the demo seeds a handful)."""
    harness.psql_query(url, """
        INSERT INTO missions (id, name, status, agent_id, created_at, updated_at)
        SELECT 'bulk-' || g, 'bulk mission ' || g,
               CASE WHEN g % 100 = 0 THEN 'active' ELSE 'completed' END,
               'policy', 1700000000000 + g, 1700000000000 + g
        FROM generate_series(1, 50000) g;
        INSERT INTO evaluations (id, agent_id, region, status, reward, duration_ms, details,
                                 created_at, updated_at, timestamp)
        SELECT 'bulk-' || g, 'bulk-agent-' || (g % 500), 'region-' || (g % 7), 'completed',
               0.5, 20, NULL, 1700000000000 + g, 1700000000000 + g, 1700000000000 + g
        FROM generate_series(1, 50000) g;
        ANALYZE missions;
        ANALYZE evaluations;
    """)


class LocalSuiteTest(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        localstack.tars_bin()
        self.work = tempfile.mkdtemp(prefix="tars-suites-it-")
        self.pg = None
        self.stack = None
        self.addCleanup(self.cleanup)

    def cleanup(self):
        if self.stack is not None:
            self.stack.close()
        if self.pg is not None:
            self.pg.close()
        if os.environ.get("TARS_TEST_KEEP"):
            note("kept %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def start_stack(self):
        db = None
        if os.environ.get("TARS_SUITE_DB") == "postgres":
            self.pg = PgInstance()
            db = harness.fresh_pg_database(self.pg.url)
        self.stack = LocalStack(db=db)
        if db:
            seed_postgres(db)
        return self.stack

    def variables(self, stack):
        v = [("API_URL", "http://%s:%d" % (localstack.HOST, stack.server.port)),
             ("PROMETHEUS_URL", stack.prom.url),
             ("DATABASE_URL", stack.database_url()),
             ("CORS_ORIGIN", CORS_ORIGIN)]
        if os.environ.get("TARS_UNDER_LOAD") == "1":
            # make check-under-load: with stress-ng holding both cores the loopback server's
            # p95 of 20 requests measured 237 ms; the check is still timed and judged, against
            # a limit a starved machine keeps (the 100 ms target holds on a machine with cores)
            v.append(("API_P95_MS", "1000"))
        return v

    def run_local(self, stack, token):
        # The token goes through the environment (TARS_API_TOKEN), not argv.
        return run_suite(LOCAL_SUITE, self.variables(stack), self.work,
                         env_extra={"TARS_API_TOKEN": token})

    def drop_index(self, stack):
        if stack.server.db:
            harness.psql_query(stack.server.db, "DROP INDEX %s" % DROPPED_INDEX)
        else:
            con = sqlite3.connect(os.path.join(stack.server.data_dir, "tars.db"))
            con.execute("DROP INDEX %s" % DROPPED_INDEX)
            con.commit()
            con.close()

    def test_healthy_stack_passes_then_broken_stack_fails(self):
        t_start = time.monotonic()
        stack = self.start_stack()
        token = stack.server.token("viewer")
        waited = stack.wait_for_data(DATA_TIMEOUT)
        note("stack ready after %.1f s (rule groups evaluated, queried rules have data)" % waited)

        # ---- healthy: exit 0, every check passes
        run = self.run_local(stack, token)
        self.assertTrue(run.checks, "no JSON report:\n" + run.describe())
        note("suites/local.yaml (%s, %d checks): wall %.0f ms (process %.0f ms), sum of check "
             "times %.0f ms" % (harness.backend() if not stack.server.db else "postgres",
                                len(run.checks), run.wall_ms(), run.wall_s * 1000, run.sum_ms()))
        slowest = sorted(run.checks.values(), key=lambda c: -c.get("duration_ms", 0))[:3]
        note("slowest checks: " + ", ".join("%s %.0f ms" % (c["id"], c["duration_ms"])
                                            for c in slowest))
        self.assertEqual(run.rc, 0, "healthy stack:\n" + run.describe())
        self.assertEqual(run.not_passing(), {}, run.describe())
        self.assertGreaterEqual(len(run.checks), 30, run.describe())
        self.assertIn("429", run.checks["local.api.auth_rate_limit"]["reason"])
        self.assertEqual(run.checks["local.api.auth_rate_limit"]["attempts"], 1)
        self.assertIn("46 rules", run.checks["local.monitoring.recording_rules_loaded"]["reason"])
        self.assertEqual(stack.traffic.failures, [], "traffic failed: %s" % stack.traffic.failures)
        for secret in [token]:
            self.assertNotIn(secret, run.stdout + run.stderr)

        # ---- broken: the server stops, an index goes missing
        stack.stop_server()
        self.drop_index(stack)
        stack.wait_scrape_down()
        broken = self.run_local(stack, token)
        self.assertEqual(broken.rc, EXIT_FAILED, "broken stack:\n" + broken.describe())
        c = broken.checks
        for cid in API_CHECKS:
            self.assertEqual(c[cid]["status"], "error", "%s:\n%s" % (cid, broken.describe()))
            self.assertEqual(c[cid]["attempts"], 1 if cid == "local.api.auth_rate_limit" else 2,
                             "%s: a refused connection is transient (retried once), except in "
                             "the rate-limit check:\n%s" % (cid, broken.describe()))
        self.assertEqual(c["local.monitoring.target_up"]["status"], "fail", broken.describe())
        self.assertIn("0", c["local.monitoring.target_up"]["reason"])
        self.assertEqual(c["local.database.indexes_exist"]["status"], "fail", broken.describe())
        self.assertIn(DROPPED_INDEX, c["local.database.indexes_exist"]["reason"])
        for cid in STILL_PASSING:
            self.assertEqual(c[cid]["status"], "pass", "%s:\n%s" % (cid, broken.describe()))
        note("broken stack: exit %d, %d failed, %d errors, wall %.0f ms; test took %.1f s"
             % (broken.rc, sum(1 for x in c.values() if x["status"] == "fail"),
                sum(1 for x in c.values() if x["status"] == "error"), broken.wall_ms(),
                time.monotonic() - t_start))


if __name__ == "__main__":
    unittest.main()
