"""Watching a trace for the reads that would freeze a value-dependent decision.

A compiled step replays the graph its first call built. Whatever the function did in Python
with a *number* it read from the graph -- ``if w.data < 1:``, ``np.nonzero(w.data > 0)`` used as
an index, ``float(loss)`` in a formula, ``w.item()`` as a constant -- was done once, at trace time,
and is baked into the code: later steps would silently repeat the first step's decision with
other numbers. ``jax.jit`` refuses such reads (its concretization error); here the step falls
back to the eager engine, which runs the function again at every step, so every decision is
taken with the current numbers, and says so once with a ``CompileWarning`` naming the file and
line of the read.

How: while the function is traced (:func:`watch`), the number-reading doors of ``Value`` and
``Tensor`` -- ``.data``, ``float()``, ``int()``, ``.item()``, ``.numpy()``, ``np.asarray(t)``
(``__array__``), ``operator.index`` -- note every read made from code outside this package (the
engine's own ops and losses read ``.data`` to compute, and never decide on it). After the trace,
a noted read matters when the node read depends on a parameter or on a leaf that the trace found
to be an input (:meth:`Watch.offender`); a read of a constant (the ``y`` a closure holds) is fine.
Only the tracing thread is watched; the doors are put back when the trace ends.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..tensor import Tensor
from ..value import Value

__all__ = ["Read", "Watch", "watch"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_METHODS = {
    Value: ("item", "__float__", "__int__", "__index__"),
    Tensor: ("item", "__float__", "__int__", "__index__", "numpy", "__array__"),
}
_LOCK = threading.RLock()  # one watched trace at a time patches the classes


class Read:
    """One read of a node's number by the user's code: the node, ``how`` (``.data``, ``float()``
    ...), and the file and line it was made on."""

    __slots__ = ("node", "how", "filename", "lineno")

    def __init__(self, node: Any, how: str, filename: str, lineno: int) -> None:
        self.node, self.how, self.filename, self.lineno = node, how, filename, lineno

    def where(self) -> str:
        text = linecache.getline(self.filename, self.lineno).strip()
        return f"{self.filename}:{self.lineno}" + (f" ({text})" if text else "")


class Watch:
    """The reads noted while tracing (one per node and line), and the test of which matter."""

    def __init__(self) -> None:
        self.reads: list[Read] = []
        self._seen: set[tuple[int, str, int]] = set()
        self._outside: dict[str, bool] = {}

    def note(self, node: Any, how: str, frame: Any) -> None:
        filename = frame.f_code.co_filename
        outside = self._outside.get(filename)
        if outside is None:
            outside = self._outside[filename] = not os.path.abspath(filename).startswith(_PACKAGE)
        if not outside:
            return
        key = (id(node), filename, frame.f_lineno)
        if key not in self._seen:
            self._seen.add(key)
            self.reads.append(Read(node, how, filename, frame.f_lineno))

    def offender(self, live: Callable[[Any], bool]) -> Read | None:
        """The first read of a node that ``live`` says depends on a parameter or an input."""
        memo: dict[int, bool] = {}
        for read in self.reads:
            if _depends(read.node, live, memo):
                return read
        return None


def _depends(node: Any, live: Callable[[Any], bool], memo: dict[int, bool]) -> bool:
    """Whether ``node`` or any node it was computed from is ``live`` (iterative: graphs are deep)."""
    stack = [(node, False)]
    while stack:
        n, expanded = stack.pop()
        if id(n) in memo:
            continue
        if live(n):
            memo[id(n)] = True
            continue
        parents = n._prev
        if not parents:
            memo[id(n)] = False
        elif expanded:
            memo[id(n)] = any(memo.get(id(p), False) for p in parents)
        else:
            stack.append((n, True))
            stack.extend((p, False) for p in parents if id(p) not in memo)
    return memo[id(node)]


@contextmanager
def watch() -> Iterator[Watch]:
    """Note the reads of nodes' numbers made by the calling thread's code outside the package."""
    w = Watch()
    owner = threading.get_ident()
    saved: list[tuple[type, str, Any]] = []
    with _LOCK:
        try:
            for cls in (Value, Tensor):
                for name in ("data", *_METHODS[cls]):
                    original = cls.__dict__.get(name)
                    if original is None:
                        continue
                    saved.append((cls, name, original))
                    door = (
                        _data_door(original, w, owner)
                        if name == "data"
                        else _method_door(original, name, w, owner)
                    )
                    setattr(cls, name, door)
            yield w
        finally:
            for cls, name, original in reversed(saved):
                setattr(cls, name, original)


def _data_door(slot: Any, w: Watch, owner: int) -> property:
    get, put = slot.__get__, slot.__set__

    def read(self: Any) -> Any:
        if threading.get_ident() == owner:
            w.note(self, ".data", sys._getframe(1))
        return get(self, type(self))

    def write(self: Any, value: Any) -> None:
        put(self, value)

    return property(read, write)


def _method_door(original: Callable[..., Any], name: str, w: Watch, owner: int) -> Callable[..., Any]:
    how = {"__float__": "float()", "__int__": "int()", "__index__": "an index", "__array__": "np.asarray()"}
    said = how.get(name, f".{name}()")

    def door(self: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == owner:
            w.note(self, said, sys._getframe(1))
        return original(self, *args, **kwargs)

    door.__name__ = name
    return door
