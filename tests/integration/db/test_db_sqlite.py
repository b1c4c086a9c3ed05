"""tars db-seed and db-bench on SQLite: a seeded database passes with every family on its
index; a dropped index fails its family with the plan in the message; an empty database
is inconclusive; a bad --db is bad usage."""

import json
import os
import shutil
import sqlite3
import tempfile
import unittest

import dblib as D


class SeedAndBench(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tars-it-db-")
        cls.path = os.path.join(cls.tmp, "seeded.db")
        cls.db = "sqlite:" + cls.path
        cls.seed_result = D.seed(cls.db)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("TARS_TEST_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, name)

    def test_seed(self):
        r = self.seed_result
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("20000 evaluations", r.stdout)
        c = sqlite3.connect(self.path)
        try:
            self.assertEqual(c.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0], 20000)
            self.assertEqual(c.execute("SELECT COUNT(*) FROM missions").fetchone()[0], 1000)
            self.assertEqual(c.execute("SELECT COUNT(DISTINCT agent_id) FROM evaluations").fetchone()[0], 20)
            self.assertEqual(c.execute("SELECT COUNT(DISTINCT region) FROM evaluations").fetchone()[0], 4)
            self.assertEqual(c.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        finally:
            c.close()

    def test_seed_is_deterministic(self):
        a = D.seed("sqlite:" + self.out("again.db"))
        b = D.seed("sqlite:" + self.out("other-seed.db"), seed_value=2)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertIsNotNone(D.checksum(a))
        self.assertEqual(D.checksum(a), D.checksum(self.seed_result))
        self.assertNotEqual(D.checksum(b), D.checksum(a))

    def test_seed_refuses_a_filled_database(self):
        r = D.seed(self.db, rows=10)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("already holds", r.stderr)

    def test_bench_passes_on_indexes(self):
        run_dir = self.out("run")
        r, doc = D.bench(self.db, self.out("bench.json"), "--run", run_dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual([f["family"] for f in doc["families"]], D.FAMILIES)
        self.assertEqual(doc["evaluations"], 20000)
        self.assertEqual(doc["status"], "pass")
        for f in doc["families"]:
            self.assertTrue(f["passed"], f)
            self.assertEqual(f["iterations"], 20)
            self.assertTrue(f["plan"]["uses_index"], f["plan"])
            self.assertIn(f["plan"]["index"], f["plan"]["expected"])
            self.assertIn("SEARCH", f["plan"]["detail"])
            self.assertNotIn("SCAN " + f["plan"]["table"], f["plan"]["detail"])
            self.assertGreater(f["rows"], 0)
            self.assertEqual(f["histogram"]["count"], 20)
            self.assertTrue(0 < f["p50_ms"] <= f["p95_ms"] <= f["p99_ms"] <= f["max_ms"])
            self.assertLess(f["p95_ms"], f["threshold_ms"])
        self.assertEqual({f["family"]: f["threshold_ms"] for f in doc["families"]}["multi_region"], 200)
        self.assertEqual({f["family"]: f["threshold_ms"] for f in doc["families"]}["api_key_lookup"], 5)
        self.assertIn("idx_evaluations_agent_region", r.stdout)
        with open(os.path.join(run_dir, "run.json")) as f:
            run = json.load(f)
        self.assertEqual([f["family"] for f in run["db"]], D.FAMILIES)
        with open(os.path.join(run_dir, "db.json")) as f:
            self.assertEqual(json.load(f)["families"][0]["family"], "agent_evaluations")

    def test_threshold_and_family_options(self):
        r, doc = D.bench(self.db, self.out("tight.json"), "--family", "temporal,api_key_lookup",
                         "--threshold", "temporal=1us", "--threshold", "api_key_lookup=2500")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual([f["family"] for f in doc["families"]], ["temporal", "api_key_lookup"])
        temporal = doc["families"][0]
        self.assertFalse(temporal["passed"])
        self.assertEqual(temporal["threshold_ms"], 0.001)
        self.assertIn("over the 0.001 ms limit", r.stderr)
        self.assertTrue(doc["families"][1]["passed"])
        self.assertEqual(doc["families"][1]["threshold_ms"], 2500)  # a bare time is ms

    def test_dropped_index_fails_its_family(self):
        path = self.out("dropped.db")
        shutil.copy(self.path, path)
        c = sqlite3.connect(path)
        c.execute("DROP INDEX idx_api_keys_hash_active")
        c.commit()
        c.close()
        r, doc = D.bench("sqlite:" + path, self.out("dropped.json"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        by = {f["family"]: f for f in doc["families"]}
        self.assertFalse(by["api_key_lookup"]["passed"])
        self.assertFalse(by["api_key_lookup"]["plan"]["uses_index"])
        self.assertIn("SCAN api_keys", by["api_key_lookup"]["reason"])
        self.assertIn("api_key_lookup: the plan does not search api_keys by idx_api_keys_hash_active: SCAN api_keys",
                      r.stderr)
        self.assertTrue(by["temporal"]["passed"])

    def test_empty_database_is_inconclusive(self):
        db = "sqlite:" + self.out("empty.db")
        r = D.tars("db-seed", "--db", db, "--rows", 1, "--missions", 0, "--api-keys", 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        c = sqlite3.connect(self.out("empty.db"))
        c.execute("DELETE FROM evaluations")
        c.commit()
        c.close()
        r, doc = D.bench(db, self.out("empty.json"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("holds 0 evaluations", r.stderr)
        self.assertIsNone(doc)
        # --allow-small runs, but an empty table is still no pass
        r, doc = D.bench(db, self.out("empty2.json"), "--allow-small")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(doc["status"], "inconclusive")
        self.assertFalse(any(f["passed"] for f in doc["families"]))

    def test_not_a_tars_database(self):
        path = self.out("plain.db")
        c = sqlite3.connect(path)
        c.execute("CREATE TABLE t (x)")
        c.commit()
        c.close()
        r, _ = D.bench("sqlite:" + path, self.out("plain.json"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no evaluations table", r.stderr)

    def test_bad_db_and_usage(self):
        missing = self.out("missing.db")
        r, _ = D.bench("sqlite:" + missing, self.out("x.json"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("no such database file", r.stderr)
        self.assertFalse(os.path.exists(missing))
        for args in (["--db", "mysql://h/x"], [], ["--db", self.db, "--family", "nope"],
                     ["--db", self.db, "--iterations", "0"], ["--db", self.db, "--threshold", "temporal=fast"]):
            r = D.tars("db-bench", *args)
            self.assertEqual(r.returncode, 3, (args, r.stderr))
        r = D.tars("db-bench", "--db", self.db, "--threshold", "temporal=5m")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn('unit "m" does not fit', r.stderr)
        for args in (["--db", self.db], ["--rows", "10"], ["--db", self.db, "--rows", "0"],
                     ["--db", self.db, "--rows", "10", "--regions", "99"]):
            r = D.tars("db-seed", *args)
            self.assertEqual(r.returncode, 3, (args, r.stderr))

    def test_unreachable_postgres_hides_password(self):
        url = "postgres://tars:s3cr3t-pw@127.0.0.1:1/tars?connect_timeout=2"
        for cmd in (["db-bench", "--db", url], ["db-seed", "--db", url, "--rows", "10"]):
            r = D.tars(*cmd)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertNotIn("s3cr3t", r.stdout + r.stderr)

    def test_help(self):
        for cmd in ("db-bench", "db-seed"):
            r = D.tars(cmd, "--help")
            self.assertEqual(r.returncode, 0)
            self.assertIn("usage: tars " + cmd, r.stdout)


if __name__ == "__main__":
    unittest.main()
