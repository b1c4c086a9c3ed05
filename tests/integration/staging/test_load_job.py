"""deploy/k8s/load-job.yaml, the distributed load (Indexed Job + `tars load merge`), run here.

- The manifests are read by the real kubectl (`apply --dry-run=client`) against the Kubernetes
  stand-in, which answers discovery as an API server does (no OpenAPI schema is served, so
  kubectl's schema validation is off; yamllint checks the file in tests/lint).
- The worker container's exact command line (its `sh -c` script, as shipped) runs as N local
  processes, N being the Job's completions, each with JOB_COMPLETION_INDEX=i and the Job's env;
  then the merge Job's init container and its container, exactly as shipped. What differs from
  the cluster is only where things are: `tars` is the built binary (first on PATH), the volume
  /results is a temporary directory and /usr/share/tars (the image's files) one holding the
  shipped scenario shortened to 6 s and 8 users (5 min with 100 in the image); TARGET is a local
  `tars serve` instead of the Service tars-dashboard-api:3001 (the contract test checks that
  Service and port against the rendered chart).
The merged result must combine the N worker files exactly (requests and histograms summed) and
pass the scenario's thresholds (its p95 limits at 5 s instead of 150 ms: see the test).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

import chart
import standin

ROOT = chart.ROOT
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "api"))
TARS = os.environ.get("TARS_BIN", "")
JOB_FILE = os.path.join(ROOT, "deploy", "k8s", "load-job.yaml")


def docs():
    with open(JOB_FILE) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class LoadJob(unittest.TestCase):
    def setUp(self):
        if not (TARS and os.access(TARS, os.X_OK)):
            self.fail("TARS_BIN must name the tars binary")
        self.work = tempfile.mkdtemp(prefix="tars-load-job.")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def test_kubectl_reads_the_manifests(self):
        chart.need_tools()
        fx = standin.Fixture("k8s_fixture.py", "--bare", "--namespace", "tars-staging", lifetime=120)
        self.addCleanup(fx.close)
        kc = standin.kubeconfig(os.path.join(self.work, "kubeconfig"), fx.port)
        r = subprocess.run([chart.KUBECTL, "-n", "tars-staging", "apply", "--dry-run=client",
                            "--validate=false", "-f", JOB_FILE, "-o", "name"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, KUBECONFIG=kc))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.split(), ["persistentvolumeclaim/tars-load-results",
                                            "job.batch/tars-load", "job.batch/tars-load-merge"])

    def run_container(self, container, env, root, target=None):
        """The container's command + args, as shipped, with the image's paths moved to root."""
        argv = container["command"] + container["args"]
        self.assertEqual(argv[:2], ["/bin/sh", "-c"])
        script = argv[2].replace("/results", os.path.join(root, "results")) \
                        .replace("/usr/share/tars", os.path.join(root, "share"))
        full = dict(env)
        for e in container.get("env") or []:
            if "value" in e:
                full[e["name"]] = e["value"]
        if target:
            self.assertIn("TARGET", full)
            full["TARGET"] = target
        return subprocess.Popen(["/bin/sh", "-c", script], env=full, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_workers_and_merge_as_shipped(self):
        import harness
        server = harness.Server().start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        jobs = {d["metadata"]["name"]: d for d in docs() if d["kind"] == "Job"}
        workers, merge = jobs["tars-load"], jobs["tars-load-merge"]
        n = workers["spec"]["completions"]
        self.assertEqual(workers["spec"]["completionMode"], "Indexed")
        root = self.work
        os.makedirs(os.path.join(root, "results"))
        os.makedirs(os.path.join(root, "share", "scenarios"))
        os.makedirs(os.path.join(root, "bin"))
        os.symlink(TARS, os.path.join(root, "bin", "tars"))
        with open(os.path.join(ROOT, "scenarios", "tars-api.yaml")) as f:
            scenario = f.read()
        for key, value in (("users", "8"), ("spawn_rate", "8"), ("duration", "6s"),
                           ("think_time", "between(100ms, 300ms)")):
            scenario, count = re.subn(r"(?m)^%s:.*$" % key, "%s: %s" % (key, value), scenario)
            self.assertEqual(count, 1, key)
        # The p95 < 150 ms limits are a production target: a loopback server on a loaded
        # machine misses them with nothing wrong (measured: evaluations p95 166 ms under
        # stress-ng --cpu 2). This test is about the Job and the merge, which still judge every
        # threshold of the scenario, at 5 s (error_rate<1% as shipped).
        scenario, count = re.subn(r':p95<150ms"', ':p95<5s"', scenario)
        self.assertEqual(count, 3, "the shipped scenario's p95 thresholds changed")
        with open(os.path.join(root, "share", "scenarios", "tars-api.yaml"), "w") as f:
            f.write(scenario)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
        env.update({"PATH": os.path.join(root, "bin") + os.pathsep + env["PATH"],
                    "TARS_LOAD_USERNAME": "developer",
                    "TARS_LOAD_PASSWORD": server.password("developer")})
        container = workers["spec"]["template"]["spec"]["containers"][0]
        procs = []
        for i in range(n):
            e = dict(env, JOB_COMPLETION_INDEX=str(i))
            procs.append(self.run_container(container, e, root,
                                            target="http://127.0.0.1:%d" % server.port))
        outs = [p.communicate(timeout=120) for p in procs]
        for i, (p, (out, err)) in enumerate(zip(procs, outs)):
            self.assertEqual(p.returncode, 0, "worker %d exited %d:\n%s%s" % (i, p.returncode, out, err))
        results = []
        for i in range(n):
            path = os.path.join(root, "results", "worker-%d.json" % i)
            self.assertTrue(os.path.exists(path), "worker %d left no result" % i)
            with open(path) as f:
                results.append(json.load(f))
        self.assertEqual(sorted(r["worker_index"] for r in results), list(range(n)))
        self.assertTrue(all(r["worker_count"] == n for r in results))
        # each worker ran its share of the scenario's 8 users, and records that share
        self.assertEqual(sum(max(h["users"] for h in r["history"]) for r in results), 8)
        self.assertEqual(sum(r["users"] for r in results), 8)
        init = merge["spec"]["template"]["spec"]["initContainers"][0]
        p = self.run_container(init, env, root)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, out + err)
        merge_container = json.loads(json.dumps(merge["spec"]["template"]["spec"]["containers"][0]))
        args = merge_container["args"]
        self.assertEqual(sum(a.count(":p95<150ms'") for a in args), 3, args)  # as for the workers
        merge_container["args"] = [a.replace(":p95<150ms'", ":p95<5s'") for a in args]
        p = self.run_container(merge_container, env, root)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, "merge exited %d:\n%s%s" % (p.returncode, out, err))
        with open(os.path.join(root, "results", "merged.json")) as f:
            merged = json.load(f)
        self.assertEqual(merged["merged_from"], n)
        self.assertEqual(merged["users"], 8)
        requests = sum(r["total"]["requests"] for r in results)
        self.assertGreater(requests, 0)
        self.assertEqual(merged["total"]["requests"], requests)
        self.assertEqual(merged["total"]["failures"], sum(r["total"]["failures"] for r in results))
        self.assertEqual(merged["total"]["failures"], 0)
