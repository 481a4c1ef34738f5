"""The replay's graph shows the update and phase asked for, in the widget and in any Graphviz's SVG.

Expected numbers come from the recording itself (the optimizer's own doubles, checked against the
tutorial in test_replay.py) and from the per-sample gradient 2 (f_i - y_i) written out by hand:
every box of the filled picture is compared with them, for every phase, unfolded (3 samples) and
folded (6 samples: one box for all, showing the picked sample or the ranges).
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_lr import LinearRegression
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.replay import record
from tinygrad_lr.viz.recording import fmt, fmt_change
from tinygrad_lr.viz.svg_fill import fill_svg, node_texts
from tinygrad_lr.viz.update_graphs import graph_frames, sample_labels

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
X6, Y6 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [3.1, 4.9, 7.2, 8.8, 11.1, 13.0]
UNKNOWN = "grad ? (not computed yet)"


def boxes(svg: str) -> dict[str, list[str]]:
    """A filled picture's value boxes by their first line: ``{"w (parameter)": [...], ...}``."""
    return {lines[0]: lines for lines in node_texts(svg).values() if len(lines) > 1}


def expect_param_boxes(shown: dict[str, list[str]], rec, k: int, phase: int, folded: str = "") -> None:
    for i, name in enumerate(rec.param_names):
        box = shown[f"{name} (parameter)"]
        before, after = rec.before[k][i], rec.after[k][i]
        if phase < 2:
            assert box[1] == f"data {fmt(before)}"
        else:
            now, was = fmt_change(after, before)
            assert box[1] == f"data {now} (was {was})"
            assert float(now) != float(was) or after == before
        assert box[2] == (UNKNOWN if phase == 0 else f"grad {fmt(rec.grads[k][i])}{folded}")


def test_the_widget_graph_shows_every_update_in_every_phase() -> None:
    pytest.importorskip("ipywidgets")
    from tinygrad_lr.replay import replay_widget

    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=50)
    view = replay_widget(rec)
    for k in (0, 1, 17, 49):
        for phase in (0, 1, 2):
            view.show(k, phase)
            shown = boxes(view.graph.value)
            expect_param_boxes(shown, rec, k, phase)
            assert shown["L = L1 + L2 + L3"][1] == f"data {fmt(rec.losses[k])}"
            w, b = rec.before[k]
            for i, (x, y) in enumerate(zip(XS, YS), start=1):
                f = w * x + b
                f_box = shown[f"f{i} = w*x{i} + b"]
                assert f_box[1] == f"data {fmt(f)}"
                assert f_box[2] == (UNKNOWN if phase == 0 else f"grad {fmt(2 * (f - y))}")
                assert shown[f"x{i} (data)"][1] == f"data {fmt(x)}"


def test_a_folded_graph_shows_the_picked_sample_and_the_ranges_in_every_phase() -> None:
    rec = record(LinearRegression(w=0.5, b=0.0), (X6, Y6), "gd", lr=0.01, loss="sse", epochs=3)
    frames = graph_frames(rec, [0, 1, 2])
    assert frames.folded == [True, True, True] and frames.templates[0] is not None
    for fi, k in enumerate(frames.updates):
        svg = frames.templates[frames.template[fi]]
        w, b = rec.before[k]
        for phase in (0, 1, 2):
            for sample in range(6):
                shown = boxes(fill_svg(svg, sample_labels(rec, frames, fi, phase, sample)))
                expect_param_boxes(shown, rec, k, phase, " (sum over 6 samples)")
                i, x, y = sample + 1, X6[sample], Y6[sample]
                f = w * x + b
                assert shown[f"x{i} (data)"][1] == f"data {fmt(x)}"
                assert shown[f"y{i} (data)"][1] == f"data {fmt(y)}"
                f_box = next(v for t, v in shown.items() if t.startswith(f"f{i}"))
                assert f_box[1] == f"data {fmt(f)}"
                assert f_box[2] == (UNKNOWN if phase == 0 else f"grad {fmt(2 * (f - y))}")
            ranges = boxes(fill_svg(svg, sample_labels(rec, frames, fi, phase, -1)))
            fs = [w * x + b for x in X6]
            f_box = next(v for t, v in ranges.items() if t.startswith("f_i"))
            assert f_box[1] == f"data {fmt(min(fs))} ... {fmt(max(fs))}"


GRAPHVIZ_243 = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<g id="graph0" class="graph"><title>backprop</title>
<g id="clust1" class="cluster"><title>cluster_samples</title><text>x6 (ranges)</text></g>
<g id="node1" class="node param"><title>n0</title>
<g id="a_node1"><a xlink:title="w"><path d="M0,0"/><text>w (parameter)</text><text>data WIDEST</text>
<text>grad WIDEST</text></a></g></g>
</g></svg>"""
GRAPHVIZ_NEWER = GRAPHVIZ_243.replace('<g id="a_node1"><a xlink:title="w">', "")
GRAPHVIZ_NEWER = GRAPHVIZ_NEWER.replace("</a></g></g>", "</g>")


@pytest.mark.parametrize("svg", [GRAPHVIZ_243, GRAPHVIZ_NEWER], ids=["wrapped-in-a", "plain"])
def test_filling_finds_the_text_however_graphviz_nests_it(svg: str) -> None:
    filled = fill_svg(svg, {"n0": ["w (parameter)", "data 1.4", "grad -40"]}, cluster="x6 (sample 2)")
    assert node_texts(filled) == {"n0": ["w (parameter)", "data 1.4", "grad -40"]}
    assert "x6 (sample 2)" in filled and "WIDEST" not in filled


def test_a_tiny_step_shows_enough_digits_to_see_the_change() -> None:
    # late in a converging run a step moves w by ~3e-6: six digits would read 2.00015 both times
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=1000)
    k = int(np.argmax([fmt(a) == fmt(b) and a != b for a, b in zip(rec.after[:, 0], rec.before[:, 0])]))
    assert fmt(rec.after[k][0]) == fmt(rec.before[k][0]) and rec.after[k][0] != rec.before[k][0]
    frames = graph_frames(rec, [k], render=False)
    box = frames.labels[0][2][frames.params[0]["w"]]
    now, was = box[1].removeprefix("data ").removesuffix(")").split(" (was ")
    assert now != was and allclose(float(now), rec.after[k][0], rtol=1e-6, atol=1e-12)
    assert_close(float(was), rec.before[k][0], rtol=1e-6, atol=1e-12)
