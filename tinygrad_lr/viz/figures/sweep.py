"""The learning-rate sweep: the loss a run ends at against its learning rate, log-log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .base import CYCLE, floats, target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def sweep_figure(
    rates: Sequence[float] | np.ndarray,
    final_losses: Sequence[float] | np.ndarray,
    *,
    epochs: int,
    loss: str = "mse",
    minimum_loss: float | None = None,
    stable_lr: float | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw the final loss of each run against its learning rate (both on log scales).

    ``final_losses[i]`` is the loss after ``epochs`` epochs at ``rates[i]`` (``inf`` for a run
    that diverged: drawn as a cross at the top edge). With ``minimum_loss`` (the closed-form
    least-squares loss) the loss is drawn minus it, so the log scale shows how close each run got
    (a run that reached the minimum to rounding is drawn at 1e-16). ``stable_lr`` (gradient
    descent's ``2 / lambda_max``) is marked with a vertical line.

    Example:
        >>> fig = sweep_figure([0.01, 0.1, 1.0], [5.0, 0.2, float("inf")], epochs=20, stable_lr=0.6)
    """
    lrs = floats(rates, "the learning rates")
    ys = floats(final_losses, "the final losses")
    fig, ax = target(ax, width=6.0, height=4.0)
    above_minimum = minimum_loss is not None
    if minimum_loss is not None:
        ys = np.maximum(ys - minimum_loss, 1e-16)
    ok = np.isfinite(ys)
    what = "loss - least-squares loss" if above_minimum else "loss"
    ax.plot(lrs[ok], ys[ok], marker="o", color=CYCLE[0], label=f"{what} after {epochs} epochs",
            gid="sweep")
    if (~ok).any():
        top = float(ys[ok].max()) if ok.any() else 1.0
        ax.scatter(lrs[~ok], np.full((~ok).sum(), top), marker="X", s=60, color=CYCLE[3],
                   edgecolors="black", zorder=5, label="diverged", gid="diverged")
    if stable_lr is not None:
        ax.axvline(stable_lr, color="black", linestyle="--", gid="stable-bound",
                   label=f"largest stable lr 2/lambda_max = {stable_lr:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(f"{loss.upper()}{' above the minimum' if above_minimum else ''} (log scale)")
    ax.grid(True, which="both", alpha=0.4)
    # below the axes: inside, it covered the sweep's own points (both panels of example 10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    if title:
        ax.set_title(title)
    return fig
