"""Helpers for the `tars ws-stress` integration tests (Python 3 standard library only).

Starts tests/fixtures/ws_feed_fixture.py on a free port, talks to its /fixture endpoints, and
runs `tars ws-stress` bounded in time, reading its --json summary.
Environment: TARS_BIN (required; set by CMake).
"""

import json
import os
import select
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else "python3"
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "ws_feed_fixture.py")
TARS_BIN = os.environ.get("TARS_BIN", "")
EXIT_OK, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_USAGE = 0, 1, 2, 3


def tars_bin():
    if not TARS_BIN:
        raise unittest.SkipTest("TARS_BIN is not set")
    return TARS_BIN


class Fixture:
    """The feed fixture on a free port; stop() ends it."""

    def __init__(self, *args, lifetime=90):
        self.proc = subprocess.Popen([PYTHON, FIXTURE, "--lifetime", str(lifetime)] + list(args),
                                     stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("port "):
            self.stop()
            raise AssertionError("the feed fixture did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "ws://127.0.0.1:%d/ws" % self.port

    def _call(self, method, path):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stats(self):
        return self._call("GET", "/fixture/stats")

    def drop(self):
        return self._call("POST", "/fixture/drop")["dropped"]

    def wait_subscribed(self, n, timeout=10):
        """Until n subscriptions were acknowledged (the ack is written right after the count
        moves: a short grace covers that)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.stats()["subscribes"] >= n:
                time.sleep(0.2)
                return
            time.sleep(0.05)
        raise AssertionError("fewer than %d subscriptions after %gs: %r" % (n, timeout, self.stats()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


class Stress:
    """One `tars ws-stress` run in the background; result() waits for it."""

    def __init__(self, url, *args, env=None):
        self.dir = tempfile.TemporaryDirectory(prefix="tars-ws-it-")
        self.json_path = os.path.join(self.dir.name, "ws.json")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.started = time.monotonic()
        self.proc = subprocess.Popen([tars_bin(), "ws-stress", url, "-q", "--json", self.json_path]
                                     + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=full_env)

    def interrupt(self, sig=signal.SIGINT):
        self.proc.send_signal(sig)

    def result(self, timeout=60):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("ws-stress did not end in %gs:\n%s\n%s" % (timeout, out, err))
        self.elapsed = time.monotonic() - self.started
        self.rc, self.out, self.err = self.proc.returncode, out, err
        self.json = None
        if os.path.exists(self.json_path):
            with open(self.json_path) as f:
                self.json = json.load(f)
        self.dir.cleanup()
        return self

    def describe(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out, self.err)


def run(url, *args, env=None, timeout=60):
    return Stress(url, *args, env=env).result(timeout)
