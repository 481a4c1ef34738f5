/* The lab's three plots -- the data with the line, the loss landscape, the loss curve -- drawn as
   SVG from the numbers of a view. Nothing here computes a loss, a gradient or an update: every
   number comes from the server (the engine); the page only places them on axes. Each number an
   element stands for is kept at full precision in its data-* attributes. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

  /* A number as Python's "%.6g" writes it, so the page and the graph's labels agree. */
  function fmt(x) {
    if (x === null || x === undefined) return "?";
    if (isNaN(x)) return "nan";
    if (!isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return "0";
    var e = parseInt(x.toExponential(5).split("e")[1], 10), s;
    if (e < -4 || e >= 6) {
      var parts = x.toExponential(5).split("e");
      var m = parts[0].indexOf(".") >= 0 ? parts[0].replace(/0+$/, "").replace(/\.$/, "") : parts[0];
      var ex = Math.abs(e);
      s = m + "e" + (e < 0 ? "-" : "+") + (ex < 10 ? "0" : "") + ex;
    } else {
      s = x.toFixed(5 - e);
      if (s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    }
    return s === "-0" ? "0" : s;
  }
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVGNS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (parent) parent.appendChild(e);
    return e;
  }
  /* Set an attribute, or a text, only when it changes: a drag of w moves the line and the residuals,
     not the 200 points, and the browser then restyles only what moved. */
  function attr(e, name, value) {  /* null: no such attribute */
    var c = e.labAttrs || (e.labAttrs = {});
    value = value === null ? null : String(value);
    if (c[name] === value) return;
    if (value === null) e.removeAttribute(name); else e.setAttribute(name, value);
    c[name] = value;
  }
  function text(e, value) {
    if (e.labText !== value) { e.textContent = value; e.labText = value; }
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function niceTicks(lo, hi, count) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    var err = (hi - lo) / count / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function span(values, pad) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) { lo -= 1; hi += 1; }
    var p = (hi - lo) * pad;
    return [lo - p, hi + p];
  }

  /* --- a plot frame: margins, scales both ways, axes ------------------------------------- */
  function Frame(svg, xr, yr, xlabel, ylabel, logy) {
    var box = svg.viewBox.baseVal, L = 58, R = 10, T = 8, B = 38;
    this.svg = svg; this.xr = xr; this.yr = yr; this.logy = !!logy;
    this.x0 = L; this.x1 = box.width - R; this.y0 = box.height - B; this.y1 = T;
    clear(svg);
    this.back = el("g", {}, svg);
    var axes = el("g", { "class": "axes" }, svg);
    this.plot = el("g", {}, svg);
    this.top = el("g", {}, svg);
    var self = this;
    el("rect", { x: L, y: T, width: this.x1 - L, height: this.y0 - T, "class": "frame" }, axes);
    niceTicks(xr[0], xr[1], 6).forEach(function (v) {
      var x = self.sx(v);
      el("line", { x1: x, x2: x, y1: self.y0, y2: self.y0 + 4, "class": "tick" }, axes);
      el("text", { x: x, y: self.y0 + 16, "class": "ticklabel", "text-anchor": "middle" }, axes).textContent = fmt(v);
    });
    var yt = this.logy ? logTicks(yr) : niceTicks(yr[0], yr[1], 5);
    yt.forEach(function (v) {
      var y = self.sy(self.logy ? Math.log10(v) : v);
      el("line", { x1: L - 4, x2: L, y1: y, y2: y, "class": "tick" }, axes);
      el("text", { x: L - 6, y: y + 4, "class": "ticklabel", "text-anchor": "end" }, axes).textContent = fmt(v);
    });
    el("text", { x: (L + this.x1) / 2, y: box.height - 4, "class": "axislabel", "text-anchor": "middle" }, axes).textContent = xlabel;
    el("text", { x: 12, y: (T + this.y0) / 2, "class": "axislabel", "text-anchor": "middle",
      transform: "rotate(-90 12 " + ((T + this.y0) / 2) + ")" }, axes).textContent = ylabel;
  }
  Frame.prototype.sx = function (v) { return this.x0 + (v - this.xr[0]) / (this.xr[1] - this.xr[0]) * (this.x1 - this.x0); };
  Frame.prototype.sy = function (v) { return this.y0 - (v - this.yr[0]) / (this.yr[1] - this.yr[0]) * (this.y0 - this.y1); };
  Frame.prototype.ix = function (px) { return this.xr[0] + (px - this.x0) / (this.x1 - this.x0) * (this.xr[1] - this.xr[0]); };
  Frame.prototype.iy = function (py) { return this.yr[0] + (this.y0 - py) / (this.y0 - this.y1) * (this.yr[1] - this.yr[0]); };
  Frame.prototype.inside = function (px, py) { return px >= this.x0 && px <= this.x1 && py >= this.y1 && py <= this.y0; };
  /* the pointer's position in the SVG's own coordinates */
  Frame.prototype.at = function (evt) {
    var pt = this.svg.createSVGPoint();
    pt.x = evt.clientX; pt.y = evt.clientY;
    var p = pt.matrixTransform(this.svg.getScreenCTM().inverse());
    return [p.x, p.y];
  };
  function logTicks(yr) {
    var out = [];
    for (var e = Math.floor(yr[0]); e <= Math.ceil(yr[1]); e++) {
      if (e >= yr[0] - 1e-9 && e <= yr[1] + 1e-9) out.push(Math.pow(10, e));
    }
    if (out.length < 2) out = niceTicks(Math.pow(10, yr[0]), Math.pow(10, yr[1]), 3).filter(function (v) { return v > 0; });
    return out;
  }
  function clampPx(v) { return Math.max(-1e5, Math.min(1e5, v)); }

  /* --- 3. the data, the line f = w x + b and the residuals f - y --------------------------- */
  /* The y axis holds the points and the line's predictions at them; it keeps still while they
     stay inside it and fill at least a third of it. */
  function dataRanges(v) {
    return [v.data.range, span(v.data.y.concat(v.data.f), 0.12)];
  }
  function fits(f, v) {
    var need = span(v.data.y.concat(v.data.f), 0), have = f.yr;
    return need[0] >= have[0] && need[1] <= have[1] && (need[1] - need[0]) >= (have[1] - have[0]) / 3;
  }
  /* The frame and its elements are made when the points change (count, values, names) and kept
     while only w and b change (or while a point is dragged): then only attributes move. */
  function drawData(svg, v, keep, selected, frozen) {
    var d = v.data, names = v.names, n = d.x.length;
    var key = JSON.stringify([d.x, d.y, d.range, names]);
    var f = keep && keep.points.length === n && (frozen || (keep.dataKey === key && fits(keep, v))) ? keep : null;
    if (!f) {
      var r = dataRanges(v);
      f = new Frame(svg, r[0], r[1], names[0], names[1]);
      var clip = el("clipPath", { id: "data-clip" }, svg);
      el("rect", { x: f.x0, y: f.y1, width: f.x1 - f.x0, height: f.y0 - f.y1 }, clip);
      f.plot.setAttribute("clip-path", "url(#data-clip)");
      f.fit = el("line", { "class": "fit" }, f.plot);
      el("title", {}, f.fit);
      f.residuals = d.x.map(function (x, i) { var s = el("line", { "data-i": i }, f.plot); el("title", {}, s); return s; });
      f.points = d.x.map(function (x, i) {
        var c = el("circle", { r: 6, "data-i": i, tabindex: 0, role: "button" }, f.top);
        el("title", {}, c);
        return c;
      });
    }
    f.dataKey = key;
    var inBatch = {};
    v.batch.forEach(function (i) { inBatch[i] = true; });
    var fit = f.fit;
    fit.setAttribute("x1", f.sx(d.range[0])); fit.setAttribute("y1", clampPx(f.sy(d.line[0])));
    fit.setAttribute("x2", f.sx(d.range[1])); fit.setAttribute("y2", clampPx(f.sy(d.line[1])));
    fit.setAttribute("data-x", JSON.stringify(d.range)); fit.setAttribute("data-f", JSON.stringify(d.line));
    fit.firstChild.textContent = "the line f = w*x + b with w = " + fmt(v.params.w) + ", b = " + fmt(v.params.b);
    d.x.forEach(function (x, i) {
      var seg = f.residuals[i], c = f.points[i], px = f.sx(x), py = clampPx(f.sy(d.y[i]));
      attr(seg, "x1", px); attr(seg, "x2", px); attr(seg, "y1", py); attr(seg, "y2", clampPx(f.sy(d.f[i])));
      attr(seg, "class", "residual" + (inBatch[i] ? " batch" : ""));
      attr(seg, "data-f", d.f[i]); attr(seg, "data-r", d.r[i]);
      text(seg.firstChild, "point " + (i + 1) + ": f = " + fmt(d.f[i]) + ", residual f - y = " + fmt(d.r[i]));
      var said = "point " + (i + 1) + ": " + names[0] + " = " + fmt(x) + ", " + names[1] + " = " + fmt(d.y[i]);
      attr(c, "cx", px); attr(c, "cy", py);
      attr(c, "class", "point" + (inBatch[i] ? " batch" : "") + (selected === i ? " selected" : ""));
      attr(c, "data-x", x); attr(c, "data-y", d.y[i]);
      attr(c, "aria-label", said);
      text(c.firstChild, said + "; drag to move it");
    });
    return f;
  }

  /* --- 4. the landscape: the engine's grid of losses, the path, the point, the arrow ------- */
  function colour(t) {
    var a = [255, 248, 225], b = [21, 101, 192];
    var u = Math.max(0, Math.min(1, t));
    return "rgb(" + [0, 1, 2].map(function (j) { return Math.round(a[j] + u * (b[j] - a[j])); }).join(",") + ")";
  }
  /* The engine's grid of losses as one image: a pixel per grid point, stretched (and smoothed)
     over the axes; colour by log(loss), light low, blue high. */
  function drawLandscapeCells(svg, land, names) {
    var win = land.window, G = land.grid;
    var f = new Frame(svg, [win[0], win[1]], [win[2], win[3]], "w", "b");
    var vals = land.loss, lo = Infinity, hi = -Infinity;
    vals.forEach(function (v) { if (isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (!isFinite(lo)) { lo = 1; hi = 10; }
    var llo = Math.log(lo), lhi = Math.log(Math.max(hi, lo * 1.0001));
    var canvas = document.createElement("canvas");
    canvas.width = G; canvas.height = G;
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(G, G);
    for (var r = 0; r < G; r++) {
      for (var c = 0; c < G; c++) {
        var v = vals[r * G + c], t = (Math.log(Math.max(v, lo)) - llo) / (lhi - llo);
        var rgb = colour(isFinite(v) ? t : 1).slice(4, -1).split(",");
        var k = ((G - 1 - r) * G + c) * 4;  /* row 0 is the lowest b: the image's bottom row */
        img.data[k] = +rgb[0]; img.data[k + 1] = +rgb[1]; img.data[k + 2] = +rgb[2]; img.data[k + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    var dw = (win[1] - win[0]) / (G - 1) / 2, db = (win[3] - win[2]) / (G - 1) / 2;
    var x0 = f.sx(win[0] - dw), x1 = f.sx(win[1] + dw), y0 = f.sy(win[3] + db), y1 = f.sy(win[2] - db);
    var clip = el("clipPath", { id: "landscape-clip" }, svg);
    el("rect", { x: f.x0, y: f.y1, width: f.x1 - f.x0, height: f.y0 - f.y1 }, clip);
    f.back.setAttribute("clip-path", "url(#landscape-clip)");
    el("image", { href: canvas.toDataURL("image/png"), x: x0, y: y0, width: x1 - x0, height: y1 - y0,
      preserveAspectRatio: "none", "class": "cells" }, f.back);
    return f;
  }
  function arrow(f, from, to, cls, parent) {
    var x1 = f.sx(from[0]), y1 = f.sy(from[1]), x2 = clampPx(f.sx(to[0])), y2 = clampPx(f.sy(to[1]));
    var g = el("g", { "class": cls }, parent);
    el("line", { x1: x1, y1: y1, x2: x2, y2: y2 }, g);
    var ang = Math.atan2(y2 - y1, x2 - x1), len = Math.hypot(x2 - x1, y2 - y1);
    if (len > 3) {
      var h = Math.min(9, len / 2);
      el("polygon", { points: [x2, y2, x2 - h * Math.cos(ang - 0.4), y2 - h * Math.sin(ang - 0.4),
        x2 - h * Math.cos(ang + 0.4), y2 - h * Math.sin(ang + 0.4)].join(" ") }, g);
    }
    return g;
  }
  function drawLandscape(f, v) {
    clear(f.plot); clear(f.top);
    var p = v.params, m = v.minimum;
    var star = el("text", { x: f.sx(m[0]), y: f.sy(m[1]) + 6, "class": "star", "text-anchor": "middle",
      "data-w": String(m[0]), "data-b": String(m[1]) }, f.plot);
    star.textContent = "\u2605";
    el("title", {}, star).textContent = "least squares: w = " + fmt(m[0]) + ", b = " + fmt(m[1]);
    var pts = v.path.map(function (q) { return clampPx(f.sx(q[0])) + "," + clampPx(f.sy(q[1])); });
    el("polyline", { points: pts.join(" "), "class": "path", "data-path": JSON.stringify(v.path) }, f.plot);
    var tip = v.arrow;  /* (w, b) - lr * gradient, computed by the server */
    var a = arrow(f, [p.w, p.b], tip, "gradarrow", f.plot);
    a.setAttribute("data-w", String(tip[0])); a.setAttribute("data-b", String(tip[1]));
    var nxt = v.step_preview;
    if (nxt && nxt.w !== undefined) {
      el("circle", { cx: clampPx(f.sx(nxt.w)), cy: clampPx(f.sy(nxt.b)), r: 4, "class": "next",
        "data-w": String(nxt.w), "data-b": String(nxt.b) }, f.plot);
    }
    var now = el("circle", { cx: f.sx(p.w), cy: f.sy(p.b), r: 8, "class": "now", tabindex: 0, role: "button",
      "aria-label": "the point (w, b) = (" + fmt(p.w) + ", " + fmt(p.b) + "); drag it, or use the arrow keys",
      "data-w": String(p.w), "data-b": String(p.b) }, f.top);
    el("title", {}, now).textContent = "w = " + fmt(p.w) + ", b = " + fmt(p.b) + ", loss " + fmt(v.loss) + "; drag me";
    return now;
  }

  /* --- 5. the loss curve ----------------------------------------------------------------- */
  function drawLoss(svg, v) {
    var losses = v.path.map(function (q) { return q[2]; });
    var fin = losses.filter(function (x) { return isFinite(x); });
    var logy = fin.length > 0 && fin.every(function (x) { return x > 0; });
    var ys = logy ? fin.map(function (x) { return Math.log10(x); }) : fin;
    var yr = span(ys, 0.08);
    var f = new Frame(svg, [0, Math.max(1, losses.length - 1)], yr, "update", v.settings.loss.toUpperCase() + (logy ? " (log scale)" : ""), logy);
    var pts = losses.map(function (x, i) { return f.sx(i) + "," + clampPx(f.sy(logy ? Math.log10(x) : x)); });
    el("polyline", { points: pts.join(" "), "class": "losscurve", "data-losses": JSON.stringify(losses) }, f.plot);
    var last = losses.length - 1;
    el("circle", { cx: f.sx(last), cy: clampPx(f.sy(logy ? Math.log10(losses[last]) : losses[last])), r: 4, "class": "nowloss" }, f.plot);
    return f;
  }

  window.LabPlots = { fmt: fmt, el: el, attr: attr, text: text, clear: clear, Frame: Frame, dataRanges: dataRanges, drawData: drawData,
    drawLandscapeCells: drawLandscapeCells, drawLandscape: drawLandscape, drawLoss: drawLoss };
})();
