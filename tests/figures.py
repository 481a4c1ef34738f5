"""Is a committed picture the one the code next to it draws today? Compared by structure, not pixels.

The docs embed pictures made by the code shown beside them (a page's own code block, or an example
script). Pixel equality would break on every matplotlib or Graphviz upgrade, so the comparison is
the part a reader would notice:

* PNG: the same size in pixels, and nearly the same image -- mean brightness difference below 1 %
  and fewer than 2 % of the pixels visibly different (a moved legend or a different curve fails);
* SVG: the same drawing size and the same texts (every label, number and caption, in order).
"""

from __future__ import annotations

import re
from pathlib import Path

PNG_MEAN_DIFF = 0.01  # on a 0..1 scale: antialiasing differences between versions stay far below
PNG_CHANGED_PIXELS = 0.02  # share of pixels differing by more than 0.25: text or lines that moved


def picture_difference(committed: Path, fresh: Path) -> str | None:
    """``None`` if ``fresh`` draws what ``committed`` shows, else what differs (for the assertion)."""
    if committed.suffix != fresh.suffix:
        return f"{committed.name} is {committed.suffix}, the code drew {fresh.suffix}"
    if committed.suffix == ".png":
        return _png_difference(committed, fresh)
    if committed.suffix == ".svg":
        return _svg_difference(committed, fresh)
    raise ValueError(f"cannot compare {committed.name}: only .png and .svg")


def _png_difference(committed: Path, fresh: Path) -> str | None:
    import numpy as np
    from matplotlib.image import imread

    a, b = imread(committed), imread(fresh)
    if a.shape != b.shape:
        return f"{committed.name} is {a.shape[1]}x{a.shape[0]} px, the code draws {b.shape[1]}x{b.shape[0]}"
    channels = min(a.shape[2], b.shape[2], 3) if a.ndim == 3 else 1
    diff = np.abs(a[..., :channels] - b[..., :channels]) if a.ndim == 3 else np.abs(a - b)
    mean, changed = float(diff.mean()), float((diff.max(axis=-1) > 0.25).mean()) if a.ndim == 3 else 0.0
    if mean > PNG_MEAN_DIFF or changed > PNG_CHANGED_PIXELS:
        return f"{committed.name} differs from what the code draws ({changed:.1%} of pixels changed)"
    return None


def _svg_texts(svg: str) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]


def _svg_size(svg: str) -> tuple[str, str]:
    m = re.search(r'<svg[^>]*\swidth="([^"]+)"[^>]*\sheight="([^"]+)"', svg, re.S)
    return (m.group(1), m.group(2)) if m else ("?", "?")


def _svg_difference(committed: Path, fresh: Path) -> str | None:
    a, b = committed.read_text(encoding="utf-8"), fresh.read_text(encoding="utf-8")
    if _svg_size(a) != _svg_size(b):
        return f"{committed.name} is {_svg_size(a)}, the code draws {_svg_size(b)}"
    ta, tb = _svg_texts(a), _svg_texts(b)
    if ta != tb:
        gone, new = [t for t in ta if t not in tb][:5], [t for t in tb if t not in ta][:5]
        return f"{committed.name} has other texts than the code draws: only in the file {gone}, drawn {new}"
    return None
