"""The replay widget, exercised by notebooks/replay.ipynb on a real Jupyter kernel."""

from __future__ import annotations

import pytest

from notebooks import cell_text, find_cell, rich_kinds, run_notebook
from tinygrad_lr import LinearRegression, fit

pytest.importorskip("ipywidgets")  # a dev dependency: the widget extra


def test_the_replay_notebook_runs_and_its_widget_answers() -> None:
    nb = run_notebook("replay.ipynb", timeout=300)
    assert cell_text(find_cell(nb, "rec = record(")) == "1000 updates; w, b at the end: [2.0001, 0.9997]\n"
    assert "application/vnd.jupyter.widget-view+json" in rich_kinds(
        find_cell(nb, "view = replay_widget(rec)")
    )
    assert cell_text(find_cell(nb, "view.show(0, 2)")) == "w = 1.4, b = 0.18\n"
    # the phase button and the slider move the same moment
    # update 1000 in phase 2 shows the parameters before it: those of a plain fit of 999 epochs
    model = LinearRegression(w=1.0, b=0.0)
    fit(model, ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse", epochs=999)
    w, b = float(model.weights[0]), model.intercept
    assert cell_text(find_cell(nb, 'buttons["next_phase"]')) == f"0 1\n999 1 w = {w:.6g}, b = {b:.6g}\n"
    folded = find_cell(nb, "folded = replay_widget(study)")
    assert cell_text(folded).startswith("True w = 0, b = 0\n")
    assert "application/vnd.jupyter.widget-view+json" in rich_kinds(folded)
