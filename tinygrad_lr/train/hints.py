"""Which learning rate is stable, said in a sentence: the hint a :class:`~.guard.DivergenceError` gives.

For linear regression with the SSE or MSE loss the Hessian is ``H = 2 A^T A`` (``/ n`` for the
MSE, ``A = [X, 1]``), the same everywhere, so full-batch gradient descent is stable exactly for
``lr < 2 / lambda_max(H)``. One sample's loss has Hessian ``2 a a^T``, so a one-sample SGD step
shrinks the error only for ``lr < 1 / |a|^2``; the sample with the largest ``|a|`` sets that limit.

In memory the hint is computed from the data by :func:`~tinygrad_lr.models.max_stable_lr`; a
stream adds ``A^T A`` and the largest ``|a|^2`` up chunk by chunk (:class:`GramSums`) as it reads
the file for the initial loss, so the hint costs no extra pass.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..models import LinearRegression

__all__ = ["Hint", "stable_lr_hint", "GramSums", "hint_text"]


class Hint(NamedTuple):
    """The largest stable learning rate for the run, and a sentence saying where it comes from."""

    lr: float
    text: str


def hint_text(loss_name: str, gd_lr: float, one_sample_lr: float | None, bias: bool) -> Hint:
    """The hint for the GD limit ``gd_lr`` and, for one-sample SGD, the one-sample limit too."""
    text = (
        f"for this data and the {loss_name.upper()} loss, gradient descent is stable only for "
        f"lr < {gd_lr:.6g} = 2 / {2.0 / gd_lr:.6g}, the largest eigenvalue of the loss's Hessian"
    )
    if one_sample_lr is None:
        return Hint(gd_lr, text)
    a = "[x, 1]" if bias else "x"
    return Hint(
        one_sample_lr,
        f"every one-sample SGD step shrinks the error only for lr < {one_sample_lr:.6g} = 1 / "
        f"{1.0 / one_sample_lr:.6g}, the largest |{a}|^2 of a sample, as one sample's loss has Hessian "
        f"2 a a^T with a = {a}; {text}",
    )


def stable_lr_hint(model: Any, X: np.ndarray, loss_name: str, batch_size: int | None) -> Hint | None:
    """The hint for ``model`` trained on ``X`` (in memory): linear regression with SSE or MSE only."""
    if not isinstance(model, LinearRegression) or loss_name not in ("sse", "mse"):
        return None
    gd = model.max_stable_lr(X, loss_name)
    if not math.isfinite(gd):
        return None
    one = model.max_stable_lr(X, loss_name, batch_size=1) if batch_size == 1 else None
    return hint_text(loss_name, gd, one, model.bias)


class GramSums:
    """``A^T A`` (``A = [X, 1]`` with a bias) and the largest ``|a|^2``, added up chunk by chunk."""

    def __init__(self, n_features: int, bias: bool) -> None:
        self.bias = bias
        self.gram = np.zeros((n_features + bias, n_features + bias))
        self.max_row = 0.0

    def add(self, X: np.ndarray) -> None:
        A = np.hstack([X, np.ones((len(X), 1))]) if self.bias else X
        self.gram += A.T @ A
        self.max_row = max(self.max_row, float(np.max(np.sum(A * A, axis=1))))

    def hint(self, loss_name: str, n: int, batch_size: int | None) -> Hint | None:
        """The hint from the sums (``n`` rows in all), as :func:`stable_lr_hint` gives it in memory."""
        H = 2.0 * self.gram / (n if loss_name == "mse" else 1.0)
        if not np.all(np.isfinite(H)):
            return None
        lam = float(np.linalg.eigvalsh(H).max())
        if lam <= 0.0:
            return None
        one = 1.0 / self.max_row if batch_size == 1 and self.max_row > 0.0 else None
        return hint_text(loss_name, 2.0 / lam, one, self.bias)
