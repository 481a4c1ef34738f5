"""Gradient descent with momentum: the heavy ball and Nesterov's look-ahead, as ``torch.optim.SGD``.

Plain gradient descent forgets every step as soon as it has taken it. Momentum keeps a
*velocity* ``v``, a running sum of past gradients, and moves along it, so steps that agree
build up speed and steps that zig-zag across a narrow valley cancel out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .base import LrBound, Optimizer, check_range
from .registry import register

__all__ = ["Momentum", "Nesterov", "momentum_instability"]


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

    def lr_bound(self, group: dict[str, Any]) -> LrBound:
        """The heavy ball converges for ``lr (1 - dampening) (lambda + weight_decay) < 2 (1 + mu)``,
        Nesterov for ``lr (lambda + weight_decay) < 2 (1 + mu) / (1 + 2 mu)`` (Jury's conditions on
        the 2x2 recurrence of each eigen-direction); weight decay adds itself to every eigenvalue."""
        mu, damp = group["momentum"], group["dampening"]
        if group["nesterov"]:
            return LrBound(
                2 * (1 + mu) / (1 + 2 * mu), group["weight_decay"], f"2 (1 + {mu:g}) / (1 + 2 * {mu:g})"
            )
        if damp == 1.0:  # v keeps the first gradient only: bounded steps, never a divergence
            return LrBound(math.inf, group["weight_decay"], "inf")
        damped = f" / (1 - {damp:g})" if damp else ""
        return LrBound(2 * (1 + mu) / (1 - damp), group["weight_decay"], f"2 (1 + {mu:g}){damped}")

    def instability(self, group: dict[str, Any]) -> str:
        if group["momentum"] >= 1.0:
            return momentum_instability(group["momentum"], "v <- mu * v + g")
        bound = self.lr_bound(group)
        decay = group["lr"] * group["weight_decay"]
        if decay >= bound.factor:  # the decay alone is a curvature weight_decay in every direction
            return (
                f"lr * weight_decay = {decay:g} is at least {bound.text} = {bound.factor:g}, the most a "
                f"{self.title} step can take: the weight decay, which pulls every parameter towards 0, "
                "overshoots by itself whatever the data; make lr * weight_decay smaller"
            )
        return ""

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


def momentum_instability(mu: float, rule: str) -> str:
    """Why a momentum ``mu >= 1`` diverges at any learning rate, and what to use instead."""
    return (
        f"momentum {mu:g} >= 1: the velocity {rule} keeps every past step at full weight or more, "
        "so it never settles and the run diverges at any learning rate; use a momentum below 1 "
        "(0.9 is usual)"
    )


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
