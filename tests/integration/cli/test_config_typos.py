"""Keys mistyped in the files people write (a suite, a scenario, a release config) are refused
before any work with exit 3, at file:line:col, with a "did you mean" when a valid key is near
(docs/suite-format.md). Python 3 standard library only."""
import os
import subprocess
import tempfile
import unittest

TARS = os.environ.get("TARS_BIN", "tars")


class ConfigTypoTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tars-typos-")
        self.addCleanup(self.dir.cleanup)

    def refused(self, name, text, args, *messages):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        argv = [TARS] + [a.replace("FILE", path) for a in args]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=self.dir.name)
        shown = "%s\nexit %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(argv), p.returncode,
                                                            p.stdout, p.stderr)
        self.assertEqual(p.returncode, 3, shown)
        for m in messages:
            self.assertIn(m.replace("FILE", path), p.stderr, shown)

    def test_scenario_key(self):
        self.refused("s.yaml", "base_url: http://127.0.0.1:1\nusers: 1\nduraton: 3s\n"
                     "tasks:\n  - path: /\n", ["load", "FILE"],
                     'FILE:3:10: unknown key "duraton" in the scenario (did you mean "duration"?)')

    def test_scenario_key_far_from_any_lists_the_valid_ones(self):
        self.refused("s.yaml", "base_url: http://127.0.0.1:1\nusers: 1\nspeed: 3\n"
                     "tasks:\n  - path: /\n", ["load", "FILE"],
                     'FILE:3:8: unknown key "speed" in the scenario; valid: name, base_url')

    def test_suite_check_key_and_value(self):
        self.refused("v.yaml", "suite: t\nchecks:\n  - id: a\n    category: c\n    type: http\n"
                     "    url: http://127.0.0.1:1/\n    timout: 5s\n", ["validate", "FILE"],
                     'FILE:7:13: check "a": unknown key "timout" in a check (did you mean "timeout"?)')
        self.refused("v.yaml", "suite: t\nchecks:\n  - id: a\n    category: c\n    type: htp\n"
                     "    url: http://127.0.0.1:1/\n", ["validate", "FILE"],
                     'FILE:5:11: check "a": unknown check type "htp" (did you mean "http"?)')
        self.refused("v.yaml", "suite: t\nchecks:\n  - id: a\n    category: c\n    type: http\n"
                     "    url: http://127.0.0.1:1/\n    on_empty: skp\n", ["validate", "FILE"],
                     'FILE:7:15: check "a": on_empty must be one of error, fail, skip, not "skp" '
                     '(did you mean "skip"?)')

    def test_release_section_key(self):
        self.refused("r.yaml", "release: {version: 1.0.0}\nrollbak:\n  steps: []\n",
                     ["release", "--config", "FILE"],
                     'FILE:2:1: unknown key "rollbak" in the release config '
                     '(did you mean "rollback"?)')


if __name__ == "__main__":
    unittest.main()
