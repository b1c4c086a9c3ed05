"""PostgreSQL restarts under POST load: while the database is down `tars serve` answers
503 with Retry-After, it reconnects by itself when the database is back (the same
process, no restart), and every evaluation acknowledged with 201 — before, during and
after the outage — is in the table afterwards.

Two outages in one run: an immediate stop (a crash) and a fast stop (an administrator's
restart). Writers count each 201 client-side; the ids are compared with the table.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import harness as H  # noqa: E402

WRITERS = 4
PHASE_SECONDS = 1.0        # writing before each outage
OUTAGE_503S = 20           # 503s to see during each outage before the database returns
RESUME_201S = 30           # 201s to see after each outage before the next phase
PHASE_LIMIT = 60.0         # bound on every wait


class PgRestartUnderLoad(H.ApiTestCase):

    def setUp(self):
        pg_sh = os.environ.get("TARS_PG_HARNESS", "")
        if not os.path.isfile(pg_sh):
            self.fail("TARS_PG_HARNESS (tests/integration/pg_harness.sh) is not set")
        self.pg_sh = pg_sh
        self.tmp = tempfile.mkdtemp(prefix="tars-faults-pg-")
        os.chmod(self.tmp, 0o755)   # as root the cluster belongs to "postgres"
        self.pgdir = os.path.join(self.tmp, "pg")
        r = subprocess.run(["bash", pg_sh, "start", self.pgdir], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            self.fail("pg_harness.sh start failed (%d): %s" % (r.returncode, H.mask(r.stderr)[-2000:]))
        self.url = r.stdout.strip().splitlines()[-1]
        self.S = H.Server(db=H.fresh_pg_database(self.url), extra_args=["--threads", "2"])
        self.S.start()

    def tearDown(self):
        self.S.cleanup()
        subprocess.run(["bash", self.pg_sh, "stop", self.pgdir], capture_output=True, timeout=120)
        if not os.environ.get("TARS_TEST_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def pg(self, action, mode):
        rc, out = H.pg_ctl(self.pgdir, action) if mode == "immediate" else self.pg_fast(action)
        if rc != 0:
            self.fail("pg_ctl %s (%s) failed (%d): %s" % (action, mode, rc, out[-2000:]))

    def pg_fast(self, action):
        if action != "stop":
            return H.pg_ctl(self.pgdir, action)
        bindir = sorted(H.glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1].rsplit("/", 1)[0]
        argv = [bindir + "/pg_ctl", "-D", os.path.join(self.pgdir, "data"), "-w", "-t", "60",
                "-m", "fast", "stop"]
        if os.getuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=90)
        return r.returncode, r.stdout + r.stderr

    def test_restarts_lose_no_acknowledged_write(self):
        S = self.S
        tok = S.token("developer")
        agent = H.unique("pg-restart")
        lock = threading.Lock()
        acked = []                  # (id, reward) of every 201
        counts = {"201": 0, "503": 0, "503_without_retry_after": 0}
        problems = []
        stop = threading.Event()

        def writer(n):
            c = H.Client(S.port, timeout=20)
            i = 0
            try:
                while not stop.is_set() and i < 100000:
                    i += 1
                    reward = n * 1000000 + i
                    body = {"agent_id": agent, "region": "w%d" % n, "status": "completed",
                            "reward": reward, "duration_ms": i}
                    try:
                        r = c.request("POST", "/api/v1/evaluations", json_body=body, token=tok)
                    except Exception as e:
                        with lock:
                            problems.append("writer %d: %r (the server must answer, not drop)" % (n, e))
                        return
                    with lock:
                        if r.status == 201:
                            counts["201"] += 1
                            acked.append((r.json()["id"], reward))
                        elif r.status == 503 and r.error_code() == "unavailable":
                            counts["503"] += 1
                            if not (r.header("retry-after") or "").isdigit():
                                counts["503_without_retry_after"] += 1
                        else:
                            problems.append("writer %d: %s" % (n, r.describe(300)))
                            return
                    if r.status == 503:
                        time.sleep(0.02)   # a client honouring Retry-After would wait longer
            finally:
                c.close()

        def wait_until(what, cond):
            deadline = time.monotonic() + PHASE_LIMIT
            while time.monotonic() < deadline:
                with lock:
                    if cond() or problems:
                        return
                time.sleep(0.05)
            self.fail("no %s within %.0f s (counts %s)\n%s"
                      % (what, PHASE_LIMIT, counts, S.output_tail(2000)))

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
        for t in threads:
            t.start()
        pid = S.proc.pid
        phases = []
        try:
            for mode in ("immediate", "fast"):
                time.sleep(PHASE_SECONDS)
                with lock:
                    before = dict(counts)
                self.pg("stop", mode)
                wait_until("503s with the database stopped (%s)" % mode,
                           lambda: counts["503"] - before["503"] >= OUTAGE_503S)
                with lock:
                    down = dict(counts)
                self.pg("start", mode)
                wait_until("201s after the database came back (%s)" % mode,
                           lambda: counts["201"] - down["201"] >= RESUME_201S)
                with lock:
                    phases.append((mode, before["201"], down["503"] - before["503"],
                                   counts["201"] - down["201"]))
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertFalse(any(t.is_alive() for t in threads), "writers did not stop")
        self.assertEqual(problems, [], "unexpected answers\n" + S.output_tail(2000))
        self.assertTrue(S.alive(), "tars serve exited:\n" + S.output_tail())
        self.assertEqual(S.proc.pid, pid, "tars serve was restarted")
        self.assertEqual(counts["503_without_retry_after"], 0,
                         "%d of %d 503s had no Retry-After" % (counts["503_without_retry_after"],
                                                              counts["503"]))

        # every 201 is in the table, with what was posted
        rows = H.psql_query(S.db, "SELECT id, reward FROM evaluations WHERE agent_id = '%s'" % agent)
        stored = {}
        for line in rows.splitlines():
            if line.strip():
                i, reward = line.split("|")
                stored[i] = float(reward)
        missing = [i for i, _ in acked if i not in stored]
        wrong = [(i, r, stored[i]) for i, r in acked if i in stored and stored[i] != r]
        self.assertEqual(len({i for i, _ in acked}), len(acked), "an id acknowledged twice")
        self.assertEqual(missing, [], "%d of %d acknowledged evaluations are not stored"
                         % (len(missing), len(acked)))
        self.assertEqual(wrong, [], "stored rewards differ from what was posted")
        H.note("PostgreSQL restarts under %d writers: %s; %d acknowledged, %d stored, 0 lost"
               % (WRITERS, "; ".join("%s stop after %d acks: %d x 503, then %d x 201" % p
                                     for p in phases), len(acked), len(stored)))
        S.stop_clean(self)


if __name__ == "__main__":
    unittest.main()
