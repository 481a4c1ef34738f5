"""The registry of optimizers: every rule the project has, by name, with its options.

``OPTIMIZERS`` maps a name (``"adam"``) to its class, in the order menus show them. A class
enters it with the :func:`register` decorator in its own file in ``optim/`` (every module of the
package is imported when ``tinygrad_lr.optim`` is), so **adding an optimizer is one file**: from
then on :func:`make_optimizer`, ``fit(model, data, "name")``, ``tinygrad-lr fit --optimizer name``
(with a flag for each option) and the live lab know it. What each entry tells about itself::

    cls.title, cls.summary         # "Adam", one line for menus and --help
    cls.default_lr()               # torch.optim's default lr, or None if the rule needs one
    cls.options()                  # {"betas": Option("betas", (0.9, 0.999), "..."), ...} besides lr
    cls.batching_rule              # "any"; "whole", "one", "batches" for GD, SGD, mini-batch SGD
    cls.lr_scales_gradient         # True: the step is lr * gradients, lr < 2 / lambda_max bounds it
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from .base import Optimizer

__all__ = ["OPTIMIZERS", "register", "unregister", "optimizer_class", "make_optimizer"]

OPTIMIZERS: dict[str, type[Optimizer]] = {}

T = TypeVar("T", bound=type[Optimizer])


def register(cls: T) -> T:
    """Class decorator: enter an optimizer in :data:`OPTIMIZERS` under ``cls.name``, at ``cls.order``.

    Every option its constructor takes must be explained in ``option_help`` (menus show it).
    """
    name = cls.name
    if not name or not name.isidentifier() or name != name.lower():
        raise ValueError(f"register: {cls.__name__}.name must be a lower-case identifier, got {name!r}")
    if name in OPTIMIZERS and OPTIMIZERS[name] is not cls:
        raise ValueError(f"register: the name {name!r} is taken by {OPTIMIZERS[name].__name__}")
    unexplained = [o for o, opt in cls.options().items() if not opt.help]
    if unexplained:
        raise ValueError(f"register: {cls.__name__}.option_help says nothing about {', '.join(unexplained)}")
    OPTIMIZERS[name] = cls
    ordered = sorted(OPTIMIZERS.items(), key=lambda item: (getattr(item[1], "order", 100), item[0]))
    OPTIMIZERS.clear()
    OPTIMIZERS.update(ordered)
    return cls


def unregister(name: str) -> None:
    """Take ``name`` out of the registry (for tests that register a rule of their own)."""
    OPTIMIZERS.pop(name, None)


def optimizer_class(name: str) -> type[Optimizer]:
    """The class registered as ``name`` (any case), or a ``ValueError`` listing the names."""
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key]


def make_optimizer(
    name: str,
    params: Iterable[Any],
    lr: float | None,
    batch_size: int | None = None,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
    **options: Any,
) -> Optimizer:
    """Build an optimizer by name (a key of :data:`OPTIMIZERS`), checking the options fit it.

    ``options`` are the rule's own settings (``momentum``, ``betas``, ``eps``, ``weight_decay`` ...);
    ``lr=None`` takes the rule's PyTorch default (GD, SGD and mini-batch SGD have none).

    Example:
        >>> from tinygrad_lr import Value
        >>> make_optimizer("adam", [Value(0.0)], None, batch_size=2, betas=(0.8, 0.99))
        Adam(Adam (lr 0.001, betas (0.8, 0.99), eps 1e-08, batch 2, in order))
    """
    cls = optimizer_class(name)
    takes = cls.options()
    unknown = sorted(set(options) - set(takes))
    if unknown:
        if not takes:
            raise ValueError(f"{cls.title} has no option {', '.join(unknown)}")
        raise ValueError(f"{cls.title}: got an unexpected keyword argument {unknown[0]!r}")
    if lr is None:
        lr = cls.default_lr()
        if lr is None:
            raise ValueError(f"{cls.title} needs a learning rate (lr)")
    return cls(
        params,
        lr,
        **options,
        batch_size=batch_size,
        shuffle=shuffle,
        replacement=replacement,
        drop_last=drop_last,
    )
