"""tars package end to end: the artifacts verify with sha256sum -c, the manifest says what the files
are, the chart archive carries the edited Chart.yaml (apiVersion and comments kept), two builds are
byte-identical, --validate passes on the result and fails, naming the file, on any tampering."""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

TARS = os.environ.get("TARS_BIN", "tars")
SOURCE = os.environ.get("TARS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EPOCH = "1700000000"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 3


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def package(*args, epoch=EPOCH, cwd=None):
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch)
    return subprocess.run([TARS, "package", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def describe(run):
    return "exit %d\nstdout:\n%s\nstderr:\n%s" % (run.returncode, run.stdout, run.stderr)


def git_head():
    try:
        out = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--verify", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tars-package-test-")
        # a copy of the shipped chart whose Chart.yaml says 0.0.1: packaging must set 1.0.1
        cls.chart = os.path.join(cls.tmp, "chart")
        shutil.copytree(os.path.join(SOURCE, "deploy", "helm", "tars"), cls.chart)
        cls.chart_yaml = os.path.join(cls.chart, "Chart.yaml")
        with open(cls.chart_yaml) as f:
            text = f.read()
        text = re.sub(r"^version: .*$", "version: 0.0.1", text, count=1, flags=re.M)
        text = re.sub(r"^appVersion: .*$", 'appVersion: "0.0.1-dev"', text, count=1, flags=re.M)
        with open(cls.chart_yaml, "w") as f:
            f.write(text)
        cls.chart_before = text
        cls.out = os.path.join(cls.tmp, "a")
        cls.run1 = package("--version", "v1.0.1", "--output-dir", cls.out, "--chart", cls.chart,
                           "--source-dir", SOURCE)
        cls.arch = None
        if cls.run1.returncode == 0:
            cls.manifest = json.loads(read(os.path.join(cls.out, "manifest.json")))
            names = [a["name"] for a in cls.manifest["artifacts"]]
            m = [re.match(r"tars-1\.0\.1-linux-([a-z0-9_]+)\.tar\.gz$", n) for n in names]
            cls.arch = next((x.group(1) for x in m if x), None)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.run1.returncode, EXIT_OK, describe(self.run1))

    def path(self, name, out=None):
        return os.path.join(out or self.out, name)

    def test_sha256sum_verifies_every_artifact(self):
        files = sorted(os.listdir(self.out))
        self.assertEqual(files, sorted(["RELEASE_NOTES.md", "SHA256SUMS", "manifest.json",
                                        "manifest.staging.json", "tars-1.0.1.tgz",
                                        "tars-1.0.1-linux-%s.tar.gz" % self.arch]))
        run = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=self.out, capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(len(lines), 5, run.stdout)
        self.assertIn("tars-1.0.1.tgz: OK", lines)
        with open(self.path("SHA256SUMS")) as f:
            for line in f:
                self.assertRegex(line, r"^[0-9a-f]{64}  [A-Za-z0-9._-]+\n$")

    def test_manifest_fields(self):
        m = self.manifest
        self.assertEqual(m["version"], "1.0.1")
        self.assertEqual(m["environment"], "staging")
        self.assertEqual(m["build"]["tag"], "v1.0.1")
        self.assertEqual(m["build"]["git_sha"], git_head())
        self.assertEqual(m["build"]["time"], "2023-11-14T22:13:20Z")
        self.assertEqual(m["build"]["time_source"], "SOURCE_DATE_EPOCH")
        self.assertEqual([h["id"] for h in m["hotfixes"]],
                         ["TARS-1001", "TARS-1002", "TARS-1003", "TARS-1004", "TARS-1005"])
        self.assertEqual(m["validation"]["status"], "not validated")
        types = {a["name"]: a["type"] for a in m["artifacts"]}
        self.assertEqual(types, {"tars-1.0.1.tgz": "helm_chart",
                                 "tars-1.0.1-linux-%s.tar.gz" % self.arch: "binary"})
        for a in m["artifacts"]:
            self.assertEqual(a["size"], os.path.getsize(self.path(a["name"])), a)
            self.assertEqual(a["sha256"], sha256(self.path(a["name"])), a)
        with open(self.path("manifest.json"), "rb") as f1, \
                open(self.path("manifest.staging.json"), "rb") as f2:
            self.assertEqual(f1.read(), f2.read())
        notes = read(self.path("RELEASE_NOTES.md"))
        for a in m["artifacts"]:
            self.assertIn(a["sha256"], notes)
        self.assertIn("TARS-1005", notes)

    def test_no_double_v_anywhere(self):
        for name in os.listdir(self.out):
            self.assertNotIn("vv", name)
            if not name.endswith("gz"):
                self.assertNotIn("vv1", read(self.path(name)), name)

    def test_chart_archive(self):
        with tarfile.open(self.path("tars-1.0.1.tgz")) as t:
            members = t.getmembers()
            names = [x.name for x in members]
            chart = t.extractfile("tars/Chart.yaml").read().decode()
        self.assertEqual(names, sorted(names), "entries are sorted")
        self.assertTrue(all(n.startswith("tars/") for n in names), names)
        for want in ["tars/Chart.yaml", "tars/values.yaml", "tars/templates/deployment.yaml",
                     "tars/templates/_helpers.tpl", "tars/files/recording_rules.yaml"]:
            self.assertIn(want, names)
        for x in members:
            self.assertEqual((x.uid, x.gid, x.uname, x.gname, x.mtime),
                             (0, 0, "root", "root", int(EPOCH)), x.name)
            self.assertIn(x.mode, (0o644, 0o755), x.name)
        self.assertRegex(chart, r"(?m)^version: 1\.0\.1$")
        self.assertRegex(chart, r'(?m)^appVersion: "1\.0\.1"$')
        self.assertRegex(chart, r"(?m)^apiVersion: v2$")
        # everything but the two values is byte for byte the source's, comments included
        src = self.chart_before.splitlines()
        got = chart.splitlines()
        self.assertEqual(len(src), len(got))
        diff = [(a, b) for a, b in zip(src, got) if a != b]
        self.assertEqual(len(diff), 2, diff)
        self.assertTrue(any(line.startswith("#") for line in got))
        # the source chart is never touched
        self.assertEqual(read(self.chart_yaml), self.chart_before)

    def test_binary_archive(self):
        prefix = "tars-1.0.1-linux-%s/" % self.arch
        with tarfile.open(self.path(prefix[:-1] + ".tar.gz")) as t:
            names = t.getnames()
            tars = t.getmember(prefix + "tars")
            data = t.extractfile(tars).read()
        self.assertTrue(all(n.startswith(prefix) for n in names))
        self.assertEqual(tars.mode, 0o755)
        self.assertEqual(hashlib.sha256(data).hexdigest(), sha256(TARS), "the binary is this tars")
        for want in ["README.md", "docs/package.md", "suites/staging.yaml",
                     "scenarios/tars-api.yaml"]:
            self.assertIn(prefix + want, names)

    def test_two_builds_are_byte_identical(self):
        out2 = os.path.join(self.tmp, "b")
        run = package("--version", "1.0.1", "--output-dir", out2, "--chart", self.chart,
                      "--source-dir", SOURCE)
        self.assertEqual(run.returncode, EXIT_OK, describe(run))
        for name in os.listdir(self.out):
            with open(self.path(name), "rb") as f1, open(self.path(name, out2), "rb") as f2:
                self.assertTrue(f1.read() == f2.read(), "%s differs between two builds" % name)
        # and the timestamp really is the one given
        out3 = os.path.join(self.tmp, "c")
        run = package("--version", "1.0.1", "--output-dir", out3, "--chart", self.chart,
                      "--source-dir", SOURCE, "--binary", os.path.join(SOURCE, "README.md"),
                      epoch="1700000060")
        self.assertEqual(run.returncode, EXIT_OK, describe(run))
        self.assertNotEqual(sha256(self.path("tars-1.0.1.tgz")),
                            sha256(self.path("tars-1.0.1.tgz", out3)))

    def test_validate_passes(self):
        run = package("--validate", "--output-dir", self.out)
        self.assertEqual(run.returncode, EXIT_OK, describe(run))
        self.assertIn("valid", run.stdout)

    def copy_out(self, name):
        dst = os.path.join(self.tmp, name)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(self.out, dst)
        return dst

    def test_a_corrupted_byte_fails_validate(self):
        bad = self.copy_out("tampered")
        victim = "tars-1.0.1-linux-%s.tar.gz" % self.arch
        path = os.path.join(bad, victim)
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x01]))
        run = package("--validate", "--output-dir", bad)
        self.assertEqual(run.returncode, EXIT_FAILED, describe(run))
        self.assertRegex(run.stderr, re.escape(victim) + r": sha256 [0-9a-f]{64} differs")
        self.assertIn("INVALID", run.stderr)

    def test_a_wrong_chart_version_fails_validate_even_with_fresh_sums(self):
        bad = self.copy_out("rechart")
        tgz = os.path.join(bad, "tars-1.0.1.tgz")
        buf = io.BytesIO()
        with tarfile.open(tgz) as src, tarfile.open(fileobj=buf, mode="w:gz") as dst:
            for m in src.getmembers():
                data = src.extractfile(m).read()
                if m.name == "tars/Chart.yaml":
                    data = data.replace(b"version: 1.0.1", b"version: 1.0.2")
                    m.size = len(data)
                dst.addfile(m, io.BytesIO(data))
        with open(tgz, "wb") as f:
            f.write(buf.getvalue())
        # make sums and manifests agree with the new file, so only the chart check can object
        digest, size = sha256(tgz), os.path.getsize(tgz)
        m = json.loads(read(os.path.join(bad, "manifest.json")))
        for a in m["artifacts"]:
            if a["name"] == "tars-1.0.1.tgz":
                a["sha256"], a["size"] = digest, size
        text = json.dumps(m, indent=2) + "\n"
        for name in ("manifest.json", "manifest.staging.json"):
            write(os.path.join(bad, name), text)
        notes = os.path.join(bad, "RELEASE_NOTES.md")
        old = [a for a in self.manifest["artifacts"] if a["name"] == "tars-1.0.1.tgz"][0]["sha256"]
        write(notes, read(notes).replace(old, digest))
        lines = []
        for name in sorted(os.listdir(bad)):
            if name != "SHA256SUMS":
                lines.append("%s  %s\n" % (sha256(os.path.join(bad, name)), name))
        write(os.path.join(bad, "SHA256SUMS"), "".join(lines))
        self.assertEqual(subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"],
                                        cwd=bad).returncode, 0)
        run = package("--validate", "--output-dir", bad)
        self.assertEqual(run.returncode, EXIT_FAILED, describe(run))
        self.assertIn('tars-1.0.1.tgz: tars/Chart.yaml: version is "1.0.2", the manifest says '
                      '"1.0.1"', run.stderr)

    def test_an_edited_manifest_fails_validate(self):
        bad = self.copy_out("remanifest")
        path = os.path.join(bad, "manifest.staging.json")
        m = json.loads(read(path))
        m["version"] = "1.0.2"
        write(path, json.dumps(m, indent=2) + "\n")
        run = package("--validate", "--output-dir", bad)
        self.assertEqual(run.returncode, EXIT_FAILED, describe(run))
        self.assertIn("manifest.staging.json: differs from manifest.json", run.stderr)
        os.unlink(os.path.join(bad, "RELEASE_NOTES.md"))
        run = package("--validate", "--output-dir", bad)
        self.assertIn("RELEASE_NOTES.md: missing", run.stderr)

    def test_bad_usage_exits_3(self):
        for version in ("1.0", "vv1.0.1", "1.0.1-", ""):
            run = package("--version", version, "--output-dir", os.path.join(self.tmp, "x"))
            self.assertEqual(run.returncode, EXIT_USAGE, describe(run))
            self.assertIn("version", run.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x")))
        run = package("--validate", "--output-dir", os.path.join(self.tmp, "nowhere"))
        self.assertEqual(run.returncode, EXIT_USAGE, describe(run))
        run = package("--version", "1.0.1")
        self.assertEqual(run.returncode, EXIT_USAGE, describe(run))
        run = package("--version", "1.0.1", "--output-dir", os.path.join(self.tmp, "y"),
                      "--environment", "Prod/x")
        self.assertEqual(run.returncode, EXIT_USAGE, describe(run))


if __name__ == "__main__":
    unittest.main()
