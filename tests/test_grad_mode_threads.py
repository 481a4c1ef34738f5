"""Grad mode is per thread, as in PyTorch (issue 21).

The live lab's server answers requests in threads while a notebook trains in the main thread:
a ``no_grad()`` in one must not switch graph building off in the other. Before, the flag was one
module global, so a server thread's ``no_grad()`` made the notebook's next loss a leaf whose
``backward()`` left every gradient at 0, silently.
"""

from __future__ import annotations

import threading

import numpy as np

from tinygrad_lr import Tensor, Value, enable_grad, no_grad
from tinygrad_lr import grad_mode as graph_module
from tinygrad_lr.graph import is_grad_enabled


class Holder(threading.Thread):
    """A thread that enters ``no_grad()``, builds a node, and stays inside until told to leave."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.leave, self.left = threading.Event(), threading.Event(), threading.Event()
        self.node_parents: tuple = ("not run",)
        self.enabled_inside: bool | None = None

    def run(self) -> None:
        w = Value(2.0)
        with no_grad():
            self.enabled_inside = is_grad_enabled()
            self.node_parents = (w * 3.0)._prev
            self.inside.set()
            self.leave.wait(10)
        self.left.set()


def test_another_threads_no_grad_leaves_this_threads_graph_alone():
    holder = Holder()
    holder.start()
    try:
        assert holder.inside.wait(10)
        assert is_grad_enabled()  # was False: the other thread's block switched it off here
        w, b = Value(1.0, label="w"), Value(0.0, label="b")
        L = (w * 3.0 + b - 7.0) ** 2
        L.backward()
        # dL/dw = 2 (3 w + b - 7) 3 = -24, dL/db = -8 (both were 0: L had no parents)
        assert (w.grad, b.grad) == (-24.0, -8.0)
        t = Tensor([1.0, 2.0], requires_grad=True)
        T = (t * t).sum()
        T.backward()
        assert np.array_equal(t.grad, [2.0, 4.0])
    finally:
        holder.leave.set()
        holder.join(10)
    assert holder.enabled_inside is False and holder.node_parents == ()  # its own block held


def test_blocks_in_two_threads_end_in_any_order():
    holder = Holder()
    holder.start()
    assert holder.inside.wait(10)
    w = Value(1.0)
    with no_grad():
        holder.leave.set()  # the other thread leaves its block first
        assert holder.left.wait(10)
        holder.join(10)
        assert not is_grad_enabled()  # was True: its exit restored the one global flag
        assert (w * 2.0)._prev == ()
        with enable_grad():
            y = w * 2.0
            assert len(y._prev) == 2 and y._prev[0] is w
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert graph_module.grad_enabled and graph_module._grad_off_threads == 0  # the fast path again


def test_the_fast_flag_is_on_only_while_no_thread_has_grad_off():
    assert graph_module.grad_enabled
    with no_grad():
        assert not graph_module.grad_enabled and graph_module._grad_off_threads == 1
        with no_grad():  # nested in one thread: still one thread
            assert graph_module._grad_off_threads == 1
        with enable_grad():
            assert graph_module._grad_off_threads == 0 and is_grad_enabled()
        assert graph_module._grad_off_threads == 1
    assert graph_module.grad_enabled and graph_module._grad_off_threads == 0
