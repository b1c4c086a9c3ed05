"""The HTML report on a real run directory (tars/report_html.h): `tars load --run` against
`tars serve --demo`, `tars validate suites/local.yaml --run`, `tars compare --run`, then the
test-only driver renders Markdown + run.json. Checks: the page parses as XML, every <svg> is
well-formed with its namespace, nothing external or scripted, each chart is present or replaced
by a note, and a headless Chromium screenshot is produced and is not blank.

Exit code 77 (CTest SKIP_RETURN_CODE) only when /usr/bin/chromium is absent and every other
check passed; a Chromium that is present but fails is a failure.
"""

import html as htmllib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "compare"))

from cmplib import ROOT, TempDir, load, start_demo_server, tars  # noqa: E402
from loadlib import closed_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
FIRST_SCREEN = (1280, 900)
# where the first-screen screenshots are kept (CMake passes the test's build directory)
ARTIFACTS = os.environ.get("TARS_HTML_ARTIFACTS", "")
DRIVER = os.environ.get("TARS_HTML_DRIVER", "")
XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"

MARKDOWN = """# Release report <v1.0.1> & friends

| check | result |
|---|---|
| health | pass |
| ~~legacy~~ | removed |

Details at https://example.com/runs?a=1&b=2 and a raw tag <script>alert(1)</script> that must go.

Control character: \x01 end.
"""

chromium_missing = False


def build_run_dir(tmp):
    """A run directory with loads, checks and a comparison, measured for real."""
    run = tmp.join("run")
    server = start_demo_server()
    try:
        url = "http://127.0.0.1:%d" % server.port
        load(url + "/health", run_dir=run)
        load(url + "/ready", run_dir=run)
        r = tars("validate", os.path.join(ROOT, "suites", "local.yaml"), "--run", run,
                 "--var", "API_URL=" + url,
                 "--var", "PROMETHEUS_URL=http://127.0.0.1:%d" % closed_port(), timeout=90)
        if r.rc not in (0, 1, 2):
            raise AssertionError("tars validate\n" + r.describe())
        r = tars("compare", run, run, "--run", run, "-q")
        if r.rc != 0:
            raise AssertionError("tars compare\n" + r.describe())
    finally:
        server.stop()
    return run


def render(tmp, run_json, name):
    md = tmp.write("report.md", MARKDOWN)
    out = tmp.join(name)
    p = subprocess.run([DRIVER, md, run_json, out, "Report <T&T>"], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("driver exit %d: %s" % (p.returncode, p.stderr))
    with open(out, "rb") as f:
        return out, f.read()


# ---------------------------------------------------------------- PNG, decoded with zlib

def png_pixels(path):
    """(width, height, rows of RGB(A) tuples' bytes) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("%s is not a PNG" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = ihdr
    if depth != 8 or color not in (2, 6) or interlace:
        raise AssertionError("unexpected PNG layout %r" % (ihdr,))
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not DRIVER or not os.access(DRIVER, os.X_OK):
            raise AssertionError("TARS_HTML_DRIVER %r is not an executable" % DRIVER)
        cls.tmp = TempDir("tars-html-it-")
        cls.run_dir = build_run_dir(cls.tmp)
        cls.path, cls.html = render(cls.tmp, os.path.join(cls.run_dir, "run.json"), "report.html")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    def test_parses_as_xml_with_every_svg_well_formed(self):
        root = ET.fromstring(self.html)
        self.assertEqual(root.tag, XHTML + "html")
        self.assertEqual(root.find(XHTML + "head/" + XHTML + "title").text, "Report <T&T>")
        svgs = root.findall(".//" + SVG + "svg")
        titles = [s.find(SVG + "title").text for s in svgs]
        self.assertEqual(len(titles), 5, titles)
        self.assertEqual(titles[0], "Latency by percentile")
        for t, path in zip(titles[1:3], ("/health", "/ready")):
            self.assertTrue(t.startswith("Throughput and errors: http://127.0.0.1:"), titles)
            self.assertTrue(t.endswith(path), titles)
        self.assertEqual(titles[3:], ["Check results by category", "Baseline vs current"])
        for s in svgs:
            text = ET.tostring(s)
            ET.fromstring(text)  # each on its own, too
            self.assertTrue(s.get("viewBox"))
            self.assertLess(len(text), 64 * 1024)
        # the latency chart's percentile axis
        labels = [t.text for t in svgs[0].iter(SVG + "text")]
        for tick in ("0%", "90%", "99%", "99.9%", "99.99%"):
            self.assertIn(tick, labels)
        # one curve per endpoint, named after its load when there are several
        self.assertEqual(len(svgs[0].findall(SVG + "path")), 2)
        self.assertTrue(any(t.endswith("/health: GET /health") for t in labels), labels)
        self.assertTrue(any(t.endswith("/ready: GET /ready") for t in labels), labels)
        # check categories of suites/local.yaml
        rows = [t.text for t in svgs[3].iter(SVG + "text")]
        self.assertIn("api", rows)

    def test_markdown_extensions_and_escaping(self):
        root = ET.fromstring(self.html)
        body = root.find(XHTML + "body")
        self.assertIsNotNone(body.find(".//" + XHTML + "table"))
        self.assertIsNotNone(body.find(".//" + XHTML + "del"))
        links = [a.get("href") for a in body.iter(XHTML + "a")]
        self.assertIn("https://example.com/runs?a=1&b=2", links)
        h1 = body.find(".//" + XHTML + "h1")
        self.assertEqual("".join(h1.itertext()), "Release report <v1.0.1> & friends")

    def test_self_contained_no_scripts(self):
        low = self.html.lower()
        for bad in (b"<script", b"<link", b"<iframe", b"url(", b"@import", b"src=\"http",
                    b"javascript:"):
            self.assertNotIn(bad, low)
        self.assertIn(b"@media print", self.html)
        self.assertNotIn(b"\x01", self.html)

    def test_deterministic(self):
        _, again = render(self.tmp, os.path.join(self.run_dir, "run.json"), "again.html")
        self.assertEqual(again, self.html)

    def test_no_data_gives_notes_not_empty_charts(self):
        empty = self.tmp.write("empty.json", '{"format": "tars-run/1"}')
        _, html = render(self.tmp, empty, "empty.html")
        root = ET.fromstring(html)
        self.assertEqual(root.findall(".//" + SVG + "svg"), [])
        notes = [p.text for p in root.iter(XHTML + "p") if p.get("class") == "note"]
        self.assertEqual(len(notes), 4, notes)
        self.assertEqual(root.findall(".//" + XHTML + "figure"), [])

    def test_chromium_screenshot_is_not_blank(self):
        global chromium_missing
        if not os.access(CHROMIUM, os.X_OK):
            chromium_missing = True
            self.skipTest("%s is not installed (scripts/deps.sh build installs it)" % CHROMIUM)
        shot = self.tmp.join("shot.png")
        home = self.tmp.join("chromium-home")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, HOME=home)
        argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=" + home, "--screenshot=" + shot, "--window-size=1200,2000",
                "file://" + self.path]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=90, env=env)
        self.assertTrue(os.path.exists(shot), "no screenshot: exit %d\n%s"
                        % (p.returncode, p.stderr[-3000:]))
        width, height, bpp, rows = png_pixels(shot)
        self.assertEqual((width, height), (1200, 2000))
        colors, ink = set(), 0
        for row in rows[::4]:
            for x in range(0, width * bpp, bpp * 4):
                px = row[x:x + 3]
                colors.add(px)
                if px != b"\xff\xff\xff":
                    ink += 1
        sampled = (height // 4) * (width // 4)
        self.assertGreater(len(colors), 30, "too few colours: a blank page?")
        self.assertGreater(ink / sampled, 0.02, "almost all white: a blank page?")


def chromium(tmp, args, timeout=120):
    """Runs headless Chromium with a fresh profile; returns its stdout."""
    home = tempfile_dir(tmp, "chromium-home")
    argv = [CHROMIUM] + CHROMIUM_FLAGS + ["--user-data-dir=" + home] + args
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, HOME=home))
    if p.returncode != 0:
        raise AssertionError("chromium exit %d\n%s" % (p.returncode, p.stderr[-3000:]))
    return p.stdout


def tempfile_dir(tmp, prefix):
    n = 0
    while os.path.exists(tmp.join("%s-%d" % (prefix, n))):
        n += 1
    path = tmp.join("%s-%d" % (prefix, n))
    os.makedirs(path)
    return path


def assert_not_blank(case, shot, size):
    width, height, bpp, rows = png_pixels(shot)
    case.assertEqual((width, height), size)
    colors, ink, white = set(), 0, rows[0][0:3]
    for row in rows[::4]:
        for x in range(0, width * bpp, bpp * 4):
            px = row[x:x + 3]
            colors.add(px)
            if px != white:
                ink += 1
    case.assertGreater(len(colors), 30, "too few colours: a blank page?")
    case.assertGreater(ink / ((height // 4) * (width // 4)), 0.02, "almost one colour: a blank page?")


class ReportLayout(unittest.TestCase):
    """The report `tars report --html` writes from the run directory (the shipped template,
    as `make demo` renders it), laid out by headless Chromium and measured by a script in the
    page (layout_check.js, injected into a copy: the report itself has no script)."""

    @classmethod
    def setUpClass(cls):
        global chromium_missing
        if not os.access(CHROMIUM, os.X_OK):
            chromium_missing = True
            raise unittest.SkipTest("%s is not installed (scripts/deps.sh build installs it)" % CHROMIUM)
        cls.tmp = TempDir("tars-html-layout-")
        cls.run_dir = build_run_dir(cls.tmp)
        cls.path = cls.tmp.join("report.html")
        r = tars("report", cls.run_dir, "-o", cls.tmp.join("report.md"), "--html", cls.path)
        if r.rc != 0:
            raise AssertionError("tars report\n" + r.describe())
        with open(cls.path, encoding="utf-8") as f:
            cls.html = f.read()
        cls.light = cls.probe([])
        cls.dark = cls.probe(["--force-dark-mode"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.close()

    @classmethod
    def probe(cls, extra):
        with open(os.path.join(HERE, "layout_check.js"), encoding="utf-8") as f:
            script = f.read()
        self_path = tempfile_dir(cls.tmp, "probe")
        probe = os.path.join(self_path, "probe.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(cls.html.replace("</body>", "<script>" + script + "</script></body>"))
        dom = chromium(cls.tmp, extra + ["--window-size=%d,%d" % FIRST_SCREEN,
                                         "--virtual-time-budget=20000", "--dump-dom",
                                         "file://" + probe])
        found = re.findall(r'<pre id="layout-result">(.*?)</pre>', dom, re.S)
        if len(found) != 1:
            raise AssertionError("the layout script wrote no result:\n" + dom[-2000:])
        result = json.loads(htmllib.unescape(found[0]))
        if "error" in result:
            raise AssertionError("the layout script failed: " + result["error"])
        return result

    def test_no_text_overflows_its_box(self):
        self.assertEqual(self.light["overflow"], [])
        self.assertEqual(self.dark["overflow"], [])

    def test_no_glyph_falls_back_to_a_missing_font_box(self):
        g = self.light["glyphs"]
        # the reference (a character no font has) must itself be a drawn, stable box
        self.assertTrue(g["reference_box_has_ink"] and g["reference_box_is_stable"], g)
        self.assertGreater(g["checked"], 0, "no non-ASCII character checked")
        self.assertEqual(g["missing"], [])
        for emoji in ("\u2705", "\u274c", "\u26a0", "\u23ed"):
            self.assertNotIn(emoji, self.html, "a verdict left to an emoji font")
        self.assertIn('class="badge badge-pass"', self.html)

    def test_every_chart_is_inside_its_section(self):
        charts = self.light["charts"]
        homes = {"Latency by percentile": "Performance", "Throughput and errors": "Performance",
                 "Check results by category": "suite", "Baseline vs current": "baseline"}
        placed = set()
        for c in charts:
            self.assertTrue(c["inside"], c)
            if c["section"] == "Executive summary":
                continue
            home = [v for k, v in homes.items() if c["chart"].startswith(k)]
            self.assertEqual(len(home), 1, c)
            self.assertIn(home[0], c["section"], c)
            placed.add(next(k for k in homes if c["chart"].startswith(k)))
        self.assertEqual(placed, set(homes), charts)
        self.assertNotIn("Charts", self.light["sections"], "charts left over after the sections")

    def test_summary_verdict_and_charts_on_the_first_screen(self):
        first = self.light["first"]
        self.assertEqual(self.light["sections"][0], "Executive summary")
        self.assertIsNotNone(first["verdict_bottom"], "no Recommendation line in the summary")
        self.assertLess(first["verdict_bottom"], first["height"])
        glance = [c for c in self.light["charts"] if c["section"] == "Executive summary"]
        self.assertTrue(glance, "no chart in the executive summary")
        self.assertTrue(any(c["bottom"] <= first["height"] for c in glance),
                        "no summary chart wholly on the first screen: %r" % glance)

    def test_one_paragraph_sections_are_one_line(self):
        rows = {c["heading"]: c["height"] for c in self.light["collapsed"]}
        canary = [h for h in rows if h.endswith("Canary")]
        self.assertEqual(len(canary), 1, rows)  # the run has no canary analysis: n/a
        for heading, height in rows.items():
            self.assertLess(height, 64, "%s takes %.0f px" % (heading, height))

    def test_dark_mode_follows_the_system(self):
        self.assertFalse(self.light["dark"])
        self.assertEqual(self.light["background"], "rgb(255, 255, 255)")
        self.assertTrue(self.dark["dark"])
        self.assertNotEqual(self.dark["background"], self.light["background"])

    def test_first_screen_screenshots(self):
        for name, extra in (("first-screen.png", []), ("first-screen-dark.png", ["--force-dark-mode"])):
            shot = self.tmp.join(name)
            chromium(self.tmp, extra + ["--window-size=%d,%d" % FIRST_SCREEN, "--screenshot=" + shot,
                                        "file://" + self.path])
            assert_not_blank(self, shot, FIRST_SCREEN)
            if ARTIFACTS:
                os.makedirs(ARTIFACTS, exist_ok=True)
                shutil.copy(shot, os.path.join(ARTIFACTS, name))
                print("first screen: %s" % os.path.join(ARTIFACTS, name), file=sys.stderr)

    def test_self_contained_and_printable(self):
        for bad in ("<script", "<link", "<iframe", "url(", "@import", 'src="http', "javascript:"):
            self.assertNotIn(bad, self.html.lower())
        pdf = self.tmp.join("report.pdf")
        chromium(self.tmp, ["--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + self.path])
        with open(pdf, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF-"), data[:16])
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
        # every full section starts on a page of its own (@media print), after the first page
        sections = self.html.count('<section class="sec"')
        self.assertGreater(sections, 5)
        self.assertGreaterEqual(pages, sections + 1)


if __name__ == "__main__":
    prog = unittest.main(exit=False)
    ok = prog.result.wasSuccessful()
    if ok and chromium_missing:
        sys.exit(77)
    sys.exit(0 if ok else 1)
