"""The chart as the staging release really installs it (Python 3 + python3-yaml): the helm commands
of release/staging.yaml's deploy step, run as `helm template` with the pinned helm of
scripts/tools.sh, and small readers over what was rendered. Shared by the contract test, the
Kubernetes stand-in's state and the staging rehearsal."""

import os
import re
import subprocess
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HELM = os.path.join(ROOT, "tools", "bin", "helm")
KUBECTL = os.path.join(ROOT, "tools", "bin", "kubectl")
CHART = os.path.join(ROOT, "deploy", "helm", "tars")
RELEASE_CONFIG = os.path.join(ROOT, "release", "staging.yaml")
# flags of `helm upgrade --install` that only matter against a cluster (and their arguments)
CLUSTER_ONLY = {"--install": 0, "--atomic": 0, "--wait": 0, "--timeout": 1, "--create-namespace": 0}


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def need_tools():
    for tool in (HELM, KUBECTL):
        if not os.access(tool, os.X_OK):
            raise AssertionError("%s is missing: run scripts/tools.sh (make check does)" % tool)


def expand(text, values):
    """${name} of tars release's step texts (docs/release-format.md)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def release_values(cfg, canary_weight=0, artifacts_dir=None):
    r = cfg["release"]
    return {"version": str(r["version"]).lstrip("v"), "namespace": r.get("namespace", ""),
            "base_url": r.get("base_url", ""), "environment": r.get("environment", ""),
            "canary_weight": canary_weight, "artifacts_dir": artifacts_dir or "ARTIFACTS"}


def helm_installs(cfg, canary_weight):
    """Every `helm upgrade --install RELEASE CHART ARGS` the deploy steps run at this canary
    weight, as (release, args after the chart)."""
    found = []
    for words in stage_commands(cfg, "deploy", canary_weight):
        if words[:2] == ["helm", "upgrade"] and "--install" in words:
            rest = [w for w in words[2:] if w != "--install"]
            found.append((rest[0], rest[2:]))
    return found


def template_args(args):
    """The args of an install without the flags only a cluster needs."""
    out, skip = [], 0
    for w in args:
        if skip:
            skip -= 1
            continue
        name = w.split("=", 1)[0]
        if name in CLUSTER_ONLY:
            skip = CLUSTER_ONLY[name] if "=" not in w else 0
            continue
        out.append(w)
    return out


def helm_template(release, args, namespace=None):
    """Real `helm template` of the chart; returns the list of rendered objects."""
    need_tools()
    argv = [HELM, "template", release, CHART] + template_args(args)
    if namespace and "-n" not in args and "--namespace" not in args:
        argv += ["-n", namespace]
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(argv), r.returncode, r.stderr))
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def staging_install(canary_weight=0):
    """(release, args) of the single helm install release/staging.yaml runs at this weight."""
    installs = helm_installs(load_yaml(RELEASE_CONFIG), canary_weight)
    if len(installs) != 1:
        raise AssertionError("release/staging.yaml at canary weight %d: expected one helm "
                             "install, found %r" % (canary_weight, installs))
    return installs[0]


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def set_keys(args):
    """The values keys of --set/--set-string arguments."""
    keys, it = [], iter(args)
    for w in it:
        if w in ("--set", "--set-string"):
            for pair in next(it).split(","):
                keys.append(pair.split("=", 1)[0])
        elif w.startswith(("--set=", "--set-string=")):
            for pair in w.split("=", 1)[1].split(","):
                keys.append(pair.split("=", 1)[0])
    return keys


def values_files(args):
    files, it = [], iter(args)
    for w in it:
        if w in ("-f", "--values"):
            files.append(next(it))
        elif w.startswith("--values="):
            files.append(w.split("=", 1)[1])
    return files


def key_paths(tree, prefix=""):
    """Every leaf key path of a values tree (dicts only; a list or scalar is a leaf)."""
    for k, v in tree.items():
        path = prefix + str(k)
        if isinstance(v, dict) and v:
            yield from key_paths(v, path + ".")
        else:
            yield path


def has_key(tree, path):
    """Whether the chart's values define this key path. A map that is empty by default
    (annotations: {}, nodeSelector: {}) is free-form: any key under it counts."""
    node = tree
    for part in re.sub(r"\[\d+\]", "", path).split("."):
        if isinstance(node, dict) and not node:
            return True
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def traced_commands(text, values):
    """The helm and kubectl commands a step's shell text really runs for these ${…} values: the
    text runs under /bin/sh with helm and kubectl replaced by functions that record their
    arguments in a file (so if/else picks the branch the shell would, and both ends of a pipe
    are seen). Returns a list of argv lists."""
    with tempfile.NamedTemporaryFile("r", prefix="tars-trace.") as trace:
        script = ('helm() { printf "%s\\037" helm "$@" >>"$TRACE"; printf "\\n" >>"$TRACE"; }\n'
                  'kubectl() { printf "%s\\037" kubectl "$@" >>"$TRACE"; printf "\\n" >>"$TRACE"; }\n'
                  + expand(text, values))
        r = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30,
                           cwd=ROOT, stdin=subprocess.DEVNULL, env=dict(os.environ, TRACE=trace.name))
        if r.returncode != 0:
            raise AssertionError("step text failed under sh (%d): %s\n%s"
                                 % (r.returncode, text, r.stderr))
        lines = trace.read().splitlines()
    return [line.rstrip("\037").split("\037") for line in lines if line]


def stage_commands(cfg, stage, canary_weight):
    values = release_values(cfg, canary_weight)
    out = []
    for step in (cfg.get(stage) or {}).get("steps") or []:
        if "run" in step:
            out += traced_commands(step["run"], values)
    return out
