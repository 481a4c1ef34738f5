"""Stochastic, mini-batch and full gradient descent on synthetic data (docs/sources.md section 3).

The tutorial's recipe, from a seeded generator: ``X = 2*rand(100, 1)``,
``y = 4 + 3*X + randn(100, 1)``, so the true line is y = 3x + 4 and the best line *for this
sample of noise* is the least-squares solution (``numpy.linalg.lstsq``). The parameters start
from standard-normal draws, as the tutorial's ``theta = randn(2, 1)``.

Three optimizers, each with the framework's ``fit`` and the MSE loss, and the same budget of
20 epochs (passes over the data, i.e. 2,000 per-sample gradients):

* one-sample SGD as in the tutorial: each update on ONE sample drawn at random (``randint(100)``,
  i.e. with replacement), learning rate 0.01 -- 2,000 updates (the tutorial made 1,000);
* mini-batch SGD: batches of 10 from a fresh shuffle every epoch, lr 0.05 -- 200 updates;
* full-batch GD: every sample in every update, lr 0.1 -- only 20 updates; it is then run on to
  1,000 epochs to show where it is heading: exactly the least-squares solution.

First, the tutorial's own run to the last digit: its code seeds numpy's legacy global generator
(``np.random.seed(0)``, then ``rand``, ``randn``, ``randn(2, 1)`` for theta and ``randint(100)``
per update). Handing ``fit`` a ``numpy.random.RandomState(0)`` makes the framework draw the
same numbers in the same order, so its 1,000 one-sample updates end on exactly the tutorial's
intercept and slope; the tutorial's loop is run alongside to show it.

What to look at: ``loss_curves.png`` -- the loss over the whole data (above the least-squares
loss, log scale) against the number of passes over the data. Left, the same 20 epochs for
all three: per sample read, SGD gets close soonest but keeps jittering (every step follows
one noisy sample), mini-batch sits in between, GD is smooth but still far off. Right, GD alone
over 1,000 epochs: it does get there, exactly. ``fit.png`` -- the data and SGD's line.

    python examples/04_sgd_synthetic.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import LinearRegression, fit, make_linear_data, plot

NAME = "04_sgd_synthetic"
DATA_SEED, INIT_SEED, BATCH_SEED = 0, 1, 2
EPOCHS, GD_EPOCHS = 20, 1000


def tutorial_sgd() -> tuple[float, float]:
    """The SGD tutorial's own code (numpy's global generator): intercept and slope after 1,000 updates."""
    np.random.seed(0)
    X = 2 * np.random.rand(100, 1)
    y = 4 + 3 * X + np.random.randn(100, 1)
    X_b = np.c_[np.ones((100, 1)), X]
    theta = np.random.randn(2, 1)
    for _ in range(1000):
        i = np.random.randint(100)
        xi, yi = X_b[i : i + 1], y[i : i + 1]
        theta = theta - 0.01 * 2 * xi.T.dot(xi.dot(theta) - yi)
    return float(theta[0, 0]), float(theta[1, 0])


def framework_sgd_like_the_tutorial() -> tuple[float, float]:
    """The same run with the framework: one RandomState(0) for the data, theta and the samples."""
    rs = np.random.RandomState(0)  # the tutorial's np.random.seed(0)
    data = make_linear_data(100, w=3.0, b=4.0, noise=1.0, x_scale=2.0, rng=rs)  # rand, then randn
    model = LinearRegression(rng=rs)  # theta = randn(2, 1): b, then w
    fit(model, data, "sgd", lr=0.01, replacement=True, epochs=10, loss="mse", rng=rs)  # randint(100) x 1000
    return float(model.intercept), float(model.weights[0])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    b_t, w_t = tutorial_sgd()
    b_f, w_f = framework_sgd_like_the_tutorial()
    print("the tutorial's run (np.random.seed(0), 1000 one-sample updates, lr 0.01):")
    label = "the tutorial's code:"
    print(f"  {label:<40} intercept {b_t!r}, slope {w_t!r}")
    print(f"  {'fit(..., rng=np.random.RandomState(0)):':<40} intercept {b_f!r}, slope {w_f!r}")
    if (b_t, w_t) == (b_f, w_f):
        print("  (the same draws in the same order, so the same digits)\n")
    else:  # the tutorial's xi.dot(theta) goes through BLAS, whose kernel (and last bit) varies by processor
        gap = max(abs(b_t - b_f) / abs(b_f), abs(w_t - w_f) / abs(w_f))
        print(f"  (the same draws in the same order; {gap:.1g} apart: numpy's dot rounds the last bit")
        print("   differently on different processors)\n")

    data = make_linear_data(100, w=3.0, b=4.0, noise=1.0, x_scale=2.0, rng=DATA_SEED)
    A = np.column_stack([np.ones(data.n_samples), data.X])  # the tutorial's X_b = [1, X]
    (b_ls, w_ls), *_ = np.linalg.lstsq(A, data.y, rcond=None)
    print(f"data: 100 points, y = 4 + 3x + noise (seed {DATA_SEED})")
    print(f"least squares:       b = {b_ls:.4f}, w = {w_ls:.4f}")

    runs = {
        "one-sample SGD, lr 0.01": dict(optimizer="sgd", lr=0.01, replacement=True, epochs=EPOCHS),
        "mini-batch 10, lr 0.05": dict(
            optimizer="minibatch", lr=0.05, batch_size=10, shuffle=True, epochs=EPOCHS
        ),
        "full-batch GD, lr 0.1": dict(optimizer="gd", lr=0.1, epochs=GD_EPOCHS),
    }
    results, curves, models = {}, {}, {}
    print(f"\nafter {EPOCHS} epochs:")
    for label, opts in runs.items():
        # same start for all: theta = randn(2, 1); the Tensor engine for GD's 100,000 sample-gradients
        model = LinearRegression(rng=INIT_SEED, engine="tensor" if opts["optimizer"] == "gd" else "value")
        history = fit(model, data, loss="mse", rng=BATCH_SEED, **opts)
        w, b = history.epoch_params[EPOCHS - 1]  # [w, b] after epoch 20
        dist = float(np.hypot(b - b_ls, w - w_ls))
        updates = history.updates * EPOCHS // history.epochs
        results[label] = (float(b), float(w), dist, updates, history.losses[EPOCHS - 1])
        models[label] = model
        curves[label] = [history.initial_loss, *history.losses]
        print(
            f"  {label:<24} b = {b:.4f}, w = {w:.4f}  ({updates:>4} updates), "
            f"distance to least squares {dist:.4f}, loss {history.losses[EPOCHS - 1]:.4f}"
        )
    gd = models["full-batch GD, lr 0.1"]  # after all its epochs
    b_gd, w_gd = float(gd.intercept), float(gd.weights[0])
    results["gd_long"] = (b_gd, w_gd, float(np.hypot(b_gd - b_ls, w_gd - w_ls)))
    print(
        f"GD after {GD_EPOCHS} epochs: b = {b_gd:.4f}, w = {w_gd:.4f}, distance {results['gd_long'][2]:.1e}"
    )
    loss_ls = float(np.mean((A @ [b_ls, w_ls] - data.y) ** 2))
    print(f"{'least squares':<24} loss {loss_ls:.4f} (the lowest any line can reach on this data)")

    # the loss ABOVE the best possible one, so the log scale shows how close each run gets;
    # left: the same budget of 20 epochs for all three; right: GD alone, given 1000 epochs
    excess = {label: [loss - loss_ls for loss in losses] for label, losses in curves.items()}
    gd_label = "full-batch GD, lr 0.1"
    fig, (left, right) = plot.new_figure(ncols=2, width=5.4)
    plot.loss_curves(
        {label: losses[: EPOCHS + 1] for label, losses in excess.items()},
        log=True,
        xlabel="epochs (passes over the data)",
        ylabel="MSE - least-squares MSE",
        title=f"the same budget: {EPOCHS} epochs each",
        ax=left,
    )
    left.set_xlim(0, EPOCHS)
    left.set_xticks(range(0, EPOCHS + 1, 5))
    gd_excess = excess[gd_label]
    exact = next(i for i, e in enumerate(gd_excess) if e < 1e-12)  # least squares, up to rounding
    plot.loss_curves(
        {gd_label: gd_excess[: exact + 1]},
        log=True,
        colors={gd_label: plot.CYCLE[2]},  # GD keeps its colour from the left panel
        xlabel="epochs (passes over the data)",
        ylabel="MSE - least-squares MSE",
        title=f"GD given time: {GD_EPOCHS} epochs",
        ax=right,
    )
    right.set_xlim(0, GD_EPOCHS)
    right.axvspan(0, EPOCHS, color="0.85", zorder=0, label=f"the left panel's {EPOCHS} epochs")
    right.annotate(
        f"epoch {exact}: within 1e-12 of least squares,\nthen equal to it up to rounding",
        (exact, gd_excess[exact]),
        xytext=(10, 4),
        textcoords="offset points",
        ha="left",
        fontsize=8,
    )
    right.legend()
    plot.save(fig, out / "loss_curves.png")
    b_sgd, w_sgd = results["one-sample SGD, lr 0.01"][:2]
    fig = plot.fit_line(
        data.X[:, 0],
        data.y,
        w_sgd,
        b_sgd,
        xlim=(0, 2),
        ylim=(0, 15),
        title=f"one-sample SGD, {EPOCHS} epochs",
    )
    plot.save(fig, out / "fit.png")
    print(f"\nfigures: {out / 'loss_curves.png'}, {out / 'fit.png'}")
    return {
        "tutorial": (b_t, w_t),
        "tutorial_by_fit": (b_f, w_f),
        "lstsq": (float(b_ls), float(w_ls)),
        "sgd": results["one-sample SGD, lr 0.01"],
        "minibatch": results["mini-batch 10, lr 0.05"],
        "gd": results["full-batch GD, lr 0.1"],
        "gd_long": results["gd_long"],
        "loss_lstsq": loss_ls,
        "figures": [out / "loss_curves.png", out / "fit.png"],
    }


if __name__ == "__main__":
    main()
