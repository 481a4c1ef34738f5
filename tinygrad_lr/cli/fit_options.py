"""The options of ``tinygrad-lr fit`` (and ``solve``) that come from elsewhere, derived, not copied.

* the training options are :class:`~tinygrad_lr.train.FitOptions`: :data:`FLAGS` names the flag of
  each field the command line has, their defaults are FitOptions' own, and :func:`fit_options`
  builds the one object ``fit`` and ``replay.record`` take, so every check happens there (an
  error names the flag: ``--tol must be a number >= 0, got -1.0``);
* the optimizers are the registry :data:`~tinygrad_lr.optim.OPTIMIZERS`: the ``--optimizer``
  choices, a flag for every hyper-parameter any rule takes (``--momentum``, ``--betas`` ...),
  which rule takes which, their defaults, and the default learning rates all come from it, so a
  new optimizer file shows up here with nothing else to edit.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from ..losses import LOSSES, SQUARED_LOSSES
from ..optim import OPTIMIZERS, Optimizer, Option, optimizer_class
from ..train import FitOptions, OptionError
from .errors import UsageError

__all__ = [
    "FLAGS",
    "add_optimizer_options",
    "add_training_options",
    "add_loss_option",
    "add_l2_option",
    "fit_options",
    "optimizer_name",
    "optimizer_settings",
    "auto_lr",
    "flags_of",
]

# FitOptions field -> the command line's flag (the fields it has; lr and batching go to the optimizer)
FLAGS = {
    "loss": "--loss",
    "epochs": "--epochs",
    "lr": "--lr",
    "batch_size": "--batch-size",
    "shuffle": "--shuffle",
    "replacement": "--replacement",
    "drop_last": "--drop-last",
    "rng": "--seed",
    "patience": "--patience",
    "progress": "--progress",
    "compile": "--compile",
    "scheduler": "--schedule",
    "grad_tol": "--tol",
    "loss_tol": "--loss-tol",
    "standardize": "--standardize",
    "l1": "--l1",
    "l2": "--l2",
}
OPTIMIZER_SETTINGS = ("lr", "batch_size", "shuffle", "replacement", "drop_last")
CLI_SEED = 0  # a command line run is reproducible by default: --seed 0


def flags_of(fields: list[str] | tuple[str, ...]) -> list[str]:
    """The flags of those FitOptions fields the command line has."""
    return [FLAGS[f] for f in fields if f in FLAGS]


def _dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def _default(name: str) -> Any:
    return FitOptions.default(name)


# --- declarations ------------------------------------------------------------------------------


def add_loss_option(p: argparse.ArgumentParser, help: str | None = None, squared_only: bool = False) -> None:
    """``--loss``: the squared errors only (``squared_only``, default mse), or also the binary
    cross-entropy (default: the model's own, resolved by ``fit_models.resolve_loss``)."""
    p.add_argument(
        "--loss",
        choices=sorted(SQUARED_LOSSES if squared_only else LOSSES),
        default="mse" if squared_only else None,
        help=help
        or "mse or sse: the mean or sum of squared errors (default mse for --model linear); bce: the "
        "binary cross-entropy (the default, and the only loss, of --model logistic)",
    )


def add_l2_option(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--l2", type=float, default=_default("l2"), help=help or _with_default("l2"))


def _with_default(name: str) -> str:
    return f"{FitOptions.help(name)}; default {_default(name):g}"


def add_training_options(p: argparse.ArgumentParser, default_tol: float) -> None:
    """The training options of :class:`~tinygrad_lr.train.FitOptions` that ``fit`` has."""
    p.add_argument(
        "--epochs",
        type=int,
        default=_default("epochs"),
        help=f"passes over the data, at most (default {_default('epochs')})",
    )
    p.add_argument(
        "--tol",
        type=float,
        help=f"{FitOptions.help('grad_tol')} (default: run every epoch, then call the run converged if "
        f"the final gradient norm is at most {default_tol:g})",
    )
    p.add_argument("--loss-tol", type=float, help=FitOptions.help("loss_tol"))
    add_loss_option(p)
    p.add_argument("--l1", type=float, default=_default("l1"), help=_with_default("l1"))
    add_l2_option(p)
    p.add_argument("--standardize", action="store_true", help=FitOptions.help("standardize"))
    p.add_argument(
        "--patience",
        type=int,
        default=_default("patience"),
        help=f"{FitOptions.help('patience')} (default {_default('patience')})",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="trace the training step once and run it as generated code (same numbers, no graph per step)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=_default("progress"),
        help="a progress bar on stderr (default: only for long runs on a terminal)",
    )


def add_optimizer_options(p: argparse.ArgumentParser) -> None:
    """``--optimizer`` and its batching, ``--lr``, and a flag for every hyper-parameter of every
    registered optimizer, all derived from the registry."""
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default=None, help=_optimizer_help())
    p.add_argument(
        "--batch-size", type=int, help="samples per update (alone, it means --optimizer minibatch)"
    )
    p.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=_default("shuffle"),
        help="a new random order of the samples every epoch (with batches; default: in order)",
    )
    p.add_argument("--replacement", action="store_true", help=FitOptions.help("replacement"))
    p.add_argument("--drop-last", action="store_true", help=FitOptions.help("drop_last"))
    p.add_argument(
        "--seed", type=int, default=CLI_SEED, help=f"seed for shuffling and --test-split (default {CLI_SEED})"
    )
    p.add_argument("--lr", type=float, default=None, help=_lr_help())
    for name, (option, takers) in _hyper_parameters().items():
        flag, default = "--" + name.replace("_", "-"), option.default
        help = f"{_help_text(name, takers)} ({_takers_text(name, takers)})"
        if isinstance(default, bool):
            p.add_argument(flag, action="store_const", const=True, default=None, help=help)
        elif isinstance(default, tuple):
            metavar = tuple(f"{name[0].upper()}{i + 1}" for i in range(len(default)))
            p.add_argument(flag, type=float, nargs=len(default), metavar=metavar, help=help)
        else:
            p.add_argument(flag, type=float, help=help)


def _hyper_parameters() -> dict[str, tuple[Option, list[type[Optimizer]]]]:
    """Every hyper-parameter any registered rule takes, in registry order, with the rules taking it."""
    out: dict[str, tuple[Option, list[type[Optimizer]]]] = {}
    for cls in OPTIMIZERS.values():
        for name, option in cls.options().items():
            out.setdefault(name, (option, []))[1].append(cls)
    return out


def _help_text(name: str, takers: list[type[Optimizer]]) -> str:
    """The option's meaning; where a rule means something else by it, that too."""
    first = takers[0].options()[name].help
    other = [f"{c.name}: {c.options()[name].help}" for c in takers[1:] if c.options()[name].help != first]
    return "; ".join([first, *other])


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return " ".join(f"{v:g}" for v in value)
    return f"{value:g}"


def _takers_text(name: str, takers: list[type[Optimizer]]) -> str:
    by_default: dict[str, list[str]] = {}
    for cls in takers:
        by_default.setdefault(_fmt(cls.options()[name].default), []).append(cls.name)
    return "; ".join(f"{', '.join(names)}: default {value}" for value, names in by_default.items())


def _optimizer_help() -> str:
    rules = "; ".join(f"{name}: {cls.summary}" for name, cls in OPTIMIZERS.items())
    any_batch = [name for name, cls in OPTIMIZERS.items() if cls.batching_rule == "any"]
    return (
        f"the update rule -- {rules}. {', '.join(any_batch)} use all samples per update, or --batch-size "
        "samples (default gd, or minibatch when --batch-size is given)"
    )


def _lr_help() -> str:
    stable = [n for n, c in OPTIMIZERS.items() if c.lr_scales_gradient and c.batching_rule != "one"]
    one = [n for n, c in OPTIMIZERS.items() if c.lr_scales_gradient and c.batching_rule == "one"]
    own = [f"{n} {c.default_lr():g}" for n, c in OPTIMIZERS.items() if not c.lr_scales_gradient]
    parts = []
    if stable:
        parts.append(f"for {', '.join(stable)} 1/lambda_max, half the largest stable lr")
    if one:
        parts.append(f"for {', '.join(one)} half the one-sample limit")
    if own:
        parts.append(f"the rule's own (torch.optim's) for {', '.join(own)}")
    return f"learning rate (default: {'; '.join(parts)})"


# --- values ------------------------------------------------------------------------------------


def fit_options(args: argparse.Namespace, *fields: str, **values: Any) -> FitOptions:
    """The :class:`~tinygrad_lr.train.FitOptions` of ``args`` (the given ``fields``, read from their
    flags) and ``values``; a value FitOptions refuses is a one-line error naming its flag."""
    given = {f: getattr(args, _dest(FLAGS[f])) for f in fields}
    given.update(values)
    try:
        return FitOptions(**given)
    except OptionError as err:
        raise UsageError(err.for_flag(FLAGS.get(err.option, err.option))) from None


def optimizer_name(args: argparse.Namespace) -> str:
    """``--optimizer``, or what ``--batch-size`` alone means (mini-batch SGD), or GD."""
    return str(args.optimizer or ("minibatch" if args.batch_size is not None else "gd"))


def optimizer_settings(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """The rule's own settings given on the command line; a flag the rule does not take is an error."""
    takes = optimizer_class(name).options()
    out = {}
    for option in _hyper_parameters():
        value = getattr(args, option)
        if value is None:
            continue
        if option not in takes:
            raise UsageError(f"--{option.replace('_', '-')} does not apply to --optimizer {name}")
        out[option] = tuple(value) if isinstance(value, list) else value
    return out


def auto_lr(name: str, X: Any, loss: str, bias: bool) -> float | None:
    """The default lr: half the largest stable one for rules whose step is lr times gradients
    (the one-sample limit for SGD); ``None`` (the rule's own default) for the others."""
    from ..models import max_stable_lr

    cls = optimizer_class(name)
    if not cls.lr_scales_gradient:
        return None
    limit = max_stable_lr(X, loss, bias, batch_size=1 if cls.batching_rule == "one" else None)
    return 0.5 * limit if math.isfinite(limit) else 0.01
