#!/usr/bin/python3
"""Replays requests the serve harness kept (FUZZ_SERVE_STALLS=DIR: the last
requests before an unanswered one, DIR/stall-N-K in the order sent) against a
running `tars serve`, the way the harness sent them: HTTP requests one after
another on one kept-alive connection (a new one when the server closed it),
each answer read whole before the next request goes; a WebSocket upgrade on a
connection of its own, its body lines sent as text messages after the 101,
then a ping, and read until the pong or a close.

Usage: tests/fuzz/serve/replay.py [--host H] --port P [--timeout S] FILE...
Prints each request's status and time; exit 0 when every request got its
answer within the timeout (default 5 s), 1 when one did not, 3 on bad usage.
The credentials in the files are the harness's (its JWT secret and demo
users): a server started otherwise answers them 401, which is still an answer.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time


class NoAnswer(Exception):
    pass


def recv_more(sock, buf, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise NoAnswer()
    sock.settimeout(left)
    try:
        chunk = sock.recv(65536)
    except socket.timeout:
        raise NoAnswer() from None
    except ConnectionError:
        return False
    if not chunk:
        return False
    buf.extend(chunk)
    return True


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def read_answer(sock, deadline, head_request):
    """(status, keep_alive, bytes after the head); raises NoAnswer."""
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        if not recv_more(sock, buf, deadline):
            return None, False, b""
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    keep = (header(head, b"connection") or b"").lower() != b"close"
    length = header(head, b"content-length")
    chunked = header(head, b"transfer-encoding") is not None
    if head_request or status in (101, 204, 304):
        return status, keep, bytes(buf[end:])
    if chunked:
        while not (buf.endswith(b"\r\n0\r\n\r\n") or bytes(buf[end:]) == b"0\r\n\r\n"):
            if not recv_more(sock, buf, deadline):
                return status, False, b""
    elif length is not None:
        while len(buf) - end < int(length):
            if not recv_more(sock, buf, deadline):
                return status, False, b""
    else:
        while recv_more(sock, buf, deadline):
            pass
        keep = False
    return status, keep, b""


def ws_frame(text):
    n = len(text)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return head + b"\0\0\0\0" + text  # a zero mask: the payload as it is


def ws_until_pong(sock, buf, deadline):
    while True:
        at = 0
        while at + 2 <= len(buf):
            n, h = buf[at + 1] & 0x7F, 2
            if n == 126:
                if at + 4 > len(buf):
                    break
                n, h = struct.unpack("!H", buf[at + 2:at + 4])[0], 4
            elif n == 127:
                if at + 10 > len(buf):
                    break
                n, h = struct.unpack("!Q", buf[at + 2:at + 10])[0], 10
            if at + h + n > len(buf):
                break
            op, payload = buf[at] & 0x0F, bytes(buf[at + h:at + h + n])
            if op == 8 or (op == 1 and b'"type":"pong"' in payload):
                return "close" if op == 8 else "pong"
            at += h + n
        del buf[:at]
        if not recv_more(sock, buf, deadline):
            return "end"


def connect(args):
    return socket.create_connection((args.host, args.port), timeout=args.timeout)


def replay_ws(args, data, deadline):
    head_end = data.index(b"\r\n\r\n") + 4
    with connect(args) as sock:
        sock.sendall(data[:head_end])
        status, _, rest = read_answer(sock, deadline, False)
        if status != 101:
            return status, ""
        for line in data[head_end:].split(b"\n"):
            sock.sendall(ws_frame(line))
        sock.sendall(ws_frame(json.dumps({"type": "ping"}, separators=(",", ":")).encode()))
        return status, ws_until_pong(sock, bytearray(rest), deadline)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("files", nargs="+")
    try:
        args = p.parse_args()
    except SystemExit:
        return 3
    sock = None
    for path in args.files:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            print(f"replay: {path}: {e.strerror}", file=sys.stderr)
            return 3
        if b"\r\n\r\n" not in data:
            print(f"replay: {path}: not an HTTP request (no end of head)", file=sys.stderr)
            return 3
        start = time.monotonic()
        deadline = start + args.timeout
        name = os.path.basename(path)
        try:
            if b"\r\nUpgrade: websocket\r\n" in data[:data.index(b"\r\n\r\n") + 2]:
                status, end = replay_ws(args, data, deadline)
                extra = f" then {end}" if end else ""
            else:
                if sock is None:
                    sock = connect(args)
                sock.sendall(data)
                status, keep, _ = read_answer(sock, deadline, data.startswith(b"HEAD "))
                extra = "" if keep else " (closed)"
                if not keep:
                    sock.close()
                    sock = None
        except NoAnswer:
            print(f"{name}: no answer within {args.timeout:g} s")
            return 1
        except OSError as e:
            print(f"replay: {name}: {e}", file=sys.stderr)
            return 1
        took = (time.monotonic() - start) * 1000
        print(f"{name}: {status if status is not None else 'closed'}{extra} in {took:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
