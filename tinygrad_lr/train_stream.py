"""Training on a CSV larger than memory: kept for code written before streaming became one
source of batches of :func:`~tinygrad_lr.fit` (:mod:`tinygrad_lr.train.sources`).

``fit_stream(model, stream, ...)`` is ``fit(model, stream, ...)``.
"""

from __future__ import annotations

from typing import Any

from .data import CSVStream
from .optim import Optimizer
from .train import History, fit

__all__ = ["fit_stream"]


def fit_stream(model: Any, stream: CSVStream, optimizer: Optimizer | str = "gd", **options: Any) -> History:
    """Train ``model`` on a :class:`~tinygrad_lr.data.CSVStream` chunk by chunk (:func:`~tinygrad_lr.fit`)."""
    if not isinstance(stream, CSVStream):
        raise TypeError(f"fit_stream trains on a CSVStream, got {type(stream).__name__}")
    return fit(model, stream, optimizer, **options)
