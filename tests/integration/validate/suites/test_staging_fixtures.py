"""suites/staging.yaml's Kubernetes, service-proxy, Grafana, Jaeger and WebSocket checks, exactly
as shipped, against the API doubles of tests/fixtures (Kubernetes, Grafana and Jaeger cannot run
here): every one passes on the healthy state, and on the broken state the ones the fixture breaks
fail with the right reason while the rest still pass. The other staging checks (Prometheus, SLO,
database, plain HTTP) are the same types local.yaml runs against a real stack.
"""

import os
import subprocess
import sys
import tempfile
import shutil
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from localstack import ROOT, SUITES, note, run_suite  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
STAGING = os.path.join(SUITES, "staging.yaml")
PROXIED = ["orchestration_agent", "insight_engine", "adaptive_policy_learner",
           "meta_consensus_optimizer", "causal_inference_engine", "automl_pipeline",
           "hypersync_service", "dashboard_api"]
ONLY = (["kubernetes", "grafana", "jaeger", "websocket"] +
        ["staging.service_health." + s for s in PROXIED] +
        ["staging.service_health.grafana_accessible", "staging.ppo.ppo_agent_no_restarts",
         "staging.canary.canary_deployment_exists"])
SELECTION = [a for o in ONLY for a in ("--only", o)]

# On the broken state (see the fixtures' docstrings): check id → a piece of its reason.
BROKEN = {
    "staging.kubernetes.namespace_exists": "Terminating",
    "staging.kubernetes.all_deployments_ready": "tars-dashboard-api",
    "staging.kubernetes.no_failed_pods": "Pending",
    "staging.kubernetes.all_services_exist": "tars-hypersync-service",
    "staging.kubernetes.helm_release_version": "failed",
    "staging.kubernetes.config_maps_present": "tars-recording-rules",
    "staging.kubernetes.secrets_present": "tars-redis-password",
    "staging.kubernetes.persistent_volumes_bound": "tars-redis-data",
    "staging.kubernetes.ingress_configured": "TLS",
    "staging.kubernetes.resource_limits_set": "tars-dashboard-frontend",
    "staging.service_health.hypersync_service": "not found",
    "staging.service_health.dashboard_api": "503",
    "staging.service_health.grafana_accessible": "503",
    "staging.grafana.dashboard_load_time": "not found",
    "staging.grafana.recording_rules_used": "not found",
    "staging.websocket.websocket_connection": "init",
    "staging.websocket.websocket_heartbeat": "init",
}


class Fixture:
    """One fixture process; its port from the first line of its output."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen([sys.executable, "-B", os.path.join(FIXTURES, script)] +
                                     list(args) + ["--lifetime", "120"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "port":
            self.close()
            raise AssertionError("%s printed %r instead of its port" % (script, line))
        self.port = int(line[1])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc.stdout.close()


class StagingAgainstFixtures(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tars-suites-stg-")
        self.fixtures = []
        self.addCleanup(self.cleanup)

    def cleanup(self):
        for f in self.fixtures:
            f.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def start(self, script, *args):
        f = Fixture(script, *args)
        self.fixtures.append(f)
        return f

    def kubeconfig(self, port):
        path = os.path.join(self.work, "kubeconfig-%d" % port)
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: fixture\n"
                    "clusters:\n- name: fixture\n  cluster:\n    server: http://127.0.0.1:%d\n"
                    "contexts:\n- name: fixture\n  context: {cluster: fixture, user: tester}\n"
                    "users:\n- name: tester\n  user: {token: fixture-token-0123}\n" % port)
        return path

    def run_staging(self, state, ws_mode):
        k8s = self.start("k8s_fixture.py", "--state", state, "--namespace", "tars-staging",
                         "--token", "fixture-token-0123")
        grafana = self.start("grafana_jaeger_fixture.py", "--state", state, "--token",
                             "grafana-key-0123", "--slow-ms", "50")
        jaeger = self.start("grafana_jaeger_fixture.py", "--state", state)
        ws = self.start("ws_fixture.py", "--mode", ws_mode, "--heartbeat", "1")
        variables = [("KUBECONFIG", self.kubeconfig(k8s.port)),
                     ("GRAFANA_URL", "http://127.0.0.1:%d" % grafana.port),
                     ("JAEGER_URL", "http://127.0.0.1:%d" % jaeger.port),
                     ("WS_URL", "ws://127.0.0.1:%d/ws" % ws.port)]
        run = run_suite(STAGING, variables, self.work, env_extra={"GRAFANA_API_KEY": "grafana-key-0123"},
                        extra=SELECTION)
        self.assertTrue(run.checks, run.describe())
        self.assertNotIn("grafana-key-0123", run.stdout + run.stderr)
        return run

    def test_healthy_passes(self):
        run = self.run_staging("healthy", "healthy")
        selected = run.checks
        self.assertEqual(len(selected), 28, run.describe())
        failing = {i: c for i, c in selected.items() if c["status"] != "pass"}
        # The fixture has no PPO pods, which the suite requires (min_count: 1: a measured
        # "no"), and no canary, which the suite allows (on_empty: skip).
        self.assertEqual(sorted(failing), ["staging.canary.canary_deployment_exists",
                                           "staging.ppo.ppo_agent_no_restarts"], run.describe())
        self.assertEqual(failing["staging.canary.canary_deployment_exists"]["status"], "skip")
        self.assertEqual(failing["staging.ppo.ppo_agent_no_restarts"]["status"], "fail")
        self.assertIn("0 pods, expected at least 1", failing["staging.ppo.ppo_agent_no_restarts"]["reason"])
        self.assertEqual(run.rc, 1, run.describe())
        note("staging on healthy fixtures: wall %.0f ms, sum %.0f ms" % (run.wall_ms(), run.sum_ms()))

    def test_broken_fails_with_reasons(self):
        run = self.run_staging("broken", "chatty")
        self.assertEqual(run.rc, 1, run.describe())
        for cid, piece in BROKEN.items():
            c = run.checks[cid]
            self.assertEqual(c["status"], "fail", "%s:\n%s" % (cid, run.describe()))
            self.assertIn(piece, c["reason"], "%s:\n%s" % (cid, run.describe()))
        # No traces at all: continuity cannot be judged (no data is inconclusive).
        c = run.checks["staging.jaeger.trace_continuity_multi_region"]
        self.assertEqual(c["status"], "error", run.describe())
        self.assertIn("no data", c["reason"], run.describe())
        self.assertIn("no traces", c["reason"], run.describe())
        for s in PROXIED:
            cid = "staging.service_health." + s
            if cid not in BROKEN:
                self.assertEqual(run.checks[cid]["status"], "pass", "%s:\n%s" % (cid, run.describe()))
        for cid in ("staging.grafana.dashboard_exists", "staging.jaeger.jaeger_accessible"):
            self.assertEqual(run.checks[cid]["status"], "pass", "%s:\n%s" % (cid, run.describe()))


if __name__ == "__main__":
    unittest.main()
