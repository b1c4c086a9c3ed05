"""Harness for the `tars serve` integration tests (Python 3 standard library only).

Starts and stops real servers on free loopback ports, each with its own temporary
data directory, reads the demo credentials, obtains tokens, and speaks HTTP/1.1
with http.client. Tokens, passwords and API keys are never printed: every text
that goes into a failure message passes through mask().

Environment:
  TARS_BIN           path of the tars binary (required; set by CMake)
  TARS_TEST_PG_URL   when set, every server runs on a fresh database created in
                     this PostgreSQL instance (postgres://...), instead of SQLite
  TARS_TEST_KEEP     when set, temporary directories are kept (debugging)
"""

import atexit
import base64
import glob
import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from freeport import free_port  # noqa: E402,F401  (tests/integration/freeport.py)

HOST = "127.0.0.1"
START_TIMEOUT = 15.0      # seconds until /health must answer 200
STOP_TIMEOUT = 15.0       # seconds until SIGTERM must have ended the server
GENEROUS = 100000         # rate limits for tests that are not about rate limits

TARS_BIN = os.environ.get("TARS_BIN", "")
PG_URL = os.environ.get("TARS_TEST_PG_URL", "")


def backend():
    """'postgres' when the suite runs on PostgreSQL, else 'sqlite'."""
    return "postgres" if PG_URL else "sqlite"


# ---------------------------------------------------------------- masking

_secrets = set()
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*")
_KEY_RE = re.compile(r"tars_[A-Za-z0-9_\-]{6,}")


def register_secret(s):
    if isinstance(s, str) and len(s) >= 4:
        _secrets.add(s)


def mask(text):
    """Hide every known secret, every JWT-looking and every API-key-looking string."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    text = str(text)
    for s in sorted(_secrets, key=len, reverse=True):
        text = text.replace(s, "***")
    text = _JWT_RE.sub("<jwt>", text)
    text = _KEY_RE.sub("tars_<key>", text)
    return text


# ---------------------------------------------------------------- HTTP

class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes
        self._json = None
        self._json_done = False

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        if not self._json_done:
            self._json_done = True
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self._json = None
        return self._json

    def error_code(self):
        j = self.json()
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("code")
        return None

    def error_message(self):
        j = self.json()
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            m = j["error"].get("message")
            return m if isinstance(m, str) else ""
        return ""

    def describe(self, limit=600):
        """A masked one-line summary for failure messages."""
        hdrs = ", ".join("%s: %s" % (k, v) for k, v in self.headers
                         if k.lower() in ("content-type", "www-authenticate", "allow",
                                          "location", "retry-after")
                         or k.lower().startswith("x-ratelimit")
                         or k.lower().startswith("access-control"))
        body = self.text
        if len(body) > limit:
            body = body[:limit] + "...(%d bytes)" % len(self.body)
        return mask("%s %s -> %d %s [%s] %s" % (self.method, self.path, self.status,
                                                self.reason, hdrs, body))

    def __repr__(self):
        return "<Response %s>" % self.describe(200)


def request(port, method, path, json_body=None, body=None, headers=None, token=None,
            timeout=15.0, content_type=None):
    """One request on a fresh connection. json_body is serialised as application/json."""
    hdrs = {}
    if json_body is not None:
        body = json.dumps(json_body).encode("utf-8")
        hdrs["Content-Type"] = "application/json"
    if isinstance(body, str):
        body = body.encode("utf-8")
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    if headers:
        hdrs.update(headers)
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Response(method, path, r.status, r.reason, r.getheaders(), data)
    finally:
        conn.close()


class Client:
    """A keep-alive connection, reopened after an error (used for throughput)."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, json_body=None, token=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        hdrs = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
            if (r.getheader("Connection") or "").lower() == "close":
                self.close()
            return Response(method, path, r.status, r.reason, r.getheaders(), data)
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


# ---------------------------------------------------------------- JWT

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    if isinstance(s, str):
        s = s.encode("ascii")
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def jwt_parts(token):
    """(header dict, payload dict, signature bytes) of a compact JWS."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s)


def jwt_make(header, payload, key, alg="HS256"):
    """Build a compact JWS; alg HS256/HS384/HS512 with key, or 'none' (empty signature)."""
    hs = b64url(json.dumps(header, separators=(",", ":")).encode())
    ps = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = (hs + "." + ps).encode("ascii")
    if alg == "none":
        return hs + "." + ps + "."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    sig = hmac.new(key, signing_input, digest).digest()
    return hs + "." + ps + "." + b64url(sig)


def derive_jwt_key(secret_file, real_token):
    """Find how the server uses <data-dir>/jwt-secret: the candidate that reproduces the
    signature of a token the server issued. None if no candidate does."""
    with open(secret_file, "rb") as f:
        raw = f.read()
    cands = [raw, raw.strip(), raw.rstrip(b"\n")]
    st = raw.strip()
    try:
        cands.append(bytes.fromhex(st.decode("ascii")))
    except ValueError:
        pass
    for dec in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            cands.append(dec(st + b"=" * (-len(st) % 4)))
        except (ValueError, TypeError):
            pass
    h, p, s = real_token.split(".")
    signing_input = (h + "." + p).encode("ascii")
    sig = b64url_decode(s)
    for k in cands:
        if hmac.compare_digest(hmac.new(k, signing_input, hashlib.sha256).digest(), sig):
            return k
    return None


# ---------------------------------------------------------------- PostgreSQL

def _psql():
    p = shutil.which("psql")
    if p:
        return p
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    if found:
        return found[-1]
    raise RuntimeError("psql not found")


_db_counter = itertools.count(1)


def fresh_pg_database(base_url):
    """CREATE DATABASE in the instance at base_url; return the URL of the new database."""
    name = "tars_it_%d_%d" % (os.getpid(), next(_db_counter))
    r = subprocess.run([_psql(), base_url, "-v", "ON_ERROR_STOP=1", "-qAt",
                        "-c", 'CREATE DATABASE "%s"' % name],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("CREATE DATABASE failed: " + mask(r.stderr))
    u = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def pg_ctl(pgdir, action):
    """Stop ("stop": immediate, like a crash) or start again ("start") the cluster that
    pg_harness.sh made in pgdir, in place on its port (pg_harness.sh stop would remove it).
    Returns (exit code, output)."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1].rsplit("/", 1)[0]
    data = os.path.join(pgdir, "data")
    with open(os.path.join(pgdir, "port")) as f:
        port = f.read().strip()
    argv = [bindir + "/pg_ctl", "-D", data, "-w", "-t", "60"]
    if action == "stop":
        argv += ["-m", "immediate", "stop"]
    else:
        argv += ["-l", os.path.join(pgdir, "postgres.log"), "-o",
                 "-c unix_socket_directories='' -p %s -c listen_addresses=127.0.0.1 -c fsync=off" % port,
                 "start"]
    if os.getuid() == 0:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=90)
    return r.returncode, r.stdout + r.stderr


def psql_query(url, sql):
    r = subprocess.run([_psql(), url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("psql failed: " + mask(r.stderr))
    return r.stdout


# ---------------------------------------------------------------- server

_live = []


def _cleanup():
    for s in list(_live):
        s.kill9()
        s.cleanup()


atexit.register(_cleanup)


def start_shared(extra_args=()):
    """A server shared by one test module (setUpModule)."""
    server = Server(extra_args=list(extra_args))
    server.start()
    return server


def stop_shared(server):
    """Stops a shared server cleanly (exit 0 required) and removes its files."""
    if server is None:
        return
    try:
        server.stop_clean()
    finally:
        server.cleanup()


class ServerError(AssertionError):
    pass


class Server:
    """One `tars serve --demo` process on a free port.

    rate_public / rate_auth: None = leave the server's default; numbers are passed as
    flags. wait: 'health' polls GET /health until 200; 'tcp' only waits until the port
    accepts connections (no HTTP request, so no rate-limit budget is spent).
    """

    def __init__(self, extra_args=(), rate_public=GENEROUS, rate_auth=GENEROUS,
                 data_dir=None, db=None, wait="health", demo=True):
        if not TARS_BIN:
            raise ServerError("TARS_BIN is not set")
        if not os.access(TARS_BIN, os.X_OK):
            raise ServerError("TARS_BIN %r is not an executable file" % TARS_BIN)
        self.extra_args = list(extra_args)
        self.rate_public = rate_public
        self.rate_auth = rate_auth
        self.wait = wait
        self.demo = demo
        self.own_tmp = tempfile.mkdtemp(prefix="tars-it-")
        self.data_dir = data_dir or os.path.join(self.own_tmp, "data")
        self.log_path = os.path.join(self.own_tmp, "server-%d.log")
        self.db = db
        if self.db is None and PG_URL:
            self.db = fresh_pg_database(PG_URL)
        self.proc = None
        self.port = None
        self.runs = 0
        self._creds = None
        self._tokens = {}
        self._log_file = None

    # -- life cycle
    def argv(self):
        a = [TARS_BIN, "serve"]
        if self.demo:
            a.append("--demo")
        a += ["--listen", "%s:%d" % (HOST, self.port), "--data-dir", self.data_dir]
        if self.db:
            a += ["--db", self.db]
        if self.rate_public is not None:
            a += ["--rate-limit-public", str(self.rate_public)]
        if self.rate_auth is not None:
            a += ["--rate-limit-auth", str(self.rate_auth)]
        return a + self.extra_args

    def start(self, port=None):
        """Start (or restart on the same data dir); wait until it serves."""
        self.port = port or self.port or free_port()
        self.runs += 1
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TARS_") and k != "DASHBOARD_PORT"}
        self._log_file = open(self.log_path % self.runs, "wb")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT,
                                     env=env, cwd=self.own_tmp)
        if self not in _live:
            _live.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerError("tars serve exited with %d during start-up (%s)\n--- server output ---\n%s"
                                  % (rc, " ".join(self.safe_argv()), self.output_tail()))
            try:
                if self.wait == "tcp":
                    socket.create_connection((HOST, self.port), timeout=1.0).close()
                    return self
                r = request(self.port, "GET", "/health", timeout=2.0)
                if r.status == 200:
                    return self
                last = r.describe()
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        raise ServerError("tars serve did not answer /health with 200 within %.0f s (last: %s; %s)\n"
                          "--- server output ---\n%s"
                          % (START_TIMEOUT, last, " ".join(self.safe_argv()), self.output_tail()))

    def safe_argv(self):
        return [mask(a) for a in self.argv()]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; return (exit code or None if it had to be killed, seconds taken)."""
        if self.proc is None:
            return 0, 0.0
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            rc = None
        took = time.monotonic() - t0
        self._close_log()
        if self in _live:
            _live.remove(self)
        return rc, took

    def stop_clean(self, testcase=None):
        """SIGTERM and require exit 0 within STOP_TIMEOUT."""
        rc, took = self.stop()
        if rc != 0:
            msg = ("SIGTERM: tars serve %s (took %.1f s)\n--- server output ---\n%s"
                   % ("did not exit within %.0f s" % STOP_TIMEOUT if rc is None
                      else "exited with %d" % rc, took, self.output_tail()))
            if testcase is not None:
                testcase.fail(msg)
            raise ServerError(msg)
        return took

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._close_log()

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def cleanup(self):
        if self.alive():
            self.kill9()
        if self in _live:
            _live.remove(self)
        if not os.environ.get("TARS_TEST_KEEP"):
            shutil.rmtree(self.own_tmp, ignore_errors=True)

    def output_tail(self, limit=4000):
        out = []
        for i in range(1, self.runs + 1):
            try:
                with open(self.log_path % i, "rb") as f:
                    out.append("[run %d]\n" % i + f.read().decode("utf-8", "replace"))
            except OSError:
                pass
        text = mask("\n".join(out))
        return text[-limit:] if len(text) > limit else text

    def output(self):
        return self.output_tail(limit=10 ** 9)

    # -- HTTP
    def req(self, method, path, **kw):
        return request(self.port, method, path, **kw)

    def get(self, path, **kw):
        return request(self.port, "GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return request(self.port, "POST", path, json_body=json_body, **kw)

    # -- credentials and tokens
    def credentials(self):
        """{username: (password, role)} from <data-dir>/credentials.json."""
        if self._creds is None:
            path = os.path.join(self.data_dir, "credentials.json")
            with open(path) as f:
                doc = json.load(f)
            creds = {}
            for u in doc["users"]:
                register_secret(u["password"])
                creds[u["username"]] = (u["password"], u.get("role"))
            self._creds = creds
        return self._creds

    def password(self, username):
        return self.credentials()[username][0]

    def login(self, username, password=None):
        """POST /api/v1/auth/token; returns the Response (tokens registered as secrets)."""
        if password is None:
            password = self.password(username)
        r = self.post("/api/v1/auth/token", {"username": username, "password": password})
        j = r.json()
        if isinstance(j, dict):
            register_secret(j.get("access_token"))
            register_secret(j.get("refresh_token"))
        return r

    def tokens(self, role):
        """{'access_token', 'refresh_token'} of the demo user named like the role (cached)."""
        if role not in self._tokens:
            r = self.login(role)
            if r.status != 200 or not isinstance(r.json(), dict) or "access_token" not in r.json():
                raise ServerError("login as %s failed: %s" % (role, r.describe()))
            self._tokens[role] = r.json()
        return self._tokens[role]

    def token(self, role):
        return self.tokens(role)["access_token"]

    def jwt_secret_file(self):
        return os.path.join(self.data_dir, "jwt-secret")


def iso_now(offset_s=0.0):
    t = time.time() + offset_s
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def unique(prefix):
    return "%s-%s" % (prefix, os.urandom(5).hex())


ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


# ---------------------------------------------------------------- test base

import sys as _sys
import unittest as _unittest


def note(text):
    """A remark for the report (not a failure): written to stderr, masked."""
    _sys.stderr.write("NOTE: %s\n" % mask(text))
    _sys.stderr.flush()


class ApiTestCase(_unittest.TestCase):
    maxDiff = 4000

    def assertStatus(self, r, status, msg=""):
        ok = r.status in status if isinstance(status, (tuple, list, set)) else r.status == status
        if not ok:
            self.fail("expected HTTP %s, got: %s%s" % (status, r.describe(), (" -- " + msg) if msg else ""))

    def assertJson(self, r):
        j = r.json()
        if j is None:
            self.fail("response body is not JSON: %s" % r.describe())
        ct = (r.header("Content-Type") or "").lower()
        if not ct.startswith("application/json"):
            self.fail("Content-Type %r is not application/json: %s" % (ct, r.describe()))
        return j

    def assertError(self, r, status, code, msg=""):
        """Status, and the body {"error":{"code":code,"message":str}}."""
        self.assertStatus(r, status, msg)
        j = r.json()
        if not (isinstance(j, dict) and isinstance(j.get("error"), dict)
                and isinstance(j["error"].get("message"), str) and j["error"].get("message")):
            self.fail("error body is not {\"error\":{\"code\",\"message\"}}: %s" % r.describe())
        if code is not None and j["error"].get("code") != code:
            self.fail("error code %r, expected %r: %s" % (j["error"].get("code"), code, r.describe()))
        return j["error"]

    def assertKeys(self, obj, keys, what="object"):
        if not isinstance(obj, dict):
            self.fail("%s is not a JSON object: %s" % (what, mask(json.dumps(obj)[:500])))
        missing = [k for k in keys if k not in obj]
        if missing:
            self.fail("%s lacks %s: %s" % (what, missing, mask(json.dumps(obj)[:800])))


# ---------------------------------------------------------------- raw sockets

def raw_connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_raw_response(sock, timeout=5.0):
    """Read one HTTP/1.1 response. Returns (status, {lower name: value}, body) or None when
    the server closed (or reset) the connection before a complete header section."""
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no response within %.1f s" % timeout)
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return None
        if not chunk:
            return None
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0") or 0)
    while len(body) < n and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            break
        if not chunk:
            break
        body += chunk
    return status, hdrs, body


def wait_closed(sock, limit):
    """Seconds until the server closes the connection (EOF or reset; any response bytes
    before that, e.g. a 408, are read and ignored), or None if still open after limit."""
    t0 = time.monotonic()
    while True:
        left = limit - (time.monotonic() - t0)
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
        if not chunk:
            return time.monotonic() - t0


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    return int(l.split()[1])
    except OSError:
        pass
    return None
