"""A tiny RFC 6455 client for the tests of `tars serve`'s /ws (Python standard library only).

Masks what it sends (as a client must), reassembles fragmented messages, answers the
server's pings, and reports close frames with their code. Nothing here retries or hides
errors: a test sees exactly what the server sent.
"""

import base64
import hashlib
import json
import os
import socket
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeError(Exception):
    def __init__(self, status, headers, body):
        Exception.__init__(self, "handshake answered %s" % status)
        self.status = status
        self.headers = headers
        self.body = body


class Closed(Exception):
    """The server closed: code is the close frame's code (None: no close frame, just EOF)."""

    def __init__(self, code, reason=""):
        Exception.__init__(self, "closed with %s %r" % (code, reason))
        self.code = code
        self.reason = reason


def _read_response_head(sock, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("server closed during the handshake")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


class WSClient:
    def __init__(self, sock, rest, headers):
        self.sock = sock
        self.buf = rest
        self.headers = headers
        self.closed_code = None

    # -- connecting
    @classmethod
    def connect(cls, port, path="/ws", headers=None, protocols=None, timeout=5.0,
                host="127.0.0.1", rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # before connecting, so the advertised window stays small
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
        except OSError:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        deadline = time.monotonic() + timeout
        try:
            status, hdrs, rest = _read_response_head(sock, deadline)
        except Exception:
            sock.close()
            raise
        if status != 101:
            sock.close()
            raise HandshakeError(status, hdrs, rest)
        want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            sock.close()
            raise ConnectionError("bad Sec-WebSocket-Accept")
        return cls(sock, rest, hdrs)

    # -- sending
    def send_frame(self, opcode, payload, fin=True):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def send_close(self, code=1000, reason=""):
        self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode())

    # -- receiving
    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete frame in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                raise Closed(None, "reset")
            if not chunk:
                raise Closed(None, "eof")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self, timeout=5.0):
        """(fin, opcode, payload bytes) of the next frame."""
        deadline = time.monotonic() + timeout
        b0, b1 = self._need(2, deadline)
        if b1 & 0x80:
            raise AssertionError("the server masked a frame")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2, deadline))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8, deadline))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self._need(n, deadline)

    def recv(self, timeout=5.0):
        """The next text message (str). Pings are answered; a close frame raises Closed."""
        deadline = time.monotonic() + timeout
        parts = []
        while True:
            fin, op, payload = self.recv_frame(max(0.01, deadline - time.monotonic()))
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                self.closed_code = code
                try:
                    self.send_close(code or 1000)
                except OSError:
                    pass
                raise Closed(code, payload[2:].decode("utf-8", "replace"))
            if op not in (OP_TEXT, OP_CONT):
                raise AssertionError("unexpected opcode %d" % op)
            parts.append(payload)
            if fin:
                return b"".join(parts).decode("utf-8")

    def recv_json(self, timeout=5.0):
        return json.loads(self.recv(timeout))

    def recv_until(self, pred, timeout=5.0):
        """Reads messages (JSON) until pred(msg); returns (msg, skipped list)."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            m = self.recv_json(max(0.01, deadline - time.monotonic()))
            if pred(m):
                return m, skipped
            skipped.append(m)

    def wait_close(self, timeout=5.0):
        """Reads until the server closes; returns the close code (None for a bare EOF)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    self.recv(max(0.01, deadline - time.monotonic()))
                except Closed as c:
                    return c.code
        finally:
            self.sock.close()

    def close(self):
        try:
            self.send_close(1000)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
