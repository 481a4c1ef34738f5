"""Gradient checks: autodiff vs the analytic formulas vs finite differences, and learners' gradients.

Expected numbers come from the source material's hand calculation (SOURCE.md section 2:
dL/dw = -40, dL/db = -18 at w=1, b=0), from a plain-Python loop over the samples written out
below (the chain rule per sample, independent of the gradcheck package), and from elementary calculus.
"""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lr import Value, no_grad
from tinygrad_lr.cli import main
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.graph import is_grad_enabled
from tinygrad_lr.tensor import Tensor

# the module (the package's name `gradcheck` is the function, as torch.autograd.gradcheck)
gc = importlib.import_module("tinygrad_lr.gradcheck")

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]  # the worked example's training points
ROOT = Path(__file__).resolve().parent.parent
STUDY_HOURS = ROOT / "examples" / "data" / "study_hours.csv"  # 100 points, as SOURCE.md section 1


def loop_grads(w, b, X, y, reduction):
    """The per-sample chain rule as a learner writes it: dL_i/dw_j = 2 r_i x_ij, dL_i/db = 2 r_i."""
    n, d = len(X), len(w)
    gw, gb = [0.0] * d, 0.0
    for xi, yi in zip(X, y):
        r = sum(wj * xij for wj, xij in zip(w, xi)) + (b or 0.0) - yi
        for j in range(d):
            gw[j] += 2 * r * xi[j]
        gb += 2 * r
    k = 1 / n if reduction == "mean" else 1.0
    return [g * k for g in gw] + ([] if b is None else [gb * k])


def term_sizes(w, b, X, y, reduction):
    """sum_i |2 r_i x_ij| (and sum_i |2 r_i|): the size of the terms each gradient adds up.

    A relative error is measured against the larger of the gradient and this, because a sum
    of terms that cancel has a round-off error proportional to the terms, not to the sum.
    """
    n, d = len(X), len(w)
    sw, sb = [0.0] * d, 0.0
    for xi, yi in zip(X, y):
        r = sum(wj * xij for wj, xij in zip(w, xi)) + (b or 0.0) - yi
        big = sum(abs(wj * xij) for wj, xij in zip(w, xi)) + abs(b or 0.0) + abs(yi)  # >= |r|
        for j in range(d):
            sw[j] += 2 * max(abs(r), big) * abs(xi[j])
        sb += 2 * max(abs(r), big)
    k = 1 / n if reduction == "mean" else 1.0
    return [s * k for s in sw] + ([] if b is None else [sb * k])


def rel(a, b, size=0.0):
    return abs(a - b) / max(abs(a), abs(b), size, 1e-300)


# --- analytic formulas -------------------------------------------------------------------------


def test_analytic_worked_example():
    assert gc.analytic_grads(1.0, 0.0, XS, YS) == (-40.0, -18.0)
    dw, db = gc.analytic_grads(1.0, 0.0, XS, YS, "mean")
    assert allclose(dw, -40 / 3, rtol=1e-15, atol=1e-12) and allclose(db, -6.0, rtol=1e-15, atol=1e-12)


def test_analytic_no_bias_pytorch_course():
    # SOURCE.md section 5: mean(2*x*(x*w - y)) at w=1 on x=1,2,3, y=2,4,6 = (-2 - 8 - 18) / 3
    dw, db = gc.analytic_grads(1.0, None, [1, 2, 3], [2, 4, 6], "mean")
    assert db is None and allclose(dw, -28 / 3, rtol=1e-15, atol=1e-12)


def test_analytic_several_features_shape():
    dw, db = gc.analytic_grads([1.0, -1.0], 0.5, [[1, 2], [3, 0]], [1, 1])
    # r = (1 - 2 + .5 - 1, 3 + .5 - 1) = (-1.5, 2.5)
    assert dw.tolist() == [2 * -1.5 * 1 + 2 * 2.5 * 3, 2 * -1.5 * 2] and db == 2 * (-1.5 + 2.5)


@pytest.mark.parametrize(
    "args, match",
    [
        ((1.0, 0.0, [1, 2], [1]), "different lengths"),
        (([1.0, 2.0], 0.0, [1, 2], [1, 2]), "w needs 1 number"),
        ((1.0, math.nan, [1, 2], [1, 2]), "b must be a finite"),
        ((1.0, 0.0, [1, math.inf], [1, 2]), "finite"),
    ],
)
def test_analytic_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        gc.analytic_grads(*args)


def test_analytic_bad_reduction():
    with pytest.raises(ValueError, match="'sum' or 'mean'"):
        gc.analytic_grads(1.0, 0.0, XS, YS, "avg")


# --- autodiff == analytic == finite differences, on drawn data ----------------------------------

grid = st.integers(-1000, 1000).map(lambda k: k / 100)  # well-scaled data, as real data is after scaling


@st.composite
def problems(draw):
    n = draw(st.integers(1, 8))
    d = draw(st.integers(1, 3))
    X = [[draw(grid) for _ in range(d)] for _ in range(n)]
    y = [draw(grid) for _ in range(n)]
    w = [draw(grid) for _ in range(d)]
    b = draw(st.one_of(st.none(), grid))
    return X, y, w, b


@given(problems(), st.sampled_from(["sse", "mse"]), st.sampled_from(["value", "tensor"]))
def test_autodiff_matches_analytic_and_numerical(problem, loss, engine):
    X, y, w, b = problem
    reduction = "sum" if loss == "sse" else "mean"
    report = gc.check_linear_regression(w, b, X, y, loss=loss, engine=engine)
    assert report.ok, str(report)
    expected = loop_grads(w, b, X, y, reduction)
    sizes = term_sizes(w, b, X, y, reduction)
    auto = list(report.autodiff().values())
    assert len(auto) == len(expected) == len(w) + (b is not None)
    by_method = {m: [c.other for c in report.comparisons if c.method == m] for m in ("analytic", "numerical")}
    for k, (a, e, s) in enumerate(zip(auto, expected, sizes)):
        assert rel(a, e, s) <= 1e-9, (k, a, e)
        assert rel(a, by_method["analytic"][k], s) <= 1e-9
        assert rel(a, by_method["numerical"][k], s) <= 1e-6


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("loss, expected", [("sse", (-40.0, -18.0)), ("mse", (-40 / 3, -6.0))])
def test_worked_example_report(engine, loss, expected):
    report = gc.check_linear_regression(1.0, 0.0, XS, YS, loss=loss, engine=engine)
    assert report.ok
    grads = report.autodiff()
    assert list(grads) == ["w", "b"]
    assert_close(grads["w"], expected[0], rtol=1e-15, atol=1e-12)
    assert_close(grads["b"], expected[1], rtol=1e-15, atol=1e-12)
    assert_close(report.losses[0], 29.0 if loss == "sse" else 29 / 3, rtol=1e-15, atol=1e-12)
    text = str(report)
    if loss == "sse":
        w_rows = [line.split() for line in text.splitlines() if line.startswith("0      w")]
        assert [r[2] for r in w_rows] == ["-40", "-40"] and [r[3] for r in w_rows] == [
            "analytic",
            "numerical",
        ]
        assert " -18 " in text and "L = 29" in text
    assert text.splitlines()[-1] == "OK: all 4 comparisons agree."


def test_gradcheck_restores_values_and_grads():
    w, b = Value(0.1, label="w"), Value(0.3, label="b")  # 0.1 + h - h != 0.1 in float64
    w.grad, b.grad = 7.0, -2.0
    report = gc.gradcheck(lambda: sum((w * x + b - y) ** 2 for x, y in zip(XS, YS)), [w, b], data=(XS, YS))
    assert report.ok
    assert (w.data, b.data, w.grad, b.grad) == (0.1, 0.3, 7.0, -2.0)
    t = Tensor(np.array([0.1, 0.7]), requires_grad=True, name="t")
    gc.gradcheck(lambda: (t * t).sum(), [t])
    assert t.data.tolist() == [0.1, 0.7] and t.grad is None


def test_gradcheck_catches_a_loss_that_is_not_the_formula():
    # half the SSE: autodiff and finite differences agree with each other, not with the analytic formula
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    report = gc.gradcheck(
        lambda: sum((w * x + b - y) ** 2 * 0.5 for x, y in zip(XS, YS)), [w, b], data=(XS, YS)
    )
    assert not report.ok
    assert {(c.param, c.method) for c in report.failures} == {("w", "analytic"), ("b", "analytic")}
    assert report.autodiff() == {"w": -20.0, "b": -9.0}


def test_gradcheck_data_needs_matching_parameters():
    w = Value(1.0)
    with pytest.raises(ValueError, match="w_1..w_1 and optionally b"):
        gc.gradcheck(lambda: w * w, [w, Value(0.0), Value(0.0)], data=(XS, YS))


def test_gradcheck_needs_grad_enabled():
    w = Value(1.0)
    with no_grad(), pytest.raises(RuntimeError, match="outside a no_grad"):
        gc.gradcheck(lambda: w * w, [w])


# --- finite differences -----------------------------------------------------------------------


def test_numerical_grads_value_nonlinear():
    w, b = Value(0.7), Value(-0.4)
    seen = []

    def f():
        seen.append(is_grad_enabled())
        return w**3 * b.exp()

    gw, gb = gc.numerical_grads(f, [w, b])
    assert_close(gw, 3 * 0.7**2 * math.exp(-0.4), rtol=1e-9, atol=1e-12)  # d/dw w^3 e^b = 3 w^2 e^b
    assert_close(gb, 0.7**3 * math.exp(-0.4), rtol=1e-9, atol=1e-12)  # d/db = w^3 e^b
    assert seen == [False] * 4  # evaluated under no_grad, twice per parameter
    assert (w.data, b.data) == (0.7, -0.4)


def test_numerical_grads_tensor_every_entry():
    t = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True, name="t")
    before = t.data.copy()
    (g,) = gc.numerical_grads(lambda: (t.tanh() * t).sum(), [t])
    x = before
    expected = np.tanh(x) + x * (1 - np.tanh(x) ** 2)  # d/dx x tanh x
    assert g.shape == (2, 2)
    assert_close(g, expected, rtol=1e-9, atol=0.0)
    assert np.array_equal(t.data, before)


def test_numerical_grads_restores_after_error():
    w = Value(2.0)
    calls = []

    def f():
        calls.append(w.data)
        if len(calls) == 2:
            raise ZeroDivisionError("boom")
        return w * w

    with pytest.raises(ZeroDivisionError):
        gc.numerical_grads(f, [w])
    assert w.data == 2.0 and calls[0] > 2.0 > calls[1]


def test_too_coarse_eps_fails_the_check():
    # (w^3)' = 3 at w = 1; with h = 0.5 central differences give ((1.5)^3 - (0.5)^3) / 1 = 3.25
    w = Value(1.0, label="w")
    good = gc.gradcheck(lambda: w**3, [w])
    coarse = gc.gradcheck(lambda: w**3, [w], eps=0.5)
    assert good.ok
    assert not coarse.ok
    (c,) = coarse.failures
    assert (c.param, c.method, c.autodiff) == ("w", "numerical", 3.0)
    assert_close(c.other, 3.25, rtol=1e-15, atol=1e-12)
    assert "w at point 0 (w=1)" in coarse.verdict()


def test_coarse_eps_is_exact_on_a_quadratic_loss():
    # truncation error is h^2 L''' / 6, and the squared loss has L''' = 0: any step is exact
    assert gc.check_linear_regression(1.0, 0.0, XS, YS, eps=0.5).ok


@pytest.mark.parametrize("eps", [0.0, -1e-6, math.nan, 1e-300])
def test_bad_eps(eps):
    w = Value(1.0)
    with pytest.raises(ValueError, match="eps"):
        gc.numerical_grads(lambda: w * w, [w], eps=eps)


def test_parameters_must_be_float64_values_or_tensors():
    t32 = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="need float64 parameters, got a float32 Tensor"):
        gc.numerical_grads(lambda: (t32 * t32).sum(), [t32])
    with pytest.raises(TypeError, match="Values or Tensors, got float"):
        gc.gradcheck(lambda: Value(1.0), [1.0])


def test_loss_must_be_scalar():
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match="single number"):
        gc.numerical_grads(lambda: t * t, [t])


# --- a learner's hand-written gradient ------------------------------------------------------


def grad_loop(w, b, x, y):
    """Correct: the MSE gradient accumulated over the samples."""
    n = len(x)
    w_gradient = b_gradient = 0.0
    for i in range(n):
        w_gradient += (2 / n) * ((w * x[i] + b) - y[i]) * x[i]
        b_gradient += (2 / n) * ((w * x[i] + b) - y[i])
    return w_gradient, b_gradient


def grad_numpy(w, b, x, y):
    """Correct, vectorised, for any number of features."""
    r = x @ w + b - y if np.ndim(x) == 2 else w * x + b - y
    return (2 * (x.T @ r) / len(y) if np.ndim(x) == 2 else 2 * np.mean(r * x)), 2 * np.mean(r)


def grad_section1_bug(w, b, x, y):
    """SOURCE.md section 1: w's gradient is assigned in the loop, so only the last point counts."""
    n = len(x)
    w_gradient = b_gradient = 0.0
    for i in range(n):
        w_gradient = (2 / n) * ((w * x[i] + b) - y[i]) * x[i]
        b_gradient += (2 / n) * ((w * x[i] + b) - y[i])
    return w_gradient, b_gradient


def grad_missing_2(w, b, x, y):
    """Forgot d(r^2)/dr = 2r for w (b is right)."""
    dw, db = grad_loop(w, b, x, y)
    return dw / 2, db


def grad_wrong_sign(w, b, x, y):
    """Residual written as target - prediction for b (w is right)."""
    dw, _ = grad_loop(w, b, x, y)
    return dw, sum(2 * (y[i] - (w * x[i] + b)) for i in range(len(x))) / len(x)


@pytest.mark.parametrize("fn", [grad_loop, grad_numpy])
def test_correct_gradient_passes(fn):
    report = gc.check_gradient_fn(fn, 1.0, 0.0, XS, YS, loss="mse")
    assert report.ok
    assert len(report.points) == 1 + gc.N_RANDOM_POINTS and len(report.comparisons) == 2 * len(report.points)
    assert report.points[0] == {"w": 1.0, "b": 0.0}
    assert {c.method for c in report.comparisons} == {"yours"}


def test_correct_numpy_gradient_several_features():
    X = [[1.0, 2.0], [2.0, -1.0], [0.5, 3.0], [4.0, 1.0]]
    y = [1.0, 2.0, 3.0, 4.0]
    report = gc.check_gradient_fn(grad_numpy, [0.5, -0.2], 0.1, X, y, engine="tensor")
    assert report.ok, str(report)
    assert list(report.points[0]) == ["w[0]", "w[1]", "b"]


def test_section1_bug_is_caught_with_parameter_point_and_size():
    report = gc.check_gradient_fn(grad_section1_bug, 1.0, 0.0, XS, YS, loss="mse")
    assert not report.ok
    assert {c.param for c in report.failures} == {"w"}  # b is accumulated correctly
    assert {c.point for c in report.failures} == {0, 1, 2, 3}
    first = report.failures[0]
    # at w=1, b=0: true dw = -40/3; the bug keeps the last point only, (2/3) * (3 - 7) * 3 = -8
    assert first.point == 0
    assert_close(first.autodiff, -40 / 3, rtol=1e-15, atol=1e-12)
    assert_close(first.other, -8.0, rtol=1e-15, atol=1e-12)
    assert_close(first.abs_err, 16 / 3, rtol=1e-12, atol=1e-12)
    text = str(report)
    assert "FAILED: 4 of 8 comparisons disagree, for w." in text
    assert "w at point 0 (w=1, b=0): yours = -8, autodiff = -13.3333333333; off by 5.3e+00" in text
    assert "assigned (=) instead of accumulated (+=)" in text


def test_section1_bug_on_the_study_hours_data():
    data = np.genfromtxt(STUDY_HOURS, delimiter=",")
    report = gc.check_gradient_fn(grad_section1_bug, 0.0, 0.0, data[:, 0], data[:, 1])
    assert {c.param for c in report.failures} == {"w"} and len(report.failures) == 4


@pytest.mark.parametrize(
    "fn, param, hint",
    [(grad_missing_2, "w", "half the true gradient"), (grad_wrong_sign, "b", "wrong sign")],
)
def test_classic_mistakes_name_the_parameter(fn, param, hint):
    report = gc.check_gradient_fn(fn, 1.0, 0.0, XS, YS, loss="mse")
    assert not report.ok
    assert {c.param for c in report.failures} == {param}
    assert all(hint in c.hint for c in report.failures)
    assert f"hint for {param}: yours" in report.verdict()


def test_sum_vs_mean_mistake():
    report = gc.check_gradient_fn(grad_loop, 1.0, 0.0, XS, YS, loss="sse")  # grad_loop is the MSE's
    assert {c.param for c in report.failures} == {"w", "b"}
    assert all("1/n = 1/3" in c.hint for c in report.failures)


def test_random_points_are_seeded_and_catch_bugs_hidden_at_the_given_point():
    def wrong_where_b_nonzero(w, b, x, y):
        dw, db = grad_loop(w, b, x, y)
        return dw, db + b  # right only when b == 0

    report = gc.check_gradient_fn(wrong_where_b_nonzero, 1.0, 0.0, XS, YS, rng=np.random.default_rng(5))
    assert report.comparisons[1].ok  # b at the given point, where b = 0
    assert not report.ok and {c.param for c in report.failures} == {"b"}
    again = gc.check_gradient_fn(wrong_where_b_nonzero, 1.0, 0.0, XS, YS, rng=5)
    assert again.points == report.points


def test_float32_gradient_is_flagged_as_arithmetic():
    def grad32(w, b, x, y):  # the right formula in float32: ~1e-7 relative round-off
        x, y = x.astype(np.float32), y.astype(np.float32)
        r = np.float32(w) * x + np.float32(b) - y
        return float(np.mean(2 * r * x)), float(np.mean(2 * r))

    data = np.genfromtxt(STUDY_HOURS, delimiter=",")
    report = gc.check_gradient_fn(grad32, 0.0, 0.0, data[:, 0], data[:, 1])
    assert not report.ok
    assert all(1e-9 < c.rel_err < 1e-5 and "float32" in c.hint for c in report.failures)


def test_learner_function_bad_return():
    with pytest.raises(ValueError, match=r"must return \(dw, db\)"):
        gc.check_gradient_fn(lambda w, b, x, y: 1.0, 1.0, 0.0, XS, YS)
    with pytest.raises(ValueError, match="dw with 2 number"):
        gc.check_gradient_fn(lambda w, b, x, y: ([1.0, 2.0], 0.0), 1.0, 0.0, XS, YS)


def test_report_to_dict_is_json():
    report = gc.check_gradient_fn(grad_section1_bug, 1.0, 0.0, XS, YS)
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False and d["points"][0] == {"w": 1.0, "b": 0.0}
    c0 = d["comparisons"][0]
    assert (c0["param"], c0["method"], c0["value"], c0["ok"]) == ("w", "yours", -8.0, False)
    assert d["verdict"].startswith("FAILED")


def test_report_table_is_aligned():
    text = str(gc.check_linear_regression([1.0, 2.0], 0.5, [[1, 2], [2, 0], [3, 1]], [3, 5, 7]))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("point  param"))
    table = lines[start : start + 7]
    header = table[0]
    for col in ("autodiff", "value", "abs err", "rel err", "allowed"):  # right-aligned columns
        end = header.index(col) + len(col)
        assert all(row[end - 1] != " " and (len(row) == end or row[end] == " ") for row in table[1:]), col


# --- per-sample breakdown --------------------------------------------------------------------


def test_breakdown_worked_example():
    bd = gc.per_sample_breakdown(1.0, 0.0, XS, YS)
    assert bd.residuals.tolist() == [-2.0, -3.0, -4.0]
    assert bd.terms_w[:, 0].tolist() == [-4.0, -12.0, -24.0]  # 2 r_i x_i
    assert bd.terms_b.tolist() == [-4.0, -6.0, -8.0]  # 2 r_i
    assert bd.grad_w.tolist() == [-40.0] and bd.grad_b == -18.0
    text = str(bd)
    assert [
        line.split()[-2:] for line in text.splitlines() if line.startswith(("0 ", "1 ", "2 ", "sum"))
    ] == [
        ["-4", "-4"],
        ["-12", "-6"],
        ["-24", "-8"],
        ["-40", "-18"],
    ]
    assert "dL/dw = -40  dL/db = -18" in text


def test_breakdown_mean_and_several_features_match_analytic():
    X, y = [[1, 2], [2, 0], [3, 1], [0, 1]], [3, 5, 7, 1]
    bd = gc.per_sample_breakdown([0.5, 1.5], -1.0, X, y, "mean")
    dw, db = gc.analytic_grads([0.5, 1.5], -1.0, X, y, "mean")
    assert_close(bd.grad_w, dw, rtol=1e-15, atol=0.0)
    assert_close(bd.grad_b, db, rtol=1e-15, atol=1e-12)
    text = str(bd)
    assert "L = (1/4) sum_i r_i^2" in text and text.splitlines()[-3].split() == [
        "mean",
        "-12.75",
        "-3.25",
        "-5.5",
    ]
    assert json.loads(json.dumps(bd.to_dict()))["samples"][1]["dw"] == [2 * (1 - 1 - 5) * 2, 0.0]


def test_breakdown_no_bias():
    bd = gc.per_sample_breakdown(1.0, None, [1, 2, 3], [2, 4, 6], "mean")
    assert bd.terms_b is None and bd.grad_b is None
    assert_close(bd.grad_w[0], -28 / 3, rtol=1e-15, atol=1e-12)
    assert "2*r_i)" not in str(bd) and "dL/db" not in str(bd)


# --- command line ----------------------------------------------------------------------------


def test_cli_worked_example(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert "point 0: w=1, b=0   L = 29" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("0 ")]
    assert [r[:5] for r in rows] == [
        ["0", "w", "-40", "analytic", "-40"],
        ["0", "w", "-40", "numerical", rows[1][4]],
        ["0", "b", "-18", "analytic", "-18"],
        ["0", "b", "-18", "numerical", rows[3][4]],
    ]
    assert_close(float(rows[1][4]), -40, rtol=1e-9, atol=1e-12)
    assert_close(float(rows[3][4]), -18, rtol=1e-9, atol=1e-12)
    assert [r[-1] for r in rows] == ["ok"] * 4 and "OK: all 4 comparisons agree." in out


def test_cli_json_and_breakdown(capsys):
    assert main(["gradcheck", "--json", "--breakdown", "--loss", "mse", "--engine", "tensor"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["ok"] is True
    analytic = [c["autodiff"] for c in d["comparisons"] if c["method"] == "analytic"]
    assert_close(analytic, [-40 / 3, -6], rtol=1e-6, atol=1e-12)
    assert_close(d["breakdown"]["grad_w"], [-40 / 3], rtol=1e-6, atol=1e-12)
    assert d["breakdown"]["reduction"] == "mean"


def test_cli_no_bias(capsys):
    assert main(["gradcheck", "--no-bias", "--loss", "mse", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["points"] == [{"w": 1.0}] and {c["param"] for c in d["comparisons"]} == {"w"}
    assert_close(d["comparisons"][0]["autodiff"], 2 * (-2 * 1 - 3 * 2 - 4 * 3) / 3, rtol=1e-15, atol=1e-12)


def test_cli_csv_with_breakdown(tmp_path, capsys):
    csv = tmp_path / "pts.csv"
    csv.write_text("1,1.5,3\n2,1,5\n3,0,7\n")
    assert main(["gradcheck", "--csv", str(csv), "--w", "1", "2", "--b", "0.5", "--breakdown"]) == 0
    out = capsys.readouterr().out
    assert "w1" in out and "w2" in out and "2*r*x2" in out
    dw, db = gc.analytic_grads([1, 2], 0.5, [[1, 1.5], [2, 1], [3, 0]], [3, 5, 7])
    assert f"dL/dw1 = {dw[0]:.12g}  dL/dw2 = {dw[1]:.12g}  dL/db = {db:.12g}" in out


def test_cli_exit_1_when_a_gradient_disagrees(monkeypatch, capsys):
    original = gc.analytic_grads

    def factor_2_missing(*args, **kwargs):  # a broken analytic formula for w
        dw, db = original(*args, **kwargs)
        return dw / 2, db

    # patched where gradcheck() looks it up: the package's check module
    monkeypatch.setattr(
        importlib.import_module("tinygrad_lr.gradcheck.check"), "analytic_grads", factor_2_missing
    )
    assert main(["gradcheck"]) == 1
    assert "FAILED: 1 of 4 comparisons disagree, for w." in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["gradcheck", "--csv", "/nonexistent/x.csv"], "x.csv"),
        (["gradcheck", "--w", "nan"], "--w"),
        (["gradcheck", "--w", "1", "2"], "--w takes 1 number (the data has 1 feature), got 2"),
        (["gradcheck", "--eps", "0"], "eps"),
    ],
)
def test_cli_bad_input_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_slightly_coarse_eps_fails_too():
    # (w^3)' at w = 1 by central differences is exactly 3 + h^2: with h = 0.01, off by 1e-4
    # (3.3e-5 relative), which RTOL_NUMERICAL = 1e-6 must not let through
    w = Value(1.0, label="w")
    (c,) = gc.gradcheck(lambda: w**3, [w], eps=0.01).comparisons
    assert_close(c.other, 3.0001, rtol=1e-12, atol=1e-12)
    assert not c.ok


def test_a_gradient_off_by_one_part_in_a_million_fails():
    def almost(w, b, x, y):
        dw, db = grad_loop(w, b, x, y)
        return dw * (1 + 1e-6), db

    report = gc.check_gradient_fn(almost, 1.0, 0.0, XS, YS)
    assert {c.param for c in report.failures} == {"w"} and len(report.failures) == 4
    assert_close(report.failures[0].rel_err, 1e-6, rtol=1e-3, atol=1e-12)
    assert (
        "within 1e-03 (relative) of autodiff" in report.failures[0].hint
        and "float32" in report.failures[0].hint
    )


# The docs page's commands and examples are run by tests/test_docs.py, with every other page.
