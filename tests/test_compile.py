"""The compiled step gives the eager engine's numbers: every op of both engines, fit, the CLI.

Parameters and gradients are compared to the bit (``np.array_equal`` on arrays of the same
dtype, ``==`` on floats) after many steps; losses to LOSS_RTOL, since a compiled
``(r**2).sum()`` is one dot product, which adds the same squares in another order.
"""

from __future__ import annotations

import json
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lr import GD, LinearRegression, Optimizer, Tensor, Value, fit, grad, no_grad, sse
from tinygrad_lr import ops as tensor_ops
from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.compile import CompileWarning, compile_step, trace
from tinygrad_lr.optim import OPTIMIZERS, make_optimizer
from tinygrad_lr.tensor import concatenate, stack

LOSS_RTOL = 1e-14  # the fused sum of squares adds in another order: ~1e-16 relative
STEPS = 30
W_FINAL, B_FINAL = 2.000148389025502, 0.9996626768662412  # the worked example after 1000 GD steps


def eager_run(fn, opt, steps, inputs=()):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        L = fn(*inputs)
        L.backward()
        losses.append(float(np.asarray(L.data)))
        opt.step()
    return losses


def compiled_run(fn, opt, steps, inputs=()):
    step = compile_step(fn, opt)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # a fallback fails the test
        losses = [step(*inputs) for _ in range(steps)]
    assert step.compiled, step.fallback_reason
    return losses, step


def assert_same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True), (a, b)


# --- the worked example ----------------------------------------------------------------------


def test_worked_example_value_step():
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    step = compile_step(
        lambda: sse([w * x + b for x in (1.0, 2.0, 3.0)], [3.0, 5.0, 7.0]), GD([w, b], lr=0.01)
    )
    assert step() == 29.0  # (3-1)^2 + (5-2)^2 + (7-3)^2
    assert (w.grad, b.grad) == (-40.0, -18.0)  # dL/dw = sum 2 r x, dL/db = sum 2 r
    for _ in range(999):
        step()
    assert (w.data, b.data) == (W_FINAL, B_FINAL)
    src = step.source
    assert src.index("# forward") < src.index("# backward") < src.index("def update")
    assert "t1 = w * 1.0" in src and "dL_dw += dL_dt5 * 2.0" in src
    assert "param_w.data = param_w.data - lr * param_w.grad" in src


def test_worked_example_tensor_step():
    w, b = Tensor(1.0, requires_grad=True, name="w"), Tensor(0.0, requires_grad=True, name="b")
    step = compile_step(lambda x, y: ((w * x + b - y) ** 2).sum(), GD([w, b], lr=0.01))
    x, y = Tensor([1.0, 2.0, 3.0]), Tensor([3.0, 5.0, 7.0])
    assert step(x, y) == 29.0
    assert (w.grad.item(), b.grad.item()) == (-40.0, -18.0)
    for _ in range(999):
        step(x, y)
    assert (w.item(), b.item()) == (W_FINAL, B_FINAL)
    assert "einsum('a,a->', t3, x)" in step.source  # dL/dw as one dot product


def test_source_before_the_first_call():
    w = Value(1.0, label="w")
    step = compile_step(lambda: (w - 3.0) ** 2, GD([w], lr=0.1))
    assert "t1 = w - 3.0" in step.source and w.data == 1.0  # reading it traces, and steps nothing
    with_inputs = compile_step(lambda x: (w - x) ** 2, GD([w], lr=0.1))
    with pytest.raises(RuntimeError, match="call the step once"):
        _ = with_inputs.source


# --- every Tensor op: compiled == eager after many steps ---------------------------------------

X5 = np.random.default_rng(7).uniform(0.5, 1.5, (5, 3))
Y5 = np.random.default_rng(8).uniform(0.5, 1.5, 5)
BIG = np.linspace(-1.0, 1.0, 5000)  # over BUFFER_MIN: the step writes into buffers

TENSOR_CASES = {  # name: (loss from the parameters, parameter shapes); every op of tinygrad_lr.ops is used
    "add sub matmul mean (linear regression)": (
        lambda w, b: ((Tensor(X5) @ w + b - Tensor(Y5)) ** 2).mean(),
        [(3,), ()],
    ),
    "mul, reflected ops": (lambda a, b: (2.0 * a * b - 1.0 + (3.0 - a)).sum(), [(4,), ()]),
    "div": (lambda a, b: (a / b + 1.0 / a).sum(), [(4,), (4,)]),
    "maximum": (lambda a, b: a.maximum(b).sum() + a.maximum(1.0).sum(), [(4,), ()]),
    "pow with a tensor exponent": (lambda a, b: (a**b).sum() + (2.0**a).sum(), [(4,), (4,)]),
    "neg": (lambda a: (-a * a).sum(), [(4,)]),
    "pow 2, 3, 0.5, 0": (lambda a: (a**2 + a**3 + a**0.5 + a**0 * a).mean(), [(4,)]),
    "exp log sqrt": (lambda a: ((0.1 * a).exp() + (a + 1.0).log() + (a + 1.0).sqrt()).sum(), [(4,)]),
    "abs tanh sigmoid relu": (
        lambda a: ((a - 1.0).abs() + a.tanh() + a.sigmoid() + (a - 1.0).relu()).sum(),
        [(4,)],
    ),
    "logsigmoid": (lambda a: ((3.0 * a).logsigmoid() - (-a).logsigmoid() * a).sum(), [(4,)]),
    "sum and mean over axes": (
        lambda a: (a.sum(axis=0) ** 2).sum() + (a.mean(axis=1, keepdims=True) * a).sum(),
        [(3, 4)],
    ),
    "reshape transpose broadcast_to": (
        lambda a, c: (
            (a.reshape(2, 6) ** 2).sum()
            + (a.T @ Tensor(np.ones(3))).sum()
            + (c.broadcast_to((3, 4)) * a).sum()
        ),
        [(3, 4), (4,)],
    ),
    "getitem (basic, repeated, mask)": (
        lambda a: (a[1:3] * a[[0, 0]]).sum() + a[Tensor(np.array([True, False, True, True]))].sum(),
        [(4,)],
    ),
    "matmul shapes": (
        lambda a, b, v: (a @ b).sum() + (v @ b).sum() + (a @ v[:4]).mean(),
        [(3, 4), (4, 2), (4,)],
    ),
    "concatenate stack": (
        lambda a, b: (concatenate([a, b]) ** 2).sum() + (stack([a, a], axis=1) * b[:1]).sum(),
        [(3,), (2,)],
    ),
    "a node used twice": (lambda a: (a * a + a).sum(), [(4,)]),
    "scatter (a gradient penalty through indexing)": (
        lambda a: (grad((a[[0, 0, 2]] ** 2).sum(), [a], create_graph=True)[0] ** 2).sum() + (a**2).sum(),
        [(4,)],
    ),
    "big arrays in buffers": (
        lambda a, c: (
            ((a * Tensor(BIG) + c).sigmoid() * Tensor(BIG) - 0.25).abs().mean()
            + ((a * Tensor(BIG) - c) ** 2).mean()
        ),
        [(), ()],
    ),
}


def make_tensor_params(shapes, dtype=np.float64):
    rng = np.random.default_rng(1)
    return [
        Tensor(rng.uniform(0.6, 1.4, s).astype(dtype), requires_grad=True, name=f"p{i}")
        for i, s in enumerate(shapes)
    ]


def builtin_ops(engine):
    """Every op the package defines for ``engine`` (ops a test registers itself left out)."""
    return {
        cls
        for cls in tensor_ops.registry().values()
        if engine in cls.engines and cls.__module__.startswith("tinygrad_lr.ops")
    }


def test_every_tensor_op_is_in_the_table():
    used = set()
    for build, shapes in TENSOR_CASES.values():
        params = make_tensor_params(shapes)
        order = trace.topological_order(build(*params))
        used |= {type(n._fn) for n in order if n._fn is not None}
    assert builtin_ops("tensor") <= used, builtin_ops("tensor") - used


@pytest.mark.parametrize("name", list(TENSOR_CASES))
def test_tensor_op_compiled_equals_eager(name):
    build, shapes = TENSOR_CASES[name]
    p1, p2 = make_tensor_params(shapes), make_tensor_params(shapes)
    eager = eager_run(lambda: build(*p1), GD(p1, lr=0.01), STEPS)
    compiled, _ = compiled_run(lambda: build(*p2), GD(p2, lr=0.01), STEPS)
    for a, b in zip(p1, p2):
        assert_same_bits(a.data, b.data)
        assert_same_bits(a.grad, b.grad)
    assert_close(compiled, eager, rtol=LOSS_RTOL, atol=0)


def test_float32_parameters_keep_their_dtype():
    build = lambda w, b: ((w * Tensor(BIG) + b - Tensor(BIG * 2.0)) ** 2).mean()  # noqa: E731
    p1, p2 = make_tensor_params([(), ()], np.float32), make_tensor_params([(), ()], np.float32)
    eager_run(lambda: build(*p1), GD(p1, lr=0.1), STEPS)
    compiled_run(lambda: build(*p2), GD(p2, lr=0.1), STEPS)
    for a, b in zip(p1, p2):
        assert_same_bits(a.grad, b.grad)
        assert np.asarray(a.data).item() == np.asarray(b.data).item()


# --- every Value op -----------------------------------------------------------------------------

VALUE_CASES = {
    "+ - * (and reflected)": lambda a, b: (a * 3 + b - 2) ** 2 + (1 - a) * (2 + b) + 2 * a - b,
    "/ (and reflected)": lambda a, b: (a / b) ** 2 + 1 / a,
    "neg and +a": lambda a, b: (-a) ** 2 + (+b) * a,
    "a ** b": lambda a, b: a**b,
    "a ** n": lambda a, b: a**3 + a**0.5 + b**-1 + a**0 + b**1 + a**2.5,
    "c ** x": lambda a, b: 2**a + 0.5**b,
    "exp log sqrt": lambda a, b: (0.1 * a).exp() + (b + 1.0).log() + a.sqrt(),
    "tanh sigmoid": lambda a, b: a.tanh() + (b - 1).sigmoid() + (-3 * b).sigmoid(),
    "logsigmoid": lambda a, b: (3 * a).logsigmoid() - (-b).logsigmoid() * a,
    "relu abs": lambda a, b: (a - 0.6).relu() + (b - 0.6).abs() + (a - 0.5).abs() + (b - 2.0).relu(),
    "maximum": lambda a, b: a.maximum(b) + (a * 2.0).maximum(b) + b.maximum(1.0) * a,
}


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_value_op_compiled_equals_eager(name):
    build = VALUE_CASES[name]
    p1 = [Value(0.9, label="a"), Value(1.3, label="b")]
    p2 = [Value(0.9, label="a"), Value(1.3, label="b")]
    eager = eager_run(lambda: build(*p1), GD(p1, lr=0.01), STEPS)
    compiled, _ = compiled_run(lambda: build(*p2), GD(p2, lr=0.01), STEPS)
    assert [p.data for p in p1] == [p.data for p in p2]
    assert [p.grad for p in p1] == [p.grad for p in p2]
    assert compiled == eager  # straight-line code does the engine's float operations, in its order


def test_every_value_op_is_in_the_table():
    used = set()
    for build in VALUE_CASES.values():
        root = build(Value(0.9), Value(1.3))
        used |= {type(n.grad_fn) for n in trace.topological_order(root) if n.grad_fn is not None}
    assert used == builtin_ops("value"), builtin_ops("value") ^ used


# --- property: random linear regressions, both engines -----------------------------------------


@given(
    n=st.integers(1, 12),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    lr=st.floats(1e-3, 0.05),
    loss=st.sampled_from(["sse", "mse"]),
    engine=st.sampled_from(["value", "tensor"]),
)
def test_fit_compiled_equals_eager(n, d, seed, lr, loss, engine):
    rng = np.random.default_rng(seed)
    X, y = rng.uniform(-1, 1, (n, d)), rng.uniform(-1, 1, n)
    runs = []
    for compiled in (False, True):
        m = LinearRegression(d, engine=engine, rng=seed)
        h = fit(m, (X, y), "gd", lr=lr, loss=loss, epochs=15, compile=compiled, patience=None)
        runs.append((m.param_vector(), h.losses))
    assert_same_bits(runs[0][0], runs[1][0])
    assert_close(runs[1][1], runs[0][1], rtol=LOSS_RTOL, atol=1e-300)


# --- every optimizer, through fit ---------------------------------------------------------------


class Momentum(Optimizer):
    """An optimizer with its own step() (and state): the compiled step must call it."""

    name = "momentum-test"

    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        self.beta, self.v = beta, [0.0 for _ in self.params]

    def step(self):
        with no_grad():
            for i, p in enumerate(self.params):
                self.v[i] = self.beta * self.v[i] + p.grad
                p.data = p.data - self.lr * self.v[i]


def optimizers(model):
    for name in OPTIMIZERS:
        kwargs = {"batch_size": 2} if name == "minibatch" else {}
        yield name, make_optimizer(name, model.parameters(), 0.01, **kwargs)
    yield "momentum (own step)", Momentum(model.parameters(), 0.01)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_every_optimizer_compiled_equals_eager(engine):
    data = ([1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 5.0, 7.0, 9.5, 10.5])
    names = [name for name, _ in optimizers(LinearRegression(engine=engine))]
    for k, name in enumerate(names):
        runs = []
        for compiled in (False, True):
            m = LinearRegression(w=1.0, b=0.0, engine=engine)
            opt = dict(optimizers(m))[name]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                h = fit(m, data, opt, loss="sse", epochs=40, rng=k, compile=compiled)
            runs.append((m.param_vector(), h.losses))
            # only an optimizer that differentiates the gradient again (Newton) needs the graph
            fell_back = [w for w in caught if issubclass(w.category, CompileWarning)]
            assert len(fell_back) == (1 if compiled and getattr(opt, "create_graph", False) else 0), name
        assert_same_bits(runs[0][0], runs[1][0])
        assert_close(runs[1][1], runs[0][1], rtol=LOSS_RTOL, atol=0)


def test_compiled_sgd_with_replacement_and_short_batches_retraces():
    data = ([1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 5.0, 7.0, 9.5, 10.5])
    runs = []
    for compiled in (False, True):
        m = LinearRegression(w=1.0, b=0.0, engine="tensor")
        opt = make_optimizer("minibatch", m.parameters(), 0.01, batch_size=2, replacement=True)
        fit(m, data, opt, epochs=30, rng=3, compile=compiled)  # batches of 2, 2 and 1: two programs
        runs.append(m.param_vector())
    assert_same_bits(runs[0], runs[1])


# --- inputs, shapes, retracing ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_new_inputs_of_new_shapes(engine):
    batches = [
        ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]),
        ([2.0, 0.5, 1.0], [4.0, 2.0, 3.0]),
        ([1.0, 4.0], [3.0, 9.0]),
    ]

    def params():
        if engine == "value":
            return Value(1.0, label="w"), Value(0.0, label="b")
        return Tensor(1.0, requires_grad=True, name="w"), Tensor(0.0, requires_grad=True, name="b")

    def loss(w, b):
        if engine == "value":
            return lambda xs, ys: sse([w * x + b for x in xs], ys)
        return lambda xs, ys: ((w * Tensor(xs) + b - Tensor(ys)) ** 2).sum()

    (w1, b1), (w2, b2) = params(), params()
    eager = eager_run(loss(w1, b1), GD([w1, b1], lr=0.01), 0)
    step = compile_step(loss(w2, b2), GD([w2, b2], lr=0.01))
    opt1 = GD([w1, b1], lr=0.01)
    for xs, ys in batches * 3:
        arrays = (np.array(xs), np.array(ys))
        eager = eager_run(loss(w1, b1), opt1, 1, arrays)
        assert_close(step(*arrays), eager[0], rtol=LOSS_RTOL, atol=1e-12)
        assert (float(np.asarray(w1.data)), float(np.asarray(b1.data))) == (
            float(np.asarray(w2.data)),
            float(np.asarray(b2.data)),
        )
    assert step.compiled and len(step._programs) == 2  # 3 points and 2 points


# --- fallbacks ---------------------------------------------------------------------------------


class Cube(tensor_ops.Function):
    """An op the compiler has never seen (a learner's own)."""

    symbol = "cube"
    __slots__ = ("a",)

    def forward(self, a):
        self.a = a
        return a**3

    def backward(self, grad):
        return (grad * 3.0 * self.a**2,)


def test_unknown_op_falls_back_to_eager_with_a_warning():
    w1, w2 = (Tensor(np.array([0.5, 1.0]), requires_grad=True) for _ in range(2))
    eager = eager_run(lambda: Tensor._apply(Cube(), w1).sum(), GD([w1], lr=0.01), 5)
    step = compile_step(lambda: Tensor._apply(Cube(), w2).sum(), GD([w2], lr=0.01))
    with pytest.warns(CompileWarning, match="Cube is not known"):
        losses = [step() for _ in range(5)]
    assert losses == eager and np.array_equal(w1.data, w2.data)
    assert not step.compiled and "not known" in step.fallback_reason
    assert step.source.startswith("# not compiled")


def test_data_computed_outside_the_graph_falls_back():
    w = Value(1.0)
    step = compile_step(lambda xs: (w * (xs[0] * 2.0) - 1.0) ** 2, GD([w], lr=0.1))
    with pytest.warns(CompileWarning, match="outside the graph"):
        assert step([1.0]) == 1.0
    # w = 1 - 0.1 * 4; still right: eager
    assert_close(step([2.0]), (0.6 * 4.0 - 1.0) ** 2, rtol=1e-6, atol=1e-12)


def test_structure_that_depends_on_values_falls_back():
    w = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    step = compile_step(lambda x: (w * x)[x > 1.0].sum(), GD([w], lr=0.1))
    with pytest.warns(CompileWarning, match="structure changes"):  # 1.0 nudged up passes the mask
        assert step(np.array([1.0, 3.0, 2.0])) == -3.0 + 4.0


def test_too_large_value_graph_falls_back(monkeypatch):
    monkeypatch.setattr(trace, "MAX_VALUE_NODES", 10)
    w = Value(1.0)
    step = compile_step(lambda: sse([w * x for x in range(5)], [0.0] * 5), GD([w], lr=0.01))
    with pytest.warns(CompileWarning, match="more than 10"):
        step()


def test_optimizer_needing_the_graph_falls_back():
    class Hungry(GD):
        needs_graph = True

    w = Value(1.0)
    step = compile_step(lambda: (w - 2.0) ** 2, Hungry([w], lr=0.25))
    with pytest.warns(CompileWarning, match="needs the graph"):
        assert step() == 1.0
    assert w.data == 1.5


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_domain_error_is_the_engines_own(engine):
    w = Value(1.0) if engine == "value" else Tensor(np.array([1.0, 2.0]), requires_grad=True)
    step = compile_step(
        lambda: (w - 1.0).log().sum() if engine == "tensor" else (w - 1.0).log(), GD([w], lr=0.1)
    )
    with pytest.raises(ValueError, match="log"):
        step()
    assert np.asarray(w.data).tolist() == (1.0 if engine == "value" else [1.0, 2.0])  # not stepped


def test_hooks_fall_back():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    step = compile_step(lambda: (w * w).sum(), GD([w], lr=0.1))
    step()  # compiled
    handle = w.register_hook(lambda g: 2 * g)
    try:
        with pytest.warns(CompileWarning, match="hook"):
            step()
        assert w.grad.tolist() == [2 * 2 * 0.8, 2 * 2 * 1.6]  # w = [0.8, 1.6]; the hook doubled 2w, eagerly
    finally:
        handle.remove()
    step()
    assert step.compiled and step._last is not None  # compiled again once the hook is gone


def test_bad_arguments():
    with pytest.raises(TypeError, match="needs an Optimizer"):
        compile_step(lambda: None, [Value(1.0)])
    with pytest.raises(TypeError, match="function building the loss"):
        compile_step(3, GD([Value(1.0)], lr=0.1))


# --- memory: a step at large N allocates nothing of size N ------------------------------------


def test_tensor_step_allocates_nothing_of_size_n():
    n = 200_000
    x = np.linspace(0.0, 1.0, n)
    y = 3.0 * x + 2.0
    w, b = Tensor(0.5, requires_grad=True, name="w"), Tensor(-0.25, requires_grad=True, name="b")
    step = compile_step(lambda x, y: ((w * x + b - y) ** 2).mean(), GD([w, b], lr=0.1))
    step(x, y)  # traces, allocates its buffer
    tracemalloc.start()
    try:
        step(x, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < n * 8 / 10  # nothing close to one array of n floats (1.6 MB)
    assert "out=" in step.source


# --- fit and the CLI -------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_cli_fit_compile(capsys, tmp_path, engine):
    csv = tmp_path / "points.csv"
    csv.write_text("1,3\n2,5\n3,7\n")
    argv = ["fit", str(csv), *"--loss sse --lr 0.01 --epochs 1000 --init-w 1 --init-b 0 --json".split()]
    outs = []
    for extra in ([], ["--compile"]):
        assert main([*argv, "--engine", engine, *extra]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert (outs[1]["w"], outs[1]["b"]) == (W_FINAL, B_FINAL)
    assert_close(outs[0]["losses"][:-1], outs[1]["losses"][:-1], rtol=LOSS_RTOL, atol=1e-12)
