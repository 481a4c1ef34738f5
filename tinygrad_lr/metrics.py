"""How good a fit is, in numbers: R^2, MSE, RMSE and MAE of predictions against targets.

With residuals ``r_i = f_i - y_i`` over ``n`` samples and ``y_bar`` the mean target::

    MSE  = (1/n) sum_i r_i^2          RMSE = sqrt(MSE)  (in the target's units)
    MAE  = (1/n) sum_i |r_i|
    R^2  = 1 - sum_i r_i^2 / sum_i (y_i - y_bar)^2

R^2 is the fraction of the targets' variance the model explains: 1 is a perfect fit, 0 is no
better than predicting ``y_bar`` everywhere, below 0 is worse than that (possible on held-out data).
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
