"""Resident memory of `tars serve` holding N idle, subscribed WebSocket clients (not a CTest test).

    TARS_BIN=build/src/cli/tars /usr/bin/python3 tests/integration/ws/measure_memory.py [N]

Starts `tars serve --demo --threads 2` on a free port, reads its RSS, opens N connections
(token in the query), subscribes each to evaluation.updates, reads the RSS again, publishes one
evaluation and checks every client got it, and prints the figures. Figures go to
docs/benchmarks.md ("WebSocket server (preliminary)").
"""

import sys
import time

from wstest import H, connect, next_push, post_eval, subscribe


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    server = H.start_shared(["--threads", "2"])
    try:
        tok = server.token("viewer")
        time.sleep(0.5)
        base = H.rss_kib(server.proc.pid)
        t0 = time.monotonic()
        clients = []
        for _ in range(n):
            ws = connect(server, query="token=" + tok)
            clients.append(ws)
            subscribe(ws)
        opened = time.monotonic() - t0
        time.sleep(1.0)
        idle = H.rss_kib(server.proc.pid)
        ev = post_eval(server)
        got = sum(1 for ws in clients if next_push(ws, 10.0)["payload"]["id"] == ev["id"])
        after = H.rss_kib(server.proc.pid)
        print("clients %d (opened and subscribed in %.1f s), all got the broadcast: %s" %
              (n, opened, got == n))
        print("RSS KiB: started %d, with %d idle subscribed clients %d, after one broadcast %d" %
              (base, n, idle, after))
        print("per connection: %.1f KiB" % ((idle - base) / n))
        for ws in clients:
            ws.sock.close()
    finally:
        H.stop_shared(server)


if __name__ == "__main__":
    main()
