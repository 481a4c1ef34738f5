"""The loss landscape: where GD, SGD and mini-batch go on Loss(w, b), and why too large a
learning rate diverges.

docs/sources.md section 2's data (1, 3), (2, 5), (3, 7) and the sum of squared errors
``Loss(w, b) = sum_i (w*x_i + b - y_i)^2``, a bowl over the (w, b) plane with its lowest
point at w = 2, b = 1. From ``w = 1, b = 0`` and with ``lr = 0.04`` (the tutorial's 0.01
makes steps too small to tell apart on the picture):

* GD takes one step per epoch straight downhill (perpendicular to the contour lines);
* SGD (one sample per update, in order) follows each sample's own bowl in turn: a zigzag;
* mini-batch (2 samples per update) is in between.

The bowl is long and narrow: its Hessian ``H = 2 A^T A`` (``A = [x, 1]``, from the framework's
``loss_hessian``) has a large eigenvalue across the valley and a small one along it. A GD step
multiplies the distance to the minimum along each eigenvector by ``(1 - lr * lambda)``, so GD
converges only if ``lr < 2 / lambda_max`` -- the framework's ``max_stable_lr``. Just under the
bound it zigzags across the valley and slowly settles; just over, every zigzag is wider than
the last and the framework's ``fit`` stops the run with ``DivergenceError``.

What to look at: ``landscape.png`` (the three paths on the contours; the star is the
minimum), ``stability.png`` (GD just under and just over the bound) and
``stability_losses.png`` (their losses: one falls, one climbs).

    python examples/08_loss_landscape.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import DivergenceError, LinearRegression, fit, max_stable_lr, plot, sse
from tinygrad_lr.models import loss_hessian

NAME = "08_loss_landscape"
XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
LR, EPOCHS = 0.04, 100  # 4x the tutorial's 0.01, so that single steps can be told apart
W_RANGE, B_RANGE = (0.5, 3.0), (-1.5, 2.5)
STEPS = 15  # of the runs just under and just over the stability bound


def loss(w: float, b: float):
    """Loss(w, b) for the contour plot, with the framework's sse."""
    return sse([w * x + b for x in XS], YS)


def run(optimizer: str, lr: float, epochs: int, **options) -> np.ndarray:
    """Train from w = 1, b = 0; return the (w, b) after every update, shape (updates + 1, 2)."""
    model = LinearRegression(w=1.0, b=0.0)
    history = fit(model, (XS, YS), optimizer, lr=lr, loss="sse", epochs=epochs, record_params=True, **options)
    return np.array(history.params)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    paths = {
        "GD": run("gd", LR, EPOCHS),
        "SGD, in order": run("sgd", LR, EPOCHS),
        "mini-batch of 2": run("minibatch", LR, EPOCHS, batch_size=2),
    }
    print(f"from w = 1, b = 0, lr {LR}, {EPOCHS} epochs, SSE loss; the minimum is w = 2, b = 1:")
    ends = {}
    for label, path in paths.items():
        w, b = path[-1]
        ends[label] = (float(w), float(b))
        print(
            f"  {label:<16} {len(path) - 1:>4} updates -> w = {w:.5f}, b = {b:.5f}, "
            f"Loss = {loss(w, b).data:.2e}"
        )
    fig = plot.loss_landscape(
        loss,
        W_RANGE,
        B_RANGE,
        trajectories=paths,
        minimum=(2.0, 1.0),
        title="Loss(w, b) and three optimizers",
    )
    plot.save(fig, out / "landscape.png")

    H = loss_hessian(XS, "sse")
    lam_min, lam_max = np.linalg.eigvalsh(H)
    bound = max_stable_lr(XS, "sse")
    print("\nthe stability bound of gradient descent:")
    print(f"  Hessian of the loss H = 2 A^T A = {H.tolist()}, eigenvalues {lam_min:.4f} and {lam_max:.4f}")
    print("  one GD step multiplies the distance to the minimum along each eigenvector by (1 - lr * lambda);")
    print(f"  it shrinks for every eigenvector only if lr < 2 / lambda_max = 2 / {lam_max:.4f} = {bound:.6f}")
    under, over = round(0.97 * bound, 4), round(1.03 * bound, 4)
    stability = {}
    for lr in (under, over):
        factor = abs(1 - lr * lam_max)
        path = run("gd", lr, STEPS, patience=None)  # no early stop: let the picture show what happens
        stability[f"lr {lr} ({'under' if lr < bound else 'over'} the bound)"] = path
        print(
            f"  lr {lr}: |1 - lr * lambda_max| = {factor:.4f} per step -> "
            f"after {STEPS} steps w = {path[-1][0]:.4g}, b = {path[-1][1]:.4g}"
        )
    fig, axes = plot.new_figure(ncols=2, width=6.0, height=5.0)
    for ax, (label, path) in zip(axes, stability.items()):
        plot.loss_landscape(
            loss, (0.5, 3.5), (-0.5, 2.5), trajectories={"GD": path}, minimum=(2.0, 1.0), ax=ax
        )
        ax.set_title(label)
    plot.save(fig, out / "stability.png")
    fig = plot.loss_curves(
        {label: [loss(w, b).data for w, b in path] for label, path in stability.items()},
        log=True,
        xlabel="GD step",
        ylabel="Loss",
        title=f"just under and just over lr = 2 / lambda_max = {bound:.4f}",
    )
    plot.save(fig, out / "stability_losses.png")

    print(f"\n  and the framework's fit with lr {over}, which watches for divergence:")
    message = None
    try:
        fit(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=over, loss="sse", epochs=500)
    except DivergenceError as exc:
        message = str(exc)
        print(f"  DivergenceError: {message}")

    figures = [out / "landscape.png", out / "stability.png", out / "stability_losses.png"]
    print("\nfigures: " + ", ".join(str(f) for f in figures))
    return {
        "ends": ends,
        "updates": {label: len(path) - 1 for label, path in paths.items()},
        "eigenvalues": (float(lam_min), float(lam_max)),
        "max_stable_lr": bound,
        "under_end": tuple(stability[next(iter(stability))][-1]),
        "over_end": tuple(stability[list(stability)[1]][-1]),
        "divergence_message": message,
        "figures": figures,
    }


if __name__ == "__main__":
    main()
