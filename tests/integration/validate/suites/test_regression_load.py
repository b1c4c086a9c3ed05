"""suites/regression.yaml loads under every environment through the original command line
(--environment, --namespace, --version, --target-version, --canary-endpoint); a wrong environment
or one given to a suite without presets is bad usage (3); docs/suite-coverage.md maps all 33
original tests and names every regression check; every skip names the tool that measures it;
every PromQL query parses (promtool).
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
from test_suites_load import COVERAGE, list_suite  # noqa: E402

REGRESSION = os.path.join(SUITES, "regression.yaml")
# The original's 10 classes (docs/suite-coverage.md) and the category each became.
CATEGORIES = {"websocket", "grafana", "jaeger", "database", "ppo", "e2e", "canary", "rollback",
              "upgrade", "performance"}
ORIGINAL_TESTS = 33


class RegressionSuiteLoads(unittest.TestCase):
    maxDiff = 6000

    def test_every_environment_lists_the_same_checks(self):
        lists = {}
        for env in ("local", "staging", "production"):
            rc, checks, out = list_suite(REGRESSION, "--environment", env, "--namespace", "ns-x",
                                         "--version", "v1.0.1", "--target-version", "v1.0.0",
                                         "--canary-endpoint", "https://canary.example")
            self.assertEqual(rc, 0, out)
            self.assertIn("environment %s" % env, out)
            lists[env] = checks
        self.assertEqual(lists["local"], lists["staging"])
        self.assertEqual(lists["local"], lists["production"])
        checks = lists["local"]
        self.assertEqual({c[1] for c in checks}, CATEGORIES)
        for cid, category, _ in checks:
            self.assertRegex(cid, r"^regression\.%s\.[a-z0-9_]+$" % category)
        rc, default, out = list_suite(REGRESSION)
        self.assertEqual((rc, default), (0, checks), out)
        self.assertIn("environment local", out)

    def test_bad_environment_is_bad_usage(self):
        rc, _, out = list_suite(REGRESSION, "--environment", "qa")
        self.assertEqual(rc, 3, out)
        self.assertIn('unknown environment "qa"; valid: local, staging, production', out)
        rc, _, out = list_suite(os.path.join(SUITES, "local.yaml"), "--environment", "staging")
        self.assertEqual(rc, 3, out)
        self.assertIn("no \"environments\"", out)

    def test_skips_name_their_measurement(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
        work = tempfile.mkdtemp(prefix="tars-regression-load-")
        try:
            out = os.path.join(work, "r.json")
            skips = [c[0] for c in list_suite(REGRESSION)[1] if c[2] == "skip"]
            argv = [tars_bin(), "validate", REGRESSION, "--format", "json:" + out]
            for s in skips:
                argv += ["--only", s]
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            import json
            with open(out) as f:
                report = json.load(f)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        checks = report["suites"][0]["checks"]
        self.assertEqual(len(checks), len(skips))
        self.assertGreaterEqual(len(checks), 8)
        for c in checks:
            self.assertEqual(c["status"], "skip", c)
            self.assertRegex(c["reason"], r"tars (ws-stress|db-integrity|release|compare)|"
                                          r"tars_ppo_|helm upgrade", c)

    def test_coverage_maps_the_33_and_every_check(self):
        with open(COVERAGE) as f:
            doc = f.read()
        self.assertIn("## Regression:", doc)
        section = doc[doc.index("## Regression:"):]
        section = section[:section.index("\n## ", 4)] if "\n## " in section[4:] else section
        rows = [line for line in section.splitlines() if re.match(r"\| `test_", line)]
        self.assertEqual(len(rows), ORIGINAL_TESTS, "one row per original test")
        named = set(re.findall(r"`(regression\.[a-z0-9_]+\.[a-z0-9_]+)`", section))
        shipped = {c[0] for c in list_suite(REGRESSION)[1]}
        self.assertEqual(sorted(shipped - named), [], "checks the coverage section does not map")
        self.assertEqual(sorted(named - shipped), [], "ids no check has")

    def test_release_profile_parses(self):
        """release/regression.yaml (the tool runs behind the skips) is a valid release config that
        runs the steps the skips name."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
        r = subprocess.run([tars_bin(), "release", "--config", "release/regression.yaml", "--dry-run"],
                           cwd=ROOT, capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for piece in ("tars validate suites/regression.yaml", "--migrate-only", "db-integrity",
                      "--drop-every 5s", "resync_required<6", "--publish-rate 10/s"):
            self.assertIn(piece, r.stdout)

    def test_every_promql_query_parses(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.fail("promtool not found: install the Debian package prometheus")
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML is not installed (Debian package python3-yaml)")
        with open(REGRESSION) as f:
            suite = yaml.safe_load(f)
        values = {k: (v.get("default", v.get("value", "")) if isinstance(v, dict) else v)
                  for k, v in suite["variables"].items()}

        def expand(text, depth=0):
            self.assertLess(depth, 8)
            return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}",
                          lambda m: expand(str(values.get(m.group(1), m.group(2) or "")), depth + 1),
                          text)
        rules = [{"record": "suite:" + c["id"].replace(".", "_"), "expr": expand(c["query"])}
                 for c in suite["checks"] if c.get("type") == "prometheus"]
        self.assertGreaterEqual(len(rules), 2)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            yaml.safe_dump({"groups": [{"name": "regression", "rules": rules}]}, f)
            f.flush()
            r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
