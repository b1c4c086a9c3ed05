"""The fault-injecting proxy tests/fixtures/fault_proxy.py, which the compare calibration and the
fault tests put between tars and a server: what it forwards, what it delays, what it refuses."""

import os
import re
import socket
import subprocess
import time
import unittest

from cmplib import ROOT, Fixture
from loadlib import PYTHON

PROXY = os.path.join(ROOT, "tests", "fixtures", "fault_proxy.py")
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def proxy(mode, upstream_port, *args, lifetime=40):
    return Fixture(mode, "--upstream", "127.0.0.1:%d" % upstream_port, *args, lifetime=lifetime,
                   script=PROXY)


def read_response(sock, deadline):
    """One HTTP/1.1 response with a Content-Length (the fixture's) as bytes."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed after %r" % buf[:200])
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed in the body")
        body += chunk
    return head + b"\r\n\r\n" + body


def timed_requests(port, count):
    """count requests, one at a time on one keep-alive connection: (responses, seconds each)."""
    deadline = time.monotonic() + 30
    out, took = [], []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for _ in range(count):
            t0 = time.monotonic()
            s.sendall(REQUEST)
            out.append(read_response(s, deadline))
            took.append(time.monotonic() - t0)
    return out, took


class FaultProxyTest(unittest.TestCase):
    def test_pass_forwards_every_byte_unchanged(self):
        with Fixture("ok") as fx, proxy("pass", fx.port) as px:
            direct, _ = timed_requests(fx.port, 1)
            via, _ = timed_requests(px.port, 3)
            px.stop()
        for r in via:
            self.assertEqual(r, direct[0])
        self.assertRegex(px.stderr_text, r"accepted 1 connections, refused 0, upstream failed 0")
        self.assertIn("%d bytes to client" % (3 * len(direct[0])), px.stderr_text)

    def test_delay_holds_every_response(self):
        with Fixture("ok") as fx, proxy("delay", fx.port, "--delay-ms", "60") as px:
            direct, _ = timed_requests(fx.port, 1)
            via, took = timed_requests(px.port, 5)
            px.stop()
        for r in via:
            self.assertEqual(r, direct[0])
        # A lower bound only: a busy machine may add to it, never take from it.
        self.assertGreaterEqual(min(took), 0.060, took)
        m = re.search(r"(\d+) delayed chunks, added delay mean ([0-9.]+) ms", px.stderr_text)
        self.assertIsNotNone(m, px.stderr_text)
        self.assertGreaterEqual(int(m.group(1)), 5)
        self.assertGreaterEqual(float(m.group(2)), 60.0)

    def test_pass_listener_beside_a_delay(self):
        with Fixture("ok") as fx, proxy("delay", fx.port, "--delay-ms", "60",
                                        "--pass-listener") as px:
            line = px.proc.stdout.readline().decode()
            m = re.match(r"pass-port (\d+)\n$", line)
            self.assertIsNotNone(m, line)
            direct, _ = timed_requests(fx.port, 1)
            plain, _ = timed_requests(int(m.group(1)), 4)
            delayed, took = timed_requests(px.port, 2)
            px.stop()
        self.assertEqual(plain + delayed, direct * 6)
        self.assertGreaterEqual(min(took), 0.060, took)
        # only the delay port's responses were held
        m = re.search(r"accepted (\d+) connections.* (\d+) delayed chunks", px.stderr_text)
        self.assertEqual(m.group(1), "2", px.stderr_text)
        self.assertTrue(2 <= int(m.group(2)) < 6, px.stderr_text)  # not the pass port's 4

    def test_connections_beyond_the_limit_are_refused(self):
        with Fixture("ok") as fx, proxy("pass", fx.port, "--max-connections", "1") as px:
            with socket.create_connection(("127.0.0.1", px.port), timeout=10) as first:
                first.sendall(REQUEST)
                read_response(first, time.monotonic() + 20)
                with socket.create_connection(("127.0.0.1", px.port), timeout=10) as second:
                    try:
                        second.sendall(REQUEST)
                        got = second.recv(65536)
                    except (ConnectionResetError, BrokenPipeError):
                        got = b""
                    self.assertEqual(got, b"")
            px.stop()
        self.assertRegex(px.stderr_text, r"accepted 1 connections, refused 1,")

    def test_an_upstream_that_refuses_closes_the_client(self):
        with Fixture("ok") as fx:
            dead = fx.port
        with proxy("pass", dead) as px:
            with socket.create_connection(("127.0.0.1", px.port), timeout=10) as s:
                try:
                    s.sendall(REQUEST)
                    got = s.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    got = b""
            self.assertEqual(got, b"")
            px.stop()
        self.assertRegex(px.stderr_text, r"upstream failed 1;")

    def test_only_loopback_upstreams(self):
        for upstream, why in (("192.0.2.1:80", "must be a loopback address, got 192.0.2.1"),
                              ("127.0.0.1", "must be HOST:PORT"),
                              ("example.org:80", "must be a loopback address")):
            p = subprocess.run([PYTHON, "-B", PROXY, "pass", "--upstream", upstream],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(why, p.stderr)
            self.assertEqual(p.stdout, "")
        p = subprocess.run([PYTHON, "-B", PROXY, "delay", "--upstream", "127.0.0.1:9",
                            "--delay-ms", "-1"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--delay-ms must be between 0 and 60000", p.stderr)


if __name__ == "__main__":
    unittest.main()
