"""What the pictures of a recorded run read from it, and the landscape they draw it on.

The replay (:mod:`tinygrad_lr.replay`) records a fit; the pictures of it live here, in the
pictures' home, and must not import the replay (a lens never imports what sits above it). So
they read a recording through :class:`RecordedRun`, a ``Protocol`` naming exactly the fields
and methods they use; :class:`tinygrad_lr.replay.Recording` has them all.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ..logistic import irls


class RecordedHistory(Protocol):
    """The part of a fit's ``History`` the pictures read: the loss over all samples per epoch."""

    @property
    def losses(self) -> list[float]: ...

    @property
    def initial_loss(self) -> float: ...


class RecordedRun(Protocol):
    """Every update of one fit of a linear model, as the replay's pictures read it.

    ``before[k]``, ``after[k]`` and ``grads[k]`` are the parameter vectors ``[w..., b]`` around
    update ``k`` and the gradient it used; ``batches[k]`` its sample indices; ``losses[k]`` the
    loss of its batch; ``epoch[k]`` its epoch (1-based).
    """

    @property
    def X(self) -> np.ndarray: ...
    @property
    def y(self) -> np.ndarray: ...
    @property
    def feature_names(self) -> list[str]: ...
    @property
    def target_name(self) -> str: ...
    @property
    def param_names(self) -> list[str]: ...
    @property
    def bias(self) -> bool: ...
    @property
    def lr(self) -> float: ...
    @property
    def loss_name(self) -> str: ...
    @property
    def before(self) -> np.ndarray: ...
    @property
    def after(self) -> np.ndarray: ...
    @property
    def grads(self) -> np.ndarray: ...
    @property
    def losses(self) -> np.ndarray: ...
    @property
    def epoch(self) -> np.ndarray: ...
    @property
    def batches(self) -> list[np.ndarray]: ...
    @property
    def history(self) -> RecordedHistory | None: ...
    @property
    def updates(self) -> int: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def n_features(self) -> int: ...

    def history_initial(self) -> np.ndarray: ...

    def full_loss(self, params: Any) -> Any: ...

    def design(self) -> np.ndarray: ...


def fmt(x: float) -> str:
    """A number as the replay's pictures write it (6 significant digits): ``-4``, ``1.4``, ``0.18``."""
    s = f"{float(x):.6g}"
    return "0" if s == "-0" else s


def fmt_change(new: float, old: float) -> tuple[str, str]:
    """``new`` and ``old`` with the fewest digits (6 or more) that show they differ, if they do.

    Example:
        >>> fmt_change(1.4, 1.0)
        ('1.4', '1')
        >>> fmt_change(2.0001512, 2.0001471)
        ('2.000151', '2.000147')
    """
    for digits in range(6, 18):
        a, b = (f"{float(v):.{digits}g}" for v in (new, old))
        if a != b or float(new) == float(old):
            break
    return ("0" if a == "-0" else a), ("0" if b == "-0" else b)


def landscape_axes(rec: RecordedRun) -> tuple[int, int]:
    """The two parameters the landscape is drawn over: ``(w, b)`` for one feature with a bias,
    else the first two weights (``(0, 0)`` when there is only one parameter)."""
    P = len(rec.param_names)
    if P == 1:
        return 0, 0
    return (0, P - 1) if rec.n_features == 1 else (0, 1)


def least_squares_minimum(rec: RecordedRun) -> list[float] | None:
    """The parameters at the loss's minimum, if it has a finite one: least squares on the design
    matrix; for the BCE loss (logistic regression) Newton's method on the formulas
    (:func:`~tinygrad_lr.logistic.irls`), and ``None`` when the classes are separable (no minimum)."""
    if rec.loss_name == "bce":
        answer = irls(rec.X, rec.y, bias=rec.bias)
        ok = answer.converged and not answer.separable
        return [float(v) for v in answer.param_vector()] if ok else None
    A = rec.design()
    sol, *_ = np.linalg.lstsq(A, rec.y, rcond=None)
    return [float(v) for v in sol] if np.all(np.isfinite(sol)) else None


def _box(values: np.ndarray, extra: list[float]) -> list[float]:
    vals = np.concatenate([values[np.isfinite(values)], np.asarray(extra, dtype=float)])
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.15 * (hi - lo) if hi > lo else max(1.0, abs(lo)) * 0.5
    return [lo - pad, hi + pad]


def landscape_ranges(rec: RecordedRun, axes: tuple[int, int]) -> list[list[float]]:
    """The ranges of the two landscape axes: the whole path (its finite points) and the
    least-squares minimum, with a margin."""
    path = np.vstack([rec.before, rec.after]) if rec.updates else rec.history_initial()[None, :]
    minimum = least_squares_minimum(rec)
    return [_box(path[:, a], [] if minimum is None else [minimum[a]]) for a in axes]


def minimum_name(rec: RecordedRun) -> str:
    """What the star on the landscape is: ``"the least-squares minimum"`` or, for logistic
    regression, ``"the minimum (Newton's method)"``."""
    return "the minimum (Newton's method)" if rec.loss_name == "bce" else "the least-squares minimum"
