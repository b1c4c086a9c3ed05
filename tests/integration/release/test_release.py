"""Integration tests of `tars release` (Python 3 standard library only).

Most pipelines here are built from small shell steps (fast, and each one can be made to
fail on purpose); one runs the shipped release/local.yaml end to end against a real
`tars serve --demo` on a free loopback port. Every test works in its own temporary
directory and stops what it started.
"""

import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

TARS_BIN = os.environ["TARS_BIN"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from freeport import free_port  # noqa: E402  (tests/integration/freeport.py)


def has_children(pid):
    """True when process PID has a child process (any of its threads forked it)."""
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                if f.read().strip():
                    return True
        except OSError:
            pass
    return False


class Webhook:
    """A local HTTP server that records every POST (stands in for Slack and GitHub)."""

    def __init__(self, status=200):
        self.posts = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.posts.append({"path": self.path, "headers": dict(self.headers),
                                    "body": json.loads(body)})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = None
        for _ in range(5):  # a free port taken by another process in between: another one
            try:
                self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
                break
            except OSError:
                continue
        if self.server is None:
            raise OSError("no free port for the webhook server")
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ReleaseTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tars-release-test.")
        # Cleanups run last-registered first: servers a test starts are stopped (they need the
        # pid file in the run directory) before the directory goes.
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.run_dir = os.path.join(self.dir, "run")
        self.marks = os.path.join(self.dir, "marks")
        os.mkdir(self.marks)

    def config(self, body):
        path = os.path.join(self.dir, "release.yaml")
        with open(path, "w") as f:
            f.write(body)
        return path

    last = None  # the last `tars release` run (subprocess.CompletedProcess), for failure messages

    def release(self, config, *args, env=None, timeout=120):
        full_env = dict(os.environ, **(env or {}))
        self.last = subprocess.run([TARS_BIN, "release", "--config", config, "--run",
                                    self.run_dir, "-q", *args], cwd=self.dir, env=full_env,
                                   capture_output=True, text=True, timeout=timeout)
        return self.last

    def why(self, r=None):
        """What a release said and recorded: its exit status, stdout, stderr, every stage with
        its reason, the decision's reasons and the tail of each failed stage's log."""
        r = r or self.last
        text = "" if r is None else ("exit status %s\n--- stdout\n%s--- stderr\n%s"
                                     % (r.returncode, r.stdout, r.stderr))
        try:
            with open(os.path.join(self.run_dir, "run.json")) as f:
                rec = json.load(f)
        except (OSError, ValueError) as e:
            return text + "--- run.json unreadable: %s\n" % e
        logs = []
        for st in rec.get("stages", []):
            text += "--- stage %s: %s %s\n" % (st.get("name"), st.get("status"), st.get("reason"))
            if st.get("status") in ("fail", "error") and st.get("log"):
                logs.append(st["log"])
            logs += re.findall(r"logs/[\w.-]+\.log", st.get("reason") or "")
        for log in dict.fromkeys(logs):
            try:
                with open(os.path.join(self.run_dir, log), errors="replace") as f:
                    lines = f.readlines()
                # a check that did not pass, with its reason, wherever it is in the log
                bad = [ln for ln in lines if re.match(r"\s*(FAIL|ERROR|INCONCLUSIVE|SKIP)\b", ln)
                       or re.match(r"\s{4,}\S", ln)]
                text += "--- %s (last lines)\n%s" % (log, "".join(lines[-25:]))
                if bad:
                    text += "--- %s (what did not pass)\n%s" % (log, "".join(bad[:40]))
            except OSError:
                pass
        zd = rec.get("zero_downtime") or {}
        for t in zd.get("targets", []):
            if t.get("failed"):
                text += "--- zero downtime %s: %s failed, errors %s\n" % (
                    t.get("path"), t.get("failed"), json.dumps(t.get("errors", [])[:5]))
        for d in rec.get("decisions", []):
            text += "--- decision %s: %s\n" % (d.get("decision"), "; ".join(d.get("reasons", [])))
        return text

    def expect(self, r, *codes):
        """Asserts the command's exit status is one of CODES, showing what it said otherwise."""
        self.assertIn(r.returncode, codes, self.why(r))

    def record(self, *keys):
        """run.json, which must hold KEYS: a missing one fails with what the release said."""
        try:
            with open(os.path.join(self.run_dir, "run.json")) as f:
                rec = json.load(f)
        except (OSError, ValueError) as e:
            self.fail("run.json unreadable (%s)\n%s" % (e, self.why()))
        for key in keys:
            self.assertIn(key, rec, "run.json has no %r\n%s" % (key, self.why()))
        return rec

    def stages(self):
        return {s["name"]: s for s in self.record("stages")["stages"]}

    def mark(self, name):
        return os.path.exists(os.path.join(self.marks, name))

    # A pipeline of shell steps: deploy/validate/perf/rollback leave marks; `fail` names
    # the stage whose step exits 1.
    def shell_config(self, fail=None, extra="", validate=True):
        def step(stage, code="0"):
            if stage == fail:
                code = "1"
            return ("%s:\n  steps:\n    - run: touch %s/%s; echo %s ran; exit %s\n"
                    % (stage, self.marks, stage, stage, code))
        text = ("release:\n  name: test\n  version: v1.0.1\n  environment: test\n"
                "  base_url: http://127.0.0.1:1\n")
        text += step("deploy")
        if validate:
            text += step("validate")
        text += step("perf") + step("rollback")
        text += "report:\n  enabled: false\n" + extra
        return self.config(text)


class TestCanary(ReleaseTest):
    """--canary-weight with a canary section: the stable release and the canary loaded side by
    side (the fixture server of the load tests stands in for both), then tars compare --canary."""

    def canary_config(self, stable, canary):
        scenario = os.path.join(self.dir, "canary-load.yaml")
        with open(scenario, "w") as f:
            f.write("name: canary-probe\nbase_url: http://127.0.0.1:1\nmodel: closed\n"
                    "users: 4\nduration: 2s\ntasks:\n  - name: x\n    method: GET\n"
                    "    path: /x\n")
        text = ("release:\n  name: test\n  version: v1.0.1\n  environment: test\n"
                "  base_url: %s\n" % canary)
        for stage in ("deploy", "validate", "perf", "rollback"):
            text += "%s:\n  steps:\n    - run: echo %s ran\n" % (stage, stage)
        text += ("report:\n  enabled: false\ncanary:\n  stable_url: %s\n"
                 "  load: [load, %s, -t, 1, -q]\n  timeout: 60s\n" % (stable, scenario))
        return self.config(text)

    def fixtures(self, *canary_args):
        sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "load"))
        import loadlib  # noqa: E402  (tests/integration/load/loadlib.py: the fixture server)
        stable = loadlib.Fixture("ok")
        self.addCleanup(stable.stop)
        canary = loadlib.Fixture("ok", *canary_args)
        self.addCleanup(canary.stop)
        return stable.url("").rstrip("/"), canary.url("").rstrip("/")

    def test_a_slower_canary_is_rejected_side_by_side(self):
        stable, canary = self.fixtures("--delay", "0.02")
        r = self.release(self.canary_config(stable, canary), "--canary-weight", "10")
        self.expect(r, 1)
        rec = self.record("canary", "decisions")
        self.assertEqual(rec["canary"]["window"]["kind"], "same", self.why(r))
        self.assertEqual(rec["canary"]["verdict"], "fail", self.why(r))
        self.assertEqual(rec["canary"]["baseline"], os.path.join(self.run_dir, "canary-stable"))
        reasons = " ".join(rec["decisions"][0]["reasons"])
        self.assertIn("canary analysis: fail", reasons)
        self.assertIn("side by side", reasons)
        with open(os.path.join(self.run_dir, "logs", "canary.log")) as f:
            log = f.read()
        self.assertIn("(stable, started together)", log)
        self.assertIn("(canary, started together)", log)

    def test_without_canary_weight_no_canary_is_measured(self):
        stable, canary = self.fixtures()
        r = self.release(self.canary_config(stable, canary))
        self.expect(r, 0)
        self.assertNotIn("canary", self.record("decisions"))
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "canary-stable")))

    def test_dry_run_names_the_canary_analysis(self):
        r = self.release(self.canary_config("http://127.0.0.1:1", "http://127.0.0.1:2"),
                         "--canary-weight", "10", "--dry-run")
        self.expect(r, 0)
        self.assertIn("canary analysis: tars load against http://127.0.0.1:1 and the canary side "
                      "by side", r.stdout)


class TestVerdicts(ReleaseTest):
    def test_all_steps_pass_is_approved_without_rollback(self):
        r = self.release(self.shell_config())
        self.expect(r, 0)
        self.assertIn("approved", r.stdout)
        st = self.stages()
        self.assertEqual([s["name"] for s in self.record("stages")["stages"]],
                         ["preflight", "package", "deploy", "wait", "validate", "perf",
                          "decide", "rollback", "report", "notify"])
        for name in ("deploy", "validate", "perf", "decide"):
            self.assertEqual(st[name]["status"], "pass", name)
        self.assertEqual(st["rollback"]["status"], "skip")
        self.assertFalse(self.mark("rollback"))
        decision = self.record("decisions")["decisions"][0]
        self.assertEqual(decision["decision"], "approved")
        self.assertEqual(self.record("release")["release"]["version"], "1.0.1")  # v stripped once
        with open(os.path.join(self.run_dir, "logs", "deploy.log")) as f:
            self.assertIn("deploy ran", f.read())

    def test_failed_benchmark_is_rejected_and_rolled_back(self):
        r = self.release(self.shell_config(fail="perf"))
        self.expect(r, 1)
        st = self.stages()
        self.assertEqual(st["perf"]["status"], "fail")
        self.assertEqual(st["decide"]["status"], "fail")
        self.assertEqual(st["rollback"]["status"], "pass")
        self.assertTrue(self.mark("rollback"))
        self.assertIn("perf failed", " ".join(self.record("decisions")["decisions"][0]["reasons"]))
        self.assertIn("rolled back", r.stdout)

    def test_failed_deploy_skips_tests_and_rolls_back(self):
        r = self.release(self.shell_config(fail="deploy"))
        self.expect(r, 1)
        st = self.stages()
        self.assertEqual(st["deploy"]["status"], "fail")
        self.assertEqual(st["validate"]["status"], "skip")
        self.assertFalse(self.mark("validate"))
        self.assertTrue(self.mark("rollback"))

    def test_force_deploy_keeps_a_failed_release(self):
        r = self.release(self.shell_config(fail="validate"), "--force-deploy")
        self.expect(r, 1)
        self.assertEqual(self.stages()["rollback"]["status"], "skip")
        self.assertIn("--force-deploy", self.stages()["rollback"]["reason"])
        self.assertFalse(self.mark("rollback"))

    def test_skip_tests_is_inconclusive_and_not_rolled_back(self):
        r = self.release(self.shell_config(), "--skip-tests")
        self.expect(r, 2)
        st = self.stages()
        self.assertEqual(st["validate"]["status"], "skip")
        self.assertEqual(st["validate"]["reason"], "--skip-tests")
        self.assertFalse(self.mark("validate") or self.mark("perf") or self.mark("rollback"))
        self.assertIn("not validated", self.record("decisions")["decisions"][0]["reasons"][0])

    def test_nothing_validated_is_never_approved(self):
        r = self.release(self.shell_config(validate=False))
        self.expect(r, 2)
        self.assertEqual(self.record("decisions")["decisions"][0]["decision"], "inconclusive")

    def test_step_timeout_fails_the_stage(self):
        cfg = self.config("release:\n  version: 1.0.1\ndeploy:\n  steps:\n"
                          "    - run: sleep 30\n      timeout: 1s\n"
                          "validate:\n  steps:\n    - run: 'true'\nreport: {enabled: false}\n")
        t0 = time.monotonic()
        r = self.release(cfg)
        self.assertLess(time.monotonic() - t0, 15)
        self.expect(r, 1)
        self.assertIn("timed out", self.stages()["deploy"]["reason"])
        # Rollback is needed but none is configured: that is a failure, said plainly.
        self.assertEqual(self.stages()["rollback"]["status"], "fail")

    def test_failed_threshold_in_the_record_rejects(self):
        # A perf step that exits 0 but records a failed threshold cannot pass the gate.
        writer = ("python3 -c 'import json,sys; d=sys.argv[1]; r=json.load(open(d+\"/run.json\")); "
                  "r[\"loads\"]=[{\"name\":\"x\",\"result\":{\"total\":{\"requests\":5}},"
                  "\"thresholds\":[{\"text\":\"p95<1ms\",\"passed\":False,\"outcome\":\"fail\","
                  "\"measured\":2000000,\"unit\":\"ns\"}]}]; "
                  "json.dump(r,open(d+\"/run.json\",\"w\"))' ${run_dir}")
        cfg = self.config("release:\n  version: 1.0.1\nvalidate:\n  steps:\n    - run: 'true'\n"
                          "perf:\n  steps:\n    - run: \"%s\"\nreport: {enabled: false}\n"
                          % writer.replace('"', '\\"'))
        r = self.release(cfg)
        self.expect(r, 1)
        self.assertIn("threshold p95<1ms not met (measured 2.0 ms)",
                      " ".join(self.record("decisions")["decisions"][0]["reasons"]))


class TestInterrupt(ReleaseTest):
    def test_sigint_stops_the_stage_rolls_back_and_records(self):
        cfg = self.config("release:\n  version: 1.0.1\ndeploy:\n  steps:\n    - run: 'true'\n"
                          "validate:\n  steps:\n    - run: sleep 60\n"
                          "rollback:\n  steps:\n    - run: touch %s/rollback\n"
                          "report: {enabled: false}\n" % self.marks)
        p = subprocess.Popen([TARS_BIN, "release", "--config", cfg, "--run", self.run_dir, "-q"],
                             cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Interrupt once the validate step runs: its log exists and tars has a child process.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if (os.path.exists(os.path.join(self.run_dir, "logs", "validate.log"))
                    and has_children(p.pid)):
                break
            time.sleep(0.05)
        else:
            p.kill()
            out, err = p.communicate(timeout=20)
            self.fail("the validate step never started\n" + out + err)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
        self.assertLess(time.monotonic() - t0, 8)
        self.assertEqual(p.returncode, 2, out + err)
        self.assertEqual(self.stages()["validate"]["status"], "error")
        self.assertTrue(self.mark("rollback"))
        self.assertIn("interrupted", " ".join(self.record("decisions")["decisions"][0]["reasons"]))
        self.assertIn("ended_at", self.record())


class TestConfigAndPlan(ReleaseTest):
    def test_unknown_key_is_a_usage_error_with_position(self):
        cfg = self.config("release:\n  version: 1.0.1\ndeploy:\n  stepz: []\n")
        r = self.release(cfg)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertRegex(r.stderr, r"release\.yaml:4:\d+: unknown key \"stepz\" in deploy")

    def test_bad_version_is_a_usage_error(self):
        r = self.release(self.config("release:\n  version: vv1.0\n"))
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("MAJOR.MINOR.PATCH", r.stderr)

    def test_dry_run_prints_the_plan_and_runs_nothing(self):
        r = subprocess.run([TARS_BIN, "release", "--config", self.shell_config(), "--dry-run",
                            "--canary-weight", "10"], cwd=self.dir, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3. deploy (canary weight 10)", r.stdout)
        self.assertIn("touch %s/deploy" % self.marks, r.stdout)
        self.assertFalse(self.mark("deploy"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "runs")))

    def test_shipped_configs_parse(self):
        for name in ("local", "staging"):
            r = subprocess.run([TARS_BIN, "release", "--config", "release/%s.yaml" % name,
                                "--dry-run"], cwd=ROOT, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, name + ": " + r.stderr)
            self.assertIn("10. notify", r.stdout)

    def test_a_threshold_naming_no_task_is_refused_before_anything_runs(self):
        scenario = os.path.join(self.dir, "two-tasks.yaml")
        with open(scenario, "w") as f:
            f.write("name: two\nbase_url: http://127.0.0.1:1\nusers: 1\nduration: 1s\n"
                    "tasks:\n  - {name: agents, path: /a}\n  - {name: evaluations, path: /e}\n")
        for args in (["--threshold", "agentz:p95<1s"], ["--threshold=agentz:rps>1"],
                     ["--threshold", "http_req_duration{name:agentz}: p(95)<150"]):
            text = ("release:\n  name: test\n  version: v1.0.1\n  environment: test\n"
                    "  base_url: http://127.0.0.1:1\n"
                    "deploy:\n  steps:\n    - run: touch %s/deploy\n"
                    "perf:\n  steps:\n    - tars: [load, %s, -q, %s]\n"
                    "report:\n  enabled: false\n"
                    % (self.marks, scenario, ", ".join(json.dumps(a) for a in args)))
            cfg = self.config(text)
            for extra in (["--dry-run"], []):
                r = self.release(cfg, *extra)
                self.assertEqual(r.returncode, 3, "%s %s\n%s%s" % (args, extra, r.stdout, r.stderr))
                self.assertIn('perf step 1 (tars load %s): threshold "' % scenario, r.stderr)
                self.assertIn('no task named "agentz" (did you mean "agents"?)', r.stderr)
                self.assertFalse(self.mark("deploy"))
                self.assertFalse(os.path.exists(self.run_dir), "a run directory was created")
        # the same step naming a task the scenario has: planned as usual
        cfg = self.config(text.replace("agentz", "agents"))
        r = self.release(cfg, "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_preflight_missing_file_blocks_the_deploy(self):
        cfg = self.shell_config(extra="preflight:\n  files: [no/such/file.yaml]\n")
        r = self.release(cfg)
        self.expect(r, 1)
        self.assertIn("no/such/file.yaml", self.stages()["preflight"]["reason"])
        self.assertEqual(self.stages()["deploy"]["status"], "skip")
        self.assertFalse(self.mark("deploy"))


class TestNotify(ReleaseTest):
    def notify_config(self, api_url, fail=None):
        return self.shell_config(fail=fail, extra=(
            "notify:\n  slack:\n    webhook_env: TEST_SLACK_URL\n    channel: '#tars-deployments'\n"
            "  github:\n    repository: tars/tars\n    token_env: TEST_GH_TOKEN\n"
            "    deployment_id_env: TEST_GH_DEPLOYMENT\n    api_url: %s\n" % api_url))

    def run_notify(self, fail=None, status=200):
        hook = Webhook(status)
        self.addCleanup(hook.close)
        cfg = self.notify_config(hook.url + "/gh", fail)
        secret_url = hook.url + "/services/T000/B000/very-secret-path"
        r = self.release(cfg, env={"TEST_SLACK_URL": secret_url, "TEST_GH_TOKEN": "ghp_secret123456",
                                   "TEST_GH_DEPLOYMENT": "42"})
        text = r.stdout + r.stderr
        for root, _, files in os.walk(self.run_dir):
            for name in files:
                with open(os.path.join(root, name), errors="replace") as f:
                    text += f.read()
        self.assertNotIn("very-secret-path", text)
        self.assertNotIn("ghp_secret123456", text)
        return r, hook

    def test_success_sends_start_and_success_and_a_github_status(self):
        r, hook = self.run_notify()
        self.expect(r, 0)
        slack = [p["body"] for p in hook.posts if p["path"].startswith("/services/")]
        self.assertEqual(len(slack), 2)
        self.assertEqual(slack[0]["username"], "T.A.R.S. Deployment Bot")
        self.assertEqual(slack[0]["channel"], "#tars-deployments")
        self.assertEqual(slack[0]["attachments"][0]["color"], "#36a64f")
        titles = [f["title"] for f in slack[0]["attachments"][0]["fields"]]
        self.assertEqual(titles, ["Commit", "Branch", "Triggered By", "Timestamp"])
        self.assertEqual(slack[1]["attachments"][0]["color"], "good")
        self.assertEqual(slack[1]["attachments"][0]["footer"], "Ready for production promotion")
        gh = [p for p in hook.posts if p["path"].startswith("/gh/")]
        self.assertEqual(len(gh), 1)
        self.assertEqual(gh[0]["path"], "/gh/repos/tars/tars/deployments/42/statuses")
        self.assertEqual(gh[0]["body"]["state"], "success")
        self.assertEqual(gh[0]["headers"]["Authorization"], "Bearer ghp_secret123456")
        self.assertEqual(self.stages()["notify"]["status"], "pass")

    def test_rollback_message_and_failure_status(self):
        r, hook = self.run_notify(fail="validate")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        slack = [p["body"] for p in hook.posts if p["path"].startswith("/services/")]
        self.assertEqual([s["attachments"][0]["color"] for s in slack], ["#36a64f", "danger"])
        fields = {f["title"]: f["value"] for f in slack[1]["attachments"][0]["fields"]}
        self.assertEqual(fields["Status"], "Rolled back to previous version")
        gh = [p for p in hook.posts if p["path"].startswith("/gh/")]
        self.assertEqual(gh[0]["body"]["state"], "failure")

    def test_a_failing_webhook_never_changes_the_verdict(self):
        r, hook = self.run_notify(status=500)
        self.expect(r, 0)
        self.assertEqual(self.stages()["notify"]["status"], "fail")
        self.assertIn("answered 500", self.stages()["notify"]["reason"])


class TestLocalRelease(ReleaseTest):
    """release/local.yaml, end to end, against a real tars serve on a free port."""

    def shipped_local_yaml(self):
        """release/local.yaml with its runs directory (and so its one-release-at-a-time lock,
        runs/.release-local.lock) in this test's directory: other tests and a `make demo` that
        run the same config from the repository at the same time are not refused by it."""
        with open(os.path.join(ROOT, "release", "local.yaml")) as f:
            text = f.read()
        self.assertIn("\n  runs_dir: runs\n", text)
        return text.replace("\n  runs_dir: runs\n", "\n  runs_dir: %s\n" % os.path.join(self.dir, "runs"))

    def local_config(self, threshold=None, rollback_extra="", load_extra=""):
        text = self.shipped_local_yaml()
        text = text.replace("--duration, 10s", "--duration, 2s" + load_extra)
        # The shipped scenario's p95 < 150 ms is a production target; on a 2-core CI machine
        # running the sanitizer build beside other tests, 8 samples per endpoint (p95 = max)
        # can miss it with nothing wrong. These tests are about how the gate decides on the
        # thresholds it measured, so they measure against limits this machine can keep.
        scenario = os.path.join(self.dir, "tars-api.yaml")
        with open(os.path.join(ROOT, "scenarios", "tars-api.yaml")) as f:
            body = f.read()
        self.assertIn(":p95<150ms", body)
        self.assertIn("think_time: between(1s, 5s)", body)
        # Short thinking: 2 s must give every task samples (with 1-5 s, ~24 requests in all
        # once left the evaluations task with none, and n/a fails its threshold).
        body = body.replace("think_time: between(1s, 5s)", "think_time: between(20ms, 100ms)")
        with open(scenario, "w") as f:
            f.write(body.replace(":p95<150ms", ":p95<5s"))
        self.assertIn("[load, scenarios/tars-api.yaml,", text)
        text = text.replace("[load, scenarios/tars-api.yaml,", "[load, %s," % scenario)
        self.assertIn("\nintegrity:\n", text)  # the shipped gate checks data integrity
        if rollback_extra:
            text = text.replace("      run: scripts/release-local.sh rollback\n",
                                "      run: scripts/release-local.sh rollback\n" + rollback_extra)
        if threshold:
            text = text.replace("--duration, 2s", "--duration, 2s, --threshold, '%s'" % threshold)
        # The same holds for the suite's one fixed latency target (local.api.response_time: p95
        # of 20 requests < 100 ms): on a loaded machine the loopback server misses it with
        # nothing wrong (measured: p95 209 ms under stress-ng --cpu 2). Every other check runs.
        only = self.suite_selection(os.path.join(ROOT, "suites", "local.yaml"),
                                    leave_out={"local.api.response_time"})
        self.assertIn("- tars: [validate, suites/local.yaml,", text)
        text = text.replace("- tars: [validate, suites/local.yaml,",
                            "- tars: [validate, suites/local.yaml, %s," % ", ".join(only))
        return self.config(text)

    def suite_selection(self, suite, leave_out):
        """--only arguments that select every check of SUITE but those in LEAVE_OUT: whole
        categories where nothing is left out, the others check by check (`tars validate
        --list` names them)."""
        r = subprocess.run([TARS_BIN, "validate", suite, "--list"], capture_output=True,
                           text=True, timeout=30)
        self.expect(r, 0)
        checks = [line.split()[:2] for line in r.stdout.splitlines() if line.startswith("  ")]
        self.assertTrue(leave_out <= {c[0] for c in checks}, r.stdout)
        partial = {cat for cid, cat in checks if cid in leave_out}
        only = []
        for cid, cat in checks:
            item = cid if cat in partial else cat
            if cid not in leave_out and item not in only:
                only.append(item)
        return [a for item in only for a in ("--only", item)]

    def release_local(self, cfg, *extra):
        base = "http://127.0.0.1:%d" % free_port()
        r = subprocess.run([TARS_BIN, "release", "--config", cfg, "--run", self.run_dir, "-q",
                            "--base-url", base, *extra], cwd=ROOT, capture_output=True, text=True,
                           timeout=180)
        self.last = r
        self.addCleanup(self.stop_server, base)
        return r, base

    def stop_server(self, base):
        subprocess.run([os.path.join(ROOT, "scripts", "release-local.sh"), "stop"],
                       env=dict(os.environ, TARS_RUN_DIR=self.run_dir, TARS_BASE_URL=base),
                       capture_output=True, timeout=30)

    def alive(self, base):
        try:
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=1):
                return True
        except OSError:
            return False

    def secrets_absent(self):
        for root, _, files in os.walk(self.run_dir):
            if os.path.basename(root) == "serve":
                continue  # the server's own data directory (credentials.json, mode 0600)
            for name in files:
                with open(os.path.join(root, name), errors="replace") as f:
                    self.assertNotRegex(f.read(), r"eyJ[A-Za-z0-9_-]{8,}\.", name)

    def upgrade_config(self, how):
        text = self.shipped_local_yaml()
        text = text.replace("run: scripts/release-local.sh deploy", "run: scripts/release-local.sh " + how)
        # Data integrity across the upgrade: the gate's own integrity: section.
        text = re.sub(r"\nperf:\n(  .*\n|\s*#.*\n)+", "\n", text)  # not about load: keep it short
        # WebSocket clients held open across the replacement (their token: the old server's).
        text = text.replace("  max_failed: 0\n", "  max_failed: 0\n  websocket:\n    connections: 10\n"
                            "    token_env: TARS_API_TOKEN\n")
        self.assertIn("- tars: [validate, suites/local.yaml,", text)
        text = text.replace("- tars: [validate, suites/local.yaml,",
                            "- tars: [validate, suites/local.yaml, --only, local.api.health,")
        return self.config(text)

    def start_old_server(self, base):
        env_file = os.path.join(self.dir, "old.env")
        # The deploy step's warm-up publishes evaluations first, so the probe's clients join a
        # feed with history (seq > 0): ws-stress once counted that history as lost.
        env = dict(os.environ, TARS_RUN_DIR=self.run_dir, TARS_BASE_URL=base, TARS_BIN=TARS_BIN,
                   TARS_RELEASE_ENV=env_file)
        os.makedirs(self.run_dir)
        r = subprocess.run([os.path.join(ROOT, "scripts", "release-local.sh"), "deploy"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.addCleanup(self.stop_server, base)
        self.expect(r, 0)
        with open(env_file) as f:
            return dict(line.strip().split("=", 1) for line in f if "=" in line)

    def upgrade(self, how):
        base = "http://127.0.0.1:%d" % free_port()
        old_env = self.start_old_server(base)
        r = subprocess.run([TARS_BIN, "release", "--config", self.upgrade_config(how), "--run",
                            self.run_dir, "-q", "--base-url", base], cwd=ROOT,
                           env=dict(os.environ, **old_env), capture_output=True, text=True,
                           timeout=180)
        self.last = r
        self.expect(r, 0, 1)
        return r, self.record("zero_downtime")["zero_downtime"]

    def test_graceful_upgrade_drops_no_request(self):
        r, zd = self.upgrade("upgrade")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + json.dumps(zd))
        self.assertEqual(zd["failed"], 0, json.dumps(zd))
        self.assertEqual(zd["failed_before_up"], 0, json.dumps(zd))  # it was up all along
        self.assertGreater(zd["requests"], 10)
        ws = zd["websocket"]
        self.assertEqual(ws["established"], 10, json.dumps(ws))
        self.assertEqual(ws["lost"], 0, json.dumps(ws))  # resumed on the new process
        self.assertGreater(ws["disconnects"], 0, json.dumps(ws))  # the old one closed them (1001)
        self.assertLess(ws["reconnect_max_ms"], 5000, json.dumps(ws))
        labels = [(e["label"], e["differences"]) for e in self.record("integrity")["integrity"]]
        self.assertEqual(labels, [("before-deploy", []), ("after-deploy", [])])

    def test_abrupt_replacement_shows_the_downtime(self):
        r, zd = self.upgrade("upgrade-abrupt")
        self.expect(r, 1)
        self.assertGreater(zd["failed"], 0, json.dumps(zd))
        self.assertGreater(zd["longest_gap_ms"], 50)
        self.assertIn("zero downtime", " ".join(self.record("decisions")["decisions"][0]["reasons"]))

    def test_local_release_is_approved_on_measured_evidence(self):
        # each load's live metrics stay up 3 s after its 2 s: a busy machine's Prometheus still
        # scrapes their final values
        r, base = self.release_local(self.local_config(load_extra=", --metrics-linger, 3s"))
        self.expect(r, 0)
        rec = self.record()
        self.assertGreater(rec["checks"]["counts"]["pass"], 10)
        self.assertEqual(rec["checks"]["counts"]["fail"], 0)
        self.assertEqual(len(rec["loads"]), 2)  # tars-api.yaml, then tars-journeys.yaml
        self.assertGreater(rec["loads"][0]["result"]["total"]["requests"], 0)
        self.assertTrue(all(t["passed"] for t in rec["loads"][0]["thresholds"]))
        self.assertEqual(len(rec["loads"][0]["thresholds"]), 4)  # the scenario's own, judged
        journeys = rec["loads"][1]
        self.assertTrue(all(t["passed"] for t in journeys["thresholds"]), journeys["thresholds"])
        kinds = {t["name"]: t.get("kind") for t in journeys["result"]["tasks"]}
        self.assertEqual(kinds.get("agent_status"), "journey", kinds)
        self.assertEqual(kinds.get("agent_status/details"), "step", kinds)
        self.assertEqual(rec["decisions"][0]["decision"], "approved")
        self.assertTrue(self.alive(base))  # an approved release stays deployed
        self.secrets_absent()
        # The deploy's Prometheus scraped the perf stage's two loads (job tars-load, one after
        # the other on the port handed over as TARS_LOAD_METRICS_LISTEN; docs/metrics.md, "The
        # demo"): what it stored adds up to both runs' requests (the task names differ).
        with open(os.path.join(self.run_dir, "serve", "prometheus", "url")) as f:
            prom = f.read().strip()
        expr = 'sum(max_over_time(tars_load_requests_total{job="tars-load"}[1h]))'
        with urllib.request.urlopen(prom + "/api/v1/query?query=" + urllib.parse.quote(expr),
                                    timeout=10) as resp:
            rows = json.loads(resp.read())["data"]["result"]
        self.assertEqual(len(rows), 1, "Prometheus stored no live load metrics: %r" % rows)
        self.assertEqual(float(rows[0]["value"][1]),
                         sum(load["result"]["total"]["requests"] for load in rec["loads"]))
        # and the live-feed step's ws-stress (job tars-ws-stress, TARS_WS_STRESS_METRICS_LISTEN):
        # scraped while it ran, established connections at most the summary's
        expr = 'max_over_time(tars_ws_stress_connections_established_total{job="tars-ws-stress"}[1h])'
        with urllib.request.urlopen(prom + "/api/v1/query?query=" + urllib.parse.quote(expr),
                                    timeout=10) as resp:
            rows = json.loads(resp.read())["data"]["result"]
        self.assertEqual(len(rows), 1, "Prometheus stored no live ws-stress metrics: %r" % rows)
        established = [w["result"]["connections"]["established"] for w in rec["ws"]]
        self.assertGreater(float(rows[0]["value"][1]), 0, rows)
        self.assertLessEqual(float(rows[0]["value"][1]), max(established), rows)
        # The package stage's files, read back: names, sizes and SHA-256 in run.json and the report.
        artifacts = rec["artifacts"]
        on_disk = sorted(n for n in os.listdir(os.path.join(self.run_dir, "artifacts"))
                         if not n.startswith("."))
        self.assertEqual([a["name"] for a in artifacts], on_disk)
        self.assertIn("SHA256SUMS", on_disk)
        with open(os.path.join(self.run_dir, "artifacts", "SHA256SUMS")) as f:
            sums = dict(reversed(line.split()) for line in f if line.strip())
        with open(os.path.join(self.run_dir, "report.md")) as f:
            report = f.read()
        self.assertNotIn("No artifacts recorded", report)
        for a in artifacts:
            path = os.path.join(self.run_dir, a["path"])
            self.assertEqual(a["size"], os.path.getsize(path), a["name"])
            with open(path, "rb") as f:
                self.assertEqual(a["sha256"], hashlib.sha256(f.read()).hexdigest(), a["name"])
            if a["name"] in sums:
                self.assertEqual(a["sha256"], sums[a["name"]], a["name"])
            self.assertIn("| %s | %d | `%s` |" % (a["name"], a["size"], a["sha256"]), report)

    def test_a_second_release_is_judged_against_the_first(self):
        cfg = self.local_config()
        r, base = self.release_local(cfg)
        self.expect(r, 0)
        self.assertEqual(len(self.record("db")["db"]), 6)  # the six query families, measured
        self.stop_server(base)
        first = self.run_dir + "-first"
        os.rename(self.run_dir, first)
        r, base = self.release_local(cfg, "--baseline", first)
        self.expect(r, 0, 1, 2)  # approved, rejected or inconclusive: it ran to its decision
        rec = self.record("comparison", "decisions")
        cmp = rec["comparison"]
        self.assertEqual(os.path.realpath(cmp["baseline"]), os.path.realpath(first), json.dumps(cmp))
        self.assertGreater(len(cmp["metrics"]), 3, json.dumps(cmp))
        self.assertIn(cmp["verdict"], ("pass", "marginal", "fail"))
        # Two runs of the same build on one machine may still differ: whatever tars compare
        # said, the decision follows it.
        decision = rec["decisions"][0]
        reasons = " ".join(decision["reasons"])
        if cmp["verdict"] == "pass":
            self.assertEqual(decision["decision"], "approved", reasons)
            self.expect(r, 0)
        elif cmp["verdict"] == "fail":
            self.assertIn("regression against the baseline", reasons)
            self.expect(r, 1)
        else:
            self.assertIn("marginal against the baseline", reasons)

    def test_local_release_with_a_failed_threshold_rolls_back(self):
        r, base = self.release_local(self.local_config(threshold="p99<0.001ms"))
        self.expect(r, 1)
        reasons = " ".join(self.record("decisions")["decisions"][0]["reasons"])
        self.assertIn("p99<0.001ms not met (measured ", reasons)
        self.assertEqual(self.stages()["rollback"]["status"], "pass", self.why())
        self.assertFalse(self.alive(base))  # rolled back: the local deployment is gone
        # Nothing existed before the first deploy; the rollback kept every row.
        integrity = [(e["label"], e["differences"]) for e in self.record("integrity")["integrity"]]
        self.assertEqual(integrity, [("before-rollback", []), ("after-rollback", [])])
        self.secrets_absent()

    def test_a_rollback_that_loses_data_fails(self):
        loses = ("    - name: lose a row\n"
                 "      run: python3 -c \"import sqlite3; c = sqlite3.connect('${run_dir}/serve/tars.db');"
                 " c.execute('DELETE FROM missions WHERE id IN (SELECT id FROM missions LIMIT 1)');"
                 " c.commit()\"\n")
        r, base = self.release_local(self.local_config(threshold="p99<0.001ms", rollback_extra=loses))
        self.expect(r, 1)
        rollback = self.stages()["rollback"]
        self.assertEqual(rollback["status"], "fail", json.dumps(rollback))
        self.assertIn("data integrity", rollback["reason"])
        after = self.record("integrity")["integrity"][-1]
        self.assertEqual(after["label"], "after-rollback")
        self.assertIn("missions", after["differences"][0])


if __name__ == "__main__":
    unittest.main()
