"""One truth across chart, configs and suites (Python 3 + python3-yaml; pinned helm from tools/).

The chart is rendered with real `helm template` exactly as release/staging.yaml installs it (its
deploy step's helm commands, traced through /bin/sh so if/else picks the real branch) — stable
(canary weight 0) and canary (weight 10) — and with each values file under deploy/helm/values/.
Every name the other files rely on must be in what was rendered:

- release/staging.yaml: the Deployments its kubectl steps wait on, the releases it rolls back or
  uninstalls, the namespace; nothing a kubectl step creates may also be a chart object (Helm
  refuses to adopt it); every --set key and every key of every values file exists in the chart's
  values.yaml (helm ignores unknown keys silently; this test does not);
- suites/staging.yaml, suites/production.yaml, suites/regression.yaml with its staging and
  production presets: services and ports, config maps, secrets, the Helm release and app version,
  the ingress host and TLS, label selectors (the canary's must select the canary and only it),
  resource limits, HPA bounds, in-cluster URLs (service, port, database user and name);
- deploy/k8s/load-job.yaml: its target Service and port, its image;
- .github/workflows/staging.yml: namespace, version, URL, and every environment variable the
  staging config, suite and load scenario read;
- metrics: every metric the recording rules and the suites' queries read from tars is exported by
  a running `tars serve` (/metrics), and every recording rule the dashboard, a suite or a release
  config queries exists.

Names the T.A.R.S. platform's other releases own (the agents, the frontend, Redis, Prometheus,
Grafana, Jaeger, ChromaDB) are listed once in PLATFORM below; a name that is neither rendered nor
listed there fails.
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.request
from urllib.parse import urlparse

import chart
from chart import ROOT, by_kind, load_yaml

sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "api"))

VALUES = load_yaml(os.path.join(chart.CHART, "values.yaml"))
CHART_META = load_yaml(os.path.join(chart.CHART, "Chart.yaml"))
RULES_FILE = os.path.join(ROOT, "deploy", "prometheus", "recording_rules.yaml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "tars-evaluation.json")
WORKFLOW = os.path.join(ROOT, ".github", "workflows", "staging.yml")
LOAD_JOB = os.path.join(ROOT, "deploy", "k8s", "load-job.yaml")
SCENARIO = os.path.join(ROOT, "scenarios", "tars-api.yaml")

# Objects of the platform's other releases (not this chart), by kind.
PLATFORM = {
    "Service": {"tars-orchestration-agent": 8094, "tars-insight-engine": 8090,
                "tars-adaptive-policy-learner": 8091, "tars-meta-consensus-optimizer": 8092,
                "tars-causal-inference-engine": 8095, "tars-automl-pipeline": 8096,
                "tars-hypersync-service": 8098, "tars-dashboard-frontend": 3000,
                "tars-redis": 6379, "prometheus": 9090, "grafana": 3000, "jaeger": None,
                "jaeger-query": 16686, "tars-chromadb": 8000},
    "Secret": {"tars-redis-password", "tars-openai-api-key"},
    "ConfigMap": {"prometheus-config"},
    "CronJob": {"backup"},
    "selector": {"agent_type=ppo", "app=tars-redis"},
}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan"}


def promql_names(expr):
    """Metric and recording-rule names a PromQL expression reads."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\$\{[^}]*\}", "0", e)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?", e):
        if not m.group(2) and m.group(1) not in PROMQL_WORDS:
            names.add(m.group(1))
    return names


def read(path):
    with open(path) as f:
        return f.read()


def rule_names():
    return {r["record"] for g in load_yaml(RULES_FILE)["groups"] for r in g["rules"]
            if "record" in r}


def suite(name):
    return load_yaml(os.path.join(ROOT, "suites", name))


def suite_vars(doc, preset=None):
    """A suite's variables with their defaults (secrets and env-backed ones by name), a preset
    of its `environments:` applied, ${NAME} references resolved."""
    v = {}
    for k, val in (doc.get("variables") or {}).items():
        v[k] = val.get("default", "") if isinstance(val, dict) else str(val)
    if preset:
        v.update({k: str(x) for k, x in doc["environments"][preset].items()})
    for _ in range(5):
        v = {k: re.sub(r"\$\{(\w+)\}", lambda m: v.get(m.group(1), m.group(0)), x)
             for k, x in v.items()}
    return v


def subst(value, variables):
    def one(m):
        name, _, default = m.group(1).partition(":-")
        return variables.get(name, default if m.group(1).find(":-") >= 0 else m.group(0))
    return re.sub(r"\$\{([^}]+)\}", one, str(value))


def services(objects):
    """name -> set of ports of the rendered Services."""
    return {n: {p["port"] for p in s["spec"]["ports"]} for n, s in by_kind(objects, "Service").items()}


def workloads(objects):
    return [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]


def selector_matches(selector, labels):
    for term in selector.split(","):
        k, _, val = term.strip().partition("=")
        if labels.get(k) != val.lstrip("="):
            return False
    return True


def env_of(workload, name):
    for c in workload["spec"]["template"]["spec"]["containers"]:
        for e in c.get("env") or []:
            if e["name"] == name:
                return e.get("value")
    return None


class Renders:
    cache = {}

    @classmethod
    def get(cls, key):
        if key not in cls.cache:
            if key == "stable":
                cls.cache[key] = chart.helm_template(*chart.staging_install(0))
            elif key == "canary":
                cls.cache[key] = chart.helm_template(*chart.staging_install(10))
            elif key == "defaults":
                cls.cache[key] = chart.helm_template("tars", [], namespace="tars-staging")
            else:
                cls.cache[key] = chart.helm_template(
                    "tars", ["-f", "deploy/helm/values/%s.yaml" % key], namespace="tars-" + key)
        return cls.cache[key]


class ReleaseConfig(unittest.TestCase):
    cfg = load_yaml(chart.RELEASE_CONFIG)

    def test_every_set_and_values_key_exists_in_the_chart(self):
        files = set()
        for weight in (0, 10):
            release, args = chart.staging_install(weight)
            for key in chart.set_keys(args):
                with self.subTest(release=release, set=key):
                    self.assertTrue(chart.has_key(VALUES, key),
                                    "release/staging.yaml: --set %s: no such key in the chart's "
                                    "values.yaml (helm would ignore it)" % key)
            files |= set(chart.values_files(args))
        self.assertTrue(files, "release/staging.yaml passes no values file")
        values_dir = os.path.join(ROOT, "deploy", "helm", "values")
        files |= {os.path.join("deploy", "helm", "values", f) for f in os.listdir(values_dir)}
        for f in sorted(files):
            for key in chart.key_paths(load_yaml(os.path.join(ROOT, f))):
                with self.subTest(file=f, key=key):
                    self.assertTrue(chart.has_key(VALUES, key),
                                    "%s: %s: no such key in the chart's values.yaml" % (f, key))

    def test_namespace_and_releases(self):
        ns = self.cfg["release"]["namespace"]
        self.assertEqual(suite_vars(suite("staging.yaml"))["NAMESPACE"], ns)
        self.assertEqual(suite_vars(suite("regression.yaml"), "staging")["NAMESPACE"], ns)
        for weight in (0, 10):
            installed, args = chart.staging_install(weight)
            self.assertEqual(args[args.index("-n") + 1], ns)
            objects = Renders.get("canary" if weight else "stable")
            deployments = by_kind(objects, "Deployment")
            for stage in ("deploy", "wait", "rollback"):
                for words in chart.stage_commands(self.cfg, stage, weight):
                    with self.subTest(weight=weight, stage=stage, command=" ".join(words)):
                        if "-n" in words:
                            self.assertEqual(words[words.index("-n") + 1], ns)
                        for w in (words if words[0] == "kubectl" else []):
                            if w.startswith(("deployment/", "deployments/")):
                                self.assertIn(w.split("/", 1)[1], list(deployments),
                                              "release/staging.yaml %s waits on %s; the chart "
                                              "renders Deployments %s" % (stage, w, sorted(deployments)))
                        if words[0] == "helm" and words[1] in ("rollback", "uninstall"):
                            self.assertEqual(words[2], installed)
                        if words[0] == "kubectl" and "create" in words:
                            kind, name = words[words.index("create") + 1:][:2]
                            kinds = {"configmap": "ConfigMap", "secret": "Secret"}
                            if kind == "secret":
                                name = words[words.index("create") + 3]
                            self.assertNotIn(name, list(by_kind(objects, kinds.get(kind, kind))),
                                             "a kubectl step creates %s %s, which the chart also "
                                             "creates (Helm refuses to adopt it)" % (kind, name))

    def test_steps_reach_the_target_through_base_url(self):
        """A step naming the staging host itself would not follow --base-url (the rehearsal and
        any other target would test the wrong host): steps use ${base_url} / ${ws_url}."""
        host = urlparse(self.cfg["release"]["base_url"]).hostname
        for stage in ("deploy", "wait", "validate", "perf", "rollback"):
            for step in (self.cfg.get(stage) or {}).get("steps") or []:
                text = step.get("run") or " ".join(str(a) for a in step.get("tars", []))
                with self.subTest(stage=stage, step=text[:60]):
                    self.assertNotIn(host, text)

    def test_canary_is_its_own_release_selected_by_the_suites(self):
        stable = by_kind(Renders.get("stable"), "Deployment")
        canary = by_kind(Renders.get("canary"), "Deployment")
        self.assertTrue(set(canary).isdisjoint(stable), "canary and stable Deployments collide")
        names = {k: {o["metadata"]["name"] for o in Renders.get(k)} for k in ("stable", "canary")}
        clash = {o["kind"] + "/" + o["metadata"]["name"] for o in Renders.get("canary")} & \
                {o["kind"] + "/" + o["metadata"]["name"] for o in Renders.get("stable")}
        self.assertEqual(clash, set(), "objects both releases would own: %s" % clash)
        self.assertTrue(names["canary"])
        for name in ("staging.yaml", "production.yaml"):
            sel = suite_vars(suite(name))["CANARY_SELECTOR"]
            for d in canary.values():
                self.assertTrue(selector_matches(sel, d["spec"]["template"]["metadata"]["labels"]))
            for d in stable.values():
                self.assertFalse(selector_matches(sel, d["spec"]["template"]["metadata"]["labels"]))
        ingress = list(by_kind(Renders.get("canary"), "Ingress").values())
        self.assertEqual(len(ingress), 1, "the canary needs its own Ingress to take a share")
        ann = ingress[0]["metadata"]["annotations"]
        self.assertEqual(ann.get("nginx.ingress.kubernetes.io/canary-weight"), "10")


class Suites(unittest.TestCase):
    def check_names(self, suite_name, objects, variables, release_name="tars"):
        svc = services(objects)
        rendered = {k: set(by_kind(objects, k)) for k in ("ConfigMap", "Secret", "Ingress", "CronJob")}
        doc = suite(suite_name)
        seen = 0
        for c in doc["checks"]:
            if c.get("type") != "kubernetes":
                continue
            kind = c["check"]
            sub = lambda x: subst(x, variables)  # noqa: E731
            with self.subTest(suite=suite_name, check=c["id"]):
                if kind == "services_present":
                    for n in c["names"]:
                        hit = any(n in s for s in svc) if c.get("match") == "substring" else n in svc
                        self.assertTrue(hit or n in PLATFORM["Service"], "service %s" % n)
                        seen += 1
                    # every Service the chart renders is one the suite checks
                    for s in svc:
                        self.assertTrue(any(n in s for n in c["names"]), "unchecked service %s" % s)
                elif kind == "service_proxy_get":
                    name, port = sub(c["service"]), int(sub(c["port"]))
                    if name in svc:
                        self.assertIn(port, svc[name], "%s:%d" % (name, port))
                    else:
                        self.assertIn(name, PLATFORM["Service"], "service %s" % name)
                        self.assertEqual(PLATFORM["Service"][name], port)
                    seen += 1
                elif kind in ("configmaps_present", "secrets_present", "cronjobs_present"):
                    k = {"configmaps_present": "ConfigMap", "secrets_present": "Secret",
                         "cronjobs_present": "CronJob"}[kind]
                    for n in c["names"]:
                        hit = (any(n in s for s in rendered[k]) if c.get("match") == "substring"
                               else n in rendered[k])
                        self.assertTrue(hit or n in PLATFORM[k], "%s %s" % (k, n))
                        seen += 1
                elif kind == "helm_release":
                    self.assertEqual(c["release"], release_name)
                    self.assertEqual(sub(c["app_version"]).lstrip("v"), str(CHART_META["appVersion"]))
                    seen += 1
                elif kind == "ingress":
                    ing = by_kind(objects, "Ingress")
                    self.assertTrue(ing, "the suite checks an Ingress; the chart renders none "
                                         "with these values")
                    for n in c.get("names", []):
                        self.assertTrue(any(n in i for i in ing), "ingress %s" % n)
                    if "host" in c:
                        hosts = {r["host"] for i in ing.values() for r in i["spec"]["rules"]}
                        self.assertIn(sub(c["host"]), hosts)
                    if c.get("tls"):
                        self.assertTrue(all(i["spec"].get("tls") for i in ing.values()))
                    seen += 1
                elif kind in ("resources_set",):
                    excl = c.get("exclude", [])
                    for w in workloads(objects):
                        if any(x in w["metadata"]["name"] for x in excl):
                            continue
                        for ct in w["spec"]["template"]["spec"]["containers"]:
                            self.assertTrue(ct["resources"].get("limits") and ct["resources"].get("requests"),
                                            "%s/%s" % (w["metadata"]["name"], ct["name"]))
                    seen += 1
                elif kind == "hpa":
                    for h in by_kind(objects, "HorizontalPodAutoscaler").values():
                        self.assertGreaterEqual(h["spec"]["minReplicas"], c.get("min_replicas", 0))
                        self.assertLessEqual(h["spec"]["maxReplicas"], c.get("max_replicas", 10**6))
                    self.assertGreaterEqual(len(by_kind(objects, "HorizontalPodAutoscaler")),
                                            c.get("min_count", 0))
                    seen += 1
                if "selector" in c:
                    sel = sub(c["selector"])
                    if sel in PLATFORM["selector"] or sel == variables.get("CANARY_SELECTOR"):
                        continue  # the canary's selector is checked against the canary render
                    pods = [w["spec"]["template"]["metadata"]["labels"] for w in workloads(objects)]
                    self.assertTrue(any(selector_matches(sel, p) for p in pods),
                                    "selector %s matches no pod the chart renders" % sel)
                    seen += 1
        return seen

    def check_urls(self, variables, objects, namespace):
        svc = services(objects)
        for name, value in variables.items():
            u = urlparse(value) if "://" in value else None
            if not u or not u.hostname or not u.hostname.endswith(".svc.cluster.local"):
                continue
            with self.subTest(variable=name, url=value):
                host, ns = u.hostname.split(".")[:2]
                self.assertEqual(ns, namespace)
                if host in svc:
                    self.assertIn(u.port, svc[host])
                else:
                    self.assertEqual(PLATFORM["Service"].get(host, "missing"), u.port,
                                     "%s: service %s:%s" % (name, host, u.port))
                if u.scheme.startswith("postgres"):
                    db = [w for w in workloads(objects) if env_of(w, "TARS_DB")]
                    self.assertTrue(db)
                    tars_db = urlparse(env_of(db[0], "TARS_DB"))
                    self.assertEqual((u.username, u.path), (tars_db.username, tars_db.path))

    def test_staging_suite(self):
        v = suite_vars(suite("staging.yaml"))
        objects = Renders.get("stable")
        self.assertGreaterEqual(self.check_names("staging.yaml", objects, v), 20)
        self.check_urls(v, objects, "tars-staging")
        self.assertEqual(v["EXPECTED_VERSION"].lstrip("v"), str(CHART_META["appVersion"]))
        self.assertEqual(urlparse(v["API_URL"]).hostname,
                         urlparse(ReleaseConfig.cfg["release"]["base_url"]).hostname)

    def test_production_suite(self):
        v = suite_vars(suite("production.yaml"))
        objects = Renders.get("production")
        self.assertGreaterEqual(self.check_names("production.yaml", objects, v), 10)
        self.check_urls(v, objects, "tars-production")

    def test_regression_presets(self):
        doc = suite("regression.yaml")
        for preset, render in (("staging", "stable"), ("production", "production")):
            with self.subTest(preset=preset):
                v = suite_vars(doc, preset)
                self.check_urls(v, Renders.get(render), v["NAMESPACE"])

    def test_defaults_render_the_names_the_values_promise(self):
        objects = Renders.get("defaults")
        self.assertIn("tars-dashboard-api", services(objects))
        self.assertIn(3001, services(objects)["tars-dashboard-api"])
        self.assertIn("tars-postgres", services(objects))


class LoadJobAndWorkflow(unittest.TestCase):
    def test_load_job_targets_the_rendered_api(self):
        docs = [d for d in __import__("yaml").safe_load_all(read(LOAD_JOB)) if d]
        svc = services(Renders.get("stable"))
        for job in (d for d in docs if d["kind"] == "Job"):
            for c in job["spec"]["template"]["spec"]["containers"]:
                self.assertTrue(c["image"].endswith(":v%s" % CHART_META["appVersion"]), c["image"])
                env = {e["name"]: e.get("value") for e in c.get("env") or []}
                if "TARGET" in env:
                    u = urlparse(env["TARGET"])
                    self.assertIn(u.hostname, svc)
                    self.assertIn(u.port, svc[u.hostname])

    def test_workflow_matches_the_release(self):
        wf = load_yaml(WORKFLOW)
        cfg = ReleaseConfig.cfg
        self.assertEqual(wf["env"]["STAGING_NAMESPACE"], cfg["release"]["namespace"])
        self.assertEqual(wf["env"]["RELEASE_VERSION"].lstrip("v"), str(cfg["release"]["version"]))
        job = wf["jobs"]["release"]
        self.assertEqual(job["environment"]["url"], cfg["release"]["base_url"])

    def test_workflow_provides_every_variable_the_gate_reads(self):
        """Every environment variable release/staging.yaml, suites/staging.yaml and the load
        scenario read (token_env, webhook_env, --token-env, {env: X}, username_env …, the
        kubeconfig, the database password) is set by the workflow for the tars release step."""
        cfg_text = read(chart.RELEASE_CONFIG)
        needed = set(re.findall(r"(?:_env|env):\s*([A-Z][A-Z0-9_]+)", cfg_text))
        needed |= set(re.findall(r"--token-env,\s*([A-Z][A-Z0-9_]+)", cfg_text))
        st = suite("staging.yaml")
        for val in st["variables"].values():
            if isinstance(val, dict) and "env" in val:
                needed.add(val["env"])
        needed |= set(re.findall(r"_env:\s*([A-Z][A-Z0-9_]+)", read(SCENARIO)))
        # variables the suite's text reads that it does not define itself
        defined = set(st["variables"])
        for ref in re.findall(r"\$\{([A-Z][A-Z0-9_]*)(:-)?", read(os.path.join(ROOT, "suites", "staging.yaml"))):
            if ref[0] not in defined and not ref[1]:
                needed.add(ref[0])
        needed.add("KUBECONFIG")    # the suite's kubernetes target, kubectl and helm
        needed.add("PGPASSWORD")    # the suite's database checks (libpq)
        self.assertGreaterEqual(len(needed), 8, needed)
        wf = load_yaml(WORKFLOW)
        provided = set(wf.get("env") or {})
        steps = wf["jobs"]["release"]["steps"]
        release_step = None
        for s in steps:
            provided |= set(re.findall(r"echo \"?([A-Z][A-Z0-9_]*)=.*>> \"?\$GITHUB_ENV", s.get("run", "")))
            if "tars release --config release/staging.yaml" in s.get("run", ""):
                release_step = s
                break
        self.assertIsNotNone(release_step, "no step runs tars release --config release/staging.yaml")
        provided |= set(release_step.get("env") or {})
        self.assertEqual(needed - provided, set(),
                         "read by the staging gate, not provided by the workflow")
        for name, value in (release_step.get("env") or {}).items():
            if name in needed and name != "KUBECONFIG":
                self.assertRegex(str(value), r"^\$\{\{ secrets\.[A-Z0-9_]+ \}\}$", name)


def live_exposition(argv, marker):
    """The final exposition of `tars ARGV --metrics-listen ... --metrics-linger 30s` (read once
    marker, its "running 0" line, is in it); the process is stopped before returning."""
    import harness
    port = harness.free_port()
    argv = [os.environ["TARS_BIN"]] + argv + ["-q", "--metrics-listen", "127.0.0.1:%d" % port,
                                             "--metrics-linger", "30s"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                    text = r.read().decode()
                if marker in text:
                    return text
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("%s: no final exposition (exit %s): %s" % (
                    " ".join(argv), proc.poll(), proc.stderr.read().decode()[-2000:]
                    if proc.poll() is not None else "still running"))
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stderr.close()


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import harness
        cls.server = harness.Server()
        cls.server.start()
        cls.addClassCleanup(harness.stop_shared, cls.server)
        base = "http://127.0.0.1:%d" % cls.server.port
        for path in ("/health", "/ready", "/api/v1/agents"):
            try:
                urllib.request.urlopen(base + path, timeout=10).read()
            except Exception:  # 401 without a token is fine: the request is counted
                pass
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
                cls.exposition = r.read().decode()
            if "tars_http_requests_total{" in cls.exposition or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # what a load test serves while it runs (the dashboard's "Live load test" row)
        cls.live_expositions = [
            live_exposition(["load", base + "/health", "-c", "1", "-t", "1", "-d", "1s"],
                            "tars_load_running 0"),
            live_exposition(["ws-stress", "ws://127.0.0.1:%d/ws" % cls.server.port, "-c", "1",
                             "-t", "1", "-d", "1s", "--drain", "1s"], "tars_ws_stress_running 0")]

    def exported(self, text=None):
        names = set()
        for line in (self.exposition if text is None else text).splitlines():
            m = re.match(r"# TYPE (\S+) (\w+)", line)
            if m:
                names.add(m.group(1))
                if m.group(2) in ("histogram", "summary"):
                    names |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
            elif line and not line.startswith("#"):
                names.add(re.split(r"[{ ]", line, 1)[0])
        return names

    def test_every_metric_the_rules_read_is_exported(self):
        exported = self.exported()
        self.assertIn("tars_http_requests_total", exported)
        rules = rule_names()
        read = set()
        for g in load_yaml(RULES_FILE)["groups"]:
            for r in g["rules"]:
                read |= promql_names(r["expr"])
        self.assertGreaterEqual(len(read - rules), 10)
        self.assertEqual(read - rules - exported, set(), "read by the rules, not exported by tars serve")
        self.assertEqual({n for n in read if ":" in n} - rules, set())

    def test_suites_read_exported_metrics_and_existing_rules(self):
        exported, rules = self.exported(), rule_names()
        queried = set()
        for name in ("staging.yaml", "production.yaml", "regression.yaml", "local.yaml"):
            for c in suite(name)["checks"]:
                for field in ("query", "metric"):
                    if isinstance(c.get(field), str):
                        queried |= promql_names(c[field])
        for name in ("staging.yaml", "local.yaml", "regression.yaml"):
            queried |= set(re.findall(r"tars:[a-z_0-9:]+[a-z0-9]", read(os.path.join(ROOT, "release", name))))
        self.assertGreaterEqual(len({n for n in queried if n.startswith("tars:")}), 7)
        self.assertEqual({n for n in queried if n.startswith("tars:")} - rules, set(),
                         "queried by a suite or release config, no such recording rule")
        self.assertEqual({n for n in queried if n.startswith("tars_")} - exported, set(),
                         "queried by a suite, not exported by tars serve")

    def test_dashboard_reads_existing_rules(self):
        d = json.loads(read(DASHBOARD))
        used = set()
        for p in d["panels"]:
            for t in p.get("targets", []):
                used |= promql_names(t["expr"])
        self.assertGreaterEqual(len(used), 10)
        live = set()
        for text in self.live_expositions:
            live |= self.exported(text)
        self.assertEqual(used - rule_names() - self.exported() - live, set())
        self.assertGreaterEqual(len(used & live), 4)


if __name__ == "__main__":
    unittest.main()
