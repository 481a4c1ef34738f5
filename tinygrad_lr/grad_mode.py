"""Grad mode: inside ``with no_grad():`` operations build no graph; per thread, as in PyTorch.

A ``no_grad()`` block in one thread (the live lab's server answering a request) never switches
graph building off in another (a notebook's cell), and blocks in two threads may end in any
order. The engines' hot paths test the module flag :data:`grad_enabled` first: it is true while
no thread is inside ``no_grad()``, so the first-order path costs one global read; only while
some thread has grad off do they ask this thread's own mode (:func:`is_grad_enabled`).
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["grad_enabled", "is_grad_enabled", "set_grad_enabled", "no_grad", "enable_grad"]

grad_enabled = True  # no thread has switched grad off: every thread builds graphs (the engines read it)
_grad_off_threads = 0  # how many threads have it off now
_grad_local = threading.local()  # .enabled: this thread's mode (absent: on)
_grad_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """True unless this thread is inside a ``no_grad()`` block (other threads' blocks do not count)."""
    return grad_enabled or getattr(_grad_local, "enabled", True)


def set_grad_enabled(enabled: bool) -> bool:
    """Set this thread's grad mode (as ``torch.set_grad_enabled``); return the one it had."""
    global grad_enabled, _grad_off_threads
    previous = getattr(_grad_local, "enabled", True)
    if enabled == previous:
        return previous
    with _grad_lock:
        _grad_local.enabled = enabled
        _grad_off_threads += -1 if enabled else 1
        grad_enabled = _grad_off_threads == 0
    return previous


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) inside which operations build no graph.

    The results of operations are plain leaves: they remember no parents, so nothing is
    backpropagated through them. Optimizers update parameters inside it::

        with no_grad():
            w.data -= lr * w.grad
    """

    def _recreate_cm(self) -> no_grad:
        # a fresh instance per use, so a decorated function may call itself
        return type(self)()

    def __enter__(self) -> no_grad:
        self._previous = set_grad_enabled(False)
        return self

    def __exit__(self, *exc: object) -> None:
        set_grad_enabled(self._previous)


class enable_grad(no_grad):
    """Context manager (and decorator) that turns graph building back on inside ``no_grad()``."""

    def __enter__(self) -> enable_grad:
        self._previous = set_grad_enabled(True)
        return self
