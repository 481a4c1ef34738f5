"""Anomaly mode blames a hook that returns NaN or inf, not the op below it (issue 21).

Before, a hook on ``y = w * x`` returning NaN was reported as ``the backward step of '*' (y)
handed dL/dw = nan``: the multiplication, which only passed the hook's number on. A hook on a
leaf returning NaN was not reported at all (no op runs after it).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from tinygrad_lr import AnomalyError, Tensor, Value, detect_anomaly, grad
from tinygrad_lr import graph as graph_module


@pytest.fixture(autouse=True)
def no_other_hooks():
    saved = dict(graph_module._hooks)
    graph_module._hooks.clear()
    graph_module._update_watched()
    yield
    graph_module._hooks.clear()
    graph_module._hooks.update(saved)
    graph_module._update_watched()


def poison(g):
    return g * float("nan")


def _where(fn):
    return f"{__file__}:{inspect.getsourcelines(fn)[1]}"


def _error(run):
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        run()
    return info.value


def test_a_hook_on_an_intermediate_node_is_named_with_its_node():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    y = w * x
    y.label = "y"
    L = y * y
    L.label = "L"
    y.register_hook(poison)
    err = _error(L.backward)
    assert err.kind == "hook" and err.node is y and err.hook is poison and err.parent is None
    # dL/dy = 2 y = 12 was what the hook was given
    assert str(err).startswith(
        f"detect_anomaly: the hook poison (in {_where(poison)}) registered on y returned dL/dy = nan "
        "(it was given 12): the hook is the cause, not the op below it"
    ), str(err)
    assert "backward step of '*'" not in str(err)
    assert [n.label for n in err.path] == ["L", "y"]


def test_a_hook_on_a_leaf_is_caught_too():
    w = Value(2.0, label="w")
    L = w * 5.0
    L.label = "L"
    w.register_hook(lambda g: math.inf)
    err = _error(L.backward)
    assert err.kind == "hook" and err.node is w
    assert "the hook <lambda> (in " in str(err)
    assert "registered on w returned dL/dw = inf (it was given 5)" in str(err)


def test_the_second_of_two_hooks_is_the_one_named():
    w = Value(1.0, label="w")
    y = w * 4.0
    y.label = "y"
    L = y * 1.0
    L.label = "L"

    def double(g):
        return 2.0 * g

    y.register_hook(double)
    y.register_hook(poison)
    err = _error(L.backward)
    assert err.hook is poison and "(it was given 2)" in str(err)  # dL/dy = 1, doubled by the first


def test_tensor_hooks_and_create_graph():
    t = Tensor([1.0, 2.0], requires_grad=True, name="t")
    u = t * 3.0
    L = (u * u).sum()
    L.name = "L"
    u.register_hook(lambda g: np.where(g > 10, np.nan, g))  # dL/du = 2 u = (6, 12): the second nan
    err = _error(L.backward)
    assert err.kind == "hook" and err.node is u
    assert "registered on t * 3 returned dL/d(t * 3) = [ 6., nan] (it was given [ 6., 12.])" in str(err)

    w = Value(3.0, label="w")
    M = w * w
    M.label = "M"
    w.register_hook(poison)
    err = _error(lambda: grad(M, [w], create_graph=True))
    assert err.kind == "hook" and err.node is w and "returned dM/dw = nan (it was given 6)" in str(err)


def test_a_finite_hook_passes_and_a_nan_from_an_op_is_still_the_ops():
    w = Value(2.0, label="w")
    y = w * 3.0
    y.register_hook(lambda g: g + 1.0)
    L = y * y
    with detect_anomaly():
        L.backward()
    assert w.grad == (2 * 6.0 + 1.0) * 3.0
    z = Value(0.0, label="z")
    S = z.sqrt()
    S.register_hook(lambda g: g * 1.0)
    err = _error(S.backward)
    assert err.kind == "backward" and err.hook is None


def test_the_picture_says_a_hook():
    w = Value(2.0, label="w")
    y = w * 3.0
    y.label = "y"
    L = y * y
    y.register_hook(poison)
    err = _error(L.backward)
    assert "comes from a hook on the node filled in red" in err.graph.source
