"""Which learning rate is stable, said in a sentence: the hint a :class:`~.guard.DivergenceError` gives.

For linear regression with the SSE or MSE loss the Hessian is ``H = 2 A^T A`` (``/ n`` for the
MSE, ``A = [X, 1]``), the same everywhere, so full-batch gradient descent is stable exactly for
``lr < 2 / lambda_max(H)``. One sample's loss has Hessian ``2 a a^T``, so a one-sample SGD step
shrinks the error only for ``lr < 1 / |a|^2``; the sample with the largest ``|a|`` sets that limit.

In memory the hint is computed from the data by :func:`~tinygrad_lr.models.max_stable_lr`; a
stream adds ``A^T A`` and the largest ``|a|^2`` up chunk by chunk (:class:`GramSums`) as it reads
the file for the initial loss, so the hint costs no extra pass.

The words of a divergence blame its cause (:func:`divergence_hint`): a setting of the optimizer
with which it diverges at any learning rate (a momentum of 1.5, a weight decay larger than the
steps can take) is named first; else the largest stable lr *of the rule used* (momentum moves
the bound, weight decay adds itself to every eigenvalue) is compared with the lr, and when the
lr is below it, the message says the lr is not the cause instead of asking for a smaller one.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..models import LinearRegression

__all__ = ["Hint", "stable_lr_hint", "GramSums", "hint_text", "divergence_hint"]


class Hint(NamedTuple):
    """The largest stable learning rate for the run (``None``: not known), and a sentence saying
    where it comes from (or, from :func:`divergence_hint`, what to change)."""

    lr: float | None
    text: str


def hint_text(loss_name: str, gd_lr: float, one_sample_lr: float | None, bias: bool, l2: float = 0.0) -> Hint:
    """The hint for the GD limit ``gd_lr`` and, for one-sample SGD, the one-sample limit too."""
    loss = f"the {loss_name.upper()} loss" + (f" with l2 = {l2:g}" if l2 else "")
    text = (
        f"for this data and {loss}, gradient descent is stable only for "
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


def stable_lr_hint(
    model: Any, X: np.ndarray, loss_name: str, batch_size: int | None, l2: float = 0.0
) -> Hint | None:
    """The hint for ``model`` trained on ``X`` (in memory): linear regression with SSE or MSE only
    (with ``l2``, the ridge term's curvature included)."""
    if not isinstance(model, LinearRegression) or loss_name not in ("sse", "mse"):
        return None
    gd = model.max_stable_lr(X, loss_name, l2=l2)
    if not 0.0 < gd < math.inf:
        return None
    one = model.max_stable_lr(X, loss_name, batch_size=1, l2=l2) if batch_size == 1 else None
    return hint_text(loss_name, gd, one, model.bias, l2)


def divergence_hint(optimizer: Any, data: Hint | None) -> Hint:
    """What to change after ``optimizer`` diverged, in a sentence, and the largest stable lr of
    its rule (``None``: not known); ``data`` is the hint for gradient descent on the run's data."""
    group = optimizer.param_groups[0]
    cause = optimizer.instability(group)
    if cause:
        return Hint(None, cause)
    bound = optimizer.lr_bound(group)
    if bound is None:
        return Hint(
            None,
            f"try a smaller learning rate ({optimizer.title}'s step is not lr times the gradient, "
            "so the bound 2 / lambda_max of gradient descent does not apply to it)",
        )
    if data is None or data.lr is None:
        return Hint(None, "try a smaller learning rate")
    lam = 2.0 / data.lr  # the largest eigenvalue the data's hint is about
    limit = bound.factor / (lam + bound.shift)
    text = data.text
    if bound != (2.0, 0.0, "2"):  # another rule than gradient descent: its own bound too
        decay = f" + weight decay {bound.shift:g}" if bound.shift else ""
        denominator = f"({lam:.6g}{decay})" if decay else f"{lam:.6g}"
        numerator = f"({bound.text})" if "/" in bound.text else bound.text
        options = ", ".join(optimizer.describe_options(group))
        rule = f"{optimizer.title} ({options})" if options else optimizer.title
        text += f"; {rule} is stable only for lr < {limit:.6g} = {numerator} / {denominator}"
    lr = group["lr"]
    if lr < limit:
        noisy = (
            ""
            if optimizer.batching.whole
            else (
                "; with a sample or a batch per update the loss can rise for a few epochs by chance: a "
                "larger patience waits longer"
            )
        )
        return Hint(
            limit,
            f"the learning rate is not the cause: {lr:g} is below the largest stable one ({text}){noisy}",
        )
    return Hint(limit, f"try a smaller learning rate ({text})")


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
        with np.errstate(over="ignore", invalid="ignore"):
            H = 2.0 * self.gram / (n if loss_name == "mse" else 1.0)
        if not np.all(np.isfinite(H)):
            return None
        lam = float(np.linalg.eigvalsh(H).max())
        if lam <= 0.0:
            return None
        one = 1.0 / self.max_row if batch_size == 1 and self.max_row > 0.0 else None
        return hint_text(loss_name, 2.0 / lam, one, self.bias)
