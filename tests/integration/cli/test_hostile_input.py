"""Hostile files and answers end in a clear error, exit 3, in bounded time (docs/reliability.md):
the three bytes that hung every YAML reader under libfyaml, an alias bomb, and an API snapshot
baseline whose shape is not a string (it crashed `tars api-snapshot --compare`)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from test_usage import TARS, start_stub

DEADLINE = 60  # seconds; each command takes milliseconds when it works


class HostileInputTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tars-hostile-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_tars(self, *args):
        try:
            p = subprocess.run([TARS, *args], capture_output=True, text=True, timeout=DEADLINE,
                               stdin=subprocess.DEVNULL, cwd=self.work)
        except subprocess.TimeoutExpired:
            self.fail("tars %s did not finish within %d s" % (" ".join(args), DEADLINE))
        return p

    def assert_bad_input(self, p, needle):
        self.assertEqual(p.returncode, 3, "exit %d\nstdout: %s\nstderr: %s"
                         % (p.returncode, p.stdout, p.stderr))
        self.assertIn(needle, p.stderr)

    def test_three_bytes_in_every_yaml_reader(self):
        path = self.write("s.yaml", b"%n\xb6")
        for args in (["validate", path], ["load", path], ["release", "--config", path, "--dry-run"]):
            with self.subTest(command=args[0]):
                self.assert_bad_input(self.run_tars(*args), "s.yaml:1:")

    def test_alias_bomb(self):
        lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        for prev, cur in zip("abcdefg", "bcdefgh"):
            lines.append("%s: &%s [%s]" % (cur, cur, ", ".join(["*" + prev] * 10)))
        path = self.write("bomb.yaml", ("\n".join(lines) + "\n").encode())
        self.assert_bad_input(self.run_tars("validate", path), "more than 200000 nodes")

    def test_json_files_nested_too_deep(self):
        # Every reader of a JSON file goes through lib/json's bounds (nesting 64, a size per
        # reader): the error names the file, line and column, exit 3. jansson alone took
        # 2048 levels.
        deep = b'{"format": "tars-run/1", "x":\n' + b"[" * 65 + b"]" * 65 + b"}"
        run_dir = os.path.join(self.work, "run")
        os.mkdir(run_dir)
        with open(os.path.join(run_dir, "run.json"), "wb") as f:
            f.write(deep)
        path = self.write("deep.json", deep)
        server = start_stub()
        try:
            url = "http://127.0.0.1:%d" % server.server_address[1]
            for args, where in ((["report", run_dir], "run.json:2:64:"),
                                (["compare", path, path], "deep.json:2:64:"),
                                (["api-snapshot", url, "--compare", path], "deep.json:2:64:"),
                                (["load", "merge", path, path], "deep.json:2:64:")):
                with self.subTest(command=args[0]):
                    p = self.run_tars(*args)
                    self.assertIn(where + " nested deeper than 64 levels", p.stderr,
                                  "exit %d\nstdout: %s" % (p.returncode, p.stdout))
                    self.assertEqual(p.returncode, 3, p.stderr)
        finally:
            server.shutdown()
            server.server_close()

    def test_api_snapshot_baseline_shape_not_a_string(self):
        old = self.write("old.json", b'{"endpoints":{"GET /api/v1/agents":{"status":200,"shape":5}}}')
        server = start_stub()
        try:
            url = "http://127.0.0.1:%d" % server.server_address[1]
            p = self.run_tars("api-snapshot", url, "--compare", old)
        finally:
            server.shutdown()
            server.server_close()
        self.assert_bad_input(p, "GET /api/v1/agents: not a shape")


if __name__ == "__main__":
    unittest.main()
