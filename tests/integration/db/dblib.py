"""Helpers for the db-seed / db-bench integration tests."""

import json
import os
import subprocess

TARS_BIN = os.environ.get("TARS_BIN", "tars")
NOW = "2026-01-01T00:00:00Z"
FAMILIES = ["agent_evaluations", "reward_aggregation", "temporal", "multi_region", "active_missions",
            "api_key_lookup"]


def tars(*args, timeout=180):
    """Runs tars with args; returns the CompletedProcess (text mode)."""
    return subprocess.run([TARS_BIN] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def seed(db, rows=20000, seed_value=1, extra=()):
    return tars("db-seed", "--db", db, "--rows", rows, "--seed", seed_value, "--now", NOW, *extra)


def checksum(result):
    """The checksum db-seed printed."""
    for line in result.stdout.splitlines():
        if "checksum" in line:
            return line.rsplit(" ", 1)[-1]
    return None


def bench(db, json_path, *extra, iterations=20):
    r = tars("db-bench", "--db", db, "--iterations", iterations, "--json", json_path, *extra)
    doc = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            doc = json.load(f)
    return r, doc
