"""Derivatives, forward propagation and the learning rate: the "tadpole" lesson (docs/sources.md section 4).

Seven made-up measurements: the time since hatching (weeks) and the volume of a tadpole (ml).
The model ``y = w*x`` has no bias, so the mean squared error is a function of one number,
``MSE(w)``: a parabola whose lowest point is the best ``w``, and whose slope ``dMSE/dw`` (the
tangent) says which way is downhill.

1. Forward propagation at w = 0.5: input -> prediction ``w*x`` -> per-point error -> MSE; the
   slope there by backpropagation.
2. Three update rules, each from w = 2 on the same curve:
   * fixed value, ``w <- w - 0.3``: never changes direction, so it walks past the minimum;
   * raw slope, ``w <- w - dMSE/dw``: the step is as big as the slope; here the curve is steep
     enough that every step overshoots further: it oscillates and blows up;
   * a small learning rate times the slope, ``w <- w - 0.1 * dMSE/dw``: gradient descent,
     slowing down as the slope flattens, and converging.
3. Learning rates too small (0.01: crawls), good (0.2: quick) and too large (0.65: oscillates
   and grows) -- with the stability limit ``lr < 2 / MSE''(w)`` from the framework's
   ``max_stable_lr``, and the framework's ``DivergenceError`` stopping the too-large run with
   an explanation.

What to look at: ``forward.png`` (errors as vertical segments; the tangent at w = 0.5),
``update_rules.png`` and ``learning_rates.png`` (numbered steps on the curve), and
``learning_rate_losses.png`` (the loss per step, log scale).

    python examples/05_update_rules.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr import GD, DivergenceError, LinearRegression, Value, fit, max_stable_lr, mse, no_grad, plot
from tinygrad_lr.models import loss_hessian

NAME = "05_update_rules"
WEEKS = [0.4, 0.7, 1.0, 1.2, 1.5, 1.7, 2.0]  # time since hatching
VOLUME = [0.5, 0.7, 1.2, 1.3, 1.6, 2.0, 2.1]  # tadpole volume, ml
W_RANGE = (-0.2, 2.4)
START = 2.0
STEPS = 8


def loss_of(w: Value) -> Value:
    """Forward propagation for one w: predictions w*x, per-point errors, their mean square."""
    return mse([w * x for x in WEEKS], VOLUME)


def slope_at(w: float) -> tuple[float, float]:
    """``(MSE(w), dMSE/dw)``, the slope by backpropagation."""
    wv = Value(w, label="w")
    loss = loss_of(wv)
    loss.backward()
    return loss.data, wv.grad


def run_rule(rule: str, lr: float = 0.1, steps: int = STEPS) -> list[float]:
    """w after each step of an update rule, on the framework's model and loss."""
    model = LinearRegression(bias=False, w=START)
    (w,) = model.parameters()
    opt = GD([w], lr=1.0 if rule == "slope" else lr)
    path = [w.data]
    for _ in range(steps):
        if rule == "fixed":
            with no_grad():
                w.data -= 0.3  # the same step every time, whatever the slope says
        else:
            opt.zero_grad()
            mse(model(WEEKS), VOLUME).backward()
            opt.step()  # w <- w - lr * dMSE/dw (lr = 1 for the raw-slope rule)
        path.append(w.data)
    return path


def view(path: list[float]) -> tuple[float, float]:
    """A w range showing the curve's bottom and the path's first steps (a diverging path soon leaves)."""
    shown = [w for w in path if abs(w) < 20]
    return min(W_RANGE[0], *shown) - 0.3, max(W_RANGE[1], *shown) + 0.3


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out

    (w_best,), *_ = np.linalg.lstsq(np.c_[WEEKS], VOLUME, rcond=None)  # where the slope is 0
    curvature = float(loss_hessian(WEEKS, "mse", bias=False)[0, 0])  # MSE''(w), the same for every w
    print(f"{len(WEEKS)} tadpoles: weeks {WEEKS}, volume (ml) {VOLUME}")
    print(f"MSE(w) is a parabola: lowest at w = {w_best:.4f}, curvature MSE''(w) = {curvature:.4f}")

    loss, slope = slope_at(0.5)
    print("\n1. forward propagation at w = 0.5:")
    for x, y in zip(WEEKS, VOLUME):
        print(f"   x = {x:<4} prediction {0.5 * x:.2f}  target {y:<4} error {0.5 * x - y:+.2f}")
    print(f"   MSE(0.5) = {loss:.4f}; slope dMSE/dw = {slope:.4f} (negative: increase w)")
    fig, (left, right) = plot.new_figure(ncols=2)
    plot.fit_line(WEEKS, VOLUME, 0.5, 0.0, xlim=(0, 2.2), ylim=(0, 2.5), residuals=True, ax=left)
    left.set_xlabel("weeks since hatching")
    left.set_ylabel("volume (ml)")
    left.set_title("forward: predictions w*x at w = 0.5, and their errors")
    plot.loss_vs_w(loss_of, W_RANGE, at=0.5, ylabel="MSE(w)", title="the loss as a function of w", ax=right)
    plot.save(fig, out / "forward.png")

    print(f"\n2. three update rules from w = {START}, {STEPS} steps:")
    rules = {
        "fixed value: w <- w - 0.3": run_rule("fixed"),
        "raw slope: w <- w - dMSE/dw": run_rule("slope"),
        "lr x slope: w <- w - 0.1 dMSE/dw": run_rule("lr", lr=0.1),
    }
    fig, axes = plot.new_figure(ncols=3, width=5.0)
    for ax, (label, path) in zip(axes, rules.items()):
        print(f"   {label:<34} w: " + ", ".join(f"{w:.3g}" for w in path))
        plot.loss_vs_w(loss_of, view(path), trajectory=path, ylabel="MSE(w)", title=label, ax=ax)
    plot.save(fig, out / "update_rules.png")

    stable = max_stable_lr(WEEKS, "mse", bias=False)
    print(f"\n3. learning rates (stable only below 2 / MSE'' = 2 / {curvature:.4f} = {stable:.4f}):")
    rates = {"too small, lr 0.01": 0.01, "good, lr 0.2": 0.2, "too large, lr 0.65": 0.65}
    paths, losses = {}, {}
    fig, axes = plot.new_figure(ncols=3, width=5.0)
    for ax, (label, lr) in zip(axes, rates.items()):
        path = run_rule("lr", lr=lr, steps=12)
        paths[label] = path
        losses[label] = [slope_at(w)[0] for w in path]
        print(f"   {label:<19} w after 12 steps = {path[-1]:.4f}, MSE = {losses[label][-1]:.4g}")
        # all 12 steps, as printed; the too-large rate's path leaves the view after a few of them
        plot.loss_vs_w(loss_of, view(path[:7]), trajectory=path, ylabel="MSE(w)", title=label, ax=ax)
    plot.save(fig, out / "learning_rates.png")
    fig = plot.loss_curves(losses, log=True, xlabel="step", ylabel="MSE", title="the loss per step")
    plot.save(fig, out / "learning_rate_losses.png")

    print("\n   the too-large rate with the framework's fit, which watches for divergence:")
    try:
        fit(LinearRegression(bias=False, w=START), (WEEKS, VOLUME), "gd", lr=0.65, epochs=100)
        message = None
    except DivergenceError as exc:
        message = str(exc)
        print(f"   DivergenceError: {message}")

    print(f"\nfigures: {out / 'forward.png'}, {out / 'update_rules.png'}, {out / 'learning_rates.png'}, ")
    print(f"         {out / 'learning_rate_losses.png'}")
    return {
        "w_best": float(w_best),
        "max_stable_lr": stable,
        "slope_at_0.5": slope,
        "rules": rules,
        "lr_paths": paths,
        "divergence_message": message,
        "figures": [
            out / n
            for n in ("forward.png", "update_rules.png", "learning_rates.png", "learning_rate_losses.png")
        ],
    }


if __name__ == "__main__":
    main()
