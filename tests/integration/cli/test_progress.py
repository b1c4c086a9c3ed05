"""Progress and colour on a terminal, plain lines in a log (docs/cli-output.md), through a
pseudo-terminal (Python's pty) and through pipes: `tars validate` redraws a progress line (checks
done/total, failures so far, elapsed) and colours its verdicts on a terminal; `tars release` shows
the running stage with its elapsed time and the step inside it. CI=true or no terminal: plain
lines, no escape sequence; NO_COLOR: no colour. Verdict words are upper case everywhere."""

import http.server
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from freeport import listening_socket  # noqa: E402  (tests/integration/freeport.py)

TARS = os.environ.get("TARS_BIN", "")
GREEN, RED, YELLOW = "\x1b[32m", "\x1b[31m", "\x1b[33m"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "TERM")}
    env["TERM"] = "xterm"
    env.update(extra)
    return env


def run_pty(argv, env, cwd=None, timeout=60):
    """Runs argv with stdin, stdout and stderr on a pseudo-terminal; (exit status, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    return proc.returncode, out.decode("utf-8", "replace")


def run_pipe(argv, env, cwd=None, timeout=60):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                       cwd=cwd, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class Progress(unittest.TestCase):
    def setUp(self):
        if not (TARS and os.access(TARS, os.X_OK)):
            self.fail("TARS_BIN must name the tars binary")
        self.dir = tempfile.mkdtemp(prefix="tars-progress-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def suite(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer, bind_and_activate=False)
        server.socket.close()
        server.socket = listening_socket()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = "http://127.0.0.1:%d/" % server.socket.getsockname()[1]
        return self.write("suite.yaml", (
            "suite: progress\nchecks:\n"
            "  - {id: p.pass, category: a, type: http, url: '%s'}\n"
            "  - {id: p.fail, category: a, type: http, url: '%s', expect: {status: 201}}\n"
            "  - {id: p.skip, category: a, skip: not here}\n" % (url, url)))

    def test_validate_on_a_terminal(self):
        rc, out = run_pty([TARS, "validate", self.suite()], clean_env())
        self.assertEqual(rc, 1, out)
        # the progress line, redrawn in place: done/total, failures so far, elapsed
        self.assertRegex(out, r"\r\x1b\[K  \[3/3\] 1 failed  \d+\.\d s  p\.", out)
        self.assertIn(GREEN + "PASS ", out)
        self.assertIn(RED + "FAIL ", out)
        self.assertIn(YELLOW + "SKIP ", out)

    def test_validate_no_color_ci_and_pipes(self):
        suite = self.suite()
        rc, out = run_pty([TARS, "validate", suite], clean_env(NO_COLOR="1"))
        self.assertEqual(rc, 1, out)
        self.assertIn("[3/3] 1 failed", out)           # still live: a terminal
        self.assertNotRegex(out, r"\x1b\[3\dm", out)   # but no colour
        for how, env in (("CI=true on a terminal", clean_env(CI="true")),
                         ("pipes", clean_env())):
            run = run_pty if how.endswith("terminal") else run_pipe
            rc, out = run([TARS, "validate", suite], env)
            self.assertEqual(rc, 1, how + "\n" + out)
            self.assertNotIn("\x1b[", out, how)
            self.assertNotIn("\r\x1b", out, how)
            self.assertRegex(out, r"(?m)^  PASS  p\.pass ", how + "\n" + out)
            self.assertRegex(out, r"(?m)^  FAIL  p\.fail ", how + "\n" + out)

    def release_config(self):
        return self.write("release.yaml", (
            "release:\n  name: progress\n  version: v1.0.1\n  environment: test\n"
            "  base_url: http://127.0.0.1:1\n"
            "deploy:\n  steps:\n    - run: 'true'\n"
            "validate:\n  steps:\n    - {name: first, run: 'sleep 1.5'}\n"
            "    - {name: second, run: 'sleep 1.5'}\n"
            "perf:\n  steps:\n    - run: 'true'\n"
            "rollback:\n  steps:\n    - run: 'true'\n"
            "report:\n  enabled: false\n"))

    def test_release_on_a_terminal(self):
        rc, out = run_pty([TARS, "release", "--config", self.release_config(), "--run",
                           os.path.join(self.dir, "run")], clean_env(), cwd=self.dir)
        self.assertEqual(rc, 0, out)
        # the running stage redrawn with its elapsed seconds and the step inside it
        self.assertRegex(out, r"\r\x1b\[K==> validate  \d+ s  step 2 of 2: second", out)
        self.assertIn("    validate " + GREEN + "PASS" + "\x1b[0m (", out)
        self.assertIn("    rollback " + YELLOW + "SKIP", out)

    def test_release_in_a_log(self):
        for how, env in (("CI=true on a terminal", clean_env(CI="true")),
                         ("pipes", clean_env())):
            run_dir = os.path.join(self.dir, "run-" + how.split()[0])
            run = run_pty if how.endswith("terminal") else run_pipe
            rc, out = run([TARS, "release", "--config", self.release_config(), "--run", run_dir],
                          env, cwd=self.dir)
            self.assertEqual(rc, 0, how + "\n" + out)
            self.assertNotIn("\x1b[", out, how)
            lines = [line.rstrip("\r") for line in out.splitlines()]
            for want in ("==> validate", "    validate: step 1 of 2: first",
                         "    validate: step 2 of 2: second"):
                self.assertIn(want, lines, how + "\n" + out)
            self.assertTrue(any(line.startswith("    validate PASS (") for line in lines), out)


if __name__ == "__main__":
    unittest.main()
