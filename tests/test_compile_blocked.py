"""The blocked compiled step (compile_step(..., mode="blocked")) against the exact one and eager.

The blocked step adds the same terms in blocks, so it cannot give the exact step's bits; it
must give its numbers to BLOCKED_RTOL over a whole training run, for every optimizer, and say
(with a CompileWarning) when a step cannot be blocked, running the exact code instead.
"""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest

from tinygrad_lr import GD, Tensor, Value, sse
from tinygrad_lr.compare import assert_close
from tinygrad_lr.compile import CompileWarning, compile_step
from tinygrad_lr.optim import OPTIMIZERS, make_optimizer

BLOCKED_RTOL = 1e-12  # blocks add ~1e-16 relative per addition; 1000 steps stay far inside 1e-12
ROWS, BLOCK = 20000, 2048  # 9 whole blocks and a last, shorter one: two threads, two block programs


def data(n=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    return x, 3.0 * x + 2.0 + rng.normal(0.0, 0.1, n)


def line_step(mode, make_opt=lambda ps: GD(ps, lr=0.1), loss=None, block_rows=BLOCK):
    w, b = Tensor(0.5, requires_grad=True, name="w"), Tensor(-0.25, requires_grad=True, name="b")
    fn = loss(w, b) if loss else (lambda x, y: ((w * x + b - y) ** 2).mean())
    return w, b, compile_step(fn, make_opt([w, b]), mode=mode, block_rows=block_rows)


def eager_grads(fn, params, *inputs):
    for p in params:
        p.zero_grad()
    L = fn(*inputs)
    L.backward()
    return float(L.data), [np.array(p.grad) for p in params]


def run_quietly(step, inputs, steps):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        return [step(*inputs) for _ in range(steps)]


def test_the_blocked_step_walks_blocks_on_two_threads_and_agrees_with_the_exact_step():
    x, y = data()
    runs = {}
    for mode in ("exact", "blocked"):
        w, b, step = line_step(mode)
        losses = run_quietly(step, (x, y), 1000)
        runs[mode] = (losses, float(w.data), float(b.data), step)
    step = runs["blocked"][3]
    assert step.blocked_reason is None
    src = step.source
    assert (
        "for start in range(lo, hi, 2048):" in src
        and "in_threads([(share0, 0, 10240), (share1, 10240, 20000)]" in src
    )
    assert "def block1_last" not in src  # the last block's program runs, the whole block's is shown
    assert_close(runs["blocked"][0], runs["exact"][0], rtol=BLOCKED_RTOL, atol=0)
    assert_close(runs["blocked"][1:3], runs["exact"][1:3], rtol=BLOCKED_RTOL, atol=0)
    # and where it went: the least-squares line of the data, worked out in closed form
    A = np.stack([x, np.ones_like(x)], axis=1)
    assert_close(runs["blocked"][1:3], np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-6)


def optimizer_makers():
    for name in OPTIMIZERS:
        kwargs = {"batch_size": 2} if OPTIMIZERS[name].batching_rule == "batches" else {}
        yield name, (lambda ps, name=name, kwargs=kwargs: make_optimizer(name, ps, 0.05, **kwargs))


@pytest.mark.parametrize("name, make_opt", list(optimizer_makers()), ids=list(OPTIMIZERS))
def test_every_optimizer_blocked_agrees_with_exact_over_1000_steps(name, make_opt):
    x, y = data()
    runs = []
    for mode in ("exact", "blocked"):
        w, b, step = line_step(mode, make_opt)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            losses = [step(x, y) for _ in range(1000)]
        runs.append((losses, [float(w.data), float(b.data)]))
        needs_graph = getattr(step.optimizer, "create_graph", False)  # Newton: eager in both modes
        assert step.compiled is not needs_graph, name
        if mode == "blocked" and not needs_graph:
            assert step.blocked_reason is None and "def share(lo, hi, x, y)" in step.source
        assert len([c for c in caught if issubclass(c.category, CompileWarning)]) == int(needs_graph)
    assert all(math.isfinite(v) for v in runs[0][0])
    assert_close(runs[1][0], runs[0][0], rtol=BLOCKED_RTOL, atol=0)
    assert_close(runs[1][1], runs[0][1], rtol=BLOCKED_RTOL, atol=0)
    assert runs[0][1] != [0.5, -0.25]  # it trained


@pytest.mark.parametrize(
    "loss",
    [
        lambda w, b: lambda x, y: ((w * x + b - y) ** 2).sum(),  # a sum: no weights
        lambda w, b: lambda x, y: ((w * x + b - y) ** 2).mean() + 0.1 * w**2,  # a penalty after the sum
        lambda w, b: lambda x, y: ((w * x + b - y) ** 2).mean().log(),  # dL/dR depends on R itself
        lambda w, b: (
            lambda x, y: ((w * x + b - y) ** 2).mean() + (w * x + b - y).abs().mean() * b
        ),  # two sums
        lambda w, b: lambda x, y: ((w * x + b - y).tanh() ** 2 / 2.0 + (x * w).exp() * 0.01).mean(),
    ],
    ids=["sum", "penalty", "log-of-mean", "two-sums", "elementwise-ops"],
)
def test_blocked_gradients_equal_the_engines_for_losses_with_a_tail(loss):
    x, y = data(10007)
    w, b, step = line_step("blocked", loss=loss)
    got = run_quietly(step, (x, y), 1)[0]
    got_grads = [np.array(w.grad), np.array(b.grad)]
    w0, b0 = Tensor(0.5, requires_grad=True), Tensor(-0.25, requires_grad=True)
    want, want_grads = eager_grads(loss(w0, b0), [w0, b0], x, y)
    assert step.blocked_reason is None and "def share" in step.source
    assert_close(got, want, rtol=BLOCKED_RTOL, atol=0)
    assert_close(got_grads, want_grads, rtol=BLOCKED_RTOL, atol=0)


def test_a_matrix_of_features_and_tensor_inputs_are_blocked_too():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9000, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    w, b = Tensor(np.zeros(3), requires_grad=True, name="w"), Tensor(0.0, requires_grad=True, name="b")
    step = compile_step(
        lambda X, y: ((X @ w + b - y) ** 2).mean(), GD([w, b], lr=0.1), mode="blocked", block_rows=2048
    )
    losses = run_quietly(step, (Tensor(X), Tensor(y)), 300)
    assert step.blocked_reason is None and "X = X.data" in step.source
    assert_close(losses[0], float(np.mean(y**2)), rtol=BLOCKED_RTOL, atol=0)  # w = 0, b = 0
    A = np.hstack([X, np.ones((9000, 1))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    assert_close(np.append(w.data, b.data), coef, rtol=1e-6, atol=1e-9)


def test_steps_that_are_not_sums_over_rows_run_the_exact_code_and_say_why():
    x, y = data(5000)
    y_closed = y.copy()
    cases = [
        (
            lambda w, b: lambda x, y: ((w * x + b - y_closed) ** 2).mean(),
            "an array of 5000 rows",
        ),  # data in a closure
        (
            lambda w, b: lambda x, y: ((w * x + b - y - (w * x + b - y).mean()) ** 2).mean(),
            "meet a sum over all",
        ),
        (lambda w, b: lambda x, y: ((w * x + b - y) ** 2)[::2].sum(), "does not work row by row"),
    ]
    for loss, reason in cases:
        w, b, step = line_step("blocked", loss=loss)
        with pytest.warns(CompileWarning, match="mode='blocked' cannot block this step"):
            got = step(x, y)
        assert reason in step.blocked_reason and "def share" not in step.source
        w0, b0 = Tensor(0.5, requires_grad=True), Tensor(-0.25, requires_grad=True)
        want, want_grads = eager_grads(loss(w0, b0), [w0, b0], x, y)
        assert_close(got, want, rtol=1e-14, atol=0)  # the exact code: the engine's numbers
        assert np.array_equal(w.data, w0.data - 0.1 * want_grads[0])


def test_a_new_shape_retraces_and_a_float32_input_is_not_blocked():
    w, b, step = line_step("blocked")
    for n in (ROWS, 3000, 1):  # 3000 < a block: one block, one thread; 1 row: still a sum over rows
        x, y = data(n, seed=n)
        w0, b0 = Tensor(float(w.data), requires_grad=True), Tensor(float(b.data), requires_grad=True)
        want, want_grads = eager_grads(
            lambda x, y, w0=w0, b0=b0: ((w0 * x + b0 - y) ** 2).mean(), [w0, b0], x, y
        )
        got = run_quietly(step, (x, y), 1)[0]
        assert f"# x, y: {n} rows" in step.source
        assert_close(got, want, rtol=BLOCKED_RTOL, atol=0)
    x32, y32 = (a.astype(np.float32) for a in data(5000))
    with pytest.warns(CompileWarning, match="float32: the blocked mode sums float64 data"):
        step(x32, y32)
    assert "def share" not in step.source


def test_nan_and_inf_in_the_data_give_the_engines_nan_and_inf():
    x, y = data(9000)
    for bad in (np.nan, np.inf):  # -inf: the exact step's tracing warns (left to its owner)
        xb = x.copy()
        xb[7000] = bad
        w, b, step = line_step("blocked")
        got = run_quietly(step, (xb, y), 1)[0]
        w0, b0 = Tensor(0.5, requires_grad=True), Tensor(-0.25, requires_grad=True)
        want, _ = eager_grads(lambda x, y, w0=w0, b0=b0: ((w0 * x + b0 - y) ** 2).mean(), [w0, b0], xb, y)
        assert (math.isnan(got) and math.isnan(want)) or got == want


def test_a_log_of_zero_in_a_block_is_the_engines_error():
    x, y = data(9000)
    x[5000] = 0.0
    w = Tensor(1.0, requires_grad=True)
    step = compile_step(
        lambda x, y: ((w * x).log() - y).mean(), GD([w], lr=0.1), mode="blocked", block_rows=BLOCK
    )
    with pytest.raises(ValueError, match="log"):
        step(x, y)


def test_bad_modes_and_block_sizes_are_refused_by_name():
    w = Tensor(1.0, requires_grad=True)
    for bad in ("fast", None, 1):
        with pytest.raises(ValueError, match="mode must be 'exact' or 'blocked'"):
            compile_step(lambda x: (w * x).sum(), GD([w], lr=0.1), mode=bad)
    for bad in (0, -5, 2.5, True, "1024"):
        with pytest.raises(ValueError, match="block_rows must be a positive whole number"):
            compile_step(lambda x: (w * x).sum(), GD([w], lr=0.1), mode="blocked", block_rows=bad)


def test_a_value_graph_in_blocked_mode_runs_the_exact_code():
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    step = compile_step(
        lambda: sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]), GD([w, b], lr=0.01), mode="blocked"
    )
    with pytest.warns(CompileWarning, match="a Value graph has no arrays of rows"):
        assert step() == 29.0
    assert (round(w.data, 12), round(b.data, 12)) == (1.4, 0.18)  # the worked example's first step


def test_the_exact_steps_cache_sees_a_new_shape_dtype_or_layout_even_of_the_same_array():
    """The per-call key is cheap (attribute reads), yet every change of what the code assumes
    about its inputs traces anew, and the numbers are the engine's each time."""
    w = Tensor(np.array([0.5, -0.5]), requires_grad=True, name="w")
    step = compile_step(lambda X, y: ((X @ w - y) ** 2).sum(), GD([w], lr=0.01))
    X, y = np.arange(12.0).reshape(6, 2) / 10.0, np.linspace(0.0, 1.0, 6)
    variants = [
        (X, y),
        (X[:4], y[:4]),  # a new shape
        (np.asfortranarray(X), y),  # the same numbers, another memory layout
        (X.astype(np.float32), y.astype(np.float32)),  # another dtype
    ]
    for k, (a, b) in enumerate(variants):
        w0 = Tensor(w.data.copy(), requires_grad=True)
        want, (want_grad,) = eager_grads(lambda a, b, w0=w0: ((a @ w0 - b) ** 2).sum(), [w0], a, b)
        got = step.forward_backward(a, b)
        assert len(step._programs) == k + 1
        assert got == want and np.array_equal(w.grad, want_grad) and w.grad.dtype == want_grad.dtype
    v = Tensor(0.5, requires_grad=True)
    step2 = compile_step(lambda x, y: ((v * x - y) ** 2).sum(), GD([v], lr=0.01))
    x, t = np.arange(6.0), np.ones(6)
    step2.forward_backward(x, t)
    x.shape, t.shape = (2, 3), (2, 3)  # the same array objects, reshaped in place: traced anew
    got = step2.forward_backward(x, t)
    assert len(step2._programs) == 2
    want = [float(((0.5 * x - t) ** 2).sum()), float((2 * (0.5 * x - t) * x).sum())]  # worked out by hand
    assert_close([got, float(v.grad)], want, rtol=1e-14, atol=0)


def test_many_rows_are_traced_on_their_first_rows_so_memory_stays_a_few_blocks():
    """The exact step's first call builds the eager graph of all the data (about 12 arrays of N
    here); the blocked step traces and checks its code on the first 2.5 blocks only."""
    n = 2_000_000
    x, y = data(n)
    peaks = {}
    for mode in ("exact", "blocked"):
        w, b, step = line_step(mode, block_rows=None)
        tracemalloc.start()
        first = step(x, y)
        peaks[mode] = tracemalloc.get_traced_memory()[1] / (8 * n)  # in arrays of N float64
        tracemalloc.stop()
        tracemalloc.start()
        step(x, y)
        peaks[mode + " later"] = tracemalloc.get_traced_memory()[1] / (8 * n)
        tracemalloc.stop()
        assert_close(first, float(np.mean((0.5 * x - 0.25 - y) ** 2)), rtol=1e-12, atol=0)
    assert peaks["exact"] > 8 and peaks["blocked"] < 1 and peaks["blocked later"] < 0.01
    assert "in_threads([(share0, 0, 1015808), (share1, 1015808, 2000000)]" in step.source


def test_logistic_regressions_cross_entropy_is_blocked_too():
    from tinygrad_lr import bce_with_logits

    x, y = data(30000)
    t = (y > 3.5).astype(np.float64)  # classes 0 and 1, passed in as an input
    runs = []
    for mode in ("exact", "blocked"):
        w, b = Tensor(0.1, requires_grad=True, name="w"), Tensor(0.0, requires_grad=True, name="b")
        step = compile_step(
            lambda x, t, w=w, b=b: bce_with_logits(w * x + b, t),
            GD([w, b], lr=1.0),
            mode=mode,
            block_rows=4096,
        )
        losses = run_quietly(step, (x, t), 200)
        runs.append((losses, [float(w.data), float(b.data)]))
    assert step.blocked_reason is None and "def share" in step.source
    assert_close(runs[1][0], runs[0][0], rtol=BLOCKED_RTOL, atol=0)
    assert_close(runs[1][1], runs[0][1], rtol=BLOCKED_RTOL, atol=0)
    assert runs[1][0][-1] < runs[1][0][0] < math.log(2.0) + 1e-3  # from about log 2, it learns


_FORKED: dict = {}  # what a forked child finds in memory (the step itself does not pickle)


def _step_in_child() -> float:
    return _FORKED["step"](*_FORKED["inputs"])


def test_a_forked_child_runs_the_blocked_step_on_threads_of_its_own():
    """A child made by fork() inherits the pool object but not its threads: the step must make
    a new pool there, not wait forever for threads that do not exist."""
    import multiprocessing

    x, y = data()
    w, b, step = line_step("blocked")
    want = run_quietly(step, (x, y), 1)[0]  # the parent's pool now exists
    w.data, b.data = np.array(0.5), np.array(-0.25)
    ctx = multiprocessing.get_context("fork")
    _FORKED.update(step=step, inputs=(x, y))
    try:
        with ctx.Pool(1) as pool:
            got = pool.apply_async(_step_in_child).get(timeout=60)
    finally:
        _FORKED.clear()
    assert got == want
