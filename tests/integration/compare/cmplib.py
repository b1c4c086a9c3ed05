"""Helpers for the `tars compare` and HTML report integration tests (Python 3 standard library).

Reuses the `tars load` test helpers (tests/integration/load/loadlib.py), which bring the
`tars serve` harness (tests/integration/api/harness.py) and the fixture server.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "load"))

import loadlib  # noqa: E402
from loadlib import (EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, Fixture,  # noqa: E402,F401
                     TempDir, mask, start_demo_server, tars_bin)

ROOT = loadlib.ROOT

# Open model at a fixed rate: throughput is set by the rate, not by how busy this shared machine
# is, and the server stays far from saturation, so the same endpoint measured twice is the same.
LOAD_ARGS = ["-R", "200", "-c", "10", "-t", "1", "-d", "2s", "-q"]


def load(url, json_path=None, run_dir=None, extra=()):
    args = [url] + LOAD_ARGS + list(extra)
    if run_dir:
        args += ["--run", run_dir]
    r = loadlib.run_load(args, timeout=30, json_path=json_path)
    if r.rc != EXIT_OK:
        raise AssertionError("tars load failed\n%s" % r.describe())
    return r


class Run:
    def __init__(self, argv, proc):
        self.argv = argv
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def describe(self):
        return mask("$ %s\nexit %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
                    % (" ".join(self.argv), self.rc, self.stdout[-4000:], self.stderr[-4000:]))


def tars(*args, timeout=30):
    argv = [tars_bin()] + [str(a) for a in args]
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    return Run(argv, proc)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def metric(doc, name):
    for m in doc["metrics"]:
        if m["name"] == name:
            return m
    raise AssertionError("no metric %r in %s" % (name, [m["name"] for m in doc["metrics"]]))
