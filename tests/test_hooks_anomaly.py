"""Hooks (register_hook) and anomaly mode (detect_anomaly) on both engines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_lr import AnomalyError, Tensor, Value, detect_anomaly, save_graph
from tinygrad_lr import graph as graph_module
from tinygrad_lr.graph import topological_order


@pytest.fixture(autouse=True)
def no_other_hooks():
    """Each test starts with no hooks registered (another module's test may have left one)."""
    saved = dict(graph_module._hooks)
    graph_module._hooks.clear()
    graph_module._update_watched()
    yield
    graph_module._hooks.clear()
    graph_module._hooks.update(saved)
    graph_module._update_watched()

# --- hooks ------------------------------------------------------------------------------------------


def _value_graph() -> tuple[Value, Value, Value, list[Value]]:
    """L = (w*x + b - y)^2 + w*w with w used twice; every node, leaves included."""
    w, b = Value(1.5, label="w"), Value(-0.5, label="b")
    r = w * 2.0 + b - 4.0
    L = r * r + w * w
    return w, b, L, topological_order(L)


def test_hooks_see_each_gradient_once_in_chain_rule_order() -> None:
    _, _, L0, order0 = _value_graph()
    L0.backward()
    expected = [n.grad for n in order0]  # the same graph's gradients, from a pass without hooks
    w, b, L, order = _value_graph()
    seen: list[tuple[int, float]] = []
    handles = [n.register_hook(lambda g, k=k: seen.append((k, g))) for k, n in enumerate(order)]
    L.backward()
    assert sorted(k for k, _ in seen) == list(range(len(order))), "every node, exactly once"
    when = {k: t for t, (k, _) in enumerate(seen)}
    position = {id(n): k for k, n in enumerate(order)}
    for k, node in enumerate(order):  # a node's hook runs after the hooks of every node computed from it
        for parent in node._prev:
            assert when[k] < when[position[id(parent)]]
    assert [g for _, g in sorted(seen)] == expected, "each hook got the complete gradient"
    assert dict(seen)[position[id(w)]] == 2 * (2 * 1.5 - 0.5 - 4.0) * 2 + 2 * 1.5
    for h in handles:
        h.remove()
    assert not graph_module.watched, "no hooks left: the plain loop again"


def test_a_hook_replaces_the_gradient_that_flows_on() -> None:
    x = Value(3.0, label="x")
    y = x * x  # dy/dx = 2x = 6
    z = y * 2.0
    h = y.register_hook(lambda g: g * 10)  # dz/dy = 2 becomes 20
    z.backward()
    assert x.grad == 20 * 6
    h.remove()
    x.zero_grad()
    z.backward()
    assert x.grad == 2 * 6


def test_a_leaf_hook_sees_this_passes_gradient_and_its_replacement_accumulates() -> None:
    w = Value(2.0)
    seen = []
    with w.register_hook(lambda g: seen.append(g) or g + 1.0):
        (w * 3.0).backward()
        (w * 3.0).backward()
    assert seen == [3.0, 3.0]  # not 6 the second time: the pass's own gradient
    assert w.grad == 8.0  # (3 + 1) twice
    (w * 3.0).backward()  # the hook is gone
    assert w.grad == 11.0


def test_tensor_hooks_on_leaves_and_intermediates() -> None:
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="w")
    x = Tensor([1.0, -1.0, 2.0])
    p = w * x
    L = (p**2).sum()
    log = []
    hp = p.register_hook(lambda g: log.append(("p", g.copy())))
    hw = w.register_hook(lambda g: (log.append(("w", g.copy())), g * 0.5)[1])
    L.backward()
    assert [name for name, _ in log] == ["p", "w"]
    np.testing.assert_array_equal(log[0][1], 2 * w.data * x.data)  # dL/dp = 2p
    np.testing.assert_array_equal(log[1][1], 2 * w.data * x.data**2)
    np.testing.assert_array_equal(w.grad, w.data * x.data**2)  # halved by the hook
    hp.remove()
    hw.remove()
    hw.remove()  # a second remove does nothing
    assert not graph_module.watched


def test_a_hook_must_keep_the_shape() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    with w.register_hook(lambda g: np.zeros(3)), pytest.raises(ValueError, match="shape"):
        (w * w).sum().backward()


def test_hooks_see_graph_gradients_under_create_graph() -> None:
    x = Value(2.0)
    seen = []
    with x.register_hook(seen.append):
        (x**3).backward(create_graph=True)
    assert len(seen) == 1 and isinstance(seen[0], Value) and seen[0].data == 12.0


# --- anomaly mode -----------------------------------------------------------------------------------


def test_anomaly_mode_is_off_by_default_and_restored() -> None:
    assert not graph_module.watched and graph_module.pass_observer is None
    with detect_anomaly():
        assert graph_module.watched
        with detect_anomaly():
            pass
        assert graph_module.watched
    assert not graph_module.watched and graph_module.pass_observer is None


def test_a_finite_pass_is_unchanged_in_anomaly_mode() -> None:
    w, b, L, _ = _value_graph()
    L.backward()
    plain = (w.grad, b.grad)
    w, b, L, _ = _value_graph()
    with detect_anomaly():
        L.backward()
    assert (w.grad, b.grad) == plain


def test_forward_nan_names_the_first_op_value() -> None:
    big = Value(1e200, label="big")
    w = Value(2.0, label="w")
    prod = big * big  # inf: the first op whose result is not finite
    L = (prod - w) * w + w
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        L.backward()
    err = info.value
    assert err.kind == "forward" and err.node is prod
    assert "the forward result of '*'" in str(err) and "big = 1e+200" in str(err)
    assert err.path[0] is L and err.path[-1] is prod
    assert "3 steps from the loss" in str(err)


def test_forward_nan_with_an_infinite_parameter_tensor() -> None:
    w = Tensor([1.0, np.inf], requires_grad=True, name="w")
    x = Tensor([2.0, 0.0], name="x")
    with np.errstate(invalid="ignore"):
        p = w * x  # inf * 0 = nan
        L = ((p + 1.0) ** 2).mean()
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        L.backward()
    assert info.value.node is p and info.value.kind == "forward"
    assert "w = [ 1., inf]" in str(info.value)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_backward_only_nan_sqrt_at_zero(engine: str) -> None:
    if engine == "value":
        x = Value(0.0, label="x")
        s = x.sqrt()
        L = (s * 3.0 + 1.0) ** 2
    else:
        x = Tensor([4.0, 0.0], requires_grad=True, name="x")
        s = x.sqrt()
        L = ((s * 3.0 + 1.0) ** 2).sum()
    assert all(math.isfinite(v) for v in np.ravel(L.data)), "the forward pass is finite"
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        L.backward()
    err = info.value
    assert err.kind == "backward" and err.node is s and err.parent is x
    assert "the backward step of 'sqrt'" in str(err)
    assert err.path[0] is L and err.path[-1] is s


def test_without_anomaly_mode_the_inf_passes_silently() -> None:
    x = Value(0.0)
    (x.sqrt() * 3.0).backward()
    assert x.grad == math.inf


def test_the_anomaly_picture_marks_the_node_and_the_path(tmp_path) -> None:
    x = Value(0.0, label="x")
    w = Value(2.0, label="w")
    s = x.sqrt()
    L = (w * s + 1.0) ** 2
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        L.backward()
    err = info.value
    src = err.graph.source
    order = topological_order(L)
    nid = {id(n): f"n{i}" for i, n in enumerate(order)}
    culprit = nid[id(s)]
    assert f'\t{culprit} [color="#d50000" fillcolor="#ffcdd2"' in src
    assert f'\t{culprit}op [color="#d50000" fillcolor="#ffcdd2"' in src
    assert f'\t{nid[id(L)]} [color="#d50000" penwidth=2.5]' in src  # the loss, on the path
    assert f"\t{nid[id(x)]} -> {culprit}op [color=" in src
    assert f"\t{nid[id(w)]} -> " in src and f'\t{nid[id(w)]} [color="#d50000"' not in src  # w is off the path
    bundle = err._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]
    out = save_graph(err.graph, tmp_path / "anomaly.svg")
    assert out.read_text().count("#d50000") >= 4


def test_anomaly_mode_checks_grad_and_create_graph_too() -> None:
    from tinygrad_lr import grad

    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError, match="sqrt"):
        grad(x.sqrt() * 2.0, x)


def test_hooks_live_outside_the_nodes_until_removed() -> None:
    import sys

    assert not graph_module.watched
    w = Value(1.0)
    size = sys.getsizeof(w)
    handle = w.register_hook(lambda g: None)
    assert sys.getsizeof(w) == size, "a node carries nothing for hooks"
    assert graph_module.watched, "a registered hook: backward takes the watched loop"
    handle.remove()
    assert not graph_module.watched, "none left: the plain loop again"
    assert not graph_module._hooks, "and the registry lets go of the node"


def test_a_diverging_fit_in_anomaly_mode_names_the_node() -> None:
    from tinygrad_lr import DivergenceError, LinearRegression, fit

    X, y = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
    model = LinearRegression(engine="tensor", w=1.0, b=0.0)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(DivergenceError):
        fit(model, (X, y), "gd", lr=0.5, loss="sse", epochs=1000, patience=None)  # without: its own check
    model = LinearRegression(engine="tensor", w=1.0, b=0.0)
    with np.errstate(over="ignore", invalid="ignore"), detect_anomaly(), pytest.raises(AnomalyError) as info:
        fit(model, (X, y), "gd", lr=0.5, loss="sse", epochs=1000, patience=None)
    assert info.value.kind == "forward" and info.value.node.op == "**2"


def test_the_anomaly_picture_without_graphviz_is_the_projects_message(tmp_path, monkeypatch) -> None:
    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        (x.sqrt() * 3.0).backward()
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot`
    err = info.value
    assert err._repr_svg_() is None
    message = err._repr_mimebundle_()["text/plain"]
    assert "install Graphviz with" in message and "Traceback" not in message
