"""The Kubernetes stand-in (tests/fixtures/k8s_fixture.py) holding what the chart really makes
(Python 3 standard library + python3-yaml): a bare stand-in answers /version and discovery so
that the real `helm install --dry-run=client -o json` renders the release release/staging.yaml
installs; the stand-in then serves that release's objects (and Helm's storage secret of it)."""

import os
import random
import socket
import subprocess
import sys

import chart

FIXTURES = os.path.join(chart.ROOT, "tests", "fixtures")


def port_outside_ephemeral(host="127.0.0.1"):
    """A free TCP port in 20000–32000 (below the kernel's ephemeral range 32768–60999)."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 20000-32000 after 200 tries")


class Fixture:
    """One fixture process on a port outside the ephemeral range; stop() ends it."""

    def __init__(self, script, *args, lifetime=600):
        last = ""
        for _ in range(5):  # another process may take the port between the probe and the bind
            port = port_outside_ephemeral()
            self.proc = subprocess.Popen(
                [sys.executable, "-B", os.path.join(FIXTURES, script), "--port", str(port),
                 "--lifetime", str(lifetime)] + list(args),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = self.proc.stdout.readline().split()
            if len(line) == 2 and line[0] == "port":
                self.port = int(line[1])
                return
            self.proc.wait(10)
            last = self.proc.stderr.read()
            self.close()
        raise AssertionError("%s did not start: %s" % (script, last[-2000:]))

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


def kubeconfig(path, port, token="stand-in-token-0123"):
    with open(path, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: stand-in\n"
                "clusters:\n- name: stand-in\n  cluster:\n    server: http://127.0.0.1:%d\n"
                "contexts:\n- name: stand-in\n  context: {cluster: stand-in, user: ci,"
                " namespace: tars-staging}\n"
                "users:\n- name: ci\n  user: {token: %s}\n" % (port, token))
    os.chmod(path, 0o600)
    return path


def dry_run_release(workdir, chart_ref=chart.CHART):
    """The release Helm would install for release/staging.yaml (stable, canary weight 0):
    real `helm install … --dry-run=client -o json` against a bare stand-in. The stand-in serves
    no OpenAPI schema, so helm's schema validation is off (--disable-openapi-validation); the
    objects are checked by helm lint --strict and the contract test instead."""
    chart.need_tools()
    release, args = chart.staging_install(0)
    bare = Fixture("k8s_fixture.py", "--bare", "--namespace", "tars-staging", lifetime=120)
    try:
        cfg = kubeconfig(os.path.join(workdir, "bare.kubeconfig"), bare.port)
        argv = [chart.HELM, "install", release, chart_ref] + chart.template_args(args) + \
            ["--dry-run=client", "--disable-openapi-validation", "-o", "json"]
        r = subprocess.run(argv, cwd=chart.ROOT, capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, KUBECONFIG=cfg, HELM_CACHE_HOME=workdir,
                                    HELM_CONFIG_HOME=workdir, HELM_DATA_HOME=workdir))
    finally:
        bare.close()
    if r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (" ".join(argv), r.returncode, r.stderr))
    path = os.path.join(workdir, "release.json")
    with open(path, "w") as f:
        f.write(r.stdout)
    return path


class TlsFront:
    """HTTPS in front of a plain-HTTP loopback server (tars serve has no TLS of its own; a staging
    cluster's Ingress terminates TLS): a self-signed certificate for 127.0.0.1 made with openssl,
    one thread per connection relaying bytes both ways (WebSocket upgrades included)."""

    def __init__(self, workdir, target_port):
        import select
        import ssl
        import threading

        self.select = select
        self.cert = os.path.join(workdir, "staging-cert.pem")
        key = os.path.join(workdir, "staging-key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", self.cert], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise AssertionError("openssl req failed: " + r.stderr)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, key)
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for _ in range(20):
            try:
                self.listener.bind(("127.0.0.1", port_outside_ephemeral()))
                break
            except OSError:
                continue
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.closing = False
        self.socks = []
        self.lock = threading.Lock()
        self.threading = threading
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self.threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw):
        raw.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
            up = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError:
            raw.close()
            return
        with self.lock:
            self.socks += [tls, up]
        tls.settimeout(60)
        up.settimeout(60)
        try:
            while not self.closing:
                ready = [tls] if tls.pending() else \
                    self.select.select([tls, up], [], [], 1.0)[0]
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is tls else tls).sendall(data)
        except OSError:
            pass
        finally:
            for s in (tls, up):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self):
        self.closing = True
        self.listener.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass
