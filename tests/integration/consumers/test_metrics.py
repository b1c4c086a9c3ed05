"""`promtool check metrics` (Debian package prometheus) reads tars serve's /metrics after traffic
that fills every family: requests, a posted evaluation, authentication failures, answers 429 and
a WebSocket connection. Its lint must find nothing (exit 0, no output)."""
import http.client
import os
import socket
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402  (tests/integration/api/harness.py)


class Metrics(unittest.TestCase):
    def test_promtool_accepts_the_exposition(self):
        # 5 anonymous requests a minute, so that some are answered 429; the scrape comes from
        # 127.0.0.2, exempt, as Prometheus' would
        server = harness.Server(rate_public=5, extra_args=["--exempt-networks", "127.0.0.2/32"]).start()
        try:
            admin = server.token("admin")
            r = server.post("/api/v1/evaluations",
                            {"agent_id": "policy", "region": "us-east-1", "status": "completed",
                             "reward": 1, "duration_ms": 120}, token=admin)
            self.assertEqual(r.status, 201, r.describe())
            self.assertEqual(server.get("/api/v1/agents", token="not-a-token").status, 401)
            statuses = [server.get("/api/v1/version").status for _ in range(8)]
            self.assertIn(429, statuses, statuses)
            ws = socket.create_connection((harness.HOST, server.port), timeout=5)
            ws.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       b"Sec-WebSocket-Version: 13\r\n\r\n")
            ws.recv(4096)
            ws.close()
            scrape = http.client.HTTPConnection(harness.HOST, server.port, timeout=10,
                                                source_address=("127.0.0.2", 0))
            scrape.request("GET", "/metrics")
            m = scrape.getresponse()
            text = m.read().decode()
            scrape.close()
            self.assertEqual(m.status, 200, text[:500])
        finally:
            server.stop()
        for family in ("tars_http_requests_total", "tars_http_request_duration_seconds",
                       "tars_evaluation_total", "tars_rate_limited_total",
                       "tars_auth_failures_total", "process_cpu_seconds_total"):
            self.assertIn("# TYPE %s " % family, text)
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""),
                         "promtool check metrics:\n%s%s" % (p.stdout, p.stderr))


if __name__ == "__main__":
    unittest.main()
