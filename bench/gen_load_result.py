#!/usr/bin/env python3
"""Writes a synthetic `tars load` result file (docs/load-format.md §5) for benchmarks:

    gen_load_result.py OUT.json [--endpoints 10] [--requests 1000000] [--seed 1] [--slower 1.0]

--requests are spread evenly over the endpoints; each endpoint's latencies are log-normal around
a few milliseconds (its own median), times --slower, recorded exactly as tars's histogram would
(include/tars/hist.h buckets; every value sits at its bucket's low edge, so the exact sums agree
with the buckets). Deterministic for a given seed. Python 3 standard library only.
"""

import argparse
import json
import random

SUB_BITS = 7
HIGHEST_BITS = 42
BUCKETS = (HIGHEST_BITS - SUB_BITS + 1) << SUB_BITS


def bucket_of(v):
    if v < 256:
        return v
    k = v.bit_length() - 1
    return 256 + (k - 8) * 128 + ((v - (1 << k)) >> (k - SUB_BITS))


def bucket_low(i):
    if i < 256:
        return i
    k = 8 + (i - 256) // 128
    return (1 << k) + ((i - 256) % 128) * (1 << (k - SUB_BITS))


def histogram(rng, n, median_ns, sigma):
    counts = {}
    for _ in range(n):
        v = int(rng.lognormvariate(0, sigma) * median_ns)
        v = min(max(v, 1), (1 << HIGHEST_BITS) - 1)
        i = bucket_of(v)
        counts[i] = counts.get(i, 0) + 1
    idx = sorted(counts)
    total = sum(counts.values())
    s = sum(bucket_low(i) * counts[i] for i in idx)
    s2 = sum(bucket_low(i) ** 2 * counts[i] for i in idx)
    return {"unit": "ns", "sub_bucket_bits": SUB_BITS, "highest": (1 << HIGHEST_BITS) - 1,
            "bucket_count": BUCKETS, "count": total, "min": bucket_low(idx[0]),
            "max": bucket_low(idx[-1]), "sum": str(s), "sum_squares": str(s2), "saturated": 0,
            "lost": 0, "buckets": [[i, counts[i]] for i in idx]}


def task(name, hist, failures):
    errors = dict.fromkeys(["timeout", "refused", "reset", "tls", "io", "status", "expect",
                            "parse"], 0)
    errors["status"] = failures
    return {"name": name, "method": "GET", "path": "/" + name, "requests": hist["count"],
            "failures": failures, "bytes_received": hist["count"] * 1000, "errors": errors,
            "failure_kinds": [{"error": "status", "status": 503, "count": failures}]
            if failures else [], "summary": {}, "latency": hist, "latency_raw": None}


def merge(hists):
    counts = {}
    for h in hists:
        for i, c in h["buckets"]:
            counts[i] = counts.get(i, 0) + c
    idx = sorted(counts)
    return {**hists[0], "count": sum(counts.values()), "min": bucket_low(idx[0]),
            "max": bucket_low(idx[-1]), "sum": str(sum(int(h["sum"]) for h in hists)),
            "sum_squares": str(sum(int(h["sum_squares"]) for h in hists)),
            "buckets": [[i, counts[i]] for i in idx]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--endpoints", type=int, default=10)
    p.add_argument("--requests", type=int, default=1000000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--slower", type=float, default=1.0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    per = a.requests // a.endpoints
    tasks, hists = [], []
    for e in range(a.endpoints):
        h = histogram(rng, per, (2 + e) * 1e6 * a.slower, 0.6)
        hists.append(h)
        tasks.append(task("endpoint%02d" % e, h, per // 1000))
    total = task("total", merge(hists), sum(t["failures"] for t in tasks))
    seconds = 60
    history = [{"at_ms": 1767225600000 + 1000 * (s + 1), "users": 100,
                "requests": a.requests // seconds, "failures": 0, "p50_ns": 0, "p95_ns": 0,
                "p99_ns": 0, "max_ns": 0} for s in range(seconds)]
    doc = {"format": "tars-load-result", "version": 1, "scenario": "bench", "model": "closed",
           "threads": 2, "started_at": "2026-01-01T00:00:00.000Z",
           "started_at_ms": 1767225600000, "duration_ms": seconds * 1000, "users": 100,
           "rate": 0, "interrupted": False, "generator_saturated": False,
           "generator_cpu_max": 0.5, "worker_index": 0, "worker_count": 1, "merged_from": 1,
           "total": total, "tasks": tasks, "history": history}
    with open(a.out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
