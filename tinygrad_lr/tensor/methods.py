"""``Tensor``'s methods, made from the op definitions' registry; joining tensors; what each op
hands its inputs.

Every registered op that the ``Tensor`` engine has becomes a method (``t.tanh()``, ``a + b``),
now and whenever an op is registered later (:func:`tinygrad_lr.ops.register`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import ops
from .core import ArrayLike, Tensor, as_tensor

__all__ = ["input_grads", "concatenate", "stack"]


def input_grads(node: Tensor, grad: Any) -> list[Any]:
    """What ``node``'s op hands each of its parents in a backward pass that brings ``grad``
    (``dL/d(node)``): the arrays in the op's own shapes, before broadcasting is summed back.

    For the pictures and the walkthrough, which show that step; ``None`` for a parent that
    needs no gradient.
    """
    if node._fn is None:
        return []
    return list(node._fn.array_grads(grad, node._prev, node.data))


def _unary_method(cls: type[ops.Op]) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return Tensor._apply(cls(), self)

    return method


def _binary_method(cls: type[ops.Op], reflected: bool) -> Callable[[Tensor, ArrayLike], Tensor]:
    def method(self: Tensor, other: ArrayLike) -> Tensor:
        return Tensor._apply(cls(), self, as_tensor(other))

    def reflected_method(self: Tensor, other: ArrayLike) -> Tensor:  # 3 + t, and sum([t1, t2])
        return Tensor._apply(cls(), as_tensor(other), self)

    return reflected_method if reflected else method


_OP_METHODS: set[str] = set()  # the methods ops gave Tensor (an op may replace those, nothing else)


def _install(added: type[ops.Op] | None, removed: type[ops.Op] | None) -> None:
    """Give ``Tensor`` the methods of a registered op (and take a removed op's away)."""
    ops.check_method_names(Tensor, added, removed, _OP_METHODS, "tensor")
    for cls in (removed, added):
        if cls is None or "tensor" not in cls.engines:
            continue
        for name in ops.method_names(cls):
            if cls is removed:
                if name in Tensor.__dict__:
                    delattr(Tensor, name)
                _OP_METHODS.discard(name)
                continue
            _OP_METHODS.add(name)
            if cls.arity == 1:
                method: Callable[..., Tensor] = _unary_method(cls)
            else:
                method = _binary_method(cls, reflected=name in cls.reflected)
            method.__name__ = method.__qualname__ = name
            method.__doc__ = cls.__doc__
            setattr(Tensor, name, method)


ops.on_register(_install)


# --- joining tensors -------------------------------------------------------------------------


def concatenate(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``np.concatenate``.

    Each input's gradient is its own slice of the output's gradient.

    Example:
        >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])])
        Tensor([1. 2. 3.])
    """
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    return Tensor._apply(ops.Concatenate(axis), *[as_tensor(t) for t in tensors])


def stack(tensors: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis, as ``np.stack``.

    Example:
        >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
        (2, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    return Tensor._apply(ops.Stack(axis), *[as_tensor(t) for t in tensors])
