/* onnx-cost HTML report. Model strings reach the page only through textContent
   and setAttribute, never parsed as HTML; the data is the JSON block in the page. */
"use strict";
(function () {
  var DATA = JSON.parse(document.getElementById("onnx-cost-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var NODE_LIMIT = 500;  // rows drawn at once: sort or filter to reach the others
  var METRICS = { flops: "FLOPs", macs: "MACs", ops: "ops", params: "params", memory_bytes: "bytes" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function si(n, unit) {
    var u = unit || "", a = Math.abs(n);
    var P = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < P.length; i++) {
      if (a >= P[i][0]) {
        var s = (n / P[i][0]).toPrecision(3);
        if (s.indexOf(".") >= 0 && s.indexOf("e") < 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
        return s + " " + P[i][1] + u;
      }
    }
    return String(n) + (u ? " " + u : "");
  }
  function pct(v, total) { return total ? (100 * v / total).toFixed(1) : "0.0"; }
  function numCell(v, unit, text) {
    // a count that depends on a symbolic dim is null, with its polynomial as text: never 0
    if (v === null || v === undefined) return el("td", "n", (text || "?") + (unit ? " " + unit : ""));
    var td = el("td", "n", si(v, unit));
    td.setAttribute("title", String(v));
    return td;
  }
  function tx(r, k) { return r.text ? r.text[k] : undefined; }
  function label(m) { return (m.name || "(model)") + (m["class"] ? " (" + m["class"] + ")" : ""); }
  function scroll(child) { var d = el("div", "scroll"); d.appendChild(child); return d; }
  function section(id, title) {
    var s = el("section"); s.id = id;
    s.appendChild(el("h2", null, title));
    document.getElementById("app").appendChild(s);
    return s;
  }

  function header() {
    var app = document.getElementById("app");
    app.appendChild(el("h1", null, "onnx-cost: " + DATA.model.path));
    var ins = DATA.model.inputs.map(function (i) { return i.name + " " + i.shape + " " + i.dtype; }).join(", ");
    app.appendChild(el("div", "meta", "opset " + DATA.model.opset + " \u00b7 " + (DATA.model.producer || "unknown producer") +
      " \u00b7 inputs: " + (ins || "-") + " \u00b7 onnx-cost " + DATA.version));
    if (DATA.binding) app.appendChild(el("div", "meta", "dims: " + DATA.binding));
    if (DATA.partial) app.appendChild(el("div", "partial", "Partial: some nodes could not be counted; totals are lower bounds."));
    DATA.warnings.forEach(function (w) { app.appendChild(el("div", "partial", "warning: " + w)); });
  }

  function convention() {
    // --convention NAME (not the default): its block, under the title and the binding's line
    var block = document.getElementById("onnx-cost-convention");
    if (!block) return;
    var C = JSON.parse(block.textContent);
    var s = section("convention", "Convention: " + C.name);
    s.appendChild(el("div", "meta", C.header));
    s.appendChild(el("pre", "convention", C.text));
  }

  function totals() {
    var s = section("totals", "Totals"), box = el("div", "cards"), t = DATA.total, f = DATA.formula || {};
    // a total that depends on a symbolic dim is its polynomial (DATA.formula), never a number
    function v(k, unit) { return f[k] !== undefined ? f[k] + (unit ? " " + unit : "") : si(t[k], unit); }
    var items = [["FLOPs", v("flops")], ["MACs", v("macs")], ["ops (FLOPs + integer)", v("ops")],
      ["params", v("params")], ["param bytes", v("param_bytes", "B")],
      ["memory access", f.memory_bytes !== undefined ? f.memory_bytes + " B" : si(t.read_bytes + t.write_bytes, "B")],
      ["coverage", DATA.coverage.percent + "%"]];
    items.forEach(function (it) {
      var c = el("div", "card");
      c.appendChild(el("div", "v", it[1]));
      c.appendChild(el("div", "k", it[0]));
      box.appendChild(c);
    });
    s.appendChild(box);
    s.appendChild(el("div", "meta", DATA.coverage.line));
  }

  function tree() {
    var s = section("modules", "By module");
    var ctl = el("div", "controls"), all = el("button", null, "expand all"), none = el("button", null, "collapse all");
    ctl.appendChild(all); ctl.appendChild(none);
    ctl.appendChild(el("span", "muted", "each module counts the nodes at or below it"));
    s.appendChild(ctl);
    var table = el("table", "tree"), head = el("tr"), body = el("tbody");
    ["module", "FLOPs", "MACs", "ops", "params", "bytes", "% FLOPs"].forEach(function (h, i) {
      head.appendChild(el("th", i ? "n" : "s", h));
    });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead); table.appendChild(body);
    s.appendChild(scroll(table));
    var nodes = [];
    function show(n, on) {
      n.tr.hidden = !on;
      n.kids.forEach(function (k) { show(k, on && n.open); });
    }
    function setOpen(n, on) {
      if (!n.kids.length) return;
      n.open = on;
      n.btn.textContent = on ? "\u25BE" : "\u25B8";
      n.btn.setAttribute("aria-expanded", on ? "true" : "false");
      n.kids.forEach(function (k) { show(k, on && !n.tr.hidden); });
    }
    function add(m, depth) {
      var tr = el("tr"), td = el("td", "s");
      tr.setAttribute("data-depth", String(depth));
      td.style.paddingLeft = (4 + 16 * depth) + "px";
      var btn = el("button", "toggle", m.children.length ? "\u25B8" : "");
      btn.disabled = !m.children.length;
      td.appendChild(btn);
      td.appendChild(el("span", "label", label(m)));
      td.setAttribute("title", m.path.join("/"));
      tr.appendChild(td);
      tr.appendChild(numCell(m.flops, "", tx(m, "flops"))); tr.appendChild(numCell(m.macs, "", tx(m, "macs")));
      tr.appendChild(numCell(m.ops, "", tx(m, "ops"))); tr.appendChild(numCell(m.params, "", tx(m, "params")));
      tr.appendChild(numCell(m.memory_bytes, "B", tx(m, "memory_bytes")));
      var share = m.flops === null || DATA.total.flops === null ? "" : pct(m.flops, DATA.total.flops);
      tr.appendChild(el("td", "n", share));
      body.appendChild(tr);
      var n = { tr: tr, btn: btn, kids: [], open: false, depth: depth };
      nodes.push(n);
      m.children.forEach(function (c) { n.kids.push(add(c, depth + 1)); });
      btn.addEventListener("click", function () { setOpen(n, !n.open); });
      return n;
    }
    var root = add(DATA.tree, 0);
    nodes.forEach(function (n) { n.tr.hidden = n !== root; });
    nodes.forEach(function (n) { if (n.depth < DATA.depth) setOpen(n, true); });
    all.addEventListener("click", function () { nodes.forEach(function (n) { setOpen(n, true); }); });
    none.addEventListener("click", function () { nodes.forEach(function (n) { setOpen(n, false); }); setOpen(root, true); });
  }

  function nodeTable() {
    var s = section("nodes", "Nodes");
    var ctl = el("div", "controls"), box = el("input"), info = el("span", "muted");
    box.type = "search"; box.placeholder = "filter by name, op type, module or status"; box.id = "node-filter";
    ctl.appendChild(box); ctl.appendChild(info); s.appendChild(ctl);
    var cols = [["name", "node", 1], ["op", "op", 1], ["module", "module", 1], ["status", "status", 1],
      ["flops", "FLOPs", 0], ["macs", "MACs", 0], ["ops", "ops", 0], ["params", "params", 0],
      ["bytes", "bytes", 0], ["output", "output", 1]];
    var table = el("table", "nodes"), head = el("tr"), body = el("tbody"), thead = el("thead");
    var key = "flops", dir = -1, ths = {};
    cols.forEach(function (c) {
      var th = el("th", c[2] ? "s" : "n", c[1]);
      th.setAttribute("data-key", c[0]);
      th.addEventListener("click", function () {
        if (key === c[0]) dir = -dir; else { key = c[0]; dir = c[2] ? 1 : -1; }
        render();
      });
      ths[c[0]] = th; head.appendChild(th);
    });
    thead.appendChild(head); table.appendChild(thead); table.appendChild(body); s.appendChild(scroll(table));
    function text(r) { return (r.name + "\u0000" + r.op + "\u0000" + r.module + "\u0000" + r.status).toLowerCase(); }
    var hay = DATA.nodes.map(text);
    function render() {
      var q = box.value.trim().toLowerCase(), rows = [];
      for (var i = 0; i < DATA.nodes.length; i++) if (!q || hay[i].indexOf(q) >= 0) rows.push(DATA.nodes[i]);
      rows.sort(function (a, b) {
        var x = a[key], y = b[key];
        if (a.rank && a.rank[key] !== undefined) { x = -a.rank[key]; y = -b.rank[key]; }  // polynomials: by growth
        if (x < y) return -dir;
        if (x > y) return dir;
        return a.index - b.index;
      });
      for (var k in ths) ths[k].removeAttribute("aria-sort");
      ths[key].setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      body.replaceChildren();
      rows.slice(0, NODE_LIMIT).forEach(function (r) {
        var tr = el("tr");
        tr.appendChild(el("td", "s", r.name || "-")); tr.appendChild(el("td", "s", r.op));
        tr.appendChild(el("td", "s", r.module)); tr.appendChild(el("td", "s", r.status));
        tr.appendChild(numCell(r.flops, "", tx(r, "flops"))); tr.appendChild(numCell(r.macs, "", tx(r, "macs")));
        tr.appendChild(numCell(r.ops, "", tx(r, "ops"))); tr.appendChild(numCell(r.params, "", tx(r, "params")));
        tr.appendChild(numCell(r.bytes, "B", tx(r, "bytes")));
        tr.appendChild(el("td", "s", r.output));
        body.appendChild(tr);
      });
      info.textContent = rows.length + " of " + DATA.nodes.length + " nodes" +
        (rows.length > NODE_LIMIT ? " (first " + NODE_LIMIT + " shown)" : "");
    }
    box.addEventListener("input", render);
    render();
  }

  function bars(title, items, metric) {
    var wrap = el("div", "chart"), W = 560, L = 200, H = 18, n = Math.min(items.length, 15);
    wrap.appendChild(el("h3", null, title + " (" + METRICS[metric] + ")"));
    var box = svg("svg", { width: W, height: n * H + 8, role: "img" });
    var top = items.slice().sort(function (a, b) { return b.value - a.value; }).slice(0, n);
    var max = top.length ? Math.max(top[0].value, 1) : 1;
    top.forEach(function (it, i) {
      var y = 4 + i * H, w = Math.max(1, (W - L - 70) * it.value / max);
      var name = it.label.length > 32 ? it.label.slice(0, 31) + "\u2026" : it.label;
      var t = svg("text", { x: L - 6, y: y + 12, "text-anchor": "end" }, name);
      t.appendChild(svg("title", {}, it.label));
      box.appendChild(t);
      box.appendChild(svg("rect", { x: L, y: y + 2, width: w, height: H - 5, "class": "bar" }));
      box.appendChild(svg("text", { x: L + w + 4, y: y + 12 }, si(it.value)));
    });
    wrap.appendChild(box);
    return wrap;
  }

  function charts() {
    var s = section("charts", "Where the cost is");
    if (DATA.symbolic && DATA.symbolic.length) {  // a polynomial is not a bar: no chart, and say so
      s.appendChild(el("div", "partial", "No charts: the counts are polynomials in " + DATA.symbolic.join(", ") +
        " (the tables above and below show them); bind with --dim to draw the charts."));
      return;
    }
    var ctl = el("div", "controls"), pick = el("select");
    pick.id = "chart-metric";
    Object.keys(METRICS).forEach(function (k) { var o = el("option", null, METRICS[k]); o.value = k; pick.appendChild(o); });
    ctl.appendChild(el("span", null, "metric")); ctl.appendChild(pick); s.appendChild(ctl);
    var area = el("div", "charts"); s.appendChild(area);
    function draw() {
      var m = pick.value;
      var ops = DATA.ops.map(function (o) { return { label: o.op, value: o[m] }; });
      var mods = DATA.cut.map(function (o) { return { label: o.label, value: o[m] }; });
      area.replaceChildren(bars("By op type", ops, m), bars("By module (depth " + DATA.depth + ")", mods, m));
    }
    pick.addEventListener("change", draw);
    draw();
  }

  function roofline() {
    var R = DATA.roofline;
    if (!R) return;
    var s = section("roofline", "Roofline: " + R.device.name), d = R.device;
    s.appendChild(el("div", "meta", "peak " + si(d.peak_ops_per_s) + "ops/s \u00b7 bandwidth " +
      si(d.bandwidth_bytes_per_s, "B/s") + " \u00b7 ridge " + (d.ridge_ops_per_byte || 0).toFixed(1) + " ops/byte"));
    var L = R.latency;
    if (L) {
      var ms = function (v) { return (v * 1e3).toPrecision(3) + " ms"; };
      var est = L.calibrated ? "predicted " + ms(L.predicted_s) + (L.predicted_band ? " (\u00b1" + Math.round(L.predicted_band * 100) + " %)" : "")
        : "predicted " + ms(L.predicted_range_s[0]) + " to " + ms(L.predicted_range_s[1]) + " (uncalibrated)";
      s.appendChild(el("div", "meta", "floor " + ms(L.floor_s) + " (a lower bound) \u00b7 " + est + " \u00b7 " +
        L.verdict.bound + "-bound: " + Math.round(L.verdict.share * 100) + " % of the predicted time"));
    }
    var pts = R.nodes.filter(function (n) { return n.intensity > 0 && n.attainable_ops_per_s > 0; });
    if (!pts.length || !d.peak_ops_per_s || !d.bandwidth_bytes_per_s) {
      s.appendChild(el("div", "muted", "no node with both operations and bytes to place on the roofline"));
      return;
    }
    var W = 640, H = 360, M = 50, lg = Math.log10;
    var xs = pts.map(function (p) { return p.intensity; }).concat([d.ridge_ops_per_byte]);
    var x0 = Math.floor(lg(Math.min.apply(null, xs))) - 1, x1 = Math.ceil(lg(Math.max.apply(null, xs))) + 1;
    var y1 = Math.ceil(lg(d.peak_ops_per_s)) + 1, y0 = Math.min(y1 - 3, Math.floor(lg(d.bandwidth_bytes_per_s * Math.pow(10, x0))));
    function X(v) { return M + (W - 2 * M) * (lg(v) - x0) / (x1 - x0); }
    function Y(v) { return H - M + (2 * M - H) * (lg(v) - y0) / (y1 - y0); }
    var box = svg("svg", { width: W, height: H, role: "img", "class": "plot" });
    for (var e = x0; e <= x1; e++) {
      box.appendChild(svg("line", { x1: X(Math.pow(10, e)), x2: X(Math.pow(10, e)), y1: M, y2: H - M, "class": "grid" }));
      box.appendChild(svg("text", { x: X(Math.pow(10, e)), y: H - M + 14, "text-anchor": "middle" }, "1e" + e));
    }
    for (var f = y0; f <= y1; f++) {
      box.appendChild(svg("line", { x1: M, x2: W - M, y1: Y(Math.pow(10, f)), y2: Y(Math.pow(10, f)), "class": "grid" }));
      box.appendChild(svg("text", { x: M - 4, y: Y(Math.pow(10, f)) + 4, "text-anchor": "end" }, "1e" + f));
    }
    box.appendChild(svg("text", { x: W / 2, y: H - 12, "text-anchor": "middle" }, "arithmetic intensity (ops/byte)"));
    box.appendChild(svg("text", { x: 12, y: H / 2, transform: "rotate(-90 12 " + H / 2 + ")", "text-anchor": "middle" }, "attainable ops/s"));
    var lo = Math.pow(10, x0), ridge = d.ridge_ops_per_byte, hi = Math.pow(10, x1);
    box.appendChild(svg("polyline", { "class": "roof", points: [X(lo), Y(d.bandwidth_bytes_per_s * lo), X(ridge), Y(d.peak_ops_per_s), X(hi), Y(d.peak_ops_per_s)].join(" ") }));
    var maxOps = Math.max.apply(null, pts.map(function (p) { return p.ops; })) || 1;
    pts.forEach(function (p) {
      var c = svg("circle", { cx: X(p.intensity), cy: Y(p.attainable_ops_per_s), r: 3 + 7 * Math.sqrt(p.ops / maxOps), "class": "pt-" + p.bound });
      c.appendChild(svg("title", {}, p.name + " (" + p.op_type + "): " + p.intensity.toFixed(2) + " ops/byte, " + p.bound + "-bound"));
      box.appendChild(c);
    });
    s.appendChild(box);
    var key = el("div", "legend");
    [["compute", "compute-bound"], ["memory", "memory-bound"]].forEach(function (b) {
      var sw = svg("svg", { width: 12, height: 12 });
      sw.appendChild(svg("circle", { cx: 6, cy: 6, r: 5, "class": "pt-" + b[0] }));
      key.appendChild(sw); key.appendChild(el("span", null, b[1]));
    });
    key.appendChild(el("span", "muted", "each circle is a node on the roof at its intensity, sized by its ops"));
    s.appendChild(key);
  }

  header();
  convention();
  totals();
  tree();
  charts();
  roofline();
  nodeTable();
})();
