"""Newton's method: a step scaled by the inverse curvature, ``theta <- theta - lr * H^-1 g``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..graph import no_grad
from ..hessian import flat_numbers, gradient_graph, hessian_from_grads
from ..value import Value
from .base import Optimizer
from .registry import register

__all__ = ["Newton"]


@register
class Newton(Optimizer):
    """Newton's method: ``theta <- theta - lr * H^-1 g`` with ``g = dL/dtheta`` and ``H`` its Hessian.

    Near a minimum the loss is (almost) the quadratic ``L(theta*) + 1/2 (theta - theta*)^T H
    (theta - theta*)``, whose gradient is ``g = H (theta - theta*)``; so ``theta - H^-1 g`` is
    ``theta*`` itself. The squared-error loss of linear regression *is* that quadratic, so with
    ``lr = 1`` (the default) one step lands on the least-squares solution, where gradient
    descent takes many steps of ``lr < 2 / lambda_max``.

    It needs the gradient as a graph, to differentiate it again: call
    ``loss.backward(create_graph=True)`` before :meth:`step` (``fit`` does so for it), or pass the
    loss to ``step(loss)``.

    Example (the step-by-step tutorial's data: least squares is w = 2, b = 1):
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(0.0), Value(0.0)
        >>> opt = Newton([w, b])
        >>> sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]).backward(create_graph=True)
        >>> opt.step()
        >>> round(w.data, 12), round(b.data, 12)
        (2.0, 1.0)
    """

    name = "newton"
    title = "Newton's method"
    summary = "theta <- theta - lr * H^-1 g with the Hessian H by autodiff, one step to least squares at lr 1"
    lr_scales_gradient = False
    order = 40
    create_graph = True  # fit() calls loss.backward(create_graph=True) for it

    def __init__(self, params: Iterable[Any], lr: float = 1.0, **batching: Any) -> None:
        super().__init__(params, {"lr": lr}, **batching)

    def instability(self, group: dict[str, Any]) -> str:
        lr = group["lr"]
        if lr >= 2.0:  # on a quadratic theta - lr H^-1 g = theta* + (1 - lr)(theta - theta*)
            return (
                f"Newton's step multiplies the distance to the minimum of a quadratic loss by 1 - lr = "
                f"{1 - lr:g}, so lr {lr:g} >= 2 makes it grow; use 0 < lr < 2 (lr 1 lands on the minimum)"
            )
        return ""

    def step(self, loss: Any = None) -> None:
        """One Newton step from the gradient graphs in ``p.grad`` (or from ``loss``, if given)."""
        params = self.params
        if loss is not None:
            grads = gradient_graph(loss, params)
        else:
            grads = [p.grad for p in params]
            for g in grads:
                if g is not None and not hasattr(g, "_prev"):
                    raise RuntimeError(
                        "Newton needs the gradient as a graph to differentiate it again: "
                        "call loss.backward(create_graph=True) before step(), or pass step(loss)"
                    )
        g_flat = flat_numbers(grads, params)
        H = hessian_from_grads(grads, params)
        try:
            direction = np.linalg.solve(H, g_flat)  # H d = g
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                f"Newton: the Hessian is singular (eigenvalues {np.linalg.eigvalsh(H).round(12).tolist()}), "
                f"so H^-1 g does not exist; the loss has no unique minimum along some direction"
            ) from None
        if self.watch:  # the numbers a replay shows: the Hessian and the step direction
            self.noted = {"H": H.ravel().copy(), "d": np.asarray(direction, dtype=float).copy()}
        start = 0
        with no_grad():
            for p in params:
                size = int(np.size(p.data))
                d = direction[start : start + size]
                start += size
                if isinstance(p, Value):
                    p.data = p.data - self.lr * float(d[0])
                else:
                    p.data = p.data - self.lr * d.reshape(np.shape(p.data))

    def formula(self) -> list[str]:
        """The Hessian, the direction ``d`` that solves ``H d = g``, and each parameter's step."""
        return ["H = {H}", "d = H^-1 {grad} = {d}", "{p} <- {before} - {lr} * {d} = {after}"]
