"""Loss curves: several loss histories on one axes, with a note where a run stops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import InputError, describe
from .base import CYCLE, floats, target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def loss_curves(
    curves: Any,
    *,
    x: Mapping[str, Sequence[float]] | None = None,
    log: bool = False,
    xlog: bool = False,
    colors: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    ylabel: str = "loss",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Several loss histories on one axes, one line per ``{label: losses}`` entry.

    A value may be a list of losses or a :class:`~tinygrad_lr.History` (what ``fit`` returns),
    and ``curves`` itself may be one ``History`` (or one list): a history is drawn from its
    loss before training at epoch 0, then the loss after each epoch at 1, 2, ..., on an axis
    labelled "epoch". A list's i-th loss is drawn at x = i, so its first value is at 0 (the
    axis says so); give ``[h.initial_loss, *h.losses]`` or the history itself, not ``h.losses``
    alone, to put epoch 1 at 1. ``x`` maps a label to its own x values (for
    instance the epoch, fractional for per-sample updates, so one-sample SGD and full GD share
    an axis). ``log=True`` puts the loss on a log scale, where steady convergence is a
    straight line. ``xlog=True`` puts x on a log scale that still shows x = 0 (the start):
    linear from 0 to 1, logarithmic beyond, with a visible break mark at 1 on the axis. Where a
    run's loss becomes infinite or NaN (it diverged), or 0 on a log scale, its line ends in a
    cross with a note saying so. ``colors`` maps a label to its colour (default: the order of
    ``curves``), so one run keeps its colour across panels.

    Example:
        >>> fig = loss_curves({"GD": [29, 12.96, 5.8], "SGD": [29, 9.1, 3.3]}, log=True)
    """
    named, histories = _named_curves(curves)
    if xlabel is None:
        xlabel = "epoch" if histories == len(named) else "iteration (the first value at 0)"
    fig, ax = target(ax)
    for i, (label, losses) in enumerate(named.items()):
        ys = floats(losses, f"the losses of {label!r}")
        if x is not None and label in x:
            xs = floats(x[label], f"the x values of {label!r}")
            if xs.shape != ys.shape:
                raise ValueError(f"{label!r}: {xs.size} x values for {ys.size} losses")
        else:
            xs = np.arange(ys.size, dtype=float)
        color = (colors or {}).get(label, CYCLE[i % len(CYCLE)])
        _curve(ax, xs, ys, label, color, log)
    if log:
        ax.set_yscale("log")
    if xlog:
        symlog_x_with_break(ax)
        xlabel += " (0 to 1 linear, then log scale)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (" (log scale)" if log else ""))
    ax.grid(True, which="both" if log else "major", alpha=0.5)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def history_figure(history: Any, *, title: str | None = None) -> Figure:
    """What :meth:`History.plot() <tinygrad_lr.History.plot>` draws: the loss over the epochs
    (log scale, from the loss before training at epoch 0) and, beside it, every parameter over
    the same epochs (``w``, ``b`` ...; in the standardized units for a ``standardize=True`` run,
    as the history keeps them).

    Example:
        >>> from tinygrad_lr import History
        >>> fig = history_figure(History(initial_loss=29.0, losses=[12.96, 5.8], param_names=["w"],
        ...     initial_params=np.array([1.0]), epoch_params=[np.array([1.4]), np.array([1.6])]))
    """
    from .base import new_figure

    if not _is_history(history):
        raise InputError(f"history_figure takes a History (what fit returns), got {describe(history)}")
    fig, (ax_loss, ax_params) = new_figure(ncols=2, width=4.6, height=3.4)
    label = history.optimizer or "loss"
    loss_curves({label: history}, log=True, ylabel=history.loss_name.upper() if history.loss_name else "loss",
                title="the loss", ax=ax_loss)
    rows = [np.asarray(p, dtype=float) for p in (history.initial_params, *history.epoch_params)]
    if rows and rows[0].size:
        params = np.vstack(rows)
        names = list(history.param_names) or [f"p{i}" for i in range(params.shape[1])]
        epochs = np.arange(params.shape[0])
        for j, name in enumerate(names):
            ax_params.plot(epochs, params[:, j], color=CYCLE[j % len(CYCLE)], label=name,
                           marker="." if params.shape[0] <= 30 else None)
        ax_params.legend()
    ax_params.set_xlabel("epoch")
    ax_params.set_ylabel("parameter value" + (" (standardized features)" if history.standardizer else ""))
    ax_params.set_title("the parameters")
    ax_params.grid(True, alpha=0.5)
    if title:
        fig.suptitle(title)
    return fig


def _is_history(h: Any) -> bool:
    return hasattr(h, "losses") and hasattr(h, "initial_loss")


def _named_curves(curves: Any) -> tuple[dict[str, Any], int]:
    """``{label: losses}`` from what ``loss_curves`` was given, and how many were histories
    (each drawn from its loss before training, so epoch e sits at x = e)."""
    if _is_history(curves) or (isinstance(curves, Sequence) and not isinstance(curves, str)):
        label = (getattr(curves, "optimizer", "") or "loss") if _is_history(curves) else "loss"
        curves = {label: curves}
    if not isinstance(curves, Mapping):
        raise InputError(
            f"loss_curves takes {{label: losses}}, a History or a list of losses; got {describe(curves)}"
        )
    if not curves:
        raise ValueError("loss_curves needs at least one curve")
    named: dict[str, Any] = {}
    histories = 0
    for label, losses in curves.items():
        if _is_history(losses):
            named[str(label)] = [losses.initial_loss, *losses.losses]
            histories += 1
        elif isinstance(losses, Sequence | np.ndarray) and not isinstance(losses, str):
            named[str(label)] = losses
        else:
            raise InputError(
                f"loss_curves: the losses of {label!r} must be a list or a History, got {describe(losses)}"
            )
    return named, histories


def _curve(ax: Axes, xs: np.ndarray, ys: np.ndarray, label: str, color: str, log: bool) -> None:
    """One run's line; where it stops (diverged, or 0 on a log scale) a cross and a note say why."""
    shown = np.isfinite(ys) & ((ys > 0) if log else True)
    ax.plot(
        xs,
        np.where(shown, ys, np.nan),
        color=color,
        label=label,
        gid=f"curve:{label}",
        marker="." if ys.size <= 30 else None,
    )
    gone = np.flatnonzero(~shown)
    if gone.size and gone[0] > 0:  # the line stops here: say why instead of just ending
        k = int(gone[0])
        why = "diverged" if not np.isfinite(ys[k]) else "0 (off the log scale)"
        ax.scatter([xs[k - 1]], [ys[k - 1]], marker="X", s=60, color=color, edgecolors="black",
                   zorder=5, gid=f"end:{label}")
        ax.annotate(f"{why} at {xs[k]:g}", (xs[k - 1], ys[k - 1]), xytext=(6, 0),
                    textcoords="offset points", fontsize=8, color=color, va="center")


def symlog_x_with_break(ax: Axes) -> None:
    """x on a log scale that keeps x = 0: linear on [0, 1], log beyond, the seam marked ``//``."""
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.6)
    ax.set_xlim(left=0)
    ax.axvline(1.0, color="0.4", linestyle=(0, (2, 2)), linewidth=0.8, zorder=1, gid="axis-break")
    ax.text(1.0, 0.0, "//", transform=ax.get_xaxis_transform(), ha="center", va="center",
            fontsize=11, fontweight="bold", color="0.2", clip_on=False, zorder=8,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"})
