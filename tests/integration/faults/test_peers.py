"""Misbehaving peers: tars load, tars validate and tars ws-stress talk to a real `tars serve`
through tests/fixtures/fault_proxy.py in each of its fault modes (trickle, stall after the
headers, reset mid-body, accept-and-never-answer, garbage bytes). Each command must end
within its own deadline plus a margin, never crash (no signal, no sanitizer report), exit 1
or 2 (never 0: nothing it measured was good), and count the failures under the kind the
fault is — a timeout, a reset, a response that is not HTTP.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, os.path.join(HERE, "..", "load"))
import harness as H  # noqa: E402
from loadlib import Fixture  # noqa: E402  (starts a fixture script, reads its port)

PROXY = os.path.join(HERE, "..", "..", "fixtures", "fault_proxy.py")
MARGIN = 15.0     # seconds a command may take past its own bound on a busy machine

# mode -> (proxy options, the load error kind it must produce)
MODES = {
    "trickle": (["--rate", "20"], "timeout"),
    "stall": ([], "timeout"),
    "reset": (["--reset-after", "1"], "reset"),
    "blackhole": ([], "timeout"),
    "garbage": ([], "parse"),
}
# mode -> what tars validate's http check (libcurl) must say
VALIDATE_REASONS = {
    "trickle": "no complete answer within",
    "stall": "no complete answer within",
    "reset": "Failure when receiving data from the peer",
    "blackhole": "no complete answer within",
    "garbage": "Unsupported protocol",   # libcurl: an answer that is not HTTP/1.x
}
# mode -> the release prober's failure kind
PROBE_KINDS = {"trickle": "timeout", "stall": "timeout", "reset": "reset", "blackhole": "timeout",
               "garbage": "not_http"}
# mode -> what ws-stress must name as the reason its connections failed
WS_REASONS = {
    "trickle": "timed out",
    "stall": "timed out",
    "reset": "reset",
    "blackhole": "timed out",
    "garbage": "not HTTP",
}


class MisbehavingPeers(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.S = H.Server()
        cls.S.start()
        cls.proxies = {}
        try:
            for mode, (args, _) in MODES.items():
                cls.proxies[mode] = Fixture(mode, "--upstream", "127.0.0.1:%d" % cls.S.port,
                                            *args, lifetime=300, script=PROXY)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for p in cls.proxies.values():
            p.stop()
        cls.S.stop()
        cls.S.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tars-faults-peers-")
        self.addCleanup(H.shutil.rmtree, self.tmp, ignore_errors=True)

    def tars(self, bound, *args, env=None):
        """Runs tars; fails unless it ends within bound + MARGIN s, by exit (not a signal)."""
        t0 = time.monotonic()
        try:
            r = subprocess.run([H.TARS_BIN] + list(args), capture_output=True, text=True,
                               timeout=bound + MARGIN, cwd=self.tmp,
                               env=dict(os.environ, **(env or {})))
        except subprocess.TimeoutExpired:
            self.fail("tars %s hung: no end within %.0f s" % (" ".join(args), bound + MARGIN))
        took = time.monotonic() - t0
        self.assertGreaterEqual(r.returncode, 0, "tars %s died by signal %d\n%s"
                                % (args[0], -r.returncode, r.stderr[-3000:]))
        self.assertNotIn("Sanitizer", r.stderr, r.stderr[-3000:])
        self.assertNotIn("runtime error", r.stderr, r.stderr[-3000:])
        return r, took

    def assertNothingGood(self, mode, r):
        """Exit 1 or 2: through a fault nothing measured can pass."""
        self.assertIn(r.returncode, (1, 2), "%s: exit %d\n%s%s"
                      % (mode, r.returncode, r.stdout[-1500:], r.stderr[-1500:]))

    def raw_get(self, mode, wait):
        """GET /health through the mode's proxy; (bytes received within wait s, how it ended)."""
        s = socket.create_connection(("127.0.0.1", self.proxies[mode].port), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got, ended = b"", "open"
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    ended = "closed"
                    break
                got += chunk
        except ConnectionResetError:
            ended = "reset"
        finally:
            s.close()
        return got, ended

    def test_the_proxy_modes_do_what_they_say(self):
        head, ended = self.raw_get("stall", 1.5)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:100])
        self.assertTrue(head.endswith(b"\r\n\r\n"), "stall forwarded body bytes: %r" % head[-60:])
        self.assertEqual(ended, "open")
        got, ended = self.raw_get("reset", 3)
        self.assertEqual(ended, "reset", got[:200])
        self.assertEqual(len(got) - (got.find(b"\r\n\r\n") + 4), 1, "reset after 1 body byte: %r" % got)
        got, ended = self.raw_get("blackhole", 1.0)
        self.assertEqual((got, ended), (b"", "open"))
        got, _ = self.raw_get("garbage", 1.0)
        self.assertTrue(got and not got.startswith(b"HTTP/"), got[:40])
        t0 = time.monotonic()
        got, _ = self.raw_get("trickle", 1.0)
        rate = len(got) / (time.monotonic() - t0)
        self.assertTrue(0 < len(got) and rate <= 20 * 1.5, "trickle at 20 B/s gave %.0f B/s" % rate)

    def test_load_counts_each_fault_under_its_kind(self):
        for mode, (_, kind) in MODES.items():
            with self.subTest(mode=mode):
                out = os.path.join(self.tmp, "load-%s.json" % mode)
                r, took = self.tars(3, "load", "http://127.0.0.1:%d/health" % self.proxies[mode].port,
                                    "--duration", "2s", "--timeout", "1s", "--users", "4",
                                    "--json", out, "-q")
                self.assertNothingGood(mode, r)
                with open(out) as f:
                    total = json.load(f)["total"]
                errors = total["errors"]
                self.assertGreater(total["failures"], 0, "%s: no failure counted" % mode)
                self.assertEqual(errors[kind], total["failures"],
                                 "%s: every failure should be a %s: %s" % (mode, kind, errors))
                H.note("load through %s: %d failures, all %s, %.1f s for a 2 s run"
                       % (mode, total["failures"], kind, took))

    def test_validate_keeps_its_timeouts(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                suite = os.path.join(self.tmp, "suite-%s.yaml" % mode)
                with open(suite, "w") as f:
                    f.write("suite: peers\ntargets:\n  api: {base_url: \"http://127.0.0.1:%d\"}\n"
                            "defaults: {timeout: 1s, retries: 0}\ndeadline: 20s\nchecks:\n"
                            "  - id: peers.health\n    category: api\n    type: http\n"
                            "    path: /health\n    expect: {status: 200}\n"
                            % self.proxies[mode].port)
                out = os.path.join(self.tmp, "checks-%s.json" % mode)
                r, took = self.tars(2, "validate", suite, "--format", "json:" + out)
                self.assertNothingGood(mode, r)
                with open(out) as f:
                    text = f.read()
                self.assertRegex(text, r'"status": "(error|fail)"', "%s: %s" % (mode, text[:1500]))
                self.assertIn(VALIDATE_REASONS[mode], text, "%s: %s" % (mode, text[:1500]))
                H.note("validate through %s: exit %d after %.1f s (check timeout 1 s)"
                       % (mode, r.returncode, took))

    def test_ws_stress_ends_on_time(self):
        tok = self.S.token("viewer")
        for mode in MODES:
            with self.subTest(mode=mode):
                out = os.path.join(self.tmp, "ws-%s.json" % mode)
                r, took = self.tars(2 + 5 + 2, "ws-stress", "ws://127.0.0.1:%d/ws" % self.proxies[mode].port,
                                    "--connections", "4", "--duration", "2s", "--connect-timeout", "1s",
                                    "--drain", "1s", "--token-env", "PEERS_TOKEN", "--json", out, "-q",
                                    env={"PEERS_TOKEN": tok})
                self.assertNothingGood(mode, r)
                self.assertNotIn(tok, r.stdout + r.stderr)
                with open(out) as f:
                    conn = json.load(f)["connections"]
                self.assertEqual(conn["established"], 0, "%s: %s" % (mode, conn))
                reasons = conn["failure_reasons"]
                self.assertTrue(reasons and all(WS_REASONS[mode] in k for k in reasons),
                                "%s: connections failed for %s, not for %r" % (mode, reasons, WS_REASONS[mode]))
                H.note("ws-stress through %s: exit %d after %.1f s; %s"
                       % (mode, r.returncode, took, (r.stderr.strip().splitlines() or [""])[-1][:200]))

    def test_release_prober_keeps_its_deadline(self):
        tok = self.S.token("viewer")
        for mode in MODES:
            with self.subTest(mode=mode):
                cfg = os.path.join(self.tmp, "release-%s.yaml" % mode)
                with open(cfg, "w") as f:
                    f.write("release:\n  name: peers\n  version: 1.0.1\n  environment: peers-%s\n"
                            "  base_url: http://127.0.0.1:%d\n"
                            "deploy:\n  steps:\n    - run: sleep 2\n"
                            "probe:\n  paths: [/health]\n  rate: 10\n"
                            "  websocket: {connections: 2, token_env: PEERS_TOKEN}\n"
                            "report: {enabled: false}\n" % (mode, self.proxies[mode].port))
                run_dir = os.path.join(self.tmp, "run-%s" % mode)
                # deploy 2 s, then the prober's last request (2 s timeout) and ws-stress's drain
                r, took = self.tars(2 + 2 + 6, "release", "--config", cfg, "--run", run_dir, "-q",
                                    env={"PEERS_TOKEN": tok})
                self.assertNothingGood(mode, r)
                with open(os.path.join(run_dir, "run.json")) as f:
                    zd = json.load(f)["zero_downtime"]
                target = zd["targets"][0]
                failed = target["failed"] + target["failed_before_up"]
                self.assertGreater(failed, 0, "%s: %s" % (mode, zd))
                self.assertEqual(target["failure_kinds"], {PROBE_KINDS[mode]: failed},
                                 "%s: %s" % (mode, target))
                self.assertNotIn(tok, json.dumps(zd))
                ws = zd.get("websocket") or {}
                self.assertEqual(ws.get("established"), 0, "%s: %s" % (mode, ws))
                # a 2 s window is shorter than ws-stress's connect timeout: a silent peer has
                # failed nothing yet when the window closes, the others have, each by its kind
                reasons = ws.get("failure_reasons") or {}
                self.assertTrue(all(WS_REASONS[mode] in k for k in reasons)
                                and (reasons or WS_REASONS[mode] == "timed out"),
                                "%s: the probe's WebSocket clients failed for %s" % (mode, reasons))
                H.note("release prober through %s: exit %d after %.1f s (deploy 2 s); %s"
                       % (mode, r.returncode, took, json.dumps(target)[:300]))


if __name__ == "__main__":
    unittest.main()
