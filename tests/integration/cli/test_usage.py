"""Bad usage is refused before any work: exit 3, a message naming what was wrong, no request
sent, no file created (docs/exit-codes.md)."""
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from freeport import listening_socket  # noqa: E402  (tests/integration/freeport.py)

TARS = os.environ.get("TARS_BIN", "tars")


class Stub(http.server.BaseHTTPRequestHandler):
    """Answers 200 to everything and counts the requests."""
    hits = 0

    def do_GET(self):
        Stub.hits += 1
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_stub():
    """A stub on a free port outside the ephemeral range, its socket bound before it is used."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub, bind_and_activate=False)
    server.socket.close()
    server.socket = listening_socket()
    server.server_address = server.socket.getsockname()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class UsageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_stub()
        cls.url = "http://127.0.0.1:%d" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tars-usage-")
        self.suite = os.path.join(self.work, "suite.yaml")
        with open(self.suite, "w") as f:
            f.write("suite: usage\n"
                    "checks:\n"
                    "  - {id: usage.api.health, category: api, tags: [core], type: http,\n"
                    "     url: \"%s/health\"}\n"
                    "  - {id: usage.api.version, category: api, type: http, url: \"%s/v\"}\n"
                    % (self.url, self.url))
        Stub.hits = 0

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

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
        self.assertEqual(Stub.hits, 0, "requests were sent:\n" + shown)
        self.assertEqual(sorted(os.listdir(self.work)), before, "files were created:\n" + shown)

    def test_the_stub_counts(self):
        """The suite does reach the stub when the usage is good (so the counts above mean it)."""
        rc, out, err = self.tars("validate", self.suite)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(Stub.hits, 2, out + err)

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
        self.assertEqual(Stub.hits, 1, out + err)


if __name__ == "__main__":
    unittest.main()
