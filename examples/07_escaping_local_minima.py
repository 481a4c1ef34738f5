"""Escaping a local minimum: plain GD gets stuck, three remedies from docs/sources.md section 1 do not.

The function ``f(x) = x**4 - 4*x**2 + 2.5*x + 5`` is built from ``Value`` operations, so
``df/dx`` comes from backpropagation. It has two valleys:

* a small pit at x = 1.22 (f = 4.31), the one gradient descent from x = 2 rolls into;
* the global minimum at x = -1.55 (f = -2.71), behind a hump at x = 0.33 (f = 5.40).

The methods, each seeded so every run prints the same numbers:

1. plain gradient descent from x = 2: stops in the pit, where the slope is zero;
2. random restarts: gradient descent from several random starting points, keep the best;
3. SGD-like noisy updates: f is the mean of per-sample losses ``f_i(x) = f(x) + a_i*x``
   (tilts ``a_i = +5, -5`` that cancel on average); one random sample per update. Some samples'
   surfaces have no pit at all, so a run can slide out of it -- sometimes, not always: the
   example counts how many of 20 seeded runs escape;
4. simulated annealing: random nearby moves, a worse point accepted with probability
   ``exp(-increase / T)``, the temperature T cooling every step; then a few GD steps polish it.

What to look at: ``function.png`` (the curve and where each method ended, with a zoom on the
deep valley, where three of them end close together) and ``paths.png``
(x over the updates: GD flat in the pit, annealing wandering hot and settling cold).

    python examples/07_escaping_local_minima.py [--out DIR]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from tinygrad_lr import GD, SGD, Value, plot

NAME = "07_escaping_local_minima"
START = 2.0
# for reference only: the valleys are roots of f'(x) = 4x^3 - 8x + 2.5 (the middle one is the hump)
GLOBAL_MIN, HUMP, PIT = sorted(float(r.real) for r in np.roots([4.0, 0.0, -8.0, 2.5]))
TILTS = (5.0, -5.0)  # per-sample tilts of the SGD-like run; they cancel in the mean


def f(x: Value) -> Value:
    """The non-convex function, as a graph: a quartic with a pit and a deeper valley."""
    return x**4 - 4 * x**2 + 2.5 * x + 5


def f_sample(x: Value, i: int) -> Value:
    """Sample i's loss: f tilted by a_i * x; the mean over samples is f itself."""
    return f(x) + TILTS[i] * x


def value_of(x: float) -> float:
    return f(Value(x)).data


def gradient_descent(x0: float, lr: float = 0.01, steps: int = 300) -> list[float]:
    """Plain GD with the framework's optimizer; returns the path of x."""
    x = Value(x0, label="x")
    opt = GD([x], lr=lr)
    path = [x.data]
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
        path.append(x.data)
    return path


def random_restarts(rng: np.random.Generator, n: int = 5) -> tuple[list[float], list[float]]:
    """GD from n random starts in [-2.5, 2.5]; returns (starts, ends)."""
    starts = [float(s) for s in rng.uniform(-2.5, 2.5, size=n)]
    return starts, [gradient_descent(s)[-1] for s in starts]


def noisy_sgd(rng: np.random.Generator, steps: int = 300) -> list[float]:
    """One random sample's gradient per update, the learning rate decaying from 0.052 to 0.002."""
    x = Value(START, label="x")
    opt = SGD([x], lr=0.052)
    path = [x.data]
    for t in range(steps):
        opt.lr = 0.05 * (1 - t / steps) + 0.002  # big noisy steps first, small careful ones last
        opt.zero_grad()
        f_sample(x, int(rng.integers(len(TILTS)))).backward()
        opt.step()
        path.append(x.data)
    return path


def simulated_annealing(rng: np.random.Generator, steps: int = 1000, t0: float = 3.0) -> list[float]:
    """Metropolis moves with a geometric cooling schedule; returns the path of accepted x."""
    x, fx, temp = START, value_of(START), t0
    path = [x]
    for _ in range(steps):
        candidate = x + rng.normal(0.0, 0.5)
        fc = value_of(candidate)
        # always accept a better point; a worse one with probability exp(-increase / T)
        if fc < fx or rng.random() < math.exp(-(fc - fx) / temp):
            x, fx = candidate, fc
        path.append(x)
        temp *= 0.995
    return path


def zoom_on_the_valley(ax, marks: dict[str, float]) -> None:
    """An inset magnifying the deep valley, where three methods end within 0.06 of each other.

    The same marks in the same order, so each keeps its colour and shape; those outside the
    zoom (plain GD, in the pit) are simply not in view.
    """
    ax.legend(fontsize=8, loc="lower right")
    inset = ax.inset_axes([0.2, 0.56, 0.33, 0.34])
    plot.loss_vs_w(f, (-1.72, -1.36), marks=marks, ylim=(-2.75, -2.45), num=60, ax=inset)
    inset.get_legend().remove()
    inset.set_title("zoom: the deep valley", fontsize=8)
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.tick_params(labelsize=7)
    inset.locator_params(nbins=4)
    ax.indicate_inset_zoom(inset, edgecolor="0.3")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)

    for name, at in (("pit", PIT), ("hump", HUMP), ("global minimum", GLOBAL_MIN)):
        x = Value(at)
        f(x).backward()
        print(f"{name:>15}: x = {at:+.4f}, f = {f(x).data:.4f}, df/dx = {x.grad:+.0e} (autodiff)")

    gd = gradient_descent(START)
    print(
        f"\n1. plain GD from x = {START}: ends at x = {gd[-1]:.4f}, f = {value_of(gd[-1]):.4f}"
        "  (stuck in the pit)"
    )

    starts, ends = random_restarts(np.random.default_rng(1))
    best = min(ends, key=value_of)
    print("2. random restarts (seed 1):")
    for s, e in zip(starts, ends):
        print(f"     start {s:+.3f} -> end {e:+.4f}, f = {value_of(e):.4f}")
    print(f"   best: x = {best:.4f}, f = {value_of(best):.4f}")

    sgd = noisy_sgd(np.random.default_rng(0))
    escaped = sum(noisy_sgd(np.random.default_rng(seed))[-1] < 0 for seed in range(20))
    print(
        f"3. SGD-like updates (tilts {TILTS}, seed 0): ends at x = {sgd[-1]:.4f}, f = {value_of(sgd[-1]):.4f}"
    )
    print(f"   escaped the pit in {escaped} of 20 seeded runs: noise helps, it does not guarantee")

    annealing = simulated_annealing(np.random.default_rng(0))
    polished = gradient_descent(annealing[-1], steps=100)[-1]
    print(
        f"4. simulated annealing (seed 0): ends at x = {annealing[-1]:.4f}; GD polish -> x = {polished:.4f}, "
        f"f = {value_of(polished):.4f}  (the global minimum)"
    )

    out = args.out
    ends = {"plain GD": gd[-1], "best restart": best, "SGD-like": sgd[-1], "annealing + polish": polished}
    fig = plot.loss_vs_w(
        f,
        (-2.3, 2.3),
        xlabel="x",
        ylabel="f(x)",
        ylim=(-4.0, 14.0),
        marks=ends,
        title="f(x) = x^4 - 4x^2 + 2.5x + 5: where each method ended",
    )
    zoom_on_the_valley(fig.axes[0], ends)
    plot.save(fig, out / "function.png")
    fig = plot.loss_curves(
        {"plain GD": gd, "SGD-like (seed 0)": sgd, "annealing (seed 0)": annealing},
        xlabel="update",
        ylabel="x",
        title="x over the updates",
    )
    ax = fig.axes[0]
    for level, name in ((PIT, "the pit"), (GLOBAL_MIN, "the global minimum")):
        ax.axhline(level, color="0.3", linestyle=":", linewidth=1, zorder=1)
        ax.annotate(f"{name}, x = {level:.2f}", (1.0, level), xycoords=("axes fraction", "data"),
                    xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8, color="0.2")
    plot.save(fig, out / "paths.png")
    print(f"\nfigures: {out / 'function.png'}, {out / 'paths.png'}")
    return {
        "gd_end": gd[-1],
        "restart_best": best,
        "sgd_end": sgd[-1],
        "sgd_escaped_of_20": escaped,
        "annealing_end": annealing[-1],
        "annealing_polished": polished,
        "figures": [out / "function.png", out / "paths.png"],
    }


if __name__ == "__main__":
    main()
