/* Panels 1 and 2: the computation graph (Graphviz's SVG template, its labels written in by each
   view, as the replay page does) and the chain-rule step of the selected node. Zoom with the
   buttons or + / -, pan by dragging, click (or Enter on) a box to select it. */
(function () {
  "use strict";
  var P = window.LabPlots, fmt = P.fmt;
  var READABLE = 0.7;  /* the smallest node text (12 pt = 16 px) stays above 11 px */

  function LabGraph(onSelect) {
    this.box = document.getElementById("graph");
    this.templates = {};
    this.shown = null;
    this.zoom = null;
    this.onSelect = onSelect;
    this.selected = null;
    this.frame = null;
    var self = this;
    document.getElementById("zoom-in").addEventListener("click", function () { self.setZoom(self.zoom * 1.25); });
    document.getElementById("zoom-out").addEventListener("click", function () { self.setZoom(self.zoom / 1.25); });
    document.getElementById("zoom-fit").addEventListener("click", function () { self.fit(); });
    this.box.addEventListener("keydown", function (e) {
      if (e.key === "+" || e.key === "=") { self.setZoom(self.zoom * 1.25); e.preventDefault(); }
      else if (e.key === "-") { self.setZoom(self.zoom / 1.25); e.preventDefault(); }
    });
    var drag = null;  /* pan by dragging with the mouse (touch screens pan natively) */
    this.box.addEventListener("pointerdown", function (e) {
      if (e.pointerType !== "mouse") return;
      drag = { x: e.clientX, y: e.clientY, left: self.box.scrollLeft, top: self.box.scrollTop, moved: false };
    });
    window.addEventListener("pointermove", function (e) {
      if (!drag) return;
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 4) { drag.moved = true; self.box.classList.add("dragging"); }
      self.box.scrollLeft = drag.left - (e.clientX - drag.x);
      self.box.scrollTop = drag.top - (e.clientY - drag.y);
    });
    window.addEventListener("pointerup", function () { self.box.classList.remove("dragging"); setTimeout(function () { drag = null; }, 0); });
    this.box.addEventListener("click", function (e) {
      if (drag && drag.moved) return;
      var g = e.target.closest ? e.target.closest("g.node") : null;
      if (g && g.getAttribute("data-nid")) self.select(g.getAttribute("data-nid"));
    });
    this.box.addEventListener("keydown", function (e) {
      var g = e.target.closest ? e.target.closest("g.node") : null;
      if (g && (e.key === "Enter" || e.key === " ")) { self.select(g.getAttribute("data-nid")); e.preventDefault(); }
    });
  }

  LabGraph.prototype.template = function (id, svgText) {
    if (this.templates[id]) return this.templates[id];
    if (!svgText) return null;
    var div = document.createElement("div");
    div.className = "template";
    div.hidden = true;
    div.innerHTML = svgText;
    var svg = div.querySelector("svg"), nodes = {};
    Array.prototype.forEach.call(div.querySelectorAll("g.node"), function (g) {
      var t = g.querySelector("title");
      if (!t) return;
      nodes[t.textContent] = g;  /* values (n7), operations (n7op), broadcast copies */
      if (!/^n\d+$/.test(t.textContent)) return;
      g.setAttribute("data-nid", t.textContent);
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
    });
    this.box.appendChild(div);
    var t = { div: div, svg: svg, nodes: nodes, natural: svg.viewBox.baseVal.width * 4 / 3 };
    this.templates[id] = t;
    return t;
  };

  LabGraph.prototype.setZoom = function (z) {
    if (!this.shown) return;
    this.zoom = Math.max(READABLE / 2, Math.min(3, z));
    this.shown.svg.style.width = (this.shown.natural * this.zoom) + "px";
    document.getElementById("zoom-level").textContent = Math.round(this.zoom * 100) + "%";
  };
  LabGraph.prototype.fit = function () {
    if (!this.shown) return;
    this.setZoom(Math.min(1, Math.max(READABLE, (this.box.clientWidth - 4) / this.shown.natural)));
  };

  /* Show a graph frame of a view: its template, the label lines, each node's numbers. */
  LabGraph.prototype.show = function (frame) {
    var note = document.getElementById("graph-note");
    this.frame = frame;
    if (frame.error) {
      if (this.shown) this.shown.div.hidden = true;
      this.shown = null;
      note.textContent = frame.error;
      return;
    }
    var t = this.template(frame.template, frame.svg);
    if (!t) { note.textContent = "(the graph's layout is on its way)"; return; }
    if (this.shown !== t) {
      if (this.shown) this.shown.div.hidden = true;
      t.div.hidden = false;
      var first = this.shown === null;
      this.shown = t;
      if (first || this.zoom === null) this.fit(); else this.setZoom(this.zoom);
    }
    note.textContent = frame.folded ? "Each sample's subgraph is folded into one box (ranges over the samples); " +
      "w and b show the gradient summed over the batch." : "";
    for (var nid in t.nodes) {
      var g = t.nodes[nid], lines = frame.labels[nid], n = frame.nodes[nid];
      if (!lines) continue;
      var texts = g.querySelectorAll("text");
      for (var i = 0; i < texts.length && i < lines.length; i++) texts[i].textContent = lines[i];
      if (!n) continue;
      g.setAttribute("data-name", n.name);
      g.setAttribute("data-data", JSON.stringify(n.range ? n.range.data : n.data));
      g.setAttribute("data-grad", JSON.stringify(n.range ? n.range.grad : n.grad));
      g.setAttribute("aria-label", lines.join(", ") + ": show its chain-rule step");
      g.classList.toggle("selected", nid === this.selected);
    }
    if (!frame.nodes[this.selected]) this.selected = firstNode(frame);
    this.chain();
  };

  function firstNode(frame) {
    var ids = Object.keys(frame.nodes);
    for (var i = 0; i < ids.length; i++) if (frame.nodes[ids[i]].name === "w") return ids[i];
    return ids[0] || null;
  }

  LabGraph.prototype.select = function (nid) {
    if (!this.frame || !this.frame.nodes || !this.frame.nodes[nid]) return;
    this.selected = nid;
    if (this.shown) {
      for (var k in this.shown.nodes) this.shown.nodes[k].classList.toggle("selected", k === nid);
    }
    this.chain();
    if (this.onSelect) this.onSelect(nid);
  };

  /* A cell of the chain-rule table: a text, or a number with its full precision in data-value. */
  function cell(td, value, key) {
    if (typeof value === "string") {
      P.attr(td, "class", null);
      P.attr(td, "data-key", null); P.attr(td, "data-value", null);
      P.text(td, value);
      return;
    }
    P.attr(td, "class", "num");
    P.attr(td, "data-key", key);
    P.attr(td, "data-value", JSON.stringify(value));
    P.text(td, Array.isArray(value) ? "[" + value.map(fmt).join(", ") + "]" : fmt(value));
  }
  function row(body, i) {  /* the i-th row of the table, made once and then reused */
    var tr = body.rows[i];
    if (tr && tr.cells.length === 4) return tr;
    if (tr) body.removeChild(tr);
    tr = document.createElement("tr");
    for (var k = 0; k < 4; k++) tr.appendChild(document.createElement("td"));
    body.insertBefore(tr, body.rows[i] || null);
    return tr;
  }

  /* Panel 2: the selected node's chain-rule step, its numbers at full precision (a parameter of
     200 samples has 200 uses: their rows are kept and only their numbers written anew). */
  LabGraph.prototype.chain = function () {
    var n = this.frame && this.frame.nodes ? this.frame.nodes[this.selected] : null;
    var body = document.querySelector("#chain-terms tbody");
    if (!n) { P.clear(body); P.text(document.getElementById("chain-caption"), ""); return; }
    var step = n.step;
    P.text(document.getElementById("chain-node"), n.name + (n.range ? " (sample 1 of the folded box)" : ""));
    var cap = document.getElementById("chain-caption");
    P.text(cap, step.caption);
    P.attr(cap, "data-key", "chain.grad");
    P.attr(cap, "data-value", JSON.stringify(step.grad));
    P.attr(cap, "data-node", this.selected);
    step.terms.forEach(function (c, i) {
      var td = row(body, i).cells;
      cell(td[0], c.consumer);
      cell(td[1], c.upstream, "chain.upstream." + i);
      if (c.local === null) cell(td[2], c.local_expr); else cell(td[2], c.local, "chain.local." + i);
      cell(td[3], c.value, "chain.value." + i);
    });
    var keep = step.terms.length;
    if (!keep) {
      P.clear(body);
      var tr = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 4;
      td.textContent = n.name === "L" ? "the loss itself: dL/dL = 1" : "no use of this node leads to the loss";
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    while (body.rows.length > keep) body.removeChild(body.rows[keep]);
  };

  window.LabGraph = LabGraph;
})();
