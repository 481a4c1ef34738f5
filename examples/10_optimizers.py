"""GD, momentum, Nesterov, RMSProp and Adam from one start, on a round bowl and on a narrow valley.

The same model ``f(x) = w*x + b`` and MSE loss on two data sets of 40 points on the line
``y = 1.5x + 0.5`` plus noise:

* well conditioned: x standardized (mean 0, std 1), so the loss's Hessian is ``2 I``: a round
  bowl, condition number 1;
* ill conditioned: x in [2, 4], far from 0, so ``w`` and ``b`` pull against each other: a long
  narrow valley, condition number ~340.

Every optimizer starts at ``(w, b) = (-1, 3)`` and runs 60 full-batch updates. GD, momentum
and Nesterov share the learning rate ``0.5 / lambda_max`` (a quarter of GD's stability limit
``2 / lambda_max``, which the condition number ties to the flat direction); RMSProp and Adam
use lr 0.05 and 0.1 (they step about ``lr`` per update, whatever the gradient's size).

What to look at: ``comparison.png`` -- left, on the round bowl every method heads straight
for the minimum (momentum overshoots and circles back); right, in the valley GD slides down
to the floor and then crawls along it, far from the star after 60 updates; momentum and
Nesterov zig-zag across the floor but build up speed along it and get twice as far; RMSProp
and Adam take steps of about ``lr`` in both w and b, which here first climbs the valley's
side. ``lr_sweep.png`` -- GD's loss above the least-squares loss after 60 epochs, against the
learning rate, with the stability limit ``2 / lambda_max`` marked: on the round bowl a large
enough lr reaches the minimum to rounding, and past the limit every run diverges; on the
ill-conditioned data even the best lr leaves the loss well above the minimum.

    python examples/10_optimizers.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import GD, Adam, Momentum, Nesterov, RMSprop, from_arrays, plot
from tinygrad_lr.closed_form import lstsq
from tinygrad_lr.models import loss_hessian

NAME = "10_optimizers"
START, EPOCHS = (-1.0, 3.0), 60


def make_data() -> dict:
    rng = np.random.default_rng(3)
    x_well = rng.standard_normal(40)
    x_well = (x_well - x_well.mean()) / x_well.std()
    x_ill = 2 + 2 * rng.random(40)
    out = {}
    for name, x in (("well conditioned", x_well), ("ill conditioned", x_ill)):
        out[name] = from_arrays(x, 1.5 * x + 0.5 + 0.3 * rng.standard_normal(40))
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    out: Path = parser.parse_args(argv).out
    results: dict = {}
    fig, axes = plot.new_figure(ncols=2, width=6.2, height=6.6)
    sweeps, (s_left, s_right) = plot.new_figure(ncols=2, width=5.0, height=3.8)
    for ax, sweep_ax, (name, data) in zip(axes, (s_left, s_right), make_data().items()):
        eig = np.linalg.eigvalsh(loss_hessian(data.X, "mse"))
        lr = 0.5 / eig.max()
        best = lstsq(data.X, data.y)
        optimizers = {
            f"GD, lr {lr:.3g}": lambda p, lr=lr: GD(p, lr=lr),
            f"momentum 0.9, lr {lr:.3g}": lambda p, lr=lr: Momentum(p, lr=lr, momentum=0.9),
            f"Nesterov 0.9, lr {lr:.3g}": lambda p, lr=lr: Nesterov(p, lr=lr, momentum=0.9),
            "RMSProp, lr 0.05": lambda p: RMSprop(p, lr=0.05),
            "Adam, lr 0.1": lambda p: Adam(p, lr=0.1),
        }
        paths = plot.optimizer_paths(data, optimizers, start=START, epochs=EPOCHS)
        print(f"{name}: condition number {eig.max() / eig.min():.4g}, 2/lambda_max = {2 / eig.max():.4g}, "
              f"least squares w = {best.weights[0]:.4f}, b = {best.intercept:.4f}")
        row = {}
        for label, path in paths.items():
            dist = float(np.linalg.norm(path[-1] - best.param_vector()))
            row[label.split(",")[0]] = dist
            print(f"  {label:<26} after {EPOCHS} updates: w = {path[-1, 0]:8.4f}, b = {path[-1, 1]:8.4f}, "
                  f"distance to least squares {dist:.3g}")
        results[name] = row
        X, y = data.X[:, 0], data.y

        def mse(w: float, b: float, X: np.ndarray = X, y: np.ndarray = y) -> float:
            return float(np.mean((w * X + b - y) ** 2))

        lo_w, hi_w = min(START[0], best.weights[0]) - 0.6, max(START[0], best.weights[0]) + 1.3
        lo_b, hi_b = min(START[1], best.intercept) - 1.4, max(START[1], best.intercept) + 1.8
        plot.loss_landscape(mse, (lo_w, hi_w), (lo_b, hi_b), trajectories=paths,
                            minimum=(best.weights[0], best.intercept),
                            title=f"{name} (condition number {eig.max() / eig.min():.3g})", ax=ax)
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.11))  # below: paths stay visible
        bound = 2 / eig.max()
        plot.lr_sweep(data, bound * np.geomspace(0.01, 1.2, 15), epochs=EPOCHS,
                      title=f"GD, {name}", ax=sweep_ax)
        results[name]["bound"] = bound
    plot.save(fig, out / "comparison.png")
    plot.save(sweeps, out / "lr_sweep.png")
    print(f"\nfigures: {out / 'comparison.png'}, {out / 'lr_sweep.png'}")
    results["figures"] = [out / "comparison.png", out / "lr_sweep.png"]
    return results


if __name__ == "__main__":
    main()
