"""What one run of :func:`~tinygrad_lr.fit` did: :class:`History`, the loss and parameters epoch by epoch.

It holds numbers and their text (``repr``, Jupyter's small table); it draws nothing itself.
:meth:`History.plot` draws the loss and the parameters over the epochs with the figure the
pictures layer registers when it is imported (:func:`register_plot`, as ``Value.draw()`` is
served), so the training layer never imports the pictures.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..closed_form import LeastSquares
from ..logistic import LogisticSolution
from ..scaling import Standardizer

__all__ = ["History", "register_plot"]

_plot: Callable[..., Any] | None = None  # viz.figures.history_figure, once the pictures are imported


def register_plot(draw: Callable[..., Any]) -> None:
    """Make ``draw(history, **options)`` what :meth:`History.plot` returns (the pictures layer
    calls this when it is imported; ``import tinygrad_lr`` imports it)."""
    global _plot
    _plot = draw


@dataclass
class History:
    """What happened during :func:`fit`.

    Attributes:
        initial_loss: the loss over the whole data set before the first update.
        losses: the loss over the whole data set after each epoch (``losses[0]`` is epoch 1).
        params: with ``record_params=True``, the parameter vector ``[w..., b]`` before training
            and after every update (``1 + updates`` arrays); else empty.
        param_names: names for the entries of a parameter vector (``['w', 'b']`` ...).
        initial_params: the parameter vector before training.
        epoch_params: the parameter vector after each epoch (always kept: one per epoch).
        updates: the number of optimizer steps taken.
        lr: the learning rate (the first param group's, if the optimizer has several).
        optimizer: the optimizer's name (``"gd"``, ``"sgd"``, ``"minibatch"``).
        loss_name: ``"sse"``, ``"mse"`` or the custom loss function's name.
        final_params: the parameter vector after training.
        lrs: the learning rate each epoch used (it changes under a ``scheduler``).
        grad_norms: the full-data gradient norm after each epoch, where it was computed: for
            full-batch runs in order (the next forward pass gives it for free) and for every run
            with ``grad_tol``; else empty.
        final_grad_norm: ``|dL/dtheta|`` over the whole data set at the final parameters.
        converged: ``True``/``False`` whether a tolerance (``grad_tol``/``loss_tol``) was met;
            ``None`` when no tolerance was given.
        converged_epoch: the epoch at which it was met (``None`` if not).
        stop_reason: why the run ended, in words.
        standardizer: with ``standardize=True``, the feature means and stds; the parameter
            vectors above are then the model's on the standardized features.
        original_params: the final parameters in the data's units (= ``final_params`` unless
            standardized).
        closed_form: the answer to compare with, in the data's units: the closed-form least-squares
            (ridge with ``l2``) one for linear regression with SSE or MSE and no L1 term; Newton's
            method on the formulas (:func:`~tinygrad_lr.logistic.irls`) for logistic regression;
            else ``None``.
        notes: what a learner should know about the run, in sentences: e.g. that the classes
            are separable, so the loss has no minimum and the weights grow without bound.
    """

    initial_loss: float
    losses: list[float] = field(default_factory=list)
    params: list[np.ndarray] = field(default_factory=list)
    param_names: list[str] = field(default_factory=list)
    initial_params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    epoch_params: list[np.ndarray] = field(default_factory=list)
    updates: int = 0
    lr: float = 0.0
    optimizer: str = ""
    loss_name: str = ""
    final_params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lrs: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    final_grad_norm: float = float("nan")
    converged: bool | None = None
    converged_epoch: int | None = None
    stop_reason: str = ""
    standardizer: Standardizer | None = None
    original_params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    closed_form: LeastSquares | LogisticSolution | None = None
    notes: list[str] = field(default_factory=list)

    def add_epoch(self, loss: float, params: np.ndarray, grad_norm: float | None) -> None:
        """Record the end of an epoch: the loss over the whole data set, the parameters, and the
        full-data gradient norm when it was computed."""
        self.losses.append(loss)
        self.epoch_params.append(params)
        self.final_grad_norm = math.nan if grad_norm is None else grad_norm  # never an older epoch's
        if grad_norm is not None:
            self.grad_norms.append(grad_norm)

    @property
    def param_distance(self) -> float | None:
        """``|theta - theta*|``: how far the final parameters (data's units) are from the closed form."""
        if self.closed_form is None:
            return None
        return float(np.linalg.norm(self.original_params - self.closed_form.param_vector()))

    @property
    def loss_gap(self) -> float | None:
        """``L(theta) - L(theta*)``: the final loss above the closed form's (never below, up to rounding)."""
        return None if self.closed_form is None else self.final_loss - self.closed_form.loss

    @property
    def epochs(self) -> int:
        """The number of completed epochs."""
        return len(self.losses)

    @property
    def final_loss(self) -> float:
        """The loss after the last epoch (the initial loss if no epoch ran)."""
        return self.losses[-1] if self.losses else self.initial_loss

    def _headline(self) -> str:
        opt = self.optimizer or "fit"
        loss = f", {self.loss_name} loss" if self.loss_name else ""
        return f"History({opt}, lr={self.lr:g}{loss}: {self.epochs} epochs, {self.updates} updates)"

    def _params_text(self, vector: np.ndarray) -> str:
        names = self.param_names or [f"p{i}" for i in range(len(vector))]
        return ", ".join(f"{n} = {float(v):.6g}" for n, v in zip(names, vector))

    def __repr__(self) -> str:
        """A few lines, never one per epoch: the run, the loss from start to end, the parameters."""
        lines = [self._headline(), f"  loss {self.initial_loss:.6g} -> {self.final_loss:.6g}"]
        if len(self.initial_params) and len(self.final_params):
            lines.append(f"  from {self._params_text(self.initial_params)}")
            lines.append(f"  to   {self._params_text(self.final_params)}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: the headline and a small table of the loss at about 10 epochs."""
        rows = [f"<tr><td>0 (start)</td><td>{self.initial_loss:.6g}</td></tr>"]
        rows += [f"<tr><td>{e}</td><td>{self.losses[e - 1]:.6g}</td></tr>" for e in self.summary_rows()]
        params = ""
        if len(self.final_params):
            params = f"<p>{html.escape(self._params_text(self.final_params))}</p>"
        params += "".join(f"<p>note: {html.escape(note)}</p>" for note in self.notes)
        return (
            f"<div><p><b>{html.escape(self._headline())}</b></p>"
            f"<table><thead><tr><th>epoch</th><th>loss</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{params}</div>"
        )

    def plot(self, **options: Any) -> Any:
        """A matplotlib figure of the run: the loss (log scale) and every parameter, from before
        training (epoch 0) to the last epoch; a diverged run's loss ends in a cross. Options go
        to the figure (``title=``). Needs matplotlib (``pip install 'tinygrad-lr[plot]'``).

        Example:
            >>> from tinygrad_lr import LinearRegression, fit
            >>> h = fit(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01,
            ...         loss="sse", epochs=100, progress=False)
            >>> fig = h.plot()  # doctest: +SKIP
        """
        if _plot is None:
            raise RuntimeError("History.plot(): no figure is registered; import tinygrad_lr.viz.figures")
        return _plot(self, **options)

    def summary_rows(self, max_rows: int = 10) -> list[int]:
        """Epoch numbers (1-based) for a short table: all of them for short runs, else
        about ``max_rows`` spread from the first to the last."""
        n = self.epochs
        if n <= max_rows:
            return list(range(1, n + 1))
        picks = np.unique(np.round(np.geomspace(1, n, max_rows)).astype(int))
        return [int(e) for e in picks]
