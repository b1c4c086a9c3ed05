"""Crash durability: every evaluation acknowledged with 201 survives kill -9.
Storage down (PostgreSQL runs only): 503 and nothing half-written."""

import os
import subprocess
import threading
import time
import unittest

import harness as H

WRITERS = 8
RUN_BEFORE_KILL = 1.5      # seconds of writing before kill -9
MAX_POSTS_PER_WRITER = 200000
MIN_ACKED = 50             # acknowledged writes the stop must find, at least
MORE_WRITES_S = 30         # how much longer than asked the writes may go on to reach it


class CrashDurability(H.ApiTestCase):

    def setUp(self):
        self.S = H.Server()
        self.S.start()

    def tearDown(self):
        self.S.cleanup()

    def write_stream(self, agent, seconds, stop):
        """WRITERS threads POST evaluations on keep-alive connections for `seconds`, then
        stop(S) is called (kill -9 or SIGTERM). Returns (acked [(id, body)], writes/s)."""
        S = self.S
        tok = S.token("developer")
        acked = []
        lock = threading.Lock()
        stopping = threading.Event()
        problems = []

        def writer(n):
            c = H.Client(S.port, timeout=10)
            try:
                for i in range(MAX_POSTS_PER_WRITER):
                    if stopping.is_set():
                        return
                    body = {"agent_id": agent, "region": "w%d" % n, "status": "completed",
                            "reward": i + n / 10.0, "duration_ms": i, "details": {"writer": n, "seq": i}}
                    try:
                        r = c.request("POST", "/api/v1/evaluations", json_body=body, token=tok)
                    except Exception as e:   # the server was stopped under us
                        if not stopping.is_set():
                            with lock:
                                problems.append("writer %d: %r before the stop" % (n, e))
                        return
                    if r.status == 201:
                        j = r.json()
                        if not (isinstance(j, dict) and "id" in j):
                            with lock:
                                problems.append("writer %d: 201 without an EVAL body: %s" % (n, r.describe(200)))
                            return
                        with lock:
                            acked.append((j["id"], body))
                    elif not stopping.is_set():
                        with lock:
                            problems.append("writer %d: %s" % (n, r.describe(200)))
                        return
                    elif r.status != 503:
                        with lock:
                            problems.append("writer %d during the stop: %s" % (n, r.describe(200)))
                        return
            finally:
                c.close()

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
        for t in threads:
            t.start()
        # `seconds` of writes, and on a busy machine longer: until MIN_ACKED writes were
        # acknowledged (bounded), so that the stop always has enough to lose.
        started = time.monotonic()
        time.sleep(seconds)
        while time.monotonic() < started + seconds + MORE_WRITES_S:
            with lock:
                if len(acked) >= MIN_ACKED or not any(t.is_alive() for t in threads):
                    break
            time.sleep(0.05)
        with lock:
            n_before = len(acked)
        seconds = time.monotonic() - started
        alive = S.alive()
        stopping.set()
        stop(S)
        for t in threads:
            t.join(15)
        self.assertFalse(any(t.is_alive() for t in threads), "writers did not stop")
        if not alive or problems:
            self.fail("%s; %d acknowledged; writer errors: %s\n--- server output ---\n%s"
                      % ("the server had already exited (rc %s) before the stop" % S.proc.returncode
                         if not alive else "server alive at the stop",
                         len(acked), problems[:4], S.output_tail(2500)))
        self.assertGreaterEqual(len(acked), MIN_ACKED, "too few acknowledged writes to test durability")
        self.assertEqual(len({i for i, _ in acked}), len(acked), "the same id acknowledged twice")
        return acked, n_before / seconds

    def verify_after_restart(self, agent, acked):
        S = self.S
        S.start(port=H.free_port())
        v = S.token("viewer")
        found = {}
        offset = 0
        pages = 0
        total = None
        while pages < 1000:
            r = S.get("/api/v1/evaluations?agent_id=%s&limit=1000&offset=%d" % (agent, offset), token=v)
            self.assertStatus(r, 200)
            j = r.json()
            total = j["total"]
            for e in j["evaluations"]:
                found[e["id"]] = e
            pages += 1
            offset += 1000
            if offset >= total or not j["evaluations"]:
                break
        missing = [i for i, _ in acked if i not in found]
        self.assertEqual(len(missing), 0, "%d of %d acknowledged evaluations lost (e.g. %s)"
                         % (len(missing), len(acked), missing[:5]))
        self.assertGreaterEqual(total, len(acked))
        # the rows are whole: every field as posted
        bad = []
        for i, body in acked:
            e = found[i]
            for k, val in body.items():
                if e.get(k) != val:
                    bad.append((i, k, e.get(k), val))
        self.assertEqual(bad[:5], [], "%d fields differ from what was posted" % len(bad))
        # single GETs of a sample
        for i, body in acked[:: max(1, len(acked) // 20)]:
            g = S.get("/api/v1/evaluations/%s" % i, token=v)
            self.assertStatus(g, 200)
            self.assertEqual(g.json()["details"], body["details"])
        S.stop_clean(self)

    def test_kill9_mid_stream(self):
        agent = H.unique("durable")
        acked, rate = self.write_stream(agent, RUN_BEFORE_KILL, lambda S: S.kill9())
        H.note("kill -9 after %.1f s: %d evaluations acknowledged by %d writers (%.0f/s)"
               % (RUN_BEFORE_KILL, len(acked), WRITERS, rate))
        self.verify_after_restart(agent, acked)

    def test_sigterm_mid_stream(self):
        """SIGTERM under write load: exit 0 within the bound, every 201 kept."""
        agent = H.unique("graceful")
        result = {}

        def term(S):
            result["rc"], result["took"] = S.stop()

        acked, _ = self.write_stream(agent, 1.0, term)
        self.assertEqual(result["rc"], 0, "SIGTERM under load: exit %s after %.1f s\n%s"
                         % (result["rc"], result["took"], self.S.output_tail()))
        self.verify_after_restart(agent, acked)


def _pg_harness():
    return os.environ.get("TARS_PG_HARNESS", "")


@unittest.skipUnless(H.PG_URL, "storage-down case runs in the PostgreSQL suite")
class StorageDown(H.ApiTestCase):
    """An own PostgreSQL instance (pg_harness.sh), stopped while the server runs."""

    def setUp(self):
        tmp = H.tempfile.mkdtemp(prefix="tars-it-pgdown-")
        os.chmod(tmp, 0o755)   # as root the cluster belongs to "postgres", which must reach it
        self.pgdir = os.path.join(tmp, "pg")
        self.url = self.pg("start").strip().splitlines()[-1]
        self.S = H.Server(db=H.fresh_pg_database(self.url))
        self.S.start()

    def tearDown(self):
        self.S.cleanup()
        try:
            self.pg("stop")
        finally:
            if not os.environ.get("TARS_TEST_KEEP"):
                H.shutil.rmtree(os.path.dirname(self.pgdir), ignore_errors=True)

    def pg_ctl(self, action):
        """Stop or start the same cluster in place (pg_harness.sh stop would remove it)."""
        rc, out = H.pg_ctl(self.pgdir, action)
        if rc != 0:
            self.fail("pg_ctl %s failed (%d): %s" % (action, rc, out[-2000:]))

    def pg(self, action):
        r = subprocess.run(["bash", _pg_harness(), action, self.pgdir], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            self.fail("pg_harness.sh %s failed (%d): %s" % (action, r.returncode, H.mask(r.stderr)[-2000:]))
        return r.stdout

    def poll(self, fn, ok, limit=10.0):
        deadline = time.monotonic() + limit
        r = fn()
        while not ok(r) and time.monotonic() < deadline:
            time.sleep(0.2)
            r = fn()
        return r

    def test_database_stopped(self):
        S = self.S
        dev = S.token("developer")
        v = S.token("viewer")
        before = S.post("/api/v1/evaluations", {"agent_id": "policy", "region": "before"}, token=dev)
        self.assertStatus(before, 201)
        agent = H.unique("during-outage")

        self.pg_ctl("stop")
        h = self.poll(lambda: S.get("/health"), lambda r: r.status == 503)
        self.assertStatus(h, 503, "/health with the database stopped")
        self.assertEqual((h.json() or {}).get("status"), "unhealthy", h.describe())
        rd = S.get("/ready")
        self.assertStatus(rd, 503, "/ready with the database stopped")
        self.assertEqual((rd.json() or {}).get("status"), "not_ready", rd.describe())
        p = S.post("/api/v1/evaluations", {"agent_id": agent, "region": "r", "details": {"x": 1}}, token=dev)
        self.assertError(p, 503, "unavailable", "POST with the database stopped")
        self.assertError(S.get("/api/v1/agents", token=v), 503, "unavailable", "GET with the database stopped")
        self.assertTrue(S.alive(), "the server died when the database went away:\n" + S.output_tail())

        self.pg_ctl("start")
        h = self.poll(lambda: S.get("/health"), lambda r: r.status == 200, limit=15)
        self.assertStatus(h, 200, "/health after the database came back (no reconnect?)")
        lst = S.get("/api/v1/evaluations?agent_id=%s&status=pending" % agent, token=v)
        self.assertStatus(lst, 200)
        self.assertEqual(lst.json()["total"], 0, "a half-written evaluation from the outage exists")
        rows = H.psql_query(S.db, "SELECT count(*) FROM evaluations WHERE agent_id = '%s'" % agent).strip()
        self.assertEqual(rows, "0", "rows from the failed POST in the database")
        self.assertStatus(S.get("/api/v1/evaluations/%s" % before.json()["id"], token=v), 200)
        self.assertStatus(S.post("/api/v1/evaluations", {"agent_id": agent, "region": "r"}, token=dev), 201,
                          "POST after the database came back")
        S.stop_clean(self)


if __name__ == "__main__":
    unittest.main()
