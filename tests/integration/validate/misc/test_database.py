"""The database check type against real databases: a SQLite file and a throw-away PostgreSQL
(tests/integration/pg_harness.sh), both migrated by `tars serve --migrate-only` and filled
with missions, then checked with queries, the 20 index names and EXPLAIN plans."""

import glob
import os
import sqlite3
import subprocess
import time
import unittest

from misc_harness import PG_HARNESS, TARS_BIN, CheckCase, TempDir, run_suite

INDEXES = """idx_evaluations_agent_region_time idx_evaluations_status_time
idx_evaluations_agent_region_created idx_evaluations_agent_timestamp
idx_evaluations_region_status idx_agent_states_agent_region_updated
idx_agent_states_type_updated idx_metrics_name_region_time idx_metrics_name_time
idx_audit_logs_user_time idx_audit_logs_resource idx_api_keys_hash_active
idx_api_keys_user_active idx_agents_updated_at idx_agents_status
idx_training_steps_composite idx_missions_status idx_missions_created_at
idx_missions_status_created idx_telemetry_timestamp""".split()

MISSIONS_QUERY = "SELECT * FROM missions WHERE status='active' ORDER BY created_at DESC LIMIT 100"
STATUSES = ["pending", "completed", "failed", "completed"]


def status_of(i):
    """One mission in 100 is active: selective enough for the planner to pick the
    (status, created_at) index over walking created_at backwards."""
    return "active" if i % 100 == 0 else STATUSES[i % len(STATUSES)]

SUITE = """
suite: database
defaults:
  timeout: 10s
targets:
  database:
    url: ${DB_URL}
checks:
  - {id: count, category: database, type: database, check: query,
     sql: "SELECT COUNT(*) AS n FROM missions", op: ">=", value: "${ROWS}"}
  - {id: count-too-high, category: database, type: database, check: query,
     sql: "SELECT COUNT(*) FROM missions", op: ">", value: 10000000}
  - {id: rows, category: database, type: database, check: query,
     sql: "SELECT id FROM missions WHERE status = 'active' ORDER BY id LIMIT 5", min_rows: 5}
  - {id: rows-too-few, category: database, type: database, check: query,
     sql: "SELECT id FROM missions WHERE status = 'active' LIMIT 3", min_rows: 5}
  - {id: text-value, category: database, type: database, check: query,
     sql: "SELECT status, name FROM missions WHERE id = 'm-000000'", column: name, op: "==",
     value: mission 0}
  - {id: null-value, category: database, type: database, check: query,
     sql: "SELECT details FROM missions WHERE id = 'm-000001'", op: "==", value: x}
  - {id: empty, category: database, type: database, check: query,
     sql: "SELECT id FROM missions WHERE status = 'no-such-status'"}
  - {id: nan-value, category: database, type: database, check: query,
     sql: "SELECT 'NaN'", op: "<", value: 5}
  - {id: inf-value, category: database, type: database, check: query,
     sql: "SELECT 'Infinity'", op: "<", value: 5}
  - {id: minus-inf-value, category: database, type: database, check: query,
     sql: "SELECT '-inf'", op: ">", value: 5}
  - {id: at-the-limit, category: database, type: database, check: query,
     sql: "SELECT 5", op: "<", value: 5}
  - {id: empty-skip, category: database, type: database, check: query, on_empty: skip,
     sql: "SELECT id FROM missions WHERE status = 'no-such-status'"}
  - {id: write-refused, category: database, type: database, check: query,
     sql: "DELETE FROM missions"}
  - {id: indexes-all, category: database, type: database, check: indexes_exist,
     names: [%(indexes)s]}
  - {id: indexes-missing, category: database, type: database, check: indexes_exist,
     names: [idx_missions_status, idx_evaluations_agent_timestamp_v2, idx_nope]}
  - {id: explain-missions, category: database, type: database, check: explain,
     sql: "%(missions)s", max_ms: 50, index_scan: true}
  - {id: explain-one-sample, category: database, type: database, check: explain,
     sql: "%(missions)s", max_ms: 50, index_scan: true, samples: 1}
  - {id: explain-named-index, category: database, type: database, check: explain,
     sql: "%(missions)s", max_ms: 50, index: idx_missions_status_created}
  - {id: explain-wrong-index, category: database, type: database, check: explain,
     sql: "%(missions)s", max_ms: 50, index: idx_agents_status}
  - {id: explain-no-index, category: database, type: database, check: explain,
     sql: "SELECT * FROM missions WHERE name LIKE '%%42%%'", max_ms: 5000, index_scan: true}
  - {id: explain-too-slow, category: database, type: database, check: explain,
     sql: "SELECT COUNT(*) FROM missions m1, missions m2 WHERE m1.id < 'm-000300' AND m2.id < 'm-000300'", max_ms: 0.001,
     index_scan: false}
  - {id: explain-write, category: database, type: database, check: explain,
     sql: "DELETE FROM missions", index_scan: false}
""" % {"indexes": ", ".join(INDEXES), "missions": MISSIONS_QUERY}


def migrate(url, data_dir):
    if not TARS_BIN:
        raise AssertionError("TARS_BIN is not set")
    r = subprocess.run([TARS_BIN, "serve", "--migrate-only", "--db", url, "--data-dir", data_dir],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("tars serve --migrate-only failed: %s" % r.stderr[-2000:])


def mission_rows(n):
    base = 1_790_000_000_000
    for i in range(n):
        yield ("m-%06d" % i, "mission %d" % i, status_of(i), "agent-%d" % (i % 4),
               None, base + i * 1000, base + i * 1000)


class DatabaseChecks:
    """Expectations shared by both backends; subclasses set url, rows and count()."""

    def test_queries(self):
        r = self.results
        self.assertStatus(r["count"], "pass", "value %d >= %d" % (self.rows, self.rows))
        self.assertStatus(r["count-too-high"], "fail", "value %d, expected > 10000000" % self.rows)
        self.assertStatus(r["rows"], "pass", "returned 5 rows")
        self.assertStatus(r["rows-too-few"], "fail", "returned 3 rows, expected at least 5")
        self.assertStatus(r["text-value"], "pass", 'value "mission 0" == "mission 0"')
        self.assertStatus(r["null-value"], "error", "no data: the value is NULL")
        self.assertStatus(r["empty"], "error", "no data: the query returned no rows")
        self.assertStatus(r["empty-skip"], "skip", "no rows")
        # nothing finite to judge: inconclusive; a value at a strict limit: a failure
        self.assertStatus(r["nan-value"], "error", "value NaN is not finite: < 5 cannot be judged")
        self.assertStatus(r["inf-value"], "error", "value Infinity is not finite")
        self.assertStatus(r["minus-inf-value"], "error", "value -inf is not finite")
        self.assertStatus(r["at-the-limit"], "fail", "value 5, expected < 5")

    def test_writes_are_refused(self):
        self.assertStatus(self.results["write-refused"], "error", self.refusal)
        self.assertStatus(self.results["explain-write"], "error", self.refusal)
        self.assertEqual(self.count(), self.rows)

    def test_indexes(self):
        self.assertStatus(self.results["indexes-all"], "pass", "all 20 indexes exist")
        self.assertStatus(self.results["indexes-missing"], "fail",
                          "2 of 3 indexes missing: idx_evaluations_agent_timestamp_v2, idx_nope")

    def test_explain(self):
        r = self.results
        self.assertStatus(r["explain-missions"], "pass", "idx_missions_")
        self.assertStatus(r["explain-named-index"], "pass", "idx_missions_status_created")
        self.assertStatus(r["explain-wrong-index"], "fail", 'does not use index "idx_agents_status"')
        self.assertStatus(r["explain-no-index"], "fail", "the plan uses no index")
        self.assertStatus(r["explain-too-slow"], "fail", "expected below 0.001 ms")
        # Judged on the median of three runs unless told otherwise, the range shown.
        self.assertRegex(r["explain-missions"]["reason"],
                         r"^execution [0-9.]+ ms \(median of 3 runs, [0-9.]+ to [0-9.]+ ms\) < 50 ms")
        self.assertStatus(r["explain-one-sample"], "pass")
        self.assertRegex(r["explain-one-sample"]["reason"], r"^execution [0-9.]+ ms < 50 ms;")

    def test_secret_url_never_shown(self):
        for result in self.results.values():
            self.assertNotIn(self.secret, result["reason"])


class TestSQLite(CheckCase, DatabaseChecks):
    rows = 3000
    refusal = "statement is not read-only"
    secret = "no-secret-in-sqlite-urls"

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir("tars-misc-db-")
        cls.path = os.path.join(cls.tmp.path, "tars.db")
        cls.url = "sqlite:" + cls.path
        try:
            migrate(cls.url, cls.tmp.path)
            with sqlite3.connect(cls.path) as db:
                db.executemany("INSERT INTO missions VALUES (?,?,?,?,?,?,?)", mission_rows(cls.rows))
                db.execute("ANALYZE")
            cls.results, _ = run_suite(cls.tmp, SUITE, {"DB_URL": cls.url, "ROWS": str(cls.rows)})
        except Exception:
            cls.tmp.remove()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tmp.remove()

    def count(self):
        with sqlite3.connect(self.path) as db:
            return db.execute("SELECT COUNT(*) FROM missions").fetchone()[0]

    def test_sqlite_plan_words(self):
        self.assertIn("index idx_missions_status_created", self.results["explain-missions"]["reason"])

    def test_missing_file_is_an_error(self):
        results, _ = run_suite(self.tmp, SUITE, {"DB_URL": "sqlite:" + self.path + ".missing",
                                                 "ROWS": "1"}, name="missing.yaml")
        self.assertStatus(results["count"], "error", "does not exist")
        self.assertFalse(os.path.exists(self.path + ".missing"))


def psql_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return found[-1] if found else "psql"


class TestPostgres(CheckCase, DatabaseChecks):
    rows = 50000
    refusal = "read-only transaction"
    secret = "s3cret-pw-4d2a"

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir("tars-misc-pg-")
        os.chmod(cls.tmp.path, 0o755)   # as root the cluster belongs to "postgres"
        cls.pgdir = os.path.join(cls.tmp.path, "pg")
        try:
            r = subprocess.run(["bash", PG_HARNESS, "start", cls.pgdir], capture_output=True,
                               text=True, timeout=120)
            if r.returncode != 0:
                raise AssertionError("pg_harness start failed: %s" % r.stderr[-3000:])
            cls.plain_url = r.stdout.strip().splitlines()[-1]
            # Trust authentication ignores the password: it is there to be masked.
            cls.url = cls.plain_url.replace("postgres://tars@", "postgres://tars:%s@" % cls.secret)
            migrate(cls.plain_url, cls.tmp.path)
            cls.fill()
            cls.results, _ = run_suite(cls.tmp, SUITE, {"DB_URL": cls.url, "ROWS": str(cls.rows)})
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["bash", PG_HARNESS, "stop", cls.pgdir], capture_output=True, timeout=120)
        cls.tmp.remove()

    @classmethod
    def psql(cls, sql, check=True):
        r = subprocess.run([psql_bin(), cls.plain_url, "-X", "-q", "-At", "-v",
                            "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True,
                           timeout=120)
        if check and r.returncode != 0:
            raise AssertionError("psql %s: %s" % (sql[:60], r.stderr[-1000:]))
        return r.stdout.strip()

    @classmethod
    def fill(cls):
        cls.psql("INSERT INTO missions (id, name, status, agent_id, details, created_at, updated_at) "
                 "SELECT 'm-' || lpad(i::text, 6, '0'), 'mission ' || i, "
                 "CASE WHEN i %% 100 = 0 THEN 'active' "
                 "ELSE (ARRAY['pending','completed','failed','completed'])[i %% 4 + 1] END, "
                 "'agent-' || (i %% 4), NULL, 1790000000000 + i * 1000, 1790000000000 + i * 1000 "
                 "FROM generate_series(0, %d) AS i" % (cls.rows - 1))
        cls.psql("VACUUM ANALYZE missions")
        # A unique index over duplicates fails to build and stays behind INVALID.
        cls.psql("CREATE UNIQUE INDEX CONCURRENTLY idx_broken_unique ON missions (status)",
                 check=False)

    def count(self):
        return int(self.psql("SELECT COUNT(*) FROM missions"))

    def test_postgres_plan_is_an_index_scan(self):
        reason = self.results["explain-missions"]["reason"]
        self.assertRegex(reason, r"(Index Scan|Index Only Scan|Bitmap Index Scan) using idx_missions_")
        self.assertRegex(reason, r"^execution [0-9.]+ ms \(median of 3 runs, [0-9.]+ to [0-9.]+ ms\) < 50 ms")

    def test_invalid_index_fails(self):
        self.assertEqual(self.psql("SELECT indisvalid FROM pg_index i JOIN pg_class c ON "
                                   "c.oid = i.indexrelid WHERE c.relname = 'idx_broken_unique'"), "f")
        results, _ = run_suite(self.tmp, """
targets: {database: {url: "${DB_URL}"}}
checks:
  - {id: invalid, category: database, type: database, check: indexes_exist,
     names: [idx_missions_status, idx_broken_unique]}
""", {"DB_URL": self.url}, name="invalid.yaml")
        self.assertStatus(results["invalid"], "fail", "1 of 2 indexes invalid")
        self.assertIn(": idx_broken_unique", results["invalid"]["reason"])

    def test_statement_timeout_bounds_the_check(self):
        started = time.monotonic()
        results, _ = run_suite(self.tmp, """
targets: {database: {url: "${DB_URL}"}}
checks:
  - {id: sleepy, category: database, type: database, check: query, timeout: 2s,
     sql: "SELECT pg_sleep(20)"}
""", {"DB_URL": self.url}, name="sleepy.yaml")
        self.assertLess(time.monotonic() - started, 10)
        self.assertStatus(results["sleepy"], "error", "statement timeout")

    def test_unreachable_database(self):
        bad = self.url.rsplit("/", 1)[0] + "/no_such_database"
        results, _ = run_suite(self.tmp, """
targets: {database: {url: "${DB_URL}"}}
checks:
  - {id: nodb, category: database, type: database, check: query, sql: "SELECT 1"}
""", {"DB_URL": bad}, name="nodb.yaml")
        self.assertStatus(results["nodb"], "error", "no_such_database")
        self.assertNotIn(self.secret, results["nodb"]["reason"])


if __name__ == "__main__":
    unittest.main()
