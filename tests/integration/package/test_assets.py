"""The deploy assets: every YAML and JSON file parses; the chart provides the names, ports, probes
and security settings the shipped suites and the pipeline rely on; the chart's recording rules are
the shipped ones and pass promtool; every dashboard query reads a recording rule that exists; the
workflow has the seed's inputs; the load Job wires its index into the workers. helm lint is in
tests/lint, with the pinned helm of scripts/tools.sh."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
from urllib.parse import urlparse

import yaml

SOURCE = os.environ.get("TARS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CHART = os.path.join(SOURCE, "deploy", "helm", "tars")
RULES = os.path.join(SOURCE, "deploy", "prometheus", "recording_rules.yaml")
DASHBOARD = os.path.join(SOURCE, "deploy", "grafana", "tars-evaluation.json")


def read(*parts, mode="r"):
    with open(os.path.join(*parts), mode) as f:
        return f.read()


def load_yaml(*parts):
    return yaml.safe_load(read(*parts))


def rule_names():
    return {r["record"] for g in load_yaml(RULES)["groups"] for r in g["rules"] if "record" in r}


def suite_checks(name):
    return load_yaml(SOURCE, "suites", name)["checks"]


def templates():
    out = {}
    for path in glob.glob(os.path.join(CHART, "templates", "*")):
        out[os.path.basename(path)] = read(path)
    return out


class EveryFileParses(unittest.TestCase):
    def test_yaml_and_json_under_deploy(self):
        seen = 0
        for root, _dirs, files in os.walk(os.path.join(SOURCE, "deploy")):
            if os.path.basename(root) == "templates":
                continue  # Helm templates are Go templates, checked by text below
            for f in files:
                path = os.path.join(root, f)
                with self.subTest(path=path):
                    if f.endswith((".yaml", ".yml")):
                        docs = list(yaml.safe_load_all(read(path)))
                        self.assertTrue(docs and all(d is not None for d in docs), path)
                        seen += 1
                    elif f.endswith(".json"):
                        json.loads(read(path))
                        seen += 1
        for path in glob.glob(os.path.join(SOURCE, ".github", "workflows", "*.yml")):
            self.assertIsInstance(load_yaml(path), dict)
            seen += 1
        self.assertGreaterEqual(seen, 7)


class Chart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chart = load_yaml(CHART, "Chart.yaml")
        cls.values = load_yaml(CHART, "values.yaml")
        cls.tpl = templates()
        cls.all_tpl = "\n".join(cls.tpl.values())

    def test_chart_metadata(self):
        self.assertEqual(self.chart["apiVersion"], "v2")
        self.assertEqual(self.chart["name"], "tars")
        self.assertRegex(str(self.chart["version"]), r"^\d+\.\d+\.\d+")
        self.assertRegex(str(self.chart["appVersion"]), r"^\d+\.\d+\.\d+")
        for f in ("_helpers.tpl", "NOTES.txt"):
            self.assertIn(f, self.tpl)

    def test_every_kind_is_there(self):
        kinds = set(re.findall(r"(?m)^kind: (\w+)", self.all_tpl))
        for kind in ("Deployment", "Service", "StatefulSet", "Secret", "ConfigMap",
                     "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy",
                     "ServiceAccount", "Role", "RoleBinding", "Ingress"):
            self.assertIn(kind, kinds)
        self.assertIn("apiVersion: autoscaling/v2", self.tpl["hpa.yaml"])
        self.assertIn("apiVersion: policy/v1", self.tpl["pdb.yaml"])

    def test_probes_and_serve(self):
        v, dep = self.values, self.tpl["deployment.yaml"]
        self.assertEqual(v["livenessProbe"]["path"], "/health")
        self.assertEqual(v["readinessProbe"]["path"], "/ready")
        self.assertRegex(dep, r"livenessProbe:\s+httpGet:\s+path: \{\{ \.Values\.livenessProbe\.path \}\}")
        self.assertRegex(dep, r"readinessProbe:\s+httpGet:\s+path: \{\{ \.Values\.readinessProbe\.path \}\}")
        self.assertIn("name: TARS_JWT_SECRET", dep)
        self.assertRegex(dep, r"TARS_JWT_SECRET\s+valueFrom:\s+secretKeyRef:")
        self.assertIn("name: TARS_DB", dep)
        self.assertIn("postgres://", self.tpl["_helpers.tpl"])
        self.assertIn("resources:", dep)
        for kind in ("requests", "limits"):
            for res in ("cpu", "memory"):
                self.assertIn(res, v["resources"][kind])
                self.assertIn(res, v["postgresql"]["resources"][kind])

    def test_security_context(self):
        v = self.values
        self.assertTrue(v["podSecurityContext"]["runAsNonRoot"])
        self.assertNotEqual(v["podSecurityContext"]["runAsUser"], 0)
        self.assertTrue(v["securityContext"]["runAsNonRoot"])
        self.assertTrue(v["securityContext"]["readOnlyRootFilesystem"])
        self.assertFalse(v["securityContext"]["allowPrivilegeEscalation"])
        self.assertEqual(v["securityContext"]["capabilities"]["drop"], ["ALL"])
        self.assertTrue(v["postgresql"]["podSecurityContext"]["runAsNonRoot"])
        for name in ("deployment.yaml", "postgres-statefulset.yaml"):
            self.assertRegex(self.tpl[name], r"securityContext:\s+\{\{- toYaml \.Values\.")

    def test_names_the_staging_suite_expects(self):
        v = self.values
        checks = suite_checks("staging.yaml")
        api = [c for c in checks if c.get("service") == "tars-dashboard-api"]
        self.assertEqual(len(api), 1)
        self.assertEqual(api[0]["port"], v["service"]["port"])
        self.assertEqual(api[0]["path"], v["livenessProbe"]["path"])
        self.assertEqual(v["serve"]["port"], v["service"]["port"])
        # release "tars": the API service is tars-dashboard-api, the database tars-postgres
        self.assertIn('{{- define "tars.api.name" -}}{{ include "tars.fullname" . }}-dashboard-api',
                      self.tpl["_helpers.tpl"])
        self.assertIn('{{ include "tars.fullname" . }}-postgres', self.tpl["_helpers.tpl"])
        self.assertIn('name: {{ include "tars.api.name" . }}', self.tpl["service.yaml"])
        maps = [c for c in checks if c.get("check") == "configmaps_present"][0]["names"]
        self.assertEqual(sorted(maps), sorted([v["config"]["name"],
                                               v["recordingRules"]["configMapName"]]))
        secrets = [c for c in checks if c.get("check") == "secrets_present"][0]["names"]
        self.assertIn(v["jwt"]["secretName"], secrets)
        self.assertIn(v["postgresql"]["auth"]["secretName"], secrets)
        db = urlparse(load_yaml(SOURCE, "suites", "staging.yaml")["variables"]["DATABASE_URL"])
        self.assertEqual(db.username, v["postgresql"]["user"])
        self.assertEqual(db.path.lstrip("/"), v["postgresql"]["database"])
        self.assertEqual(db.port, 5432)
        self.assertTrue(db.hostname.startswith("tars-postgres."))
        # the staging suite's postgres selector and the chart's label
        self.assertIn('app: {{ include "tars.postgres.name" . }}', self.tpl["postgres-statefulset.yaml"])
        self.assertEqual(v["ingress"]["host"], urlparse(load_yaml(
            SOURCE, "suites", "staging.yaml")["variables"]["STAGING_URL"]).hostname)

    def test_what_the_production_suite_selects(self):
        v = self.values
        checks = {c["id"]: c for c in suite_checks("production.yaml")}
        variables = load_yaml(SOURCE, "suites", "production.yaml")["variables"]
        key, value = variables["SELECTOR"].split("=")
        self.assertIn("%s: {{ default .Chart.Name .Values.nameOverride }}" % key,
                      self.tpl["_helpers.tpl"])
        self.assertEqual(value, self.chart["name"])
        label = checks["production.kubernetes.version_labels"]["label"]
        self.assertIn("%s: {{ .Chart.AppVersion | quote }}" % label, self.tpl["_helpers.tpl"])
        hpa = checks["production.kubernetes.hpa_configured"]
        self.assertGreaterEqual(v["autoscaling"]["minReplicas"], hpa["min_replicas"])
        self.assertGreaterEqual(v["autoscaling"]["maxReplicas"], hpa["max_replicas"])
        self.assertTrue(v["podDisruptionBudget"]["enabled"])
        self.assertTrue(v["networkPolicy"]["enabled"])
        self.assertTrue(v["rbac"]["create"])
        canary = variables["CANARY_SELECTOR"].split("=")
        self.assertIn('%s: {{ ternary "canary" "stable" .Values.canary.enabled }}' % canary[0],
                      self.tpl["deployment.yaml"])

    def test_recording_rules_are_the_shipped_ones(self):
        self.assertEqual(read(CHART, "files", "recording_rules.yaml", mode="rb"),
                         read(RULES, mode="rb"),
                         "deploy/helm/tars/files/recording_rules.yaml must be a copy of "
                         "deploy/prometheus/recording_rules.yaml")
        tpl = self.tpl["recording-rules-configmap.yaml"]
        self.assertIn('.Files.Get "files/recording_rules.yaml"', tpl)
        self.assertIn("name: {{ .Values.recordingRules.configMapName }}", tpl)
        self.assertEqual(read(CHART, "files", "tars-evaluation.json", mode="rb"),
                         read(DASHBOARD, mode="rb"))

    def test_promtool_accepts_the_chart_rules(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool is not installed (scripts/deps.sh installs prometheus)")
        run = subprocess.run([promtool, "check", "rules",
                              os.path.join(CHART, "files", "recording_rules.yaml")],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("SUCCESS: %d rules found" % len(rule_names()), run.stdout + run.stderr)



class Dashboard(unittest.TestCase):
    def test_panels_query_existing_rules(self):
        d = json.loads(read(DASHBOARD))
        rules = rule_names()
        self.assertEqual(d["uid"], "tars-evaluation")
        self.assertEqual(d["uid"], load_yaml(SOURCE, "suites", "staging.yaml")["variables"]["DASHBOARD_UID"])
        self.assertTrue(d["title"])
        self.assertIsInstance(d["schemaVersion"], int)
        self.assertGreater(len(d["panels"]), 3)
        used, live, row = set(), set(), None
        for p in d["panels"]:
            if p["type"] == "row":
                row = p["title"]
                continue
            self.assertTrue(p["targets"], p["title"])
            for t in p["targets"]:
                names = set(re.findall(r"tars:[A-Za-z0-9_:]+", t["expr"]))
                if row and row.startswith("Live load test"):
                    # what tars load / ws-stress --metrics-listen serve (docs/metrics.md); the
                    # staging contract test checks the names against a real exposition
                    raw = set(re.findall(r"\btars_(?:load|ws_stress)_[a-z_]+", t["expr"]))
                    self.assertTrue(raw, "%s: %s reads no live load metric" % (p["title"], t["expr"]))
                    self.assertEqual(names, set(), p["title"])
                    live |= raw
                    continue
                self.assertTrue(names, "%s: %s reads no recording rule" % (p["title"], t["expr"]))
                self.assertEqual(names - rules, set(), "%s: unknown rules" % p["title"])
                used |= names
        self.assertGreaterEqual(len(used), 10)
        self.assertGreaterEqual(len(live), 4)


class Workflow(unittest.TestCase):
    def test_inputs_and_steps(self):
        wf = load_yaml(SOURCE, ".github", "workflows", "staging.yml")
        on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as true
        inputs = on["workflow_dispatch"]["inputs"]
        for name in ("skip_tests", "force_deploy", "enable_canary"):
            self.assertEqual(inputs[name]["type"], "choice")
            self.assertEqual(inputs[name]["options"], ["false", "true"])
            self.assertEqual(inputs[name]["default"], "false")
        self.assertIn("release/v1.0.1", on["push"]["branches"])
        steps = [s for job in wf["jobs"].values() for s in job["steps"]]
        runs = "\n".join(s.get("run", "") for s in steps)
        self.assertIn("make build", runs)
        self.assertIn("tars release --config release/staging.yaml", runs)
        for flag in ("--skip-tests", "--force-deploy", "--canary-weight 10"):
            self.assertIn(flag, runs)
        upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
        self.assertEqual(len(upload), 2)  # the report, and the whole run directory
        self.assertEqual(upload[1]["with"]["path"], "${{ env.RUN_DIR }}/")
        self.assertTrue(all(u["if"] == "always()" for u in upload))


class LoadJob(unittest.TestCase):
    def test_index_wiring(self):
        docs = list(yaml.safe_load_all(read(SOURCE, "deploy", "k8s", "load-job.yaml")))
        jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
        pvc = [d for d in docs if d["kind"] == "PersistentVolumeClaim"][0]
        workers = jobs["tars-load"]["spec"]
        self.assertEqual(workers["completionMode"], "Indexed")
        pod = workers["template"]["spec"]
        c = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in c["env"]}
        n = int(env["WORKERS"])
        self.assertEqual(workers["completions"], n)
        self.assertEqual(workers["parallelism"], n)
        cmd = " ".join(c["command"] + c["args"])
        self.assertIn('--worker-index "$JOB_COMPLETION_INDEX"', cmd)
        self.assertIn('--worker-count "$WORKERS"', cmd)
        self.assertIn("tars load ", cmd)
        self.assertIn("/results/worker-$JOB_COMPLETION_INDEX.json", cmd)
        merge = jobs["tars-load-merge"]["spec"]["template"]["spec"]
        merge_cmd = " ".join(merge["containers"][0]["command"] + merge["containers"][0]["args"])
        self.assertIn("tars load merge /results/worker-*.json", merge_cmd)
        wait_env = {e["name"]: e.get("value") for e in merge["initContainers"][0]["env"]}
        self.assertEqual(int(wait_env["WORKERS"]), n)
        for spec in (pod, merge):
            self.assertEqual(spec["volumes"][0]["persistentVolumeClaim"]["claimName"],
                             pvc["metadata"]["name"])
            self.assertTrue(spec["securityContext"]["runAsNonRoot"])
        self.assertIn("ReadWriteMany", pvc["spec"]["accessModes"])
        doc = read(SOURCE, "docs", "distributed.md")
        self.assertIn("JOB_COMPLETION_INDEX", doc)
        self.assertIn("tars load merge", doc)


class Dockerfile(unittest.TestCase):
    def test_stages_user_and_entrypoint(self):
        text = read(SOURCE, "deploy", "Dockerfile")
        froms = re.findall(r"(?m)^FROM (\S+)", text)
        self.assertEqual(len(froms), 2)
        self.assertTrue(all("bookworm" in f for f in froms), froms)
        self.assertIn("scripts/deps.sh build", text)
        self.assertIn("cmake --build", text)
        user = re.findall(r"(?m)^USER (\S+)", text)
        self.assertEqual(len(user), 1)
        self.assertNotIn(user[0].split(":")[0], ("0", "root"))
        self.assertRegex(text, r"(?m)^EXPOSE 3001$")
        self.assertRegex(text, r"(?m)^HEALTHCHECK .*\n\s+CMD .*/health")
        self.assertRegex(text, r'(?m)^ENTRYPOINT \["tars", "serve"\]$')


if __name__ == "__main__":
    unittest.main()
