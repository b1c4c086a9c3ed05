"""API compatibility (the regression issue's "API compatibility"): `tars api-snapshot` against a
real `tars serve --demo`, compared with the snapshot shipped in tests/fixtures/, and the
api_compat check of `tars validate`, each shown to fail on a breaking change.

    TARS_UPDATE_SNAPSHOT=1 ... re-takes tests/fixtures/api-snapshot-v1.0.1.json (for humans,
    when the API changes on purpose).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
import harness  # noqa: E402

TARS_BIN = os.environ["TARS_BIN"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "api-snapshot-v1.0.1.json")
SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.start_shared()


def tearDownModule():
    harness.stop_shared(SERVER)


def snapshot(*args, token_role="admin"):
    env = dict(os.environ, SNAP_TOKEN=SERVER.token(token_role))
    return subprocess.run([TARS_BIN, "api-snapshot", "http://127.0.0.1:%d" % SERVER.port,
                           "--token-env", "SNAP_TOKEN", *args], env=env, capture_output=True,
                          text=True, timeout=60)


class TestSnapshot(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tars-api-compat.")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.dir])

    def test_snapshot_covers_the_api(self):
        r = snapshot("--writes")
        self.assertEqual(r.returncode, 0, r.stderr)
        snap = json.loads(r.stdout)
        self.assertEqual(snap["format"], "tars-api-snapshot/1")
        eps = snap["endpoints"]
        for name in ("GET /health", "GET /api/v1/agents", "GET /api/v1/agents/{id}",
                     "GET /api/v1/evaluations/{id}", "POST /api/v1/evaluations",
                     "PUT /api/v1/evaluations/{id}", "DELETE /api/v1/evaluations/{id}",
                     "GET /api/v1/admin/audit/logs", "GET /api/v1/agents (no token)"):
            self.assertIn(name, eps)
        self.assertEqual(eps["GET /api/v1/agents (no token)"]["status"], 401)
        self.assertEqual(eps["POST /api/v1/evaluations"]["status"], 201)
        self.assertEqual(eps["GET /metrics"]["shape"], "text")
        agent = eps["GET /api/v1/agents"]["shape"]["agents"][0]
        self.assertEqual(agent["id"], "string")
        self.assertEqual(agent["total_steps"], "number")
        self.assertNotIn(SERVER.token("admin"), r.stdout)
        if os.environ.get("TARS_UPDATE_SNAPSHOT"):
            with open(FIXTURE, "w") as f:
                json.dump(snap, f, indent=1, sort_keys=True)
                f.write("\n")

    def test_the_current_api_is_compatible_with_the_shipped_snapshot(self):
        r = snapshot("--writes", "--compare", FIXTURE, "-o", os.path.join(self.dir, "now.json"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 breaking change(s)", r.stdout)

    def breaking_fixture(self):
        with open(FIXTURE) as f:
            snap = json.load(f)
        # What an older version had and this one "lost": a field, a type, an endpoint.
        snap["endpoints"]["GET /health"]["shape"]["uptime_seconds"] = "number"
        snap["endpoints"]["GET /api/v1/version"]["shape"]["version"] = "number"
        snap["endpoints"]["GET /api/v1/teams"] = {"status": 200, "shape": {"teams": []}}
        path = os.path.join(self.dir, "old.json")
        with open(path, "w") as f:
            json.dump(snap, f)
        return path

    def test_breaking_changes_fail_and_are_named(self):
        r = snapshot("--compare", self.breaking_fixture(), "-o", os.path.join(self.dir, "now.json"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("GET /health.uptime_seconds: field removed", r.stdout)
        self.assertIn("GET /api/v1/version.version: type changed from number to string", r.stdout)
        self.assertIn("GET /api/v1/teams: endpoint not in the new snapshot", r.stdout)

    def suite(self, snapshot_path):
        path = os.path.join(self.dir, "compat.yaml")
        with open(path, "w") as f:
            f.write("suite: compat\nvariables:\n  TOKEN: {env: SNAP_TOKEN, secret: true}\n"
                    "targets:\n  api:\n    base_url: http://127.0.0.1:%d\n"
                    "checks:\n  - id: upgrade.api_compat\n    category: upgrade\n"
                    "    type: api_compat\n    snapshot: %s\n    token: ${TOKEN}\n"
                    % (SERVER.port, snapshot_path))
        env = dict(os.environ, SNAP_TOKEN=SERVER.token("admin"))
        return subprocess.run([TARS_BIN, "validate", path], env=env, capture_output=True,
                              text=True, timeout=60)

    def test_api_compat_check_passes_then_fails_on_a_breaking_change(self):
        r = self.suite(FIXTURE)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.suite(self.breaking_fixture())
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("3 breaking change(s)", r.stdout)

    def test_empty_snapshot_is_no_data_not_a_pass(self):
        path = os.path.join(self.dir, "empty.json")
        with open(FIXTURE) as f:
            snap = json.load(f)
        snap["endpoints"] = {}
        with open(path, "w") as f:
            json.dump(snap, f)
        r = self.suite(path)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("no data: the snapshot %s lists no endpoint to compare" % path, r.stdout)

    def test_unreadable_snapshot_is_an_error_not_a_pass(self):
        r = self.suite(os.path.join(self.dir, "missing.json"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
