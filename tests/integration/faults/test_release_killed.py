"""A release killed at any stage (kill -9 during deploy, validate, perf): the run directory
stays readable, `tars report` on it says "interrupted at STAGE" and is INCONCLUSIVE, the
release lock it leaves is detected as stale and explained, and the next release runs
without tripping over it. Also: a release that is still running holds the lock, and a
second one is refused, naming it.

Each kill waits for the stage to start by reading the run directory's events.jsonl, never
by sleeping. Step processes orphaned by the kill are found by a unique argument and ended
by pid.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

TARS_BIN = os.environ.get("TARS_BIN", "")
START_LIMIT = 30.0


class ReleaseKilled(unittest.TestCase):

    def setUp(self):
        if not TARS_BIN:
            self.fail("TARS_BIN is not set")
        self.dir = tempfile.mkdtemp(prefix="tars-faults-release-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.tag = "%d.%d" % (os.getpid(), int(time.monotonic() * 1000) % 100000)
        self.procs = []
        self.addCleanup(self.end_everything)

    def end_everything(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        self.end_orphans()

    def end_orphans(self):
        """Ends the step processes left by a killed release (their argv holds our tag)."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self.sleep_arg().encode() in argv:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    def sleep_arg(self):
        return "61.%s" % self.tag.replace(".", "")

    def config(self, name, slow=None):
        """A release of shell steps; the step of stage `slow` sleeps (until killed)."""
        def step(stage):
            cmd = "sleep %s" % self.sleep_arg() if stage == slow else "'true'"
            return "%s:\n  steps:\n    - run: %s\n" % (stage, cmd)
        text = ("release:\n  name: faults\n  version: 1.0.1\n  environment: faults\n"
                "  base_url: http://127.0.0.1:1\n")
        text += step("deploy") + step("validate") + step("perf") + step("rollback")
        text += "report:\n  enabled: false\n"
        path = os.path.join(self.dir, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, config, run_dir):
        p = subprocess.Popen([TARS_BIN, "release", "--config", config, "--run", run_dir, "-q"],
                             cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def run_release(self, config, run_dir):
        r = subprocess.run([TARS_BIN, "release", "--config", config, "--run", run_dir, "-q"],
                           cwd=self.dir, capture_output=True, text=True, timeout=120)
        return r

    def events(self, run_dir):
        path = os.path.join(run_dir, "events.jsonl")
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def wait_stage_started(self, p, run_dir, stage):
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            if any(e.get("stage") == stage and e.get("event") == "start" for e in self.events(run_dir)):
                return
            if p.poll() is not None:
                out, err = p.communicate()
                self.fail("the release ended (exit %d) before stage %s started\n%s%s"
                          % (p.returncode, stage, out, err))
            time.sleep(0.02)
        self.fail("stage %s did not start within %.0f s" % (stage, START_LIMIT))

    def kill_at(self, stage, run_dir):
        p = self.start(self.config("slow-" + stage, slow=stage), run_dir)
        self.wait_stage_started(p, run_dir, stage)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=20)
        self.assertEqual(p.returncode, -signal.SIGKILL)
        self.end_orphans()
        return p

    def check_killed_run(self, stage, run_dir):
        with open(os.path.join(run_dir, "run.json")) as f:
            run = json.load(f)                      # readable: whole JSON
        self.assertEqual((run.get("stage_running") or {}).get("name"), stage, run)
        self.assertNotIn("ended_at", run)
        self.assertTrue(self.events(run_dir))       # every line parses
        temps = [n for n in os.listdir(run_dir) if ".tmp" in n]
        self.assertEqual(temps, [], "temporary files left in the run directory")

        out = os.path.join(self.dir, "report-%s.md" % stage)
        r = subprocess.run([TARS_BIN, "report", run_dir, "-o", out, "--gate"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 2, "tars report --gate on a release killed at %s: exit %d\n%s%s"
                         % (stage, r.returncode, r.stdout, r.stderr))
        self.assertIn("recommendation: INCONCLUSIVE", r.stdout)
        self.assertIn("interrupted at %s" % stage, r.stdout)
        with open(out) as f:
            md = f.read()
        self.assertIn("interrupted at %s" % stage, md)
        self.assertIn("INCONCLUSIVE", md)

    def check_next_release(self, stage, killed_run_dir, next_run_dir):
        r = self.run_release(self.config("quick"), next_run_dir)
        self.assertEqual(r.returncode, 0, "the next release after a kill at %s: exit %d\n%s%s"
                         % (stage, r.returncode, r.stdout, r.stderr))
        note = [line for line in r.stderr.splitlines() if "stale release lock" in line]
        self.assertEqual(len(note), 1, "no stale-lock explanation on stderr:\n" + r.stderr)
        self.assertIn(killed_run_dir, note[0])
        self.assertIn("interrupted at stage %s" % stage, note[0])
        self.assertIn("its process is gone", note[0])
        with open(os.path.join(next_run_dir, "run.json")) as f:
            run = json.load(f)
        self.assertIn("interrupted at stage %s" % stage, run["release_lock"]["stale"])
        self.assertIsNone(run.get("stage_running"))
        lock = run["release_lock"]["path"]
        self.assertEqual(os.path.getsize(os.path.join(self.dir, lock)), 0,
                         "the lock was not emptied at the end of a release")

    def test_killed_at_each_stage(self):
        for stage in ("deploy", "validate", "perf"):
            with self.subTest(stage=stage):
                killed = os.path.join(self.dir, "killed-" + stage)
                self.kill_at(stage, killed)
                self.check_killed_run(stage, killed)
                self.check_next_release(stage, killed, os.path.join(self.dir, "next-" + stage))
        # after a clean end the lock is not stale
        r = self.run_release(self.config("quick"), os.path.join(self.dir, "clean"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("stale", r.stderr)

    def test_a_running_release_holds_the_lock(self):
        first = os.path.join(self.dir, "first")
        p = self.start(self.config("slow-deploy", slow="deploy"), first)
        self.wait_stage_started(p, first, "deploy")
        r = self.run_release(self.config("quick"), os.path.join(self.dir, "second"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("another release of environment \"faults\" is running (pid %d" % p.pid, r.stderr)
        self.assertIn(first, r.stderr)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=20)
        self.end_orphans()


if __name__ == "__main__":
    unittest.main()
