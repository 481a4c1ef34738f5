"""The self-contained HTML page that steps through a walkthrough."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from .steps import BackwardStep

_SVG_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_SVG_NAMESPACE = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


def inline_svg(svg: str) -> str:
    """An SVG file's markup as it goes inside HTML: no XML prologue, no namespace URLs.

    The HTML parser puts an inline ``<svg>`` in the SVG namespace by itself, so the
    declarations only add URLs a reader might mistake for network access.
    """
    return _SVG_NAMESPACE.sub("", _SVG_PROLOGUE.sub("", svg)).strip()


def html_page(steps: Sequence[BackwardStep], svgs: Sequence[str]) -> str:
    """The stepping page: every frame inline, one shown at a time; plain JavaScript, no URLs."""
    frames = "\n".join(
        f'<figure class="frame" id="frame-{k + 1}" data-caption="{html.escape(s.caption)}"'
        f"{'' if k == 0 else ' hidden'}>\n{inline_svg(svg)}\n</figure>"
        for k, (s, svg) in enumerate(zip(steps, svgs))
    )
    items = "\n".join(
        f'<li id="item-{k + 1}"><button type="button" class="jump" data-step="{k + 1}">'
        f"{html.escape(s.caption)}</button></li>"
        for k, s in enumerate(steps)
    )
    title = f"The backward pass of {html.escape(steps[0].name)}, step by step"
    return _HTML.format(
        title=title, n=len(steps), caption=html.escape(steps[0].caption), frames=frames, items=items
    )


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1rem 1.5rem; color: #212121; }}
  h1 {{ font-size: 1.4rem; }}
  nav {{ display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin: 0.5rem 0; }}
  nav button {{ font-size: 1rem; padding: 0.3rem 0.9rem; }}
  #caption {{ font-family: ui-monospace, monospace; font-size: 1.05rem; background: #fffde7;
             border-left: 4px solid #d50000; padding: 0.5rem 0.8rem; overflow-wrap: anywhere; }}
  #view:focus-visible {{ outline: 2px solid #1565c0; }}
  #view {{ overflow: auto; max-height: 75vh; border: 1px solid #e0e0e0; cursor: grab;
           touch-action: pan-x pan-y; }}
  #view.dragging {{ cursor: grabbing; user-select: none; }}
  figure.frame {{ margin: 0; }}
  figure.frame svg {{ display: block; height: auto; }}
  ol {{ font-family: ui-monospace, monospace; font-size: 0.9rem; padding-left: 3em; }}
  ol li {{ margin: 0.15rem 0; }}
  ol button {{ all: unset; cursor: pointer; display: block; overflow-wrap: anywhere; }}
  li.current {{ font-weight: bold; color: #d50000; }}
  .help {{ color: #616161; font-size: 0.9rem; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p class="help">The chain rule visits the nodes from the loss back to the leaves. In each step the
highlighted node's gradient is complete: it is the sum, over the node's uses, of
dL/d(use) &times; d(use)/d(node). Gradients not reached yet read <code>grad ?</code>.
Keys: &larr; / &rarr; (also Home / End). Drag the picture to move it; &minus; / + zoom.</p>
<nav>
  <button type="button" id="prev">&larr; previous</button>
  <span id="counter" aria-live="polite">step 1 of {n}</span>
  <button type="button" id="next">next &rarr;</button>
  <span>
    <button type="button" id="zoom-out" aria-label="zoom out">&minus;</button>
    <button type="button" id="zoom-fit">fit</button>
    <button type="button" id="zoom-in" aria-label="zoom in">+</button>
    <span id="zoom"></span>
  </span>
</nav>
<p id="caption">{caption}</p>
<div id="view" tabindex="0" role="region"
     aria-label="the picture of this step: scroll with the arrow keys when focused, or drag it">
{frames}
</div>
<h2>All steps</h2>
<ol>
{items}
</ol>
</main>
<script>
(function () {{
  "use strict";
  var n = {n}, current = 1;
  // every frame has one layout, so one zoom and one scroll position serve them all
  var view = document.getElementById("view");
  var svgs = Array.prototype.slice.call(view.querySelectorAll("svg"));
  var natural = svgs[0].viewBox.baseVal.width * 4 / 3;  // Graphviz's points, in CSS pixels
  var READABLE = 0.7;  // the smallest node text (12 pt = 16 px) stays above 11 px (16 * 0.7 = 11.2)
  var zoom = 1;
  function setZoom(z) {{
    zoom = Math.max(READABLE / 2, Math.min(3, z));
    svgs.forEach(function (s) {{ s.style.width = (natural * zoom) + "px"; }});
    document.getElementById("zoom").textContent = Math.round(zoom * 100) + "%";
  }}
  function fit() {{
    setZoom(Math.min(1, Math.max(READABLE, (view.clientWidth - 2) / natural)));
  }}
  function show(k) {{
    if (k < 1 || k > n) return;
    document.getElementById("frame-" + current).hidden = true;
    document.getElementById("item-" + current).classList.remove("current");
    current = k;
    var frame = document.getElementById("frame-" + k);
    frame.hidden = false;
    document.getElementById("item-" + k).classList.add("current");
    document.getElementById("caption").textContent = frame.getAttribute("data-caption");
    document.getElementById("counter").textContent = "step " + k + " of " + n;
    document.getElementById("prev").disabled = k === 1;
    document.getElementById("next").disabled = k === n;
  }}
  document.getElementById("prev").addEventListener("click", function () {{ show(current - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ show(current + 1); }});
  document.getElementById("zoom-in").addEventListener("click", function () {{ setZoom(zoom * 1.25); }});
  document.getElementById("zoom-out").addEventListener("click", function () {{ setZoom(zoom / 1.25); }});
  document.getElementById("zoom-fit").addEventListener("click", fit);
  Array.prototype.forEach.call(document.querySelectorAll("button.jump"), function (b) {{
    b.addEventListener("click", function () {{ show(parseInt(b.getAttribute("data-step"), 10)); }});
  }});
  document.addEventListener("keydown", function (e) {{
    if (e.target === view && e.key.indexOf("Arrow") === 0) return;  // the focused picture scrolls
    if (e.key === "ArrowRight" || e.key === "ArrowDown") {{ show(current + 1); e.preventDefault(); }}
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") {{ show(current - 1); e.preventDefault(); }}
    else if (e.key === "Home") {{ show(1); e.preventDefault(); }}
    else if (e.key === "End") {{ show(n); e.preventDefault(); }}
    else if (e.key === "+" || e.key === "=") {{ setZoom(zoom * 1.25); }}
    else if (e.key === "-") {{ setZoom(zoom / 1.25); }}
  }});
  var drag = null;  // pan by dragging with the mouse (touch screens pan natively)
  view.addEventListener("pointerdown", function (e) {{
    if (e.pointerType !== "mouse") return;
    drag = {{ x: e.clientX, y: e.clientY, left: view.scrollLeft, top: view.scrollTop }};
    view.classList.add("dragging");
  }});
  window.addEventListener("pointermove", function (e) {{
    if (!drag) return;
    view.scrollLeft = drag.left - (e.clientX - drag.x);
    view.scrollTop = drag.top - (e.clientY - drag.y);
  }});
  window.addEventListener("pointerup", function () {{ drag = null; view.classList.remove("dragging"); }});
  fit();
  show(1);
}})();
</script>
</body>
</html>
"""
