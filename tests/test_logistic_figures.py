"""Logistic regression's pictures, tested by their content: what each line, point and gap on
them is, against numbers worked out here."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tinygrad_lr import plot  # noqa: E402
from tinygrad_lr.compare import assert_close  # noqa: E402


def _by_gid(ax, gid):
    return [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]


def test_sigmoid_samples_puts_each_sample_at_its_logit_with_its_gap_p_minus_y():
    z, y = [-2.0, 0.0, 1.5], [0, 1, 1]
    fig = plot.sigmoid_samples(z, y)
    ax = fig.axes[0]
    (curve,) = _by_gid(ax, "sigmoid")
    xs, ps = curve.get_data()
    assert_close(ps, 1 / (1 + np.exp(-np.asarray(xs))), rtol=1e-12)
    (gaps,) = _by_gid(ax, "gaps")
    spans = sorted((float(s[0, 0]), float(abs(s[1, 1] - s[0, 1]))) for s in gaps.get_segments())
    # |p - y|: sigmoid(-2) = 0.119203 above 0; 1/2 below 1; 1 - sigmoid(1.5) = 0.182426 below 1
    want = [1 / (1 + math.exp(2)), 0.5, 1 - 1 / (1 + math.exp(-1.5))]
    assert_close([g for _, g in spans], want, rtol=1e-12)
    (zero,) = _by_gid(ax, "class:0")
    (one,) = _by_gid(ax, "class:1")
    assert zero.get_offsets().tolist() == [[-2.0, 0.0]]
    assert one.get_offsets().tolist() == [[0.0, 1.0], [1.5, 1.0]]


@pytest.mark.parametrize(
    "z, y, match",
    [([], [], "empty"), ([0.0], [2], "classes 0 and 1"), ([math.nan], [1], "finite"),
     ([math.inf], [0], "finite"), ([0.0, 1.0], [1], "2 values but y has 1")],
)
def test_sigmoid_samples_refuses_what_it_cannot_draw(z, y, match):
    with pytest.raises(ValueError, match=match):
        plot.sigmoid_samples(z, y)


def test_each_boundary_is_the_line_where_z_is_0():
    X, y = [[0.0, 0.0], [2.0, 1.0], [1.0, 3.0]], [0, 1, 1]
    lines = {"early": [1.0, 2.0, -3.0], "upright": [2.0, 0.0, -2.0], "w = 0": [0.0, 0.0, 1.0]}
    ax = plot.decision_boundaries(X, y, lines).axes[0]
    (early,) = _by_gid(ax, "boundary:0")
    x1, x2 = early.get_data()
    assert_close(1.0 * np.asarray(x1) + 2.0 * np.asarray(x2) - 3.0, [0.0, 0.0], atol=1e-12)
    (upright,) = _by_gid(ax, "boundary:1")
    assert list(upright.get_data()[0]) == [1.0, 1.0]  # x1 = -b / w1 = 1
    (none,) = _by_gid(ax, "boundary:2")
    assert len(none.get_data()[0]) == 0  # no line yet, but named in the legend
    assert [t.get_text() for t in ax.get_legend().get_texts()][-3:] == ["early", "upright", "w = 0"]
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot.decision_boundaries([[0.0], [1.0]], [0, 1], lines)


def test_the_landscapes_slice_is_the_loss_and_the_bowl_matches_its_curvature():
    x, y = np.array([-1.0, 0.5, 1.0, 2.0]), np.array([0.0, 1.0, 0.0, 1.0])

    def loss(w, b):
        z = w * x + b
        return float(np.mean(np.logaddexp(0, z) - y * z))

    fig = plot.bce_landscape(loss, (0.5, 0.0), (-2, 3), (-2, 2), hessian=[[0.3, 0.0], [0.0, 0.25]], num=20)
    (right,) = [ax for ax in fig.axes if _by_gid(ax, "slice")]
    (slice_,) = _by_gid(right, "slice")
    ws, ls = slice_.get_data()
    assert_close(ls, [loss(w, 0.0) for w in ws], rtol=1e-12)
    (bowl,) = _by_gid(right, "bowl")
    assert_close(bowl.get_data()[1], loss(0.5, 0.0) + 0.15 * (np.asarray(ws) - 0.5) ** 2, rtol=1e-12)
