"""Logistic regression, the next lesson on the same engine: classify with ``p = sigmoid(w . x + b)``.

* :mod:`.model` -- :class:`LogisticRegression`: the linear model's output read as a logit
  (``model(X)`` gives logits, :meth:`~LogisticRegression.predict_proba` probabilities,
  :meth:`~LogisticRegression.predict` the classes 0 or 1); it is trained with
  :func:`~tinygrad_lr.losses.bce_with_logits`, built from the engine's ops;
* :mod:`.newton` -- the loss, its gradient ``A^T (p - y) / n`` and Hessian ``A^T S A / n``
  written out by hand, and Newton's method on them (:func:`irls`): the answer a fit is compared
  with, and a separable data set recognised (:func:`separable_note`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .model import LogisticRegression, sigmoid
from .newton import (
    MAX_ITERATIONS,
    STEP_RTOL,
    LogisticSolution,
    irls,
    logistic_gradient,
    logistic_hessian,
    logistic_loss,
)

__all__ = [
    "LogisticRegression",
    "sigmoid",
    "LogisticSolution",
    "irls",
    "logistic_loss",
    "logistic_gradient",
    "logistic_hessian",
    "separable_note",
    "MAX_ITERATIONS",
    "STEP_RTOL",
]


def separable_note(solution: LogisticSolution, y: Any, names: list[str]) -> str | None:
    """What to tell a learner whose data has no minimum (``None`` when it has one).

    ``names`` are the parameters' names, in ``param_vector()`` order.

    Example (x = -1, 1 with classes 0, 1: any w > 0 separates them):
        >>> print(separable_note(irls([-1, 1], [0, 1]), [0, 1], ["w", "b"]))  # doctest: +ELLIPSIS
        the classes are perfectly separable (the line w = 2, b = 0 puts every sample on ...
    """
    fix = "add an L2 penalty for a finite answer (fit(..., l2=0.01); --l2 0.01 on the command line)"
    grow = "so the loss has no minimum: it keeps falling as the weights grow, without bound, and the longer "
    grow += f"the training the larger they get; {fix}"
    labels = np.unique(np.asarray(y, dtype=np.float64))
    if labels.size == 1 and (solution.separable or not solution.converged):
        c = f"{float(labels[0]):g}"
        said = f"every target is {c} (one class only): the model can only learn to say {c} ever more surely"
        if solution.intercept is None:
            return f"{said}, {grow}"
        return (
            f"{said}: b grows without bound, the longer the training the larger, and an L2 penalty does not "
            "stop it (b is not penalised); train on samples of both classes"
        )
    if solution.separable:
        theta = solution.param_vector()
        tiny = 1e-9 * float(np.max(np.abs(theta)))  # round-off around 0 reads as 0
        line = ", ".join(f"{n} = {(v if abs(v) > tiny else 0.0):.4g}" for n, v in zip(names, theta))
        return (
            f"the classes are perfectly separable (the line {line} puts every sample on its own class's "
            f"side), {grow}"
        )
    if not solution.converged:
        return (
            f"Newton's method did not settle in {solution.iterations} steps: the weights keep growing, "
            f"as they do when the classes are separable but for samples on the line itself; {fix}"
        )
    return None
