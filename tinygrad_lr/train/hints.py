"""What to try when a run goes wrong, said in a sentence: the hints fit and the command line give.

**A run that diverged** (:func:`stable_lr_hint`, the hint a :class:`~.guard.DivergenceError`
gives). For linear regression with the SSE or MSE loss the Hessian is ``H = 2 A^T A`` (``/ n``
for the MSE, ``A = [X, 1]``), the same everywhere, so each rule's full-batch steps settle exactly
for the learning rates below its bound in ``lambda_max(H)``
(:meth:`~tinygrad_lr.optim.Optimizer.max_stable_lr`: ``2 / lambda_max`` for gradient descent).
One sample's loss has Hessian ``2 a a^T``, so a one-sample SGD step shrinks the error only for
``lr < 1 / |a|^2``; the sample with the largest ``|a|`` sets that limit. In memory the bound is
computed from the data by :func:`~tinygrad_lr.models.max_stable_lr`; a stream adds ``A^T A``
and the largest ``|a|^2`` up chunk by chunk (:class:`GramSums`) as it reads the file for the
initial loss, so the hint costs no extra pass.

**A run that ended far from its answer** (:func:`advice`): what to change, as fit's options
(``{"standardize": True}``, ``{"lr": 0.1}``), and why. A rule whose step is ``lr`` times the
gradient crawls along the flattest direction of an ill-conditioned loss: standardize. A rule that
divides its step by the gradient's size moves at a pace set by ``lr`` alone: a larger ``lr``.
Every piece of advice is tested by following it (``tests/test_hints.py``).

**The words of a divergence** blame its cause (:func:`divergence_hint`): a setting of the optimizer
with which it diverges at any learning rate (a momentum of 1.5, a weight decay larger than the
steps can take) is named first; else the largest stable lr *of the rule used* (momentum moves
the bound, weight decay adds itself to every eigenvalue) is compared with the lr, and when the
lr is below it, the message says the lr is not the cause instead of asking for a smaller one.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..closed_form import LeastSquares
from ..logistic import LogisticSolution
from ..models import LinearRegression, max_stable_lr
from ..optim import Optimizer
from .history import History

__all__ = [
    "Hint",
    "Advice",
    "stable_lr_hint",
    "GramSums",
    "hint_text",
    "divergence_hint",
    "advice",
    "round_up_125",
]

SLOW_CONDITION = 100.0  # a Hessian condition number above this makes gradient descent crawl


class Hint(NamedTuple):
    """The largest stable learning rate for the run (``None``: not known), and a sentence saying
    where it comes from (or, from :func:`divergence_hint`, what to change)."""

    lr: float | None
    text: str


class Advice(NamedTuple):
    """What to change in a run that ended far from its answer: ``changes`` are options of
    :func:`~tinygrad_lr.fit` (the command line says them as flags), ``text`` says why."""

    text: str
    changes: dict[str, Any]


def hint_text(
    loss_name: str,
    lam_max: float,
    one_sample_lr: float | None,
    bias: bool,
    optimizer: Optimizer | None = None,
    l2: float = 0.0,
) -> Hint | None:
    """The hint for a Hessian whose largest eigenvalue is ``lam_max`` (the ``l2`` term's curvature
    included) and, for one-sample SGD, the one-sample limit too; ``None`` when the rule's lr has no
    such bound (an adaptive rule)."""
    bound = 2.0 / lam_max if optimizer is None else optimizer.max_stable_lr(lam_max)
    if bound is None or not math.isfinite(bound):
        return None
    loss = f"the {loss_name.upper()} loss" + (f" with l2 = {l2:g}" if l2 else "")
    rule_bound = None if optimizer is None else optimizer.lr_bound(optimizer.param_groups[0])
    if optimizer is None or optimizer.plain_update() or rule_bound is None:
        text = (
            f"for this data and {loss}, gradient descent is stable only for "
            f"lr < {bound:.6g} = 2 / {lam_max:.6g}, the largest eigenvalue of the loss's Hessian"
        )
    else:
        settings = ", ".join(optimizer.describe_options(optimizer.param_groups[0]))
        rule = f"{optimizer.title} ({settings})" if settings else optimizer.title
        numerator = f"({rule_bound.text})" if "/" in rule_bound.text else rule_bound.text
        decay = f" + weight decay {rule_bound.shift:g}" if rule_bound.shift else ""
        denominator = f"({lam_max:.6g}{decay})" if decay else f"{lam_max:.6g}"
        text = (
            f"for this data and {loss}, {rule} is stable only for lr < {bound:.6g} = {numerator} / "
            f"{denominator}, where {lam_max:.6g} is the largest eigenvalue of the loss's Hessian"
        )
    if one_sample_lr is None:
        return Hint(bound, text)
    a = "[x, 1]" if bias else "x"
    return Hint(
        one_sample_lr,
        f"every one-sample SGD step shrinks the error only for lr < {one_sample_lr:.6g} = 1 / "
        f"{1.0 / one_sample_lr:.6g}, the largest |{a}|^2 of a sample, as one sample's loss has Hessian "
        f"2 a a^T with a = {a}; {text}",
    )


def _one_sample(optimizer: Optimizer | None, batch_size: int | None) -> bool:
    """Whether the one-sample SGD limit is the one to state (plain steps on single samples)."""
    plain = optimizer is None or optimizer.plain_update()
    return batch_size == 1 and plain


def stable_lr_hint(
    model: Any,
    X: np.ndarray,
    loss_name: str,
    batch_size: int | None,
    optimizer: Optimizer | None = None,
    l2: float = 0.0,
) -> Hint | None:
    """The hint for ``model`` trained on ``X`` (in memory) by ``optimizer``: linear regression with
    SSE or MSE only (with ``l2``, the ridge term's curvature included)."""
    if not isinstance(model, LinearRegression) or loss_name not in ("sse", "mse"):
        return None
    gd = model.max_stable_lr(X, loss_name, l2=l2)
    if not 0.0 < gd < math.inf:
        return None
    one = (
        model.max_stable_lr(X, loss_name, batch_size=1, l2=l2) if _one_sample(optimizer, batch_size) else None
    )
    return hint_text(loss_name, 2.0 / gd, one, model.bias, optimizer, l2)


def divergence_hint(optimizer: Any, data: Hint | None) -> Hint:
    """What to change after ``optimizer`` diverged, in a sentence, and the largest stable lr of
    its rule (``None``: not known); ``data`` is the rule's hint on the run's data
    (:func:`stable_lr_hint` given the optimizer)."""
    group = optimizer.param_groups[0]
    cause = optimizer.instability(group)
    if cause:
        return Hint(None, cause)
    if optimizer.lr_bound(group) is None:
        return Hint(
            None,
            f"try a smaller learning rate ({optimizer.title}'s step is not lr times the gradient, "
            "so the bound 2 / lambda_max of gradient descent does not apply to it)",
        )
    if data is None or data.lr is None:
        return Hint(None, "try a smaller learning rate")
    lr = group["lr"]
    if lr < data.lr:
        noisy = (
            ""
            if optimizer.batching.whole
            else (
                "; with a sample or a batch per update the loss can rise for a few epochs by chance: a "
                "larger patience waits longer"
            )
        )
        return Hint(
            data.lr,
            f"the learning rate is not the cause: {lr:g} is below the largest stable one "
            f"({data.text}){noisy}",
        )
    return Hint(data.lr, f"try a smaller learning rate ({data.text})")


def provably_stable(optimizer: Any, data: Hint | None) -> bool:
    """Whether ``optimizer``'s steps surely converge on the run's loss at its lr now: full batches
    (no sampling noise), one param group, no setting that diverges whatever the lr, and an lr
    below the rule's own bound on this quadratic loss (``data``: :func:`stable_lr_hint` given the
    optimizer; ``None`` when no bound is known -- another model or loss, an adaptive rule)."""
    if not optimizer.batching.whole or len(optimizer.param_groups) != 1:
        return False
    group = optimizer.param_groups[0]
    if optimizer.instability(group) or optimizer.lr_bound(group) is None:
        return False
    return data is not None and data.lr is not None and group["lr"] < data.lr


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

    def hint(
        self, loss_name: str, n: int, batch_size: int | None, optimizer: Optimizer | None = None
    ) -> Hint | None:
        """The hint from the sums (``n`` rows in all), as :func:`stable_lr_hint` gives it in memory."""
        with np.errstate(over="ignore", invalid="ignore"):
            H = 2.0 * self.gram / (n if loss_name == "mse" else 1.0)
        if not np.all(np.isfinite(H)):
            return None
        lam = float(np.linalg.eigvalsh(H).max())
        if lam <= 0.0:
            return None
        one = 1.0 / self.max_row if _one_sample(optimizer, batch_size) and self.max_row > 0.0 else None
        return hint_text(loss_name, lam, one, self.bias, optimizer)


def round_up_125(x: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``x``: 0.079 -> 0.1, 0.39 -> 0.5."""
    e = math.floor(math.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0**e >= x * (1 - 1e-12):
            return float(f"{m * 10.0**e:.12g}")
    return 10.0 ** (e + 1)  # pragma: no cover (10 * 10^e >= x always)


def advice(
    history: History,
    optimizer: Optimizer,
    X: np.ndarray,
    loss_name: str,
    *,
    bias: bool = True,
    lr_given: bool = True,
    can_standardize: bool = True,
) -> Advice | None:
    """What to change in a run that met no tolerance and ended far from its answer (least squares;
    Newton's for the BCE loss), or ``None``.

    * a full-batch rule whose step is ``lr`` times the gradient (GD, momentum, Nesterov) on a
      loss whose Hessian has condition number above :data:`SLOW_CONDITION`: standardize the
      features (and, when the run's ``lr`` was given, take half the stable one there);
    * a rule that divides its step by the gradient's size (AdaGrad, RMSProp, Adam, AdamW) that
      left a parameter further from least squares than ``lr`` per update could have gone, every
      such parameter still on its way: the ``lr`` that would have covered the distance, rounded
      up to 1, 2 or 5 times a power of ten.

    Nothing is advised where no simple change is sure to help: stochastic batches (whose noise
    grows with the lr that standardized features allow), or an adaptive rule whose parameter
    went past its answer (it is crawling along a valley, not held back by its lr).

    ``X`` is the data in its own units; ``history`` is what :func:`~tinygrad_lr.fit` returned.
    """
    cf = history.closed_form
    if cf is None or history.converged is not False or not len(history.final_params):
        return None
    if optimizer.lr_scales_gradient:
        if not can_standardize or history.standardizer is not None or optimizer.batch_size is not None:
            return None  # stochastic steps: standardized, their noise may cost more than the crawl
        return _standardize(cf, X, loss_name, bias, lr_given)
    if optimizer.create_graph:  # Newton: one step to least squares; nothing to advise
        return None
    return _larger_steps(history, cf, optimizer)


def _standardize(
    cf: LeastSquares | LogisticSolution, X: np.ndarray, loss_name: str, bias: bool, lr_given: bool
) -> Advice | None:
    kappa = cf.condition_number**2
    if not kappa > SLOW_CONDITION:
        return None
    text = (
        f"the loss's Hessian has condition number {kappa:.3g}, so gradient descent crawls along its "
        "flattest direction"
    )
    changes: dict[str, Any] = {"standardize": True}
    if lr_given:  # the lr chosen for the raw data is far too small on standardized features
        std = X.std(axis=0)
        Z = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
        changes["lr"] = float(f"{max_stable_lr(Z, loss_name, bias) / 2:.3g}")
    return Advice(text, changes)


def _larger_steps(
    history: History, cf: LeastSquares | LogisticSolution, optimizer: Optimizer
) -> Advice | None:
    target = cf.param_vector()
    if history.standardizer is not None:  # the run's parameters are those of standardized features
        w, b = history.standardizer.to_standardized(cf.weights, cf.intercept)
        target = np.concatenate([w, [] if b is None else [b]])
    start, end = history.initial_params, history.final_params
    moved, needed = end - start, target - start
    lr = optimizer.param_groups[0]["lr"]
    # the parameters that a pace of lr per update could not have brought to their answer ...
    far = np.abs(needed) > lr * history.updates
    on_the_way = (moved * needed > 0.0) & (np.abs(moved) < np.abs(needed))
    if not far.any() or not on_the_way[far].all():
        return None  # ... none, or one went past its answer (a valley, not the pace): no simple advice
    j = int(np.argmax(np.where(far, np.abs(target - end), -1.0)))
    if abs(target[j] - end[j]) <= 0.1 * abs(needed[j]):
        return None  # nine tenths of the way there
    names = history.param_names or [f"p{i}" for i in range(len(target))]
    answer = "Newton's answer" if cf.loss_name == "bce" else "least squares"
    text = (
        f"{optimizer.title} divides each step by the size of the gradient, so a parameter moves at a "
        f"pace set by lr alone: in {history.updates} updates at lr {lr:g}, {names[j]} moved "
        f"{moved[j]:.3g} of the {needed[j]:.3g} to {answer}"
    )
    return Advice(text, {"lr": round_up_125(lr * needed[j] / moved[j])})
