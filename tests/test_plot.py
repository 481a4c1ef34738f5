"""The plot module: figures carry the data they claim to show, and saving is safe."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_lr import LinearRegression, Value, fit, plot
from tinygrad_lr.compare import allclose, assert_close

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]


def _by_gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


def _sse_wb(w, b):
    return sum((w * x + b - y) ** 2 for x, y in zip(XS, YS))


# --- fit_line ----------------------------------------------------------------------------------


def test_fit_line_shows_train_blue_test_red_line_black_on_the_tutorials_axes():
    fig = plot.fit_line(XS, YS, w=Value(2.0), b=1.0, x_test=[4.0], y_test=[9.0])
    (ax,) = fig.axes
    train, test, line = _by_gid(ax, "train"), _by_gid(ax, "test"), _by_gid(ax, "fit")
    np.testing.assert_array_equal(train.get_offsets(), [[1, 3], [2, 5], [3, 7]])
    np.testing.assert_array_equal(test.get_offsets(), [[4, 9]])
    assert_close(tuple(train.get_facecolor()[0][:3]), (0.12, 0.47, 0.71), rtol=0.0, atol=0.01)  # blue
    assert_close(tuple(test.get_facecolor()[0][:3]), (0.84, 0.15, 0.16), rtol=0.0, atol=0.01)  # red
    assert line.get_color() == "black"
    lx, ly = line.get_data()
    assert_close(ly, 2 * np.asarray(lx) + 1, rtol=1e-7, atol=0.0)
    assert ax.get_xlim() == (0.0, 5.0) and ax.get_ylim() == (0.0, 10.0)
    assert all(g.get_visible() for g in ax.get_xgridlines() + ax.get_ygridlines())  # the tutorial's grid


def test_fit_line_limits_are_overridable_and_residuals_are_vertical_segments():
    fig = plot.fit_line(XS, YS, w=1.0, b=0.0, xlim=(-1, 4), ylim=(-2, 8), residuals=True)
    ax = fig.axes[0]
    assert ax.get_xlim() == (-1.0, 4.0) and ax.get_ylim() == (-2.0, 8.0)
    segments = _by_gid(ax, "residuals").get_segments()
    assert len(segments) == 3
    assert all(start[0] == end[0] for start, end in segments)  # vertical
    assert sorted(abs(s[1][1] - s[0][1]) for s in segments) == [2.0, 3.0, 4.0]  # |w*x + b - y|


def test_the_line_in_the_legend_reads_like_the_printed_numbers():
    ax = plot.fit_line(XS, YS, w=2.000148389025502, b=0.9996626768662412).axes[0]
    assert _by_gid(ax, "fit").get_label() == "y = 2.0001x + 0.9997"  # not "2x": it is not exactly 2
    ax = plot.fit_line(XS, YS, w=1.4, b=-0.25).axes[0]
    assert _by_gid(ax, "fit").get_label() == "y = 1.4x - 0.25"
    ax = plot.fit_line(XS, YS, w=2.5e-5, b=0.0).axes[0]
    assert _by_gid(ax, "fit").get_label() == "y = 2.5e-05x + 0"  # too small for 4 decimals


def test_fit_line_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="x_train has 3 values but y_train has 2"):
        plot.fit_line(XS, YS[:2], w=1.0)


def test_fit_line_draws_onto_a_given_axes():
    fig, (left, right) = plot.new_figure(ncols=2)
    assert plot.fit_line(XS, YS, w=2, b=1, ax=right) is fig
    assert not left.lines and right.lines


# --- loss_curves -------------------------------------------------------------------------------


def test_loss_curves_one_line_per_curve_with_its_x_values_and_log_scale():
    fig = plot.loss_curves(
        {"GD": [29.0, 12.96, 5.8], "SGD": [29.0, 9.0, 3.0, 1.0]},
        x={"SGD": [0.0, 1 / 3, 2 / 3, 1.0]},
        log=True,
    )
    ax = fig.axes[0]
    gd, sgd = _by_gid(ax, "curve:GD"), _by_gid(ax, "curve:SGD")
    np.testing.assert_array_equal(gd.get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(gd.get_ydata(), [29.0, 12.96, 5.8])
    assert_close(sgd.get_xdata(), [0, 1 / 3, 2 / 3, 1], rtol=1e-7, atol=0.0)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD", "SGD"]


def test_loss_curves_turn_a_diverging_run_into_a_line_that_stops():
    fig = plot.loss_curves({"too large": [1.0, 10.0, float("inf"), float("nan")]})
    y = _by_gid(fig.axes[0], "curve:too large").get_ydata()
    assert list(y[:2]) == [1.0, 10.0] and np.isnan(y[2:]).all()


def test_a_line_that_stops_ends_in_a_cross_that_says_why():
    fig = plot.loss_curves({"too large": [1.0, 10.0, float("inf")], "exact": [1.0, 1e-8, 0.0]}, log=True)
    ax = fig.axes[0]
    np.testing.assert_array_equal(_by_gid(ax, "end:too large").get_offsets(), [[1, 10.0]])
    np.testing.assert_array_equal(_by_gid(ax, "end:exact").get_offsets(), [[1, 1e-8]])  # 0 has no log
    notes = [t.get_text() for t in ax.texts]
    assert "diverged at 2" in notes and "0 (off the log scale) at 2" in notes
    ax = plot.loss_curves({"fine": [3.0, 2.0, 1.0]}, log=True).axes[0]
    assert not ax.texts and not ax.collections  # a run that never stops gets no cross


def test_loss_curves_log_x_keeps_zero_and_marks_the_break_and_colours_stay_given():
    fig = plot.loss_curves({"GD": [29, 13, 6, 3]}, xlog=True, colors={"GD": "tab:green"})
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlim()[0] == 0.0
    brk = _by_gid(ax, "axis-break")
    assert list(brk.get_xdata()) == [1.0, 1.0]  # the seam between linear and log
    assert any(t.get_text() == "//" for t in ax.texts)
    assert "linear, then log" in ax.get_xlabel()
    assert _by_gid(ax, "curve:GD").get_color() == "tab:green"


def test_loss_curves_check_their_input():
    with pytest.raises(ValueError, match="at least one curve"):
        plot.loss_curves({})
    with pytest.raises(ValueError, match="2 x values for 3 losses"):
        plot.loss_curves({"a": [1, 2, 3]}, x={"a": [0, 1]})


def test_a_history_is_drawn_by_epoch_from_its_loss_before_training():
    from tinygrad_lr import LinearRegression, fit

    # the tutorial's GD on (1, 3), (2, 5), (3, 7) from w = 1, b = 0: SSE 29 before, 12.9612 after epoch 1
    h = fit(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=3)
    for fig in (plot.loss_curves({"gd": h}), plot.loss_curves(h)):
        ax = fig.axes[0]
        (line,) = [a for a in ax.get_lines() if (a.get_gid() or "").startswith("curve:")]
        xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
        assert xs.tolist() == [0, 1, 2, 3] and ys[0] == 29.0
        assert_close(ys[1], 12.9612, rtol=0.0, atol=1e-12)  # epoch 1's loss at x = 1, not at 0
        assert ax.get_xlabel() == "epoch"
    assert plot.loss_curves(h).axes[0].get_legend().get_texts()[0].get_text() == "gd"
    # a bare list: its first value is at x = 0, and the axis says so instead of "iteration"
    ax = plot.loss_curves({"gd": h.losses}).axes[0]
    assert "first value at 0" in ax.get_xlabel()
    with pytest.raises(TypeError, match=r"loss_curves takes \{label: losses\}, a History .* got float 3.5"):
        plot.loss_curves(3.5)
    with pytest.raises(TypeError, match=r"the losses of 'gd' must be a list or a History, got int 3"):
        plot.loss_curves({"gd": 3})


# --- loss_vs_w ---------------------------------------------------------------------------------


def _mse_w(w):
    return sum((w * x - y) ** 2 for x, y in zip([1, 2, 3], [2, 4, 6])) / 3


@pytest.mark.parametrize("at", [0.0, 1.0, 1.7, 3.5])
def test_the_tangent_touches_the_curve_with_the_autodiff_slope(at):
    fig = plot.loss_vs_w(_mse_w, (0.0, 4.0), at=at)
    ax = fig.axes[0]
    tx, ty = (np.asarray(v, dtype=float) for v in _by_gid(ax, "tangent").get_data())
    slope = (ty[1] - ty[0]) / (tx[1] - tx[0])
    w = Value(at)
    loss = _mse_w(w)
    loss.backward()
    assert_close(slope, w.grad, rtol=1e-12, atol=1e-12)
    assert_close(slope, 28 / 3 * (at - 2), rtol=0.0, atol=1e-9)  # d/dw mean((w*x - 2x)^2) = 28/3 (w - 2)
    # the tangent passes through (at, loss(at))
    assert_close(np.interp(at, tx, ty), loss.data, rtol=1e-6, atol=1e-12)
    assert f"{w.grad:.4g}" in _by_gid(ax, "tangent").get_label()


def test_loss_vs_w_draws_the_curve_the_path_and_the_marks():
    fig = plot.loss_vs_w(_mse_w, (0.0, 4.0), trajectory=[1.0, 1.5, float("inf")], marks={"best": 2.0}, num=50)
    ax = fig.axes[0]
    cx, cy = _by_gid(ax, "curve").get_data()
    assert len(cx) == 50 and allclose(cy[0], _mse_w(Value(0.0)).data, rtol=1e-6, atol=1e-12)
    px, py = _by_gid(ax, "trajectory").get_data()
    np.testing.assert_array_equal(px, [1.0, 1.5])  # the non-finite step is left out
    assert_close(py, [_mse_w(Value(1.0)).data, _mse_w(Value(1.5)).data], rtol=1e-7, atol=0.0)
    np.testing.assert_array_equal(_by_gid(ax, "mark:best").get_offsets(), [[2.0, 0.0]])
    assert ax.get_xlim() == (0.0, 4.0)


def _exit_notes(ax):
    return [t.get_text() for t in ax.texts if t.get_gid() == "exit"]


def test_a_path_that_leaves_loss_vs_w_gets_an_arrow_on_the_edge_and_a_note():
    path = [1.0, 3.0, -2.0, 9.0, -20.0]  # leaves the view (0, 4) at step 2
    ax = plot.loss_vs_w(_mse_w, (0.0, 4.0), trajectory=path, num=30).axes[0]
    (note,) = _exit_notes(ax)
    assert note.startswith("step 2 leaves the plot:\nw = -2") and "(3 of 4 steps off the plot)" in note
    arrows = [t for t in ax.texts if t.get_text() == "" and t.arrow_patch is not None]
    assert len(arrows) == 1
    x_edge, y_edge = arrows[0].xy  # on the edge the path crosses, between step 1 and step 2
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert allclose(x_edge, x0, rtol=1e-6, atol=1e-12) or allclose(y_edge, y1, rtol=1e-6, atol=1e-12)
    assert -2.0 < x_edge < 3.0
    inside = plot.loss_vs_w(_mse_w, (0.0, 4.0), trajectory=[1.0, 1.5, 1.8], num=30).axes[0]
    assert _exit_notes(inside) == []


def test_marks_on_the_same_spot_nest_inside_each_other_with_their_own_shapes():
    marks = {"restart": -1.55, "annealing": -1.55, "far away": 1.2}
    ax = plot.loss_vs_w(_mse_w, (-2.0, 2.0), marks=marks, num=30).axes[0]
    sizes = {label: _by_gid(ax, f"mark:{label}").get_sizes()[0] for label in marks}
    assert sizes["annealing"] < sizes["restart"]  # the later mark is smaller and drawn on top
    assert sizes["far away"] == sizes["restart"]  # a mark alone keeps the full size
    shapes = {_by_gid(ax, f"mark:{label}").get_paths()[0].vertices.tobytes() for label in marks}
    assert len(shapes) == 3


def test_loss_vs_w_needs_a_loss_built_from_the_value():
    with pytest.raises(TypeError, match="build its loss from the Value"):
        plot.loss_vs_w(lambda w: 3.0, (0, 1), at=0.5)
    with pytest.raises(ValueError, match="low < high"):
        plot.loss_vs_w(_mse_w, (2, 1))


# --- loss_landscape ----------------------------------------------------------------------------


def test_loss_landscape_draws_the_trajectories_over_fixed_limits():
    path = [(1.0, 0.0), (1.4, 0.18), (1e6, -1e6)]  # the last point diverged far off the picture
    fig = plot.loss_landscape(_sse_wb, (0, 3), (-1, 2), trajectories={"GD": path}, minimum=(2, 1), num=20)
    ax = fig.axes[0]
    np.testing.assert_array_equal(np.column_stack(_by_gid(ax, "trajectory:GD").get_data()), path)
    np.testing.assert_array_equal(_by_gid(ax, "minimum").get_offsets(), [[2, 1]])
    assert ax.get_xlim() == (0.0, 3.0) and ax.get_ylim() == (-1.0, 2.0)
    assert len(fig.axes) == 2  # the plot and its colour bar


def test_landscape_paths_sharing_a_start_get_one_circle_their_ends_nest_and_exits_are_marked():
    paths = {"GD": [(1.0, 0.0), (2.0, 1.0)], "SGD": [(1.0, 0.0), (1.5, 0.5), (2.0, 1.0)],
             "wild": [(1.0, 0.0), (2.5, 1.5), (40.0, -30.0)]}
    ax = plot.loss_landscape(_sse_wb, (0, 3), (-1, 2), trajectories=paths, num=20).axes[0]
    starts = [a for a in ax.get_children() if a.get_gid() == "start"]
    assert len(starts) == 1 and "start (1, 0)" in ax.get_legend_handles_labels()[1]
    gd, sgd = (_by_gid(ax, f"end:{k}").get_sizes()[0] for k in ("GD", "SGD"))
    assert sgd < gd  # both end at (2, 1): the second sits inside the first
    assert "GD (1 update), ends at (2, 1)" in ax.get_legend_handles_labels()[1]
    (note,) = _exit_notes(ax)
    assert note.startswith("step 2 leaves the plot:\nw = 40, b = -30")


def test_loss_landscape_accepts_value_losses():
    fig = plot.loss_landscape(lambda w, b: _sse_wb(Value(w), Value(b)), (0, 3), (-1, 2), num=10)
    assert fig.axes[0].collections  # the contours


# --- save --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "magic"), [("fit.png", b"\x89PNG\r\n\x1a\n"), ("fit.svg", b"<?xml")])
def test_save_writes_the_format_of_the_extension_and_leaves_no_temp_file(tmp_path, name, magic):
    out = plot.save(plot.fit_line(XS, YS, w=2, b=1), tmp_path / "sub" / name)
    assert out == tmp_path / "sub" / name
    assert out.read_bytes().startswith(magic)
    assert [p.name for p in out.parent.iterdir()] == [name]


def test_save_replaces_an_existing_file_and_cleans_up_after_a_failure(tmp_path):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    plot.save(plot.fit_line(XS, YS, w=2, b=1), target)
    assert target.read_bytes().startswith(b"\x89PNG")

    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("disk full")

    before = target.read_bytes()
    with pytest.raises(RuntimeError, match="disk full"):
        plot.save(Broken(), target)
    assert target.read_bytes() == before  # the old picture is intact
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_save_rejects_an_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"use one of the extensions \.png, \.svg"):
        plot.save(plot.fit_line(XS, YS, w=2, b=1), tmp_path / "fig.jpeg")


# --- matplotlib is optional and never opens a window --------------------------------------------


def test_a_missing_matplotlib_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    monkeypatch.delitem(sys.modules, "tinygrad_lr.viz.notebook", raising=False)  # even if plotted before
    with pytest.raises(ImportError, match=r"pip install 'tinygrad-lr\[plot\]'"):
        plot.new_figure()


def test_importing_the_package_or_plotting_never_loads_pyplot():
    code = (
        "import sys, tinygrad_lr\n"
        "assert 'matplotlib' not in sys.modules, 'import tinygrad_lr loaded matplotlib'\n"
        "from tinygrad_lr import plot\n"
        "assert 'matplotlib' not in sys.modules, 'importing plot loaded matplotlib'\n"
        "plot.fit_line([1], [2], w=1)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'plotting loaded pyplot'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_axes_inside_a_subfigure_give_back_the_root_figure_which_saves(tmp_path):
    fig, _ = plot.new_figure(1, 1)
    sub = fig.subfigures(1, 2)[1]
    ax = sub.subplots()
    out = plot.fit_line([1, 2, 3], [3, 5, 7], w=2.0, b=1.0, ax=ax)
    assert out is fig
    path = plot.save(out, tmp_path / "sub.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- Jupyter ------------------------------------------------------------------------------------


def _every_figure():
    mse = lambda w: sum((w * x - y) ** 2 for x, y in zip(XS, YS)) / 3  # noqa: E731
    return {
        "new_figure": plot.new_figure()[0],
        "fit_line": plot.fit_line(XS, YS, w=2.0, b=1.0),
        "loss_curves": plot.loss_curves({"GD": [29, 12.96, 5.8]}),
        "loss_vs_w": plot.loss_vs_w(mse, (0, 4), at=1.0, trajectory=[1.0, 1.5]),
        "loss_landscape": plot.loss_landscape(_sse_wb, (0, 3), (-1, 2), num=10),
        "lr_sweep": plot.lr_sweep((XS, YS), [0.01, 0.1], epochs=3),
        "history_figure": fit(LinearRegression(), (XS, YS), "gd", lr=0.01, epochs=3, progress=False).plot(),
        **_theory_figures(),
        **_logistic_figures(),
    }


def _logistic_figures():
    def bce(w, b):
        return sum(math.log1p(math.exp(-(2 * y - 1) * (w * x + b))) for x, y in [(1, 0), (2, 1), (3, 1)]) / 3

    return {
        "sigmoid_samples": plot.sigmoid_samples([-1.0, 0.5, 2.0], [0, 1, 1]),
        "decision_boundaries": plot.decision_boundaries(
            [[0, 0], [1, 2], [2, 1]], [0, 1, 1], {"z = 0": [1, 1, -1]}
        ),
        "bce_landscape": plot.bce_landscape(bce, (1.0, -1.0), (-1, 3), (-4, 2), num=10),
    }


def _theory_figures():
    from tinygrad_lr.theory import quadratic

    q = quadratic((XS, YS))
    p = q.predict("gd", 0.05, 20)
    return {
        "theory_landscape": plot.theory_landscape(q, p),
        "error_directions": plot.error_directions(p),
        "phase_diagram": plot.phase_diagram(q),
    }


@pytest.mark.parametrize(
    "name",
    ["new_figure", "fit_line", "loss_curves", "loss_vs_w", "loss_landscape", "lr_sweep", "history_figure"]
    + ["theory_landscape", "error_directions", "phase_diagram"]
    + ["sigmoid_samples", "decision_boundaries", "bce_landscape"],
)
def test_every_plot_result_displays_in_jupyter_as_one_png_of_the_figures_size(name):
    """IPython's own formatter (what a notebook cell's last line goes through) finds a PNG."""
    from IPython.core.formatters import DisplayFormatter

    figures = _every_figure()
    # a new plot function is checked here too (optimizer_paths returns paths, not a figure)
    assert set(figures) == set(plot.__all__) - {"save", "optimizer_paths"}
    fig = figures[name]
    data, metadata = DisplayFormatter().format(fig)
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width_in, height_in = fig.get_size_inches()
    shown = metadata["image/png"]
    assert (shown["width"], shown["height"]) == (round(width_in * 100), round(height_in * 100))
    pixels_wide = int.from_bytes(png[16:20], "big")  # the IHDR chunk: rendered at twice the shown size
    assert_close(pixels_wide, 2 * shown["width"], rtol=0.0, atol=2)
    assert "image/svg+xml" not in data and "text/html" not in data  # one picture, not two


def test_plot_figures_are_not_managed_by_pyplot_so_the_inline_backend_cannot_show_them_again():
    code = (
        "from tinygrad_lr import plot\n"
        "fig = plot.fit_line([1], [2], w=1)\n"
        "import matplotlib.pyplot as plt\n"
        "assert plt.get_fignums() == [], plt.get_fignums()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- comparing optimizers ---------------------------------------------------------------------


def test_optimizer_paths_start_together_and_follow_each_update():
    from tinygrad_lr import GD, Momentum

    paths = plot.optimizer_paths(
        (XS, YS),
        {"GD": lambda p: GD(p, lr=0.01), "momentum": lambda p: Momentum(p, lr=0.01, momentum=0.9)},
        start=(1.0, 0.0),
        epochs=2,
        loss="sse",
    )
    # the tutorial's first step, by hand: w 1 -> 1.4, b 0 -> 0.18, for both (v = g at step 1)
    for path in paths.values():
        assert path.shape == (3, 2) and path[0].tolist() == [1.0, 0.0]
        assert_close(path[1].tolist(), [1.4, 0.18], rtol=0.0, atol=1e-15)
    assert_close(paths["momentum"][2, 0], 1.4 + 0.01 * (0.9 * 40 + 26.64), rtol=0.0, atol=1e-12)
    diverging = plot.optimizer_paths((XS, YS), {"GD": lambda p: GD(p, lr=1.0)}, epochs=30, loss="sse")
    assert len(diverging["GD"]) < 31  # kept up to where it blew up


def test_lr_sweep_marks_the_stable_bound_and_the_diverged_runs():
    from tinygrad_lr import max_stable_lr

    fig = plot.lr_sweep((XS, YS), [0.01, 0.1, 0.17, 0.5], epochs=20)
    ax = fig.axes[0]
    bound = [a for a in ax.get_lines() if a.get_gid() == "stable-bound"][0]
    assert_close(bound.get_xdata()[0], max_stable_lr(XS, "mse"), rtol=1e-12, atol=1e-12)
    diverged = [c for c in ax.collections if c.get_gid() == "diverged"]
    assert diverged and len(diverged[0].get_offsets()) == 1  # only lr 0.5 > 2 / lambda_max = 0.18


def test_the_sweeps_legend_covers_none_of_its_points():
    data = ([1.0, 2.0, 3.0, 4.0], [3.0, 5.0, 7.0, 9.5])
    fig = plot.lr_sweep(data, [0.001, 0.01, 0.03, 0.1, 0.3], epochs=10)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    points = ax.transData.transform(np.column_stack(_by_gid(ax, "sweep").get_data()))
    assert not any(box.contains(x, y) for x, y in points)


def test_every_path_ends_in_a_marker_the_legend_names():
    """Each path's end marker has its own shape; the legend shows that shape beside the path's name
    (comparison.png's end markers had no legend entry)."""
    from matplotlib.colors import to_rgb
    from matplotlib.markers import MarkerStyle

    paths = {"GD": [(1.0, 0.0), (1.4, 0.18)], "Adam": [(1.0, 0.0), (1.1, 0.1), (1.2, 0.2)]}
    ax = plot.loss_landscape(_sse_wb, (0, 3), (-1, 2), trajectories=paths, num=10).axes[0]
    legend = ax.get_legend()
    entries = {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles)}
    shapes = []
    for label in paths:
        (name,) = [t for t in entries if t.startswith(label + " (")]
        handle, end = entries[name], _by_gid(ax, f"end:{label}")
        style = MarkerStyle(handle.get_marker())
        shape = style.get_path().transformed(style.get_transform()).vertices
        # the legend shows the end's shape
        assert allclose(end.get_paths()[0].vertices, shape, rtol=1e-5, atol=1e-8)
        assert_close(end.get_facecolor()[0][:3], to_rgb(handle.get_color()), rtol=1e-6, atol=1e-12)
        shapes.append(handle.get_marker())
    assert len(set(shapes)) == len(paths)


def test_history_plot_draws_the_loss_and_every_parameter_over_the_epochs():
    """``fit(...).plot()``: the loss from before training (epoch 0) to the last epoch, and w and b
    over the same epochs -- the worked example, whose first step goes to w = 1.4, b = 0.18."""
    from tinygrad_lr import LinearRegression, fit

    h = fit(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse",
            epochs=50, progress=False)
    fig = h.plot(title="GD on three points")
    ax_loss, ax_params = fig.axes
    (curve,) = [line for line in ax_loss.get_lines() if line.get_gid() == "curve:gd"]
    assert list(curve.get_xdata()) == list(range(51))
    assert_close(np.asarray(curve.get_ydata()), [29.0, *h.losses])
    assert ax_loss.get_yscale() == "log" and ax_loss.get_xlabel() == "epoch"
    lines = {line.get_label(): line for line in ax_params.get_lines()}
    assert set(lines) == {"w", "b"}
    assert_close(np.asarray(lines["w"].get_ydata())[:2], [1.0, 1.4])
    assert_close(np.asarray(lines["b"].get_ydata())[:2], [0.0, 0.18], atol=1e-15)
    assert_close(np.asarray(lines["w"].get_ydata())[-1], h.final_params[0])
    assert ax_params.get_xlabel() == "epoch" and fig.get_suptitle() == "GD on three points"
    with pytest.raises(TypeError, match="history_figure takes a History"):
        plot.history_figure([1, 2])


def test_the_training_layer_does_not_import_the_pictures_for_history_plot():
    """History.plot() is served by a registration; no file of tinygrad_lr/train imports a picture
    module, not even inside a function."""
    import ast
    from pathlib import Path

    import tinygrad_lr.train

    found = []
    for path in Path(tinygrad_lr.train.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(part in ("viz", "plot", "replay", "figures") for n in names for part in n.split(".")):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
