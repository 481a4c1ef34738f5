/* The replay page: every panel shows the same moment, an update k and one of its phases.
   Phase 0 "forward": the loss at the parameters before the update; phase 1 "backward": its
   gradient; phase 2 "update": the parameters after p <- p - lr * dL/dp. All numbers come from
   REPLAY (the recording); nothing is fetched. */
(function () {
  "use strict";
  var R = REPLAY;
  unpackReplay(R);  /* numbers.js: R.before[u] ... for the kept updates, null for the others */
  var U = R.updates, P = R.param_names.length, N = R.y.length, D = R.X[0].length;
  var PHASES = ["forward", "backward", "update"];
  var SVGNS = document.getElementById("data-svg").namespaceURI;  // the SVG namespace, as the parser set it
  var k = 0, ph = 0, timer = null, sample = 0;
  var frameOf = {};
  R.frames.updates.forEach(function (u, i) { frameOf[u] = i; });

  function $(id) { return document.getElementById(id); }
  /* The kept updates (all of them, unless the run was too long for one page): where u would go
     among them, the nearest one, and the next one before or after u (-1: none). */
  function keptIndex(u) {
    var lo = 0, hi = R.kept.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (R.kept[mid] < u) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function nearestKept(u) {
    var i = keptIndex(u);
    if (i < R.kept.length && R.kept[i] === u) return u;
    var before = i > 0 ? R.kept[i - 1] : null, after = i < R.kept.length ? R.kept[i] : null;
    if (before === null) return after;
    if (after === null) return before;
    return u - before <= after - u ? before : after;
  }
  function nextKept(u, d) {
    var i = keptIndex(u);
    if (d > 0) { if (i < R.kept.length && R.kept[i] === u) i++; return i < R.kept.length ? R.kept[i] : -1; }
    return i > 0 ? R.kept[i - 1] : -1;
  }

  /* A number as Python's "%.6g" writes it (or "%.<digits>g"), so the text and the graph's labels agree. */
  function fmt(x, digits) {
    var d = digits || 6;
    if (x === null || x === undefined) return "?";
    if (isNaN(x)) return "nan";
    if (!isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return "0";
    var e = parseInt(x.toExponential(d - 1).split("e")[1], 10);
    var s;
    if (e < -4 || e >= d) {
      var parts = x.toExponential(d - 1).split("e");
      var m = parts[0].indexOf(".") >= 0 ? parts[0].replace(/0+$/, "").replace(/\.$/, "") : parts[0];
      var ex = Math.abs(e);
      s = m + "e" + (e < 0 ? "-" : "+") + (ex < 10 ? "0" : "") + ex;
    } else {
      s = x.toFixed(d - 1 - e);
      if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    }
    return s === "-0" ? "0" : s;
  }
  /* A new value and its old one with the fewest digits (6 or more) that show they differ. */
  function fmtChange(now, was) {
    for (var d = 6; d < 17; d++) {
      if (fmt(now, d) !== fmt(was, d) || now === was) return [fmt(now, d), fmt(was, d)];
    }
    return [fmt(now, 17), fmt(was, 17)];
  }
  function factor(x) { var s = fmt(x); return s.charAt(0) === "-" ? "(" + s + ")" : s; }
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function batchOf(u) {
    var b = R.batches[u];
    if (b !== null) return b;
    var all = [];
    for (var i = 0; i < N; i++) all.push(i);
    return all;
  }
  function paramsAt(u, phase) { return phase < 2 ? R.before[u] : R.after[u]; }
  function predict(p, row) {
    var f = R.bias ? p[P - 1] : 0;
    for (var j = 0; j < D; j++) f += p[j] * R.X[row][j];
    return f;
  }
  function rowsText(rows) {
    if (rows.length === N && R.batches[k] === null) return "all " + N + " samples";
    var shown = rows.slice(0, 8).map(function (r) { return r + 1; }).join(", ");
    return (rows.length === 1 ? "sample " : rows.length + " samples: ") + shown + (rows.length > 8 ? ", ..." : "");
  }
  function finiteRange(values) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { lo -= 1; hi += 1; }
    return [lo, hi];
  }
  function niceTicks(lo, hi, count) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    var err = (hi - lo) / count / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  /* --- a plot frame: margins, scales, axes ------------------------------------------------ */
  function Frame(svg, xr, yr, xlabel, ylabel, logy) {
    var W = 420, H = 320, L = 56, Rm = 12, T = 10, B = 40;
    this.svg = svg; this.logy = !!logy;
    this.x0 = L; this.x1 = W - Rm; this.y0 = H - B; this.y1 = T;
    this.xr = xr; this.yr = yr;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var id = svg.id + "-clip";
    var defs = el("defs", {}, svg);
    var cp = el("clipPath", { id: id }, defs);
    el("rect", { x: this.x0, y: this.y1, width: this.x1 - this.x0, height: this.y0 - this.y1 }, cp);
    // the head is sized in the plot's own pixels, so a short step gets a small head (see drawLandscape)
    var mk = el("marker", { id: svg.id + "-head", viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerUnits: "userSpaceOnUse", markerWidth: "12", markerHeight: "12", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#d50000" }, mk);
    this.back = el("g", { "clip-path": "url(#" + id + ")" }, svg);
    this.plot = el("g", { "clip-path": "url(#" + id + ")" }, svg);
    var ax = el("g", { "class": "axis" }, svg);
    el("rect", { x: this.x0, y: this.y1, width: this.x1 - this.x0, height: this.y0 - this.y1,
      fill: "none", stroke: "#9e9e9e" }, ax);
    var self = this;
    niceTicks(xr[0], xr[1], 6).forEach(function (v) {
      var x = self.sx(v);
      el("line", { x1: x, x2: x, y1: self.y0, y2: self.y0 + 4 }, ax);
      // a label at the right edge ends there instead of running out of the picture ("100(")
      var anchor = x > self.x1 - 14 ? "end" : "middle";
      el("text", { x: anchor === "end" ? self.x1 + 4 : x, y: self.y0 + 15, "text-anchor": anchor }, ax).textContent = fmt(v);
    });
    var yt = this.logy ? logTicks(yr) : niceTicks(yr[0], yr[1], 5);
    yt.forEach(function (v) {
      var y = self.sy(self.logy ? Math.log10(v) : v);
      el("line", { x1: self.x0 - 4, x2: self.x0, y1: y, y2: y }, ax);
      el("text", { x: self.x0 - 6, y: y + 4, "text-anchor": "end" }, ax).textContent = fmt(v);
    });
    el("text", { x: (this.x0 + this.x1) / 2, y: H - 6, "text-anchor": "middle" }, ax).textContent = xlabel;
    el("text", { x: 12, y: (this.y0 + this.y1) / 2, "text-anchor": "middle",
      transform: "rotate(-90 12 " + (this.y0 + this.y1) / 2 + ")" }, ax).textContent = ylabel;
  }
  Frame.prototype.sx = function (v) { return this.x0 + (v - this.xr[0]) / (this.xr[1] - this.xr[0]) * (this.x1 - this.x0); };
  Frame.prototype.sy = function (v) {
    var lo = this.logy ? Math.log10(this.yr[0]) : this.yr[0], hi = this.logy ? Math.log10(this.yr[1]) : this.yr[1];
    return this.y0 - (v - lo) / (hi - lo) * (this.y0 - this.y1);
  };
  function clampPx(v) { return Math.max(-1e5, Math.min(1e5, v)); }
  /* Ticks of a log axis: the powers of ten in range; when fewer than two fit, the round
     numbers 1, 2, 5 times a power of ten (never the range's own ends, such as 196.571). */
  function logTicks(yr) {
    var out = [], a = Math.ceil(Math.log10(yr[0]) - 1e-9), b = Math.floor(Math.log10(yr[1]) + 1e-9);
    var stride = Math.max(1, Math.ceil((b - a + 1) / 6));
    for (var e = a; e <= b; e += stride) out.push(Math.pow(10, e));
    if (out.length >= 2) return out;
    out = [];
    for (e = a - 1; e <= b; e++) {
      [1, 2, 5].forEach(function (m) {
        var v = parseFloat((m * Math.pow(10, e)).toPrecision(12));
        if (v >= yr[0] && v <= yr[1]) out.push(v);
      });
    }
    return out.length >= 2 ? out : niceTicks(yr[0], yr[1], 4).filter(function (v) { return v > 0; });
  }

  /* --- panel 2: data and line -------------------------------------------------------------- */
  var data = {};
  function setupData() {
    var svg = $("data-svg");
    var ys = R.y.slice(), span = finiteRange(R.y);
    // the first and the last line too, unless a diverging run flung them far away
    [R.before[0], R.after[U - 1]].forEach(function (p) {
      for (var i = 0; i < N; i++) {
        var f = predict(p, i);
        if (Math.abs(f - (span[0] + span[1]) / 2) < 2 * (span[1] - span[0])) ys.push(f);
      }
    });
    var yr = finiteRange(ys), pad = 0.08 * (yr[1] - yr[0]);
    yr = [yr[0] - pad, yr[1] + pad];
    var xr, xlabel, ylabel = R.target_name;
    if (D === 1) {
      xr = finiteRange(R.X.map(function (r) { return r[0]; }));
      var px = 0.08 * (xr[1] - xr[0]); xr = [xr[0] - px, xr[1] + px];
      xlabel = R.feature_names[0];
    } else { xr = yr; xlabel = "prediction f (a perfect fit lies on the diagonal)"; }
    var f = new Frame(svg, xr, yr, xlabel, ylabel);
    data.frame = f;
    if (D > 1) el("line", { x1: f.sx(xr[0]), y1: f.sy(xr[0]), x2: f.sx(xr[1]), y2: f.sy(xr[1]),
      stroke: "#bdbdbd", "stroke-dasharray": "3 3" }, f.back);
    data.old = el("line", { "class": "oldline" }, f.plot);
    data.line = el("line", { "class": "fitline" }, f.plot);
    data.resid = []; data.pts = [];
    for (var i = 0; i < N; i++) data.resid.push(el("line", { "class": "resid" }, f.plot));
    for (i = 0; i < N; i++) {
      var c = el("circle", { "class": "pt", r: 3.5 }, f.plot);
      el("title", {}, c).textContent = "sample " + (i + 1) + ": " + R.feature_names.map(function (n, j) {
        return n + " = " + fmt(R.X[i][j]); }).join(", ") + ", " + R.target_name + " = " + fmt(R.y[i]);
      data.pts.push(c);
    }
  }
  function drawLine(line, p) {
    var f = data.frame;
    if (D !== 1) { line.setAttribute("visibility", "hidden"); return; }
    var a = f.xr[0], b = f.xr[1];
    var w = p[0], c = R.bias ? p[P - 1] : 0, ya = w * a + c, yb = w * b + c;
    line.setAttribute("visibility", isFinite(ya) && isFinite(yb) ? "visible" : "hidden");
    line.setAttribute("x1", f.sx(a)); line.setAttribute("x2", f.sx(b));
    line.setAttribute("y1", clampPx(f.sy(ya))); line.setAttribute("y2", clampPx(f.sy(yb)));
  }
  function drawData() {
    var f = data.frame, p = paramsAt(k, ph), inb = {};
    batchOf(k).forEach(function (r) { inb[r] = true; });
    drawLine(data.line, p);
    if (ph === 2) drawLine(data.old, R.before[k]); else data.old.setAttribute("visibility", "hidden");
    for (var i = 0; i < N; i++) {
      var fi = predict(p, i), xi = D === 1 ? R.X[i][0] : fi;
      var cls = inb[i] ? " in-batch" : "";
      var cx = clampPx(f.sx(xi)), cy = f.sy(R.y[i]);
      data.pts[i].setAttribute("class", "pt" + cls);
      data.pts[i].setAttribute("cx", cx); data.pts[i].setAttribute("cy", cy);
      data.pts[i].setAttribute("r", inb[i] ? 4.5 : 3);
      var r = data.resid[i];
      r.setAttribute("class", "resid" + cls);
      r.setAttribute("x1", cx); r.setAttribute("x2", cx);
      r.setAttribute("y1", cy); r.setAttribute("y2", clampPx(isFinite(fi) ? f.sy(fi) : cy));
    }
    // the batch on top of the others
    batchOf(k).forEach(function (r) { f.plot.appendChild(data.pts[r]); });
  }

  /* --- panel 3: the loss landscape ------------------------------------------------------- */
  var land = {}, AX = R.axes, oneD = AX[0] === AX[1];
  function fullLoss(theta) {
    var G = R.moments.G, c = R.moments.c, s = R.moments.yy;
    for (var a = 0; a < P; a++) {
      s -= 2 * c[a] * theta[a];
      for (var b = 0; b < P; b++) s += theta[a] * G[a][b] * theta[b];
    }
    s = Math.max(s, 0);
    return R.loss_name === "mse" ? s / R.moments.n : s;
  }
  var VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    t = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    var i = Math.min(Math.floor(t), VIRIDIS.length - 2), u = t - i, a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return "rgb(" + [0, 1, 2].map(function (j) { return Math.round(a[j] + u * (b[j] - a[j])); }).join(",") + ")";
  }
  function setupLandscape() {
    var svg = $("landscape-svg"), xr = R.ranges[0], names = R.param_names;
    if (oneD) {
      var ws = [], ls = [];
      for (var i = 0; i <= 200; i++) { var w = xr[0] + (xr[1] - xr[0]) * i / 200; ws.push(w); ls.push(fullLoss([w])); }
      var lr = finiteRange(ls);
      var f = new Frame(svg, xr, [lr[0], lr[1] + 0.05 * (lr[1] - lr[0])], names[0], "loss (" + R.loss_name.toUpperCase() + ")");
      el("polyline", { "class": "epochloss", points: ws.map(function (w, i) { return f.sx(w) + "," + f.sy(ls[i]); }).join(" ") }, f.back);
      land.frame = f;
    } else {
      land.frame = new Frame(svg, xr, R.ranges[1], names[AX[0]], names[AX[1]]);
      land.cells = [];
      var n = 48, fr = land.frame;
      for (var a = 0; a < n; a++) for (var b = 0; b < n; b++) {
        var x0 = fr.sx(xr[0] + (xr[1] - xr[0]) * a / n), x1 = fr.sx(xr[0] + (xr[1] - xr[0]) * (a + 1) / n);
        var y0 = fr.sy(R.ranges[1][0] + (R.ranges[1][1] - R.ranges[1][0]) * b / n);
        var y1 = fr.sy(R.ranges[1][0] + (R.ranges[1][1] - R.ranges[1][0]) * (b + 1) / n);
        land.cells.push(el("rect", { x: x0, y: y1, width: x1 - x0 + 0.5, height: y0 - y1 + 0.5 }, fr.back));
      }
      land.n = n; land.filledFor = null;
    }
    var fr2 = land.frame;
    if (R.minimum) {
      var mx = R.minimum[AX[0]], my = oneD ? fullLoss(R.minimum) : R.minimum[AX[1]];
      var star = el("text", { x: fr2.sx(mx), y: fr2.sy(my) + 6, "text-anchor": "middle", "font-size": "18",
        fill: "gold", stroke: "#000", "stroke-width": "0.7" }, fr2.plot);
      star.textContent = "\u2605";
    }
    land.traj = el("polyline", { "class": "traj" }, fr2.plot);
    land.arrow = el("line", { "class": "step-arrow", "marker-end": "url(#landscape-svg-head)" }, fr2.plot);
    land.head = $("landscape-svg-head");
    land.now = el("circle", { "class": "now", r: 5, id: "landscape-point" }, fr2.plot);
    land.nowTitle = el("title", {}, land.now);
  }
  function fillLandscape(theta) {
    var key = P > 2 ? theta.filter(function (v, i) { return i !== AX[0] && i !== AX[1]; }).join(",") : "fixed";
    if (land.filledFor === key) return;
    land.filledFor = key;
    var n = land.n, xr = R.ranges[0], yr = R.ranges[1], vals = [], t = theta.slice();
    for (var a = 0; a < n; a++) for (var b = 0; b < n; b++) {
      t[AX[0]] = xr[0] + (xr[1] - xr[0]) * (a + 0.5) / n;
      t[AX[1]] = yr[0] + (yr[1] - yr[0]) * (b + 0.5) / n;
      vals.push(fullLoss(t));
    }
    var lo = Infinity, hi = -Infinity;
    vals.forEach(function (v) { if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    lo = Math.max(lo, hi * 1e-6, 1e-300);
    var llo = Math.log(lo), lhi = Math.log(Math.max(hi, lo * 1.0001));
    vals.forEach(function (v, i) { land.cells[i].setAttribute("fill", colour((Math.log(Math.max(v, lo)) - llo) / (lhi - llo))); });
  }
  function point(p) {
    var f = land.frame;
    return [clampPx(f.sx(p[AX[0]])), clampPx(f.sy(oneD ? fullLoss(p) : p[AX[1]]))];
  }
  function drawLandscape() {
    var f = land.frame, p = paramsAt(k, ph), names = R.param_names;
    if (!oneD) fillLandscape(p);
    var upto = keptIndex(k), pts = [], stride = Math.max(1, Math.floor(upto / 2000));
    for (var j = 0; j <= upto; j += stride) pts.push(point(R.before[R.kept[j]]));
    pts.push(point(R.before[k]));
    if (ph === 2) pts.push(point(R.after[k]));
    land.traj.setAttribute("points", pts.map(function (q) { return q.join(","); }).join(" "));
    var q = point(p);
    land.now.setAttribute("cx", q[0]); land.now.setAttribute("cy", q[1]);
    land.now.setAttribute("data-x", String(p[AX[0]]));
    land.now.setAttribute("data-y", String(oneD ? fullLoss(p) : p[AX[1]]));
    land.nowTitle.textContent = names.map(function (n, i) { return n + " = " + fmt(p[i]); }).join(", ");
    var tiny = false;
    if (ph >= 1) {
      var a = point(R.before[k]), b = point(R.after[k]);
      if (oneD) b[1] = a[1];
      // the arrow is as long as the step on this picture: its head never outgrows it, and a
      // step under 2 px is not drawn at all (the legend says so) rather than as a big arrowhead
      var length = Math.sqrt((b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1]));
      var head = Math.max(3, Math.min(12, 0.6 * length));
      land.head.setAttribute("markerWidth", String(head)); land.head.setAttribute("markerHeight", String(head));
      land.arrow.setAttribute("x1", a[0]); land.arrow.setAttribute("y1", a[1]);
      land.arrow.setAttribute("x2", b[0]); land.arrow.setAttribute("y2", b[1]);
      land.arrow.setAttribute("data-length", String(length));
      tiny = length < 2;
      land.arrow.setAttribute("visibility", tiny ? "hidden" : "visible");
    } else land.arrow.setAttribute("visibility", "hidden");
    var g = R.grads[k], lrtxt = fmt(R.lr);
    var held = [];
    for (var i = 0; i < P; i++) if (i !== AX[0] && i !== AX[1]) held.push(names[i] + " = " + fmt(p[i]));
    $("landscape-legend").textContent = (oneD ? "the loss over all samples as " + names[0] + " varies" :
      "colour: the loss over all samples (log scale) over " + names[AX[0]] + " and " + names[AX[1]]) +
      (held.length ? ", with " + held.join(", ") + (held.length > 1 ? " held at their current values" : " held at its current value") : "") +
      "; orange: the path so far" + (R.minimum ? "; \u2605 the least-squares minimum" : "") +
      arrowText(g, lrtxt, oneD) + (tiny ? " (too short to see at this scale, so not drawn)." : ".");
  }
  function arrowText(g, lrtxt, oneD) {
    var shown = [AX[0], AX[1]].filter(function (v, i) { return !(oneD && i === 1); });
    if (R.plain) return "; red arrow: this update's step -lr * grad = -" + lrtxt + " * (" +
      shown.map(function (a) { return fmt(g[a]); }).join(", ") +
      "), of length lr * |grad| = " + fmt(R.lr * Math.sqrt(g.reduce(function (s, v) { return s + v * v; }, 0)));
    var a = R.after[k], b = R.before[k], step = a.map(function (v, i) { return v - b[i]; });
    return "; red arrow: this update's step, after - before = (" + shown.map(function (i) { return fmt(step[i]); }).join(", ") +
      "), of length " + fmt(Math.sqrt(step.reduce(function (s, v) { return s + v * v; }, 0)));
  }

  /* --- panel 4: the loss curve --------------------------------------------------------- */
  var lossp = {};
  function setupLoss() {
    var svg = $("loss-svg"), vals = R.kept.map(function (u) { return R.losses[u]; })
      .concat(R.epochEnds.map(function (e) { return e[1]; }));
    var fin = vals.filter(function (v) { return isFinite(v); });
    var logy = fin.length > 0 && fin.every(function (v) { return v > 0; });
    var yr = finiteRange(fin);
    if (logy) yr = [yr[0] / 1.5, yr[1] * 1.5]; else { var pad = 0.05 * (yr[1] - yr[0]); yr = [yr[0] - pad, yr[1] + pad]; }
    var f = new Frame(svg, [0, Math.max(U, 1)], yr, "update", "loss (" + R.loss_name.toUpperCase() + ")", logy);
    lossp.frame = f;
    function y(v) { return clampPx(f.sy(logy ? Math.log10(v) : v)); }
    var stride = Math.max(1, Math.floor(R.kept.length / 1500)), pts = [];
    for (var j = 0; j < R.kept.length; j += stride) {
      var u = R.kept[j];
      if (isFinite(R.losses[u])) pts.push(f.sx(u + 1) + "," + y(R.losses[u]));
    }
    el("polyline", { "class": "batchloss", points: pts.join(" ") }, f.plot);
    var epts = [];
    R.epochEnds.forEach(function (e) { if (isFinite(e[1])) epts.push(f.sx(e[0] + 1) + "," + y(e[1])); });
    if (R.initial_loss !== null && isFinite(R.initial_loss)) epts.unshift(f.sx(0) + "," + y(R.initial_loss));
    el("polyline", { "class": "epochloss", points: epts.join(" ") }, f.plot);
    lossp.cursor = el("line", { "class": "cursor", y1: f.y1, y2: f.y0, id: "loss-cursor" }, f.plot);
    lossp.dot = el("circle", { "class": "now", r: 4 }, f.plot);
    lossp.y = y;
  }
  function drawLoss() {
    var f = lossp.frame, x = f.sx(k + 1);
    lossp.cursor.setAttribute("x1", x); lossp.cursor.setAttribute("x2", x);
    lossp.cursor.setAttribute("data-update", String(k + 1));
    var v = R.losses[k];
    lossp.dot.setAttribute("visibility", isFinite(v) ? "visible" : "hidden");
    if (isFinite(v)) { lossp.dot.setAttribute("cx", x); lossp.dot.setAttribute("cy", lossp.y(v)); }
  }

  /* --- panel 5: the update in words and numbers ------------------------------------------ */
  function drawText() {
    var names = R.param_names, p = paramsAt(k, ph), b = R.before[k], a = R.after[k], g = R.grads[k];
    var rows = batchOf(k), L = R.loss_name.toUpperCase();
    $("state").innerHTML = "";
    var st = $("state");
    st.appendChild(document.createTextNode("update " + (k + 1) + " of " + U + ", epoch " + R.epoch[k] + ": "));
    names.forEach(function (n, i) {
      var s = document.createElement("span");
      s.className = "pv"; s.setAttribute("data-name", n); s.setAttribute("data-value", String(p[i]));
      s.textContent = n + " = " + fmt(p[i]);
      st.appendChild(s);
      st.appendChild(document.createTextNode(i < P - 1 ? ", " : (ph === 2 ? "  (after this update)" : "  (before this update)")));
    });
    var at = names.map(function (n, i) { return n + " = " + fmt(b[i]); }).join(", ");
    $("phase-forward").textContent = "forward: f = " + modelText() + " on " + rowsText(rows) + " at " + at +
      ": L = " + L + " = " + fmt(R.losses[k]);
    $("phase-backward").textContent = "backward: " + names.map(function (n, i) { return "dL/d" + n + " = " + fmt(g[i]); }).join(", ");
    $("phase-update").textContent = "update: " + updateLines(k).join("\n        ");
    PHASES.forEach(function (name, i) {
      var li = $("phase-" + name);
      li.className = i === ph ? "current" : (i < ph ? "done" : "");
    });
  }
  /* The rule's update written out with update k's numbers: R.formula's lines, {name} a number of
     the step (before, grad, after, what the rule noted) or a hyper-parameter, {p} the parameter;
     a line with {p} shows every parameter side by side (viz/recording.py's update_lines, the same). */
  var OPERATORS = "*/+-^";
  function wrap(text, before, after) {
    var lead = before.replace(/\s+$/, "");
    var follows = OPERATORS.indexOf(lead.charAt(lead.length - 1)) >= 0 && lead.slice(-2) !== "<-";
    return text.charAt(0) === "-" && (follows || after.charAt(0) === "^") ? "(" + text + ")" : text;
  }
  function whole(v) {
    if (v.length === 1) return fmt(v[0]);
    if (v.length === P * P) {
      var rows = [];
      for (var r = 0; r < P; r++) rows.push("[" + v.slice(r * P, r * P + P).map(function (x) { return fmt(x); }).join(", ") + "]");
      return "[" + rows.join(", ") + "]";
    }
    return "(" + v.map(function (x) { return fmt(x); }).join(", ") + ")";
  }
  function fillLine(line, values, i, name) {
    line = line.split("{p}").join(name);
    var pair = i === null ? null : new RegExp("^" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + " <- \\{(\\w+)\\}.* = \\{after\\}$").exec(line);
    var change = pair ? fmtChange(values.after[i], values[pair[1]][i]) : null;
    var first = line.indexOf("{", name.length);
    return line.replace(/\{(\w+)\}/g, function (m, key, at) {
      var v = values[key], text;
      if (change && key === "after") text = change[0];
      else if (change && at === first) text = change[1];
      else if (Array.isArray(v)) text = i !== null ? fmt(v[i]) : whole(v);
      else text = fmt(v);
      return wrap(text, line.slice(0, at), line.slice(at + m.length));
    });
  }
  function updateLines(u) {
    var values = {};
    Object.keys(R.constants).forEach(function (key) { values[key] = R.constants[key]; });
    Object.keys(R.notes).forEach(function (key) { values[key] = R.notes[key][u]; });
    values.before = R.before[u]; values.after = R.after[u]; values.grad = R.grads[u];
    return R.formula.map(function (line) {
      if (line.indexOf("{p}") < 0) return fillLine(line, values, null, "");
      return R.param_names.map(function (n, i) { return fillLine(line, values, i, n); }).join("   ");
    });
  }
  function modelText() {
    var t = R.param_names.slice(0, D).map(function (n, j) { return n + "*" + R.feature_names[j]; });
    if (R.bias) t.push("b");
    return t.join(" + ");
  }

  /* --- panel 1: the graph ------------------------------------------------------------------ */
  var templates = {}, shownTemplate = null;
  Array.prototype.forEach.call(document.querySelectorAll("div.template"), function (div) {
    var nodes = {};
    Array.prototype.forEach.call(div.querySelectorAll("g.node"), function (g) {
      var t = g.querySelector("title");
      if (t) nodes[t.textContent] = g;
    });
    var cluster = div.querySelector("g.cluster text");
    templates[div.getAttribute("data-template")] = { div: div, nodes: nodes, cluster: cluster,
      clusterText: cluster ? cluster.textContent : "" };
    $("graph").appendChild(div);
  });
  /* Zoom: one scale (CSS px per Graphviz point) for every template; by default the graph fits the
     panel's width, but never so small that its smallest text is under 11 px (then it scrolls). */
  var READABLE_PX = 11.2, zoom = null;  // 11 px, and a margin for rounding
  function smallestFont(svg) {
    var min = Infinity;
    Array.prototype.forEach.call(svg.querySelectorAll("text"), function (t) {
      var f = parseFloat(t.getAttribute("font-size"));
      if (f > 0) min = Math.min(min, f);
    });
    return isFinite(min) ? min : 12;
  }
  function applyZoom() {
    if (shownTemplate === null) return;
    var svg = shownTemplate.div.querySelector("svg");
    if (!svg) return;
    var readable = READABLE_PX / smallestFont(svg);
    if (zoom === null) zoom = fitZoom(svg);
    zoom = Math.max(readable / 2, Math.min(4, zoom));
    svg.style.width = (svg.viewBox.baseVal.width * zoom) + "px";
    $("zoom").textContent = Math.round(zoom * 75) + "%";
  }
  function fitZoom(svg) {
    var natural = 4 / 3, readable = READABLE_PX / smallestFont(svg);  // 1 pt = 4/3 CSS px
    var fits = ($("graph").clientWidth - 2) / svg.viewBox.baseVal.width;
    return Math.max(readable, Math.min(natural, fits));
  }
  function setZoom(z) { zoom = z; applyZoom(); }
  $("zoom-in").addEventListener("click", function () { setZoom((zoom || 1) * 1.25); });
  $("zoom-out").addEventListener("click", function () { setZoom((zoom || 1) / 1.25); });
  $("zoom-fit").addEventListener("click", function () { zoom = null; applyZoom(); });
  var drag = null;  // pan the graph by dragging it with the mouse (touch screens pan natively)
  $("graph").addEventListener("pointerdown", function (e) {
    if (e.pointerType !== "mouse") return;
    var g = $("graph");
    drag = { x: e.clientX, y: e.clientY, left: g.scrollLeft, top: g.scrollTop };
    g.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) return;
    $("graph").scrollLeft = drag.left - (e.clientX - drag.x);
    $("graph").scrollTop = drag.top - (e.clientY - drag.y);
  });
  window.addEventListener("pointerup", function () { drag = null; $("graph").classList.remove("dragging"); });
  function nearestFrames() {
    var ups = R.frames.updates, lo = null, hi = null;
    ups.forEach(function (u) { if (u < k) lo = u; else if (u > k && hi === null) hi = u; });
    return [lo, hi];
  }
  function setPicker(fi) {
    var row = $("picker-row"), sel = $("sample");
    if (fi < 0 || !R.frames.folded[fi]) { row.hidden = true; return; }
    row.hidden = false;
    var rows = batchOf(k), key = k + ":" + rows.length;
    if (sel.getAttribute("data-for") !== key) {
      var keep = sel.value === "" ? 0 : parseInt(sel.value, 10);
      sel.innerHTML = "";
      var opt = document.createElement("option");
      opt.value = "-1"; opt.textContent = "all " + rows.length + " samples (ranges)";
      sel.appendChild(opt);
      rows.forEach(function (r, j) {
        var o = document.createElement("option");
        o.value = String(j);
        o.textContent = "sample " + (r + 1) + ": " + R.feature_names.map(function (n, c) { return n + " = " + fmt(R.X[r][c]); }).join(", ") +
          ", " + R.target_name + " = " + fmt(R.y[r]);
        sel.appendChild(o);
      });
      sel.value = String(Math.min(keep, rows.length - 1));
      sel.setAttribute("data-for", key);
    }
    sample = parseInt(sel.value, 10);
  }
  function drawGraph() {
    var note = $("graph-note"), fi = frameOf[k] === undefined ? -1 : frameOf[k];
    $("graph-phase").textContent = "\u2014 phase " + (ph + 1) + " of 3: " + ["forward values", "gradients", "new parameters"][ph];
    if (shownTemplate !== null) { shownTemplate.div.hidden = true; shownTemplate = null; }
    if (R.graph_error) { note.textContent = R.graph_error; $("picker-row").hidden = true; return; }
    if (fi < 0) {
      var nf = nearestFrames();
      note.textContent = "No graph frame for update " + (k + 1) + ": full detail (the graph, with every node's numbers) is kept for " +
        R.frames.updates.length + " of the " + U + " updates, as the notes above say; the other panels show this update's numbers. Nearest frames: " +
        [nf[0], nf[1]].filter(function (v) { return v !== null; }).map(function (v) { return "update " + (v + 1); }).join(" and ") + ".";
      $("picker-row").hidden = true;
      return;
    }
    setPicker(fi);
    var t = templates[R.frames.template[fi]];
    t.div.hidden = false; shownTemplate = t;
    applyZoom();
    var labels = R.frames.labels[fi][ph], samples = R.frames.samples[fi], rows = batchOf(k);
    var pnodes = {};
    R.param_names.forEach(function (n) { pnodes[R.frames.params[fi][n]] = true; });
    for (var nid in t.nodes) {
      var g = t.nodes[nid], lines = labels[nid];
      if (!lines) continue;
      lines = lines.slice();
      if (samples[nid] && sample >= 0) {
        var r = rows[sample] + 1;
        lines[0] = lines[0].replace(/_i\b/g, D > 1 ? "_" + r : String(r));
        lines[1] = "data " + fmt(samples[nid][0][sample]);
        lines[2] = ph >= 1 ? "grad " + fmt(samples[nid][1][sample]) : "grad ? (not computed yet)";
      }
      var texts = g.querySelectorAll("text");
      for (var i = 0; i < texts.length && i < lines.length; i++) texts[i].textContent = lines[i];
      g.classList.toggle("changed", ph === 2 && !!pnodes[nid]);
    }
    if (t.cluster) {
      t.cluster.textContent = sample >= 0 && R.frames.folded[fi] ? "x" + rows.length +
        " (one subgraph per sample, folded: showing sample " + (rows[sample] + 1) + ")" : t.clusterText;
    }
    note.textContent = (R.frames.folded[fi] ? "The batch's " + rows.length + " per-sample subgraphs are folded into one box; " +
      "pick which sample it shows. w and b show the gradient summed over the batch. " : "") +
      ["Phase 1: the forward pass computes every node's value.", "Phase 2: the backward pass fills in dL/d(node) for every node.",
       "Phase 3: the optimizer moves each parameter against its gradient (green border)."][ph];
  }

  /* --- the moment, and the controls ------------------------------------------------------ */
  function show(u, phase) {
    if (U === 0) return;
    var asked = Math.max(0, Math.min(U - 1, u));
    k = nearestKept(asked); ph = Math.max(0, Math.min(2, phase));
    $("scrub").value = String(k + 1);
    $("counter").textContent = "update " + (k + 1) + " / " + U + " \u00b7 phase " + (ph + 1) + "/3 " + PHASES[ph] +
      (asked !== k ? " (update " + (asked + 1) + " is not kept on this page: the nearest kept one)" : "");
    drawText(); drawGraph(); drawData(); drawLandscape(); drawLoss();
    $("prev").disabled = k === R.kept[0] && ph === 0;
    $("next").disabled = k === R.kept[R.kept.length - 1] && ph === 2;
    document.body.setAttribute("data-update", String(k + 1));
    document.body.setAttribute("data-phase", PHASES[ph]);
  }
  function step(d) {
    var t = k * 3 + ph + d, u = Math.floor(t / 3);
    if (t < 0 || t > U * 3 - 1) return false;
    if (u === k) { show(k, t % 3); return true; }
    u = nextKept(k, d);  /* the next kept update: its first phase going on, its last going back */
    if (u < 0) return false;
    show(u, d > 0 ? 0 : 2);
    return true;
  }
  function move(d) { var u = nextKept(k, d); if (u >= 0) show(u, ph); }
  function play() {
    if (timer !== null) { pause(); return; }
    if (k === R.kept[R.kept.length - 1] && ph === 2) show(0, 0);
    var rate = parseFloat($("speed").value);
    timer = setInterval(function () { if (!step(1)) pause(); }, 1000 / rate);
    $("play").textContent = "\u23F8 pause";
    document.body.setAttribute("data-playing", "true");
  }
  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = "\u25B6 play";
    document.body.setAttribute("data-playing", "false");
  }

  function header() {
    var about = R.description + ", " + R.loss_name.toUpperCase() + " loss, " + U + " updates over " +
      (U ? R.epoch[U - 1] : 0) + " epochs on " + N + " samples (" + R.engine + " engine).";
    $("about").textContent = about;
    var notes = [];
    if (R.kept_note) notes.push(R.kept_note);
    else if (R.detail_note) notes.push("Every update's numbers are here.");
    if (R.detail_note) notes.push(R.detail_note);
    if (R.engine === "tensor") notes.push("This run used the Tensor engine; the graph panel draws the same loss on the " +
      "scalar Value engine, one small graph per sample, from the recorded parameters.");
    if (R.max_stable_lr !== null && !R.diverged) notes.push((R.optimizer === "sgd" ?
      "Every one-sample step shrinks its sample's error only for lr < " : R.plain ?
      "Full-batch gradient descent is stable here for lr < " : "Its full-batch steps are stable here for lr < ") +
      fmt(R.max_stable_lr) + "; this run used lr = " + fmt(R.lr) + ".");
    if (R.standardized) notes.push("The features are standardized, as fit(..., standardize=True) trains on them: " +
      R.standardized + "; the data panel, the landscape and the parameters are on them.");
    $("notes").textContent = notes.join(" ");
    if (R.diverged) {
      var d = $("diverged");
      d.hidden = false;
      d.textContent = "This run diverged, and the replay ends at the update where it blew up: " + R.diverged + (R.max_stable_lr !== null ? ". Stable-lr bound: lr < " + fmt(R.max_stable_lr) + ", and this run used lr = " +
        fmt(R.lr) + " (" + fmt(R.lr / R.max_stable_lr) + " times the bound)." : ".");
    }
  }

  /* "continue in the lab": update k as a live-lab state (its link text after "#"): the points,
     the parameters before the update, the run so far and the rest of this epoch's batches. A run
     the lab cannot hold whole (more than R.lab.updates updates so far, or some not kept on this
     page) goes on in the lab as a new run from update k's parameters, with the same batches. */
  function labWhole(u) { return u <= R.lab.updates && R.kept[u] === u && R.epoch[u] <= R.lab.updates + 1; }
  function labState(u) {
    var e = R.epoch[u], first = u, last = u, batches = [], seen = 0;
    while (first > 0 && R.epoch[first - 1] === e) first--;
    while (last + 1 < U && R.epoch[last + 1] === e) last++;
    for (var j = first; j <= last; j++) { batches.push(batchOf(j)); seen += batchOf(j).length; }
    var order = [].concat.apply([], batches), inOrder = order.every(function (v, i) { return v === i; });
    var size = batches[0].length, opt = R.optimizer === "sgd" || R.optimizer === "minibatch" ? R.optimizer : "gd";
    for (var r = seen; inOrder && r < N; r += size) {  /* a run that ended inside the epoch: the rest in order */
      var rest = [];
      for (var q = r; q < Math.min(N, r + size); q++) rest.push(q);
      batches.push(rest);
    }
    return { v: 1, x: R.X.map(function (row) { return row[0]; }), y: R.y, names: [R.feature_names[0], R.target_name],
      settings: { loss: R.loss_name, engine: R.engine, optimizer: "gd", lr: R.lr, batching: opt,
        batch_size: opt === "minibatch" ? size : 2, order: inOrder ? "in order" : "shuffled", drop_last: false, seed: 0, options: {} },
      memory: {}, position: { epoch: labWhole(u) || e <= R.lab.updates + 1 ? e : 1, batches: batches, index: u - first, rng: null },
      path: labWhole(u) ? R.before.slice(0, u + 1) : [R.before[u]] };
  }
  function toLab() {
    var box = $("lab-link");
    if (D !== 1 || !R.bias) { box.hidden = false; $("lab-update").textContent = "-- the lab shows one feature with a bias, this run has " + D; return; }
    if (N > R.lab.points) { box.hidden = false; $("lab-update").textContent = "-- the lab takes at most " + R.lab.points + " points, this run has " + N; return; }
    var code = "s=" + encodeURIComponent(JSON.stringify(labState(k)));
    box.hidden = false;
    $("lab-update").textContent = "update " + (k + 1) + " (w = " + fmt(R.before[k][0]) + ", b = " + fmt(R.before[k][1]) + ")" +
      (labWhole(k) ? "" : ", as a new run (the lab holds runs of up to " + R.lab.updates + " updates, so its path starts here)");
    $("lab-code").value = "#" + code;
    $("lab-code-shown").textContent = code;
    $("lab-code").select();
  }
  $("to-lab").addEventListener("click", function () { pause(); toLab(); });

  header();
  if (U === 0) { $("counter").textContent = "no updates were recorded"; return; }
  $("scrub").max = String(U);
  setupData(); setupLandscape(); setupLoss();
  $("first").addEventListener("click", function () { pause(); show(0, 0); });
  $("last").addEventListener("click", function () { pause(); show(U - 1, 2); });
  $("prev").addEventListener("click", function () { pause(); step(-1); });
  $("next").addEventListener("click", function () { pause(); step(1); });
  $("prev-step").addEventListener("click", function () { pause(); move(-1); });
  $("next-step").addEventListener("click", function () { pause(); move(1); });
  $("play").addEventListener("click", play);
  $("speed").addEventListener("change", function () { if (timer !== null) { pause(); play(); } });
  $("scrub").addEventListener("input", function () { show(parseInt($("scrub").value, 10) - 1, ph); });
  $("sample").addEventListener("change", function () { sample = parseInt($("sample").value, 10); drawGraph(); });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "SELECT" || tag === "INPUT") return;
    if (e.target && e.target.id === "graph" && e.key.indexOf("Arrow") === 0) return;  // scroll the graph
    var handled = true;
    if (e.key === "ArrowRight" && e.shiftKey || e.key === "PageDown") { pause(); move(1); }
    else if (e.key === "ArrowLeft" && e.shiftKey || e.key === "PageUp") { pause(); move(-1); }
    else if (e.key === "ArrowRight") { pause(); step(1); }
    else if (e.key === "ArrowLeft") { pause(); step(-1); }
    else if (e.key === " ") play();
    else if (e.key === "Home") { pause(); show(0, 0); }
    else if (e.key === "End") { pause(); show(U - 1, 2); }
    else if (e.key === "+" || e.key === "=") setZoom((zoom || 1) * 1.25);
    else if (e.key === "-") setZoom((zoom || 1) / 1.25);
    else handled = false;
    if (handled) e.preventDefault();
  });
  show(0, 0);
})();
