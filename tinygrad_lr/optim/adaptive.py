"""Adaptive learning rates: AdaGrad, RMSProp, Adam and AdamW, with ``torch.optim``'s rules and defaults.

Gradient descent moves every parameter by ``lr`` times its gradient, so a parameter whose
gradient is large (a feature measured in big units) takes big steps and one with a small
gradient crawls. These optimizers divide each parameter's step by a running measure of its
own gradient's size, ``sqrt(s) + eps``, so every parameter moves at a similar pace.

All updates below are for one parameter ``p`` with gradient ``g = dL/dp``; products, squares,
square roots and divisions act number by number (element-wise for a Tensor).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..errors import OptionError
from .base import Optimizer, check_range, divide, sqrt, zeros_like
from .momentum import momentum_instability
from .registry import register

__all__ = ["Adagrad", "RMSprop", "Adam", "AdamW", "check_betas"]


def _decay_line(group: dict[str, Any]) -> list[str]:
    """The formula's first line when weight decay is added to the gradient (torch.optim's L2)."""
    return ["g_{p} = {grad} + {weight_decay} * {before} = {g}"] if group["weight_decay"] else []


def _g(group: dict[str, Any]) -> str:
    """The gradient the rule uses, in a formula: ``dL/dp`` itself, or with weight decay added."""
    return "{g}" if group["weight_decay"] else "{grad}"


@register
class Adagrad(Optimizer):
    """AdaGrad: divide by the root of the sum of all squared gradients so far (``torch.optim.Adagrad``).

    With ``t`` the step number (1, 2, ...) and ``s = state[p]["sum"]`` (starting at
    ``initial_accumulator_value``)::

        g <- g + weight_decay * p                          (only when weight_decay > 0)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s <- s + g^2
        p <- p - lr_t * g / (sqrt(s) + eps)

    The sum only grows, so the steps only shrink: good for rare, informative features,
    too cautious for long runs.

    Example (first step on the worked example: g_w = -40, so w moves by lr * 40 / (40 + eps)):
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(1.0), Value(0.0)
        >>> opt = Adagrad([w, b], lr=0.1)
        >>> opt.zero_grad(); sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]).backward(); opt.step()
        >>> round(w.data, 12), opt.state[w]["sum"]
        (1.1, 1600.0)
    """

    name = "adagrad"
    title = "AdaGrad"
    summary = "steps divided by the root of the sum of all squared gradients so far"
    option_help = {
        "lr_decay": "lr_t = lr / (1 + (t - 1) * lr_decay)",
        "weight_decay": "weight decay as torch.optim applies it (added to the gradient)",
        "initial_accumulator_value": "the sum of squared gradients s starts at this",
        "eps": "added to sqrt(s) so the division is safe",
    }
    lr_scales_gradient = False
    order = 30

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        **batching: Any,
    ) -> None:
        hyper = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, hyper, **batching)

    def check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            hyper[name] = check_range(name, hyper[name], 0.0)
        return hyper

    def update(self, p: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        t = state["step"] = state.get("step", 0) + 1
        lr_t = group["lr"] / (1.0 + (t - 1) * group["lr_decay"])
        s_prev = state.get("sum", zeros_like(p) + group["initial_accumulator_value"])
        s = state["sum"] = s_prev + g * g
        self.note(g=g, t=t, s_prev=s_prev, s=s)
        return p - lr_t * divide(g, sqrt(s) + group["eps"])

    def formula(self) -> list[str]:
        group = self.param_groups[0]
        lines, g = _decay_line(group), _g(group)
        lr = "{lr} / (1 + ({t} - 1) * {lr_decay})" if group["lr_decay"] else "{lr}"  # lr_t
        lines.append("s_{p} <- {s_prev} + " + g + "^2 = {s}")
        return [*lines, "{p} <- {before} - " + lr + " * " + g + " / (sqrt({s}) + {eps}) = {after}"]

    def describe_options(self, group: dict[str, Any]) -> list[str]:
        out = [f"eps {group['eps']:g}"]
        if group["lr_decay"]:
            out.append(f"lr decay {group['lr_decay']:g}")
        if group["weight_decay"]:
            out.append(f"weight decay {group['weight_decay']:g}")
        return out


@register
class RMSprop(Optimizer):
    """RMSProp: divide by the root of a moving average of squared gradients (``torch.optim.RMSprop``).

    With ``s = state[p]["square_avg"]`` (starting at 0)::

        g <- g + weight_decay * p                          (only when weight_decay > 0)
        s <- alpha * s + (1 - alpha) * g^2
        d = sqrt(s) + eps
        p <- p - lr * g / d                                (momentum = 0)

    ``centered=True`` also averages the gradient, ``a <- alpha * a + (1 - alpha) * g``, and uses
    ``d = sqrt(s - a^2) + eps`` (an estimate of the gradient's spread, not its size);
    ``momentum = mu > 0`` keeps a velocity ``v <- mu * v + g / d`` and steps ``p <- p - lr * v``.

    Unlike AdaGrad's sum, the average forgets old gradients (with ``alpha = 0.99``, over
    about 100 steps), so the steps do not shrink for ever. There is no bias correction: the
    first step divides by ``sqrt(1 - alpha) |g|``, a step of about ``10 lr``.

    Example:
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(1.0), Value(0.0)
        >>> opt = RMSprop([w, b], lr=0.01)
        >>> opt.zero_grad(); sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]).backward(); opt.step()
        >>> round(w.data, 6), round(opt.state[w]["square_avg"], 10)   # 1 + 0.01 * 40 / sqrt(16); 0.01 * 1600
        (1.1, 16.0)
    """

    name = "rmsprop"
    title = "RMSProp"
    summary = "steps divided by the root of a moving average of squared gradients"
    option_help = {
        "alpha": "how slowly the average of g^2 forgets: s <- alpha * s + (1 - alpha) * g^2",
        "eps": "added to sqrt(s) so the division is safe",
        "weight_decay": "weight decay as torch.optim applies it (added to the gradient)",
        "momentum": "momentum mu of a velocity of the scaled steps",
        "centered": "divide by the gradient's spread sqrt(s - a^2), a its moving average",
    }
    lr_scales_gradient = False
    order = 31

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        **batching: Any,
    ) -> None:
        hyper = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
        )
        super().__init__(params, hyper, **batching)

    def check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        hyper["alpha"] = check_range("alpha", hyper["alpha"], 0.0, 1.0, open_high=False)
        for name in ("eps", "weight_decay", "momentum"):
            hyper[name] = check_range(name, hyper[name], 0.0)
        hyper["centered"] = bool(hyper["centered"])
        return hyper

    def update(self, p: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        alpha = group["alpha"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        state["step"] = state.get("step", 0) + 1
        s_prev = state.get("square_avg", zeros_like(p))
        s = state["square_avg"] = alpha * s_prev + (1.0 - alpha) * (g * g)
        self.note(g=g, s_prev=s_prev, s=s)
        if group["centered"]:
            a_prev = state.get("grad_avg", zeros_like(p))
            a = state["grad_avg"] = alpha * a_prev + (1.0 - alpha) * g
            d = sqrt(s - a * a) + group["eps"]
            self.note(a_prev=a_prev, a=a, d=d)
        else:
            d = sqrt(s) + group["eps"]
        mu = group["momentum"]
        if mu > 0.0:
            v_prev = state.get("momentum_buffer", zeros_like(p))
            v = state["momentum_buffer"] = mu * v_prev + divide(g, d)
            self.note(v_prev=v_prev, v=v)
            return p - group["lr"] * v
        return p - group["lr"] * divide(g, d)

    def instability(self, group: dict[str, Any]) -> str:
        if group["momentum"] >= 1.0:
            return momentum_instability(group["momentum"], "v <- mu * v + g / d")
        if group["alpha"] == 1.0:
            return (
                "alpha 1 keeps the average s of g^2 at its start, 0, so every step is lr * g / eps, "
                f"{1 / group['eps']:.3g} lr g with eps {group['eps']:g}: use alpha < 1 (0.99 is usual)"
                if group["eps"] > 0
                else ""
            )
        return ""

    def zero_division(self, p: Any, group: dict[str, Any]) -> str:
        if group["alpha"] == 1.0:
            return (
                f"{self.title}: the step of a parameter divides by zero: alpha 1 keeps the average s "
                "of g^2 at its start, 0, and eps is 0; use alpha < 1 (0.99 is usual) and eps > 0"
            )
        return super().zero_division(p, group)

    def formula(self) -> list[str]:
        group = self.param_groups[0]
        lines, g = _decay_line(group), _g(group)
        lines.append("s_{p} <- {alpha} * {s_prev} + (1 - {alpha}) * " + g + "^2 = {s}")
        if group["centered"]:
            lines.append("a_{p} <- {alpha} * {a_prev} + (1 - {alpha}) * " + g + " = {a}")
            lines.append("d_{p} = sqrt({s} - {a}^2) + {eps} = {d}")
            scaled = g + " / {d}"
        else:
            scaled = g + " / (sqrt({s}) + {eps})"
        if group["momentum"]:
            lines.append("v_{p} <- {momentum} * {v_prev} + " + scaled + " = {v}")
            return [*lines, "{p} <- {before} - {lr} * {v} = {after}"]
        return [*lines, "{p} <- {before} - {lr} * " + scaled + " = {after}"]

    def describe_options(self, group: dict[str, Any]) -> list[str]:
        out = [f"alpha {group['alpha']:g}", f"eps {group['eps']:g}"]
        if group["momentum"]:
            out.append(f"momentum {group['momentum']:g}")
        if group["centered"]:
            out.append("centered")
        if group["weight_decay"]:
            out.append(f"weight decay {group['weight_decay']:g}")
        return out


def check_betas(betas: object) -> tuple[float, float]:
    if not isinstance(betas, Sequence) or isinstance(betas, str) or len(betas) != 2:
        raise ValueError(f"betas must be two numbers (beta1, beta2), got {betas!r}")
    try:
        return check_range("beta1", betas[0], 0.0, 1.0), check_range("beta2", betas[1], 0.0, 1.0)
    except OptionError as exc:  # a part of the option betas: the command line says --betas
        raise OptionError("betas", exc.requirement, exc.value, part=exc.option) from None


@register
class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSProp's scaling, both bias-corrected (``torch.optim.Adam``).

    With ``t`` the step number (1, 2, ...), ``m = state[p]["exp_avg"]`` and
    ``v = state[p]["exp_avg_sq"]`` (both starting at 0)::

        g <- g + weight_decay * p                          (only when weight_decay > 0: L2 in the gradient)
        m <- beta1 * m + (1 - beta1) * g                   (average gradient: the direction)
        v <- beta2 * v + (1 - beta2) * g^2                 (average squared gradient: the scale)
        m_hat = m / (1 - beta1^t)                          (bias correction: m and v start at 0)
        v_hat = v / (1 - beta2^t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    ``amsgrad=True`` uses the largest ``v`` so far (``state[p]["max_exp_avg_sq"]``) in place of
    ``v`` in ``v_hat``, so the scale never shrinks.
    Computed, as in PyTorch, as ``p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.

    The first step is ``lr * g / (|g| + eps)``: about ``lr`` in the direction of ``-g``, whatever
    the gradient's size. So ``lr`` is roughly how far a parameter moves per step.

    Example:
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(1.0), Value(0.0)
        >>> opt = Adam([w, b], lr=0.1)
        >>> opt.zero_grad(); sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]).backward(); opt.step()
        >>> round(w.data, 9), round(b.data, 9), round(opt.state[w]["exp_avg"], 12)   # each moves by ~lr
        (1.1, 0.1, -4.0)
    """

    name = "adam"
    title = "Adam"
    summary = "momentum on the gradient and RMSProp's scaling, both bias-corrected"
    option_help = {
        "betas": "the decay rates (beta1, beta2) of the averages of g and g^2",
        "eps": "added to sqrt(v_hat) so the division is safe",
        "weight_decay": "weight decay as torch.optim applies it (added to the gradient)",
        "amsgrad": "divide by the largest v so far, so the scale never shrinks",
    }
    lr_scales_gradient = False
    order = 32
    decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        **batching: Any,
    ) -> None:
        hyper = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, hyper, **batching)

    def check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        hyper["betas"] = check_betas(hyper["betas"])
        hyper["eps"] = check_range("eps", hyper["eps"], 0.0)
        hyper["weight_decay"] = check_range("weight_decay", hyper["weight_decay"], 0.0)
        hyper["amsgrad"] = bool(hyper["amsgrad"])
        return hyper

    def update(self, p: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if wd:
            if self.decoupled:
                p = p * (1.0 - lr * wd)  # AdamW: shrink p itself, apart from g
            else:
                g = g + wd * p
        t = state["step"] = state.get("step", 0) + 1
        m_prev, v_prev = state.get("exp_avg", zeros_like(p)), state.get("exp_avg_sq", zeros_like(p))
        m = state["exp_avg"] = beta1 * m_prev + (1.0 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * v_prev + (1.0 - beta2) * (g * g)
        if self.watched:  # the numbers a replay shows, bias corrections written out
            self.note(g=g, decayed=p, t=t, m_prev=m_prev, m=m, v_prev=v_prev, v=v, m_hat=m / (1.0 - beta1**t))
        if group["amsgrad"]:
            old = state.get("max_exp_avg_sq")
            self.note(vmax_prev=zeros_like(p) if old is None else old)
            v = v if old is None else (max(old, v) if isinstance(v, float) else np.maximum(old, v))
            state["max_exp_avg_sq"] = v
            self.note(vmax=v)
        if self.watched:
            self.note(v_hat=v / (1.0 - beta2**t))
        step_size = lr / (1.0 - beta1**t)
        denom = sqrt(v) / sqrt(1.0 - beta2**t) + group["eps"]
        return p - step_size * divide(m, denom)

    def instability(self, group: dict[str, Any]) -> str:
        decay = group["lr"] * group["weight_decay"]
        if self.decoupled and decay >= 2.0:  # p <- (1 - lr * wd) p, whatever the gradient
            return (
                f"lr * weight_decay = {decay:g} >= 2: the decoupled decay p <- (1 - lr * weight_decay) p "
                f"multiplies every parameter by {1 - decay:g} at each step, which grows it whatever "
                "the data; make lr * weight_decay smaller than 1"
            )
        return ""

    def formula(self) -> list[str]:
        group = self.param_groups[0]
        lines, g, before = [], "{grad}", "{before}"
        if group["weight_decay"] and self.decoupled:
            lines.append("{p}' = {before} * (1 - {lr} * {weight_decay}) = {decayed}")
            before = "{decayed}"
        elif group["weight_decay"]:
            lines, g = _decay_line(group), _g(group)
        lines.append("m_{p} <- {beta1} * {m_prev} + (1 - {beta1}) * " + g + " = {m}")
        lines.append("v_{p} <- {beta2} * {v_prev} + (1 - {beta2}) * " + g + "^2 = {v}")
        v = "{v}"
        if group["amsgrad"]:
            lines.append("vmax_{p} = max({vmax_prev}, {v}) = {vmax}")
            v = "{vmax}"
        lines.append("m^_{p} = {m} / (1 - {beta1}^{t}) = {m_hat}")
        lines.append("v^_{p} = " + v + " / (1 - {beta2}^{t}) = {v_hat}")
        return [*lines, "{p} <- " + before + " - {lr} * {m_hat} / (sqrt({v_hat}) + {eps}) = {after}"]

    def describe_options(self, group: dict[str, Any]) -> list[str]:
        beta1, beta2 = group["betas"]
        out = [f"betas ({beta1:g}, {beta2:g})", f"eps {group['eps']:g}"]
        if group["weight_decay"]:
            out.append(f"weight decay {group['weight_decay']:g}")
        if group["amsgrad"]:
            out.append("amsgrad")
        return out


@register
class AdamW(Adam):
    """AdamW: Adam with *decoupled* weight decay (``torch.optim.AdamW``, default ``weight_decay=0.01``).

    Before Adam's step, ``p`` itself shrinks, and the gradient is left alone::

        p <- p - lr * weight_decay * p                     (decay: not divided by sqrt(v_hat))
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)          (m_hat, v_hat as in Adam)

    In :class:`Adam`, ``weight_decay`` is added to the gradient and then divided by
    ``sqrt(v_hat)`` like the rest of it, so parameters with large gradients are hardly decayed;
    here every parameter decays by the same fraction ``lr * weight_decay`` per step.
    """

    name = "adamw"
    title = "AdamW"
    summary = "Adam with decoupled weight decay: p itself shrinks by lr * weight_decay"
    option_help = {
        **Adam.option_help,
        "weight_decay": "decoupled weight decay: p <- p - lr * weight_decay * p before Adam's step",
    }
    order = 33
    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        **batching: Any,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **batching)
