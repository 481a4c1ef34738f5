"""Watching every optimizer: a replay of momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW or
Newton writes each update out with that rule's own numbers, as the gradient-descent panel writes
``w <- 1 - 0.01 * (-40) = 1.4``.

The numbers are checked against each rule worked out here, independently, in plain numpy on the
worked example (x = 1, 2, 3, y = 3, 5, 7, SSE, from w = 1, b = 0; torch.optim's equations),
and the page's script must write the same text as Python does (tests/test_replay_browser.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from replay_numbers import page_numbers

from tinygrad_lr import LinearRegression, record
from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.optim import make_optimizer
from tinygrad_lr.viz.figures.moment import moment_text
from tinygrad_lr.viz.recording import update_lines

X, Y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 5.0, 7.0])
STEPS = 4


def grad(p: np.ndarray) -> np.ndarray:
    """dSSE/d(w, b) of the worked example at p = (w, b)."""
    r = p[0] * X + p[1] - Y
    return np.array([np.sum(2 * r * X), np.sum(2 * r)])


def n(x: float) -> str:
    """A number as a learner reads it here: 6 significant digits."""
    s = f"{float(x):.6g}"
    return "0" if s == "-0" else s


def f(x: float) -> str:
    """A number after an operator: in parentheses when negative."""
    s = n(x)
    return f"({s})" if s.startswith("-") else s


SEP, WB = "   ", list(enumerate(("w", "b")))  # a formula's line: w and b side by side


def run(name: str, lr: float, **options) -> list[list[str]]:
    model = LinearRegression(w=1.0, b=0.0)
    opt = make_optimizer(name, model.parameters(), lr, **options)
    rec = record(model, (X, Y), opt, loss="sse", epochs=STEPS)
    assert rec.updates == STEPS and rec.diverged is None
    return rec, [update_lines(rec, k) for k in range(STEPS)]


def expect_momentum(lr, mu, dampening=0.0, wd=0.0, nesterov=False):
    p, v, out = np.array([1.0, 0.0]), None, []
    for _ in range(STEPS):
        dl = grad(p)
        g = dl + wd * p
        keep = 1.0 if v is None else 1.0 - dampening
        v_prev = np.zeros(2) if v is None else v
        v = g if v is None else mu * v + (1 - dampening) * g
        new = p - lr * (g + mu * v if nesterov else v)
        lines = []
        if wd:
            lines.append(SEP.join(f"g_{m} = {n(dl[i])} + {n(wd)} * {f(p[i])} = {n(g[i])}" for i, m in WB))
        if dampening:
            lines.append(
                SEP.join(
                    f"v_{m} <- {n(mu)} * {f(v_prev[i])} + {n(keep)} * {f(g[i])} = {n(v[i])}" for i, m in WB
                )
            )
        else:
            lines.append(
                SEP.join(f"v_{m} <- {n(mu)} * {f(v_prev[i])} + {f(g[i])} = {n(v[i])}" for i, m in WB)
            )
        if nesterov:
            lines.append(
                SEP.join(
                    f"{m} <- {n(p[i])} - {n(lr)} * ({n(g[i])} + {n(mu)} * {f(v[i])}) = {n(new[i])}"
                    for i, m in WB
                )
            )
        else:
            lines.append(SEP.join(f"{m} <- {n(p[i])} - {n(lr)} * {f(v[i])} = {n(new[i])}" for i, m in WB))
        out.append(lines)
        p = new
    return out


def expect_adagrad(lr, lr_decay=0.0, init=0.0, eps=1e-10):
    p, s, out = np.array([1.0, 0.0]), np.full(2, init), []
    for t in range(1, STEPS + 1):
        g = grad(p)
        s_new = s + g * g
        lr_t = lr / (1 + (t - 1) * lr_decay)
        new = p - lr_t * g / (np.sqrt(s_new) + eps)
        rate = f"{n(lr)} / (1 + ({t} - 1) * {n(lr_decay)})" if lr_decay else n(lr)
        out.append(
            [
                SEP.join(f"s_{m} <- {n(s[i])} + {f(g[i])}^2 = {n(s_new[i])}" for i, m in WB),
                SEP.join(
                    f"{m} <- {n(p[i])} - {rate} * {f(g[i])} / (sqrt({n(s_new[i])}) + {n(eps)}) = {n(new[i])}"
                    for i, m in WB
                ),
            ]
        )
        p, s = new, s_new
    return out


def expect_rmsprop(lr, alpha=0.99, eps=1e-8, mu=0.0, centered=False):
    p, s, a, v, out = np.array([1.0, 0.0]), np.zeros(2), np.zeros(2), np.zeros(2), []
    for _ in range(STEPS):
        g = grad(p)
        s_new = alpha * s + (1 - alpha) * g * g
        lines = [
            SEP.join(
                f"s_{m} <- {n(alpha)} * {n(s[i])} + (1 - {n(alpha)}) * {f(g[i])}^2 = {n(s_new[i])}"
                for i, m in WB
            )
        ]
        if centered:
            a_new = alpha * a + (1 - alpha) * g
            d = np.sqrt(s_new - a_new * a_new) + eps
            lines.append(
                SEP.join(
                    f"a_{m} <- {n(alpha)} * {f(a[i])} + (1 - {n(alpha)}) * {f(g[i])} = {n(a_new[i])}"
                    for i, m in WB
                )
            )
            lines.append(
                SEP.join(
                    f"d_{m} = sqrt({n(s_new[i])} - {f(a_new[i])}^2) + {n(eps)} = {n(d[i])}" for i, m in WB
                )
            )
            scaled = [f"{f(g[i])} / {n(d[i])}" for i in range(2)]
            a = a_new
        else:
            d = np.sqrt(s_new) + eps
            scaled = [f"{f(g[i])} / (sqrt({n(s_new[i])}) + {n(eps)})" for i in range(2)]
        if mu:
            v_new = mu * v + g / d
            lines.append(
                SEP.join(f"v_{m} <- {n(mu)} * {f(v[i])} + {scaled[i]} = {n(v_new[i])}" for i, m in WB)
            )
            new = p - lr * v_new
            lines.append(SEP.join(f"{m} <- {n(p[i])} - {n(lr)} * {f(v_new[i])} = {n(new[i])}" for i, m in WB))
            v = v_new
        else:
            new = p - lr * g / d
            lines.append(SEP.join(f"{m} <- {n(p[i])} - {n(lr)} * {scaled[i]} = {n(new[i])}" for i, m in WB))
        out.append(lines)
        p, s = new, s_new
    return out


def expect_adam(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False, amsgrad=False):
    p, m_, v_, vmax, out = np.array([1.0, 0.0]), np.zeros(2), np.zeros(2), np.zeros(2), []
    for t in range(1, STEPS + 1):
        dl = grad(p)
        lines, start, g = [], p, dl
        if wd and decoupled:
            start = p * (1 - lr * wd)
            lines.append(
                SEP.join(f"{m}' = {n(p[i])} * (1 - {n(lr)} * {n(wd)}) = {n(start[i])}" for i, m in WB)
            )
        elif wd:
            g = dl + wd * p
            lines.append(SEP.join(f"g_{m} = {n(dl[i])} + {n(wd)} * {f(p[i])} = {n(g[i])}" for i, m in WB))
        m_new = b1 * m_ + (1 - b1) * g
        v_new = b2 * v_ + (1 - b2) * g * g
        lines.append(
            SEP.join(
                f"m_{m} <- {n(b1)} * {f(m_[i])} + (1 - {n(b1)}) * {f(g[i])} = {n(m_new[i])}" for i, m in WB
            )
        )
        lines.append(
            SEP.join(
                f"v_{m} <- {n(b2)} * {n(v_[i])} + (1 - {n(b2)}) * {f(g[i])}^2 = {n(v_new[i])}" for i, m in WB
            )
        )
        v_used = v_new
        if amsgrad:
            v_used = np.maximum(vmax, v_new) if t > 1 else v_new
            lines.append(
                SEP.join(f"vmax_{m} = max({n(vmax[i])}, {n(v_new[i])}) = {n(v_used[i])}" for i, m in WB)
            )
            vmax = v_used
        m_hat, v_hat = m_new / (1 - b1**t), v_used / (1 - b2**t)
        new = start - lr * m_hat / (np.sqrt(v_hat) + eps)
        lines.append(SEP.join(f"m^_{m} = {n(m_new[i])} / (1 - {n(b1)}^{t}) = {n(m_hat[i])}" for i, m in WB))
        lines.append(SEP.join(f"v^_{m} = {n(v_used[i])} / (1 - {n(b2)}^{t}) = {n(v_hat[i])}" for i, m in WB))
        lines.append(
            SEP.join(
                f"{m} <- {n(start[i])} - {n(lr)} * {f(m_hat[i])} / (sqrt({n(v_hat[i])}) + {n(eps)})"
                f" = {n(new[i])}"
                for i, m in WB
            )
        )
        out.append(lines)
        p, m_, v_ = new, m_new, v_new
    return out


CASES = [
    ("momentum", 0.01, {"momentum": 0.9}, lambda: expect_momentum(0.01, 0.9)),
    (
        "momentum",
        0.01,
        {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1},
        lambda: expect_momentum(0.01, 0.5, dampening=0.3, wd=0.1),
    ),
    ("nesterov", 0.01, {"momentum": 0.9}, lambda: expect_momentum(0.01, 0.9, nesterov=True)),
    ("adagrad", 0.1, {}, lambda: expect_adagrad(0.1)),
    (
        "adagrad",
        0.1,
        {"lr_decay": 0.1, "initial_accumulator_value": 0.5},
        lambda: expect_adagrad(0.1, 0.1, 0.5),
    ),
    ("rmsprop", 0.01, {}, lambda: expect_rmsprop(0.01)),
    (
        "rmsprop",
        0.01,
        {"momentum": 0.5, "centered": True},
        lambda: expect_rmsprop(0.01, mu=0.5, centered=True),
    ),
    ("adam", 0.1, {}, lambda: expect_adam(0.1)),
    ("adam", 0.1, {"weight_decay": 0.1, "amsgrad": True}, lambda: expect_adam(0.1, wd=0.1, amsgrad=True)),
    ("adamw", 0.1, {"weight_decay": 0.1}, lambda: expect_adam(0.1, wd=0.1, decoupled=True)),
]


@pytest.mark.parametrize(
    "name, lr, options, expected",
    CASES,
    ids=[f"{c[0]} {' '.join(f'{k}={v}' for k, v in c[2].items())}" for c in CASES],
)
def test_each_update_is_written_out_with_the_rules_own_numbers(name, lr, options, expected) -> None:
    rec, lines = run(name, lr, **options)
    want = expected()
    for k in range(STEPS):
        assert lines[k] == want[k], f"update {k + 1}"
    text = moment_text(rec, STEPS - 1, 2)[2]  # the page's, the widget's and the GIF's update text
    assert text == "update: " + "\n        ".join(want[-1])


def test_newton_writes_its_hessian_direction_and_step() -> None:
    """One Newton step from (1, 0): H = 2 A^T A = [[28, 12], [12, 6]], H d = (-40, -18) gives
    d = (-1, -1), and w, b land on least squares (2, 1)."""
    rec = record(LinearRegression(w=1.0, b=0.0), (X, Y), "newton", loss="sse", epochs=1)
    A = np.c_[X, np.ones(3)]
    H, g = 2 * A.T @ A, grad(np.array([1.0, 0.0]))
    d = np.linalg.solve(H, g)
    assert update_lines(rec, 0) == [
        f"H = [[{n(H[0, 0])}, {n(H[0, 1])}], [{n(H[1, 0])}, {n(H[1, 1])}]]",
        f"d = H^-1 ({n(g[0])}, {n(g[1])}) = ({n(d[0])}, {n(d[1])})",
        f"w <- 1 - 1 * {f(d[0])} = 2   b <- 0 - 1 * {f(d[1])} = 1",
    ]
    assert update_lines(rec, 0)[0] == "H = [[28, 12], [12, 6]]"


def test_a_tiny_step_of_another_rule_shows_the_digits_that_change() -> None:
    """Adam's steps are about lr long: with lr 1e-7 the parameter's old and new values are written
    with enough digits to differ (as the gradient-descent panel does)."""
    rec = record(LinearRegression(w=1.0, b=0.0), (X, Y), "adam", lr=1e-7, loss="sse", epochs=1)
    last = update_lines(rec, 0)[-1]
    w_part = last.split("   ")[0]
    was, now = w_part.split(" <- ")[1].split(" - ")[0], w_part.rsplit(" = ", 1)[1]
    assert was != now
    assert_close(float(now), 1 + 1e-7, rtol=1e-12)


def test_fit_replay_takes_every_rule_and_standardize(tmp_path, capsys) -> None:
    """``fit --replay`` with an adaptive rule and with --standardize: the study-hours run, on
    standardized features, converges to least squares and the replay holds every update."""
    import json
    import re

    root = __import__("pathlib").Path(__file__).resolve().parent.parent
    csv = str(root / "examples" / "data" / "study_hours.csv")
    for flags in (
        ["--optimizer", "adam", "--lr", "0.1"],
        ["--optimizer", "nesterov"],
        ["--optimizer", "newton"],
    ):
        folder = tmp_path / flags[1]
        assert main(["fit", csv, *flags, "--epochs", "20", "--replay", str(folder)]) == 0
        page = (folder / "index.html").read_text()
        assert '"formula"' in page and '"plain":false' in page
    capsys.readouterr()
    folder = tmp_path / "standardized"
    assert main(["fit", csv, "--standardize", "--epochs", "10", "--replay", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "open it in a browser to replay the 10 updates" in out
    assert re.search(r"loss - closed-form loss = \S+", out)
    data = json.loads(
        re.search(r"var REPLAY = (\{.*?\});\n", (folder / "index.html").read_text(), re.S).group(1)
    )
    X = np.genfromtxt(csv, delimiter=",")[:, 0]
    z = (X - X.mean()) / X.std()
    assert_close(np.array(data["X"])[:, 0], z, atol=1e-12)  # the features trained on
    assert data["feature_names"] == ["z_x"] and data["standardized"].startswith("z_x = (x - ")
    losses = page_numbers(folder / "index.html")["epoch_losses"]
    A = np.c_[z, np.ones_like(z)]
    best = np.mean(
        (
            A @ np.linalg.lstsq(A, np.genfromtxt(csv, delimiter=",")[:, 1], rcond=None)[0]
            - np.genfromtxt(csv, delimiter=",")[:, 1]
        )
        ** 2
    )
    assert_close(losses[-1], best, rtol=1e-9)  # watched converging: to least squares


def test_the_csv_holds_the_rules_numbers(tmp_path) -> None:
    from tinygrad_lr.replay import write_replay

    rec = record(LinearRegression(w=1.0, b=0.0), (X, Y), "momentum", lr=0.01, loss="sse", epochs=2)
    write_replay(rec, tmp_path / "r")
    header, first, second = (tmp_path / "r" / "updates.csv").read_text().splitlines()[:3]
    cols = header.split(",")
    assert "v[0]" in cols and "v[1]" in cols
    assert_close(float(second.split(",")[cols.index("v[0]")]), 0.9 * -40 + grad(np.array([1.4, 0.18]))[0])
    assert float(first.split(",")[cols.index("v_prev[0]")]) == 0.0


def test_the_gifs_frame_holds_the_whole_update_and_keeps_its_panels_size() -> None:
    """The GIF's frame (MomentFigure) grows a line per quantity of the rule, and writes a line per
    parameter when they would not fit side by side: no text runs out of the picture and the
    panels are as tall as gradient descent's."""
    from tinygrad_lr.viz.figures.moment import MomentFigure

    def drawn(name: str, lr: float, **options):
        model = LinearRegression(w=1.0, b=0.0)
        opt = make_optimizer(name, model.parameters(), lr, **options)
        view = MomentFigure(record(model, (X, Y), opt, loss="sse", epochs=20))
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = view.show(3, 2)
        fig.set_dpi(80)
        renderer = FigureCanvasAgg(fig).get_renderer()
        text = view.title.get_window_extent(renderer)
        box = fig.bbox
        assert 0 <= text.x0 and text.x1 <= box.x1 and text.y1 <= box.y1, name
        return view, view.ax_data.get_window_extent(renderer).height

    _, plain = drawn("gd", 0.01)
    _, momentum = drawn("momentum", 0.01)
    adam, tall = drawn("adam", 0.1, amsgrad=True, weight_decay=0.1)
    assert not adam.side_by_side and adam.title.get_text().count("\n") == 3 + 2 * 7 - 1
    for height in (momentum, tall):
        assert_close(height, plain, rtol=0.02)
