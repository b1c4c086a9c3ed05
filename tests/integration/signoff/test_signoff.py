"""Integration tests of `tars signoff` and `tars promote` (Python 3 standard library only).

One real run directory comes from the local gate (`tars release --config release/local.yaml`,
shortened as tests/integration/release does it, against `tars serve --demo` on a free loopback
port, stopped once the run is recorded). Every test signs a copy of it with keys made here by
ssh-keygen: five role holders, one outsider, and an allowed_signers file that maps each
identity to its role. Nothing here reads a private key: ssh-keygen does.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

TARS = os.environ["TARS_BIN"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

ROLES = ["Engineering Lead", "QA Lead", "SRE Lead", "Security Lead", "Release Manager"]
PEOPLE = {"Engineering Lead": "erin@example.com", "QA Lead": "quinn@example.com",
          "SRE Lead": "sam@example.com", "Security Lead": "sec@example.com",
          "Release Manager": "rita@example.com"}


def free_port():
    # Outside the ephemeral range, so no client socket of the machine can hold it.
    for port in range(20000 + os.getpid() % 5000, 32000, 7):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def slug(role):
    return "role:" + re.sub(r"[^a-z0-9]+", "-", role.lower()).strip("-")


def run(*args, cwd=ROOT, env=None, timeout=120):
    return subprocess.run(list(args), cwd=cwd, env=dict(os.environ, **(env or {})),
                          capture_output=True, text=True, timeout=timeout)


class Fixture:
    """The keys, allowed_signers and one recorded run of the local gate, made once."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tars-signoff-test.")
        self.keys = {}
        lines = []
        for role, who in PEOPLE.items():
            self.keys[who] = self.keygen(who)
            with open(self.keys[who] + ".pub") as f:
                lines.append('%s,%s namespaces="tars-signoff" %s' % (who, slug(role), f.read().strip()))
        self.keys["mallory@example.com"] = self.keygen("mallory@example.com")  # in no file
        self.allowed = os.path.join(self.dir, "allowed_signers")
        with open(self.allowed, "w") as f:
            f.write("# made by the test\n" + "\n".join(lines) + "\n")
        self.run_dir = os.path.join(self.dir, "staging")
        self.release()

    def keygen(self, who):
        path = os.path.join(self.dir, who.split("@")[0])
        r = run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", path)
        assert r.returncode == 0, r.stderr
        return path

    def release(self):
        with open(os.path.join(ROOT, "release", "local.yaml")) as f:
            text = f.read()
        # As tests/integration/release shortens it: a 2 s load with short think times, judged
        # against limits a busy 2-core machine (or a sanitizer build) can keep.
        with open(os.path.join(ROOT, "scenarios", "tars-api.yaml")) as f:
            body = f.read()
        assert ":p95<150ms" in body and "think_time: between(1s, 5s)" in body
        scenario = os.path.join(self.dir, "tars-api.yaml")
        with open(scenario, "w") as f:
            f.write(body.replace("think_time: between(1s, 5s)", "think_time: between(20ms, 100ms)")
                    .replace(":p95<150ms", ":p95<5s"))
        assert "--duration, 10s" in text and "[load, scenarios/tars-api.yaml," in text
        text = text.replace("--duration, 10s", "--duration, 2s").replace(
            "[load, scenarios/tars-api.yaml,", "[load, %s," % scenario)
        config = os.path.join(self.dir, "local.yaml")
        with open(config, "w") as f:
            f.write(text)
        base = "http://127.0.0.1:%d" % free_port()
        try:
            r = run(TARS, "release", "--config", config, "--run", self.run_dir, "-q",
                    "--base-url", base, timeout=300)
        finally:
            run(os.path.join(ROOT, "scripts", "release-local.sh"), "stop",
                env={"TARS_RUN_DIR": self.run_dir, "TARS_BASE_URL": base}, timeout=60)
        assert r.returncode == 0, "the local gate did not approve:\n" + r.stdout + r.stderr
        shutil.rmtree(os.path.join(self.run_dir, "serve"), ignore_errors=True)
        # The gate's own report names the final evidence: it can be read and signed as it is.
        with open(os.path.join(self.run_dir, "report.md"), encoding="utf-8") as f:
            self.report_digest = re.search(r"\*\*Evidence digest:\*\* `(sha256:[0-9a-f]{64})`",
                                           f.read()).group(1)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


FIXTURE = None


def setUpModule():
    global FIXTURE
    FIXTURE = Fixture()


def tearDownModule():
    if FIXTURE:
        FIXTURE.close()


class SignoffTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tars-signoff-case.", dir=FIXTURE.dir)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.run_dir = self.copy_run("run")

    def copy_run(self, name):
        path = os.path.join(self.tmp, name)
        shutil.copytree(FIXTURE.run_dir, path)
        self.ok(TARS, "report", path)  # what the signers read: the report of this evidence
        return path

    def ok(self, *args, **kw):
        r = run(*args, **kw)
        self.assertEqual(r.returncode, 0, "%s\n%s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def sign(self, role, who=None, key=None, reject=None, run_dir=None, expect=0):
        who = who or PEOPLE[role]
        args = [TARS, "signoff", run_dir or self.run_dir, "--role", role, "--identity", who,
                "--key", FIXTURE.keys[(key or who)]]
        args += ["--reject", "--reason", reject] if reject else ["--approve"]
        r = run(*args)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def lines(self, run_dir=None):
        with open(os.path.join(run_dir or self.run_dir, "signoffs.jsonl")) as f:
            return f.read().splitlines()

    def append_raw(self, text, run_dir=None):
        with open(os.path.join(run_dir or self.run_dir, "signoffs.jsonl"), "a") as f:
            f.write(text)

    def states(self, run_dir=None):
        r = self.ok(TARS, "signoff", run_dir or self.run_dir, "--list", "--json",
                    "--allowed-signers", FIXTURE.allowed)
        v = json.loads(r.stdout)
        return v, {s["role"]: s for s in v["roles"]}

    def report(self, run_dir=None):
        run_dir = run_dir or self.run_dir
        self.ok(TARS, "report", run_dir, "--allowed-signers", FIXTURE.allowed)
        with open(os.path.join(run_dir, "report.md"), encoding="utf-8") as f:
            return f.read()

    def promotion_config(self):
        """release/production.yaml's own artifact check, then a stand-in for the production
        suite (it needs the production cluster); the promotion's run lands in self.tmp."""
        with open(os.path.join(ROOT, "release", "production.yaml")) as f:
            shipped = f.read()
        verify = re.search(r"    - name: verify the staging artifacts\n      run: .*\n", shipped)
        self.assertIsNotNone(verify, "release/production.yaml verifies the staging artifacts")
        self.assertIn("package --validate --output-dir \"$TARS_PROMOTED_ARTIFACTS\"", verify.group(0))
        self.assertIn("suites/production.yaml", shipped)
        path = os.path.join(self.tmp, "production.yaml")
        with open(path, "w") as f:
            f.write("release:\n  name: production\n  version: 1.0.1\n  environment: production\n"
                    "  base_url: http://127.0.0.1:1\n  runs_dir: %s\n"
                    "signoff:\n  allowed_signers: %s\n"
                    "deploy:\n  steps:\n%s"
                    "validate:\n  steps:\n    - run: echo \"promoted digest $TARS_PROMOTED_DIGEST\"\n"
                    "report:\n  enabled: false\n" % (self.tmp, FIXTURE.allowed, verify.group(0)))
        return path

    def promote(self, *extra, run_dir=None):
        return run(TARS, "promote", run_dir or self.run_dir, "--to", "production", "--config",
                   self.promotion_config(), "-q", *extra, timeout=180)


class TestApproval(SignoffTest):
    def test_the_gates_own_report_names_the_final_evidence_digest(self):
        r = self.ok(TARS, "signoff", FIXTURE.run_dir, "--list")
        self.assertIn("evidence " + FIXTURE.report_digest + "\n", r.stdout)

    def test_all_five_approve_then_promote_succeeds_and_the_report_ticks_five(self):
        for role in ROLES:
            self.sign(role)
        v, st = self.states()
        self.assertEqual({r: s["state"] for r, s in st.items()}, {r: "approved" for r in ROLES})
        self.assertEqual(v["problems"], [])
        text = self.report()
        digest = v["digest"]
        self.assertIn("**Evidence digest:** `%s`" % digest, text)
        for role in ROLES:
            self.assertRegex(text, r"- \[x\] %s: Approved by %s at \d{4}-\d\d-\d\dT[\d:.]+Z "
                                   r"\(signature verified\)" % (role, re.escape(PEOPLE[role])))
        self.assertEqual(text.count("- [x] "), 5)

        r = self.promote()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(self.run_dir, "promotions.jsonl")) as f:
            records = [json.loads(line) for line in f]
        self.assertEqual([p["status"] for p in records], ["started", "promoted"])
        self.assertEqual(records[-1]["digest"], digest)
        self.assertEqual(sorted(a["role"] for a in records[-1]["approvals"]), sorted(ROLES))
        prod = records[-1]["run"]
        with open(os.path.join(prod, "run.json")) as f:
            prod_run = json.load(f)
        self.assertEqual(prod_run["decisions"][0]["decision"], "approved")
        with open(os.path.join(prod, "logs", "deploy.log")) as f:
            self.assertIn("valid (", f.read())  # tars package --validate on the staging artifacts
        with open(os.path.join(prod, "logs", "validate.log")) as f:
            self.assertIn("promoted digest " + digest, f.read())
        # The promotion record is no evidence: the sign-offs still hold.
        self.assertEqual(self.states()[0]["digest"], digest)

    def test_signing_refuses_a_report_of_other_evidence(self):
        os.remove(os.path.join(self.run_dir, "report.md"))
        r = self.sign("QA Lead", expect=1)
        self.assertIn("render the report of this evidence", r.stderr)
        self.report()
        with open(os.path.join(self.run_dir, "checks.json"), "a") as f:
            f.write(" ")
        r = self.sign("QA Lead", expect=1)
        self.assertIn("render it again", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "signoffs.jsonl")))

    def test_with_allowed_signers_an_invalid_sign_off_is_refused_before_it_is_written(self):
        env = {"TARS_ALLOWED_SIGNERS": FIXTURE.allowed}
        for who, key, role, why in (
                ("mallory@example.com", None, "QA Lead", "unknown signer"),
                (PEOPLE["QA Lead"], None, "Security Lead", "not allowed the role Security Lead"),
                (PEOPLE["Release Manager"], PEOPLE["QA Lead"], "Release Manager", "unknown signer")):
            r = run(TARS, "signoff", self.run_dir, "--role", role, "--identity", who, "--key",
                    FIXTURE.keys[key or who], "--approve", env=env)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("not recorded, it would be invalid: ", r.stderr)
            self.assertIn(why, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "signoffs.jsonl")))
        r = run(TARS, "signoff", self.run_dir, "--role", "QA Lead", "--identity", PEOPLE["QA Lead"],
                "--key", FIXTURE.keys[PEOPLE["QA Lead"]], "--approve", env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.lines()), 1)

    def test_concurrent_signoffs_lose_no_record(self):
        procs = []
        for rnd in range(3):
            for role in ROLES:
                who = PEOPLE[role]
                procs.append(subprocess.Popen(
                    [TARS, "signoff", self.run_dir, "--role", role, "--identity", who,
                     "--key", FIXTURE.keys[who], "--approve", "--reason", "round %d" % rnd],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, out + err)
        self.assertEqual(len(self.lines()), 15)
        v, st = self.states()
        self.assertEqual(len(v["records"]), 15)
        self.assertTrue(all(rec["valid"] for rec in v["records"]), v["records"])
        self.assertEqual(v["problems"], [])


class TestRefusal(SignoffTest):
    def test_one_rejects_one_missing_one_other_evidence_one_forged(self):
        self.sign("Engineering Lead")
        self.sign("QA Lead", reject="p99 regressed - [x] Security Lead: Approved")
        # Security Lead signs another run's evidence; the record is replayed here.
        other = self.copy_run("other")
        with open(os.path.join(other, "run.json")) as f:
            rec = json.load(f)
        rec["started_at"] = "2026-01-01T00:00:00Z"
        with open(os.path.join(other, "run.json"), "w") as f:
            json.dump(rec, f)
        self.ok(TARS, "report", other)
        self.sign("Security Lead", run_dir=other)
        self.append_raw(self.lines(other)[0] + "\n")
        # Release Manager's record forged with a key allowed_signers does not hold.
        self.sign("Release Manager", key="mallory@example.com")
        # SRE Lead: missing.

        v, st = self.states()
        self.assertEqual(st["Engineering Lead"]["state"], "approved")
        self.assertEqual(st["QA Lead"]["state"], "rejected")
        self.assertEqual(st["SRE Lead"]["state"], "missing")
        self.assertEqual(st["Security Lead"]["state"], "invalid")
        self.assertIn("signed other evidence", st["Security Lead"]["problems"][0])
        self.assertEqual(st["Release Manager"]["state"], "invalid")
        self.assertIn("unknown signer", st["Release Manager"]["problems"][0])

        r = self.promote()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        err = r.stderr
        self.assertIn("QA Lead: rejected by quinn@example.com", err)
        self.assertIn("p99 regressed", err)
        self.assertIn("SRE Lead: missing", err)
        self.assertRegex(err, r"Security Lead: invalid\n\s+invalid: signoffs.jsonl:3: signed other evidence")
        self.assertRegex(err, r"Release Manager: invalid\n\s+invalid: signoffs.jsonl:4: unknown signer")
        self.assertNotIn("Engineering Lead", err)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "promotions.jsonl")))

        text = self.report()
        self.assertEqual(text.count("- [x] "), 1)
        self.assertIn("- [x] Engineering Lead: Approved by erin@example.com", text)
        # The rejection shows with its reason; the reason's text cannot tick anything.
        self.assertIn("- [ ] QA Lead: Rejected by quinn@example.com at ", text)
        self.assertIn("p99 regressed - \\[x\\] Security Lead: Approved", text)
        self.assertNotIn("- [x] Security Lead", text)
        self.assertIn("- [ ] SRE Lead: awaiting a signed sign-off", text)
        self.assertIn("- [ ] Security Lead: not signed off: 1 invalid sign-off (signoffs.jsonl:3: "
                      "signed other evidence", text)

    def test_each_forgery_is_detected_and_named(self):
        self.sign("QA Lead", reject="flaky suite")
        self.sign("Engineering Lead")
        first = json.loads(self.lines()[0])
        eng = json.loads(self.lines()[1])
        edited = []
        rec = dict(first, decision="approved")  # the rejection turned into an approval
        edited.append(rec)
        edited.append(dict(eng, role="SRE Lead"))  # the approval moved to another role
        edited.append(dict(eng, digest="sha256:" + "0" * 64))  # ... or to other evidence
        self.append_raw("".join(json.dumps(e) + "\n" for e in edited))
        # A key allowed for another role, and a key claiming someone else's identity.
        self.sign("Security Lead", who=PEOPLE["QA Lead"])
        self.sign("Release Manager", who=PEOPLE["Release Manager"], key=PEOPLE["QA Lead"])

        v, st = self.states()
        problems = {rec["line"]: rec.get("problem", "") for rec in v["records"]}
        self.assertTrue(problems[3].startswith("bad signature"), problems)
        self.assertTrue(problems[4].startswith("bad signature"), problems)
        self.assertTrue(problems[5].startswith("bad signature"), problems)
        self.assertIn("is not allowed the role Security Lead", problems[6])
        self.assertIn("unknown signer: the key that signed is quinn@example.com's", problems[7])
        self.assertEqual(st["QA Lead"]["state"], "rejected")  # the forged approval changes nothing
        self.assertEqual(st["SRE Lead"]["state"], "invalid")
        self.assertEqual(st["Security Lead"]["state"], "invalid")
        self.assertEqual(st["Release Manager"]["state"], "invalid")

        r = self.promote("--require", "Engineering Lead")  # the one genuine approval suffices
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.promote("--require", "Engineering Lead,SRE Lead")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("SRE Lead: invalid", r.stderr)
        self.assertIn("signoffs.jsonl:4: bad signature", r.stderr)

    def test_a_truncated_file_is_named_and_blocks_promotion(self):
        for role in ROLES:
            self.sign(role)
        last = self.lines()[-1]
        self.append_raw(last[: len(last) // 2])  # a record cut short by a crash
        v, _ = self.states()
        self.assertEqual(v["problems"], ["signoffs.jsonl:6: truncated record (the file ends inside it)"])
        r = self.promote()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("signoffs.jsonl:6: truncated record", r.stderr)
        # The next sign-off starts on a line of its own and is not swallowed.
        self.sign("QA Lead")
        v, _ = self.states()
        self.assertEqual(len(self.lines()), 7)
        self.assertTrue(v["records"][-1]["valid"], v["records"][-1])
        self.assertEqual(v["problems"], ["signoffs.jsonl:6: not a JSON record (truncated or edited)"])

    def test_evidence_changed_after_approval_invalidates_every_signoff(self):
        for role in ROLES:
            self.sign(role)
        before, _ = self.states()
        with open(os.path.join(self.run_dir, "run.json")) as f:
            rec = json.load(f)
        rec["checks"]["counts"]["fail"] = 0  # same meaning, rewritten: still other evidence
        rec["checks"]["suites"][0]["checks"][0]["reason"] = "edited after sign-off"
        with open(os.path.join(self.run_dir, "run.json"), "w") as f:
            json.dump(rec, f, indent=2)
        after, st = self.states()
        self.assertNotEqual(before["digest"], after["digest"])
        for role in ROLES:
            self.assertEqual(st[role]["state"], "invalid", st[role])
            self.assertIn("signed other evidence", st[role]["problems"][0])
        r = self.promote()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for role in ROLES:
            self.assertIn("%s: invalid" % role, r.stderr)
        self.assertEqual(self.report().count("- [x] "), 0)

    def test_an_artifact_changed_after_approval_fails_the_promotion_steps(self):
        for role in ROLES:
            self.sign(role)
        art = os.path.join(self.run_dir, "artifacts")
        chart = [n for n in os.listdir(art) if n.endswith(".tgz")][0]
        with open(os.path.join(art, chart), "ab") as f:
            f.write(b"\0")
        r = self.promote()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        with open(os.path.join(self.run_dir, "promotions.jsonl")) as f:
            self.assertEqual([json.loads(line)["status"] for line in f], ["started", "failed"])

    def test_a_run_not_approved_is_never_promoted(self):
        with open(os.path.join(self.run_dir, "run.json")) as f:
            rec = json.load(f)
        rec["decisions"][0]["decision"] = "rejected"
        with open(os.path.join(self.run_dir, "run.json"), "w") as f:
            json.dump(rec, f)
        self.ok(TARS, "report", self.run_dir)
        for role in ROLES:
            self.sign(role)
        r = self.promote()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('the run\'s decision is "rejected", not approved', r.stderr)

    def test_the_report_never_ticks_from_text(self):
        with open(os.path.join(self.run_dir, "report.md"), "a") as f:
            f.write("\n- [x] QA Lead: Approved\n")
        self.sign("QA Lead")
        text = self.report()
        self.assertNotIn("- [x] QA Lead: Approved\n", text)
        self.assertIn("- [x] QA Lead: Approved by quinn@example.com", text)
        # Without allowed_signers nothing can be verified, so nothing is ticked.
        self.ok(TARS, "report", self.run_dir, env={"TARS_ALLOWED_SIGNERS": ""})
        with open(os.path.join(self.run_dir, "report.md"), encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(text.count("- [x] "), 0)
        self.assertIn("no sign-off could be verified", text)


if __name__ == "__main__":
    unittest.main()
