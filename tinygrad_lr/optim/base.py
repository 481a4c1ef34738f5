"""The base class every optimizer shares, kept as ``torch.optim`` keeps it.

* ``defaults``: the hyper-parameters the optimizer was built with (``{"lr": 0.001, "betas": ...}``);
* ``param_groups``: the parameters in groups, each group a dict holding its ``"params"`` and its
  own copy of every hyper-parameter (one group unless you pass several, or call
  :meth:`~Optimizer.add_param_group`): ``opt.param_groups[0]["lr"]`` is what a schedule changes;
* ``state[p]``: what the rule remembers about parameter ``p`` between steps;
* ``batching``: which samples each update uses (:class:`~tinygrad_lr.data.Batching`), the one
  thing GD, SGD and mini-batch SGD differ in, given to every optimizer the same way.

A subclass writes its rule for one parameter in :meth:`~Optimizer.update`, checks its
hyper-parameters in :meth:`~Optimizer.check_hyper` and says what they mean in ``option_help``.

**Watching a step.** A replay shows every update written out with its numbers, as the rule
computes them (momentum's velocity, Adam's ``m``, ``v`` and bias corrections). With
``opt.watch = True`` each :meth:`~Optimizer.step` keeps in ``opt.noted`` what the rule's
:meth:`~Optimizer.update` handed to :meth:`~Optimizer.note` (one flat array per name, the
parameters' entries in order), and :meth:`~Optimizer.formula` says how those numbers make the
update: one line per quantity, ``{name}`` standing for a number.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from ..data import Batching
from ..errors import InputError, OptionError, describe
from ..graph import no_grad
from .state import LrBound, ParamState, param_label

__all__ = [
    "Optimizer",
    "Option",
    "ParamState",
    "LrBound",
    "check_lr",
    "check_range",
    "grad_numbers",
    "divide",
]

BATCHING_OPTIONS = tuple(f.name for f in fields(Batching))  # batch_size, shuffle, replacement, drop_last


def check_lr(lr: object) -> float:
    """Return ``lr`` as a float if it is a finite number > 0; raise a clear ``ValueError`` if not."""
    said = "the learning rate"
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise OptionError("lr", "a number", lr, subject=said)
    lr = float(lr)
    if not math.isfinite(lr):
        raise OptionError("lr", "a finite number", lr, subject=said)
    if lr <= 0.0:
        raise OptionError("lr", "positive", lr, subject=said)
    return lr


def check_range(
    name: str, value: object, low: float, high: float | None = None, *, open_high: bool = True
) -> float:
    """Return ``value`` as a float if ``low <= value`` (and ``value < high``, or ``<= high`` with
    ``open_high=False``); raise a ``ValueError`` naming the option otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise OptionError(name, "a number", value)
    v = float(value)
    if not math.isfinite(v) or v < low or (high is not None and (v >= high if open_high else v > high)):
        if high is None:
            bound = f">= {low:g}"
        else:
            bound = f"in [{low:g}, {high:g}{')' if open_high else ']'}"
        raise OptionError(name, f"a number {bound}", value)
    return v


def sqrt(x: Any) -> Any:
    """Square root of a float (a Value's data stays a Python float) or of an array."""
    return math.sqrt(x) if isinstance(x, float) else np.sqrt(x)


def grad_numbers(g: Any) -> Any:
    """A gradient's numbers: itself, or the data of a graph node (a gradient built by
    ``backward(create_graph=True)``): a float for a Value, an array for a Tensor."""
    data = getattr(g, "data", g)
    return float(data) if isinstance(data, (int, float, np.floating, np.integer)) else np.asarray(data)


def divide(g: Any, d: Any) -> Any:
    """``g / d`` for an adaptive rule's step: a ``d`` of 0 is a ``ZeroDivisionError`` on both
    engines (a float raises it itself; an array would give nan or inf), which :meth:`Optimizer.step`
    turns into a sentence naming the cause."""
    if type(d) is not float and not np.all(d):
        raise ZeroDivisionError("division by zero")
    return g / d


def zeros_like(x: Any) -> Any:
    """``0.0`` for a float (a Value's data), an array of zeros for an array: an optimizer's fresh state."""
    return 0.0 if isinstance(x, float) else np.zeros_like(x)


@dataclass(frozen=True)
class Option:
    """One hyper-parameter of an optimizer besides ``lr``: its name, default and meaning."""

    name: str
    default: Any
    help: str


class Optimizer:
    """The update ``p <- p - lr * p.grad`` for a list of parameters (``Optimizer(params, lr)``),
    and the base class of every other rule.

    ``Optimizer(params, defaults, **batching)``: ``params`` is an iterable of parameters (or of
    dicts ``{"params": [...], "lr": ...}``, one per group, as in ``torch.optim``); ``defaults``
    the dict of hyper-parameters (a number alone is the ``lr``); ``batching`` is ``batch_size``,
    ``shuffle``, ``replacement``, ``drop_last`` (:class:`~tinygrad_lr.data.Batching`).

    Attributes:
        defaults: the hyper-parameters the optimizer was built with.
        param_groups: the groups of parameters, each with its own hyper-parameters.
        params: every parameter, in order (all groups).
        lr: the learning rate (of every group; set it to change all of them, as a schedule does).
        batching: the :class:`~tinygrad_lr.data.Batching` it stands for; ``batch_size``,
            ``shuffle``, ``replacement`` and ``drop_last`` read it.
        state: ``state[p]``, the dict an optimizer keeps for parameter ``p`` between steps
            (empty for GD, SGD and mini-batch SGD, which remember nothing).
        schedulers: the learning-rate schedules built on it (:mod:`.schedules`), whose factors
            multiply.

    Any hyper-parameter reads as an attribute (``opt.momentum``) when all groups share it.

    The class attributes describe a rule to the registry (:data:`~tinygrad_lr.optim.OPTIMIZERS`),
    the command line and the live lab: ``name`` (its key), ``title``, ``summary`` (one line),
    ``option_help`` (each hyper-parameter besides ``lr``), ``batching_rule`` (``"any"``, or
    ``"whole"``, ``"one"``, ``"batches"`` for GD, SGD and mini-batch SGD) and
    ``lr_scales_gradient`` (the step is ``lr`` times gradients, so ``lr < 2 / lambda_max`` bounds
    it; an adaptive rule's ``lr`` is a step length instead).
    """

    name = "optimizer"  # an instance may rename itself (Momentum(nesterov=True) is "nesterov")
    title = "optimizer"
    summary: ClassVar[str] = "p <- p - lr * dL/dp"
    option_help: ClassVar[dict[str, str]] = {}
    batching_rule: ClassVar[str] = "any"
    lr_scales_gradient: ClassVar[bool] = True
    create_graph = False  # True: fit() calls loss.backward(create_graph=True) (Newton differentiates it)

    def __init__(
        self,
        params: Iterable[Any],
        defaults: Mapping[str, Any] | float,
        batch_size: int | None = None,
        shuffle: bool = False,
        replacement: bool = False,
        drop_last: bool = False,
    ) -> None:
        if isinstance(params, str) or not hasattr(params, "__iter__"):
            raise InputError(
                f"{type(self).__name__}: params must be a list of Values or Tensors "
                f"(model.parameters()), got {describe(params)}"
            )
        hyper = dict(defaults) if isinstance(defaults, Mapping) else {"lr": defaults}
        self.defaults = self._checked(hyper, set(hyper))
        self.param_groups: list[dict[str, Any]] = []
        self.params: list[Any] = []
        self.state = ParamState()
        self.schedulers: list[Any] = []  # the LRSchedulers built on it, in order: their factors multiply
        self.noted: dict[str, np.ndarray] = {}  # the last step's numbers, when `watch` is on
        given = list(params)
        for group in given if given and all(isinstance(g, Mapping) for g in given) else [{"params": given}]:
            self.add_param_group(group)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: no parameters to optimize")
        self.batching = self._batching(batch_size, shuffle, replacement, drop_last)

    # --- parameters and their hyper-parameters, as torch.optim keeps them --------------------------

    def add_param_group(self, group: Mapping[str, Any]) -> None:
        """Add a group ``{"params": [...], "lr": ..., ...}``; what it leaves out comes from ``defaults``."""
        params = group.get("params")
        params = [params] if hasattr(params, "grad") else list(params or [])
        for i, p in enumerate(params):
            if not hasattr(p, "data") or not hasattr(p, "grad"):
                raise TypeError(f"{type(self).__name__}: parameters must be Values or Tensors, got {p!r}")
            self._check_new(p, i, params)
        merged = self._checked({**self.defaults, **group}, set(self.defaults))
        del merged["params"]
        self.param_groups.append({"params": params, **merged})
        self.params.extend(params)

    def _check_new(self, p: Any, i: int, group: list[Any]) -> None:
        """Refuse a parameter given twice: its step would be taken twice per ``step()`` (PyTorch
        warns about a repeat inside a group and refuses one across groups; here both are refused);
        and one that can get no gradient of its own: a node computed from others (PyTorch: "can't
        optimize a non-leaf Tensor"), a Tensor that does not require grad."""
        cls = type(self).__name__
        if getattr(p, "_prev", ()):
            raise ValueError(
                f"{cls}: parameter {i} ({param_label(p)}) is computed from other nodes, not a leaf: a step "
                "would change a number the next forward pass recomputes; optimize the leaves it comes from"
            )
        if getattr(p, "requires_grad", True) is False:
            raise ValueError(
                f"{cls}: parameter {i} ({param_label(p)}) is a Tensor that does not require grad, so it "
                "never gets a gradient: make it with Tensor(..., requires_grad=True)"
            )
        if any(p is q for q in group[:i]):
            first = next(k for k, q in enumerate(group) if q is p)
            raise ValueError(
                f"{cls}: parameter {first} ({param_label(p)}) is given twice (again at {i}); it would be "
                "updated twice per step: give every parameter once"
            )
        if any(p is q for q in self.params):
            raise ValueError(f"{cls}: a parameter ({param_label(p)}) appears in more than one param group")

    def _checked(self, hyper: dict[str, Any], known: set[str]) -> dict[str, Any]:
        unknown = sorted(set(hyper) - known - {"lr", "params"})
        if unknown:
            raise ValueError(f"{self.title} has no option {', '.join(unknown)}")
        hyper["lr"] = check_lr(hyper.get("lr"))
        return self.check_hyper(hyper)

    def check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """The hyper-parameters checked (and normalised: ``float``, ``bool``), or a ``ValueError``
        naming the one that is wrong. Every rule with options checks them here, once."""
        return hyper

    @property
    def lr(self) -> float:
        groups = self.param_groups
        return groups[0]["lr"] if len(groups) == 1 else self._common("lr")

    @lr.setter
    def lr(
        self, value: float
    ) -> None:  # a schedule may reach 0 (a cosine's end): not checked like a user's lr
        for group in self.param_groups:
            group["lr"] = value

    def _common(self, name: str) -> Any:
        values = [g[name] for g in self.param_groups]
        if any(v != values[0] for v in values[1:]):
            raise AttributeError(
                f"the param groups have different {name} ({', '.join(map(repr, values))}): "
                f"read opt.param_groups[i][{name!r}]"
            )
        return values[0]

    def __getattr__(self, name: str) -> Any:
        defaults = self.__dict__.get("defaults")
        if defaults is not None and name in defaults:
            return self._common(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        defaults = self.__dict__.get("defaults")
        if defaults is not None and name in defaults and name != "lr":  # every group's, checked
            for group in self.param_groups:
                group.update(self.check_hyper({**group, name: value}))
            return
        object.__setattr__(self, name, value)

    # --- batching: which samples one update uses ---------------------------------------------------

    def _batching(
        self, batch_size: int | None, shuffle: bool, replacement: bool, drop_last: bool
    ) -> Batching:
        rule, title = self.batching_rule, self.title
        if rule == "whole" and batch_size is not None:
            raise ValueError(f"{title} uses every sample; a batch size needs --optimizer minibatch")
        if rule == "whole" and (shuffle or replacement or drop_last):
            raise ValueError(f"{title} uses every sample in order; shuffling needs sgd or minibatch")
        if rule == "one":
            if batch_size not in (None, 1):
                raise ValueError(f"SGD uses one sample per update; batch size {batch_size} needs minibatch")
            if drop_last:
                raise ValueError("SGD batches are single samples: there is no short last batch to drop")
            batch_size = 1
        if rule == "batches" and batch_size is None:
            raise ValueError(f"{title} needs a batch size (GD uses every sample)")
        try:
            return Batching(batch_size, shuffle, replacement, drop_last)
        except OptionError as exc:  # still the option's error: the command line names its flag
            said = f"{title}: {exc.subject}"
            raise OptionError(exc.option, exc.requirement, exc.value, subject=said, part=exc.part) from None
        except ValueError as exc:
            raise ValueError(f"{title}: {exc}") from None

    @property
    def batch_size(self) -> int | None:
        return self.batching.batch_size

    @property
    def shuffle(self) -> bool:
        return self.batching.shuffle

    @property
    def replacement(self) -> bool:
        return self.batching.replacement

    @property
    def drop_last(self) -> bool:
        return self.batching.drop_last

    # --- the step -----------------------------------------------------------------------------------

    def step(self) -> None:
        """Move every parameter by its update rule: ``p.data <- update(p.data, p.grad, state[p], group)``.

        After ``loss.backward(create_graph=True)`` a gradient is a graph node; as in PyTorch the
        step uses its numbers (``p.grad.data``), so ``p.data`` stays numbers and builds no graph.
        """
        if self.watch:
            return self._watched_step()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:  # a Tensor that took no part in the loss
                        continue
                    if type(g) is not float and type(g) is not np.ndarray:  # a node, a numpy scalar
                        g = grad_numbers(g)
                    try:
                        p.data = self.update(p.data, g, self.state[p], group)
                    except ZeroDivisionError:
                        raise ValueError(self.zero_division(p, group)) from None

    def update(self, p: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        """The new value of one parameter from its value ``p``, its gradient ``g = dL/dp``, its
        ``state`` and its group's hyper-parameters: ``p - lr * g`` (plain gradient descent; a
        float for a Value, an array for a Tensor)."""
        return p - group["lr"] * g

    # --- what makes the rule diverge, for the words of a DivergenceError ----------------------------

    def lr_bound(self, group: dict[str, Any]) -> LrBound | None:
        """When this rule converges on a quadratic loss (:class:`LrBound`): gradient descent for
        ``lr < 2 / lambda_max``. ``None`` when the step is not ``lr`` times gradients (an adaptive
        rule, Newton's method), so no such bound applies."""
        return LrBound(2.0, 0.0, "2") if self.lr_scales_gradient else None

    def instability(self, group: dict[str, Any]) -> str:
        """A setting of ``group`` with which this rule diverges whatever the data, in a sentence
        saying what to change (``""``: none). Gradient descent has none."""
        return ""

    def zero_division(self, p: Any, group: dict[str, Any]) -> str:
        """Why the step of ``p`` divided by zero, and what to change."""
        name = param_label(p)
        if group.get("eps") == 0.0:
            default = type(self).options().get("eps")
            use = f" (the default is {default.default:g})" if default is not None else ""
            return (
                f"{self.title}: the step of {name} is 0 / 0: eps is 0 and the running size of its "
                f"gradients is 0 (they have all been 0 so far), so nothing keeps the division safe; "
                f"use eps > 0{use}"
            )
        return f"{self.title}: the step of {name} divides by zero"

    # --- watching a step: its numbers, and the formula they go into --------------------------------

    watch = False  # True: every step keeps its numbers in `noted` (a replay shows them)
    _noting: dict[str, Any] | None = None  # what update() notes for the parameter in hand

    def _watched_step(self) -> None:
        """:meth:`step` with every parameter's noted numbers kept, as flat arrays, in ``noted``."""
        kept: dict[str, list[np.ndarray]] = {}
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._noting = {}
                    g = p.grad if type(p.grad) in (float, np.ndarray) else grad_numbers(p.grad)
                    try:
                        p.data = self.update(p.data, g, self.state[p], group)
                    except ZeroDivisionError:
                        raise ValueError(self.zero_division(p, group)) from None
                    shape = np.shape(p.data)  # a number noted once stands for every entry of p
                    for name, value in self._noting.items():
                        entry = np.broadcast_to(np.asarray(value, float), shape).ravel()
                        kept.setdefault(name, []).append(entry)
                    self._noting = None
        self.noted = {name: np.concatenate(parts) for name, parts in kept.items()}

    def note(self, **quantities: Any) -> None:
        """Keep numbers this step computed for the parameter in hand besides its new value
        (momentum's ``v``, Adam's ``m``, ...), when someone watches (``watch``); else nothing."""
        if self._noting is not None:
            self._noting.update(quantities)

    @property
    def watched(self) -> bool:
        """Whether the step in progress keeps its numbers (a rule computes extra ones only then)."""
        return self._noting is not None

    def formula(self) -> list[str]:
        """The update written out, one line per quantity, for a replay: ``{name}`` is a number --
        ``before``, ``grad`` (``dL/dp``), ``after``, what :meth:`update` :meth:`note`-d, or a
        hyper-parameter of the first group (``lr``, ``momentum``, ``beta1`` ...); ``{p}`` is the
        parameter's name. A line with ``{p}`` is shown once per parameter, side by side."""
        return ["{p} <- {before} - {lr} * {grad} = {after}"]

    def formula_constants(self) -> dict[str, float]:
        """The first group's hyper-parameters as :meth:`formula`'s lines name them (``betas`` as
        ``beta1`` and ``beta2``; switches as 0 or 1)."""
        out: dict[str, float] = {}
        for name, value in self.param_groups[0].items():
            if name == "params":
                continue
            if name == "betas":
                out["beta1"], out["beta2"] = (float(v) for v in value)
            elif isinstance(value, (bool, int, float, np.integer, np.floating)):
                out[name] = float(value)
        return out

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (gradients accumulate across ``backward()`` calls)."""
        for p in self.params:
            p.zero_grad()

    # --- words ------------------------------------------------------------------------------------

    def describe(self) -> str:
        """A short human description, e.g. ``"mini-batch SGD (lr 0.01, batch 10, shuffled)"``."""
        group = self.param_groups[0]
        parts = [f"lr {group['lr']:g}", *self.describe_options(group), *self.batching.describe()]
        if len(self.param_groups) > 1:
            parts.append(f"{len(self.param_groups)} param groups (the first shown)")
        return f"{self.title} ({', '.join(parts)})"

    def describe_options(self, group: dict[str, Any]) -> list[str]:
        """The settings besides lr and batching, for :meth:`describe` (``["momentum 0.9"]`` ...)."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"

    # --- what the registry, the command line and the lab read ---------------------------------------

    @classmethod
    def options(cls) -> dict[str, Option]:
        """The hyper-parameters besides ``lr`` that the constructor takes, with their defaults
        (from its signature) and meanings (from ``option_help``), in signature order."""
        out = {}
        for p in list(inspect.signature(cls.__init__).parameters.values())[2:]:
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in ("lr", *BATCHING_OPTIONS):
                continue
            out[p.name] = Option(
                p.name, None if p.default is p.empty else p.default, cls.option_help.get(p.name, "")
            )
        return out

    @classmethod
    def plain_update(cls) -> bool:
        """Whether the rule is plain gradient descent, ``p <- p - lr * dL/dp`` (the base class's
        :meth:`step` and :meth:`update`): what a replay can write out, and a compiler inline."""
        return cls.step is Optimizer.step and cls.update is Optimizer.update

    def max_stable_lr(self, lam_max: float) -> float | None:
        """The largest lr at which this rule's full-batch steps settle on a quadratic loss whose
        Hessian's largest eigenvalue is ``lam_max``, from :meth:`lr_bound`: ``2 / lam_max`` for
        gradient descent (each step multiplies the error along that eigenvector by
        ``1 - lr * lam_max``), the heavy ball's ``2 (1 + mu) / lam_max``, weight decay added to
        ``lam_max``; ``None`` for a rule whose lr is a step length rather than a factor of the
        gradient (``lr_scales_gradient`` False: AdaGrad, RMSProp, Adam, Newton)."""
        bound = self.lr_bound(self.param_groups[0])
        if bound is None or not lam_max + bound.shift > 0.0:
            return None
        return bound.factor / (lam_max + bound.shift)

    @classmethod
    def default_lr(cls) -> float | None:
        """The lr the rule uses when given none (``torch.optim``'s), or ``None`` if it needs one."""
        p = inspect.signature(cls.__init__).parameters.get("lr")
        return None if p is None or p.default is p.empty else float(p.default)
