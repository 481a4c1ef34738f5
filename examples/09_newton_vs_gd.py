"""Newton's method against gradient descent on linear regression: one step against hundreds.

1. The Hessian of the mean squared error by autodiff (the gradient, built as a graph with
   ``create_graph=True``, differentiated once more): it equals the closed form
   ``2 A^T A / n`` with ``A = [X, 1]``.
2. Its largest eigenvalue by power iteration on Hessian-vector products, and from it the largest
   stable learning rate ``2 / lambda_max``: the same number as ``max_stable_lr``.
3. Newton's method ``theta <- theta - H^-1 g`` lands on the least-squares solution in ONE step
   (the loss is a quadratic bowl, and Newton's step is exact for a quadratic). Gradient descent
   with the best safe learning rate it can have here (90% of ``2 / lambda_max``) needs hundreds
   of steps to get as close.

Everything runs on the framework (``Tensor`` engine): ``hessian``, ``largest_eigenvalue``,
``Newton`` and ``GD``.

What to look at: ``newton_vs_gd.png``, the distance to the least-squares solution after each
step on a log scale: GD's straight line (a constant factor per step, set by the Hessian's
eigenvalues) against Newton's drop to rounding error at step 1.

    python examples/09_newton_vs_gd.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import (
    GD,
    LinearRegression,
    Newton,
    hessian,
    largest_eigenvalue,
    make_linear_data,
    max_stable_lr,
    mse,
    plot,
)

NAME = "09_newton_vs_gd"
GD_STEPS = 600
CLOSE = 1e-10  # "arrived": every parameter within this of least squares


def distance(model: LinearRegression, best: np.ndarray) -> float:
    return float(np.abs(model.param_vector() - best).max())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    data = make_linear_data(200, w=[1.5, -2.0], b=0.5, noise=0.1, rng=0)
    X, y = data.X, data.y
    A = np.column_stack([X, np.ones(len(X))])
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    start = LinearRegression(2, engine="tensor", rng=1).state_dict()

    model = LinearRegression(2, engine="tensor").load_state_dict(start)
    H = hessian(mse(model(X), y), model.parameters())
    closed = 2 * A.T @ A / len(X)
    print("Hessian of the MSE by autodiff (w1, w2, b):")
    print(np.array2string(H, precision=6))
    h_diff = float(np.abs(H - closed).max())
    print(f"largest difference from the closed form 2 A^T A / n: {h_diff:.1e}")

    lam = largest_eigenvalue(mse(model(X), y), model.parameters())
    stable = 2.0 / lam
    print(f"\nlambda_max by power iteration: {lam:.10f}")
    print(f"2 / lambda_max = {stable:.10f}   max_stable_lr = {max_stable_lr(X):.10f}")

    newton = LinearRegression(2, engine="tensor").load_state_dict(start)
    opt = Newton(newton.parameters())
    newton_path = [distance(newton, best)]
    for _ in range(3):
        opt.zero_grad()
        mse(newton(X), y).backward(create_graph=True)
        opt.step()
        newton_path.append(distance(newton, best))
    print(f"\nNewton: distance to least squares {newton_path[0]:.3g} -> {newton_path[1]:.1e} after ONE step")

    gd = LinearRegression(2, engine="tensor").load_state_dict(start)
    lr = 0.9 * stable
    opt_gd = GD(gd.parameters(), lr=lr)
    gd_path = [distance(gd, best)]
    arrived = None
    for step in range(1, GD_STEPS + 1):
        opt_gd.zero_grad()
        mse(gd(X), y).backward()
        opt_gd.step()
        gd_path.append(distance(gd, best))
        if arrived is None and gd_path[-1] < CLOSE:
            arrived = step
    print(f"GD (lr = 0.9 * 2/lambda_max = {lr:.4f}): {gd_path[1]:.3g} after one step, "
          f"within {CLOSE:g} after {arrived} steps")

    floor = np.finfo(float).eps  # a distance of exactly 0 has no place on a log axis
    fig = plot.loss_curves(
        {
            "Newton": [max(d, floor) for d in newton_path],
            f"GD, lr = {lr:.3f}": [max(d, floor) for d in gd_path],
        },
        log=True,
        xlabel="step",
        ylabel="max |theta - theta_least_squares|",
        title="Newton: least squares in one step; GD: hundreds",
    )
    plot.save(fig, out / "newton_vs_gd.png")
    print(f"\nfigure: {out / 'newton_vs_gd.png'}")
    return {
        "hessian": H,
        "closed_form": closed,
        "lambda_max": lam,
        "stable_lr": stable,
        "newton_after_one_step": newton_path[1],
        "gd_after_one_step": gd_path[1],
        "gd_steps_to_close": arrived,
        "figures": [out / "newton_vs_gd.png"],
    }


if __name__ == "__main__":
    main()
