"""``a @ b``, as numpy's ``matmul`` (``Tensor`` only).

For matrices, ``out = a @ b`` gives ``dL/da = dL/dout @ b.T`` and ``dL/db = a.T @ dL/dout``.
A 1-D ``a`` is treated as a row ``(1, n)`` and a 1-D ``b`` as a column ``(n, 1)``, so the same
two formulas cover vector . vector, matrix @ vector and vector @ matrix; leading axes are
batches, and a batch axis one operand was broadcast along is summed back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import shapes
from .base import INFIX, PRODUCT, Binary, register

__all__ = ["MatMul"]


@register
class MatMul(Binary):
    """``a @ b``. ``dL/da = dL/dout @ b.T``, ``dL/db = a.T @ dL/dout``."""

    name, symbol = "matmul", "@"
    form, precedence, operands, tight = INFIX, PRODUCT, (PRODUCT, PRODUCT), True
    methods, reflected = ("__matmul__",), ("__rmatmul__",)
    engines = ("tensor",)
    rules = ("d(a@b)/da: dL/dout @ b.T", "d(a@b)/db: a.T @ dL/dout")
    takes_scaled = True  # (c g) @ B = c (g @ B): the product is scaled, not the incoming gradient
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        if len(a.shape) == 0 or len(b.shape) == 0:
            raise ValueError(f"matmul: needs operands with at least 1 dimension, got shapes {shapes(a, b)}")
        if a.shape[-1] != b.shape[0 if len(b.shape) == 1 else -2]:
            raise ValueError(f"matmul: shapes {shapes(a, b)} do not align")
        try:
            return xp.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: shapes {shapes(a, b)} do not align (batch axes)") from None

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        a2, b2 = xp.as_row(a), xp.as_column(b)
        ga = _as_matrix(xp, g, a2, b2) @ xp.swap_last(b2)  # dL/da = dL/dout @ b.T
        return xp.reshape(xp.unbroadcast(ga, a2.shape), a.shape)

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        a2, b2 = xp.as_row(a), xp.as_column(b)
        gb = xp.swap_last(a2) @ _as_matrix(xp, g, a2, b2)  # dL/db = a.T @ dL/dout
        return xp.reshape(xp.unbroadcast(gb, b2.shape), b.shape)


def _as_matrix(xp: Any, g: Any, a2: Any, b2: Any) -> Any:
    """``dL/dout`` with the rows and columns that 1-D operands dropped put back."""
    rows_cols = (a2.shape[-2], b2.shape[-1])
    if len(a2.shape) == 2 and len(b2.shape) == 2:  # matrices: no batch axes (and no 3 us call)
        return xp.reshape(g, rows_cols)
    batch = tuple(np.broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2])))
    return xp.reshape(g, batch + rows_cols)
