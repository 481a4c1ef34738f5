"""Fitting a line to three points with gradient descent (docs/sources.md section 2), then to points
that are not on one line.

1. The warm-ups the tutorial closes with -- "deep learning is, in essence, finding the minimum
   of a function": one GD step (step 0.1) on ``f(x) = x^2`` from 0.5 gives 0.4, and on
   ``f(x, y) = x^2 + y^2`` from (1, 1) gives (0.8, 0.8).
2. The tutorial's data: train on (1, 3), (2, 5), (3, 7), keep (4, 9) for testing. The model
   ``y = w*x + b`` from ``w = 1, b = 0``, the SUM of squared errors, ``lr = 0.01``, 1000
   full-batch iterations, exactly as the tutorial: ``w = 2.000148389025502``,
   ``b = 0.9996626768662412`` (the true line is y = 2x + 1; 1000 steps get within 2e-4).
3. The same settings on x = 1, 1.5, 3 with y = 3, 5, 7: no line passes through all three, so
   GD finds the least-squares compromise; it is compared with the closed-form solution
   (``numpy.linalg.lstsq``).

Everything runs on the framework: ``LinearRegression`` and ``fit`` with the ``"gd"``
optimizer, the warm-ups on ``Value`` with the ``GD`` optimizer.

What to look at: ``fit_three_points.png`` (training points blue, test point red, the fitted
line black, as in the tutorial) and ``fit_not_on_a_line.png`` (the compromise line and each
point's error as a dotted segment).

    python examples/02_fit_three_points.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import GD, LinearRegression, Value, fit, plot

NAME = "02_fit_three_points"
LR, ITERATIONS = 0.01, 1000


def warm_ups() -> tuple[float, tuple[float, float]]:
    """One GD step with step size 0.1 on x^2 (from 0.5) and on x^2 + y^2 (from (1, 1))."""
    x = Value(0.5, label="x")
    opt = GD([x], lr=0.1)
    opt.zero_grad()
    (x**2).backward()  # df/dx = 2x = 1
    opt.step()
    px, py = Value(1.0, label="x"), Value(1.0, label="y")
    opt2 = GD([px, py], lr=0.1)
    opt2.zero_grad()
    (px**2 + py**2).backward()  # gradient (2x, 2y) = (2, 2)
    opt2.step()
    return x.data, (px.data, py.data)


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """The closed-form minimum of the SSE: solve [x 1] [w b]^T ~ y with numpy.linalg.lstsq."""
    A = np.column_stack([xs, np.ones(len(xs))])
    (w, b), *_ = np.linalg.lstsq(A, np.asarray(ys, dtype=float), rcond=None)
    return float(w), float(b)


def train(xs: list[float], ys: list[float]) -> tuple[LinearRegression, float, float]:
    model = LinearRegression(w=1.0, b=0.0)
    history = fit(model, (xs, ys), "gd", lr=LR, loss="sse", epochs=ITERATIONS)
    return model, history.initial_loss, history.final_loss


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    x1, (x2, y2) = warm_ups()
    print("warm-ups, one step of size 0.1:")
    print(f"  f(x) = x^2 from x = 0.5:              x -> {x1:.12g}")
    print(f"  f(x, y) = x^2 + y^2 from (1, 1):      (x, y) -> ({x2:.12g}, {y2:.12g})")

    xs, ys = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
    model, loss0, loss1 = train(xs, ys)
    w, b = float(model.weights[0]), float(model.intercept)
    test_pred = model.predict(4.0)
    print(f"\ntraining points {list(zip(xs, ys))}, {ITERATIONS} GD iterations, lr {LR}, SSE loss:")
    print(f"  w = {w!r}")
    print(f"  b = {b!r}")
    print(f"  loss {loss0:g} -> {loss1:.3g}")
    print(f"  test point x = 4: predicted {test_pred:.6f}, true 9 (error {test_pred - 9:+.2e})")
    fig = plot.fit_line(
        xs, ys, w, b, x_test=[4.0], y_test=[9.0], title=f"{ITERATIONS} GD iterations: y = wx + b"
    )
    plot.save(fig, out / "fit_three_points.png")

    xs2, ys2 = [1.0, 1.5, 3.0], [3.0, 5.0, 7.0]
    model2, loss0_2, loss1_2 = train(xs2, ys2)
    w2, b2 = float(model2.weights[0]), float(model2.intercept)
    w_ls, b_ls = least_squares(xs2, ys2)
    print(f"\npoints not on one line {list(zip(xs2, ys2))}, same settings:")
    print(f"  GD:            w = {w2:.10f}, b = {b2:.10f}, loss {loss0_2:g} -> {loss1_2:.6f}")
    print(f"  least squares: w = {w_ls:.10f}, b = {b_ls:.10f}")
    print(f"  difference:    {abs(w2 - w_ls):.1e} in w, {abs(b2 - b_ls):.1e} in b (GD has not quite arrived)")
    fig = plot.fit_line(
        xs2, ys2, w2, b2, residuals=True, title="points not on one line: the least-squares compromise"
    )
    plot.save(fig, out / "fit_not_on_a_line.png")
    print(f"\nfigures: {out / 'fit_three_points.png'}, {out / 'fit_not_on_a_line.png'}")
    return {
        "warmup_x": x1,
        "warmup_xy": (x2, y2),
        "w": w,
        "b": b,
        "test_prediction": test_pred,
        "w2": w2,
        "b2": b2,
        "lstsq2": (w_ls, b_ls),
        "loss2": loss1_2,
        "figures": [out / "fit_three_points.png", out / "fit_not_on_a_line.png"],
    }


if __name__ == "__main__":
    main()
