"""Shared pieces of the /ws tests: the API harness (../api/harness.py), the client, and helpers."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))

import harness as H  # noqa: E402
from wsclient import WSClient, Closed, HandshakeError  # noqa: E402,F401

CHANNEL = "evaluation.updates"


def connect(server, token=None, path="/ws", query="", **kw):
    """A WebSocket on server; token goes in the Authorization header."""
    headers = dict(kw.pop("headers", {}) or {})
    if token:
        headers["Authorization"] = "Bearer " + token
    return WSClient.connect(server.port, path + (("?" + query) if query else ""),
                            headers=headers, **kw)


def subscribe(ws, channel=CHANNEL, since=None, timeout=5.0):
    msg = {"type": "subscribe", "channel": channel}
    if since is not None:
        msg["since_seq"] = since
    ws.send_json(msg)
    ack, skipped = ws.recv_until(lambda m: m.get("type") != "heartbeat", timeout)
    return ack


def post_eval(server, agent="agent-ws", **fields):
    body = {"agent_id": agent, "region": "us-east-1", "status": "completed", "reward": 1.5}
    body.update(fields)
    r = server.post("/api/v1/evaluations", body, token=server.token("developer"))
    if r.status != 201:
        raise AssertionError("POST /api/v1/evaluations: " + r.describe())
    return r.json()


def next_push(ws, timeout=5.0):
    """The next pushed message, skipping heartbeats."""
    m, _ = ws.recv_until(lambda m: m.get("type") != "heartbeat", timeout)
    return m


def scrape(server):
    """{'name{labels}': value} from /metrics."""
    r = server.get("/metrics")
    if r.status != 200:
        raise AssertionError("/metrics: " + r.describe())
    out = {}
    for line in r.text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def wait_for(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class WsTestCase(H.ApiTestCase):
    server_args = []
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = H.start_shared(cls.server_args)

    @classmethod
    def tearDownClass(cls):
        H.stop_shared(cls.server)
        cls.server = None

    def assertType(self, msg, type_, **fields):
        if msg.get("type") != type_:
            self.fail("expected a %r message, got %s" % (type_, H.mask(str(msg))[:500]))
        for k, v in fields.items():
            self.assertEqual(msg.get(k), v, "field %s of %s" % (k, H.mask(str(msg))[:500]))
        return msg


def main():
    unittest.main(verbosity=2)
