"""The ``tinygrad-lr`` sub-commands: one module each, found here by :func:`discover`.

A command module declares its options in ``add(sub)`` (one ``sub.add_parser(...)`` call, ending
with ``set_defaults(func=run)``) and does the work in ``run(args) -> int``; ``HELP_ORDER`` places
it in ``tinygrad-lr --help``. Adding a command is adding one file here: nothing else lists them.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["discover"]


def discover() -> list[ModuleType]:
    """Every command module of this package, in ``HELP_ORDER``."""
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
    commands = [m for m in modules if callable(getattr(m, "add", None)) and callable(getattr(m, "run", None))]
    return sorted(commands, key=lambda m: (getattr(m, "HELP_ORDER", 1000), m.__name__))
