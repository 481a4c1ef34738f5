"""Divergence means divergence (issue 21): the guard does not stop a heavy-ball run that swings
out before it converges, and still stops a run that diverges, early, naming its cause.

On the study-hours data the heavy ball with momentum 0.978635 at lr 0.00085001, just below its
bound 2 (1 + mu) / lambda_max, first takes the MSE from 5078 to over 2e7 and then settles at
least squares. The old guard saw 5 rising epochs and stopped it (exit 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import GD, SGD, Adam, LinearRegression, Momentum, Value, fit
from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.data import load_csv
from tinygrad_lr.train import DivergenceError
from tinygrad_lr.train.guard import Guard
from tinygrad_lr.train.hints import Hint, provably_stable
from tinygrad_lr.train.history import History

HOURS = str(Path(__file__).resolve().parents[1] / "examples" / "data" / "study_hours.csv")
MU, LR = 0.978635, 0.00085001


def _least_squares():
    ds = load_csv(HOURS)
    A = np.hstack([ds.X, np.ones((len(ds.X), 1))])
    theta = np.linalg.lstsq(A, ds.y, rcond=None)[0]
    lam = float(np.linalg.eigvalsh(2 * A.T @ A / len(A)).max())
    return ds, theta, float(np.mean((A @ theta - ds.y) ** 2)), lam


def test_a_heavy_ball_that_swings_out_and_converges_is_not_stopped():
    ds, theta, best, lam = _least_squares()
    assert LR < 2 * (1 + MU) / lam < 1.0001 * LR  # the premise: just below the heavy ball's bound
    m = LinearRegression(engine="tensor")
    h = fit(m, ds, Momentum(m.parameters(), lr=LR, momentum=MU), epochs=2000)  # raised at epoch 5
    assert max(h.losses) > 1000 * h.initial_loss  # it did swing out
    assert_close(h.losses[-1], best, rtol=1e-8)
    assert_close(m.param_vector(), theta, rtol=1e-4)


def test_the_issues_command_exits_0(capsys):
    code = main(["fit", HOURS, "--optimizer", "momentum", "--lr", "0.00085001", "--momentum", "0.978635",
                 "--epochs", "2000"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "diverged" not in out.err and "final loss: 121.5548" in out.out


@pytest.mark.parametrize("lr", [0.00086, 0.0009])
def test_a_heavy_ball_above_its_bound_is_still_stopped_early_and_told_the_bound(lr):
    ds, _, _, lam = _least_squares()
    m = LinearRegression(engine="tensor")
    with pytest.raises(DivergenceError) as info:
        fit(m, ds, Momentum(m.parameters(), lr=lr, momentum=MU), epochs=2000)
    err = info.value
    assert err.epoch == 5
    assert_close(err.max_stable_lr, 2 * (1 + MU) / lam, rtol=1e-9)
    assert "try a smaller learning rate (for this data and the MSE loss, momentum (momentum 0.978635)" in str(
        err
    )


def test_a_setting_that_diverges_whatever_the_lr_is_still_stopped():
    ds, _, _, _ = _least_squares()
    m = LinearRegression(engine="tensor")
    with pytest.raises(DivergenceError, match="momentum 1.5 >= 1"):
        fit(m, ds, Momentum(m.parameters(), lr=1e-6, momentum=1.5), epochs=2000)


def test_what_is_provably_stable():
    w = [Value(0.0)]
    hint = Hint(0.01, "bound")
    assert provably_stable(GD(w, lr=0.005), hint)
    assert not provably_stable(GD(w, lr=0.02), hint)  # above the bound
    assert not provably_stable(GD(w, lr=0.005), None)  # no bound known (another loss)
    assert not provably_stable(SGD(w, lr=0.005), hint)  # one sample per step: noise can raise the loss
    assert not provably_stable(Adam(w, lr=0.005), hint)  # an adaptive rule: no such bound
    assert not provably_stable(Momentum(w, lr=0.005, momentum=1.2), hint)  # diverges whatever the lr


def test_the_guard_asks_once_per_lr_and_stops_when_not_stable():
    asked = []

    def guard(verdict):
        return Guard(History(initial_loss=1.0), patience=2, grad_tol=None, loss_tol=None, lr=lambda: 0.1,
                     hint=lambda: None, stable=lambda: asked.append(verdict) or verdict)  # fmt: skip

    p = np.array([0.0])
    g = guard(True)
    for epoch, loss in enumerate([2.0, 3.0, 4.0, 5.0], start=1):
        assert not g.end_epoch(epoch, loss, p, None)
    assert asked == [True]  # asked at the second rise, then remembered for lr 0.1
    g = guard(False)
    g.end_epoch(1, 2.0, p, None)
    with pytest.raises(DivergenceError, match="the loss grew for 2 epochs in a row"):
        g.end_epoch(2, 3.0, p, None)
