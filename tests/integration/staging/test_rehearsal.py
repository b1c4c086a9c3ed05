"""The staging rehearsal: `tars release --config release/staging.yaml` end to end on this machine.

Every external endpoint of the staging gate is a local one:
- the staging API: `tars serve` on a throw-away PostgreSQL (tests/integration/pg_harness.sh),
  behind HTTPS with a self-signed certificate (standin.TlsFront; in the cluster the Ingress
  terminates TLS), reached with -k / TLS_INSECURE=true;
- Prometheus: the real one (Debian package), scraping that server every second with the shipped
  deploy/prometheus/recording_rules.yaml (tests/integration/validate/suites/localstack.py, which
  also sends steady authenticated traffic so that the rules have data);
- Kubernetes: the stand-in serving the release the real helm renders for release/staging.yaml
  (standin.py; Helm's storage secret, discovery and /version included);
- Grafana and Jaeger: tests/fixtures/grafana_jaeger_fixture.py; the dashboard frontend (another
  team's) a one-page HTTP stand-in; Slack and GitHub: a local webhook.

helm and kubectl are the real, pinned binaries (tools/bin), in the forms that need no cluster or
that the stand-in can answer. The config run is release/staging.yaml with exactly these changes
(rehearsal_config below; each must apply, or the test fails):
- deploy: `helm upgrade --install … --atomic --wait --timeout 10m` becomes `… --dry-run=client
  --disable-openapi-validation`: helm reads the stored release from the stand-in and renders
  revision 2 of the packaged chart, but nothing is applied, no pod starts, and no OpenAPI schema
  validation runs (the stand-in serves none);
- wait: ready_url polling verifies TLS and has no -k, so a `curl -k` step polls /ready instead;
  `kubectl rollout status` runs as shipped against the stand-in;
- validate: the checks in NOT_RUN are left out: staging.ppo.ppo_agent_memory_usage (it reads
  cAdvisor's container_memory_working_set_bytes, which nothing here exports: no kubelet) and
  staging.slo.api_p95_latency (the latency of a loopback server on a shared CI machine, possibly a
  sanitizer build, says nothing about staging's; the error-rate and success SLOs still run);
- perf: the load test runs 15 s with 20 users instead of 5 min with 100, the WebSocket stress 5 s
  with 20 connections instead of 300 s with 100, both with -k; the scenario's p95 limits are 1 s
  instead of 150 ms (error_rate<1% kept): the server measured is a loopback `tars serve` on a
  shared CI machine, possibly a sanitizer build, whose latency says nothing about staging's;
- rollback: helm rollback/uninstall with --dry-run; notify: GitHub's API URL is the local webhook.
The gate must approve (exit 0, decision approved, no failed check; helm really read the stored
release and rendered revision 2; kubectl really saw the rollout complete; no secret in any output
or log). The report (`tars report --gate`) must be APPROVED or INCONCLUSIVE naming only evidence
release/staging.yaml itself does not collect: reconnects (its WebSocket stress forces none) and
the database benchmark (it runs no db-bench); NOT APPROVED is accepted only when every reason is
the loopback server's latency against the report's fixed targets (endpoint p95 < 150 ms, API p95
< 100 ms), which an overloaded CI machine can miss. What the rehearsal cannot judge at all, whatever
the report says: the two checks left out (above), real scheduling, image pulls, probes,
NetworkPolicies, the Ingress controller, PVC provisioning and a real helm --atomic rollback.
"""

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

import yaml

import chart
import standin

ROOT = chart.ROOT
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "validate", "suites"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "validate"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "api"))
TARS = os.environ.get("TARS_BIN", "")
# checks of suites/staging.yaml the rehearsal leaves out, and why
NOT_RUN = {
    "staging.ppo.ppo_agent_memory_usage":
        "reads cAdvisor's container_memory_working_set_bytes; no kubelet here",
    "staging.slo.api_p95_latency":
        "judges the p95 of a loopback tars serve on a shared (in CI also sanitizer) machine, "
        "which says nothing about staging's latency",
}
GRAFANA_KEY = "grafana-key-rehearsal-0123"


class Page(http.server.BaseHTTPRequestHandler):
    """The dashboard frontend's stand-in (not part of tars) and the Slack/GitHub webhook."""
    posts = []

    def do_GET(self):
        body = b"<!doctype html><title>T.A.R.S. Dashboard</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Page.posts.append(self.path)
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def replace_once(text, pattern, repl, what):
    out, n = re.subn(pattern, repl, text)
    if n == 0:
        raise AssertionError("rehearsal: release/staging.yaml changed; no match for %s (%r)"
                             % (what, pattern))
    return out


def rehearsal_config(path, webhook):
    """release/staging.yaml with the documented changes (module docstring)."""
    cfg = chart.load_yaml(chart.RELEASE_CONFIG)
    for step in cfg["deploy"]["steps"]:
        step["run"] = replace_once(step["run"], r"(--atomic )?--wait --timeout \S+;",
                                   "--dry-run=client --disable-openapi-validation;", "helm --wait")
    for step in cfg["rollback"]["steps"]:
        step["run"] = replace_once(step["run"], r"(helm (rollback|uninstall) [^;&]*?)--wait --timeout \S+",
                                   r"\1--dry-run", "helm rollback")
    ready = cfg["wait"].pop("ready_url")
    cfg["wait"]["steps"].insert(0, {"name": "ready (curl -k)", "run":
                                    "curl -fsSk -o /dev/null --max-time 5 --retry 60 --retry-delay 1 "
                                    "--retry-all-errors %s" % ready})
    validate = cfg["validate"]["steps"]
    if len(validate) != 1 or validate[0]["tars"][:2] != ["validate", "suites/staging.yaml"]:
        raise AssertionError("rehearsal: release/staging.yaml's validate step changed: %r" % validate)
    suite = chart.load_yaml(os.path.join(ROOT, "suites", "staging.yaml"))
    ids = [c["id"] for c in suite["checks"]]
    if len(ids) < 40 or not set(NOT_RUN) <= set(ids):
        raise AssertionError("suites/staging.yaml lost checks: %s" % ids)
    # whole categories where nothing is left out, else the category's other checks one by one
    skipped = {c["category"] for c in suite["checks"] if c["id"] in NOT_RUN}
    for c in suite["checks"]:
        if c["category"] not in skipped:
            if c["category"] not in validate[0]["tars"]:
                validate[0]["tars"] += ["--only", c["category"]]
        elif c["id"] not in NOT_RUN:
            validate[0]["tars"] += ["--only", c["id"]]
    load, ws = cfg["perf"]["steps"]
    if load["tars"][0] != "load" or ws["tars"][0] != "ws-stress":
        raise AssertionError("rehearsal: the perf steps changed: %r" % cfg["perf"]["steps"])
    load["tars"] += ["-k", "--duration", "15s", "--users", "20", "--spawn-rate", "20"]
    # the scenario with its p95 limits at 1 s (error_rate<1% kept): see the module docstring
    scenario_path = os.path.join(ROOT, load["tars"][1])
    with open(scenario_path) as f:
        scenario, count = re.subn(r'(?m)^(  - "\w+:p95)<150ms"$', r'\1<1s"', f.read())
    if count != 3 or 'error_rate<1%' not in scenario:
        raise AssertionError("rehearsal: %s's thresholds changed" % scenario_path)
    load["tars"][1] = os.path.join(os.path.dirname(path), "tars-api.yaml")
    with open(load["tars"][1], "w") as f:
        f.write(scenario)
    args = ws["tars"]
    args[args.index("--connections") + 1] = 20
    args[args.index("--duration") + 1] = "5s"
    args.append("-k")
    cfg["notify"]["github"]["api_url"] = webhook
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path, len(ids)


class StagingRehearsal(unittest.TestCase):
    def setUp(self):
        if not (TARS and os.access(TARS, os.X_OK)):
            self.fail("TARS_BIN must name the tars binary")
        chart.need_tools()
        import harness
        import localstack
        from test_local_suite import PgInstance

        self.work = tempfile.mkdtemp(prefix="tars-rehearsal.")
        os.chmod(self.work, 0o755)
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        pg = PgInstance()
        self.addCleanup(pg.close)
        self.stack = localstack.LocalStack(db=harness.fresh_pg_database(pg.url),
                                           serve_args=["--ws-heartbeat", "1s"])
        self.addCleanup(self.stack.close)
        self.front = standin.TlsFront(self.work, self.stack.server.port)
        self.addCleanup(self.front.close)
        release = standin.dry_run_release(self.work)
        self.k8s = standin.Fixture("k8s_fixture.py", "--release", release,
                                   "--namespace", "tars-staging")
        self.addCleanup(self.k8s.close)
        self.grafana = standin.Fixture("grafana_jaeger_fixture.py", "--state", "healthy",
                                       "--token", GRAFANA_KEY)
        self.addCleanup(self.grafana.close)
        self.jaeger = standin.Fixture("grafana_jaeger_fixture.py", "--state", "healthy")
        self.addCleanup(self.jaeger.close)
        self.page = http.server.ThreadingHTTPServer(
            ("127.0.0.1", standin.port_outside_ephemeral()), Page)
        threading.Thread(target=self.page.serve_forever, daemon=True).start()
        self.addCleanup(self.page.server_close)
        self.addCleanup(self.page.shutdown)
        self.server = self.stack.server
        self.stack.wait_for_data(120)

    def test_release_staging_yaml_end_to_end(self):
        page = "http://127.0.0.1:%d" % self.page.server_address[1]
        cfg, listed = rehearsal_config(os.path.join(self.work, "rehearsal.yaml"), page + "/github")
        base = "https://127.0.0.1:%d" % self.front.port
        kubeconfig = standin.kubeconfig(os.path.join(self.work, "kubeconfig"), self.k8s.port)
        run_dir = os.path.join(self.work, "run")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
        secrets = {"TARS_API_TOKEN": self.server.token("developer"),
                   "TARS_LOAD_USERNAME": "developer",
                   "TARS_LOAD_PASSWORD": self.server.password("developer"),
                   "GRAFANA_API_KEY": GRAFANA_KEY, "GITHUB_TOKEN": "github-token-rehearsal-0123",
                   "TARS_GITHUB_DEPLOYMENT_ID": "4242",
                   "SLACK_WEBHOOK_URL": page + "/slack"}
        env.update(secrets)
        env.update({
            "PATH": os.path.join(ROOT, "tools", "bin") + os.pathsep + env.get("PATH", ""),
            "KUBECONFIG": kubeconfig, "HELM_CACHE_HOME": self.work,
            "HELM_CONFIG_HOME": self.work, "HELM_DATA_HOME": self.work,
            "TLS_INSECURE": "true", "WS_URL": base.replace("https", "wss") + "/ws",
            "STAGING_URL": page, "PROMETHEUS_URL": self.stack.prom.url,
            "GRAFANA_URL": "http://127.0.0.1:%d" % self.grafana.port,
            "JAEGER_URL": "http://127.0.0.1:%d" % self.jaeger.port,
            "DATABASE_URL": self.stack.database_url()})
        r = subprocess.run([TARS, "release", "--config", cfg, "--base-url", base, "--run", run_dir],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
                           stdin=subprocess.DEVNULL)
        out = r.stdout + r.stderr
        logs = ""
        for name in sorted(os.listdir(os.path.join(run_dir, "logs"))) if os.path.isdir(
                os.path.join(run_dir, "logs")) else []:
            with open(os.path.join(run_dir, "logs", name), errors="replace") as f:
                logs += "--- %s ---\n%s\n" % (name, f.read()[-3000:])
        for s in secrets.values():
            self.assertNotIn(s, out + logs, "a secret reached the output or a log")
        self.assertEqual(r.returncode, 0, "tars release exited %d\n%s\n%s" % (r.returncode, out, logs))
        with open(os.path.join(run_dir, "run.json")) as f:
            run = json.load(f)
        decision = run["decisions"][0]
        self.assertEqual(decision["decision"], "approved", decision)
        counts = run["checks"]["counts"]
        self.assertEqual(counts.get("fail", 0), 0, counts)
        self.assertGreaterEqual(counts["pass"], listed - len(NOT_RUN) - 2, counts)
        with open(os.path.join(run_dir, "logs", "deploy.log"), errors="replace") as f:
            deploy = f.read()
        self.assertIn('Release "tars" has been upgraded', deploy)   # helm read revision 1
        self.assertIn("REVISION: 2", deploy)
        with open(os.path.join(run_dir, "logs", "wait.log"), errors="replace") as f:
            self.assertIn('deployment "tars-dashboard-api" successfully rolled out', f.read())
        with open(os.path.join(run_dir, "report.md")) as f:
            report = f.read()
        self.assertIn("1.0.1", report)
        g = subprocess.run([TARS, "report", run_dir, "--gate"], capture_output=True, text=True,
                           timeout=60)
        print("\n--- tars report --gate (exit %d) ---\n%s%s" % (g.returncode, g.stdout, g.stderr),
              file=sys.stderr)
        # APPROVED, or INCONCLUSIVE naming only evidence release/staging.yaml does not collect
        # (its WebSocket stress forces no reconnect; it runs no db-bench). The report judges
        # latency by its own fixed targets (endpoint p95 < 150 ms, API p95 < 100 ms): on an
        # overloaded machine the loopback server misses them, and NOT APPROVED is accepted only
        # when every reason is one of those latency figures (printed above).
        reasons = [line.strip()[2:] for line in g.stdout.splitlines() if line.startswith("  - ")]
        not_measured = (r"^TARS-100[14]: partial, \d of \d criteria measured; not measured: "
                        r"(the WebSocket run forced no reconnect|no database benchmark recorded)")
        latency = (r"^(TARS-1004: API p95 [\d.]+ ms \(target < 100 ms\)|"
                   r"\S+: p95 [\d.]+ ms is not under 150 ms)$")
        if g.returncode == 0:
            self.assertIn("recommendation: APPROVED", g.stdout)
        elif g.returncode == 2:
            self.assertIn("recommendation: INCONCLUSIVE", g.stdout)
            self.assertTrue(reasons, g.stdout)
            for reason in reasons:
                self.assertRegex(reason, not_measured, g.stdout)
        else:
            self.assertEqual(g.returncode, 1, g.stdout + g.stderr)
            self.assertTrue(reasons, g.stdout)
            for reason in reasons:
                self.assertRegex(reason, not_measured + "|" + latency, g.stdout)
            self.assertTrue(any(re.match(latency, r) for r in reasons), g.stdout)
        print("\n--- rehearsal summary ---\n" + out[-1500:], file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
