"""Graphs, Values, Tensors and a History in Jupyter: each shows itself once, as what it is.

The notebook runs on a real kernel (tests/notebooks.py); the no-Graphviz case is checked with
IPython's own display formatter, which is what a notebook calls on a cell's last value.
"""

from __future__ import annotations

import os
import stat

import pytest

from notebooks import cell_text, find_cell, rich_kinds, run_notebook
from tinygrad_lr import LinearRegression, Value, draw_graph, fit, from_arrays, sse
from tinygrad_lr.viz import graphviz_install_hint


@pytest.fixture(scope="module")
def notebook():
    return run_notebook("seeing_the_graph_in_jupyter.ipynb")


def svg_of(cell) -> str:
    (out,) = cell.outputs
    return out["data"]["image/svg+xml"]


def test_each_graph_displays_once_as_svg(notebook) -> None:
    for marker in ("draw_graph(loss)", "loss.draw(fold=True)", "L.draw()"):
        cell = find_cell(notebook, marker)
        assert rich_kinds(cell) == ["image/svg+xml"], (marker, [o.get("output_type") for o in cell.outputs])
        assert len(cell.outputs) == 1 and cell.outputs[0]["output_type"] == "execute_result"
    svg = svg_of(find_cell(notebook, "draw_graph(loss)"))
    assert "L = L1 + L2 + L3" in svg and "grad &#45;40" in svg  # dLoss/dw = -40, drawn
    tensor_svg = svg_of(find_cell(notebook, "L.draw()"))
    for name in ("X (data)", "w (parameter)", "b (parameter)", "y (data)", "f &#45; y"):
        assert name in tensor_svg, name


def test_a_value_is_short_text_and_a_history_a_small_table(notebook) -> None:
    cell = find_cell(notebook, "loss  # a Value")
    assert rich_kinds(cell) == ["text/plain"]
    assert cell_text(cell) == "Value(data=29.0, grad=1.0)"
    cell = find_cell(notebook, "history")
    assert rich_kinds(cell) == ["text/html"] and len(cell.outputs) == 1
    data = cell.outputs[0]["data"]
    assert data["text/plain"].count("\n") < 5 and "1000 epochs" in data["text/plain"]
    assert data["text/html"].count("<tr>") <= 13  # the header, the start and about 10 epochs, of 1000


def test_history_repr_is_a_summary_never_every_epoch() -> None:
    h = fit(LinearRegression(w=1.0, b=0.0), from_arrays([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]), "gd",
            lr=0.01, loss="sse", epochs=1000, progress=False)  # fmt: skip
    text = repr(h)
    assert len(text.splitlines()) == 4 and len(text) < 300
    assert "loss 29 ->" in text and "from w = 1, b = 0" in text
    assert h._repr_html_().count("<td>") == 2 * (1 + len(h.summary_rows()))


def loss_graph():
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    L = sse([w * x + b for x in (1.0, 2.0, 3.0)], [3.0, 5.0, 7.0])
    L.backward()
    return L


def jupyter_shows(obj) -> dict:
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(obj)
    return data


def test_without_dot_jupyter_shows_the_install_command_not_a_traceback(tmp_path, monkeypatch) -> None:
    picture = draw_graph(loss_graph())
    assert set(jupyter_shows(picture)) == {"image/svg+xml", "text/plain"}  # with Graphviz: the SVG
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    data = jupyter_shows(picture)
    assert "image/svg+xml" not in data
    message = data["text/plain"]
    assert graphviz_install_hint() in message and "Traceback" not in message and "\n" not in message


def test_a_failing_dot_is_quoted_in_jupyter(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: something Graphviz says' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    data = jupyter_shows(draw_graph(loss_graph()))
    assert "image/svg+xml" not in data
    assert "Error: something Graphviz says" in data["text/plain"]


def test_value_and_tensor_draw_their_graph() -> None:
    from tinygrad_lr import Tensor

    L = loss_graph()
    assert L.draw().source == draw_graph(L).source
    t = (Tensor([1.0, 2.0], requires_grad=True, name="w") * 2.0).sum()
    assert "w (parameter)" in t.draw().source


def test_the_engines_draw_through_a_registration_not_an_import(monkeypatch) -> None:
    """Value.draw() and Tensor.draw() call what the drawing package registered with the graph
    (import-linter's contract keeps graph, ops, value and tensor from importing viz)."""
    from tinygrad_lr import Tensor, graph

    L = loss_graph()
    t = (Tensor([1.0, 2.0], requires_grad=True, name="w") * 2.0).sum()
    svg = jupyter_shows(L.draw())["image/svg+xml"]  # what a notebook shows for `L.draw()`
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "w (parameter)" in svg
    monkeypatch.setattr(graph, "_display", None)  # as if tinygrad_lr.viz had never been imported
    for node in (L, t):
        with pytest.raises(RuntimeError, match="no drawing code is registered; import tinygrad_lr.viz"):
            node.draw()
    calls = []
    graph.register_display(lambda node, **options: calls.append((node, options)) or "a picture")
    assert L.draw(rankdir="TB") == "a picture" and t.draw() == "a picture"
    assert calls == [(L, {"rankdir": "TB"}), (t, {})]
