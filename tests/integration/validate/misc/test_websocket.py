"""The websocket check type against tests/fixtures/ws_fixture.py: the healthy protocol of
docs/api.md passes; every way of getting it wrong fails with its reason; a peer that cannot
be reached, or a check timeout shorter than its window, is an error."""

import os
import subprocess
import unittest

from misc_harness import CannedPeer, CheckCase, Fixture, TempDir, http_answer, run_suite

TOKEN = "fixture-ws-token-77c0"

SUITE = """
suite: websocket
defaults:
  timeout: 10s
targets:
  api:
    ws_url: ${WS_URL}
    token_env: FIXTURE_WS_TOKEN
checks:
  - {id: ws-ping, category: websocket, type: websocket, check: ping_pong, within: 2s}
  - {id: ws-heartbeat, category: websocket, type: websocket, check: heartbeat, within: 3s}
"""

BASE_URL_SUITE = """
suite: websocket-from-base-url
targets:
  api:
    base_url: ${BASE_URL}/
checks:
  - {id: ws-ping, category: websocket, type: websocket, check: ping_pong}
  - {id: ws-heartbeat-short-timeout, category: websocket, type: websocket, check: heartbeat,
     within: 5s, timeout: 1s}
  - {id: ws-heartbeat-typed, category: websocket, type: websocket, check: heartbeat,
     within: 3s, types: [keepalive]}
"""


class WebSocketCase(CheckCase):
    def setUp(self):
        self.tmp = TempDir("tars-misc-ws-")
        self.fixtures = []

    def tearDown(self):
        for f in self.fixtures:
            f.stop()
        self.tmp.remove()

    def run_mode(self, mode, *extra, token=None, suite=SUITE, path="/ws"):
        fixture = Fixture("ws_fixture.py", "--mode", mode, "--heartbeat", "1", *extra)
        self.fixtures.append(fixture)
        variables = {"WS_URL": "ws://127.0.0.1:%d%s" % (fixture.port, path),
                     "BASE_URL": fixture.url}
        results, wall = run_suite(self.tmp, suite, variables,
                                  env={"FIXTURE_WS_TOKEN": token or ""})
        for r in results.values():
            self.assertNotIn(TOKEN, r["reason"])
        return results, fixture, wall


class TestHealthy(WebSocketCase):
    def test_ping_pong_and_heartbeat(self):
        results, fixture, _ = self.run_mode("healthy")
        self.assertStatus(results["ws-ping"], "pass", "pong ")
        self.assertIn("ms after the ping", results["ws-ping"]["reason"])
        r = results["ws-heartbeat"]
        self.assertStatus(r, "pass", "heartbeat after ")
        self.assertGreater(r["ms"], 800)      # it waited for the heartbeat, not less
        stats = fixture.stats()
        self.assertEqual(stats["json_pings"], 1)
        self.assertEqual(stats["connections"], 2)

    def test_alias_path_and_control_pings(self):
        results, fixture, _ = self.run_mode("healthy", "--control-ping", path="/ws/live")
        self.assertStatus(results["ws-ping"], "pass")
        self.assertStatus(results["ws-heartbeat"], "pass", "heartbeat")
        # Each connection answered the server's protocol-level ping.
        self.assertEqual(fixture.stats()["control_pongs"], 2)

    def test_token(self):
        results, fixture, _ = self.run_mode("healthy", "--token", TOKEN, token=TOKEN)
        self.assertStatus(results["ws-ping"], "pass")
        self.assertEqual(fixture.stats()["auth_failures"], 0)
        results, fixture, _ = self.run_mode("healthy", "--token", TOKEN, token="wrong-token")
        self.assertStatus(results["ws-ping"], "fail", "closed the websocket (code 1008: invalid token)")
        self.assertStatus(results["ws-heartbeat"], "fail", "code 1008")

    def test_url_from_base_url(self):
        # Heartbeats every 2 s: the 1 s timeout then ends before any can come (with 1 s
        # heartbeats the first one raced the timeout, and a slow start let it win).
        results, _, _ = self.run_mode("healthy", "--heartbeat", "2", suite=BASE_URL_SUITE)
        self.assertStatus(results["ws-ping"], "pass")
        # The check's timeout ends before its window: it could not wait long enough.
        self.assertStatus(results["ws-heartbeat-short-timeout"], "error",
                          "timeout ended before its 5000 ms window")
        self.assertStatus(results["ws-heartbeat-typed"], "fail",
                          'has type "heartbeat", expected one of: keepalive')


class TestBroken(WebSocketCase):
    def test_unsolicited_first_message(self):
        results, _, _ = self.run_mode("chatty")
        self.assertStatus(results["ws-ping"], "fail", 'has type "init", expected "pong"')
        self.assertStatus(results["ws-heartbeat"], "fail",
                          'has type "init", expected one of: ping, heartbeat')

    def test_silent_server(self):
        results, _, wall = self.run_mode("silent")
        self.assertStatus(results["ws-ping"], "fail", "no websocket message within 2000 ms")
        self.assertStatus(results["ws-heartbeat"], "fail", "no websocket message within 3000 ms")
        self.assertLess(wall, 8)             # the two waits overlap; neither overruns

    def test_raw_pong(self):
        results, _, _ = self.run_mode("raw-pong")
        self.assertStatus(results["ws-ping"], "fail", 'is not JSON text: "pong"')
        self.assertStatus(results["ws-heartbeat"], "fail", "no websocket message")

    def test_server_closes(self):
        results, _, _ = self.run_mode("close")
        self.assertStatus(results["ws-ping"], "fail", "closed the websocket (code 1011")
        self.assertStatus(results["ws-heartbeat"], "fail", "going away for the test")

    def test_no_upgrade(self):
        results, _, _ = self.run_mode("no-upgrade")
        self.assertStatus(results["ws-ping"], "fail", "upgrade refused: HTTP 404")

    def test_bad_accept(self):
        results, _, _ = self.run_mode("bad-accept")
        self.assertStatus(results["ws-ping"], "fail", "wrong Sec-WebSocket-Accept")


TLS_SUITE = """
suite: websocket-tls
targets:
  api:
    ws_url: ${WS_URL}
checks:
  - {id: wss-ca-file, category: websocket, type: websocket, check: ping_pong,
     ca_file: "${CA_FILE}"}
  - {id: wss-insecure, category: websocket, type: websocket, check: heartbeat, within: 3s,
     insecure: true}
  - {id: wss-unverified, category: websocket, type: websocket, check: ping_pong}
"""


class TestTls(WebSocketCase):
    """wss:// through tars_net's TLS: verified against a CA file, or not verified when the
    check says insecure; a certificate that does not verify is an error."""

    def test_wss(self):
        cert = os.path.join(self.tmp.path, "cert.pem")
        key = os.path.join(self.tmp.path, "key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        fixture = Fixture("ws_fixture.py", "--mode", "healthy", "--heartbeat", "1",
                          "--tls", cert, key)
        self.fixtures.append(fixture)
        results, _ = run_suite(self.tmp, TLS_SUITE,
                               {"WS_URL": "wss://127.0.0.1:%d/ws" % fixture.port,
                                "CA_FILE": cert})
        self.assertStatus(results["wss-ca-file"], "pass", "pong")
        self.assertStatus(results["wss-insecure"], "pass", "heartbeat")
        r = results["wss-unverified"]
        self.assertStatus(r, "error", "TLS")
        self.assertEqual(r["attempts"], 1)

# A peer that errs, one row each, and the outcome docs/suite-format.md gives it: nothing
# listening, or a connection closed before any answer, is a transient error; a server that answers the upgrade with anything but a right
# 101 fails the check. Never a pass. (Rows for a 404, a wrong Sec-WebSocket-Accept and a close
# after the upgrade are in TestBroken.)
WS_PEER_ERRORS = [
    ("connection refused", None, "error", "refused"),
    ("HTTP 500 to the upgrade", http_answer("500 Internal Server Error", '{"error":"boom"}'),
     "fail", "HTTP 500"),
    ("HTTP 503 from a proxy", http_answer("503 Service Unavailable", "<html>down</html>",
                                          "text/html"), "fail", "HTTP 503"),
    ("200 instead of 101", http_answer("200 OK", "<html>hello</html>", "text/html"), "fail",
     "HTTP 200"),
    ("101 without the upgrade headers", b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "fail", ""),
    ("not HTTP", b"SSH-2.0-OpenSSH_9.2\r\n", "fail", ""),
    ("closed without an answer", b"", "error", "connection closed"),
]


class TestPeerErrors(CheckCase):
    def test_every_peer_error_has_its_outcome(self):
        tmp = TempDir("tars-misc-ws-")
        try:
            for what, answer, status, reason in WS_PEER_ERRORS:
                peer = CannedPeer(answer)
                try:
                    results, _ = run_suite(tmp, SUITE, {"WS_URL": "ws://127.0.0.1:%d/ws" % peer.port})
                finally:
                    peer.stop()
                self.assertEqual(len(results), 2, what)
                for r in results.values():
                    with self.subTest(peer=what, check=r["id"]):
                        self.assertStatus(r, status, reason)
        finally:
            tmp.remove()


class TestUnreachable(CheckCase):
    def test_refused_is_a_transient_error(self):
        tmp = TempDir("tars-misc-ws-")
        try:
            results, wall = run_suite(tmp, SUITE, {"WS_URL": "ws://127.0.0.1:9/ws"})
            self.assertStatus(results["ws-ping"], "error", "refused")
            self.assertStatus(results["ws-heartbeat"], "error", "refused")
            self.assertLess(wall, 10)
        finally:
            tmp.remove()


if __name__ == "__main__":
    unittest.main()
