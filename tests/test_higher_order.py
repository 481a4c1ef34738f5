"""Gradients of gradients on both engines, checked against finite differences and closed forms.

* every op's second derivative: the Hessian by autodiff (differentiating the gradient graph)
  against central differences of the *first-order* gradient (the engines' numeric pass);
* a third derivative of a polynomial against the formula;
* the Hessian of the linear-regression loss against ``2 A^T A / n`` (``A = [X, 1]``), Hessian-vector
  products, power iteration against ``max_stable_lr``, Newton's one step to least squares.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_lr import (
    GD,
    LinearRegression,
    Newton,
    Tensor,
    Value,
    draw_graph,
    fit,
    grad,
    hessian,
    hvp,
    largest_eigenvalue,
    max_stable_lr,
    mse,
    sse,
)
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.models import loss_hessian
from tinygrad_lr.tensor import concatenate, stack

FD_STEP = 1e-5  # central differences of the gradient: truncation ~h^2 f'''' , rounding ~eps f'/h
FD_RTOL = 2e-5  # what those two errors allow at the sizes of numbers drawn below
CLOSED_FORM_TOL = 1e-12  # the bar: autodiff Hessian vs 2 A^T A / n
LR_TOL = 1e-9  # the bar: 2 / lambda_max by power iteration vs max_stable_lr

finite = st.floats(-2.0, 2.0, allow_nan=False)
positive = st.floats(0.2, 2.0)


def fd_hessian(first_grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Central differences of the first derivative, column by column."""
    n = x.size
    H = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = FD_STEP
        H[:, j] = (first_grad(x + e) - first_grad(x - e)) / (2 * FD_STEP)
    return H


def assert_hessian_close(auto: np.ndarray, fd: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(fd).max()))
    assert_close(auto, fd, rtol=FD_RTOL, atol=FD_RTOL * scale)


# --- Value: every op ------------------------------------------------------------------------------

VALUE_OPS: list[tuple[str, Callable[..., Any], int, st.SearchStrategy[float]]] = [
    ("+", lambda a, b: a + b, 2, finite),
    ("-", lambda a, b: a - b, 2, finite),
    ("*", lambda a, b: a * b, 2, finite),
    ("/", lambda a, b: a / b, 2, positive),
    ("neg", lambda a: -a, 1, finite),
    ("**3", lambda a: a**3, 1, finite),
    ("**2", lambda a: a**2, 1, finite),
    ("**-1.5", lambda a: a**-1.5, 1, positive),
    ("**0.5", lambda a: a**0.5, 1, positive),
    ("** value", lambda a, b: a**b, 2, positive),
    ("2 ** x", lambda a: 2.0**a, 1, finite),
    ("1/3 ** x (exponent not exact in %g)", lambda a: (1 / 3) ** a, 1, finite),
    ("exp", lambda a: a.exp(), 1, finite),
    ("log", lambda a: a.log(), 1, positive),
    ("sqrt", lambda a: a.sqrt(), 1, positive),
    ("tanh", lambda a: a.tanh(), 1, finite),
    ("sigmoid", lambda a: a.sigmoid(), 1, finite),
    ("relu", lambda a: a.relu(), 1, finite),
    ("abs", lambda a: abs(a), 1, finite),
]


@pytest.mark.parametrize(("name", "op", "arity", "domain"), VALUE_OPS, ids=[c[0] for c in VALUE_OPS])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_value_second_derivatives_match_differences_of_the_first(name, op, arity, domain, data) -> None:
    x = np.array([data.draw(domain) for _ in range(arity)])
    if name in ("relu", "abs"):
        assume(abs(x[0]) > 10 * FD_STEP)  # the kink: no second derivative there

    def loss(vals: list[Value]) -> Value:
        out = op(*vals)
        return out * out * out + out * vals[0]  # cubed: the op's second derivative matters

    def first_grad(at: np.ndarray) -> np.ndarray:
        vals = [Value(float(v)) for v in at]
        loss(vals).backward()
        return np.array([v.grad for v in vals])

    vals = [Value(float(v)) for v in x]
    assert_hessian_close(hessian(loss(vals), vals), fd_hessian(first_grad, x))


def test_value_third_derivative_of_a_polynomial() -> None:
    # p(x) = 3x^4 - 2x^3 + x - 5: p' = 12x^3 - 6x^2 + 1, p'' = 36x^2 - 12x, p''' = 72x - 12
    for x0 in (-1.5, 0.0, 0.7, 2.0):
        x = Value(x0)
        p = 3 * x**4 - 2 * x**3 + x - 5
        (d1,) = grad(p, x, create_graph=True)
        (d2,) = grad(d1, x, create_graph=True)
        (d3,) = grad(d2, x)
        assert_close(d1.data, 12 * x0**3 - 6 * x0**2 + 1, rtol=1e-14, atol=1e-14)
        assert_close(d2.data, 36 * x0**2 - 12 * x0, rtol=1e-14, atol=1e-14)
        assert_close(d3.data, 72 * x0 - 12, rtol=1e-14, atol=1e-14)


def test_tensor_third_derivative_of_a_polynomial() -> None:
    x0 = np.array([-1.5, 0.0, 0.7, 2.0])
    x = Tensor(x0, requires_grad=True)
    p = (3 * x**4 - 2 * x**3 + x - 5).sum()
    (d1,) = grad(p, x, create_graph=True)
    (d2,) = grad(d1.sum(), x, create_graph=True)
    (d3,) = grad(d2.sum(), x)
    assert_close(d1.data, 12 * x0**3 - 6 * x0**2 + 1, rtol=1e-14, atol=1e-13)
    assert_close(d2.data, 36 * x0**2 - 12 * x0, rtol=1e-14, atol=1e-13)
    assert_close(d3.data, 72 * x0 - 12, rtol=1e-14, atol=1e-13)


# --- Tensor: every op -----------------------------------------------------------------------------

A_SHAPE, B_SHAPE = (2, 3), (1, 3)  # b broadcasts against a


def _pos(t: Tensor) -> Tensor:  # strictly positive inputs from any numbers, smoothly
    return t * t + 0.5


TENSOR_OPS: list[tuple[str, Callable[[Tensor, Tensor], Tensor]]] = [
    ("+ (broadcast)", lambda a, b: a + b),
    ("- (broadcast)", lambda a, b: a - b),
    ("* (broadcast)", lambda a, b: a * b),
    ("/ (broadcast)", lambda a, b: a / _pos(b)),
    ("max", lambda a, b: a.maximum(b * 1.5)),
    ("** tensor", lambda a, b: _pos(a) ** b),
    ("neg", lambda a, b: -a),
    ("**3", lambda a, b: a**3),
    ("**2", lambda a, b: a**2),
    ("**-0.5", lambda a, b: _pos(a) ** -0.5),
    ("**0", lambda a, b: a**0 + a),
    ("exp", lambda a, b: a.exp()),
    ("log", lambda a, b: _pos(a).log()),
    ("sqrt", lambda a, b: _pos(a).sqrt()),
    ("abs", lambda a, b: abs(a) * a),
    ("tanh", lambda a, b: a.tanh()),
    ("sigmoid", lambda a, b: a.sigmoid()),
    ("relu", lambda a, b: a.relu() * a),
    ("sum axis", lambda a, b: a.sum(axis=0) * b.reshape(3)),
    ("sum all", lambda a, b: a.sum() * b),
    ("mean keepdims", lambda a, b: a.mean(axis=1, keepdims=True) * a),
    ("reshape", lambda a, b: a.reshape(3, 2) * b.reshape(3, 1)),
    ("transpose", lambda a, b: a.T * b.T),
    ("broadcast_to", lambda a, b: b.broadcast_to((2, 3)) * a),
    ("getitem slice", lambda a, b: a[:, 1:] * b[0, :2]),
    ("getitem fancy (repeats)", lambda a, b: a[[0, 0, 1], 1] * b[0, [2, 2, 0]]),
    ("matmul 2-D", lambda a, b: a @ (b.T * a[0].reshape(3, 1))),
    ("matmul vector", lambda a, b: a @ b.reshape(3)),
    ("vector @ matrix", lambda a, b: b.reshape(3) @ a.T),
    ("concatenate", lambda a, b: concatenate([a, b], axis=0) * concatenate([b, a], axis=0)),
    ("stack", lambda a, b: stack([a[0], b[0]], axis=1) * stack([b[0], a[1]], axis=1)),
]


def _tensor_loss(op: Callable[[Tensor, Tensor], Tensor], a: Tensor, b: Tensor, c: np.ndarray) -> Tensor:
    out = op(a, b)
    return (out * out * out).sum() + (out.sum() * c[0]) ** 2


@pytest.mark.parametrize(("name", "op"), TENSOR_OPS, ids=[c[0] for c in TENSOR_OPS])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_tensor_second_derivatives_match_differences_of_the_first(name, op, seed) -> None:
    rng = np.random.default_rng(seed)
    a0, b0 = rng.uniform(-1.5, 1.5, A_SHAPE), rng.uniform(-1.5, 1.5, B_SHAPE)
    if name == "max":
        assume(np.abs(a0 - 1.5 * b0).min() > 1e-3)  # away from ties, where the slope jumps
    if name in ("abs", "relu"):
        assume(np.abs(a0).min() > 1e-3)
    c = rng.uniform(0.5, 1.0, 1)
    x0 = np.concatenate([a0.ravel(), b0.ravel()])

    def split(x: np.ndarray) -> tuple[Tensor, Tensor]:
        return (
            Tensor(x[: a0.size].reshape(A_SHAPE), requires_grad=True),
            Tensor(x[a0.size :].reshape(B_SHAPE), requires_grad=True),
        )

    def first_grad(x: np.ndarray) -> np.ndarray:
        a, b = split(x)
        _tensor_loss(op, a, b, c).backward()
        ga = np.zeros(A_SHAPE) if a.grad is None else a.grad
        gb = np.zeros(B_SHAPE) if b.grad is None else b.grad
        return np.concatenate([ga.ravel(), gb.ravel()])

    a, b = split(x0)
    auto = hessian(_tensor_loss(op, a, b, c), [a, b])
    assert_hessian_close(auto, fd_hessian(first_grad, x0))


def test_create_graph_gives_the_first_order_numbers_on_both_engines() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    for engine in ("value", "tensor"):
        plain = LinearRegression(2, w=[0.3, -0.7], b=0.2, engine=engine)
        graphy = LinearRegression(2, w=[0.3, -0.7], b=0.2, engine=engine)
        mse(plain(X), y).backward()
        mse(graphy(X), y).backward(create_graph=True)
        for p, q in zip(plain.parameters(), graphy.parameters()):
            assert hasattr(q.grad, "_prev"), "a leaf's gradient is a graph node"
            assert_close(np.asarray(q.grad.data), np.asarray(p.grad), rtol=1e-13, atol=1e-14)


def test_grad_leaves_dot_grad_alone_and_reports_unused_inputs() -> None:
    x, y, z = Value(2.0), Value(3.0), Value(5.0)
    out = x * y
    gx, gy = grad(out, [x, y])
    assert (gx.data, gy.data) == (3.0, 2.0)
    assert x.grad == 0.0 and y.grad == 0.0
    assert not gx._prev, "without create_graph the gradient is a plain number"
    with pytest.raises(ValueError, match="input 1 .* was not used"):
        grad(out, [x, z])
    assert grad(out, [x, z], allow_unused=True)[1] is None
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="needs grad_outputs"):
        grad(t * 2, t)
    (g,) = grad(t * t, t, grad_outputs=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(g.data, [2.0, 40.0])


def test_backward_create_graph_accumulates_and_can_be_differentiated_again() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True)
    (w**3).sum().backward(create_graph=True)  # dw = 3 w^2
    g = w.grad
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_array_equal(g.data, [3.0, 12.0])
    w.zero_grad()
    g.sum().backward()  # d(sum 3 w^2)/dw = 6 w
    np.testing.assert_array_equal(w.grad, [6.0, -12.0])


# --- the linear-regression claims --------------------------------------------------------------


def _problem(n: int = 40, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 3.0, 0.5][:d] + [0.5, -1.0, 2.0][:d]
    y = X @ np.array([1.5, -2.0, 0.7][:d]) + 0.3 + 0.1 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("loss", ["mse", "sse"])
@pytest.mark.parametrize("bias", [True, False])
def test_hessian_of_the_loss_is_the_closed_form(engine: str, loss: str, bias: bool) -> None:
    X, y = _problem()
    model = LinearRegression(3, bias=bias, w=[0.1, -0.2, 0.3], engine=engine)
    L = (mse if loss == "mse" else sse)(model(X), y)
    H = hessian(L, model.parameters())
    A = np.hstack([X, np.ones((len(X), 1))]) if bias else X
    closed = 2 * A.T @ A / (len(X) if loss == "mse" else 1)  # worked out here, not by loss_hessian
    assert_close(H, closed, rtol=CLOSED_FORM_TOL, atol=CLOSED_FORM_TOL * np.abs(closed).max())
    assert_close(H, loss_hessian(X, loss, bias), rtol=CLOSED_FORM_TOL, atol=0.0)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_hessian_vector_products(engine: str) -> None:
    X, y = _problem()
    model = LinearRegression(3, engine=engine, rng=3)
    A = np.hstack([X, np.ones((len(X), 1))])
    for v in np.random.default_rng(5).normal(size=(3, 4)):
        Hv = hvp(mse(model(X), y), model.parameters(), v)
        assert_close(Hv, 2 * A.T @ (A @ v) / len(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_power_iteration_gives_the_largest_stable_lr(engine: str, loss: str) -> None:
    X, y = _problem(d=2)
    model = LinearRegression(2, engine=engine, rng=1)
    L = (mse if loss == "mse" else sse)(model(X), y)
    lam = largest_eigenvalue(L, model.parameters())
    assert_close(2.0 / lam, max_stable_lr(X, loss), rtol=LR_TOL, atol=1e-12)


def test_power_iteration_on_the_tutorial_data() -> None:
    w, b = Value(0.0), Value(0.0)
    lam = largest_eigenvalue(sse([w * x + b for x in (1.0, 2.0, 3.0)], [3.0, 5.0, 7.0]), [w, b])
    assert_close(lam, 17 + math.sqrt(265), rtol=1e-13, atol=1e-12)  # eigenvalues of [[28, 12], [12, 6]]
    assert_close(2.0 / lam, max_stable_lr([1, 2, 3], "sse"), rtol=LR_TOL, atol=1e-12)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_newton_lands_on_least_squares_in_one_step(engine: str) -> None:
    X, y = _problem()
    model = LinearRegression(3, engine=engine, rng=7)
    opt = Newton(model.parameters())
    mse(model(X), y).backward(create_graph=True)
    opt.step()
    A = np.hstack([X, np.ones((len(X), 1))])
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    assert_close(model.param_vector(), best, rtol=1e-10, atol=1e-12)
    # the gradient there is 0: the normal equations hold
    opt.zero_grad()
    mse(model(X), y).backward()
    grads = np.concatenate([np.ravel(np.asarray(p.grad)) for p in model.parameters()])
    assert_close(grads, 0.0, rtol=1e-7, atol=1e-12)


def test_newton_in_fit_and_against_gd() -> None:
    X, y = _problem(d=2)
    A = np.hstack([X, np.ones((len(X), 1))])
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    newton = LinearRegression(2)
    fit(newton, (X, y), Newton(newton.parameters()), epochs=1)
    assert_close(newton.param_vector(), best, rtol=1e-10, atol=0.0)
    gd = LinearRegression(2)
    fit(gd, (X, y), GD(gd.parameters(), lr=0.5 * max_stable_lr(X)), epochs=1)
    assert np.abs(gd.param_vector() - best).max() > 0.1, "one GD step is far from the optimum"


def test_newton_refuses_a_numeric_gradient_and_a_singular_hessian() -> None:
    w, b = Value(0.0), Value(0.0)
    opt = Newton([w, b])
    sse([w * 1.0 + b], [2.0]).backward()
    with pytest.raises(RuntimeError, match="create_graph=True"):
        opt.step()
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        opt.step(sse([w * 1.0 + b], [2.0]))  # one sample, two parameters: a line of minima


def test_the_gradient_graph_can_be_drawn() -> None:
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    L = (w * 2.0 + b - 5.0) ** 2
    L.backward(create_graph=True)
    dot = draw_graph(w.grad)
    ops = {line.split("label=")[1].split()[0] for line in dot.source.splitlines() if "class=op" in line}
    assert {'"*"'} <= ops, "dL/dw = (dL/d(out) * 2(w*2+b-5)) * 2 is built from * nodes"
    assert "data -12" in dot.source  # dL/dw = 2 (2w + b - 5) * 2 = -12


# --- power iteration cannot be trapped by its start (issue 21) ---------------------------------

# X = [[0, 2], [2, 0], [1, -2], [-3, 2]] with an intercept: A = [X, 1] has A^T A (1, 1, 1) = 6 (1, 1, 1),
# so the all-ones vector is an eigenvector of the Hessian with eigenvalue 12 (SSE's 2 A^T A) or 3
# (MSE's), while the largest is 42.33 or 10.58. A start of all ones never leaves it.
TRAP_X = np.array([[0.0, 2.0], [2.0, 0.0], [1.0, -2.0], [-3.0, 2.0]])
TRAP_Y = np.array([1.0, -1.0, 2.0, 0.5])


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_power_iteration_is_not_trapped_by_an_eigenvector_of_a_smaller_eigenvalue(engine, loss):
    A = np.hstack([TRAP_X, np.ones((4, 1))])
    H = 2 * A.T @ A / (4 if loss == "mse" else 1)
    trap = 12.0 if loss == "sse" else 3.0  # what the all-ones start returned
    assert_close(H @ np.ones(3), trap * np.ones(3), rtol=1e-15, atol=0.0)
    top = np.linalg.eigvalsh(H)[-1]
    assert_close(top, 42.33 if loss == "sse" else 10.58, rtol=0.0, atol=0.01)  # the numbers
    model = LinearRegression(2, engine=engine)
    L = (mse if loss == "mse" else sse)(model(TRAP_X), TRAP_Y)
    assert_close(largest_eigenvalue(L, model.parameters()), top, rtol=1e-12, atol=1e-12)


def test_power_iteration_finds_the_top_of_many_hessians_whose_all_ones_vector_is_an_eigenvector():
    rng = np.random.default_rng(21)
    for d in (2, 3, 6):  # y = w . x (no intercept), X = U diag(s) Q^T with Q's smallest direction all ones
        for _ in range(5):
            Q = np.linalg.qr(np.column_stack([np.ones(d), rng.normal(size=(d, d - 1))]))[0]
            U = np.linalg.qr(rng.normal(size=(3 * d, d)))[0]
            s = np.sort(rng.uniform(1, 10, size=d))
            X = U @ np.diag(s) @ Q.T
            H = 2 * X.T @ X
            # the trap: the least eigenvalue
            assert allclose(H @ np.ones(d), 2 * s[0] ** 2 * np.ones(d), rtol=1e-5, atol=1e-8)
            model = LinearRegression(d, bias=False, engine="tensor")
            lam = largest_eigenvalue(sse(model(X), np.zeros(3 * d)), model.parameters())
            assert_close(lam, np.linalg.eigvalsh(H)[-1], rtol=1e-10, atol=1e-12)


def test_power_iteration_converges_to_a_real_tolerance_when_the_top_eigenvalues_are_close():
    # 8 parameters, eigenvalues 1, 1 - 1e-6, 1 - 2e-6, ... : the Rayleigh quotient moves by tiny
    # amounts long before one vector has turned (the old test stopped there); the block holds the
    # cluster apart and the residual test asks for an eigenvalue
    lams = np.array([1.0, 1 - 1e-6, 1 - 2e-6, 0.9, 0.5, 0.3, 0.2, 0.1])
    Q = np.linalg.qr(np.random.default_rng(3).normal(size=(8, 8)))[0]
    p = Tensor(np.zeros(8), requires_grad=True)
    c = Tensor(Q @ np.diag(lams) @ Q.T)
    L = 0.5 * (p * (c @ p)).sum()
    assert_close(largest_eigenvalue(L, [p]), 1.0, rtol=1e-10, atol=1e-12)


def test_power_iteration_says_so_when_it_cannot_settle():
    # 20 parameters, eigenvalues +1 (10 times) and -1 (10 times): no single largest by size, and a
    # block of 4 meets neither eigenspace, so it turns back and forth for ever; a guess would be a
    # silent wrong answer
    Q = np.linalg.qr(np.random.default_rng(4).normal(size=(20, 20)))[0]
    p = Tensor(np.zeros(20), requires_grad=True)
    c = Tensor(Q @ np.diag([1.0] * 10 + [-1.0] * 10) @ Q.T)
    with pytest.raises(ValueError, match="did not settle in 50 rounds"):
        largest_eigenvalue(0.5 * (p * (c @ p)).sum(), [p], max_iters=50)


def test_power_iteration_on_a_saddle_gives_the_positive_eigenvalue_of_the_largest_size():
    x, y = Value(0.0), Value(0.0)
    assert_close(largest_eigenvalue(x * y, [x, y]), 1.0, rtol=1e-12, atol=1e-12)  # eigenvalues +1 and -1
    assert_close(largest_eigenvalue(x * x - 3 * y * y, [x, y]), -6.0, rtol=1e-12, atol=1e-12)


def test_power_iteration_refuses_non_finite_curvature_and_bad_settings():
    x = Value(0.0)
    for c in (math.inf, math.nan):
        with pytest.raises(ValueError, match="inf or nan"):
            largest_eigenvalue(c * x * x, [x])
    for bad in (math.nan, math.inf, 0.0, -1.0, 1.0):
        with pytest.raises(ValueError, match="rtol"):
            largest_eigenvalue(x * x, [x], rtol=bad)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_iters"):
            largest_eigenvalue(x * x, [x], max_iters=bad)
