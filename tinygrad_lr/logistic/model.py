"""The logistic-regression model: the linear model's ``z = b + w . x`` read as a logit.

``p(y = 1 | x) = sigmoid(z)``: the model gives the probability that a sample belongs to class 1.
It is :class:`~tinygrad_lr.models.LinearModel` itself (the same parameters, engines, state and
forward pass); what differs is what its output means and which loss it is trained with.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models import LinearModel

__all__ = ["LogisticRegression", "sigmoid"]


def sigmoid(z: Any) -> Any:
    """``1 / (1 + exp(-z))`` on numbers, without overflow for any ``z`` (``exp(-logaddexp(0, -z))``)."""
    with np.errstate(over="ignore"):
        return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


class LogisticRegression(LinearModel):
    """Logistic regression: ``p(y = 1 | x) = sigmoid(z)`` with the logit ``z = b + sum_j w_j x_j``.

    The arguments are :class:`~tinygrad_lr.models.LinearModel`'s: ``n_features``, ``bias``,
    ``w``, ``b``, ``engine`` (``"value"`` or ``"tensor"``) and ``rng``.

    What it returns, and which loss goes with it:

    * ``model(X)`` -- the **logits** ``z`` as graph nodes (``z1``, ``z2``, ... on the Value
      engine, one Tensor ``z`` on the other), for :func:`~tinygrad_lr.losses.bce_with_logits`,
      the loss ``fit`` trains it with (``loss="bce"``, its default). Not probabilities: the loss
      takes logits so that it stays finite for every ``z`` (see its docstring);
    * :meth:`predict_proba` -- the **probabilities** ``sigmoid(z)`` as numbers (no graph), what
      :func:`~tinygrad_lr.metrics.log_loss` scores;
    * :meth:`predict` -- the **class labels** 0 or 1 (1 where ``z > 0``, i.e. ``p > 1/2``), what
      :func:`~tinygrad_lr.metrics.accuracy` and the confusion matrix count;
    * :meth:`decision_function` -- the logits as numbers.

    For one sample and ``L = -(y log p + (1 - y) log(1 - p))`` the chain rule collapses to
    ``dL/dz = p - y``, so ``dL/dw_j = (p - y) x_j`` and ``dL/db = p - y``.

    Example (the worked example of docs/logistic.md: w = 0.5, b = 0 on x = 2):
        >>> m = LogisticRegression(w=0.5, b=0.0)
        >>> m.decision_function(2), round(m.predict_proba(2), 6), m.predict(2)
        (1.0, 0.731059, 1)
    """

    output_label = "z"  # the logit, in pictures: z (one sample: z1, z2, ...)
    default_loss = "bce"
    classes = (0.0, 1.0)  # the targets fit() accepts: the class labels

    def decision_function(self, X: Any) -> Any:
        """The logits ``z = b + w . x`` as numbers: a float for one sample, else an array."""
        return self.outputs(X)

    def predict_proba(self, X: Any) -> Any:
        """The probabilities ``p = sigmoid(z)`` of class 1: a float for one sample, else an array.

        Example:
            >>> LogisticRegression(w=1.0, b=0.0).predict_proba([-800.0, 0.0, 800.0]).tolist()
            [0.0, 0.5, 1.0]
        """
        z = self.outputs(X)
        p = sigmoid(z)
        return float(p) if np.ndim(z) == 0 else p

    def predict(self, X: Any) -> Any:
        """The class labels: 1 where ``z > 0`` (``p > 1/2``), else 0; an int for one sample, else an array.

        Example:
            >>> LogisticRegression(w=2.0, b=-1.0).predict([0.0, 0.5, 1.0]).tolist()
            [0, 0, 1]
        """
        z = self.outputs(X)
        labels = (np.asarray(z) > 0.0).astype(np.int64)
        return int(labels) if np.ndim(z) == 0 else labels
