"""Bad usage is refused before any work: exit 3, a message naming what was wrong, no request
sent, no file created (docs/exit-codes.md)."""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from freeport import listening_socket  # noqa: E402  (tests/integration/freeport.py)

TARS = os.environ.get("TARS_BIN", "tars")


class Stub(http.server.BaseHTTPRequestHandler):
    """Answers 200 to everything; its server counts the requests."""

    def do_GET(self):
        if self.path != SENTINEL:
            with self.server.lock:
                self.server.hits += 1
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# The test's own request, which the stub does not count (see StubServer.settled).
SENTINEL = "/__usage_test_sentinel__"


class StubServer(http.server.ThreadingHTTPServer):
    """One per test, so that a request a previous test's tars left in flight (tars load stops at
    its deadline without waiting for its last answer) reaches a closed port, not this count.
    Connections are accepted in the order they were queued, and each is counted as accepted (in
    the accepting thread) and as finished (in its handler's thread)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Stub, bind_and_activate=False)
        self.lock = threading.Lock()
        self.hits = self.accepted = self.finished = 0

    def verify_request(self, request, client_address):
        with self.lock:
            self.accepted += 1
        return True

    def shutdown_request(self, request):
        with self.lock:
            self.finished += 1
        super().shutdown_request(request)

    def settled(self, timeout=30):
        """The requests counted once everything sent before now has been handled: a sentinel
        request queued after whatever tars sent is accepted after it, then this waits (with a
        deadline) until every accepted connection is finished."""
        url = "http://127.0.0.1:%d%s" % (self.server_address[1], SENTINEL)
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if self.finished >= self.accepted:
                    return self.hits
            if time.monotonic() > deadline:
                raise AssertionError("the stub still handles %d connections after %d s"
                                     % (self.accepted - self.finished, timeout))
            time.sleep(0.01)


def start_stub():
    """A stub on a free port outside the ephemeral range, its socket bound before it is used."""
    server = StubServer()
    server.socket.close()
    server.socket = listening_socket()
    server.server_address = server.socket.getsockname()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Base(unittest.TestCase):
    def setUp(self):
        self.server = start_stub()
        self.addCleanup(self.stop_stub)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.work = tempfile.mkdtemp(prefix="tars-usage-")
        self.suite = os.path.join(self.work, "suite.yaml")
        with open(self.suite, "w") as f:
            f.write("suite: usage\n"
                    "checks:\n"
                    "  - {id: usage.api.health, category: api, tags: [core], type: http,\n"
                    "     url: \"%s/health\"}\n"
                    "  - {id: usage.api.version, category: api, type: http, url: \"%s/v\"}\n"
                    % (self.url, self.url))

    def stop_stub(self):
        self.server.shutdown()
        self.server.server_close()

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def hits(self):
        return self.server.settled()

    def tars(self, *args):
        p = subprocess.run([TARS] + list(args), cwd=self.work, capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout, p.stderr

    def assertRefused(self, args, message):
        """Exit 3 with message on stderr, nothing sent, no new file in the work folder."""
        before = sorted(os.listdir(self.work))
        rc, out, err = self.tars(*args)
        shown = "tars %s\nexit %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(args), rc, out, err)
        self.assertEqual(rc, 3, shown)
        self.assertIn(message, err, shown)
        self.assertEqual(self.hits(), 0, "requests were sent:\n" + shown)
        self.assertEqual(sorted(os.listdir(self.work)), before, "files were created:\n" + shown)



class SelectionTest(Base):
    """An empty selection is bad usage."""

    def test_the_stub_counts(self):
        """The suite does reach the stub when the usage is good (so the counts above mean it)."""
        rc, out, err = self.tars("validate", self.suite)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.hits(), 2, out + err)

    def test_only_matching_nothing(self):
        self.assertRefused(["validate", self.suite, "--only", "no.such.id"],
                           '--only "no.such.id" matches no check id or category in ')

    def test_one_of_several_only_matching_nothing(self):
        self.assertRefused(["validate", self.suite, "--only", "api", "--only", "nope"],
                           '--only "nope" matches no check id or category')

    def test_tags_matching_nothing(self):
        self.assertRefused(["validate", self.suite, "--tags", "slow"],
                           '--tags "slow" matches no check\'s tags')

    def test_only_and_tags_disjoint(self):
        self.assertRefused(["validate", self.suite, "--only", "usage.api.version", "--tags", "core"],
                           "--only and --tags together select no check")

    def test_a_selection_runs_what_it_names(self):
        rc, out, err = self.tars("validate", self.suite, "--only", "usage.api.health")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.hits(), 1, out + err)


class OutputTest(Base):
    """Every output option of every command is checked before the first request."""

    def test_validate_unknown_format(self):
        self.assertRefused(["validate", self.suite, "--format", "xml:foo"],
                           '--format "xml:foo": unknown format "xml"')

    def test_validate_format_without_file(self):
        self.assertRefused(["validate", self.suite, "--format", "json"],
                           '--format "json" needs a file: json:FILE')
        self.assertRefused(["validate", self.suite, "--format", "tap:"],
                           '--format "tap:" needs a file')

    def test_validate_format_in_a_missing_folder(self):
        self.assertRefused(["validate", self.suite, "--format", "junit:no/such/dir/x.xml"],
                           '--format junit "no/such/dir/x.xml": no/such/dir: No such file or directory')

    def test_validate_format_onto_a_folder(self):
        os.mkdir(os.path.join(self.work, "d"))
        self.assertRefused(["validate", self.suite, "--format", "json:d"],
                           '--format json "d": Is a directory')

    def test_validate_format_in_a_file_not_a_folder(self):
        open(os.path.join(self.work, "plain"), "w").close()
        self.assertRefused(["validate", self.suite, "--format", "tap:plain/x.tap"],
                           "plain: Not a directory")

    def test_validate_run_dir_too_deep(self):
        self.assertRefused(["validate", self.suite, "--run", "a/b/c"],
                           '--run "a/b/c": a: No such file or directory')

    def test_validate_two_formats_on_stdout(self):
        self.assertRefused(["validate", self.suite, "--format", "json:-", "--format", "tap:-"],
                           "only one --format may write to standard output")

    def test_validate_json_on_stdout(self):
        """json:- is the JSON alone on standard output; the console goes to standard error."""
        rc, out, err = self.tars("validate", self.suite, "--format", "json:-")
        self.assertEqual(rc, 0, out + err)
        doc = json.loads(out)
        self.assertEqual(doc["counts"]["pass"], 2, out)
        self.assertIn("2 passed, 0 failed", err)
        self.assertFalse(os.path.exists(os.path.join(self.work, "-")))

    def test_validate_tap_on_stdout(self):
        rc, out, err = self.tars("validate", self.suite, "--format", "tap:-")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(out.startswith("TAP version 13\n1..2\n"), out)
        self.assertFalse(os.path.exists(os.path.join(self.work, "-")))

    def test_load_outputs(self):
        url = self.url + "/health"
        self.assertRefused(["load", url, "-d", "1s", "--json", "no/such/r.json"],
                           '--json "no/such/r.json": no/such: No such file or directory')
        self.assertRefused(["load", url, "-d", "1s", "--csv", "-"],
                           '--csv "-": writes several files')
        self.assertRefused(["load", url, "-d", "1s", "--csv", "no/such/prefix"],
                           '--csv "no/such/prefix": no/such: No such file or directory')
        self.assertRefused(["load", url, "-d", "1s", "--run", "x/y/z"],
                           '--run "x/y/z": x: No such file or directory')

    def test_load_json_on_stdout(self):
        rc, out, err = self.tars("load", self.url + "/health", "-c", "1", "-d", "1s", "-q",
                                 "--json", "-")
        self.assertEqual(rc, 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, out, err))
        doc = json.loads(out)
        self.assertGreater(doc["total"]["requests"], 0, out)
        self.assertFalse(os.path.exists(os.path.join(self.work, "-")))

    def test_ws_stress_outputs(self):
        ws = self.url.replace("http://", "ws://") + "/ws"
        self.assertRefused(["ws-stress", ws, "-d", "1s", "--json", "no/such/w.json"],
                           '--json "no/such/w.json": no/such: No such file or directory')
        self.assertRefused(["ws-stress", ws, "-d", "1s", "--run", "x/y/z"],
                           '--run "x/y/z": x: No such file or directory')

    def test_db_bench_outputs(self):
        self.assertRefused(["db-bench", "--db", "sqlite:bench.db", "--json", "no/such/b.json"],
                           '--json "no/such/b.json": no/such: No such file or directory')

    def test_compare_outputs(self):
        self.assertRefused(["compare", "a.json", "b.json", "--json", "no/such/c.json"],
                           '--json "no/such/c.json": no/such: No such file or directory')

    def test_report_outputs(self):
        self.assertRefused(["report", "runs/x", "-o", "no/such/r.md"],
                           '--output "no/such/r.md": no/such: No such file or directory')
        self.assertRefused(["report", "runs/x", "--html", "no/such/r.html"],
                           '--html "no/such/r.html": no/such: No such file or directory')

    def test_api_snapshot_outputs(self):
        self.assertRefused(["api-snapshot", self.url, "-o", "no/such/s.json"],
                           '--output "no/such/s.json": no/such: No such file or directory')

    def test_api_snapshot_on_stdout(self):
        rc, out, err = self.tars("api-snapshot", self.url, "-o", "-")
        self.assertIn(rc, (0, 2), out + err)
        self.assertFalse(os.path.exists(os.path.join(self.work, "-")), out + err)

    def test_db_integrity_outputs(self):
        self.assertRefused(["db-integrity", "--db", "sqlite:i.db", "-o", "no/such/i.json"],
                           '--output "no/such/i.json": no/such: No such file or directory')


if __name__ == "__main__":
    unittest.main()
