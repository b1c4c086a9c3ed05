"""`tars validate` kubernetes checks against tests/fixtures/k8s_fixture.py (standard library only).

Each test starts the fixture on a free 127.0.0.1 port over HTTPS (certificates made here with the
openssl command for this run), writes a kubeconfig, runs `tars validate k8s.yaml --format
json:FILE` and reads every check's status and reason. Healthy: every check passes, exit 0.
Broken: every check fails naming what is wrong, exit 1. Client certificates, paging, a wrong
token and an untrusted server certificate are covered too.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "..", "..", "fixtures", "k8s_fixture.py")
SUITE = os.path.join(HERE, "k8s.yaml")
TARS = os.environ.get("TARS_BIN", "tars")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TOKEN = "fixture-token-9f86d081884c7d65"
RUN_TIMEOUT = 60

# What each check must say on the broken cluster (a substring of its reason).
BROKEN = {
    "k8s.namespace_exists": 'namespace "tars-staging": Terminating',
    "k8s.deployments_ready": 'deployment "tars-dashboard-api": 1/3 ready',
    "k8s.pods_running": 'pod "tars-dashboard-api-5d8f7c9b4-m4q9z": Pending',
    "k8s.api_pods_running": 'pod "tars-dashboard-api-5d8f7c9b4-c8w3d" container '
                            '"dashboard-api": not ready',
    "k8s.pods_no_crashloop": 'pod "tars-dashboard-api-5d8f7c9b4-c8w3d" container '
                             '"dashboard-api": CrashLoopBackOff (7 restarts)',
    "k8s.pod_restarts": 'container "dashboard-api": 7 restarts (max 2)',
    "k8s.services_present": 'service "tars-hypersync-service" not found',
    "k8s.configmaps_present": 'config map "tars-recording-rules" not found',
    "k8s.prometheus_recording_rules": 'config map "prometheus-config": key "prometheus.yml" '
                                      'does not contain "recording_rules.yaml"',
    "k8s.secrets_present": 'secret "tars-redis-password" not found',
    "k8s.pvcs_bound": 'pvc "tars-redis-data": Pending',
    "k8s.ingress": 'ingress "tars": no TLS',
    "k8s.resources_set": 'deployment "tars-dashboard-frontend" container "dashboard-frontend": '
                         'no limits',
    "k8s.hpa": 'hpa "tars-dashboard-api-hpa": minReplicas 1 < 2',
    "k8s.pdb": 'pdb "tars-dashboard-api-pdb": neither minAvailable nor maxUnavailable set',
    "k8s.endpoints_ready": 'service "tars-dashboard-api": no ready endpoints (1 not ready)',
    "security.roles": '0 roles, expected at least 1',
    "security.network_policies": '0 network policies, expected at least 1',
    "database.backups_configured": 'cron job "backup" not found',
    "security.non_root": 'pod "tars-redis-5d8f7c9b4-x7k2p" container "redis": runs as root '
                         '(runAsUser 0)',
    "security.pod_security_context": 'pod "tars-redis-5d8f7c9b4-x7k2p": no pod securityContext',
    "k8s.version_labels": 'pod "tars-backend-5d8f7c9b4-x7k2p": app.kubernetes.io/version=1.0.0 '
                          '(expected v1.0.1)',
    "k8s.helm_release": 'helm release "tars" revision 3: status failed (expected deployed)',
    "health.dashboard_api": 'service "tars-dashboard-api" /health: status 503 (expected 200): '
                            'no endpoints available for service "tars-dashboard-api"',
}


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "2",
            "-subj", "/CN=" + name, cwd=d)


def make_leaf(d, ca, name, ext):
    with open(os.path.join(d, name + ".ext"), "w", encoding="utf-8") as f:
        f.write(ext + "\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext",
            cwd=d)


class Fixture:
    """One k8s_fixture.py process; stopped by stop() (registered as a cleanup)."""

    def __init__(self, d, state, *extra):
        # A fresh file per fixture: id(self) can repeat once an earlier fixture
        # is freed, and its log would then be read as this one's.
        fd, self.log = tempfile.mkstemp(prefix="requests-%s-" % state, suffix=".log", dir=d)
        os.close(fd)
        self.proc = subprocess.Popen(
            [PYTHON, "-B", FIXTURE, "--state", state, "--lifetime", "120", "--log", self.log,
             "--tls-cert", os.path.join(d, "server.crt"),
             "--tls-key", os.path.join(d, "server.key"), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "port":
            self.stop()
            raise RuntimeError("fixture did not start: %r" % line)
        self.port = int(line[1])

    def requests(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return f.read().splitlines()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class KubernetesChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tars-k8s-")
        d = cls.dir = cls.tmp.name
        make_ca(d, "ca")
        make_ca(d, "other-ca")
        make_leaf(d, "ca", "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth")
        make_leaf(d, "ca", "client", "extendedKeyUsage=clientAuth")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def start(self, state, *extra):
        fx = Fixture(self.dir, state, *extra)
        self.addCleanup(fx.stop)
        return fx

    def kubeconfig(self, name, port, cluster, user):
        """A kubeconfig with context "fixture"; a decoy current-context points nowhere useful."""
        path = os.path.join(self.dir, name + ".kubeconfig")
        cfg = {
            "apiVersion": "v1", "kind": "Config", "current-context": "decoy",
            "contexts": [{"name": "decoy", "context": {"cluster": "nowhere", "user": "nobody"}},
                         {"name": "fixture", "context": {"cluster": "fx", "user": "me",
                                                         "namespace": "default"}}],
            "clusters": [{"name": "nowhere", "cluster": {"server": "https://127.0.0.1:1"}},
                         {"name": "fx", "cluster": dict(server="https://127.0.0.1:%d" % port,
                                                        **cluster)}],
            "users": [{"name": "nobody", "user": {}}, {"name": "me", "user": user}],
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=1)  # JSON is YAML
        return path

    def ca_data(self, name="ca"):
        with open(os.path.join(self.dir, name + ".crt"), "rb") as f:
            return base64.b64encode(f.read()).decode()

    def validate(self, kubeconfig):
        """(exit code, {id: (status, reason)}, stdout + stderr)."""
        out = os.path.join(self.dir, "result-%d.json" % id(kubeconfig))
        proc = subprocess.run([TARS, "validate", SUITE, "--var", "KUBECONFIG=" + kubeconfig,
                               "--format", "json:" + out, "--parallel", "8"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        text = proc.stdout + proc.stderr
        if proc.returncode == 3:
            self.fail("tars validate refused the suite:\n" + text)
        with open(out, encoding="utf-8") as f:
            report = json.load(f)
        checks = {c["id"]: (c["status"], c["reason"]) for s in report["suites"]
                  for c in s["checks"]}
        with open(out, encoding="utf-8") as f:
            text += f.read()
        return proc.returncode, checks, text

    def assert_all(self, checks, status):
        self.assertEqual(set(checks), set(BROKEN), "the suite and this test disagree")
        wrong = {k: v for k, v in checks.items() if v[0] != status}
        self.assertEqual(wrong, {}, "checks that did not %s" % status)

    def test_healthy_token_and_ca_data(self):
        fx = self.start("healthy", "--token", TOKEN)
        cfg = self.kubeconfig("token", fx.port, {"certificate-authority-data": self.ca_data()},
                              {"token": TOKEN})
        rc, checks, text = self.validate(cfg)
        self.assert_all(checks, "pass")
        self.assertEqual(rc, 0, text)
        self.assertIn("revision 3: deployed, chart 1.0.1", checks["k8s.helm_release"][1])
        self.assertEqual(checks["k8s.deployments_ready"][1], "5 deployments ready")
        self.assertEqual(checks["k8s.api_pods_running"][1], "6 pods running")
        self.assertNotIn(TOKEN, text)

    def test_broken_each_fails_with_its_reason(self):
        fx = self.start("broken", "--token", TOKEN)
        cfg = self.kubeconfig("token", fx.port, {"certificate-authority-data": self.ca_data()},
                              {"token": TOKEN})
        rc, checks, text = self.validate(cfg)
        self.assert_all(checks, "fail")
        for check_id, want in BROKEN.items():
            with self.subTest(check=check_id):
                self.assertIn(want, checks[check_id][1])
        self.assertEqual(rc, 1, text)

    def test_client_certificate_files_and_paging(self):
        fx = self.start("healthy", "--token", TOKEN, "--client-ca",
                        os.path.join(self.dir, "ca.crt"), "--page-size", "2")
        cfg = self.kubeconfig("cert", fx.port, {"certificate-authority": "ca.crt"},
                              {"client-certificate": os.path.join(self.dir, "client.crt"),
                               "client-key": "client.key"})
        rc, checks, text = self.validate(cfg)
        self.assert_all(checks, "pass")
        self.assertEqual(rc, 0, text)
        paths = fx.requests()
        self.assertTrue(any("continue=" in p for p in paths), "no list was paged")
        self.assertIn("/api/v1/namespaces/tars-staging/pods?limit=500&labelSelector="
                      "app.kubernetes.io%2Fname%3Dtars%2Capp%20in%20%28tars-dashboard-api%2C%20"
                      "tars-backend%29", paths)
        self.assertIn("/api/v1/namespaces/tars-staging/services/tars-dashboard-api:3001/proxy"
                      "/health", paths)

    def test_wrong_token_errors_without_leaking_it(self):
        fx = self.start("healthy", "--token", TOKEN)
        cfg = self.kubeconfig("wrong", fx.port, {"certificate-authority-data": self.ca_data()},
                              {"token": "wrong-token-e3b0c442"})
        rc, checks, text = self.validate(cfg)
        self.assert_all(checks, "error")
        self.assertIn("401 unauthorized", checks["k8s.pods_running"][1])
        self.assertEqual(rc, 2, text)
        self.assertNotIn("wrong-token-e3b0c442", text)

    def test_untrusted_server_certificate_errors(self):
        fx = self.start("healthy", "--token", TOKEN)
        cfg = self.kubeconfig("untrusted", fx.port,
                              {"certificate-authority-data": self.ca_data("other-ca")},
                              {"token": TOKEN})
        rc, checks, text = self.validate(cfg)
        self.assert_all(checks, "error")
        self.assertEqual(rc, 2, text)
        self.assertEqual(fx.requests(), [], "a request went through an untrusted TLS session")


if __name__ == "__main__":
    unittest.main()
