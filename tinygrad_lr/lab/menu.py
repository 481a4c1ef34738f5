"""The lab's optimizer menu: every optimizer the project has, its options and default learning rate.

This is the one place the lab reads the optimizers from: the registry of :mod:`tinygrad_lr.optim`
(``OPTIMIZERS``; each class says its ``title``, ``summary``, ``options()`` with their defaults and
meanings, ``default_lr()`` and ``batching_rule``), and ``make_optimizer`` to build one. An
optimizer added to ``optim/`` (one file, ``@register``) appears in the lab without a change here.

The plain rule ``p <- p - lr * dL/dp`` is three registry entries, one per way of batching (their
``batching_rule`` is ``whole``: every sample, ``one``: one, ``batches``: ``batch_size``); the lab
shows it as one rule, "gradient descent", and lets every rule use any of the three batchings.
"""

from __future__ import annotations

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

BATCHINGS = ("gd", "sgd", "minibatch")  # every sample per update, one, or batch_size
_RULE_OF_BATCHING = {"gd": "whole", "sgd": "one", "minibatch": "batches"}
# the plain rule's registry entry for each batching: the classes whose batching_rule is fixed
_PLAIN = {
    batching: next(key for key, cls in OPTIMIZERS.items() if cls.batching_rule == fixed)
    for batching, fixed in _RULE_OF_BATCHING.items()
}
PLAIN = _PLAIN["gd"]  # the menu's key for the plain rule
DEFAULT_PLAIN_LR = 0.01  # the plain rule has no default in torch.optim.SGD; the worked example's


@dataclass(frozen=True)
class Option:
    """One setting of an update rule: its name, default, kind (``float``, ``bool``, ``pair``) and meaning."""

    name: str
    default: Any
    kind: str
    help: str = ""


@dataclass(frozen=True)
class Rule:
    """An update rule of the menu: the registry key, its title, default lr, options and summary."""

    key: str
    title: str
    default_lr: float
    options: tuple[Option, ...]
    summary: str = ""


def _kind(default: Any) -> str | None:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, (int, float)):
        return "float"
    if isinstance(default, tuple) and len(default) == 2 and all(isinstance(v, (int, float)) for v in default):
        return "pair"
    return None


def _rule(key: str, cls: type[Optimizer]) -> Rule:
    options = []
    for name, o in cls.options().items():
        kind = _kind(o.default)
        if kind is not None:  # a setting the page can show as a number, a pair or a box
            options.append(Option(name, o.default, kind, o.help))
    lr = cls.default_lr()
    title = "gradient descent" if key == PLAIN else str(cls.title)
    summary = str(getattr(cls, "summary", "") or "")
    return Rule(key, title, DEFAULT_PLAIN_LR if lr is None else float(lr), tuple(options), summary)


RULES: dict[str, Rule] = {
    key: _rule(key, cls) for key, cls in OPTIMIZERS.items() if key == PLAIN or cls.batching_rule == "any"
}


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
    drop_last = drop_last and batching == "minibatch"
    if batching == "gd":
        shuffle = replacement = False  # one batch of every sample: there is no order
    if key == PLAIN:
        name = _PLAIN[batching]
        keep_size = size if batching == "minibatch" else None
        return make_optimizer(name, params, lr, keep_size, shuffle, replacement, drop_last)
    return make_optimizer(key, params, lr, size, shuffle, replacement, drop_last, **options)


def menu_json() -> list[dict[str, Any]]:
    """The menu as the page draws it: per rule its key, title, summary, default lr and options."""
    return [
        {
            "key": r.key,
            "title": r.title,
            "summary": r.summary,
            "default_lr": r.default_lr,
            "options": [
                {
                    "name": o.name,
                    "default": list(o.default) if o.kind == "pair" else o.default,
                    "kind": o.kind,
                    "help": o.help,
                }
                for o in r.options
            ],
        }
        for r in RULES.values()
    ]
