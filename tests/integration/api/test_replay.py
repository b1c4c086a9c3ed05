"""tests/fuzz/serve/replay.py, the client that sends the requests the serve fuzz harness kept
before an unanswered one (docs/reliability.md) to a running `tars serve`: it reports each
answer, exits 0 when all came, and 1 naming the request that got none within its timeout."""

import os
import subprocess
import tempfile
import unittest

import harness as H

REPLAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "serve",
                      "replay.py")
S = None


def setUpModule():
    global S
    S = H.start_shared()


def tearDownModule():
    global S
    H.stop_shared(S)
    S = None


def head(method, path, extra="", body=b""):
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


WS = (b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      b'{"type": "subscribe", "channel": "metrics"}')


class Replay(unittest.TestCase):
    def replay(self, requests, timeout=10):
        with tempfile.TemporaryDirectory() as d:
            files = []
            for i, data in enumerate(requests, 1):
                files.append(os.path.join(d, f"stall-1-{i}"))
                with open(files[-1], "wb") as f:
                    f.write(data)
            p = subprocess.run(["/usr/bin/python3", "-B", REPLAY, "--port", str(S.port),
                                "--timeout", str(timeout)] + files,
                               capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout.splitlines(), p.stderr

    def test_every_answer_reported_in_order(self):
        login = b'{"username": "viewer", "password": "wrong-password-123"}'
        rc, lines, err = self.replay([
            head("GET", "/health"),
            head("POST", "/api/v1/auth/token", "Content-Type: application/json\r\n", login),
            head("HEAD", "/health"),
            WS,
            head("GET", "/no/such/route"),
        ])
        self.assertEqual(rc, 0, f"{lines} {err}")
        got = [line.split(":", 1)[1].split(" in ")[0].strip() for line in lines]
        self.assertEqual(got, ["200", "401", "405", "101 then pong", "404"], lines)
        self.assertEqual([line.split(":")[0] for line in lines],
                         [f"stall-1-{i}" for i in range(1, 6)])

    def test_a_request_without_answer_is_named(self):
        # the body is shorter than its Content-Length: the server waits for the rest
        short = head("POST", "/api/v1/auth/token", "Content-Type: application/json\r\n",
                     b"{}").replace(b"Content-Length: 2", b"Content-Length: 100")
        rc, lines, err = self.replay([head("GET", "/health"), short], timeout=1)
        self.assertEqual(rc, 1, f"{lines} {err}")
        self.assertEqual(lines[0].split(" in ")[0], "stall-1-1: 200")
        self.assertEqual(lines[-1], "stall-1-2: no answer within 1 s")

    def test_bad_usage(self):
        p = subprocess.run(["/usr/bin/python3", "-B", REPLAY, "--port", str(S.port),
                            "/nonexistent/stall"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("/nonexistent/stall", p.stderr)


if __name__ == "__main__":
    unittest.main()
