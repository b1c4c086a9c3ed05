"""suites/staging.yaml's kubernetes category against the cluster the chart really makes.

The release is what the real helm (tools/bin, pinned) renders for release/staging.yaml's stable
install, taken from `helm install --dry-run=client -o json` against the stand-in (which answers
/version and discovery as an API server does). The stand-in serves those objects with a healthy
cluster's status fields, and Helm's storage secret of the release; real `helm history` and
`kubectl rollout status` read them. Then each --fault of the stand-in must fail exactly the
checks it breaks, with a reason naming the object.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import chart
import standin

TARS = os.environ.get("TARS_BIN", "")
SUITE = os.path.join(chart.ROOT, "suites", "staging.yaml")
CHECKS = ["namespace_exists", "all_deployments_ready", "no_failed_pods", "all_services_exist",
          "helm_release_version", "config_maps_present", "secrets_present",
          "persistent_volumes_bound", "ingress_configured", "resource_limits_set"]
# fault → {check: a piece of its reason}
FAULTS = {
    "namespace-terminating": {"namespace_exists": "Terminating"},
    "rollout-stuck": {"all_deployments_ready": "tars-dashboard-api", "no_failed_pods": "Pending"},
    "crash-loop": {"all_deployments_ready": "2/3", "no_failed_pods": "Failed"},
    "release-failed": {"helm_release_version": "status failed"},
    "service-missing": {"all_services_exist": "tars-dashboard-api"},
    "configmap-missing": {"config_maps_present": "tars-recording-rules"},
    "secret-missing": {"secrets_present": "tars-jwt-secret"},
    "pvc-pending": {"persistent_volumes_bound": "data-tars-postgres-0"},
    "ingress-no-tls": {"ingress_configured": "TLS"},
    "limits-missing": {"resource_limits_set": "tars-dashboard-api"},
}


def setUpModule():
    global WORK, RELEASE
    if not (TARS and os.access(TARS, os.X_OK)):
        raise AssertionError("TARS_BIN must name the tars binary")
    WORK = tempfile.mkdtemp(prefix="tars-standin.")
    RELEASE = standin.dry_run_release(WORK)


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


class KubernetesCategory(unittest.TestCase):
    def cluster(self, *faults):
        args = ["--release", RELEASE, "--namespace", "tars-staging"]
        for f in faults:
            args += ["--fault", f]
        fx = standin.Fixture("k8s_fixture.py", *args)
        self.addCleanup(fx.close)
        return standin.kubeconfig(os.path.join(WORK, "k-%d.kubeconfig" % fx.port), fx.port)

    def validate(self, kubeconfig):
        out = os.path.join(WORK, "result.json")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
        r = subprocess.run([TARS, "validate", SUITE, "--only", "kubernetes", "--var",
                            "KUBECONFIG=" + kubeconfig, "--format", "json:" + out],
                           capture_output=True, text=True, timeout=120, env=env,
                           stdin=subprocess.DEVNULL)
        self.assertTrue(os.path.exists(out), "tars validate exited %d without a result:\n%s"
                        % (r.returncode, r.stdout + r.stderr))
        with open(out) as f:
            checks = {c["id"].rsplit(".", 1)[1]: c
                      for s in json.load(f)["suites"] for c in s["checks"]}
        return r, checks

    def tool(self, kubeconfig, argv):
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=WORK,
                              env=dict(os.environ, KUBECONFIG=kubeconfig, HELM_CACHE_HOME=WORK,
                                       HELM_CONFIG_HOME=WORK, HELM_DATA_HOME=WORK))

    def test_release_is_the_charts(self):
        with open(RELEASE) as f:
            rel = json.load(f)
        self.assertEqual(rel["name"], "tars")
        self.assertEqual(rel["chart"]["metadata"]["appVersion"], "1.0.1")
        self.assertIn("kind: Deployment", rel["manifest"])
        self.assertIn("name: tars-dashboard-api", rel["manifest"])

    def test_healthy_cluster_passes_and_real_clients_read_it(self):
        kc = self.cluster()
        r, checks = self.validate(kc)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(sorted(checks), sorted(CHECKS))
        for name, c in checks.items():
            self.assertEqual(c["status"], "pass", "%s: %s" % (name, c.get("reason")))
        # Helm's own client decodes the stored release secret
        h = self.tool(kc, [chart.HELM, "history", "tars", "-n", "tars-staging", "-o", "json"])
        self.assertEqual(h.returncode, 0, h.stderr)
        hist = json.loads(h.stdout)
        self.assertEqual([(x["revision"], x["status"], x["app_version"]) for x in hist],
                         [(1, "deployed", "1.0.1")])
        k = self.tool(kc, [chart.KUBECTL, "-n", "tars-staging", "rollout", "status",
                           "deployment/tars-dashboard-api", "--timeout=20s"])
        self.assertEqual(k.returncode, 0, k.stdout + k.stderr)
        self.assertIn("successfully rolled out", k.stdout)

    def test_each_unhealthy_cluster_fails_with_its_reason(self):
        for fault, expected in FAULTS.items():
            with self.subTest(fault=fault):
                r, checks = self.validate(self.cluster(fault))
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                failed = {n for n, c in checks.items() if c["status"] != "pass"}
                self.assertEqual(failed, set(expected), r.stdout)
                for name, piece in expected.items():
                    self.assertEqual(checks[name]["status"], "fail", r.stdout)
                    self.assertIn(piece, checks[name]["reason"], r.stdout)

    def test_a_stuck_rollout_fails_kubectl_and_a_failed_release_shows_in_helm(self):
        kc = self.cluster("rollout-stuck", "release-failed")
        k = self.tool(kc, [chart.KUBECTL, "-n", "tars-staging", "rollout", "status",
                           "deployment/tars-dashboard-api", "--timeout=3s"])
        self.assertNotEqual(k.returncode, 0, k.stdout)
        self.assertIn("1 of 3 updated replicas are available", k.stdout + k.stderr)
        h = self.tool(kc, [chart.HELM, "status", "tars", "-n", "tars-staging", "-o", "json"])
        self.assertEqual(h.returncode, 0, h.stderr)
        self.assertEqual(json.loads(h.stdout)["info"]["status"], "failed")


if __name__ == "__main__":
    unittest.main()
