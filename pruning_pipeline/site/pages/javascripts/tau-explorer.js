/* Threshold explorer: a τ slider over the post-training sweep of static/explorer.json.
 *
 * Fills every <div class="tau-explorer" data-src="…" data-mode="full|compact" hidden>.
 * Without JavaScript (or when the JSON cannot be loaded) the element stays hidden and
 * the following .tau-explorer-fallback (static figure and table) stays visible.
 * Plain DOM + inline SVG, no libraries, no requests except data-src (same origin).
 */
(function () {
  "use strict";

  var requests = new Map(); // one fetch per JSON URL, shared across instant navigations
  var uid = 0;

  // ---- formatting -------------------------------------------------------------------
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
  // Every number shown in words (τ, accuracy, drop, sparsity, zeros: mean ± sd over the
  // seeds) comes written in d.labels by the site's own formatter; this file only draws.
  function column(rows, i) { return rows ? rows.map(function (row) { return row[i]; }) : null; }
  function short(n) { // tick labels: 1.2k, 15k, 1M
    if (n >= 1e6) return Number((n / 1e6).toPrecision(3)) + "M";
    if (n >= 1e3) return Number((n / 1e3).toPrecision(3)) + "k";
    return String(Number(n.toPrecision(3)));
  }
  function niceStep(range, n) {
    var raw = range / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  }
  function nearest(taus, t) { // index of the τ closest to t (first on ties)
    var best = 0;
    for (var i = 1; i < taus.length; i++) if (Math.abs(taus[i] - t) < Math.abs(taus[best] - t)) best = i;
    return best;
  }
  // τ for the URL: 4 significant digits, more only if 4 would reopen a neighbouring index.
  function tauParam(taus, i) {
    for (var p = 4; p < 17; p++) {
      var v = Number(taus[i].toPrecision(p));
      if (nearest(taus, v) === i) return v;
    }
    return taus[i];
  }

  // ---- SVG snippets ------------------------------------------------------------------
  function r1(v) { return Math.round(v * 10) / 10; }
  function attrs(o) {
    return Object.keys(o).map(function (k) { return " " + k + '="' + esc(o[k]) + '"'; }).join("");
  }
  function el(tag, o, text) {
    return "<" + tag + attrs(o) + (text === undefined ? "/>" : ">" + esc(text) + "</" + tag + ">");
  }
  function svgSize(svg, w, h) {
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("width", "100%");
  }

  // ---- the widget --------------------------------------------------------------------
  function check(d) {
    var n = d.taus.length;
    if (!n || d.taus[0] !== 0 || d.accuracy.length !== n) throw new Error("bad taus/accuracy");
    [d.configured_index, d.knee_index].forEach(function (i) {
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error("bad configured/knee index");
    });
    d.layers.forEach(function (l) {
      if (d.sparsity[l.key].length !== n || d.zeros[l.key].length !== n || d.counts[l.key].length !== n ||
          d.edges[l.key].length !== d.counts[l.key][0].length + 1) throw new Error("bad arrays for " + l.key);
    });
  }

  var MAX_LAYER_READOUTS = 4;  // layers (global included) that each get a sparsity readout

  function template(st) {
    var d = st.d, n = d.taus.length, id = "tau-explorer-" + ++uid;
    var layers = d.layers.map(function (l) {
      return el("option", { value: l.key }, l.title);
    }).join("");
    var readouts = [["tau", "τ"], ["accuracy", "accuracy"], ["drop", "drop vs. unpruned"]];
    if (st.full) readouts.push(["zeros", "exact zeros"]);
    if (d.layers.length > MAX_LAYER_READOUTS) {  // many layers: the selected one and all together
      readouts.push(["sparsity-selected", "sparsity of the selected layer"]);
      readouts.push(["sparsity-" + st.globalKey, "sparsity " + st.layers[st.globalKey].title]);
    } else {
      d.layers.forEach(function (l) {
        if (st.full || l.key === st.layer) readouts.push(["sparsity-" + l.key, "sparsity " + l.title]);
      });
    }
    var swatch = function (cls, text) {
      return '<span class="tau-explorer__key"><span class="tau-explorer__swatch tau-explorer__swatch--' + cls +
        '" aria-hidden="true"></span>' + esc(text) + "</span>";
    };
    return '<div class="tau-explorer__controls">' +
      '<div class="tau-explorer__field tau-explorer__field--tau">' +
      '<label class="tau-explorer__label" for="' + id + '-tau">Threshold τ <span class="tau-explorer__hint">' +
      "(every |w| &lt; τ becomes 0)</span></label>" +
      '<input id="' + id + '-tau" type="range" class="tau-explorer__slider" min="0" max="' + (n - 1) +
      '" step="1" aria-label="Pruning threshold τ">' +
      '<div class="tau-explorer__jumps">Jump to ' +
      '<button type="button" class="tau-explorer__jump" data-index="' + d.configured_index + '">τ_post</button>' +
      '<button type="button" class="tau-explorer__jump" data-index="' + d.knee_index + '">knee</button>' +
      '<button type="button" class="tau-explorer__jump" data-index="0">τ = 0</button></div></div>' +
      (st.full ? '<div class="tau-explorer__field"><label class="tau-explorer__label" for="' + id +
        '-layer">Layer</label><select id="' + id + '-layer" class="tau-explorer__layer">' + layers +
        "</select></div>" : "") +
      '<label class="tau-explorer__check"><input type="checkbox" class="tau-explorer__log"> log y</label></div>' +
      '<div class="tau-explorer__readouts">' + readouts.map(function (r) {
        return '<div class="tau-explorer__readout"><span class="tau-explorer__name" data-name="' + r[0] + '">' +
          esc(r[1]) + '</span><span class="tau-explorer__value" data-readout="' + r[0] + '" data-value=""></span></div>';
      }).join("") + "</div>" +
      '<div class="tau-explorer__plots"><div class="tau-explorer__panel">' +
      '<div class="tau-explorer__title" data-title="histogram"></div>' +
      '<svg class="tau-explorer__histogram" role="img" xmlns="http://www.w3.org/2000/svg"></svg>' +
      '<div class="tau-explorer__legend">' + swatch("bar", "non-zero weights per bin") +
      swatch("zero", "exact zeros") + swatch("cut", "cut at ±τ (shaded: pruned)") + "</div></div>" +
      (st.full ? '<div class="tau-explorer__panel"><div class="tau-explorer__title">Accuracy against global sparsity' +
        " (click a point)</div>" +
        '<svg class="tau-explorer__curve" role="img" xmlns="http://www.w3.org/2000/svg"></svg>' +
        '<div class="tau-explorer__legend">' + swatch("current", "current τ") +
        swatch("knee", "knee: sparsest within 1 point") +
        swatch("configured", "τ_post: configured") +
        swatch("baseline", "unpruned " + d.labels.baseline) +
        (d.spread ? swatch("band", "lowest to highest of " + d.spread.seeds.length + " seeds") : "") +
        "</div></div>" : "") + "</div>";
  }

  function drawHistogram(st) {
    var d = st.d, key = st.layer, i = st.index, tau = d.taus[i], W = st.width;
    var H = Math.round(clamp(W * 0.42, 210, 300)), m = { l: 46, r: 14, t: 26, b: 36 };
    var edges = d.edges[key], counts = d.counts[key][i], zeros = d.zeros[key][i];
    var lo = edges[0], hi = edges[edges.length - 1], base = H - m.b, ph = base - m.t;
    var x = function (v) { return m.l + (v - lo) / (hi - lo) * (W - m.l - m.r); };
    // Keep only the parts of a bin with |w| ≥ τ: nothing is drawn strictly inside (−τ, τ).
    var bars = [];
    counts.forEach(function (c, j) {
      var a = edges[j], b = edges[j + 1];
      if (!c) return;
      if (tau > 0 && a < tau && b > -tau) {
        if (a < -tau) bars.push({ j: j, c: c, a: a, b: -tau });
        if (b > tau) bars.push({ j: j, c: c, a: tau, b: b });
      } else bars.push({ j: j, c: c, a: a, b: b });
    });
    var top = bars.reduce(function (s, b) { return Math.max(s, b.c); }, 0);
    var y, ticks = [];
    if (st.log) { // log10 with count 1 still visible; the zero bar fits too
      var decades = Math.max(1, Math.ceil(Math.log10(Math.max(top, zeros, 1))));
      y = function (c) { return c <= 0 ? 0 : (Math.log10(c) + 0.3) / (decades + 0.3) * ph; };
      for (var k = 0; k <= decades; k++) ticks.push(Math.pow(10, k));
    } else { // linear, scaled to the non-zero bars: the zero bar may be clipped (count written on it)
      var step = Math.max(1, niceStep(top || zeros || 1, ph < 180 ? 3 : 4)), ymax = Math.ceil((top || zeros || 1) / step) * step;
      y = function (c) { return c / ymax * ph; };
      for (var v = 0; v <= ymax + step / 2; v += step) ticks.push(Math.round(v));
    }
    var out = [];
    ticks.forEach(function (t) {
      var ty = r1(base - y(t));
      out.push(el("line", { class: "grid", x1: m.l, x2: W - m.r, y1: ty, y2: ty }),
        el("text", { class: "tick", x: m.l - 6, y: ty + 4, "text-anchor": "end" }, short(t)));
    });
    var xs = niceStep(hi - lo, W < 480 ? 4 : 8);
    for (var k = Math.ceil(lo / xs); k * xs <= hi; k++) { // integer multiples: no 5.55e-17 labels
      var label = Number((k * xs).toPrecision(6)), tx = r1(x(label));
      out.push(el("line", { class: "axis", x1: tx, x2: tx, y1: base, y2: base + 4 }),
        el("text", { class: "tick", x: tx, y: base + 17, "text-anchor": "middle" }, label));
    }
    out.push(el("text", { class: "axis-label", x: W - m.r, y: H - 4, "text-anchor": "end" }, "weight w"),
      el("text", { class: "axis-label", x: 4, y: 12 }, st.log ? "count (log)" : "count"));
    if (tau > 0) {
      var za = x(Math.max(-tau, lo)), zb = x(Math.min(tau, hi));
      out.push(el("rect", { class: "dead-zone", x: r1(za), y: m.t, width: r1(zb - za), height: ph }));
    }
    bars.forEach(function (b) {
      var x0 = x(b.a), x1 = x(b.b);
      if (x1 - x0 < 1) { if (b.a >= 0) x1 = x0 + 1; else x0 = x1 - 1; } // ≥ 1 px, grown away from the cut
      var h = Math.max(1, Math.min(ph, y(b.c)));
      out.push(el("rect", { class: "bar", x: r1(x0), y: r1(base - h), width: r1(x1 - x0), height: r1(h),
        "data-count": b.c, "data-bin": b.j, "data-left": b.a, "data-right": b.b }));
    });
    // Exact zeros: their own bar at w = 0, clipped at the top of the plot with its count written.
    var zh = y(zeros), clipped = zh > ph, zx = x(0), zw = 8;
    zh = Math.min(zh, ph);
    out.push(el("rect", { class: "zero-bar", x: r1(zx - zw / 2), y: r1(base - zh), width: zw, height: r1(zh),
      "data-count": zeros }));
    if (clipped) out.push(el("rect", { class: "zero-break", x: r1(zx - zw / 2 - 2), y: m.t + 6, width: zw + 4, height: 3 }));
    if (zeros > 0) out.push(el("text", { class: "zero-label", x: r1(zx), y: r1(clipped ? m.t - 6 : base - zh - 6),
      "text-anchor": "middle" }, d.labels.zeros[key][i] + " zeros"));
    [-1, 1].forEach(function (s) {
      var cx = r1(x(clamp(s * tau, lo, hi)));
      out.push(el("line", { class: "cut", x1: cx, x2: cx, y1: m.t, y2: base, "data-value": s * tau,
        visibility: tau > 0 ? "visible" : "hidden" }));
    });
    if (tau > 0) { // one label, right of +τ or else left of −τ, or centred once τ is off the axis
      var right = x(tau) + 4, left = x(-tau) - 4, off = tau >= hi, fits = right < W - m.r - 70;
      out.push(el("text", { class: "cut-label", x: r1(off ? (m.l + W - m.r) / 2 : fits ? right : left),
        y: off ? m.t + 30 : m.t + 12, "text-anchor": off ? "middle" : fits ? "start" : "end" },
        off ? "all |w| < τ = " + d.labels.tau[i] : "±τ"));
    }
    out.push(el("line", { class: "axis", x1: m.l, x2: W - m.r, y1: base, y2: base }));
    svgSize(st.hist, W, H);
    st.hist.innerHTML = out.join("");
    var layer = st.layers[key];
    st.hist.setAttribute("aria-label", "Histogram of " + layer.title + " at τ = " + d.labels.tau[i] + ": " +
      d.labels.zeros[key][i] + " exact zeros, " + d.labels.kept[key][i] + " non-zero weights, none with |w| < τ.");
    st.histTitle.textContent = layer.title + " · " + d.labels.weights[key] + " weights at τ = " + d.labels.tau[i] +
      (d.spread ? " · seed " + d.spread.seeds[0] : "");
  }

  function drawCurve(st) {
    var d = st.d, W = st.width, H = Math.round(clamp(W * 0.45, 210, 300)), m = { l: 46, r: 16, t: 26, b: 36 };
    var sp = d.sparsity[st.globalKey], acc = d.accuracy, base = H - m.b;
    var lowAcc = Math.min.apply(null, d.spread ? [].concat.apply([], d.spread.accuracy) : acc), yLo = lowAcc < 0.5 ? 0 : Math.floor(lowAcc * 10) / 10;
    var X = function (s) { return m.l + s * (W - m.l - m.r); };
    var Y = function (a) { return base - (a - yLo) / (1 - yLo) * (base - m.t); };
    var out = [], xstep = W < 480 ? 0.25 : 0.1, ystep = niceStep(1 - yLo, 4);
    for (var s = 0; s <= 1.0001; s += xstep) out.push(
      el("line", { class: "grid", x1: r1(X(s)), x2: r1(X(s)), y1: m.t, y2: base }),
      el("text", { class: "tick", x: r1(X(s)), y: base + 17, "text-anchor": "middle" }, Math.round(s * 100) + "%"));
    for (var a = yLo; a <= 1.0001; a += ystep) out.push(
      el("line", { class: "grid", x1: m.l, x2: W - m.r, y1: r1(Y(a)), y2: r1(Y(a)) }),
      el("text", { class: "tick", x: m.l - 6, y: r1(Y(a)) + 4, "text-anchor": "end" }, Math.round(a * 100) + "%"));
    var by = r1(Y(d.baseline_accuracy));
    out.push(el("line", { class: "baseline", x1: m.l, x2: W - m.r, y1: by, y2: by }),
      el("text", { class: "axis-label", x: W - m.r, y: H - 4, "text-anchor": "end" }, "global sparsity"),
      el("text", { class: "axis-label", x: 4, y: 12 }, "accuracy"),
      el("polyline", { class: "line", points: acc.map(function (v, i) { return r1(X(sp[i])) + "," + r1(Y(v)); }).join(" ") }));
    if (d.spread) { // the seeds' lowest to highest accuracy at each τ, at the mean sparsity
      var ends = acc.map(function (v, i) { var c = column(d.spread.accuracy, i); return [Math.min.apply(null, c), Math.max.apply(null, c)]; });
      var edge = function (k) { return function (e, i) { return r1(X(sp[i])) + "," + r1(Y(e[k])); }; };
      out.splice(out.length - 1, 0, el("polygon", { class: "band", points: ends.map(edge(1)).concat(ends.map(edge(0)).reverse()).join(" ") }));
    }
    st.pts = acc.map(function (v, i) { return [X(sp[i]), Y(v)]; });
    st.pts.forEach(function (p, i) { out.push(el("circle", { class: "point", cx: r1(p[0]), cy: r1(p[1]), r: 2, "data-index": i })); });
    // Knee label above the point, τ_post below, both to the left: they sit near 100% sparsity.
    [["knee", d.knee_index, "knee", -11], ["configured", d.configured_index, "τ_post", 19]].forEach(function (k) {
      var p = st.pts[k[1]], left = p[0] > W / 2;
      out.push(el("circle", { class: k[0], cx: r1(p[0]), cy: r1(p[1]), r: 7.5, "data-index": k[1] }),
        el("text", { class: "marker-label " + k[0] + "-label", x: r1(p[0] + (left ? -8 : 8)), y: r1(p[1] + k[3]),
          "text-anchor": left ? "end" : "start" }, k[2]));
    });
    var c = st.pts[st.index];
    out.push(el("circle", { class: "current", cx: r1(c[0]), cy: r1(c[1]), r: 5, "data-index": st.index }),
      el("line", { class: "axis", x1: m.l, x2: W - m.r, y1: base, y2: base }));
    svgSize(st.curve, W, H);
    st.curve.innerHTML = out.join("");
    st.curve.setAttribute("aria-label", "Accuracy against global sparsity over " + acc.length + " thresholds; " +
      "current τ = " + d.labels.tau[st.index] + ": " + d.labels.accuracy[st.index] + " at " +
      d.labels.sparsity[st.globalKey][st.index] + " sparsity.");
  }

  function render(st) {
    var d = st.d, i = st.index, tau = d.taus[i], drop = d.baseline_accuracy - d.accuracy[i];
    st.slider.value = String(i);
    var labels = d.labels;
    st.slider.setAttribute("aria-valuetext", "τ = " + labels.tau[i] + ", accuracy " + labels.accuracy[i] +
      ", global sparsity " + labels.sparsity[st.globalKey][i]);
    var set = function (name, value, text) {
      var node = st.root.querySelector('[data-readout="' + name + '"]');
      if (node) { node.setAttribute("data-value", String(value)); node.textContent = text; }
    };
    set("tau", tau, labels.tau[i]);
    set("accuracy", d.accuracy[i], labels.accuracy[i]);
    set("drop", drop, labels.drop[i]);
    set("zeros", d.zeros[st.layer][i], labels.zeros[st.layer][i]);
    var zname = st.root.querySelector('[data-name="zeros"]');
    if (zname) zname.textContent = "exact zeros in " + st.layers[st.layer].title + (d.spread ? ", seed " + d.spread.seeds[0] : "");
    d.layers.forEach(function (l) { set("sparsity-" + l.key, d.sparsity[l.key][i], labels.sparsity[l.key][i]); });
    set("sparsity-selected", d.sparsity[st.layer][i], labels.sparsity[st.layer][i]);
    if (st.select) st.select.value = st.layer;
    if (!st.width) return;
    drawHistogram(st);
    if (st.curve) drawCurve(st);
  }

  // ---- URL hash (full mode only): #tau=0.15&layer=ffnn1 ----------------------------------
  function readHash(st) {
    var p = new URLSearchParams(location.hash.replace(/^#/, "")), hit = false;
    if (p.has("tau") && isFinite(parseFloat(p.get("tau")))) {
      st.index = nearest(st.d.taus, parseFloat(p.get("tau"))); hit = true;
    }
    if (p.has("layer") && st.layers[p.get("layer")]) { st.layer = p.get("layer"); hit = true; }
    return hit;
  }
  function writeHash(st) {
    if (!st.full) return;
    var hash = "#tau=" + tauParam(st.d.taus, st.index) + "&layer=" + encodeURIComponent(st.layer);
    history.replaceState(history.state, "", location.pathname + location.search + hash);
  }

  function build(root, d) {
    check(d);
    var st = { root: root, d: d, full: root.getAttribute("data-mode") !== "compact", layers: {}, log: false, width: 0 };
    d.layers.forEach(function (l) { st.layers[l.key] = l; });
    st.globalKey = st.layers.global ? "global" : d.layers[d.layers.length - 1].key;
    st.layer = st.globalKey;
    st.index = d.configured_index;
    if (st.full) readHash(st);
    root.innerHTML = template(st);
    st.slider = root.querySelector(".tau-explorer__slider");
    st.select = root.querySelector(".tau-explorer__layer");
    st.hist = root.querySelector(".tau-explorer__histogram");
    st.histTitle = root.querySelector('[data-title="histogram"]');
    st.curve = root.querySelector(".tau-explorer__curve");
    root.hidden = false; // visible before measuring its width
    var go = function (i) { st.index = clamp(i, 0, d.taus.length - 1); render(st); writeHash(st); };
    st.slider.addEventListener("input", function () { go(Number(st.slider.value)); });
    root.querySelectorAll(".tau-explorer__jump").forEach(function (b) {
      b.addEventListener("click", function () { go(Number(b.getAttribute("data-index"))); });
    });
    if (st.select) st.select.addEventListener("change", function () { st.layer = st.select.value; go(st.index); });
    root.querySelector(".tau-explorer__log").addEventListener("change", function (e) {
      st.log = e.target.checked; render(st);
    });
    if (st.curve) st.curve.addEventListener("click", function (e) { // nearest point in screen space
      var box = st.curve.getBoundingClientRect(), k = st.width / box.width;
      var px = (e.clientX - box.left) * k, py = (e.clientY - box.top) * k, best = 0;
      st.pts.forEach(function (p, i) {
        if (Math.hypot(p[0] - px, p[1] - py) < Math.hypot(st.pts[best][0] - px, st.pts[best][1] - py)) best = i;
      });
      go(best);
    });
    if (st.full) {
      var onHash = function () {
        if (!root.isConnected) return window.removeEventListener("hashchange", onHash); // page replaced
        if (readHash(st)) render(st);
      };
      window.addEventListener("hashchange", onHash);
    }
    // Redraw at the real width so SVG text keeps its size on phones and desktops alike.
    var measure = function () {
      var w = Math.round(st.hist.parentNode.clientWidth);
      if (w > 0 && w !== st.width) { st.width = Math.max(w, 260); render(st); }
    };
    var pending = false; // redraw in the next frame, not inside the observer (no "ResizeObserver loop" errors)
    if (window.ResizeObserver) new ResizeObserver(function () {
      if (pending || !root.isConnected) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; measure(); });
    }).observe(root);
    render(st);
    measure();
    // Only now that it works: hide the static fallback (the nearest following sibling of that class).
    for (var s = root.nextElementSibling; s; s = s.nextElementSibling) {
      if (s.classList.contains("tau-explorer-fallback")) { s.hidden = true; break; }
      if (s.classList.contains("tau-explorer")) break;
    }
  }

  function init(root) {
    if (root.hasAttribute("data-tau-explorer-init")) return; // never twice (DOMContentLoaded + document$)
    root.setAttribute("data-tau-explorer-init", "");
    var src = root.getAttribute("data-src"), url;
    try { url = new URL(src, document.baseURI); } catch (e) { url = null; }
    if (!src || !url || url.origin !== location.origin) return console.warn("tau-explorer: refusing data-src", src);
    if (!requests.has(url.href)) requests.set(url.href, fetch(url.href, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status + " " + url.href); return r.json(); }));
    requests.get(url.href).then(function (d) { build(root, d); }).catch(function (err) {
      requests.delete(url.href);
      root.hidden = true; // keep the static fallback
      console.warn("tau-explorer: kept the static fallback:", err);
    });
  }

  function initAll() { document.querySelectorAll(".tau-explorer[data-src]").forEach(init); }

  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(initAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
