"""Every shipped suite loads: `tars validate --list suites/X.yaml` exits 0 and lists the expected
checks (48 staging cases in the original's 10 categories, at least 69 production checks tagged
core/canary/ga, the local suite); ids are unique and named after their suite and category;
docs/suite-coverage.md names every check id and no other; every PromQL `query` of the suites
parses (promtool, when PyYAML is there to read the suites without tars).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from localstack import ROOT, SUITES, tars_bin  # noqa: E402

COVERAGE = os.path.join(ROOT, "docs", "suite-coverage.md")
STAGING_CATEGORIES = {  # the original's 10 classes and how many cases each had (docs/suite-coverage.md)
    "kubernetes": 10, "service_health": 12, "database": 3, "grafana": 3, "prometheus_rules": 9,
    "jaeger": 2, "websocket": 2, "ppo": 2, "slo": 3, "canary": 2}
PRODUCTION_CATEGORIES = {"kubernetes", "database", "api", "slo", "monitoring", "security", "e2e",
                         "ppo", "canary", "feature_flags", "ga"}


def list_suite(path, *extra):
    """(exit code, [(id, category, type)], output) of tars validate --list."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
    r = subprocess.run([tars_bin(), "validate", "--list", path] + list(extra),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                       env=env)
    checks = []
    for line in r.stdout.splitlines():
        if line.startswith("  "):
            parts = line.split()
            checks.append((parts[0], parts[1], parts[2]))
    return r.returncode, checks, r.stdout + r.stderr


class ShippedSuitesLoad(unittest.TestCase):
    maxDiff = 6000

    def load(self, name, *extra):
        rc, checks, out = list_suite(os.path.join(SUITES, name), *extra)
        self.assertEqual(rc, 0, out)
        ids = [c[0] for c in checks]
        self.assertEqual(len(ids), len(set(ids)), "duplicate ids:\n" + out)
        return checks, out

    def assert_naming(self, suite, checks):
        for cid, category, _ in checks:
            self.assertRegex(cid, r"^%s\.%s\.[a-z0-9_]+$" % (suite, re.escape(category)),
                             "id %s does not read %s.<category>.<name>" % (cid, suite))

    def test_staging_has_the_48_cases_in_10_categories(self):
        checks, out = self.load("staging.yaml")
        self.assertEqual(len(checks), 48, out)
        self.assert_naming("staging", checks)
        per = {}
        for _, category, _ in checks:
            per[category] = per.get(category, 0) + 1
        self.assertEqual(per, STAGING_CATEGORIES, out)

    def test_production_has_the_69_functions_tagged(self):
        checks, out = self.load("production.yaml")
        self.assertGreaterEqual(len(checks), 69, out)
        self.assert_naming("production", checks)
        self.assertEqual({c[1] for c in checks}, PRODUCTION_CATEGORIES, out)
        core, _ = self.load("production.yaml", "--tags", "core")
        canary, _ = self.load("production.yaml", "--tags", "canary")
        ga, _ = self.load("production.yaml", "--tags", "ga")
        self.assertEqual({c[1] for c in ga}, {"ga"})
        self.assertEqual({c[1] for c in canary} - {"ga"}, {"canary"})
        self.assertEqual(len(ga), 13, "the 11 GA functions, two of them split in two")
        self.assertEqual(len(canary), 5, "3 canary functions, canary_vs_stable, GA canary_success")
        # every check is in exactly one of core / canary / ga, GA canary_success in both
        tagged = [c[0] for c in core] + [c[0] for c in canary] + [c[0] for c in ga]
        self.assertEqual(sorted(set(tagged)), sorted(c[0] for c in checks))
        self.assertEqual(len(tagged), len(checks) + 1, "only ga.canary_success carries two tags")

    def test_local_loads_without_websocket_checks(self):
        checks, out = self.load("local.yaml")
        self.assertGreaterEqual(len(checks), 30, out)
        self.assert_naming("local", checks)
        self.assertNotIn("websocket", {c[2] for c in checks}, "tars serve has no /ws yet")
        self.assertEqual({c[1] for c in checks}, {"api", "monitoring", "slo", "database"})

    def test_only_and_variables(self):
        checks, _ = self.load("staging.yaml", "--only", "kubernetes",
                              "--only", "staging.slo.api_error_rate",
                              "--var", "NAMESPACE=tars-staging-2", "--var", "API_TOKEN=x")
        self.assertEqual(len(checks), 11)
        rc, _, out = list_suite(os.path.join(SUITES, "staging.yaml"), "--var", "NOEQUALS")
        self.assertEqual(rc, 3, out)

    def test_coverage_document_names_every_check(self):
        with open(COVERAGE) as f:
            doc = f.read()
        named = set(re.findall(r"`((?:staging|production|local)\.[a-z0-9_]+\.[a-z0-9_]+)`", doc))
        shipped = set()
        for name in ("staging.yaml", "production.yaml"):
            checks, _ = self.load(name)
            shipped |= {c[0] for c in checks}
        missing = sorted(i for i in shipped if i not in named)
        self.assertEqual(missing, [], "checks docs/suite-coverage.md does not map")
        unknown = sorted(i for i in named if i not in shipped and not i.startswith("local."))
        self.assertEqual(unknown, [], "ids in docs/suite-coverage.md that no suite has")

    def test_every_promql_query_parses(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.fail("promtool not found: install the Debian package prometheus")
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML is not installed (Debian package python3-yaml)")
        rules = []
        for name in ("staging.yaml", "production.yaml", "local.yaml"):
            with open(os.path.join(SUITES, name)) as f:
                suite = yaml.safe_load(f)
            defaults = {k: (v.get("default", v.get("value", "")) if isinstance(v, dict) else v)
                        for k, v in suite["variables"].items()}

            def expand(text):
                return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}",
                              lambda m: str(defaults.get(m.group(1), m.group(2) or "")), text)
            for c in suite["checks"]:
                if c["type"] == "prometheus":
                    rules.append({"record": "suite:" + c["id"].replace(".", "_"),
                                  "expr": expand(c["query"])})
        self.assertGreaterEqual(len(rules), 25)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            yaml.safe_dump({"groups": [{"name": "suites", "rules": rules}]}, f)
            f.flush()
            r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
