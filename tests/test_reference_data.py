"""The classic published run of SOURCE.md section 1, on the reference data set it used.

The workplace keeps the tutorial's original ``data.csv`` (100 points, hours studied vs score)
in ``../shared/data/study_hours.csv``, beside the repository; the project does not ship a copy.
The tutorial's own program prints, for GD from b = 0, m = 0 with learning rate 0.0001:

    Starting gradient descent at b = 0, m = 0, error = 5565.107834483211
    After 1000 iterations b = 0.08893651993741346, m = 1.4777440851894448, error = 112.61481011613473

(its gradient loop is correct in that program: it accumulates with ``+=``). Our numbers come from
the framework's loader, model, MSE loss, autodiff and GD, so they sum the same float64 terms in
another order: agreement to 1e-9 relative is what a correct engine gives, a wrong gradient misses
by orders of magnitude.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tinygrad_lr import LinearRegression, fit, load_csv
from tinygrad_lr.compare import assert_close

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "study_hours.csv"

pytestmark = pytest.mark.skipif(
    not REFERENCE.exists(), reason=f"the reference data set is not beside this clone ({REFERENCE})"
)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_section_1_published_run_is_reproduced(engine):
    data = load_csv(REFERENCE)
    assert data.n_samples == 100
    model = LinearRegression(w=0.0, b=0.0, engine=engine)
    history = fit(model, data, "gd", lr=0.0001, loss="mse", epochs=1000, progress=False)
    assert_close(history.initial_loss, 5565.107834483211, rtol=1e-9, atol=1e-12)
    assert_close(float(model.weights[0]), 1.4777440851894448, rtol=1e-9, atol=1e-12)
    assert_close(model.intercept, 0.08893651993741346, rtol=1e-9, atol=1e-12)
    assert_close(history.final_loss, 112.61481011613473, rtol=1e-9, atol=1e-12)
