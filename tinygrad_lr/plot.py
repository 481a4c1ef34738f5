"""Matplotlib figures for the examples: fitted lines, loss curves, loss(w) with its tangent, and
the loss landscape with the paths the optimizers took across it; for logistic regression the
classes with their decision boundaries, ``sigmoid(z)`` with the samples on it, and the
cross-entropy's landscape.

The figures are drawn by :mod:`tinygrad_lr.viz.figures` (one file per figure family, the home of
every picture); this module is their public face, plus the two figures that train first
(:func:`optimizer_paths`, :func:`lr_sweep`: running fits is training, not drawing).

Plotting is an optional extra (``pip install 'tinygrad-lr[plot]'``): matplotlib is imported
only when a figure is made, never by ``import tinygrad_lr``.

Figures are built with :class:`matplotlib.figure.Figure`, not with ``pyplot``, so no window
ever pops up and no global "current figure" state is kept: every function returns its
``Figure`` (or draws onto the ``ax`` you pass) and :func:`save` writes it to PNG or SVG.
In Jupyter a returned figure left as a cell's last line displays inline as a PNG, once, with
no ``%matplotlib`` magic and no ``pyplot`` import.

Example:
    >>> from tinygrad_lr import plot
    >>> fig = plot.fit_line([1, 2, 3], [3, 5, 7], w=2.0, b=1.0, x_test=[4], y_test=[9])
    >>> plot.save(fig, "fit.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .viz.figures import CYCLE as CYCLE  # the colours and formats, kept as plot.* for old code
from .viz.figures import LINE_COLOR as LINE_COLOR
from .viz.figures import SAVE_FORMATS as SAVE_FORMATS
from .viz.figures import TEST_COLOR as TEST_COLOR
from .viz.figures import TRAIN_COLOR as TRAIN_COLOR
from .viz.figures import (
    fit_line,
    history_figure,
    loss_curves,
    loss_landscape,
    loss_vs_w,
    new_figure,
    save,
    sweep_figure,
)
from .viz.figures.base import INSTALL_HINT as INSTALL_HINT
from .viz.figures.base import floats
from .viz.figures.classify import bce_landscape, decision_boundaries, sigmoid_samples
from .viz.figures.theory import error_directions, phase_diagram, theory_landscape

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "new_figure",
    "fit_line",
    "loss_curves",
    "history_figure",
    "loss_vs_w",
    "loss_landscape",
    "optimizer_paths",
    "lr_sweep",
    "theory_landscape",
    "error_directions",
    "phase_diagram",
    "sigmoid_samples",
    "decision_boundaries",
    "bce_landscape",
    "save",
]


def optimizer_paths(
    data: Any,
    optimizers: Mapping[str, Callable[[list[Any]], Any]],
    *,
    start: tuple[float, float] = (0.0, 0.0),
    epochs: int = 50,
    loss: str = "mse",
) -> dict[str, np.ndarray]:
    """Train one-feature linear regression from the same ``start = (w, b)`` with every optimizer.

    ``optimizers`` maps a label to a function building the optimizer on the model's parameters
    (``lambda p: Adam(p, lr=0.1)``). Returns ``{label: array of (w, b)}``, the start and the
    parameters after every update, ready for :func:`loss_landscape`'s ``trajectories``. A run
    that diverges keeps its path up to where it blew up.

    Example:
        >>> from tinygrad_lr import GD, Adam
        >>> paths = optimizer_paths(([1, 2, 3], [3, 5, 7]), {"GD": lambda p: GD(p, lr=0.05),
        ...                         "Adam": lambda p: Adam(p, lr=0.1)}, start=(1.0, 0.0), epochs=3)
        >>> paths["GD"].shape, paths["Adam"][0].tolist()
        ((4, 2), [1.0, 0.0])
    """
    from .models import LinearRegression
    from .train import DivergenceError, fit

    paths: dict[str, np.ndarray] = {}
    for label, make in optimizers.items():
        model = LinearRegression(w=float(start[0]), b=float(start[1]))
        try:
            history = fit(model, data, make(model.parameters()), loss=loss, epochs=epochs, record_params=True)
        except DivergenceError as err:
            assert err.history is not None
            history = err.history
        paths[label] = np.array(history.params, dtype=float).reshape(-1, 2)
    return paths


def lr_sweep(
    data: Any,
    lrs: Sequence[float],
    *,
    optimizer: str = "gd",
    epochs: int = 50,
    loss: str = "mse",
    above_minimum: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The loss after ``epochs`` epochs of ``optimizer`` against the learning rate, log-log.

    Every run starts from ``w = b = 0``. With ``above_minimum`` (default) the loss is drawn
    minus the closed-form least-squares loss, so the log scale shows how close each run got
    (a run that reached the minimum to rounding is drawn at 1e-16). A run that diverges is
    drawn as a cross at the top edge. For gradient descent the largest stable learning rate ``2 / lambda_max``
    (:func:`~tinygrad_lr.max_stable_lr`) is marked with a vertical line: the sweep shows the
    loss falling as the lr grows, until just past that line every run blows up.

    Example:
        >>> fig = lr_sweep(([1, 2, 3], [3, 5, 7]), [0.01, 0.05, 0.1, 0.3], epochs=20)
    """
    from .closed_form import lstsq
    from .data import from_arrays
    from .models import LinearRegression, max_stable_lr
    from .optim import make_optimizer
    from .train import DivergenceError, fit

    ds = data if hasattr(data, "X") else from_arrays(*data)
    rates = floats(lrs, "the learning rates")
    if rates.size == 0 or not np.all(rates > 0):
        raise ValueError("lr_sweep needs learning rates > 0")
    finals = []
    for lr in rates:
        model = LinearRegression(ds.n_features)
        try:
            opt = make_optimizer(optimizer, model.parameters(), float(lr))
            h = fit(model, ds, opt, loss=loss, epochs=epochs)
            finals.append(h.final_loss)
        except DivergenceError:
            finals.append(np.inf)
    return sweep_figure(
        rates,
        finals,
        epochs=epochs,
        loss=loss,
        minimum_loss=lstsq(ds.X, ds.y, loss=loss).loss if above_minimum else None,
        stable_lr=max_stable_lr(ds.X, loss) if optimizer == "gd" else None,
        title=title,
        ax=ax,
    )
