"""The one free-port picker of the test harnesses (Python 3 standard library only).

A server a test starts must not take a port from the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default): every outgoing connection on
the machine draws its local port from there, so on a busy machine a port that was free a moment
ago is soon some client's, and the server fails to bind. The ports here are drawn at random from
20000-65535 with the ephemeral range cut out, and each is verified by binding it (without
SO_REUSEADDR, so a port still in TIME_WAIT counts as taken). A port is never handed out twice by
one process. The pick can still race with another process that binds the same port before the
server does; the servers' harnesses retry on a failed start.

    from freeport import free_port, listening_socket
    port = free_port()                 # a port number, for a server started as a subprocess
    sock = listening_socket()          # a socket already bound and listening (no race at all)

Fixture servers (tests/fixtures/*.py) listen with listening_socket(HOST, backlog, --port).

As a program (for shell harnesses): `python3 tests/integration/freeport.py` prints one port.
"""

import random
import socket
import sys
import threading

HOST = "127.0.0.1"
LOWEST, HIGHEST = 20000, 65535
DEFAULT_EPHEMERAL = (32768, 60999)
TRIES = 500
RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range"

_given = set()
_lock = threading.Lock()
_random = random.SystemRandom()


def ephemeral_range(path=None):
    """(low, high) of the kernel's ephemeral port range; the Linux default when unreadable."""
    try:
        with open(path or RANGE_FILE) as f:
            low, high = (int(x) for x in f.read().split()[:2])
        return (low, high) if 0 < low <= high < 65536 else DEFAULT_EPHEMERAL
    except (OSError, ValueError):
        return DEFAULT_EPHEMERAL


def candidate_ranges():
    """The port ranges a test server may use: LOWEST..HIGHEST minus the ephemeral range."""
    low, high = ephemeral_range()
    ranges = [(LOWEST, min(low - 1, HIGHEST)), (max(high + 1, LOWEST), HIGHEST)]
    return [(a, b) for a, b in ranges if a <= b]


def _candidates(n):
    ranges = candidate_ranges()
    sizes = [b - a + 1 for a, b in ranges]
    if not ranges:
        raise OSError("no port range outside the ephemeral range %d-%d" % ephemeral_range())
    for _ in range(n):
        a, b = _random.choices(ranges, weights=sizes)[0]
        yield _random.randint(a, b)


def _bind(host, port, listen):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if listen:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        if listen:
            s.listen(listen)
        return s
    except OSError:
        s.close()
        return None


def _pick(host, listen):
    tried = 0
    for port in _candidates(TRIES):
        with _lock:
            if port in _given:
                continue
        tried += 1
        s = _bind(host, port, listen)
        if s is None:
            continue
        with _lock:
            _given.add(port)
        return port, s
    raise OSError("no free port on %s outside the ephemeral range %d-%d (%d bound already)"
                  % ((host,) + ephemeral_range() + (tried,)))


def free_port(host=HOST):
    """A port outside the ephemeral range that nothing had bound on HOST a moment ago."""
    port, s = _pick(host, 0)
    s.close()
    return port


def listening_socket(host=HOST, backlog=16, port=0):
    """A TCP socket bound to PORT, or when 0 to a free port outside the ephemeral range, and
    already listening. A given PORT that cannot be bound raises OSError."""
    if port:
        s = _bind(host, port, backlog)
        if s is None:
            raise OSError("cannot listen on %s:%d" % (host, port))
        return s
    return _pick(host, backlog)[1]


if __name__ == "__main__":
    print(free_port(sys.argv[1] if len(sys.argv) > 1 else HOST))
