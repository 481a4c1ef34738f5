"""Tests of the numpy-backed Tensor: every op against finite differences, and the API contract.

The gradient checks never trust the Tensor's own forward pass: the loss is re-evaluated with a
plain numpy reference of each op, and its slope is measured by central differences.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lr import Tensor, Value, no_grad
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.ops import unbroadcast
from tinygrad_lr.tensor import concatenate, stack

FD_EPS = 1e-6  # central differences: truncation error ~eps**2, rounding ~1e-16/eps: both << tolerance
FD_RTOL = 1e-5  # a wrong derivative is off by O(1); this only absorbs the finite-difference error
FD_ATOL = 1e-6
EXACT = 1e-12  # for results that are sums of a few float64 products: only rounding differs


# --- finite differences -----------------------------------------------------------------------


def numeric_grad(loss: Callable[..., float], arrays: list[np.ndarray], i: int) -> np.ndarray:
    """dL/d(arrays[i]) by central differences, one entry at a time."""
    grad = np.zeros_like(arrays[i])
    for idx in np.ndindex(arrays[i].shape):
        shifted = [a.copy() for a in arrays]
        shifted[i][idx] += FD_EPS
        up = loss(*shifted)
        shifted[i][idx] -= 2 * FD_EPS
        down = loss(*shifted)
        grad[idx] = (up - down) / (2 * FD_EPS)
    return grad


# --- the table of ops: (name, Tensor function, numpy reference, strategy for the inputs) -----


def floats(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float = 0.2, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Entries kept off a kink or a pole at 0 by more than the finite-difference step."""
    return st.one_of(floats(-hi, -lo), floats(lo, hi))


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
ANY_FLOAT = floats()


def one(
    elements: st.SearchStrategy[float] = ANY_FLOAT, shapes: st.SearchStrategy = SHAPES
) -> st.SearchStrategy:
    """One array of any shape up to 3-D."""
    return shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=elements)).map(lambda a: (a,))


def two(first: st.SearchStrategy[float] = ANY_FLOAT, second: st.SearchStrategy[float] = ANY_FLOAT):
    """Two arrays of mutually broadcastable shapes ((3, 1) with (1, 4), () with (2, 3), ...)."""
    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
    return shapes.flatmap(
        lambda s: st.tuples(
            hnp.arrays(np.float64, s.input_shapes[0], elements=first),
            hnp.arrays(np.float64, s.input_shapes[1], elements=second),
        )
    )


@st.composite
def matmul_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, m, k, batch = (draw(st.integers(1, 4)) for _ in range(4))
    kind = draw(st.sampled_from(["vec.vec", "mat@vec", "vec@mat", "mat@mat", "batch@mat"]))
    a_shape, b_shape = {
        "vec.vec": ((m,), (m,)),
        "mat@vec": ((n, m), (m,)),
        "vec@mat": ((m,), (m, k)),
        "mat@mat": ((n, m), (m, k)),
        "batch@mat": ((batch, n, m), (m, k)),
    }[kind]
    return (
        draw(hnp.arrays(np.float64, a_shape, elements=floats())),
        draw(hnp.arrays(np.float64, b_shape, elements=floats())),
    )


@st.composite
def fancy_index(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """An array and an integer index array into its first axis, repeats allowed."""
    a = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4), elements=floats()))
    idx = draw(hnp.arrays(np.intp, st.integers(1, 6), elements=st.integers(0, a.shape[0] - 1)))
    return a, idx


@st.composite
def joinable(draw: st.DrawFn, same_shape: bool) -> tuple[np.ndarray, ...]:
    count, rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return tuple(
        draw(
            hnp.arrays(np.float64, (rows if same_shape else draw(st.integers(1, 3)), cols), elements=floats())
        )
        for _ in range(count)
    )


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Tensor]  # on Tensors
    ref: Callable[..., np.ndarray]  # the same function in plain numpy, for the finite differences
    inputs: st.SearchStrategy  # a tuple of arrays (the differentiable inputs)
    ties_matter: bool = False  # maximum: finite differences are wrong where a == b

    def __repr__(self) -> str:
        return self.name


CASES = [
    Case("add", lambda a, b: a + b, np.add, two()),
    Case("sub", lambda a, b: a - b, np.subtract, two()),
    Case("mul", lambda a, b: a * b, np.multiply, two()),
    Case("div", lambda a, b: a / b, np.divide, two(floats(), away_from_zero(0.5))),
    Case("maximum", lambda a, b: a.maximum(b), np.maximum, two(), ties_matter=True),
    Case("pow tensor", lambda a, b: a**b, np.power, two(floats(0.5, 2.0), floats(-2.0, 2.0))),
    Case("rpow number", lambda a: 2.0**a, lambda a: 2.0**a, one()),
    Case("neg", lambda a: -a, np.negative, one()),
    Case("**2", lambda a: a**2, lambda a: a * a, one()),
    Case("**3", lambda a: a**3, lambda a: a**3, one()),
    Case("**1.5", lambda a: a**1.5, lambda a: a**1.5, one(floats(0.2, 3.0))),
    Case("**-1", lambda a: a**-1, lambda a: 1.0 / a, one(away_from_zero(0.5))),
    Case("exp", Tensor.exp, np.exp, one()),
    Case("log", Tensor.log, np.log, one(floats(0.2, 5.0))),
    Case("sqrt", Tensor.sqrt, np.sqrt, one(floats(0.2, 5.0))),
    Case("abs", Tensor.abs, np.abs, one(away_from_zero())),
    Case("tanh", Tensor.tanh, np.tanh, one()),
    Case("sigmoid", Tensor.sigmoid, _sigmoid, one()),
    Case("relu", Tensor.relu, lambda a: np.maximum(a, 0.0), one(away_from_zero())),
    Case("sum", lambda a: a.sum(), np.sum, one()),
    Case(
        "sum axis 0",
        lambda a: a.sum(axis=0),
        lambda a: a.sum(axis=0),
        one(shapes=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)),
    ),
    Case(
        "sum axis -1 keepdims",
        lambda a: a.sum(axis=-1, keepdims=True),
        lambda a: a.sum(axis=-1, keepdims=True),
        one(shapes=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)),
    ),
    Case("mean", lambda a: a.mean(), np.mean, one()),
    Case(
        "mean axes (0, 1)",
        lambda a: a.mean(axis=(0, 1)),
        lambda a: a.mean(axis=(0, 1)),
        one(shapes=hnp.array_shapes(min_dims=2, max_dims=3, max_side=4)),
    ),
    Case("reshape", lambda a: a.reshape(-1), lambda a: a.reshape(-1), one()),
    Case("transpose", lambda a: a.transpose(), np.transpose, one()),
    Case(".T", lambda a: a.T, lambda a: a.T, one()),
    Case(
        "transpose (1, 2, 0)",
        lambda a: a.transpose(1, 2, 0),
        lambda a: a.transpose(1, 2, 0),
        one(shapes=hnp.array_shapes(min_dims=3, max_dims=3, max_side=4)),
    ),
    Case(
        "broadcast_to",
        lambda a: a.broadcast_to((2, 3) + a.shape),
        lambda a: np.broadcast_to(a, (2, 3) + a.shape),
        one(shapes=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)),
    ),
    Case(
        "slice",
        lambda a: a[1:, ::-1],
        lambda a: a[1:, ::-1],
        one(shapes=hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=4)),
    ),
    Case(
        "int and None index",
        lambda a: a[0, None],
        lambda a: a[0, None],
        one(shapes=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)),
    ),
    Case("matmul", lambda a, b: a @ b, np.matmul, matmul_pair()),
    Case(
        "concatenate",
        lambda *ts: concatenate(ts, axis=0),
        lambda *a: np.concatenate(a, axis=0),
        joinable(same_shape=False),
    ),
    Case("stack", lambda *ts: stack(ts, axis=1), lambda *a: np.stack(a, axis=1), joinable(same_shape=True)),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
@given(data=st.data())
def test_op_gradient_matches_finite_differences(case: Case, data: st.DataObject) -> None:
    arrays = list(data.draw(case.inputs, label="inputs"))
    if case.ties_matter:
        a, b = np.broadcast_arrays(*arrays)
        assume(np.all(np.abs(a - b) > 1e-3))
    # which inputs require grad (at least one); the others must be left without a gradient
    needs = data.draw(st.lists(st.booleans(), min_size=len(arrays), max_size=len(arrays)), label="needs")
    assume(any(needs))
    # the gradient arriving at the op: a random array, or the uniform 1/n of a mean
    upstream = data.draw(st.sampled_from(["weighted sum", "mean"]), label="upstream")
    expected = case.ref(*arrays)
    weights = data.draw(hnp.arrays(np.float64, np.shape(expected), elements=floats(-2, 2)), label="weights")

    def loss_np(*arrs: np.ndarray) -> float:
        out = case.ref(*arrs)
        return float(np.sum(out * weights) if upstream == "weighted sum" else np.mean(out))

    tensors = [Tensor(a.copy(), requires_grad=n) for a, n in zip(arrays, needs)]
    out = case.fn(*tensors)
    assert_close(out.data, expected, rtol=EXACT, atol=EXACT)
    # the same op builds no graph on data that needs no gradient, or under no_grad
    untracked = case.fn(*[Tensor(a) for a in arrays])
    with no_grad():
        frozen = case.fn(*tensors)
    for plain in (untracked, frozen):
        assert plain.is_leaf() and not plain.requires_grad and plain.op == ""
        np.testing.assert_array_equal(plain.data, out.data)
    loss = (out * weights).sum() if upstream == "weighted sum" else out.mean()
    loss.backward()
    for i, (t, n) in enumerate(zip(tensors, needs)):
        if not n:
            assert t.grad is None
            continue
        assert t.grad.shape == arrays[i].shape
        assert_close(t.grad, numeric_grad(loss_np, arrays, i), rtol=FD_RTOL, atol=FD_ATOL)


@given(data=fancy_index(), weights_seed=st.integers(0, 2**32 - 1))
def test_fancy_index_gradient_matches_finite_differences(data, weights_seed: int) -> None:
    a, idx = data
    weights = np.random.default_rng(weights_seed).normal(size=a[idx].shape)
    t = Tensor(a.copy(), requires_grad=True)
    (t[idx] * weights).sum().backward()
    numeric = numeric_grad(lambda arr: float(np.sum(arr[idx] * weights)), [a], 0)
    assert_close(t.grad, numeric, rtol=FD_RTOL, atol=FD_ATOL)


def test_too_coarse_finite_difference_step_would_fail() -> None:
    """The tolerances are tight enough to catch a sloppy check (a step of 0.1 on exp)."""
    a = np.array([1.0, 2.0])
    t = Tensor(a, requires_grad=True)
    t.exp().sum().backward()
    coarse = (np.exp(a + 0.1) - np.exp(a - 0.1)) / 0.2
    assert not allclose(t.grad, coarse, rtol=FD_RTOL, atol=FD_ATOL)
    assert_close(t.grad, np.exp(a), rtol=EXACT, atol=0.0)


# --- broadcasting -----------------------------------------------------------------------------


def test_column_times_row_broadcasts_to_a_matrix_and_gradients_sum_back() -> None:
    a = Tensor([[1.0], [2.0], [3.0]], requires_grad=True)  # (3, 1)
    b = Tensor([[10.0, 20.0, 30.0, 40.0]], requires_grad=True)  # (1, 4)
    out = a * b
    assert out.shape == (3, 4)
    out.sum().backward()
    # each a[i] multiplied all four b's: dL/da[i] = sum_j b[j]; each b[j] all three a's
    np.testing.assert_array_equal(a.grad, [[100.0], [100.0], [100.0]])
    np.testing.assert_array_equal(b.grad, [[6.0, 6.0, 6.0, 6.0]])


def test_scalar_with_matrix() -> None:
    s = Tensor(2.0, requires_grad=True)
    m = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (s * m).sum().backward()
    assert s.grad.shape == ()
    assert s.grad == 10.0  # sum of m
    np.testing.assert_array_equal(m.grad, np.full((2, 2), 2.0))


def test_vector_with_matrix() -> None:
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (m - v).mean().backward()
    np.testing.assert_array_equal(v.grad, [-2 / 6, -2 / 6, -2 / 6])  # used in both rows, each 1/6
    np.testing.assert_array_equal(m.grad, np.full((2, 3), 1 / 6))


@pytest.mark.parametrize(
    ("grad_shape", "shape", "expected"),
    [
        ((3, 4), (1, 4), np.full((1, 4), 3.0)),
        ((3, 4), (4,), np.full((4,), 3.0)),
        ((2, 3, 4), (3, 1), np.full((3, 1), 8.0)),
        ((2, 3), (), np.array(6.0)),
        ((2, 3), (2, 3), np.ones((2, 3))),
    ],
)
def test_unbroadcast_sums_over_broadcast_axes(grad_shape, shape, expected) -> None:
    np.testing.assert_array_equal(unbroadcast(np.ones(grad_shape), shape), expected)
    # the same through the shortcut for a broadcast constant (what sum/mean pass back)
    np.testing.assert_array_equal(unbroadcast(np.broadcast_to(1.0, grad_shape), shape), expected)


def test_unbroadcast_of_distinct_entries() -> None:
    g = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (1, 4)), [[12.0, 15.0, 18.0, 21.0]])
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), [[6.0], [22.0], [38.0]])
    assert unbroadcast(g, ()) == 66.0


# --- the worked step of SOURCE.md section 2 -----------------------------------------------------

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]  # training points of the step-by-step tutorial
LR = 0.01


def test_worked_step_matches_hand_formulas_and_value_engine() -> None:
    w, b = Tensor(1.0, requires_grad=True, name="w"), Tensor(0.0, requires_grad=True, name="b")
    x, y = Tensor(XS), Tensor(YS)
    loss = ((w * x + b - y) ** 2).sum()
    loss.backward()

    # analytic: Loss = sum (w x + b - y)^2, dLoss/dw = sum 2 (w x + b - y) x, dLoss/db = sum 2 (w x + b - y)
    r = [1.0 * xi + 0.0 - yi for xi, yi in zip(XS, YS)]
    assert loss.item() == sum(ri * ri for ri in r) == 29.0
    assert w.grad.item() == sum(2 * ri * xi for ri, xi in zip(r, XS)) == -40.0
    assert b.grad.item() == sum(2 * ri for ri in r) == -18.0

    # the scalar engine on the same numbers
    vw, vb = Value(1.0), Value(0.0)
    vloss = sum((vw * xi + vb - yi) ** 2 for xi, yi in zip(XS, YS))
    vloss.backward()
    assert (loss.item(), w.grad.item(), b.grad.item()) == (vloss.data, vw.grad, vb.grad)

    with no_grad():
        w.data -= LR * w.grad
        b.data -= LR * b.grad
    assert_close(w.item(), 1.4, rtol=0.0, atol=EXACT)
    assert_close(b.item(), 0.18, rtol=0.0, atol=EXACT)
    new_loss = ((w * x + b - y) ** 2).sum()
    assert_close(new_loss.item(), 12.9612, rtol=0.0, atol=1e-10)
    by_hand = sum((1.4 * xi + 0.18 - yi) ** 2 for xi, yi in zip(XS, YS))
    assert_close(new_loss.item(), by_hand, rtol=0.0, atol=EXACT)


def test_mse_step_of_the_benchmark_matches_the_hand_written_gradient() -> None:
    rng = np.random.default_rng(1)
    xs, ys = rng.uniform(0, 1, 1000), rng.uniform(0, 1, 1000)
    w, b = Tensor(0.5, requires_grad=True), Tensor(-0.25, requires_grad=True)
    ((w * xs + b - ys) ** 2).mean().backward()
    r = 0.5 * xs - 0.25 - ys
    assert_close(w.grad.item(), 2 * np.mean(r * xs), rtol=1e-12, atol=1e-12)
    assert_close(b.grad.item(), 2 * np.mean(r), rtol=1e-12, atol=1e-12)


# --- indexing ---------------------------------------------------------------------------------


def test_repeated_fancy_indices_accumulate() -> None:
    t = Tensor([10.0, 20.0, 30.0, 40.0], requires_grad=True)
    picked = t[np.array([2, 0, 2, 2])]  # sample 2 drawn three times
    np.testing.assert_array_equal(picked.data, [30.0, 10.0, 30.0, 30.0])
    (picked * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 0.0, 1.0 + 3.0 + 4.0, 0.0])


def test_repeated_index_pairs_in_a_matrix_accumulate() -> None:
    m = Tensor(np.zeros((2, 3)), requires_grad=True)
    m[[0, 0, 1], [1, 1, 2]].sum().backward()
    np.testing.assert_array_equal(m.grad, [[0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])


def test_boolean_mask_and_tensor_index() -> None:
    t = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    t[np.array([True, False, True])].sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 0.0, 1.0])
    u = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    u[Tensor([1, 1])].sum().backward()
    np.testing.assert_array_equal(u.grad, [0.0, 2.0, 0.0])


# --- no_grad, backward rules ------------------------------------------------------------------


def test_no_grad_context_builds_no_graph() -> None:
    w = Tensor(2.0, requires_grad=True)
    with no_grad():
        out = w * 3.0 + 1.0
    assert not out.requires_grad and out.is_leaf() and out.op == "" and out.parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.backward()
    tracked = w * 3.0  # recording is back on after the block
    assert tracked.requires_grad and tracked.parents[0] is w and tracked.op == "*"


def test_no_grad_decorator_and_exception_restore_the_switch() -> None:
    w = Tensor(2.0, requires_grad=True)

    @no_grad()
    def predict(x: float) -> Tensor:
        return w * x

    assert predict(3.0).is_leaf()
    with pytest.raises(ZeroDivisionError), no_grad():
        w / 0.0
    assert (w * 1.0).requires_grad


def test_requires_grad_propagates_only_from_inputs_that_require_it() -> None:
    x, y = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    data_only = x * y
    assert not data_only.requires_grad and data_only.is_leaf()
    w = Tensor(1.0, requires_grad=True)
    out = w * x
    assert out.requires_grad and out.parents == (w, x)
    out.sum().backward()
    assert x.grad is None and w.grad.item() == 3.0


def test_non_scalar_backward_needs_a_grad() -> None:
    t = Tensor(np.ones((3, 2)), requires_grad=True)
    out = t * 2.0
    with pytest.raises(
        ValueError,
        match=r"^backward\(\) needs a scalar, got shape \(3, 2\); call \.sum\(\) or "
        r"\.mean\(\) first, or pass grad=",
    ):
        out.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(2,\), the tensor has \(3, 2\)"):
        out.backward(np.ones(2))
    g = np.arange(6.0).reshape(3, 2)
    out.backward(g)
    np.testing.assert_array_equal(t.grad, 2.0 * g)
    np.testing.assert_array_equal(g, np.arange(6.0).reshape(3, 2))  # the caller's array is untouched


def test_a_leaf_seeded_with_the_callers_array_never_writes_into_it() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([5.0, 7.0])
    x.backward(g)
    x.backward(g)
    np.testing.assert_array_equal(x.grad, [10.0, 14.0])
    np.testing.assert_array_equal(g, [5.0, 7.0])


def test_kinks_and_ties_use_the_pytorch_subgradients() -> None:
    a = Tensor([1.0, 2.0, 0.0], requires_grad=True)
    b = Tensor([1.0, 3.0, -1.0], requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])  # a tie splits the gradient in half
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])
    z = Tensor([0.0, 0.0], requires_grad=True)
    (z.relu() + z.abs()).sum().backward()
    np.testing.assert_array_equal(z.grad, [0.0, 0.0])


def test_a_leaf_that_stops_requiring_grad_gets_none() -> None:
    w, x = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    loss = w * x
    x.requires_grad = False  # e.g. freezing a parameter after the graph was built
    loss.backward()
    assert w.grad == 3.0 and x.grad is None


def test_size_one_tensor_of_any_shape_is_a_scalar_for_backward() -> None:
    t = Tensor([[2.0]], requires_grad=True)
    (t * t).backward()
    np.testing.assert_array_equal(t.grad, [[4.0]])


def test_two_backward_calls_give_exactly_twice_the_leaf_gradients() -> None:
    rng = np.random.default_rng(3)
    w = Tensor(rng.normal(size=3), requires_grad=True)
    x = Tensor(rng.normal(size=(5, 3)))
    hidden = (x @ w).tanh()
    loss = (hidden * hidden).mean()
    loss.backward()
    first, hidden_first = w.grad.copy(), hidden.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * first)
    np.testing.assert_array_equal(hidden.grad, hidden_first)  # intermediates start from nothing
    w.zero_grad()
    assert w.grad is None
    loss.backward()
    np.testing.assert_array_equal(w.grad, first)


def test_intermediate_gradients_are_kept_after_backward() -> None:
    w = Tensor(2.0, requires_grad=True)
    x = Tensor([1.0, 2.0])
    pred = w * x
    err = pred - 1.0
    loss = (err**2).sum()
    loss.backward()
    np.testing.assert_array_equal(err.grad, [2.0, 6.0])  # 2 * err
    np.testing.assert_array_equal(pred.grad, [2.0, 6.0])
    assert loss.grad == 1.0


def test_deep_chain_does_not_hit_the_recursion_limit() -> None:
    x = Tensor(1.0, requires_grad=True)
    s = x
    for _ in range(5000):
        s = s + x
    s.backward()
    assert x.grad == 5001.0


# --- gradient arrays are never shared in a harmful way ----------------------------------------


def test_passthrough_gradients_do_not_leak_between_nodes() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    t = a * 1.0  # an intermediate that will receive two contributions
    u = t + b  # passes its gradient to t and b unchanged
    v = u + t  # t's second contribution
    loss = (v * Tensor([1.0, 10.0])).sum()
    loss.backward()
    np.testing.assert_array_equal(v.grad, [1.0, 10.0])
    np.testing.assert_array_equal(u.grad, [1.0, 10.0])  # not changed by t's accumulation
    np.testing.assert_array_equal(t.grad, [2.0, 20.0])
    np.testing.assert_array_equal(b.grad, [1.0, 10.0])
    np.testing.assert_array_equal(a.grad, [2.0, 20.0])
    # a user (or an optimizer) changing a leaf gradient in place changes nothing else
    b.grad *= 0.0
    np.testing.assert_array_equal(u.grad, [1.0, 10.0])
    np.testing.assert_array_equal(v.grad, [1.0, 10.0])
    assert a.grad is not b.grad


def test_same_tensor_twice_in_one_op() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    t = x * 1.0
    s = t + t  # Add hands the same gradient array to t twice
    (s * Tensor([3.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(s.grad, [3.0, 5.0])
    np.testing.assert_array_equal(t.grad, [6.0, 10.0])
    np.testing.assert_array_equal(x.grad, [6.0, 10.0])
    y = Tensor(3.0, requires_grad=True)
    (y * y).backward()  # d(y*y)/dy = 2y
    assert y.grad == 6.0


def test_reduction_gradients_of_leaves_are_writable_arrays_of_their_own() -> None:
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    x.sum().backward()  # sum passes back a broadcast view; the leaf must get a real array
    x.grad += 1.0
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 2.0))



def test_a_scaled_gradient_is_multiplied_out_when_read_and_never_shared_with_a_leaf() -> None:
    # the mean of squares hands (2/n) * r back as a number and an array (ops.Scaled)
    p = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    w = Tensor(2.0, requires_grad=True)
    r = w * p - Tensor([0.0, 1.0, 1.0])  # [2, 3, 7]
    q = r + 0.0
    loss = (q**2).mean() + (r**2).mean()  # r gets two scaled gradients: they add up
    loss.backward()
    expected_q = 2.0 / 3.0 * np.array([2.0, 3.0, 7.0])
    assert_close(q.grad, expected_q, rtol=1e-15, atol=0.0)
    assert type(q.grad) is np.ndarray and q.grad is q.grad  # multiplied out once, then kept
    assert_close(r.grad, 2.0 * expected_q, rtol=1e-15, atol=0.0)
    assert_close(p.grad, 2.0 * 2.0 * expected_q, rtol=1e-15, atol=0.0)
    assert_close(w.grad, 2.0 * expected_q @ [1.0, 2.0, 4.0], rtol=1e-15, atol=0.0)
    p.grad *= 0.0  # the leaf's array is its own
    assert_close(q.grad, expected_q, rtol=1e-15, atol=0.0)
    leaf = Tensor([1.0, 3.0], requires_grad=True)
    ((leaf - 1.0) ** 2).sum().backward()  # a leaf right behind the scaled gradient
    leaf.grad += 1.0
    np.testing.assert_array_equal(leaf.grad, [1.0, 5.0])


def test_a_scaled_gradient_through_matmul_scales_the_products() -> None:
    X = Tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 4.0]], requires_grad=True)
    w = Tensor([0.5, -1.5], requires_grad=True)
    y = np.array([1.0, 2.0, -1.0])
    ((X @ w - y) ** 2).mean().backward()  # matmul receives (2/3) r as a Scaled
    r = X.data @ w.data - y
    assert_close(w.grad, 2.0 / 3.0 * X.data.T @ r, rtol=1e-14, atol=0.0)
    assert_close(X.grad, 2.0 / 3.0 * np.outer(r, w.data), rtol=1e-14, atol=0.0)

# --- construction, dtypes, API ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "dtype_name"),
    [
        (np.array([1 + 2j]), "complex128"),
        (np.array([object()], dtype=object), "object"),
        (np.array(["a", "b"]), "<U1"),
        ("text", "<U4"),
    ],
)
def test_non_real_dtypes_are_refused(data, dtype_name: str) -> None:
    with pytest.raises(TypeError, match=f"Tensor needs real numbers, got an array of dtype {dtype_name}"):
        Tensor(data)


def test_a_list_of_tensors_points_to_stack() -> None:
    with pytest.raises(TypeError, match="use stack"):
        Tensor([Tensor(1.0), Tensor(2.0)])


def test_conversions() -> None:
    assert Tensor(3).dtype == np.float64 and Tensor(3).item() == 3.0
    assert Tensor([1, 2]).dtype == np.float64
    np.testing.assert_array_equal(Tensor(np.array([True, False])).data, [1.0, 0.0])
    assert Tensor(np.array([1.5], dtype=np.float32)).dtype == np.float32
    w32 = Tensor(np.array([1.5, 2.5], dtype=np.float32), requires_grad=True)
    (w32 * np.array([2.0, 4.0])).sum().backward()  # float64 arithmetic, float32 parameter
    assert w32.grad.dtype == np.float32 and list(w32.grad) == [2.0, 4.0]
    v32 = Tensor(np.array([1.5, 2.5], dtype=np.float32), requires_grad=True)
    ((v32 - np.array([1.0, 1.0])) ** 2).sum().backward()  # a scaled gradient reaching the leaf
    assert v32.grad.dtype == np.float32 and list(v32.grad) == [1.0, 3.0]
    arr = np.array([1.0, 2.0])
    assert Tensor(arr).numpy() is arr  # float64 arrays are wrapped, not copied


def test_properties_and_repr() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True, name="w")
    assert repr(t) == "Tensor([1. 2.], requires_grad=True, name='w')"
    assert repr(Tensor([[1, 2], [3, 4]])) == "Tensor([[1. 2.]\n        [3. 4.]])"
    assert repr(t * 2) == "Tensor([2. 4.], requires_grad=True, op='*')"
    assert (t.shape, t.ndim, t.size, len(t), t.dtype) == ((2,), 1, 2, 2, np.float64)
    t.label = "weights"
    assert t.name == "weights" and t.label == "weights"
    assert t.is_leaf() and t.op == "" and t.parents == () and t.grad is None
    d = t.detach()
    assert d.data is t.data and not d.requires_grad
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor with one entry, got shape \(2,\)"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_op_symbols() -> None:
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    m = Tensor(np.eye(2), requires_grad=True)
    cases = {
        "+": a + 1,
        "-": a - 1,
        "*": a * 2,
        "/": a / 2,
        "neg": -a,
        "**2": a**2,
        "**0.5": a**0.5,
        "**": a**a,
        "@": a @ m,
        "exp": a.exp(),
        "log": a.log(),
        "sqrt": a.sqrt(),
        "abs": abs(a),
        "tanh": a.tanh(),
        "sigmoid": a.sigmoid(),
        "relu": a.relu(),
        "max": a.maximum(1.5),
        "sum": a.sum(),
        "mean": a.mean(),
        "reshape": a.reshape(2),
        "transpose": a.T,
        "index": a[0],
        "broadcast": a.broadcast_to((3, 2)),
        "concat": concatenate([a, a]),
        "stack": stack([a, a]),
    }
    for symbol, t in cases.items():
        assert t.op == symbol
        assert not t.is_leaf() and a in t.parents


def test_numbers_and_arrays_on_either_side() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True)
    arr = np.array([10.0, 20.0])
    results = {
        "t + arr": (t + arr, [11.0, 22.0]),
        "arr + t": (arr + t, [11.0, 22.0]),
        "3 - t": (3 - t, [2.0, 1.0]),
        "arr * t": (arr * t, [10.0, 40.0]),
        "np.float64 * t": (np.float64(2.0) * t, [2.0, 4.0]),
        "2 / t": (2 / t, [2.0, 1.0]),
        "2 ** t": (2**t, [2.0, 4.0]),
        "arr @ t": (arr @ t, 50.0),
    }
    for name, (out, expected) in results.items():
        assert isinstance(out, Tensor), name
        assert_close(out.data, expected, rtol=EXACT, atol=0.0, msg=name)
        assert out.requires_grad, name


def test_reshape_and_transpose_accept_tuples() -> None:
    t = Tensor(np.arange(6.0))
    assert t.reshape(2, 3).shape == t.reshape((2, 3)).shape == (2, 3)
    m = Tensor(np.zeros((2, 3, 4)))
    assert m.transpose(2, 0, 1).shape == m.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert m.T.shape == (4, 3, 2)


# --- domain errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: Tensor([1.0, 0.0, -1.0]).log(),
            ValueError,
            r"log: needs positive entries, got 0\.0 at index \(1,\) "
            r"in shape \(3,\)",
        ),
        (
            lambda: Tensor([4.0, -1.0]).sqrt(),
            ValueError,
            r"sqrt: needs non-negative entries, got -1\.0 at index \(1,\)",
        ),
        (
            lambda: Tensor(np.ones(3)) @ Tensor(np.ones((4, 2))),
            ValueError,
            r"^matmul: shapes \(3,\) and \(4, 2\) do not align$",
        ),
        (
            lambda: Tensor(2.0) @ Tensor(np.ones(2)),
            ValueError,
            r"matmul: needs operands with at least 1 dimension",
        ),
        (
            lambda: Tensor(np.ones(3)) + Tensor(np.ones(4)),
            ValueError,
            r"^add: shapes \(3,\) and \(4,\) cannot broadcast$",
        ),
        (
            lambda: Tensor(np.ones(3)) * np.ones(4),
            ValueError,
            r"^mul: shapes \(3,\) and \(4,\) cannot broadcast$",
        ),
        (lambda: Tensor(np.ones(2)) / Tensor([1.0, 0.0]), ZeroDivisionError, r"div: division by zero"),
        (lambda: Tensor([-8.0]) ** 0.5, ValueError, r"pow: a negative base to the fractional power 0\.5"),
        (lambda: Tensor([0.0]) ** -1, ZeroDivisionError, r"pow: 0 to the negative power -1"),
        (lambda: Tensor([-1.0]) ** Tensor(2.0, requires_grad=True), ValueError, r"pow: .*positive base"),
        (lambda: Tensor(np.ones(6)).reshape(4, 2), ValueError, r"reshape: cannot reshape shape \(6,\)"),
        (lambda: Tensor(np.ones(3)).sum(axis=1), ValueError, r"axis 1 is out of bounds"),
        (lambda: Tensor(np.zeros(0)).mean(), ValueError, r"mean: the mean of an empty tensor"),
        (
            lambda: concatenate([Tensor(np.ones((2, 2))), Tensor(np.ones((2, 3)))]),
            ValueError,
            r"concatenate: shapes \(2, 2\) and \(2, 3\) along axis 0",
        ),
        (lambda: Tensor(np.ones(3))[5], IndexError, r"index: .*shape \(3,\)"),
    ],
)
def test_domain_errors_name_the_op_and_shapes(make, error, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


# --- the benchmark script runs --------------------------------------------------------------


def test_benchmark_script_runs_and_checks_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_tensor_step.py"
    spec = importlib.util.spec_from_file_location("bench_tensor_step", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--max-exp", "3", "--rounds", "1", "--repeats", "2", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "10^3" in out and "skipped" in out and "10^5" not in out
