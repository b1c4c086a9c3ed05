// Injected by test_html.py into a copy of the report (the report itself has no script):
// measures the laid-out page and writes what it found, as JSON, into the element #layout-result.
(function () {
  "use strict";
  function rect(el) { var r = el.getBoundingClientRect(); return {l: r.left, t: r.top + scrollY, r: r.right, b: r.bottom + scrollY, w: r.width, h: r.height}; }
  function inside(a, b, tol) { return a.l >= b.l - tol && a.r <= b.r + tol && a.t >= b.t - tol && a.b <= b.b + tol; }
  function meet(a, b, tol) { return a.l < b.r - tol && b.l < a.r - tol && a.t < b.b - tol && b.t < a.b - tol; }
  function name(el) {
    var s = el.tagName.toLowerCase(), t = (el.textContent || "").trim().replace(/\s+/g, " ");
    return s + (el.className && el.className.baseVal === undefined ? "." + el.className : "") + " \"" + t.slice(0, 60) + "\"";
  }
  function headingOf(sec) { var h = sec && sec.querySelector("h2"); return h ? h.textContent.trim() : ""; }

  function overflow() {
    var bad = [], all = document.querySelectorAll("main *");
    if (document.documentElement.scrollWidth > innerWidth + 1)
      bad.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + innerWidth);
    for (var i = 0; i < all.length; i++) {
      var el = all[i], cs = getComputedStyle(el);
      if (el.closest("svg") || cs.display === "inline" || cs.display === "none" || el.tagName === "PRE" || el.classList.contains("vh"))
        continue;
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
        bad.push(name(el) + ": content " + el.scrollWidth + " px in a box of " + el.clientWidth + " px");
    }
    var texts = document.querySelectorAll("svg text");
    for (var j = 0; j < texts.length; j++) {
      var t = texts[j], box = rect(t.ownerSVGElement), tr = rect(t);
      if (!inside(tr, box, 1))
        bad.push("chart \"" + t.ownerSVGElement.querySelector("title").textContent + "\": text \"" + t.textContent + "\" outside the chart");
      var sib = t.ownerSVGElement.querySelectorAll("text");
      for (var k = 0; k < sib.length; k++) {
        if (sib[k] === t || !(t.compareDocumentPosition(sib[k]) & Node.DOCUMENT_POSITION_FOLLOWING))
          continue;
        if (meet(tr, rect(sib[k]), 1))
          bad.push("chart \"" + t.ownerSVGElement.querySelector("title").textContent + "\": \"" + t.textContent + "\" overlaps \"" + sib[k].textContent + "\"");
      }
    }
    return bad;
  }

  function charts() {
    var out = [], figs = document.querySelectorAll("figure");
    for (var i = 0; i < figs.length; i++) {
      var f = figs[i], sec = f.closest("section"), title = f.querySelector("svg title");
      out.push({chart: title ? title.textContent : "", section: headingOf(sec),
                inside: !!sec && inside(rect(f), rect(sec), 1), top: rect(f).t, bottom: rect(f).b});
    }
    return out;
  }

  // A character no font on the machine has draws the fallback box; a character compared
  // pixel for pixel with that box, in the font the page uses, is one drawn as a box too.
  function missingGlyphs() {
    var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d");
    canvas.width = 48; canvas.height = 48;
    var font = "32px " + getComputedStyle(document.body).fontFamily;
    function pixels(ch) {
      ctx.clearRect(0, 0, 48, 48); ctx.font = font; ctx.fillStyle = "#000"; ctx.textBaseline = "middle";
      ctx.fillText(ch, 4, 24);
      return Array.prototype.join.call(ctx.getImageData(0, 0, 48, 48).data, ",");
    }
    var box = pixels("\uE000"), box2 = pixels("\u{10FFFD}"), seen = {}, bad = [], checked = 0;
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
    while ((n = walker.nextNode())) {
      for (var ch of n.nodeValue) {
        var cp = ch.codePointAt(0);
        if (cp < 0x80 || cp === 0xFE0F || seen[ch]) continue;
        seen[ch] = true; checked++;
        if (pixels(ch) === box) bad.push("U+" + cp.toString(16).toUpperCase() + " " + ch);
      }
    }
    return {missing: bad, checked: checked, reference_box_is_stable: box === box2,
            reference_box_has_ink: /[1-9]/.test(box)};
  }

  function firstScreen() {
    var verdict = null, ps = document.querySelectorAll("section.summary p");
    for (var i = 0; i < ps.length; i++)
      if (/Recommendation/.test(ps[i].textContent)) { verdict = rect(ps[i]); break; }
    return {height: innerHeight, verdict_bottom: verdict ? verdict.b : null};
  }

  function collapsed() {
    var out = [], one = document.querySelectorAll(".one");
    for (var i = 0; i < one.length; i++) {
      var h = one[i].querySelector("h2,h3");
      out.push({heading: h ? h.textContent.trim() : "", height: rect(one[i]).h});
    }
    return out;
  }

  function run() {
    var result;
    try {
      result = {overflow: overflow(), charts: charts(), glyphs: missingGlyphs(), first: firstScreen(),
                collapsed: collapsed(),
                dark: matchMedia("(prefers-color-scheme: dark)").matches,
                background: getComputedStyle(document.body).backgroundColor,
                sections: Array.prototype.map.call(document.querySelectorAll("section"), headingOf)};
    } catch (e) {
      result = {error: String(e && e.stack || e)};
    }
    var pre = document.createElement("pre");
    pre.id = "layout-result";
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  }
  window.addEventListener("load", function () { document.fonts.ready.then(run); });
})();
