"""Run a notebook of ``notebooks/`` on a real Jupyter kernel and read its outputs.

The kernel is ipykernel from the same environment as the tests (its built-in ``python3`` spec),
so a notebook imports the package under test. ``run_notebook`` executes every cell in order and
fails on the first cell that raises, naming the cell; the executed notebook is returned so a
test can assert on the printed numbers and on the kinds of rich output (``image/svg+xml``,
``image/png``, ``text/html``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def run_notebook(name: str, timeout: int = 120, cwd: Path | None = None) -> Any:
    """Execute ``notebooks/<name>`` top to bottom in a fresh kernel; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or NOTEBOOKS)}},
    )
    client.execute()
    return nb


def cell_text(cell: Any) -> str:
    """Everything a code cell printed (stdout streams and text/plain results), joined."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
    return "".join(parts)


def rich_kinds(cell: Any) -> list[str]:
    """The richest MIME type of each display output of a cell, in order (e.g. ``["image/svg+xml"]``)."""
    order = ("image/svg+xml", "image/png", "text/html", "application/vnd.jupyter.widget-view+json")
    kinds = []
    for out in cell.get("outputs", []):
        data = out.get("data")
        if not data:
            continue
        kinds.append(next((k for k in order if k in data), "text/plain"))
    return kinds


def find_cell(nb: Any, marker: str) -> Any:
    """The first code cell whose source contains ``marker`` (a test names cells by their content)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and marker in cell.source:
            return cell
    raise AssertionError(f"no code cell contains {marker!r}")


# The notebooks whose outputs are committed, so their figures show on the repository's web page
# (GitHub renders a stored notebook with its outputs). tools/update_notebooks.py writes them;
# tests/test_notebooks.py checks they are what a fresh run shows today.
STORED = [
    "01_worked_example.ipynb",
    "02_gd_sgd_minibatch.ipynb",
    "03_check_your_gradient.ipynb",
    "04_seeing_a_fit.ipynb",
    "05_predict_then_run.ipynb",
    "06_logistic_regression.ipynb",
    "seeing_the_graph_in_jupyter.ipynb",
]


def _png_pixels(b64: str) -> Any:
    import base64
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGBA"), dtype=np.int16)


def _joined(text: Any) -> Any:
    """A stored notebook keeps a text as a list of lines; a fresh run's is one string."""
    return "".join(text) if isinstance(text, list) else text


def _stream(cell: Any, name: str) -> str:
    return "".join(_joined(o["text"]) for o in cell.get("outputs", []) if o.get("name") == name)


def _plain(text: Any) -> str:
    """A text output, without the memory address a default repr shows (``<... at 0x7f...>``)."""
    import re

    return re.sub(r" at 0x[0-9a-f]+", " at 0x...", _joined(text))


def output_differences(stored: Any, fresh: Any) -> list[str]:
    """Where the outputs a notebook stores differ from a fresh run's: every stream, text and HTML
    exactly, every SVG exactly, every PNG pixel for pixel (its bytes may differ with the zlib
    that wrote it); ``[]`` when they agree. Metadata (timings, ids) is not compared."""
    out: list[str] = []
    stored_cells = [c for c in stored["cells"] if c["cell_type"] == "code"]
    fresh_cells = [c for c in fresh["cells"] if c["cell_type"] == "code"]

    def source(cell: Any) -> str:  # a stored notebook keeps it as a list of lines
        return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]

    if [source(c) for c in stored_cells] != [source(c) for c in fresh_cells]:
        return ["the code cells differ"]
    for k, (s, f) in enumerate(zip(stored_cells, fresh_cells), 1):
        where = f"code cell {k} ({source(f).splitlines()[0][:40]!r})"
        for name in ("stdout", "stderr"):  # a stream may arrive in one piece or several
            a, b = _stream(s, name), _stream(f, name)
            if a != b:
                out.append(f"{where}: printed {a[:60]!r} to {name}, now {b[:60]!r}")
        shown = [o for o in s.get("outputs", []) if o["output_type"] != "stream"]
        now = [o for o in f.get("outputs", []) if o["output_type"] != "stream"]
        if len(shown) != len(now):
            out.append(f"{where}: {len(shown)} results stored, {len(now)} now")
            continue
        for a, b in zip(shown, now):
            if a["output_type"] != b["output_type"] or set(a.get("data", {})) != set(b.get("data", {})):
                out.append(f"{where}: a {a['output_type']} {sorted(a.get('data', {}))} stored, "
                           f"a {b['output_type']} {sorted(b.get('data', {}))} now")
                continue
            for kind, value in a.get("data", {}).items():
                if kind == "image/png":
                    pa, pb = _png_pixels(_joined(value)), _png_pixels(_joined(b["data"][kind]))
                    if pa.shape != pb.shape or (pa != pb).any():
                        out.append(f"{where}: the picture differs")
                elif _plain(value) != _plain(b["data"][kind]):
                    out.append(f"{where}: its {kind} differs")
    return out
