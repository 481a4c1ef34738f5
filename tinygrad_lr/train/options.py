"""How :func:`~tinygrad_lr.fit` trains: :class:`FitOptions`, the one definition of the options that
``fit``, :func:`~tinygrad_lr.replay.record` and ``tinygrad-lr fit`` share, checked in one place.

``fit(model, data, "gd", lr=0.01, epochs=1000)`` builds ``FitOptions(lr=0.01, epochs=1000)`` from
its keywords; so do ``record(...)`` and the command line. Passing the object itself is the same::

    opts = FitOptions(lr=0.01, loss="sse", epochs=1000)
    fit(model, data, "gd", opts)                 # or fit(model, data, "gd", opts, epochs=10)

Every field's ``help`` (``FitOptions.help("grad_tol")``) says what it does; the command line and
the live lab read it there.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import numpy as np

from ..data import as_generator, check_batch_size
from ..errors import InputError, OptionError
from ..losses import LOSSES, SQUARED_LOSSES, get_loss
from ..optim import LRScheduler, Optimizer, check_lr, make_optimizer, optimizer_class

__all__ = [
    "FitOptions",
    "OptionError",
    "build_optimizer",
    "check_owned",
    "check_schedules",
    "loss_for",
    "with_fit_options",
]

F = TypeVar("F", bound=Callable[..., Any])


def _help(text: str) -> Any:
    return {"help": text}


@dataclass(frozen=True)
class FitOptions:
    """Every option of a training run (see :func:`~tinygrad_lr.fit`), checked when it is made."""

    loss: str | Callable[[Any, Any], Any] | None = field(
        default=None,
        metadata=_help(
            "the model's own (None, the default: 'mse' for LinearRegression, 'bce' for "
            "LogisticRegression), 'mse', 'sse', 'bce' or a function loss(predictions, targets)"
        ),
    )
    epochs: int = field(
        default=100, metadata=_help("passes over the data (0 only evaluates the initial loss)")
    )
    lr: float | None = field(
        default=None,
        metadata=_help("learning rate, for an optimizer given by name (default: the rule's own)"),
    )
    batch_size: int | None = field(
        default=None, metadata=_help("samples per update, for an optimizer given by name (None: all)")
    )
    shuffle: bool = field(default=False, metadata=_help("a new random order of the samples every epoch"))
    replacement: bool = field(default=False, metadata=_help("draw the samples at random, with replacement"))
    drop_last: bool = field(default=False, metadata=_help("skip the last, short batch of an epoch"))
    rng: np.random.Generator | int | None = field(
        default=None, metadata=_help("the Generator (or int seed) for shuffled or drawn batches")
    )
    record_params: bool = field(
        default=False, metadata=_help("keep the parameters after every update in History.params")
    )
    patience: int | None = field(
        default=5, metadata=_help("stop when the loss grows this many epochs in a row to above its start")
    )
    progress: bool | None = field(
        default=None, metadata=_help("a progress bar: None only for long runs on a terminal, or always/never")
    )
    callback: Callable[[Any], None] | None = field(
        default=None, metadata=_help("called after every update with a FitUpdate")
    )
    compile: bool | Callable[..., Any] = field(
        default=False,
        metadata=_help("run every update as a compiled step (True: compile_step; or a compiler of your own)"),
    )
    scheduler: LRScheduler | None = field(
        default=None, metadata=_help("a learning-rate schedule on the optimizer, stepped after every epoch")
    )
    grad_tol: float | None = field(
        default=None, metadata=_help("stop once the full-data gradient norm is at most this")
    )
    loss_tol: float | None = field(
        default=None, metadata=_help("stop once an epoch changes the loss by at most this fraction")
    )
    standardize: bool = field(
        default=False,
        metadata=_help(
            "train on (x - mean) / std (without b: x / rms(x)); the model ends in the data's units"
        ),
    )
    l1: float = field(default=0.0, metadata=_help("add l1 * sum_j |w_j| to the loss (lasso)"))
    l2: float = field(default=0.0, metadata=_help("add l2 * sum_j w_j^2 to the loss (ridge)"))
    shuffle_window: int | None = field(
        default=None, metadata=_help("shuffle within runs of this many samples (a CSVStream's chunk order)")
    )

    def __post_init__(self) -> None:
        if self.loss is not None:
            get_loss(self.loss)  # an unknown name or a non-function: its own clear error
        _whole("epochs", self.epochs, 0)
        if self.lr is not None:
            check_lr(self.lr)
        if self.batch_size is not None:
            check_batch_size(self.batch_size)
        if self.rng is not None:
            as_generator(self.rng)  # a wrong type: TypeError naming it
        if self.patience is not None:
            _whole("patience", self.patience, 1, optional=True)
        for name in ("grad_tol", "loss_tol"):
            if getattr(self, name) is not None:
                _number(name, getattr(self, name), optional=True)
        _number("l1", self.l1)
        _number("l2", self.l2)
        if self.shuffle_window is not None:
            _whole("shuffle_window", self.shuffle_window, 1, optional=True)
        if self.callback is not None and not callable(self.callback):
            raise OptionError("callback", "a function of a FitUpdate", self.callback, optional=True)
        if self.scheduler is not None and not isinstance(self.scheduler, LRScheduler):
            raise OptionError(
                "scheduler", "a learning-rate schedule (StepLR, ...)", self.scheduler, optional=True
            )

    @classmethod
    def of(cls, options: FitOptions | None, keywords: Mapping[str, Any], caller: str = "fit") -> FitOptions:
        """``options`` (default: all defaults) with ``keywords`` changed; an unknown keyword is a
        ``TypeError`` naming ``caller``, as Python's own."""
        if options is not None and not isinstance(options, FitOptions):
            raise InputError(f"{caller}: options must be a FitOptions, got {type(options).__name__}")
        unknown = sorted(set(keywords) - FIELD_NAMES)
        if unknown:
            raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r}")
        if options is None:
            return cls(**keywords)
        return dataclasses.replace(options, **keywords) if keywords else options

    @staticmethod
    def help(name: str) -> str:
        """What the option ``name`` does, in one line."""
        return str(FIELDS[name].metadata["help"])

    @staticmethod
    def default(name: str) -> Any:
        """The option's default value."""
        return FIELDS[name].default

    def for_built_optimizer(self) -> FitOptions:
        """These options with the optimizer's own (``lr`` and batching) back at their defaults: what
        goes to ``fit`` beside an optimizer already built from them."""
        defaults: dict[str, Any] = {name: FIELDS[name].default for name in OPTIMIZER_SETTINGS}
        return dataclasses.replace(self, **defaults)

    def given(self) -> list[str]:
        """The names of the options set to something other than their default, in field order."""
        return [f.name for f in fields(self) if getattr(self, f.name) != f.default]


FIELDS = {f.name: f for f in fields(FitOptions)}
OPTIMIZER_SETTINGS = ("lr", "batch_size", "shuffle", "replacement", "drop_last")  # they build the optimizer
FIELD_NAMES = frozenset(FIELDS)


def _whole(name: str, value: object, low: int, optional: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise OptionError(name, f"a whole number >= {low}", value, optional)


def _number(name: str, value: object, optional: bool = False) -> None:
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not (number and math.isfinite(float(value)) and float(value) >= 0):  # type: ignore[arg-type]
        raise OptionError(name, "a number >= 0", value, optional)


Loss = Callable[[Any, Any], Any]


def loss_for(model: Any, loss: str | Loss | None) -> tuple[str, Loss]:
    """``(name, function)`` of the loss a run trains ``model`` with: ``loss``, or the model's own
    (``model.default_loss``) for ``None``. A named loss must suit what the model returns: the
    squared errors a prediction, the cross-entropy a logit."""
    own = getattr(model, "default_loss", "mse")
    name, fn = get_loss(own if loss is None else loss)
    if isinstance(loss, str) and name != own and own in LOSSES and (name == "bce") != (own == "bce"):
        kind = type(model).__name__
        if name == "bce":
            raise InputError(
                f"the 'bce' loss (binary cross-entropy) takes the logits of a LogisticRegression; "
                f"a {kind} is trained with {', '.join(repr(k) for k in SQUARED_LOSSES)}"
            )
        raise InputError(
            f"a {kind} returns logits, not predictions of the target: it is trained with the 'bce' "
            f"loss (binary cross-entropy), not {name!r}"
        )
    return name, fn


def build_optimizer(
    model: Any, optimizer: Optimizer | str, options: FitOptions, caller: str = "fit"
) -> Optimizer:
    """The optimizer a run uses: ``optimizer`` itself, or one built by name on the model's
    parameters with ``options``' ``lr`` and batching (which go nowhere else)."""
    o = options
    batching_given = o.batch_size is not None or o.shuffle or o.replacement or o.drop_last
    if not isinstance(optimizer, str):
        if o.lr is not None or batching_given:
            raise ValueError(f"lr and batch options go to the optimizer when it is built, not to {caller}()")
        if not isinstance(optimizer, Optimizer):
            raise InputError(
                f"{caller}: optimizer must be an Optimizer (GD(model.parameters(), lr=...)) or a name, "
                f"got {type(optimizer).__name__}"
            )
        check_owned(model, optimizer, caller)
        return optimizer
    if o.lr is None and optimizer_class(optimizer).default_lr() is None:
        raise ValueError(f"{caller}(optimizer={optimizer!r}) needs a learning rate: lr=...")
    return make_optimizer(
        optimizer, model.parameters(), o.lr, o.batch_size, o.shuffle, o.replacement, o.drop_last
    )


def check_owned(model: Any, optimizer: Optimizer, caller: str = "fit") -> None:
    """Refuse an optimizer holding a parameter that is not one of ``model.parameters()`` (told
    apart by identity): the loss is the model's, so such a parameter gets no gradient and the run
    would train nothing while looking normal. An optimizer on only some of the model's parameters
    is fine (the others stay fixed, as in PyTorch)."""
    own = {id(p) for p in model.parameters()}
    foreign = [(i, p) for i, p in enumerate(optimizer.params) if id(p) not in own]
    if not foreign:
        return
    i, p = foreign[0]
    n = len(optimizer.params)
    if len(foreign) == n:
        what = f"none of its {n} parameters is one of model.parameters() (the first: {describe_param(p)})"
    else:
        what = f"{len(foreign)} of its {n} parameters {'is' if len(foreign) == 1 else 'are'} not the model's"
        what += f" (parameter {i}: {describe_param(p)})"
    raise InputError(
        f"{caller}: the optimizer was built on other parameters than the model's: {what}; the model's "
        f"loss gives them no gradient, so they would never move: build the optimizer on this model's "
        f"parameters, {type(optimizer).__name__}(model.parameters(), ...)"
    )


def check_schedules(optimizer: Optimizer, scheduler: LRScheduler | None) -> None:
    """Refuse a ``scheduler`` built on another optimizer, and an optimizer with a schedule that
    ``fit`` would not step (its factor would stay at its first epoch's, silently: a warm-up's third
    of the lr for ever); several are stepped together by one ``ChainedScheduler``."""
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise ValueError("the scheduler must be built on the optimizer that fit() uses")
    stepped = getattr(scheduler, "schedulers", [scheduler])
    idle = [s for s in optimizer.schedulers if not any(s is t for t in stepped)]
    if idle:
        names = ", ".join(repr(s) for s in idle)
        stepping = "no schedule" if scheduler is None else f"only scheduler={scheduler!r}"
        raise ValueError(
            f"the optimizer has the schedule {names}, which fit() would not step (it steps {stepping}), "
            "so its factor would stay at its first epoch's: pass scheduler= the schedule, or "
            "ChainedScheduler([...]) of every schedule of the optimizer, or build a new optimizer"
        )


def describe_param(p: Any) -> str:
    """A parameter in a few words: its label or name, and its value."""
    name = getattr(p, "label", None) or getattr(p, "name", None)
    data = np.asarray(getattr(p, "data", None))
    value = f"{float(data.reshape(())):g}" if data.size == 1 else f"shape {data.shape}"
    return f"{name} = {value}" if name else f"{type(p).__name__} {value}"


def with_fit_options(fn: F) -> F:
    """Show :class:`FitOptions`' fields as keyword parameters in ``fn``'s signature (``help(fit)``,
    editors), in place of its ``**options``: the one definition, shown where it is used."""
    sig = inspect.signature(fn)
    kept = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    shown = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
        for f in fields(FitOptions)
        if f.name not in {p.name for p in kept}
    ]
    fn.__signature__ = sig.replace(parameters=kept + shown)  # type: ignore[attr-defined]
    return fn
