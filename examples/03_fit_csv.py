"""Gradient descent on a CSV of 100 points, and a hand-written gradient caught by a check
(docs/sources.md section 1).

1. ``examples/data/study_hours.csv``: 100 (hours studied, test score) pairs, two columns, no
   header, made by the seeded ``examples/data/make_study_hours.py`` (the project's own data).
   Loaded with the framework's ``load_csv``.
2. The model ``y = w*x + b``, the MEAN squared error, ``w = 0, b = 0``, learning rate 0.0001,
   1000 full-batch iterations, as the tutorial: the loss before and after. (The learning rate
   is tiny because x is ~50: the loss is ~2500 times steeper in ``w`` than in ``b``, so ``b``
   barely moves -- compare with the least-squares line.)
3. The tutorial's ``step_gradient`` has a bug: inside the loop over the points it ASSIGNS
   ``w``'s gradient instead of adding to it, so only the last point counts for ``w`` (``b``'s
   is added up, and is right). ``check_gradient_fn``
   compares it with autodiff and names the mistake; the fixed version passes.

What to look at: the printed gradient-check report (the FAILED line and its hint),
``fit.png`` (the data and the line after 1000 iterations) and ``loss.png`` (the loss above the
least-squares one, log scales: a drop of three orders of magnitude in ten iterations, then a
crawl, because ``b`` hardly moves).

    python examples/03_fit_csv.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import LinearRegression, fit, load_csv, plot
from tinygrad_lr.gradcheck import check_gradient_fn

NAME = "03_fit_csv"
CSV = Path(__file__).parent / "data" / "study_hours.csv"
LR, ITERATIONS = 1e-4, 1000


def step_gradient_buggy(w, b, x, y):
    """The tutorial's gradient of the mean squared error -- with its bug, copied faithfully:
    ``b``'s gradient is added up over the points, ``w``'s is assigned (docs/sources.md)."""
    n = len(x)
    w_gradient = b_gradient = 0.0
    for i in range(n):
        b_gradient += (2 / n) * ((w * x[i] + b) - y[i])
        w_gradient = (2 / n) * ((w * x[i] + b) - y[i]) * x[i]  # BUG: = instead of +=
    return w_gradient, b_gradient


def step_gradient_fixed(w, b, x, y):
    """The same loop with the gradients accumulated over every point."""
    n = len(x)
    w_gradient = b_gradient = 0.0
    for i in range(n):
        w_gradient += (2 / n) * ((w * x[i] + b) - y[i]) * x[i]
        b_gradient += (2 / n) * ((w * x[i] + b) - y[i])
    return w_gradient, b_gradient


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    data = load_csv(CSV)
    x, y = data.X[:, 0], data.y
    print(
        f"{CSV.name}: {data.n_samples} points, "
        f"x in [{x.min():.1f}, {x.max():.1f}], y in [{y.min():.1f}, {y.max():.1f}]"
    )

    model = LinearRegression(w=0.0, b=0.0, engine="tensor")  # vectorised: 100 points x 1000 steps
    history = fit(model, data, "gd", lr=LR, loss="mse", epochs=ITERATIONS)
    w, b = float(model.weights[0]), float(model.intercept)
    A = np.column_stack([x, np.ones_like(x)])
    (w_ls, b_ls), *_ = np.linalg.lstsq(A, y, rcond=None)
    loss_ls = float(np.mean((A @ [w_ls, b_ls] - y) ** 2))
    print(f"\nGD from w = 0, b = 0, lr {LR:g}, {ITERATIONS} iterations, MSE loss:")
    print(f"  before: loss = {history.initial_loss:.4f}")
    print(f"  after:  loss = {history.final_loss:.4f},  w = {w:.6f}, b = {b:.6f}")
    print(f"  least squares: loss = {loss_ls:.4f},  w = {w_ls:.6f}, b = {b_ls:.6f}")

    print("\nThe tutorial's hand-written gradient, checked against autodiff at w = 0, b = 0:\n")
    report = check_gradient_fn(step_gradient_buggy, 0.0, 0.0, x, y, loss="mse", rng=0)
    print(report)
    fixed = check_gradient_fn(step_gradient_fixed, 0.0, 0.0, x, y, loss="mse", rng=0)
    print(f"\nwith += instead of =: {fixed.verdict()}")

    fig = plot.fit_line(
        x, y, w, b, xlim=(20, 75), ylim=(20, 125), title=f"{ITERATIONS} GD iterations on {CSV.name}"
    )
    ax = fig.axes[0]
    ax.set_xlabel("hours studied")
    ax.set_ylabel("test score")
    plot.save(fig, out / "fit.png")
    fig = plot.loss_curves(
        {"GD, lr 1e-4": [loss - loss_ls for loss in [history.initial_loss, *history.losses]]},
        log=True,
        xlog=True,  # iteration 0 stays on the axis, left of a marked break
        xlabel="iteration",
        ylabel="MSE - least-squares MSE",
        title="how far above the best line, per iteration",
    )
    fig.axes[0].set_xlim(0, ITERATIONS)
    loss_xlabel = fig.axes[0].get_xlabel()
    plot.save(fig, out / "loss.png")
    print(f"\nfigures: {out / 'fit.png'}, {out / 'loss.png'}")
    return {
        "n": data.n_samples,
        "loss_before": history.initial_loss,
        "loss_after": history.final_loss,
        "w": w,
        "b": b,
        "lstsq": (float(w_ls), float(b_ls)),
        "buggy_ok": report.ok,
        "buggy_verdict": report.verdict(),
        "fixed_ok": fixed.ok,
        "figures": [out / "fit.png", out / "loss.png"],
        "loss_xlabel": loss_xlabel,
    }


if __name__ == "__main__":
    main()
