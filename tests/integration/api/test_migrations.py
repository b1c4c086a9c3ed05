"""`tars serve --migrate-only`: applied twice is a no-op; every table and index docs/serve.md names exists
(SQLite by default; PostgreSQL when TARS_TEST_PG_URL is set)."""

import os
import sqlite3
import subprocess
import tempfile
import shutil
import unittest

import harness as H

TABLES = ["evaluations", "agents", "agent_states", "missions", "metrics", "audit_logs", "api_keys", "users",
          "telemetry", "training_steps", "schema_migrations"]
INDEXES = ["idx_evaluations_agent_region_time", "idx_evaluations_status_time", "idx_evaluations_agent_region_created",
           "idx_evaluations_agent_timestamp", "idx_evaluations_region_status", "idx_agent_states_agent_region_updated",
           "idx_agent_states_type_updated", "idx_metrics_name_region_time", "idx_metrics_name_time",
           "idx_audit_logs_user_time", "idx_audit_logs_resource", "idx_api_keys_hash_active",
           "idx_api_keys_user_active", "idx_agents_updated_at", "idx_agents_status", "idx_training_steps_composite",
           "idx_missions_status", "idx_missions_created_at", "idx_missions_status_created", "idx_telemetry_timestamp",
           "idx_evaluations_timestamp"]


class MigrateOnly(H.ApiTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tars-it-mig-")
        self.secret = os.path.join(self.tmp, "secret")
        with open(self.secret, "w") as f:
            f.write(os.urandom(32).hex())
        os.chmod(self.secret, 0o600)
        if H.PG_URL:
            self.db = H.fresh_pg_database(H.PG_URL)
        else:
            self.db = "sqlite:" + os.path.join(self.tmp, "data", "tars.db")

    def tearDown(self):
        if not os.environ.get("TARS_TEST_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def migrate(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TARS_")}
        r = subprocess.run([H.TARS_BIN, "serve", "--migrate-only", "--db", self.db, "--data-dir",
                            os.path.join(self.tmp, "data"), "--jwt-secret-file", self.secret],
                           capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, "--migrate-only exited %d: %s" % (r.returncode, H.mask(r.stderr)[-2000:]))

    def schema(self):
        """(tables, indexes, migration rows, full schema text)."""
        if H.PG_URL:
            q = H.psql_query
            tables = set(q(self.db, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").split())
            idx = set(q(self.db, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").split())
            invalid = q(self.db, "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                 "WHERE NOT i.indisvalid").split()
            self.assertEqual(invalid, [], "invalid (half-built CONCURRENTLY) indexes")
            mig = q(self.db, "SELECT * FROM schema_migrations ORDER BY 1")
            dump = q(self.db, "SELECT indexname || ':' || indexdef FROM pg_indexes "
                              "WHERE schemaname = current_schema() ORDER BY 1")
            return tables, idx, mig, dump
        path = self.db[len("sqlite:"):]
        c = sqlite3.connect(path)
        try:
            rows = c.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
            mig = c.execute("SELECT * FROM schema_migrations ORDER BY 1").fetchall()
            mode = c.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            c.close()
        self.assertEqual(mode.lower(), "wal", "the SQLite database is not in WAL mode")
        tables = {n for t, n, _ in rows if t == "table"}
        idx = {n for t, n, _ in rows if t == "index"}
        return tables, idx, repr(mig), repr(rows)

    def test_twice_is_noop(self):
        self.migrate()
        t1, i1, m1, d1 = self.schema()
        missing_t = [t for t in TABLES if t not in t1]
        missing_i = [i for i in INDEXES if i not in i1]
        self.assertEqual(missing_t, [], "tables missing after migration")
        self.assertEqual(missing_i, [], "indexes missing after migration")
        self.assertTrue(m1.strip() and m1 != "[]", "schema_migrations is empty")
        self.migrate()
        t2, i2, m2, d2 = self.schema()
        self.assertEqual(m2, m1, "schema_migrations changed on the second run")
        self.assertEqual(d2, d1, "the schema changed on the second run")


if __name__ == "__main__":
    unittest.main()
