"""The live feed across a zero-downtime replacement (`tars serve --takeover`), under write load.

A server with feed history serves WebSocket clients while evaluations are posted; a second
process starts with --takeover on the same port and data, the first gets SIGTERM (it closes
its WebSocket clients with 1001) and writes go on. Two kinds of clients resume on the new
process with the last seq they saw:
- `tars ws-stress` (with its own --publish-rate writers): lost, duplicated, out of order and
  resync_required must all be 0, with at least one reconnect (it really crossed over);
- Python clients that keep every message: each evaluation acknowledged with 201 by either
  process arrives exactly once per client, seqs go up by one without a gap, and no
  resync_required is sent.
Every wait is bounded; the servers are on free ports outside the ephemeral range.
"""

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, os.path.join(HERE, "..", "ws"))
import harness as H  # noqa: E402
from wsclient import Closed, HandshakeError, WSClient  # noqa: E402

CHANNEL = "evaluation.updates"
CLIENTS = 3
HISTORY = 20              # evaluations posted before any client connects
STRESS_SECONDS = 10       # ws-stress duration; the takeover happens inside it
LIMIT = 60.0              # bound on every wait


class FeedClient(threading.Thread):
    """Subscribes, keeps every message, and on a close resumes with since_seq."""

    def __init__(self, port, token, stop):
        super().__init__(daemon=True)
        self.port, self.token, self.stop = port, token, stop
        self.seqs, self.created, self.resyncs, self.errors = [], [], [], []
        self.reconnects = 0
        self.subscribed = threading.Event()

    def connect(self, since):
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline:
            try:
                ws = WSClient.connect(self.port, "/ws?reconnect=1" if since is not None else "/ws",
                                      headers={"Authorization": "Bearer " + self.token})
                msg = {"type": "subscribe", "channel": CHANNEL}
                if since is not None:
                    msg["since_seq"] = since
                ws.send_json(msg)
                return ws
            except (OSError, HandshakeError, Closed):
                time.sleep(0.05)  # the old one refuses while stopping: try again
        raise AssertionError("could not reconnect within %.0f s" % LIMIT)

    def run(self):
        since = None
        try:
            ws = self.connect(since)
            while True:
                if not ws.buf and not select.select([ws.sock], [], [], 0.2)[0]:
                    if self.stop.is_set():
                        break
                    continue
                try:  # a frame has begun: read it whole (a timeout inside would split it)
                    m = ws.recv_json(10.0)
                except (Closed, OSError, ConnectionError):
                    if self.stop.is_set():
                        break
                    ws.sock.close()
                    self.reconnects += 1
                    since = self.seqs[-1] if self.seqs else None
                    ws = self.connect(since)
                    continue
                self.take(m)
            ws.close()
        except Exception as e:  # reported by the test, not lost in the thread
            self.errors.append(repr(e))

    def take(self, m):
        t = m.get("type")
        if t == "subscribed":
            self.subscribed.set()
        elif t == "resync_required":
            self.resyncs.append(m)
        elif t == "message":
            self.seqs.append(m["seq"])
            if m["payload"].get("action") == "created":
                self.created.append(m["payload"]["id"])


class Writer(threading.Thread):
    """POSTs evaluations one after another; keeps the ids acknowledged with 201."""

    def __init__(self, port, token, stop, tag):
        super().__init__(daemon=True)
        self.port, self.token, self.stop, self.tag = port, token, stop, tag
        self.acked, self.refused = [], 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            body = {"agent_id": "takeover-%s" % self.tag, "region": "us-east-1",
                    "status": "completed", "reward": n % 7}
            try:
                r = H.request(self.port, "POST", "/api/v1/evaluations", json_body=body,
                              token=self.token, timeout=5.0)
            except OSError:
                self.refused += 1
                continue
            if r.status == 201:
                self.acked.append(r.json()["id"])
            else:
                self.refused += 1
            time.sleep(0.01)


class FeedAcrossTakeover(H.ApiTestCase):

    def setUp(self):
        self.old = H.Server(extra_args=["--threads", "2"])
        self.old.start()
        self.addCleanup(self.old.cleanup)
        self.new = None

    def tearDown(self):
        if self.new is not None:
            self.new.cleanup()

    def start_new(self):
        """The replacement, on the same port and data, with --takeover; waits for its
        'listening on' line (/health may still be answered by the old one)."""
        self.new = H.Server(extra_args=["--threads", "2", "--takeover"],
                            data_dir=self.old.data_dir, wait="tcp")
        self.new.start(port=self.old.port)
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline:
            if "listening on" in self.new.output_tail():
                return
            self.assertTrue(self.new.alive(), "the new server exited:\n" + self.new.output_tail())
            time.sleep(0.05)
        self.fail("the new server did not listen within %.0f s:\n%s"
                  % (LIMIT, self.new.output_tail()))

    def test_clients_resume_on_the_new_process_with_nothing_lost(self):
        port, token = self.old.port, self.old.token("developer")
        for i in range(HISTORY):  # a feed with history: seq well past 0 on the old process
            r = self.old.post("/api/v1/evaluations", {"agent_id": "history", "region": "eu",
                                                      "status": "completed", "reward": i},
                              token=token)
            self.assertEqual(r.status, 201, r.describe())
        stop_clients, stop_writers = threading.Event(), threading.Event()
        clients = [FeedClient(port, token, stop_clients) for _ in range(CLIENTS)]
        for c in clients:
            c.start()
        for c in clients:
            self.assertTrue(c.subscribed.wait(LIMIT), "a client never subscribed: %r" % c.errors)
        writers = [Writer(port, token, stop_writers, i) for i in range(2)]
        for w in writers:
            w.start()
        tmp = tempfile.mkdtemp(prefix="tars-feed-takeover-")
        self.addCleanup(shutil.rmtree, tmp, True)
        summary = os.path.join(tmp, "ws.json")
        stress = subprocess.Popen(
            [H.TARS_BIN, "ws-stress", "ws://127.0.0.1:%d/ws" % port, "-c", "8", "-t", "1",
             "-d", "%ds" % STRESS_SECONDS, "--publish-rate", "20/s", "--token-env", "TAKEOVER_TOKEN",
             "--backoff-initial", "100ms", "--drain", "10s", "--json", summary, "-q"],
            env=dict(os.environ, TAKEOVER_TOKEN=token), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(2.0)  # load before the replacement (a fixed phase, not a wait on a result)
            self.start_new()
            rc, took = self.old.stop()
            self.assertEqual(rc, 0, "the old server on SIGTERM:\n" + self.old.output_tail())
            time.sleep(2.0)  # load after it, on the new process alone
            stop_writers.set()
            for w in writers:
                w.join(LIMIT)
            out, err = stress.communicate(timeout=STRESS_SECONDS + 60)
        finally:
            stop_writers.set()
            if stress.poll() is None:
                stress.kill()
                stress.wait(10)
        acked = [i for w in writers for i in w.acked]
        # Every client must catch up with every acknowledged write (bounded wait).
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline and not all(set(acked) <= set(c.created) for c in clients):
            time.sleep(0.05)
        stop_clients.set()
        for c in clients:
            c.join(LIMIT)

        self.assertIn(stress.returncode, (0, 1), "ws-stress: %s\n%s" % (out[-2000:], err[-2000:]))
        with open(summary) as f:
            s = json.load(f)
        msgs, rec = s["messages"], s["reconnects"]
        figures = ("ws-stress: published %d expected %d received %d lost %d duplicated %d "
                   "out_of_order %d resync_required %d reconnects %d"
                   % (msgs["published"], msgs["expected"], msgs["received"], msgs["lost"],
                      msgs["duplicated"], msgs["out_of_order"], msgs["resync_required"],
                      rec["count"]))
        print(figures)
        self.assertGreater(rec["count"], 0, "ws-stress never crossed over: " + figures)
        self.assertGreater(msgs["published"], 0, figures)
        self.assertEqual(msgs["resync_required"], 0, figures)
        self.assertEqual(msgs["lost"], 0, figures)
        self.assertEqual(msgs["duplicated"], 0, figures)
        self.assertEqual(msgs["out_of_order"], 0, figures)

        self.assertGreater(len(acked), 0)
        for n, c in enumerate(clients):
            lost = set(acked) - set(c.created)
            dup = len(c.created) - len(set(c.created))
            gaps = [(a, b) for a, b in zip(c.seqs, c.seqs[1:]) if b != a + 1]
            print("client %d: acknowledged %d received %d lost %d duplicated %d resync %d "
                  "gaps %d reconnects %d" % (n, len(acked), len(c.created), len(lost), dup,
                                             len(c.resyncs), len(gaps), c.reconnects))
            self.assertEqual(c.errors, [])
            self.assertGreater(c.reconnects, 0, "client %d never left the old process" % n)
            self.assertEqual(c.resyncs, [], "client %d" % n)
            self.assertEqual(len(lost), 0, "client %d lost %d acknowledged writes" % (n, len(lost)))
            self.assertEqual(dup, 0, "client %d got duplicates" % n)
            self.assertEqual(gaps, [], "client %d: seq gaps" % n)


if __name__ == "__main__":
    unittest.main()
