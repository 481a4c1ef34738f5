"""The project's error types for input it cannot use; every message names the argument, what was
expected and what was received.

* :class:`InputError` -- an argument of the wrong type, shape or value given to a public function
  (``mse(pred, y)`` with 3 predictions and 2 targets, a 3-D ``X``, a string where numbers are
  needed). It is both a ``ValueError`` and a ``TypeError``, so code that caught either before
  still catches it.
* :class:`~tinygrad_lr.data.DataError` -- data that cannot be trained on (an ``InputError``):
  a CSV cell that is not a number, a NaN in ``X``, values whose squares overflow float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["InputError", "describe"]


class InputError(ValueError, TypeError):
    """An argument a public function cannot use; the message says which, what it needs, what it got."""


def describe(x: Any) -> str:
    """A short description of what was received: ``'a list of 3 items'``, ``'an array of shape (2, 3)'``."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    shape = getattr(x, "shape", None)
    if isinstance(shape, tuple):
        return f"a {type(x).__name__} of shape {shape}"
    if isinstance(x, (list, tuple)):
        kinds = sorted({type(v).__name__ for v in x})
        inner = f" of {'/'.join(kinds)}" if kinds else ""
        return f"a {type(x).__name__} of {len(x)} item{'s' if len(x) != 1 else ''}{inner}"
    if isinstance(x, str):
        return f"the string {x[:40]!r}"
    return f"{type(x).__name__} {x!r}"[:80]
