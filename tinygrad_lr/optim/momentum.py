"""Gradient descent with momentum: the heavy ball and Nesterov's look-ahead, as ``torch.optim.SGD``.

Plain gradient descent forgets every step as soon as it has taken it. Momentum keeps a
*velocity* ``v``, a running sum of past gradients, and moves along it, so steps that agree
build up speed and steps that zig-zag across a narrow valley cancel out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .base import Optimizer, check_range
from .registry import register

__all__ = ["Momentum", "Nesterov"]


@register
class Momentum(Optimizer):
    """Gradient descent with momentum (Polyak's heavy ball), PyTorch's ``SGD(momentum=mu)``.

    For every parameter ``p``, with ``g = dL/dp`` and the velocity ``v`` (``state[p]["momentum_buffer"]``)::

        g <- g + weight_decay * p                       (only when weight_decay > 0)
        v <- g                                          (first step)
        v <- mu * v + (1 - dampening) * g               (every later step)
        p <- p - lr * v                                 (heavy ball)
        p <- p - lr * (g + mu * v)                      (nesterov=True: look one step ahead)

    With ``mu = 0`` it is gradient descent. The velocity adds up past gradients with weights
    ``1, mu, mu^2, ...``, so on a slope that stays the same the step grows to ``lr * g / (1 - mu)``.

    Batching is that of every optimizer here: the whole data set per update by default,
    ``batch_size`` samples per update for mini-batches, one sample with ``batch_size=1``.
    (``torch.optim.SGD`` is this class's name in PyTorch; here :class:`SGD` names the
    one-sample batching, so the update rule got its own name.)

    Example (the worked example x = 1, 2, 3, y = 3, 5, 7, SSE, from w = 1, b = 0):
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(1.0), Value(0.0)
        >>> opt = Momentum([w, b], lr=0.01, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad(); sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]).backward(); opt.step()
        >>> opt.state[w]["momentum_buffer"]      # 0.9 * (-40) + (-26.64): dL/dw at w = 1.4, b = 0.18
        -62.64
    """

    name = "momentum"
    title = "momentum"
    summary = "heavy ball: v <- mu * v + g, p <- p - lr * v"
    option_help = {
        "momentum": "momentum mu, the weight of the past velocity",
        "dampening": "the share of the new gradient taken off: v <- mu * v + (1 - dampening) * g",
        "weight_decay": "weight decay as torch.optim applies it (added to the gradient)",
        "nesterov": "Nesterov's look-ahead step p <- p - lr * (g + mu * v)",
    }
    order = 20

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.9,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        **batching: Any,
    ) -> None:
        hyper = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )
        super().__init__(params, hyper, **batching)
        if self.defaults["nesterov"]:
            self.name, self.title = "nesterov", "Nesterov momentum"

    def check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        hyper["momentum"] = check_range("momentum", hyper["momentum"], 0.0)
        hyper["dampening"] = check_range("dampening", hyper["dampening"], 0.0, 1.0, open_high=False)
        hyper["weight_decay"] = check_range("weight_decay", hyper["weight_decay"], 0.0)
        hyper["nesterov"] = bool(hyper["nesterov"])
        if hyper["nesterov"] and (hyper["momentum"] == 0.0 or hyper["dampening"] != 0.0):
            raise ValueError("Nesterov momentum needs a momentum > 0 and no dampening")
        return hyper

    def update(self, p: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        mu = group["momentum"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        state["step"] = state.get("step", 0) + 1
        if mu == 0.0:
            self.note(g=g)
            return p - group["lr"] * g
        v_prev = state.get("momentum_buffer")
        v = g if v_prev is None else mu * v_prev + (1.0 - group["dampening"]) * g
        state["momentum_buffer"] = v
        first = v_prev is None  # v = g at the first step: it keeps all of g
        self.note(g=g, v_prev=0.0 if first else v_prev, v=v, keep=1.0 if first else 1.0 - group["dampening"])
        return p - group["lr"] * (g + mu * v if group["nesterov"] else v)

    def formula(self) -> list[str]:
        group = self.param_groups[0]
        lines = ["g_{p} = {grad} + {weight_decay} * {before} = {g}"] if group["weight_decay"] else []
        g = "{g}" if group["weight_decay"] else "{grad}"
        if group["momentum"] == 0.0:
            return [*lines, "{p} <- {before} - {lr} * " + g + " = {after}"]
        keep = " + {keep} * " if group["dampening"] else " + "  # v = g at the first step: keep 1
        lines.append("v_{p} <- {momentum} * {v_prev}" + keep + g + " = {v}")
        if group["nesterov"]:
            return [*lines, "{p} <- {before} - {lr} * (" + g + " + {momentum} * {v}) = {after}"]
        return [*lines, "{p} <- {before} - {lr} * {v} = {after}"]

    def max_stable_lr(self, lam_max: float) -> float | None:
        """Along an eigenvector of the Hessian (eigenvalue ``lam``, plus ``weight_decay``) the error
        ``e`` and velocity follow ``e_next = (1 + mu - lr * c * lam) e - mu e_prev`` (heavy ball,
        ``c = 1 - dampening``), which settles for ``lr * c * lam < 2 (1 + mu)``; Nesterov's
        look-ahead gives ``e_next = (1 + mu)(1 - lr * lam) e - mu (1 - lr * lam) e_prev``, which
        settles for ``lr * lam < 2 (1 + mu) / (1 + 2 mu)`` -- below gradient descent's ``2 / lam``
        once ``mu > 0``."""
        group = self.param_groups[0]
        mu, lam = group["momentum"], lam_max + group["weight_decay"]
        if lam <= 0.0:
            return None
        if group["nesterov"]:
            return 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * lam)
        keep = 1.0 - group["dampening"]
        return 2.0 * (1.0 + mu) / (keep * lam) if keep > 0.0 else math.inf

    @property
    def velocity(self) -> list[Any]:
        """Every parameter's velocity ``v`` (``None`` before its first step), in ``params`` order."""
        return [self.state[p].get("momentum_buffer") for p in self.params]

    def describe_options(self, group: dict[str, Any]) -> list[str]:
        out = [f"momentum {group['momentum']:g}"]
        if group["dampening"]:
            out.append(f"dampening {group['dampening']:g}")
        if group["weight_decay"]:
            out.append(f"weight decay {group['weight_decay']:g}")
        return out


@register
class Nesterov(Momentum):
    """Nesterov momentum: :class:`Momentum` with ``nesterov=True`` (``SGD(momentum=mu, nesterov=True)``).

    The step follows the velocity *and* the gradient once more::

        v <- mu * v + g            (v = g at the first step)
        p <- p - lr * (g + mu * v)

    which is the heavy-ball step taken from the point the velocity is about to carry ``p`` to:
    it brakes earlier when the slope turns, so it overshoots less.
    """

    name = "nesterov"
    title = "Nesterov momentum"
    summary = "momentum with a look ahead: p <- p - lr * (g + mu * v)"
    order = 21

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        **batching: Any,
    ) -> None:
        super().__init__(params, lr, momentum, 0.0, weight_decay, True, **batching)
