"""Disk full under `tars serve`: its SQLite database lives on a 1 MB tmpfs. Writes that
do not fit get a clear 507 (insufficient_storage, with Retry-After), reads go on, nothing
acknowledged is lost or corrupted (PRAGMA integrity_check), and writes succeed again once
space is freed. Needs root (mount); skipped with the reason otherwise.
"""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import harness as H  # noqa: E402

DETAILS_BYTES = 2000       # per evaluation
FILLER_BYTES = 64 * 1024   # freed later to make room again
MAX_POSTS = 2000           # bound: the disk is full long before
RESUME_LIMIT = 30.0


def mount_tmpfs(path, size="1m"):
    """Mounts a tmpfs of size at path; returns None or why it cannot."""
    if os.getuid() != 0:
        return "needs root to mount a 1 MB tmpfs (mount -t tmpfs); run the tests as root"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return "mount -t tmpfs failed (%d): %s" % (r.returncode, (r.stdout + r.stderr).strip())
    return None


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True, timeout=30)


def fill(path, nbytes):
    """Writes up to nbytes to path; returns how many fit."""
    written = 0
    chunk = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        while written < nbytes:
            try:
                written += f.write(chunk[: min(len(chunk), nbytes - written)])
            except OSError:
                break
    return written


class SqliteDiskFull(H.ApiTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tars-faults-full-")
        self.mnt = os.path.join(self.tmp, "disk")
        os.mkdir(self.mnt)
        why = mount_tmpfs(self.mnt)
        if why:
            H.shutil.rmtree(self.tmp, ignore_errors=True)
            self.skipTest(why)
        self.S = None

    def tearDown(self):
        if self.S is not None:
            self.S.cleanup()
        umount(self.mnt)
        H.shutil.rmtree(self.tmp, ignore_errors=True)

    def test_full_disk_507_reads_go_on_nothing_lost(self):
        db = os.path.join(self.mnt, "tars.db")
        self.S = S = H.Server(db="sqlite:" + db)
        S.start()
        dev, v = S.token("developer"), S.token("viewer")
        # a file freed later; the rest fills up with the WAL (a commit appends whole pages)
        filler_bytes = FILLER_BYTES
        filler = os.path.join(self.mnt, "filler")
        self.assertEqual(fill(filler, filler_bytes), filler_bytes, "the filler did not fit")
        agent = H.unique("full")
        acked = {}
        full = None
        c = H.Client(S.port, timeout=20)
        for i in range(MAX_POSTS):
            body = {"agent_id": agent, "region": "r", "reward": float(i),
                    "details": {"i": i, "pad": "x" * DETAILS_BYTES}}
            r = c.request("POST", "/api/v1/evaluations", json_body=body, token=dev)
            if r.status == 201:
                acked[r.json()["id"]] = i
                continue
            full = r
            break
        c.close()
        self.assertIsNotNone(full, "%d evaluations of %d bytes fitted on a 1 MB disk"
                             % (MAX_POSTS, DETAILS_BYTES))
        self.assertError(full, 507, "insufficient_storage", "POST on a full disk")
        self.assertTrue((full.header("retry-after") or "").isdigit(), full.describe())
        self.assertGreaterEqual(len(acked), 5, "too few writes before the disk was full")

        # still full: every write is refused the same way, reads answer
        for _ in range(3):
            r = S.post("/api/v1/evaluations", {"agent_id": agent, "region": "r",
                                               "details": {"pad": "y" * DETAILS_BYTES}}, token=dev)
            self.assertError(r, 507, "insufficient_storage", "POST while the disk stays full")
        lst = S.get("/api/v1/evaluations?agent_id=%s&limit=1000" % agent, token=v)
        self.assertStatus(lst, 200, "GET on a full disk")
        self.assertEqual(lst.json()["total"], len(acked), "the list on a full disk")
        one = next(iter(acked))
        self.assertStatus(S.get("/api/v1/evaluations/%s" % one, token=v), 200)
        self.assertStatus(S.get("/health"), 200, "/health on a full disk (the database is reachable)")
        self.assertTrue(S.alive(), S.output_tail())

        # room again: writes resume without a restart
        os.unlink(filler)
        deadline = time.monotonic() + RESUME_LIMIT
        r = None
        while time.monotonic() < deadline:
            r = S.post("/api/v1/evaluations", {"agent_id": agent, "region": "after", "reward": -1.0},
                       token=dev)
            if r.status == 201:
                acked[r.json()["id"]] = -1
                break
            time.sleep(0.2)
        self.assertStatus(r, 201, "POST after space was freed")
        pid = S.proc.pid
        S.stop_clean(self)
        self.assertEqual(S.proc.pid, pid)

        # nothing acknowledged lost, nothing corrupted
        con = sqlite3.connect(db)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            rows = dict(con.execute("SELECT id, reward FROM evaluations WHERE agent_id = ?",
                                    (agent,)).fetchall())
        finally:
            con.close()
        missing = [i for i in acked if i not in rows]
        self.assertEqual(missing, [], "%d of %d acknowledged evaluations lost" % (len(missing), len(acked)))
        self.assertEqual(sorted(rows[i] for i in acked), sorted(float(x) for x in acked.values()))
        H.note("SQLite on a 1 MB tmpfs: %d evaluations of %d bytes acknowledged, then 507 with "
               "Retry-After; reads 200; after freeing %d KiB a write got 201; integrity_check ok, "
               "0 lost" % (len(acked) - 1, DETAILS_BYTES, filler_bytes // 1024))


if __name__ == "__main__":
    unittest.main()
