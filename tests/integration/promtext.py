"""Reading a Prometheus text exposition in tests (Python 3 standard library only): scrape it,
parse it into samples, and have `promtool check metrics` (Debian package prometheus) lint it.

    from promtext import scrape, parse, value, promtool_check
    status, content_type, text = scrape(port)
    samples = parse(text)
    value(samples, "tars_load_requests_total", task="agents", step="agents")
"""

import http.client
import re
import shutil
import subprocess

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port, path="/metrics", method="GET", host="127.0.0.1", timeout=5):
    """(status, Content-Type, body) of one request."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read().decode("utf-8")
    finally:
        conn.close()


def parse(text):
    """{(name, frozenset(labels.items())): float}; comment lines skipped, any other line that
    is not a sample fails."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        out[(m.group(1), frozenset(LABEL.findall(m.group(2) or "")))] = float(m.group(3))
    return out


def value(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in samples:
        raise AssertionError("no sample %s%r in the exposition" % (name, labels))
    return samples[key]


def promtool_check(test, text):
    """Fails test unless `promtool check metrics` exits 0 and prints nothing."""
    promtool = shutil.which("promtool")
    if not promtool:
        test.fail("promtool not found: install the Debian package prometheus")
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    test.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""),
                     "promtool check metrics:\n%s%s" % (p.stdout, p.stderr))
