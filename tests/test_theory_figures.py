"""The theory's pictures, tested by their content: what each artist draws is the number it stands for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_lr import plot
from tinygrad_lr.compare import assert_close
from tinygrad_lr.theory import quadratic
from tinygrad_lr.viz.figures.theory import RaceFigure

WORKED = (np.array([[1.0], [2.0], [3.0]]), np.array([3.0, 5.0, 7.0]))


def _by_gid(fig, gid):
    found = [a for ax in fig.axes for a in ax.get_children() if getattr(a, "get_gid", lambda: None)() == gid]
    assert found, f"no artist {gid!r}"
    return found[0]


def _legend(fig) -> str:
    """Every legend's text of the figure, its wrapping undone."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    text = " ".join(t.get_text() for legend in legends for t in legend.get_texts())
    return text.replace("\n    ", " ")


def _all_numbers_finite(fig):
    for ax in fig.axes:
        for line in ax.get_lines():
            xy = np.asarray(line.get_xydata(), dtype=float)
            assert not np.isnan(xy).all() or len(xy) == 0
            assert not np.isinf(xy).any(), line.get_gid()


def test_the_landscape_draws_the_ellipse_with_the_eigen_directions_as_its_axes():
    q = quadratic(WORKED)
    p = q.predict("gd", 0.1, 80)
    fig = plot.theory_landscape(q, p, p.iterates)
    ring = np.asarray(_by_gid(fig, "ellipse").get_xydata())
    levels = q.loss(ring) - q.loss_star
    assert_close(levels, levels[0], rtol=1e-9, atol=0.0)  # one contour L - L* = c
    centre = q.theta_star
    for i in (1, 2):
        ends = np.asarray(_by_gid(fig, f"axis:q{i}").get_xydata())
        half = ends[1] - centre
        assert_close(ends[0] - centre, -half, rtol=1e-7, atol=1e-12)  # through the minimum
        direction = half / np.linalg.norm(half)
        assert abs(abs(direction @ q.eigenvectors[:, i - 1]) - 1) < 1e-12  # along q_i
        assert_close(q.loss(ends[1]) - q.loss_star, levels[0], rtol=1e-9, atol=1e-12)  # ends on the ellipse
    np.testing.assert_array_equal(_by_gid(fig, "predicted").get_xydata(), p.iterates)
    drawn = np.asarray(_by_gid(fig, "actual").get_offsets())
    assert len(drawn) == len(p.iterates) == 81 or 0 < len(drawn) <= 81
    assert f"1 - lr*lambda2 = {1 - 0.1 * q.eigenvalues[1]:.6g}" in _legend(fig)


def test_the_landscape_of_three_parameters_is_the_plane_of_the_flattest_and_steepest_directions():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2)) * [1.0, 4.0]
    q = quadratic((X, X @ [1.0, 2.0] + 1.0))
    p = q.predict("gd", 0.8 * q.max_lr(), 50)
    fig = plot.theory_landscape(q, p)
    path = np.asarray(_by_gid(fig, "predicted").get_xydata())
    Q = q.eigenvectors
    assert_close(path, (p.iterates - q.theta_star) @ Q[:, [-1, 0]], rtol=1e-7, atol=1e-12)
    assert fig.axes[0].get_xlabel() == "error along q3 (the steepest direction)"


def test_the_directions_are_straight_lines_of_slope_one_minus_lr_lambda_with_the_run_on_them():
    q = quadratic(WORKED)
    lr = 0.1
    p = q.predict("gd", lr, 60)
    fig = plot.error_directions(p, p.iterates)
    for i in (1, 2):
        line = _by_gid(fig, f"predicted:q{i}")
        e = np.asarray(line.get_ydata())
        ok = np.isfinite(e)
        ratios = e[1:][ok[1:] & ok[:-1]] / e[:-1][ok[1:] & ok[:-1]]
        assert_close(ratios, abs(1 - lr * q.eigenvalues[i - 1]), rtol=1e-9, atol=0.0)
        rate = _by_gid(fig, f"rate:q{i}").get_text()
        assert rate == f"|1 - lr*lambda{i}| = {abs(1 - lr * q.eigenvalues[i - 1]):.6g}"
        points = np.asarray(_by_gid(fig, f"actual:q{i}").get_offsets())
        assert_close(points[:, 1], e[points[:, 0].astype(int)], rtol=1e-9, atol=1e-14)


def test_a_direction_that_reaches_zero_says_so_instead_of_vanishing():
    q = quadratic(WORKED, standardize=True)  # a round bowl: 1 - lr*lambda = 0 at the best lr
    fig = plot.error_directions(q.predict("gd", steps=4))
    assert "0 (to rounding) from step 1" in _legend(fig)
    assert any(getattr(a, "get_gid", lambda: None)() == "drop" for a in fig.axes[0].get_children())


def test_a_fast_and_a_slow_direction_get_a_panel_each():
    q = quadratic(WORKED)
    p = q.predict("gd", 0.9 * q.max_lr(), 4000)  # the steep direction is done in ~160 steps
    fig = plot.error_directions(p)
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("the first ")
    assert fig.axes[1].get_title() == "all 4000 steps"
    assert len(plot.error_directions(q.predict("gd", 0.9 * q.max_lr(), 400)).axes) == 1


def test_the_phase_diagram_colours_are_the_rates_and_the_boundary_is_the_formula():
    q = quadratic(WORKED)
    lr, mu = q.polyak()
    fig = plot.phase_diagram(q, runs=[(lr, mu, True), (0.3, 0.5, False)])
    mesh = _by_gid(fig, "rates")
    rates = q.phase(*_grid(fig, q))
    shown = np.asarray(mesh.get_array()).reshape(rates.shape)
    converge = rates < 1
    assert_close(shown[converge], -np.log10(1 - rates[converge]), rtol=1e-12, atol=0.0)
    assert np.ma.getmaskarray(mesh.get_array()).reshape(rates.shape)[~converge].all()  # diverging: no colour
    boundary = np.asarray(_by_gid(fig, "boundary").get_xydata())
    assert_close(boundary[:, 0], 2 * (1 + boundary[:, 1]) / q.lambda_max, rtol=1e-12, atol=0.0)
    star = np.asarray(_by_gid(fig, "best").get_offsets())[0]
    assert_close(star, [lr, mu], rtol=1e-12, atol=0.0)
    assert "the run diverged" in _legend(fig) and "the run converged" in _legend(fig)


def _grid(fig, q):
    from tinygrad_lr.theory.recurrence import max_stable_lr
    from tinygrad_lr.viz.figures.theory.phase import GRID, MU_TOP

    top = 1.15 * max_stable_lr(q.lambda_max, "momentum", MU_TOP)
    return np.linspace(top / GRID, top, GRID), 1 - np.geomspace(1.0, 1 - MU_TOP, GRID)


def test_the_race_moves_every_run_to_the_step_asked_and_says_adam_has_no_theory():
    q = quadratic(WORKED)
    p = q.predict("gd", 0.1, 30)
    adam = p.iterates[::-1]  # any path stands in for a run the theory cannot predict
    view = RaceFigure(q, {"GD": p.iterates, "Adam": adam}, {"GD": p, "Adam": None})
    view.show(12)
    path = view.land.get_lines()
    gd = next(line for line in path if line.get_gid() == "path:GD")
    np.testing.assert_array_equal(gd.get_xydata(), p.iterates[:13])
    head = next(c for c in view.land.collections if c.get_gid() == "head:GD")
    np.testing.assert_array_equal(head.get_offsets()[0], p.iterates[12])
    assert "Adam: no closed-form prediction" in _legend(view.fig)
    view.freeze(80)  # the animation's way: the static part becomes one image
    view.show(30)
    np.testing.assert_array_equal(gd.get_xydata(), p.iterates)


@pytest.mark.parametrize("lr_factor", [1.5, 3.0, 50.0])
def test_pictures_of_a_diverging_run_hold_no_nan_or_inf(lr_factor):
    q = quadratic(WORKED)
    p = q.predict("gd", lr_factor * q.max_lr(), 2000)
    assert p.overflowed or lr_factor == 1.5 or not p.converges
    for fig in (plot.theory_landscape(q, p, p.iterates), plot.error_directions(p, p.iterates)):
        _all_numbers_finite(fig)
    m = q.predict("momentum", lr_factor * q.max_lr("momentum", 0.5), 2000, momentum=0.5)
    _all_numbers_finite(plot.theory_landscape(q, m))
    assert math.isfinite(q.rate(lr_factor * q.max_lr()))
