"""The lab's optimizer menu: every optimizer the project has, its options and default learning rate.

This is the one place the lab reads the optimizers from. It asks :mod:`tinygrad_lr.optim` for
its registry (``OPTIMIZERS``) and builds them with ``make_optimizer``; each rule's options and
their defaults are read from its constructor's signature, so an optimizer added to ``optim/``
appears in the lab without a change here.

The plain rule ``p <- p - lr * dL/dp`` is three registry entries, one per way of batching
(``gd``: every sample, ``sgd``: one, ``minibatch``: ``batch_size``); the lab shows it as one
rule, "gradient descent", and lets every rule use any of the three batchings.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

from ..optim import OPTIMIZERS, Optimizer, make_optimizer

__all__ = [
    "Option",
    "Rule",
    "RULES",
    "PLAIN",
    "BATCHINGS",
    "rule",
    "check_options",
    "build_optimizer",
    "menu_json",
]

PLAIN = "gd"  # the rule p <- p - lr * g; with one sample it is "sgd", with a batch "minibatch"
_PLAIN_BY_BATCHING = {"gd": "gd", "sgd": "sgd", "minibatch": "minibatch"}
BATCHINGS = ("gd", "sgd", "minibatch")  # every sample per update, one, or batch_size
_BATCHING_ARGS = ("self", "params", "lr", "batch_size", "shuffle", "replacement", "drop_last")
DEFAULT_PLAIN_LR = 0.01  # the plain rule has no default in torch.optim.SGD; the worked example's


@dataclass(frozen=True)
class Option:
    """One setting of an update rule: its name, default and kind (``float``, ``bool``, ``pair``)."""

    name: str
    default: Any
    kind: str


@dataclass(frozen=True)
class Rule:
    """An update rule of the menu: the registry key, its title, default lr and options."""

    key: str
    title: str
    default_lr: float
    options: tuple[Option, ...]


def _kind(default: Any) -> str | None:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, (int, float)):
        return "float"
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, (int, float)) for v in default):
        return "pair"
    return None


def _rule(key: str, cls: type[Optimizer]) -> Rule:
    sig = inspect.signature(cls.__init__)
    lr = sig.parameters.get("lr")
    default_lr = lr.default if lr is not None and lr.default is not inspect.Parameter.empty else None
    options = []
    for name, p in sig.parameters.items():
        if name in _BATCHING_ARGS or p.default is inspect.Parameter.empty:
            continue
        kind = _kind(p.default)
        if kind is not None:  # a setting the page can show as a number, a pair or a box
            options.append(Option(name, p.default, kind))
    title = "gradient descent" if key == PLAIN else str(getattr(cls, "title", key))
    lr_value = float(default_lr) if isinstance(default_lr, (int, float)) else DEFAULT_PLAIN_LR
    return Rule(key, title, lr_value, tuple(options))


def _rules() -> dict[str, Rule]:
    rules = {}
    for key, cls in OPTIMIZERS.items():
        if key in _PLAIN_BY_BATCHING and key != PLAIN:
            continue  # sgd and minibatch are the plain rule with another batching
        rules[key] = _rule(key, cls)
    return rules


RULES: dict[str, Rule] = _rules()


def rule(key: str) -> Rule:
    """The rule called ``key``; a ``ValueError`` listing the choices otherwise."""
    if not isinstance(key, str) or key not in RULES:
        raise ValueError(f"unknown optimizer {key!r}; choose one of {', '.join(RULES)}")
    return RULES[key]


def check_options(key: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` checked against the rule's (names, kinds, finite numbers), with defaults filled in;
    the rule's own checks of the values (ranges) happen when it is built."""
    r = rule(key)
    if not isinstance(options, dict):
        raise ValueError(f"the options of {r.title} must be an object of name: value")
    known = {o.name: o for o in r.options}
    unknown = sorted(set(options) - set(known))
    if unknown:
        have = ", ".join(known) or "none"
        raise ValueError(f"{r.title} has no option {', '.join(unknown)} (its options: {have})")
    out: dict[str, Any] = {}
    for name, o in known.items():
        v = options.get(name, o.default)
        if o.kind == "bool":
            if not isinstance(v, bool):
                raise ValueError(f"{r.title}: {name} must be true or false, got {v!r}")
        elif o.kind == "float":
            v = _finite(v, f"{r.title}: {name}")
        else:
            if not isinstance(v, (list, tuple)) or len(v) != 2:
                raise ValueError(f"{r.title}: {name} must be two numbers, got {v!r}")
            v = (_finite(v[0], f"{r.title}: {name}[0]"), _finite(v[1], f"{r.title}: {name}[1]"))
        out[name] = v
    return out


def _finite(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v!r}")
    return float(v)


def build_optimizer(
    key: str,
    params: list[Any],
    lr: float,
    options: dict[str, Any],
    batching: str,
    batch_size: int | None,
    order: str,
    drop_last: bool,
) -> Optimizer:
    """The optimizer for one update: rule ``key`` with ``options`` and the batching it stands for.

    ``batching`` is ``gd`` (every sample), ``sgd`` (one) or ``minibatch`` (``batch_size``);
    ``order`` is ``in order``, ``shuffled`` or ``replacement``.
    """
    shuffle, replacement = order == "shuffled", order == "replacement"
    size = {"gd": None, "sgd": 1, "minibatch": batch_size}[batching]
    if batching == "gd":
        shuffle = replacement = drop_last = False  # one batch of every sample: there is no order
    if key == PLAIN:
        keep_size = size if batching == "minibatch" else None
        return make_optimizer(
            _PLAIN_BY_BATCHING[batching],
            params,
            lr,
            keep_size,
            shuffle,
            replacement,
            drop_last and batching == "minibatch",
        )
    return make_optimizer(key, params, lr, size, shuffle, replacement, drop_last, **options)


def menu_json() -> list[dict[str, Any]]:
    """The menu as the page draws it: per rule its key, title, default lr and options."""
    return [
        {
            "key": r.key,
            "title": r.title,
            "default_lr": r.default_lr,
            "options": [
                {
                    "name": o.name,
                    "default": list(o.default) if o.kind == "pair" else o.default,
                    "kind": o.kind,
                }
                for o in r.options
            ],
        }
        for r in RULES.values()
    ]
