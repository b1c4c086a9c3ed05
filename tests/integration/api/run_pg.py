"""Run the API, auth-matrix, durability and migration tests again on PostgreSQL.

Starts a fresh PostgreSQL with tests/integration/pg_harness.sh in a temporary directory,
runs the suites with TARS_TEST_PG_URL set (each server gets its own database in it), and
stops PostgreSQL even when a test fails. Exit 0 when every test passed, 1 otherwise.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ["test_api", "test_auth_matrix", "test_durability", "test_migrations"]


def main():
    pg_sh = os.environ.get("TARS_PG_HARNESS") or os.path.join(os.path.dirname(HERE), "pg_harness.sh")
    if not os.path.isfile(pg_sh):
        print("run_pg: %s not found" % pg_sh, file=sys.stderr)
        return 1
    os.environ["TARS_PG_HARNESS"] = pg_sh
    tmp = tempfile.mkdtemp(prefix="tars-it-pg-")
    os.chmod(tmp, 0o755)   # as root the cluster belongs to "postgres", which must reach DIR
    pgdir = os.path.join(tmp, "pg")
    try:
        r = subprocess.run(["bash", pg_sh, "start", pgdir], capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or not r.stdout.strip():
            print("run_pg: pg_harness.sh start failed (%d):\n%s" % (r.returncode, r.stderr[-3000:]),
                  file=sys.stderr)
            return 1
        url = r.stdout.strip().splitlines()[-1]
        if not url.startswith(("postgres://", "postgresql://")):
            print("run_pg: pg_harness.sh start printed no postgres:// URL", file=sys.stderr)
            return 1
        os.environ["TARS_TEST_PG_URL"] = url
        sys.path.insert(0, HERE)
        names = sys.argv[1:] or MODULES
        suite = unittest.defaultTestLoader.loadTestsFromNames(names)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        return 0 if result.wasSuccessful() else 1
    finally:
        s = subprocess.run(["bash", pg_sh, "stop", pgdir], capture_output=True, text=True, timeout=120)
        if s.returncode != 0:
            print("run_pg: pg_harness.sh stop failed (%d): %s" % (s.returncode, s.stderr[-2000:]), file=sys.stderr)
        if not os.environ.get("TARS_TEST_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
