"""Harness for the grafana, jaeger, websocket and database check tests (Python 3 standard
library only).

Starts the fixture servers of tests/fixtures (and, for the database tests, `tars serve
--migrate-only` and a throw-away PostgreSQL) on free loopback ports, writes suites into a
temporary directory, runs them with check_driver (the real suite loader and runner) and
returns each check's result.

Environment (set by CMake):
  CHECK_DRIVER      the check_driver binary
  TARS_BIN          the tars binary (database tests: migrations)
  TARS_PG_HARNESS   tests/integration/pg_harness.sh
  TARS_TEST_KEEP    when set, temporary directories are kept
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
DRIVER = os.environ.get("CHECK_DRIVER", "")
TARS_BIN = os.environ.get("TARS_BIN", "")
PG_HARNESS = os.environ.get("TARS_PG_HARNESS", os.path.join(ROOT, "tests", "integration",
                                                             "pg_harness.sh"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from freeport import free_port, listening_socket  # noqa: E402  (tests/integration/freeport.py)

START_TIMEOUT = 10.0
DRIVER_TIMEOUT = 120.0


class Fixture:
    """A fixture server process; its first stdout line is "port N"."""

    def __init__(self, script, *args, env=None):
        self.proc = subprocess.Popen([PYTHON, "-B", os.path.join(FIXTURES, script), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("port "):
            self.stop()
            raise AssertionError("%s did not start: %r %s" % (script, line, self.stderr()))
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    def stderr(self):
        try:
            return self.proc.stderr.read()[-2000:] if self.proc.poll() is not None else ""
        except (OSError, ValueError):
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(self.url + "/fixture/stats", timeout=5) as r:
            return json.loads(r.read())


class CannedPeer:
    """A peer that answers every connection with the same bytes, whatever was asked, then
    closes it: an HTTP error status, a body that is not what the API sends, or bytes that are
    not HTTP at all. With answer None nothing listens on the port (connection refused)."""

    def __init__(self, answer):
        self.sock = None
        if answer is None:
            self.port = free_port()
            self.url = "http://127.0.0.1:%d" % self.port
            return
        self.answer = answer
        self.sock = listening_socket()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    seen = b""
                    while b"\r\n\r\n" not in seen and len(seen) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        seen += chunk
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def stop(self):
        if self.sock is not None:
            self.stopping = True
            self.thread.join(5)
            self.sock.close()


def http_answer(status, body, content_type="application/json"):
    """Bytes of a whole HTTP/1.1 answer that closes its connection."""
    body = body.encode() if isinstance(body, str) else body
    return (("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
             % (status, content_type, len(body))).encode() + body)


class TempDir:
    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def file(self, name, text):
        path = os.path.join(self.path, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def remove(self):
        if not os.environ.get("TARS_TEST_KEEP"):
            shutil.rmtree(self.path, ignore_errors=True)


def run_suite(tmp, yaml_text, variables=None, env=None, name="suite.yaml"):
    """Runs a suite; returns ({id: result}, wall seconds). A load failure raises."""
    if not DRIVER:
        raise AssertionError("CHECK_DRIVER is not set")
    path = tmp.file(name, yaml_text)
    args = [DRIVER, path] + ["%s=%s" % kv for kv in (variables or {}).items()]
    started = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=DRIVER_TIMEOUT,
                       env=dict(os.environ, **(env or {})))
    wall = time.monotonic() - started
    if r.returncode != 0:
        raise AssertionError("check_driver exited %d: %s" % (r.returncode, r.stderr[-2000:]))
    results = {}
    for line in r.stdout.splitlines():
        obj = json.loads(line)
        results[obj["id"]] = obj
    return results, wall


class CheckCase(unittest.TestCase):
    """Assertions on check results, with the reason in every failure message."""

    def assertStatus(self, result, status, reason_part=None):
        self.assertEqual(result["status"], status,
                         "%s: %s (%s)" % (result["id"], result["status"], result["reason"]))
        if reason_part is not None:
            self.assertIn(reason_part, result["reason"],
                          "%s: reason %r lacks %r" % (result["id"], result["reason"], reason_part))
