"""Gradient descent with momentum: the heavy ball and Nesterov's look-ahead, as ``torch.optim.SGD``.

Plain gradient descent forgets every step as soon as it has taken it. Momentum keeps a
*velocity* ``v``, a running sum of past gradients, and moves along it, so steps that agree
build up speed and steps that zig-zag across a narrow valley cancel out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import Optimizer, check_range

__all__ = ["Momentum", "Nesterov"]


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

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.9,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        batch_size: int | None = None,
        shuffle: bool = False,
        replacement: bool = False,
        drop_last: bool = False,
    ) -> None:
        super().__init__(params, lr, batch_size, shuffle, replacement, drop_last)
        self.momentum = check_range("momentum", momentum, 0.0)
        self.dampening = check_range("dampening", dampening, 0.0, 1.0, open_high=False)
        self.weight_decay = check_range("weight_decay", weight_decay, 0.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum needs a momentum > 0 and no dampening")
        if self.nesterov:
            self.name, self.title = "nesterov", "Nesterov momentum"

    def update(self, p: Any, g: Any, state: dict[str, Any]) -> Any:
        mu = self.momentum
        if self.weight_decay:
            g = g + self.weight_decay * p
        state["step"] = state.get("step", 0) + 1
        if mu != 0.0:
            v = state.get("momentum_buffer")
            v = g if v is None else mu * v + (1.0 - self.dampening) * g
            state["momentum_buffer"] = v
            g = g + mu * v if self.nesterov else v
        return p - self.lr * g

    @property
    def velocity(self) -> list[Any]:
        """Every parameter's velocity ``v`` (``None`` before its first step), in ``params`` order."""
        return [self.state[p].get("momentum_buffer") for p in self.params]

    def hyper_parameters(self) -> list[str]:
        out = [f"momentum {self.momentum:g}"]
        if self.dampening:
            out.append(f"dampening {self.dampening:g}")
        if self.weight_decay:
            out.append(f"weight decay {self.weight_decay:g}")
        return out


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

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        batch_size: int | None = None,
        shuffle: bool = False,
        replacement: bool = False,
        drop_last: bool = False,
    ) -> None:
        super().__init__(
            params, lr, momentum, 0.0, weight_decay, True, batch_size, shuffle, replacement, drop_last
        )
