"""``fit(..., standardize=True)``: train a linear model on ``z = (x - mean) / std``, report it in
the data's units.

On standardized features the loss is a round bowl (condition number near 1), so gradient
descent is fast. The model's parameters are moved to the standardized features before training
(``w_z = w * std``, ``b_z = b + w . mean``) and back after it (``w = w_z / std``,
``b = b_z - w_z . mean / std``), so the model the user holds is always in the data's units.

A model without intercept has no ``b`` to take ``- w_z . mean / std``: its features are scaled
by their root mean square and not centred (:class:`~tinygrad_lr.scaling.Standardizer` with
``center=False``), so the model trained is the model returned, and every number of the History
(losses, closed form) describes it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Union

import numpy as np

from ..closed_form import LeastSquares
from ..logistic import LogisticSolution
from ..scaling import Standardizer

__all__ = ["Standardization"]

Answer = Union[LeastSquares, LogisticSolution]  # noqa: UP007 - a runtime alias for Python 3.10


class Standardization:
    """The features' means and stds, and the moves of a LinearRegression's parameters to and
    from the standardized features."""

    def __init__(self, X: np.ndarray, feature_names: Any, center: bool = True) -> None:
        self.scaler = Standardizer.fit(X, feature_names, center=center)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.scaler.transform(X)

    def to_standardized(self, model: Any) -> None:
        """Move the model's parameters to the standardized features."""
        write_params(model, self._convert(model, model.param_vector(), to_original=False))

    def to_original(self, model: Any) -> None:
        """Move the model's parameters back to the data's units."""
        write_params(model, self._convert(model, model.param_vector(), to_original=True))

    def closed_form(self, cf: Answer) -> Answer:
        """A closed-form answer (least squares, or logistic regression's Newton answer) on the
        standardized features, in the data's units."""
        w, b = self.scaler.to_original(cf.weights, cf.intercept)
        return dataclasses.replace(cf, weights=w, intercept=b)

    def _convert(self, model: Any, vector: np.ndarray, to_original: bool) -> np.ndarray:
        d = model.n_features
        b = float(vector[d]) if model.bias else None
        convert = self.scaler.to_original if to_original else self.scaler.to_standardized
        w, b2 = convert(vector[:d], b)
        return np.concatenate([w, [] if b2 is None else [b2]])


def write_params(model: Any, vector: np.ndarray) -> None:
    """Set a LinearRegression's parameters from ``[w1..wn, b]`` (data only, no graph)."""
    d = model.n_features
    if model.engine == "value":
        for p, v in zip(model.w, vector[:d].tolist()):
            p.data = v
    else:
        model.w.data = np.array(vector[:d], dtype=model.w.data.dtype)
    if model.bias:
        if model.engine == "value":
            model.b.data = float(vector[d])
        else:
            model.b.data = np.array(vector[d], dtype=model.b.data.dtype)
