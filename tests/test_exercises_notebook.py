"""notebooks/exercises.ipynb on a real kernel: as shipped every check cell says "not done yet";
with the stubs filled in (right answers, and one wrong) the check cells pass or explain."""

from __future__ import annotations

from pathlib import Path

import nbformat

from notebooks import NOTEBOOKS, cell_text, find_cell, run_notebook
from tinygrad_lr.exercises import EXERCISES

SOLUTIONS = Path(__file__).parent / "exercise_solutions"

# what each filled stub cell becomes: the answer module's text, then the names the check cell uses
FILLED = {
    1: "local_derivatives = right",
    2: "grad_one_sample = half",  # a wrong one: the notebook must explain it
    3: "grad_dataset = right",
    4: "",  # update and gd are already so named
    5: "sgd = right",
    6: "",
    7: "grad_bce = right",
}


def test_shipped_notebook_says_not_done_for_every_exercise():
    nb = run_notebook("exercises.ipynb")
    for ex in EXERCISES.values():
        text = cell_text(find_cell(nb, f"check({ex.number}, "))
        assert f"exercise {ex.number}, {ex.title}: NOT DONE" in text, text
        assert "not done yet" in text


def test_filled_in_notebook_passes_and_explains(tmp_path):
    nb = nbformat.read(NOTEBOOKS / "exercises.ipynb", as_version=4)
    for ex in EXERCISES.values():
        cell = next(c for c in nb.cells if c.cell_type == "code" and c.source == ex.code.rstrip("\n"))
        cell.source = (SOLUTIONS / f"ex{ex.number}.py").read_text() + "\n" + FILLED[ex.number]
    path = tmp_path / "filled.ipynb"
    nbformat.write(nb, path)
    done = run_notebook(str(path), cwd=NOTEBOOKS)  # an absolute name: NOTEBOOKS / path is path
    for ex in EXERCISES.values():
        text = cell_text(find_cell(done, f"check({ex.number}, "))
        if ex.number == 2:
            assert (
                ": WRONG" in text and "exactly half of autodiff's: the 2 from the square is missing" in text
            )
        else:
            assert f"exercise {ex.number}, {ex.title}: PASS" in text, text
