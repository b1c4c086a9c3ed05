"""Helpers for the `tars load` integration tests (Python 3 standard library only).

Runs `tars load` as a subprocess, bounded in time, sampling its resident memory; starts the
fixture server of tests/fixtures/http_fixture.py on a free port; reads the result JSON
(docs/load-format.md) and the Prometheus text of `tars serve`'s /metrics. `tars serve` itself
is started with the harness of the API tests (tests/integration/api/harness.py), imported
from there.

Environment: TARS_BIN (required; set by CMake), TARS_TEST_KEEP (keep temporary directories).
"""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

import harness  # noqa: E402  (tests/integration/api/harness.py)
from harness import HOST, free_port, mask, note, register_secret  # noqa: E402,F401

PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "http_fixture.py")
TARS_BIN = os.environ.get("TARS_BIN", "")

# Exit codes (docs/exit-codes.md).
EXIT_OK, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_USAGE = 0, 1, 2, 3


def tars_bin():
    if not TARS_BIN:
        raise unittest.SkipTest("TARS_BIN is not set")
    if not os.access(TARS_BIN, os.X_OK):
        raise AssertionError("TARS_BIN %r is not an executable file" % TARS_BIN)
    return TARS_BIN


class TempDir:
    """A temporary directory removed at close (kept with TARS_TEST_KEEP)."""

    def __init__(self, prefix="tars-load-it-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def write(self, name, text, mode=0o644):
        p = self.join(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def close(self):
        if os.environ.get("TARS_TEST_KEEP"):
            note("kept %s" % self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------- the fixture server

class Fixture:
    """tests/fixtures/http_fixture.py MODE ARGS... on a free port (a context manager); with
    script=, another fixture of the same command line shape (e.g. fault_proxy.py)."""

    def __init__(self, mode, *args, lifetime=40, script=FIXTURE):
        self.mode = mode
        self.argv = [PYTHON, "-B", script, mode, "--lifetime", str(lifetime)] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.port = None
        self.stderr_text = None
        deadline = time.monotonic() + 10
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if r:
                c = os.read(self.proc.stdout.fileno(), 1)
                if not c:
                    break
                line += c
        m = re.match(rb"port (\d+)\n", line)
        if not m:
            self.stop()
            raise AssertionError("fixture %s did not print its port (got %r; stderr %r)"
                                 % (mode, line, self.proc.stderr.read()[-2000:]))
        self.port = int(m.group(1))

    def url(self, path="/"):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def served(self):
        """Requests the fixture has counted so far (GET /__count)."""
        with urllib.request.urlopen(self.url("/__count"), timeout=10) as r:
            return int(r.read())

    def wait_served(self, n, timeout=30):
        """Until the fixture has counted at least n requests (polls; fails after timeout)."""
        wait_until(lambda: self.served() >= n, timeout, "the fixture to count %d requests" % n)

    def stop(self):
        """Stops the fixture; what it wrote to stderr is then in self.stderr_text."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.stderr_text is None:
            try:
                self.stderr_text = self.proc.stderr.read().decode("utf-8", "replace")
            except (OSError, ValueError):
                self.stderr_text = ""
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def closed_port():
    """A loopback port nothing listens on (a free port, released): connect is refused."""
    return free_port()


def wait_until(predicate, timeout, what):
    """Polls predicate every 20 ms until it is true; AssertionError naming what after timeout s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("waited %.0f s for %s" % (timeout, what))
        time.sleep(0.02)


# ---------------------------------------------------------------- running tars load

def _status_kib(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class LoadRun:
    """What one `tars load` invocation did."""

    def __init__(self, argv, rc, stdout, stderr, elapsed, peak_rss_kib, json_path):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.peak_rss_kib = peak_rss_kib
        self.json_path = json_path
        self._json = None

    def describe(self, limit=3000):
        out = self.stdout[-limit:]
        err = self.stderr[-limit:]
        return mask("$ %s\nexit %s after %.2f s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                    % (" ".join(self.argv), self.rc, self.elapsed, out, err))

    def json(self):
        if self._json is None:
            if not self.json_path or not os.path.exists(self.json_path):
                raise AssertionError("no result JSON at %s\n%s" % (self.json_path, self.describe()))
            with open(self.json_path) as f:
                self._json = json.load(f)
        return self._json


def run_load(args, timeout, env=None, json_path=None, cwd=None, signal_when=None,
             sig=signal.SIGINT):
    """Runs `tars load ARGS` (plus --json json_path when given), at most timeout seconds
    (then SIGKILL, and the test fails). signal_when: a predicate polled every 20 ms while
    it runs; sig is sent once it holds.
    Samples VmHWM (peak resident memory) every 20 ms while it runs."""
    argv = [tars_bin(), "load"] + [str(a) for a in args]
    if json_path:
        argv += ["--json", json_path]
    full_env = dict(os.environ)
    full_env.pop("TARS_LOAD_TOKEN", None)
    if env:
        full_env.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=full_env, cwd=cwd)
        peak = 0
        sent_int = False
        killed = False
        while proc.poll() is None:
            now = time.monotonic() - t0
            hwm = _status_kib(proc.pid, "VmHWM")
            if hwm:
                peak = max(peak, hwm)
            if signal_when is not None and not sent_int and signal_when():
                proc.send_signal(sig)
                sent_int = True
            if now > timeout:
                proc.kill()
                killed = True
                proc.wait()
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        run = LoadRun(argv, proc.returncode, out.read().decode("utf-8", "replace"),
                      err.read().decode("utf-8", "replace"), elapsed, peak, json_path)
    if killed:
        raise AssertionError("tars load did not end within %.0f s (killed)\n%s"
                             % (timeout, run.describe()))
    return run


# ---------------------------------------------------------------- the result JSON

def task_named(result, name):
    for t in result.get("tasks", []):
        if t.get("name") == name:
            return t
    raise AssertionError("no task %r in the result (tasks: %s)"
                         % (name, [t.get("name") for t in result.get("tasks", [])]))


def hist_max_ms(task, key="latency"):
    """Max of a task's histogram, ms (exact: histograms keep min and max)."""
    h = task.get(key)
    if not isinstance(h, dict) or "max" not in h:
        raise AssertionError("task %r has no %s histogram with a max" % (task.get("name"), key))
    return h["max"] / 1e6


def summary_ms(task, key):
    """A figure of a task's "summary" (milliseconds, or rps / error_rate)."""
    s = task.get("summary")
    if not isinstance(s, dict) or key not in s:
        raise AssertionError("task %r has no summary.%s" % (task.get("name"), key))
    return s[key]


def errors_of(task):
    e = task.get("errors")
    if not isinstance(e, dict):
        raise AssertionError("task %r has no errors object" % task.get("name"))
    return e


# ---------------------------------------------------------------- Prometheus text

_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric_value(text, name, labels):
    """The value of the sample name{labels...} (labels must all match; others may exist),
    summed over the samples that match; 0 when there is none."""
    total = 0.0
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(_LABEL_RE.findall(m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
    return total


def scrape(server):
    r = server.get("/metrics")
    if r.status != 200:
        raise AssertionError("GET /metrics: %s" % r.describe())
    return r.text


def requests_total(server, method, endpoint, status):
    return int(metric_value(scrape(server), "tars_http_requests_total",
                            {"method": method, "endpoint": endpoint, "status": str(status)}))


def settled(read, tries=20, pause=0.05):
    """Reads a counter until two reads 50 ms apart agree (the last in-flight answers of a
    stopped run may still be counted just after the client exits)."""
    last = read()
    for _ in range(tries):
        time.sleep(pause)
        now = read()
        if now == last:
            return now
        last = now
    return last


def start_demo_server(rate_public=0):
    """`tars serve --demo` on a free port, rate limits off for public and auth endpoints."""
    tars_bin()
    s = harness.Server(rate_public=rate_public, rate_auth=0)
    s.start()
    return s
