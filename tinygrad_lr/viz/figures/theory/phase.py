"""The (lr, momentum) phase diagram: where momentum converges, how fast, and where it blows up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ....theory import METHOD_TITLES, number
from ....theory.recurrence import max_stable_lr
from ..base import target
from .bowl import legend_below

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ....theory import Quadratic

GRID = 240  # points per axis: the colours are exact at each
MU_TOP = 1 - 1e-3  # the momentum axis ends here (1 never converges)
RATE_TICKS = (0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999)


def _nines(rho: np.ndarray) -> np.ndarray:
    """``-log10(1 - rho)``: 0.9 -> 1, 0.99 -> 2: how many nines, the scale rates near 1 need."""
    return -np.log10(np.clip(1.0 - rho, 1e-12, None))


def phase_diagram(
    q: Quadratic,
    method: str = "momentum",
    runs: Sequence[tuple[float, float, bool | None]] = (),
    *,
    lr_max: float | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The convergence rate of ``method`` (``"momentum"`` or ``"nesterov"``) for every ``(lr, momentum)``.

    Colour is the rate (the error's factor per step in the long run) on a scale of nines (0.9,
    0.99, ...); where it is 1 or more the run diverges (grey). The boundary is drawn from the
    formula (heavy ball ``lr = 2 (1 + mu) / lambda_max``, Nesterov ``2 (1 + mu) / ((1 + 2 mu)
    lambda_max)``), the best point is starred, and ``runs`` -- ``(lr, momentum, converged)``
    triples of real runs (``None``: not settled within the steps run) -- are marked: a black dot
    converged, a red cross diverged, a white dot not settled. The momentum axis is stretched
    towards 1, where ill-conditioned data need it.

    Example:
        >>> from tinygrad_lr.theory import quadratic
        >>> fig = phase_diagram(quadratic(([1, 2, 3], [3, 5, 7])), runs=[(0.1, 0.5, True)])
    """
    own = ax is None
    fig, ax = target(ax, width=6.4, height=5.0)
    top = lr_max if lr_max is not None else 1.15 * max_stable_lr(q.lambda_max, method, MU_TOP)
    lrs = np.linspace(top / GRID, top, GRID)
    mus = 1 - np.geomspace(1.0, 1 - MU_TOP, GRID)  # 0 ... 0.999, dense near 1
    rates = q.phase(lrs, mus, method)
    _colour(fig, ax, lrs, mus, rates)
    boundary = np.array([max_stable_lr(q.lambda_max, method, m) for m in mus])
    ax.plot(
        boundary,
        mus,
        color="black",
        lw=1.6,
        gid="boundary",
        label="divergence boundary: rate 1 (grey, hatched: beyond it, the run diverges)",
    )
    best_lr, best_mu = q.polyak() if method == "momentum" else q.nesterov_best()
    best_rate = q.rate(best_lr, method, best_mu) if best_mu > 0 else 0.0
    name = "Polyak's optimum" if method == "momentum" else "the tuned optimum"
    ax.scatter(
        [best_lr],
        [best_mu],
        marker="*",
        s=260,
        color="gold",
        edgecolors="black",
        zorder=6,
        gid="best",
        label=f"{name}: lr {number(best_lr, 4)}, momentum {number(best_mu, 4)}, rate {number(best_rate, 4)}",
    )
    _runs(ax, q, method, runs)
    ax.set_xlim(0, top)
    ax.set_yscale("function", functions=(_nines, lambda y: 1 - 10.0 ** (-y)))
    ax.set_ylim(-0.04, MU_TOP)  # a run at momentum 0 (GD) shows whole
    ax.set_yticks([0, 0.5, 0.9, 0.99, 0.999])
    ax.set_yticklabels(["0", "0.5", "0.9", "0.99", "0.999"])
    ax.set_xlabel("learning rate lr")
    ax.set_ylabel("momentum (axis stretched towards 1)")
    legend_below(ax, own)
    ax.set_title(
        title or f"{METHOD_TITLES[method]} on this data ({q.loss_name.upper()}): the rate", fontsize=10
    )
    return fig


def _colour(fig: Figure, ax: Axes, lrs: np.ndarray, mus: np.ndarray, rates: np.ndarray) -> None:
    """The rate as colour where it converges; grey, hatched, where it does not."""
    from matplotlib.colors import Normalize

    top = float(_nines(np.array([RATE_TICKS[-1]]))[0])
    shown = np.where(rates < 1, _nines(rates), np.nan)
    mesh = ax.pcolormesh(
        lrs,
        mus,
        shown,
        cmap="viridis_r",
        norm=Normalize(0, top),
        shading="nearest",
        rasterized=True,
        gid="rates",
    )
    ax.contourf(lrs, mus, (rates >= 1).astype(float), levels=[0.5, 1.5], colors=["0.82"], hatches=["//"])
    ticks = [t for t in RATE_TICKS]
    bar = fig.colorbar(mesh, ax=ax, ticks=_nines(np.array(ticks)))
    bar.ax.set_yticklabels([number(t) for t in ticks])
    bar.set_label("rate: the error's factor per step")


def _runs(ax: Axes, q: Quadratic, method: str, runs: Sequence[tuple[float, float, bool | None]]) -> None:
    for i, (lr, mu, converged) in enumerate(runs):
        rate = q.rate(lr, method, mu)
        seen = {
            None: "; the run: not settled in its steps",
            True: "; the run converged",
            False: "; the run diverged",
        }[converged]
        ax.scatter(
            [lr],
            [mu],
            marker="o" if converged in (True, None) else "X",
            s=34,  # small: a run at the optimum sits inside its star, both seen
            color="white" if converged is None else ("tab:red" if not converged else "black"),
            edgecolors="black",
            zorder=8,
            gid=f"run:{i}",
            label=f"your run: lr {number(lr, 4)}, momentum {number(mu, 4)}: rate {number(rate, 4)}{seen}",
        )
