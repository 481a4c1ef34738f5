"""What a user hands a ``Tensor`` (lists, numbers, arrays, Tensors, indices), as the arrays it holds.

These functions cannot import the ``Tensor`` class (it imports them), so they know a tensor by
what it has: ``requires_grad`` and ``_prev``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from ..errors import InputError, describe

__all__ = ["to_array", "torch_names", "index_data", "Axis"]

Axis = Union[int, Sequence[int], None]  # noqa: UP007 - a runtime alias


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "requires_grad") and hasattr(x, "_prev")


def to_array(data: Any) -> np.ndarray:
    """``data`` as a real floating-point array: float arrays as they are, the rest as float64.

    A float ndarray is used as is (shared, not copied); ints and bools become float64.
    """
    if _is_tensor(data):
        return data.data
    if isinstance(data, (list, tuple)) and any(_is_tensor(v) for v in data):
        raise TypeError(
            "Tensor needs real numbers, got a list holding Tensors; "
            "to join tensors, use stack() or concatenate()"
        )
    try:
        arr = np.asarray(data)
    except ValueError:  # rows of different lengths
        what = describe(data)
        raise InputError(f"Tensor needs a rectangular array of numbers, got ragged {what}") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    hint = ""
    if kind == "O" and any(_is_tensor(v) for v in arr.flat):
        hint = "; to join tensors, use stack() or concatenate()"
    raise TypeError(f"Tensor needs real numbers, got an array of dtype {arr.dtype}{hint}")


def torch_names(op: str, axis: Axis, keepdims: bool, dim: Axis, keepdim: bool | None) -> tuple[Axis, bool]:
    """``axis`` and ``keepdims`` from either numpy's names or PyTorch's ``dim`` and ``keepdim``."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}(): give axis or dim (the same thing), not both")
        axis = dim
    return axis, keepdims if keepdim is None else bool(keepdim)


def index_data(index: Any) -> Any:
    """An index with any Tensor in it replaced by its (integer or boolean) array."""
    if isinstance(index, tuple):
        return tuple(index_data(i) for i in index)
    if _is_tensor(index):
        mask = getattr(index, "_mask", None)  # a Tensor built from booleans
        if mask is not None:
            return mask
        data = index.data
        if data.dtype.kind != "f":
            return data
        whole = data.astype(np.intp)
        if not np.array_equal(whole, data):
            raise IndexError(
                f"a Tensor used as an index must hold whole numbers (or be built from booleans, a mask), "
                f"got {data.ravel()[:5].tolist()}"
            )
        return whole
    return index
