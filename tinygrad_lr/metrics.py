"""How good a fit is, in numbers: R^2, MSE, RMSE and MAE of predictions against targets; accuracy,
log-loss and the confusion matrix of a classifier's answers.

With residuals ``r_i = f_i - y_i`` over ``n`` samples and ``y_bar`` the mean target::

    MSE  = (1/n) sum_i r_i^2          RMSE = sqrt(MSE)  (in the target's units)
    MAE  = (1/n) sum_i |r_i|
    R^2  = 1 - sum_i r_i^2 / sum_i (y_i - y_bar)^2

R^2 is the fraction of the targets' variance the model explains: 1 is a perfect fit, 0 is no
better than predicting ``y_bar`` everywhere, below 0 is worse than that (possible on held-out data).

For a classifier of two classes 0 and 1, with the predicted classes ``c_i`` and the probabilities
``p_i`` of class 1::

    accuracy = (1/n) #{i : c_i = y_i}
    log-loss = (1/n) sum_i -(y_i log p_i + (1 - y_i) log(1 - p_i))   (the BCE, from probabilities)
    confusion matrix = [[TN, FP], [FN, TP]]  (rows: the true class 0, 1; columns: the predicted one)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "R2_MIN_ROWS",
    "r2_undefined",
    "r2_score",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "regression_metrics",
    "accuracy_score",
    "log_loss",
    "confusion_matrix",
    "classification_metrics",
]


# R^2 divides by the targets' spread about their mean: one target has none (nor do equal ones)
R2_MIN_ROWS = 2


def r2_undefined(y_true: Any) -> str:
    """Why R^2 cannot be computed on these targets, in words (``""`` when it can): fewer than
    :data:`R2_MIN_ROWS` of them, or all equal, leave ``sum_i (y_i - y_bar)^2 = 0`` to divide by.

    Example:
        >>> r2_undefined([3.0])
        'one target (R^2 needs at least 2)'
        >>> r2_undefined([2.0, 2.0]), r2_undefined([1.0, 2.0])
        ('all 2 targets are 2.0 (R^2 divides by their spread about their mean, 0)', '')
    """
    t = np.asarray(getattr(y_true, "data", y_true), dtype=np.float64).reshape(-1)
    if t.size < R2_MIN_ROWS:
        return f"{'one target' if t.size == 1 else 'no targets'} (R^2 needs at least {R2_MIN_ROWS})"
    if np.all(t == t[0]):
        return f"all {t.size} targets are {float(t[0])!r} (R^2 divides by their spread about their mean, 0)"
    return ""


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(getattr(y_true, "data", y_true), dtype=np.float64).reshape(-1)
    p = np.asarray(getattr(y_pred, "data", y_pred), dtype=np.float64).reshape(-1)
    if t.size != p.size:
        raise ValueError(f"{t.size} targets but {p.size} predictions")
    if t.size == 0:
        raise ValueError("no samples to score")
    return t, p


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """``(1/n) sum_i (f_i - y_i)^2``.

    Example:
        >>> mean_squared_error([3, 5, 7], [3, 5, 8])
        0.3333333333333333
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean((p - t) ** 2))


def root_mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """``sqrt(MSE)``, in the target's units."""
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """``(1/n) sum_i |f_i - y_i|``."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(p - t)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    """``1 - SSE / sum_i (y_i - y_bar)^2`` (``nan`` when all targets are equal, or there is one:
    :func:`r2_undefined` says why).

    Example (the step-by-step tutorial's line y = 2x + 1 predicts its test point (4, 9) exactly):
        >>> r2_score([3, 5, 7, 9], [3, 5, 7, 9])
        1.0
    """
    t, p = _pair(y_true, y_pred)
    total = float(np.sum((t - t.mean()) ** 2))
    if total == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((p - t) ** 2)) / total


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """``{"r2", "mse", "rmse", "mae"}`` in one dict (what ``fit --test-split`` prints)."""
    return {
        "r2": r2_score(y_true, y_pred),
        "mse": mean_squared_error(y_true, y_pred),
        "rmse": root_mean_squared_error(y_true, y_pred),
        "mae": mean_absolute_error(y_true, y_pred),
    }


# --- classification: two classes, 0 and 1 ------------------------------------------------------


def _labels(y: np.ndarray, what: str) -> np.ndarray:
    bad = np.flatnonzero((y != 0.0) & (y != 1.0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{what}[{i}] is {float(y[i])!r}; the classes are 0 and 1")
    return y


def accuracy_score(y_true: Any, y_pred: Any) -> float:
    """The fraction of samples whose predicted class is the true one.

    Example:
        >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
        0.75
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(_labels(t, "y_true") == _labels(p, "y_pred")))


def log_loss(y_true: Any, y_prob: Any) -> float:
    """``(1/n) sum_i -(y_i log p_i + (1 - y_i) log(1 - p_i))`` for the probabilities ``p_i`` of class 1.

    A probability of exactly 0 or 1 on the wrong side would make it infinite; as scikit-learn's
    ``log_loss``, ``p`` is clipped to ``[eps, 1 - eps]`` (``eps`` = float64's, 2.2e-16) first. The
    loss a model is trained with, :func:`~tinygrad_lr.losses.bce_with_logits`, takes the logits
    instead and needs no clipping (the number is the same where ``p`` is not clipped).

    Example (p = 1/2 everywhere: log 2):
        >>> round(log_loss([0, 1], [0.5, 0.5]), 12)
        0.69314718056
    """
    t, p = _pair(y_true, y_prob)
    _labels(t, "y_true")
    if not np.all((p >= 0.0) & (p <= 1.0)):  # NaN fails too
        i = int(np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))[0])
        raise ValueError(f"y_prob[{i}] is {float(p[i])!r}; a probability is a number from 0 to 1")
    eps = float(np.finfo(np.float64).eps)
    p = np.clip(p, eps, 1.0 - eps)
    return float(np.mean(-(t * np.log(p) + (1.0 - t) * np.log1p(-p))))


def confusion_matrix(y_true: Any, y_pred: Any) -> np.ndarray:
    """``[[TN, FP], [FN, TP]]``: row ``i`` counts the samples of true class ``i``, column ``j`` those
    predicted as ``j`` (scikit-learn's layout for the labels 0, 1).

    Example:
        >>> confusion_matrix([0, 1, 1, 0, 1], [0, 1, 0, 1, 1]).tolist()
        [[1, 1], [1, 2]]
    """
    t, p = _pair(y_true, y_pred)
    ti, pi = _labels(t, "y_true").astype(np.int64), _labels(p, "y_pred").astype(np.int64)
    return np.bincount(2 * ti + pi, minlength=4).reshape(2, 2)


def classification_metrics(y_true: Any, logits: Any) -> dict[str, Any]:
    """``{"accuracy", "log_loss", "confusion_matrix"}`` of a logistic model's ``logits`` (what
    ``fit --model logistic --test-split`` prints). The classes are ``z > 0``; the log-loss is
    computed from the logits, ``log(1 + e^z) - y z``, exactly (no clipping).

    Example:
        >>> m = classification_metrics([0, 1, 1], [-2.0, 0.5, -0.1])
        >>> m["accuracy"], m["confusion_matrix"]
        (0.6666666666666666, [[1, 0], [1, 1]])
    """
    t, z = _pair(y_true, logits)
    _labels(t, "y_true")
    predicted = (z > 0.0).astype(np.float64)
    return {
        "accuracy": accuracy_score(t, predicted),
        "log_loss": float(np.mean(np.logaddexp(0.0, z) - t * z)),
        "confusion_matrix": confusion_matrix(t, predicted).tolist(),
    }
