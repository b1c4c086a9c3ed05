"""Options as people type them: typos get a "did you mean", bad values one wording of error and
exit 3 (docs/exit-codes.md). Python 3 standard library only."""
import os
import subprocess
import tempfile
import unittest

TARS = os.environ.get("TARS_BIN", "tars")


def tars(*args, cwd=None):
    p = subprocess.run([TARS] + list(args), capture_output=True, text=True, timeout=60, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


class Base(unittest.TestCase):
    def refused(self, args, *messages):
        """Exit 3 and each message on stderr; returns stderr."""
        rc, out, err = tars(*args)
        shown = "tars %s\nexit %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(args), rc, out, err)
        self.assertEqual(rc, 3, shown)
        for m in messages:
            self.assertIn(m, err, shown)
        return err


class CommandTypoTest(Base):
    def test_a_mistyped_command_gets_the_nearest(self):
        self.refused(["lod"], 'unknown command "lod"', 'did you mean "load"?')
        self.refused(["valdiate"], 'did you mean "validate"?')
        self.refused(["db-sed"], 'did you mean "db-seed"?')

    def test_a_far_word_gets_no_guess(self):
        err = self.refused(["xyzzy"], 'unknown command "xyzzy"')
        self.assertNotIn("did you mean", err)


if __name__ == "__main__":
    unittest.main()
