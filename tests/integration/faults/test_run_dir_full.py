"""A run directory on a full disk: every command that writes a result file says which file
and why ("No space left on device"), exits 2, and leaves no half-written file: each file
is either the complete earlier one or absent, and no temporary file is left behind. Once
space is freed the same commands succeed. Needs root (mount); skipped otherwise.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_disk_full import fill, mount_tmpfs, umount  # noqa: E402

TARS_BIN = os.environ.get("TARS_BIN", "")
SUITE = """suite: full-disk
targets:
  api: {base_url: "http://127.0.0.1:9"}
checks:
  - id: fd.skipped
    category: api
    type: http
    skip: nothing to measure here
    path: /
"""


class RunDirOnFullDisk(unittest.TestCase):

    def setUp(self):
        if not TARS_BIN:
            self.fail("TARS_BIN is not set")
        self.tmp = tempfile.mkdtemp(prefix="tars-faults-rundir-")
        self.mnt = os.path.join(self.tmp, "disk")
        os.mkdir(self.mnt)
        why = mount_tmpfs(self.mnt)
        if why:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.skipTest(why)
        self.suite = os.path.join(self.tmp, "suite.yaml")
        with open(self.suite, "w") as f:
            f.write(SUITE)
        self.run_dir = os.path.join(self.mnt, "run")
        self.out = os.path.join(self.mnt, "checks-out.json")

    def tearDown(self):
        umount(self.mnt)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tars(self, *args):
        r = subprocess.run([TARS_BIN] + list(args), capture_output=True, text=True, timeout=60,
                           cwd=self.tmp)
        return r

    def validate(self):
        return self.tars("validate", self.suite, "--format", "json:" + self.out, "--run", self.run_dir)

    def snapshot(self):
        """{name: bytes} of every file on the small disk."""
        files = {}
        for d, _, names in os.walk(self.mnt):
            for n in names:
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    files[os.path.relpath(p, self.mnt)] = f.read()
        return files

    def assertNothingHalf(self, before, after, what):
        temps = [n for n in after if ".tmp" in n]
        self.assertEqual(temps, [], "%s left temporary files" % what)
        for name, data in after.items():
            if name == "filler" or name.endswith(".lock"):
                continue
            if name in before:
                self.assertEqual(data, before[name], "%s changed %s on a full disk" % (what, name))
            else:
                self.fail("%s left a new file %s (%d bytes) on a full disk" % (what, name, len(data)))
        for name, data in after.items():
            if name.endswith(".json") and name != "filler":
                json.loads(data.decode())   # whole, not cut

    def assertFullDiskError(self, r, what):
        self.assertEqual(r.returncode, 2, "%s on a full disk: exit %d\nstdout: %s\nstderr: %s"
                         % (what, r.returncode, r.stdout[-1500:], r.stderr[-1500:]))
        self.assertIn("No space left on device", r.stderr, "%s: the error does not say why" % what)
        self.assertRegex(r.stderr, r'cannot write "[^"]+"', "%s: the error does not name the file" % what)

    def test_full_disk_exit_2_and_no_half_file(self):
        r = self.validate()
        self.assertEqual(r.returncode, 0, "validate on an empty disk: %s" % r.stderr)
        r = self.tars("report", self.run_dir)
        self.assertEqual(r.returncode, 0, "report on an empty disk: %s%s" % (r.stdout, r.stderr))
        os.unlink(os.path.join(self.run_dir, "report.md"))
        before = self.snapshot()
        self.assertIn("run/run.json", before)

        filler = os.path.join(self.mnt, "filler")
        fill(filler, 2 * 1024 * 1024)   # more than fits: the disk is full
        st = os.statvfs(self.mnt)
        self.assertEqual(st.f_bavail, 0, "the disk is not full")

        r = self.validate()
        self.assertFullDiskError(r, "tars validate --format json:FILE --run DIR")
        self.assertNothingHalf(before, self.snapshot(), "tars validate")

        r = self.tars("report", self.run_dir)
        self.assertFullDiskError(r, "tars report")
        self.assertNothingHalf(before, self.snapshot(), "tars report")

        os.unlink(filler)
        r = self.validate()
        self.assertEqual(r.returncode, 0, "validate after space was freed: %s" % r.stderr)
        r = self.tars("report", self.run_dir)
        self.assertEqual(r.returncode, 0, "report after space was freed: %s%s" % (r.stdout, r.stderr))
        with open(os.path.join(self.run_dir, "run.json")) as f:
            self.assertIn("checks", json.load(f))
        self.assertTrue(os.path.getsize(os.path.join(self.run_dir, "report.md")) > 0)


if __name__ == "__main__":
    unittest.main()
