"""The compiled step never freezes a value-dependent decision silently (issue 21).

A function that reads a parameter's (or an input's) number while it is traced -- ``if w.data < 1:``,
``np.nonzero(t.data > 0)`` as an index, ``float(w)`` as a constant -- used to be compiled with the
first step's decision baked in, and every later step was wrong. Now the step runs eagerly, with a
``CompileWarning`` naming the file and line of the read. The losses below are worked out by hand.
"""

from __future__ import annotations

import inspect
import threading
import warnings

import numpy as np
import pytest

from tinygrad_lr import GD, Tensor, Value, sse
from tinygrad_lr.compare import assert_close
from tinygrad_lr.compile import CompileWarning, compile_step


def _run(step, calls):
    """The step's losses over ``calls`` (a list of argument tuples), and its CompileWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [step(*args) for args in calls]
    return losses, [str(w.message) for w in caught if issubclass(w.category, CompileWarning)]


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_an_if_on_a_parameter_value_is_taken_at_every_step():
    w = Value(0.5, label="w")

    def loss():
        if w.data < 1:
            return (w - 3.0) ** 2
        return (w + 3.0) ** 2

    step = compile_step(loss, GD([w], lr=0.4))
    losses, said = _run(step, [()] * 3)
    # by hand: w 0.5 -> (0.5-3)^2 = 6.25, dL/dw = -5, w = 2.5 -> (2.5+3)^2 = 30.25, dL/dw = 11,
    # w = 2.5 - 4.4 = -1.9 -> (-1.9-3)^2 = 24.01 (frozen, it was 6.25, 0.25, 0.01)
    assert_close(losses, [6.25, 30.25, 24.01], rtol=1e-14)
    assert_close(w.data, -1.9 + 0.4 * 9.8, rtol=1e-14)
    assert not step.compiled and len(said) == 1
    where = f"{__file__}:{_line_of(loss, 'if w.data < 1')} (if w.data < 1:)"
    assert f"reads the value of the parameter w (.data) at {where}" in said[0], said


def test_an_index_from_np_nonzero_of_a_parameter_follows_the_parameter():
    t = Tensor([1.0, -1.0, 2.0], requires_grad=True, name="t")

    def loss():
        idx = np.nonzero(t.data > 0)[0]
        return (t[idx] ** 2).sum()

    step = compile_step(loss, GD([t], lr=0.75))
    losses, said = _run(step, [()] * 3)
    # by hand: entries 0 and 2 are positive: 1 + 4 = 5, grad (2, 0, 4), t = (-0.5, -1, -1);
    # then none is positive: the loss is an empty sum, 0 (frozen, it was 5, 1.25, 0.3125)
    assert_close(losses, [5.0, 0.0, 0.0], rtol=1e-14)
    assert_close(t.data, [-0.5, -1.0, -1.0], rtol=1e-14)
    assert len(said) == 1 and "the parameter t (.data)" in said[0]
    assert f"{__file__}:{_line_of(loss, 'np.nonzero')}" in said[0]


@pytest.mark.parametrize(
    "read, how",
    [
        (lambda w: float(w), "float()"),
        (lambda w: w.item(), ".item()"),
        (lambda w: w.data, ".data"),
        (lambda w: (w * 1.0).data, ".data"),  # a node computed from the parameter
    ],
    ids=["float", "item", "data", "derived"],
)
def test_a_constant_made_from_a_parameter_is_made_again_at_every_step(read, how):
    w = Value(2.0, label="w")
    step = compile_step(lambda: (w - 0.5 * read(w)) ** 2, GD([w], lr=0.5))
    losses, said = _run(step, [()] * 2)
    # eager: c = w/2 is a new constant each step; L = (w - c)^2, dL/dw = 2 (w - c)
    # w = 2: c = 1, L = 1, w = 2 - 0.5 * 2 = 1; then c = 0.5, L = 0.25 (frozen c = 1: L = 0)
    assert_close(losses, [1.0, 0.25], rtol=1e-14)
    assert len(said) == 1 and f"({how})" in said[0], said


def test_tensor_reads_item_and_asarray():
    t = Tensor([3.0], requires_grad=True, name="t")
    step = compile_step(lambda: ((t - 0.5 * np.asarray(t)) ** 2).sum(), GD([t], lr=0.5))
    losses, said = _run(step, [()] * 2)
    # t = 3: c = 1.5, L = 2.25, t = 3 - 1.5 = 1.5; then c = 0.75, L = 0.5625
    assert_close(losses, [2.25, 0.5625], rtol=1e-14)
    assert len(said) == 1 and "(np.asarray())" in said[0]


def test_an_if_on_an_input_value_is_taken_at_every_call():
    w = Tensor([1.0], requires_grad=True, name="w")

    def loss(x):
        X = Tensor(x)
        sign = 1.0 if X.data[0] > 0 else -1.0
        return ((w * X).sum() - sign) ** 2

    step = compile_step(loss, GD([w], lr=0.1))
    losses, said = _run(step, [(np.array([2.0]),), (np.array([-2.0]),)])
    # x = 2: (2 - 1)^2 = 1, dL/dw = 2 (2 w - 1) 2 = 4, w = 0.6; x = -2: sign -1,
    # (-1.2 + 1)^2 = 0.04 (frozen sign 1: (-1.2 - 1)^2 = 4.84)
    assert_close(losses, [1.0, 0.04], rtol=1e-14)
    assert len(said) == 1 and "the value of an input (.data)" in said[0], said


def test_reads_of_constants_and_shapes_compile():
    # the y a closure holds is a constant: reading it decides nothing that changes
    w = Tensor([1.0, 1.0], requires_grad=True, name="w")
    y = Tensor([3.0, 5.0])

    def loss():
        scale = 1.0 / y.data.size
        return (((w - y) ** 2) * scale).sum() + 0.0 * float(y.data[0])

    step = compile_step(loss, GD([w], lr=0.25))
    losses, said = _run(step, [()] * 2)
    assert said == [] and step.compiled
    # (1-3)^2/2 + (1-5)^2/2 = 10; grad (w - y) = (-2, -4), w = (1.5, 2); then 2.25/2 + 9/2 = 5.625
    assert_close(losses, [10.0, 5.625], rtol=1e-14)
    xs, ys = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
    v, b = Value(1.0), Value(0.0)
    step = compile_step(lambda: sse([v * x + b for x in xs], ys), GD([v, b], lr=0.01))
    assert _run(step, [()])[1] == [] and step.compiled


def test_the_engine_is_itself_again_after_a_trace():
    w = Value(1.0, label="w")
    data_slot = Value.__dict__["data"], Tensor.__dict__["data"], Tensor.__dict__["__array__"]

    def broken():
        raise RuntimeError("the user's own error")

    with pytest.raises(RuntimeError, match="the user's own error"):
        compile_step(broken, GD([w], lr=0.1))()
    assert (Value.__dict__["data"], Tensor.__dict__["data"], Tensor.__dict__["__array__"]) == data_slot
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"


def test_another_threads_reads_are_not_the_traced_functions():
    w = Value(1.0, label="w")
    other = Value(2.0)
    started, go_on = threading.Event(), threading.Event()

    def reader():
        started.set()
        go_on.wait(5)
        for _ in range(100):
            _ = w.data + other.data  # a read of w's number, but not by the traced function

    th = threading.Thread(target=reader)
    th.start()
    started.wait(5)

    def loss():
        go_on.set()
        th.join(5)  # the other thread reads while this function is being traced
        return (w - 3.0) ** 2

    step = compile_step(loss, GD([w], lr=0.25))
    losses, said = _run(step, [()] * 2)
    assert said == [] and step.compiled
    assert_close(losses, [4.0, 1.0], rtol=1e-14)  # w 1 -> 1 + 0.25 * 4 = 2
