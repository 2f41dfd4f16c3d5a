// Injected at the end of a TEST COPY of plan.html: measures the laid-out page and writes its
// verdict as JSON into <pre id="verdict">, which `chromium --dump-dom` returns.
(() => {
  const SLACK = 0.5; // sub-pixel rounding
  const LIMIT = 20; // examples kept per kind of fault
  const details = document.querySelectorAll("details");
  for (const d of details) d.open = true; // collapsed phases are measured too
  const viewport = document.documentElement.clientWidth;

  const style = (el) => getComputedStyle(el);
  const scrolls = (el) => ["auto", "scroll"].includes(style(el).overflowX);
  const clips = (el) => ["hidden", "clip"].includes(style(el).overflowX);
  const name = (el) => {
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls;
  };
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body; e = e.parentElement) parts.unshift(name(e));
    return parts.join(" > ");
  };
  const inScroller = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (scrolls(e)) return true;
    }
    return false;
  };
  const round = (n) => Math.round(n * 10) / 10;

  // (a) Nothing outside a horizontal scroll container reaches past the viewport.
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.tagName === "SCRIPT") continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (inScroller(el)) continue; // its container is measured instead
    if (r.left < -SLACK || r.right > viewport + SLACK) {
      wide.push({ element: where(el), left: round(r.left), right: round(r.right) });
    }
  }

  // (b) Every table cell can be seen: not zero-sized, not clipped by an `overflow: hidden`
  // ancestor, inside the viewport or reachable by scrolling its container; its content fits it.
  const hidden = [];
  const overflowing = [];
  const brokenHeaders = [];
  let cells = 0;
  for (const cell of document.querySelectorAll("th, td")) {
    cells += 1;
    const r = cell.getBoundingClientRect();
    const label = where(cell) + " " + JSON.stringify(cell.textContent.trim().slice(0, 40));
    if (r.width <= 0 || r.height <= 0) {
      hidden.push({ cell: label, why: "zero size" });
      continue;
    }
    let box = { left: r.left, right: r.right };
    let why = "";
    for (let a = cell.parentElement; a && !why; a = a.parentElement) {
      if (a === document.documentElement) break;
      if (!clips(a) && !scrolls(a)) continue;
      const ar = a.getBoundingClientRect();
      const inner = ar.left + a.clientLeft;
      if (clips(a) && (box.left < inner - SLACK || box.right > inner + a.clientWidth + SLACK)) {
        why = "clipped by " + where(a);
      } else if (scrolls(a)) {
        const start = inner - a.scrollLeft;
        if (box.left < start - SLACK || box.right > start + a.scrollWidth + SLACK) {
          why = "out of reach of " + where(a);
        }
        box = { left: inner, right: inner + a.clientWidth }; // what the container shows
      }
    }
    if (!why && (box.left < -SLACK || box.right > viewport + SLACK)) why = "outside the viewport";
    if (why) hidden.push({ cell: label, why });

    const range = document.createRange();
    range.selectNodeContents(cell);
    const c = range.getBoundingClientRect();
    if (c.width > 0 && (c.left < r.left - SLACK || c.right > r.right + SLACK)) {
      overflowing.push({ cell: label, cell_right: round(r.right), content_right: round(c.right) });
    }
    if (cell.tagName === "TH") {
      const words = cell.textContent.trim().split(/\s+/).filter(Boolean).length;
      const lines = new Set([...range.getClientRects()].map((q) => Math.round(q.top))).size;
      if (lines > words) brokenHeaders.push({ cell: label, words, lines });
    }
  }

  const verdict = {
    viewport,
    page_width: document.documentElement.scrollWidth,
    details: details.length,
    tables: document.querySelectorAll("table").length,
    cells,
    wide_count: wide.length,
    wide: wide.slice(0, LIMIT),
    hidden_count: hidden.length,
    hidden: hidden.slice(0, LIMIT),
    overflowing_count: overflowing.length,
    overflowing: overflowing.slice(0, LIMIT),
    broken_headers: brokenHeaders.slice(0, LIMIT),
  };
  const out = document.createElement("pre");
  out.id = "verdict";
  out.textContent = JSON.stringify(verdict);
  document.body.appendChild(out);
})();
