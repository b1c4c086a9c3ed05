"""Options as people type them: typos get a "did you mean", bad values one wording of error and
exit 3 (docs/exit-codes.md). Python 3 standard library only."""
import csv
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from freeport import listening_socket  # noqa: E402  (tests/integration/freeport.py)

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

    def script(self, shell):
        """`tars completion SHELL`'s output, after asserting it exited 0."""
        p = subprocess.run([TARS, "completion", shell], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout


class CommandTypoTest(Base):
    def test_a_mistyped_command_gets_the_nearest(self):
        self.refused(["lod"], 'unknown command "lod"', 'did you mean "load"?')
        self.refused(["valdiate"], 'did you mean "validate"?')
        self.refused(["db-sed"], 'did you mean "db-seed"?')

    def test_a_far_word_gets_no_guess(self):
        err = self.refused(["xyzzy"], 'unknown command "xyzzy"')
        self.assertNotIn("did you mean", err)


class FlagErrorTest(Base):
    """One wording for every command: what is wrong, about which flag, exit 3."""

    def test_a_flag_without_its_value(self):
        self.refused(["load", "http://127.0.0.1:1/", "--connections"],
                     "tars load: --connections requires a value")

    def test_a_number_that_is_not_one(self):
        self.refused(["load", "http://127.0.0.1:1/", "--connections", "abc"],
                     'tars load: --connections: "abc" is not a whole number')

    def test_a_number_out_of_range(self):
        self.refused(["load", "http://127.0.0.1:1/", "--worker-count", "0"],
                     'tars load: --worker-count: "0" must be 1..10000')

    def test_a_mistyped_flag_gets_the_nearest(self):
        self.refused(["load", "http://127.0.0.1:1/", "--duraton", "5s"],
                     'unknown option "--duraton" (did you mean --duration?)')
        self.refused(["load", "http://127.0.0.1:1/", "--duraton=5s"],
                     'unknown option "--duraton=5s" (did you mean --duration?)')

    def test_a_flag_takes_no_value(self):
        self.refused(["load", "http://127.0.0.1:1/", "--insecure=yes"],
                     "tars load: --insecure takes no value")

    def test_t_with_a_bad_value_says_both_meanings(self):
        err = self.refused(["load", "http://127.0.0.1:1/", "-t", "5x"],
                           "neither a thread count (wrk: -t 4) nor a run time (Locust: -t 5m)")
        self.assertNotIn("threads must be", err)
        self.refused(["load", "http://127.0.0.1:1/", "-t", "999"],
                     "a whole number is a thread count (wrk), and must be 1..256; "
                     "a run time needs a unit")


REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


class EnvFallbackTest(Base):
    """An option's environment variable (its table entry's env) is read when the flag is not
    given, with the flag's checks and wording; the flag wins; set but empty is not set."""

    def run_env(self, env, *args):
        p = subprocess.run([TARS] + list(args), capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, **env))
        return p.returncode, "tars %s\nexit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr), p.stderr

    def test_a_bad_variable_is_refused_like_its_flag(self):
        rc, shown, err = self.run_env({"TARS_WS_HEARTBEAT": "10ms"}, "serve", "--migrate-only")
        self.assertEqual(rc, 3, shown)
        self.assertIn('tars serve: TARS_WS_HEARTBEAT (for --ws-heartbeat): "10ms" must be '
                      "100ms..24h", err, shown)
        rc, shown, err = self.run_env({"TARS_LOG_FORMAT": "xml"}, "serve", "--migrate-only")
        self.assertEqual(rc, 3, shown)
        self.assertIn('TARS_LOG_FORMAT (for --log-format): "xml" is not one of json, text', err,
                      shown)

    def test_the_variable_is_read_the_flag_wins_empty_is_unset(self):
        with tempfile.TemporaryDirectory() as tmp:
            from_env = os.path.join(tmp, "from-env")
            from_flag = os.path.join(tmp, "from-flag")
            env = {"TARS_DATA_DIR": from_env, "TARS_THREADS": "abc", "TARS_DB": "",
                   "TARS_REQUEST_TIMEOUT": ""}
            rc, shown, _ = self.run_env(env, "serve", "--migrate-only", "--threads", "2")
            self.assertEqual(rc, 0, shown)
            self.assertTrue(os.path.exists(os.path.join(from_env, "tars.db")), shown)
            rc, shown, _ = self.run_env(env, "serve", "--migrate-only", "--threads", "2",
                                        "--data-dir", from_flag)
            self.assertEqual(rc, 0, shown)
            self.assertTrue(os.path.exists(os.path.join(from_flag, "tars.db")), shown)

    def test_help_and_docs_name_each_variable(self):
        rc, out, err = tars("help", "serve")
        self.assertEqual(rc, 0, err)
        for var in ("TARS_LISTEN", "TARS_THREADS", "TARS_RATE_LIMIT_PUBLIC", "TARS_WS_AUTH",
                    "TARS_WS_SEND_QUEUE"):
            self.assertIn("env " + var, out)
        rc, out, err = tars("help", "ws-stress")
        self.assertEqual(rc, 0, err)
        self.assertIn("env TARS_WS_STRESS_METRICS_LISTEN", out)


def commands():
    """The command names `tars --help` lists."""
    rc, out, err = tars("--help")
    assert rc == 0, err
    names = []
    listing = False
    for line in out.splitlines():
        if line == "commands:":
            listing = True
        elif listing and line.startswith("  "):
            names.append(line.split()[0])
        elif listing:
            listing = False
    return names


def help_options(text):
    """[(short or None, long or None, takes_value)] of the options the help's "options:" lists."""
    found = []
    in_options = False
    for line in text.splitlines():
        if line == "options:":
            in_options = True
            continue
        if in_options and not line:
            break
        m = re.match(r"^  (?:-(\w))?(?:, |    )?(?:--([\w-]+))?( [^ ]+)?(?:  |$)", line)
        if in_options and m and (m.group(1) or m.group(2)):
            found.append((m.group(1), m.group(2), m.group(3) is not None))
    return found


class HelpMatchesParserTest(Base):
    """For every command: each flag `tars help X` lists is one the parser takes (with a value when
    the help gives one), a flag it does not list is refused, and docs/cli.md is exactly what
    `tars help --markdown` prints (regenerate: tars help --markdown > docs/cli.md)."""

    def test_every_listed_flag_is_accepted(self):
        names = commands()
        self.assertIn("load", names)
        self.assertIn("completion", names)
        for cmd in names:
            rc, out, err = tars("help", cmd)
            self.assertEqual(rc, 0, err)
            first = out.split("\n\nusage: ")[0]  # the command's own table (load merge follows)
            listed = help_options(first)
            section = first.split("\noptions:\n")[1].split("\n\n")[0]
            self.assertEqual(len(listed), len(re.findall(r"(?m)^ {2,6}-", section)),
                             "an option line the test could not read:\n" + section)
            self.assertTrue(any(l == "help" for _, l, _ in listed), cmd + ":\n" + out)
            for short, long_, value in listed:
                if long_ == "help":
                    continue
                flag = "--" + long_ if long_ else "-" + short
                args = [cmd, flag] + (["x"] if value else []) + ["--help"]
                rc, _, err = tars(*args)
                self.assertNotIn("unknown option", err, "tars %s" % " ".join(args))
                self.assertIn(rc, (0, 3), "tars %s\n%s" % (" ".join(args), err))
                if rc == 3:  # refused for its value, by name
                    self.assertIn("%s" % flag, err, "tars %s" % " ".join(args))
            err = self.refused([cmd, "--no-such-option-zz", "--help"],
                               'unknown option "--no-such-option-zz"')
            self.assertIn("tars %s:" % cmd, err)

    def test_the_docs_are_the_tables(self):
        rc, out, err = tars("help", "--markdown")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(REPO, "docs", "cli.md")) as f:
            docs = f.read()
        self.assertEqual(docs, out, "docs/cli.md differs from `tars help --markdown`: "
                         "regenerate it with: tars help --markdown > docs/cli.md")
        for cmd in commands():
            self.assertIn("\n## tars %s\n" % cmd, docs)
            rc, text, _ = tars("help", cmd)
            for short, long_, _ in help_options(text):
                self.assertIn("`--%s`" % long_ if long_ else "`-%s`" % short, docs)

    def test_every_command_says_its_exit_codes(self):
        for cmd in commands():
            rc, out, err = tars("help", cmd)
            self.assertEqual(rc, 0, err)
            self.assertRegex(out, r"\nexit: 0 ", cmd)

    def test_no_hand_written_option_loop_is_left(self):
        """The tables are the only option parser: a getopt loop would be one help cannot see."""
        cli = os.path.join(REPO, "src", "cli")
        for name in sorted(os.listdir(cli)):
            if name.endswith(".c"):
                with open(os.path.join(cli, name)) as f:
                    text = f.read()
                for word in ("getopt", "optarg", "optind"):
                    self.assertNotIn(word, text, "src/cli/%s parses options by hand" % name)

    def test_report_mark_values_is_documented(self):
        rc, out, _ = tars("help", "report")
        self.assertIn("--mark-values", out)


class CompletionTest(Base):
    """`tars completion bash` run in a real bash, the way bash calls it on <Tab>."""

    def complete(self, line, cwd=None):
        """The candidates bash would offer for `line` (the cursor at its end)."""
        script = subprocess.run([TARS, "completion", "bash"], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(script.returncode, 0, script.stderr)
        words = line.split(" ")
        prog = ('source /dev/stdin\n'
                'complete -p tars\n'
                'COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%s; COMP_POINT=${#COMP_LINE}\n'
                '_tars\n'
                'printf "%%s\\n" "${COMPREPLY[@]}"\n'
                % (" ".join("'%s'" % w for w in words), len(words) - 1, "'%s'" % line))
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(TARS)) + ":" +
                   os.environ.get("PATH", ""))
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], input=script.stdout,
                           capture_output=True, text=True, timeout=60, cwd=cwd, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "complete -F _tars tars")
        return set(lines[1:]) - {""}

    def test_commands(self):
        self.assertEqual(self.complete("tars lo"), {"load"})
        self.assertTrue({"load", "validate", "report", "completion"} <= self.complete("tars "))

    def test_flags_from_the_table(self):
        got = self.complete("tars load --ru")
        self.assertEqual(got, {"--run-time", "--run"})
        self.assertIn("--mark-values", self.complete("tars report --m"))

    def test_enumerated_values(self):
        self.assertEqual(self.complete("tars validate s.yaml --format j"), {"junit:", "json:"})
        self.assertEqual(self.complete("tars ws-stress --token-in q"), {"query"})
        self.assertEqual(self.complete("tars completion f"), {"fish"})

    def test_check_ids_of_the_suite_on_the_line(self):
        work = tempfile.mkdtemp(prefix="tars-opts-")
        try:
            with open(os.path.join(work, "s.yaml"), "w") as f:
                f.write("suite: compl\nchecks:\n"
                        "  - {id: compl.api.health, category: api, type: http,"
                        " url: \"http://127.0.0.1:1/h\"}\n"
                        "  - {id: compl.db.ping, category: db, type: http,"
                        " url: \"http://127.0.0.1:1/p\"}\n")
            self.assertEqual(self.complete("tars validate s.yaml --only compl.", cwd=work),
                             {"compl.api.health", "compl.db.ping"})
            self.assertEqual(self.complete("tars validate s.yaml --only ", cwd=work),
                             {"compl.api.health", "compl.db.ping", "api", "db"})
            self.assertEqual(self.complete("tars validate --only ", cwd=work), set())
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_other_shells_parse_it(self):
        for shell, flag in (("zsh", "-n"), ("fish", "--no-execute")):
            p = subprocess.run([shell, flag], input=self.script(shell), capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 0, shell + ": " + p.stderr)


def shell_env():
    return dict(os.environ, PATH=os.path.dirname(os.path.abspath(TARS)) + ":" +
                os.environ.get("PATH", ""))


class ZshCompletionTest(Base):
    """`tars completion zsh` loaded in a real interactive zsh and completed with <Tab>
    (zsh_complete.zsh drives it in a pseudo-terminal)."""

    def complete_all(self, lines, cwd):
        """{line: the candidates zsh offered} for each line, the cursor at its end."""
        with open(os.path.join(cwd, "tars.zsh"), "w") as f:
            f.write(self.script("zsh"))
        out = os.path.join(cwd, "offered")
        driver = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zsh_complete.zsh")
        p = subprocess.run(["zsh", "-f", driver, out, os.path.join(cwd, "tars.zsh")] + lines,
                           capture_output=True, text=True, timeout=120, cwd=cwd,
                           env=shell_env())
        self.assertEqual(p.returncode, 0, "stdout:\n%s\nstderr:\n%s" % (p.stdout, p.stderr))
        got, line = {}, None
        with open(out) as f:
            for w in f.read().splitlines():
                if w.startswith("## "):
                    line = w[3:]
                    got[line] = set()
                else:
                    got[line].add(w)
        self.assertIn("end", got, "the driver stopped early")
        return got

    def test_tab_in_zsh(self):
        work = tempfile.mkdtemp(prefix="tars-zsh-")
        try:
            with open(os.path.join(work, "s.yaml"), "w") as f:
                f.write("suite: compl\nchecks:\n"
                        "  - {id: compl.api.health, category: api, type: http,"
                        " url: \"http://127.0.0.1:1/h\"}\n")
            got = self.complete_all(["tars lo", "tars load --dur", "tars load --ru",
                                     "tars completion f", "tars validate s.yaml --format j",
                                     "tars validate s.yaml --only "], work)
            self.assertEqual(got["tars lo"], {"load"})
            self.assertEqual(got["tars load --dur"], {"--duration"})
            self.assertEqual(got["tars load --ru"], {"--run-time", "--run"})
            self.assertEqual(got["tars completion f"], {"fish"})
            self.assertEqual(got["tars validate s.yaml --format j"], {"junit:", "json:"})
            self.assertEqual(got["tars validate s.yaml --only "], {"compl.api.health", "api"})
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_sourced_without_compinit(self):
        """The usage line as written, in a zsh with no setup: the script loads compinit."""
        p = subprocess.run(["zsh", "-f", "-c", 'source <(tars completion zsh) && '
                            'print -r -- "$_comps[tars]"'], capture_output=True, text=True,
                           timeout=60, env=shell_env())
        self.assertEqual((p.returncode, p.stderr), (0, ""), p.stdout)
        self.assertEqual(p.stdout, "_bash_complete -F _tars\n")


class FishCompletionTest(Base):
    """`tars completion fish` sourced in a real fish; `complete -C` is what <Tab> offers."""

    def complete(self, line, cwd=None):
        prog = "tars completion fish | source; or exit 9; complete -C %s" % shlex.quote(line)
        p = subprocess.run(["fish", "--no-config", "-c", prog], capture_output=True, text=True,
                           timeout=60, cwd=cwd, env=shell_env())
        self.assertEqual((p.returncode, p.stderr), (0, ""), p.stdout)
        return {w.split("\t")[0] for w in p.stdout.splitlines()}

    def test_tab_in_fish(self):
        self.assertEqual(self.complete("tars lo"), {"load"})
        self.assertEqual(self.complete("tars load --dur"), {"--duration"})
        self.assertEqual(self.complete("tars completion f"), {"fish"})
        self.assertEqual(self.complete("tars validate s.yaml --format j"), {"junit:", "json:"})

    def test_check_ids_in_fish(self):
        work = tempfile.mkdtemp(prefix="tars-fish-")
        try:
            with open(os.path.join(work, "s.yaml"), "w") as f:
                f.write("suite: compl\nchecks:\n"
                        "  - {id: compl.api.health, category: api, type: http,"
                        " url: \"http://127.0.0.1:1/h\"}\n")
            self.assertEqual(self.complete("tars validate s.yaml --only ", cwd=work),
                             {"compl.api.health", "api"})
        finally:
            shutil.rmtree(work, ignore_errors=True)


class UnknownShellTest(Base):
    def test_unknown_shell(self):
        self.refused(["completion", "tcsh"], '"tcsh" is not bash, zsh or fish')


class Stub(http.server.BaseHTTPRequestHandler):
    """200 on every path but /flaky, which fails every other request; keeps the headers seen."""
    lock = threading.Lock()
    hits = 0
    flaky = 0
    headers_seen = set()

    def do_GET(self):
        with Stub.lock:
            Stub.hits += 1
            Stub.headers_seen.update("%s: %s" % (k, v) for k, v in self.headers.items())
            fail = False
            if self.path == "/flaky":
                Stub.flaky += 1
                fail = Stub.flaky % 2 == 0
        body = b'{"status":"ok"}'
        self.send_response(500 if fail else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class LoadHabitsTest(unittest.TestCase):
    """tars load typed the way Locust and wrk users type their tools (docs/cli.md)."""

    @classmethod
    def setUpClass(cls):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub, bind_and_activate=False)
        server.socket.close()
        server.socket = listening_socket()
        server.server_address = server.socket.getsockname()
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        cls.server = server
        cls.url = "http://127.0.0.1:%d" % server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tars-opts-")
        with Stub.lock:
            Stub.hits = 0
            Stub.flaky = 0
            Stub.headers_seen = set()

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def run_ok(self, args, expect=0):
        rc, out, err = tars(*args, cwd=self.work)
        shown = "tars %s\nexit %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(args), rc, out, err)
        self.assertEqual(rc, expect, shown)
        return out, err

    def result(self, name="r.json"):
        with open(os.path.join(self.work, name)) as f:
            return json.load(f)

    def test_locust_flags(self):
        """locust -u 2 -r 4 -t 2s --headless --only-summary --csv P -H http://host"""
        out, err = self.run_ok(["load", "http://127.0.0.1:1/health", "-u", "2", "-r", "4",
                                "-t", "2s", "--headless", "--only-summary", "--csv", "p",
                                "-H", self.url, "--json", "r.json"])
        r = self.result()
        self.assertGreater(Stub.hits, 0, "-H URL is the host: requests reach the stub")
        self.assertGreaterEqual(r["duration_ms"], 1500, "-t 2s is the run time")
        self.assertLess(r["duration_ms"], 10000, "-t 2s is the run time, not the 10 s default")
        with open(os.path.join(self.work, "p_stats.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(rows[-1]["Name"], "Aggregated")

    def test_wrk_flags(self):
        """wrk -t 2 -c 4 -d 1s --latency -H 'X-Habit: wrk' URL"""
        self.run_ok(["load", "-t", "2", "-c", "4", "-d", "1s", "--latency", "-H",
                     "X-Habit: wrk", self.url + "/health", "--json", "r.json", "-q"])
        r = self.result()
        self.assertLess(r["duration_ms"], 5000, "-d 1s")
        self.assertIn("X-Habit: wrk", Stub.headers_seen, "-H 'Name: value' is a header")

    def test_exit_code_on_error(self):
        """Locust's --exit-code-on-error: any failed request turns a pass into that code."""
        args = ["load", self.url + "/flaky", "-c", "2", "-d", "1s", "-q", "--json", "r.json"]
        self.run_ok(args)  # failures alone do not fail a run without thresholds
        self.assertGreater(self.result()["total"]["failures"], 0)
        out, err = self.run_ok(args + ["--exit-code-on-error", "7"], expect=7)
        self.assertIn("(--exit-code-on-error)", err)
        self.run_ok(["load", self.url + "/health", "-c", "2", "-d", "1s", "-q",
                     "--exit-code-on-error", "7"])  # nothing failed: 0


if __name__ == "__main__":
    unittest.main()
