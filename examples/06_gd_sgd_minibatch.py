"""Gradient descent, SGD and mini-batch, the PyTorch-course way (docs/sources.md section 5).

Data x = 1, 2, 3 with y = 2, 4, 6; the model ``y = x*w`` with no bias, from ``w = 1.0``;
the MSE loss; learning rate 0.01; 100 epochs. Three ways to spend an epoch:

* GD: one update per epoch, with the gradient of the MSE over all three points,
  ``mean(2*x*(x*w - y))`` -- after 100 epochs ``w = 1.9999444396553017``, so the prediction
  for x = 4 is about 7.99978;
* SGD: three updates per epoch, one after EACH sample in order, with that sample's own
  gradient ``2*x*(x*w - y)`` -- after 100 epochs ``w = 1.9999999999999236``: per epoch it
  moves three times, so it gets much closer;
* mini-batch: batches of 2 in order (the points 1, 2, then 3 alone) -- in between.

All three are the framework's ``LinearRegression(bias=False)`` trained by ``fit`` with the
``"gd"``, ``"sgd"`` and ``"minibatch"`` optimizers. SGD's per-sample updates cannot be
computed in parallel; mini-batches are the usual middle ground.

What to look at: the per-epoch table (w and the loss after each epoch) and ``loss_curves.png``
(log scale: straight lines, i.e. the error shrinks by a constant factor per epoch, and SGD's
factor is the smallest).

    python examples/06_gd_sgd_minibatch.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_lr import LinearRegression, fit, plot

NAME = "06_gd_sgd_minibatch"
XS, YS = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
LR, EPOCHS = 0.01, 100
TABLE_EPOCHS = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    runs = {
        "GD": dict(optimizer="gd"),
        "SGD (in order)": dict(optimizer="sgd"),
        "mini-batch of 2": dict(optimizer="minibatch", batch_size=2),
    }
    models, histories = {}, {}
    for label, opts in runs.items():
        model = LinearRegression(bias=False, w=1.0)
        histories[label] = fit(model, (XS, YS), loss="mse", lr=LR, epochs=EPOCHS, **opts)
        models[label] = model

    print(f"y = x*w on x = {XS}, y = {YS}; w = 1.0, lr {LR}, MSE loss; w and loss after each epoch")
    header = "".join(f"{label:>32}" for label in runs)
    print(f"{'epoch':>5}{header}")
    print(f"{0:>5}" + "".join(f"{1.0:>15.10f}  loss {h.initial_loss:<10.3e}" for h in histories.values()))
    for e in TABLE_EPOCHS:
        row = ""
        for h in histories.values():
            row += f"{h.epoch_params[e - 1][0]:>15.10f}  loss {h.losses[e - 1]:<10.3e}"
        print(f"{e:>5}{row}")

    results = {}
    print()
    for label, model in models.items():
        w = float(model.weights[0])
        pred = model.predict(4.0)
        results[label] = (w, pred, histories[label].updates)
        print(f"{label:<16} w = {w!r:<20} predict(4) = {pred:.5f}   ({histories[label].updates} updates)")

    fig = plot.loss_curves(
        {label: [h.initial_loss, *h.losses] for label, h in histories.items()},
        log=True,
        xlabel="epoch",
        ylabel="MSE",
        title="y = x*w: GD, SGD and mini-batch, lr 0.01",
    )
    plot.save(fig, out / "loss_curves.png")
    print(f"\nfigure: {out / 'loss_curves.png'}")
    return {
        "gd_w": results["GD"][0],
        "gd_prediction": results["GD"][1],
        "sgd_w": results["SGD (in order)"][0],
        "sgd_prediction": results["SGD (in order)"][1],
        "minibatch_w": results["mini-batch of 2"][0],
        "updates": {label: r[2] for label, r in results.items()},
        "figures": [out / "loss_curves.png"],
    }


if __name__ == "__main__":
    main()
