"""Data integrity across an upgrade (the regression issue): `tars db-integrity` on the database
of a real `tars serve --demo`. Rows written after the first snapshot do not count; a lost row
or a changed key column does, and names its table.
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
import harness  # noqa: E402

TARS_BIN = os.environ["TARS_BIN"]


class TestIntegrity(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server()
        self.server.start()
        self.addCleanup(self.server.cleanup)
        self.addCleanup(self.server.stop)
        self.dir = tempfile.mkdtemp(prefix="tars-integrity.")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.dir])
        self.db_path = os.path.join(self.server.data_dir, "tars.db")
        self.before = os.path.join(self.dir, "before.json")

    def integrity(self, *args):
        return subprocess.run([TARS_BIN, "db-integrity", "--db", "sqlite:" + self.db_path, *args],
                              capture_output=True, text=True, timeout=60)

    def post_evaluation(self):
        r = self.server.post("/api/v1/evaluations", {"agent_id": "policy", "region": "us-east-1"},
                             token=self.server.token("developer"))
        self.assertEqual(r.status, 201, r.describe())
        return r.json()["id"]

    def test_new_rows_are_not_a_difference_but_lost_and_changed_rows_are(self):
        r = self.integrity("-o", self.before)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.before) as f:
            snap = json.load(f)
        self.assertGreater(snap["tables"]["evaluations"]["rows"], 0)
        self.assertGreater(snap["tables"]["agents"]["rows"], 0)

        for _ in range(3):  # traffic during the release
            self.post_evaluation()
        run_dir = os.path.join(self.dir, "run")
        r = self.integrity("--compare", self.before, "--run", run_dir, "--label", "after-deploy")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 difference(s)", r.stdout)
        with open(os.path.join(run_dir, "run.json")) as f:
            entry = json.load(f)["integrity"][0]
        self.assertEqual(entry["label"], "after-deploy")
        self.assertEqual(entry["differences"], [])

        with sqlite3.connect(self.db_path) as c:
            old_id = c.execute("SELECT id FROM evaluations ORDER BY created_at LIMIT 1").fetchone()[0]
            c.execute("DELETE FROM evaluations WHERE id = ?", (old_id,))
        r = self.integrity("--compare", self.before)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"evaluations: (\d+) rows before, \d+ after")

    def test_a_rewritten_key_column_is_caught_with_the_same_row_count(self):
        self.assertEqual(self.integrity("-o", self.before).returncode, 0)
        with sqlite3.connect(self.db_path) as c:
            c.execute("UPDATE agents SET type = 'XYZ' WHERE id = 'policy'")
        r = self.integrity("--compare", self.before)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("agents: same 4 rows, but their key columns changed", r.stdout)

    def test_bad_input(self):
        bad = os.path.join(self.dir, "bad.json")
        with open(bad, "w") as f:
            f.write("{\"tables\": ")
        r = self.integrity("--compare", bad)
        self.assertEqual(r.returncode, 3)
        self.assertIn("bad.json", r.stderr)
        r = subprocess.run([TARS_BIN, "db-integrity"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)


if __name__ == "__main__":
    unittest.main()
