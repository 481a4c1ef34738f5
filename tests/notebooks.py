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
