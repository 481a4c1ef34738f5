"""Issue 12: non-finite numbers never pass, every input is checked where it enters.

Each test names the behaviour it replaces: it fails on the old code (a gradient check that said
OK to inf, a bound of inf from NaN data, a boolean mask read as indices 0 and 1, NaN in --json,
numpy's "setting an array element with a sequence"...).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tinygrad_lr import (
    DataError,
    Dataset,
    LinearRegression,
    Tensor,
    Value,
    check_gradient_fn,
    fit,
    from_arrays,
    gradcheck,
    max_stable_lr,
    mse,
    sse,
)
from tinygrad_lr.cli import main
from tinygrad_lr.errors import InputError
from tinygrad_lr.gradcheck import Comparison, check_linear_regression, numerical_grads

# --- non-finite numbers in gradient checks -----------------------------------------------------


def test_gradient_fn_returning_inf_never_passes():
    # old: inf vs a finite autodiff gave allowed = rtol * inf = inf, and inf <= inf passed
    report = check_gradient_fn(lambda w, b, x, y: (math.inf, math.inf), 1.0, 0.0, [1, 2, 3], [3, 5, 7])
    assert not report.ok
    assert all(not c.ok and not c.finite for c in report.comparisons)
    verdict = report.verdict()
    assert "yours gave inf: not a finite number" in verdict
    assert "hint" not in verdict  # inf "matches" every classic mistake; none is claimed


@pytest.mark.parametrize("bad", [math.nan, -math.inf])
def test_gradient_fn_returning_nan_or_minus_inf_fails(bad):
    report = check_gradient_fn(lambda w, b, x, y: (bad, 0.0), 1.0, 0.0, [1, 2, 3], [3, 5, 7], n_random=0)
    assert not report.ok
    assert [c.param for c in report.failures] == ["w", "b"]  # b: -18 expected, 0 given


def test_both_sides_inf_is_not_agreement():
    c = Comparison(0, "w", math.inf, "numerical", math.inf, 0.0, 1e-6)
    assert not c.ok and "autodiff gave inf and finite differences gave inf" in c.nonfinite_reason()


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_exp_near_overflow_fails_with_the_reason(engine):
    # exp(709.78) = 1.79e308 is finite; exp(709.78 + h) is not: the finite difference is inf
    w = Value(709.78, label="w") if engine == "value" else Tensor(709.78, requires_grad=True, name="w")
    report = gradcheck(lambda: w.exp(), [w])
    assert not report.ok
    (c,) = report.comparisons
    assert math.isfinite(c.autodiff) and math.isinf(c.other)
    assert "overflowed float64" in report.verdict()
    assert float(np.asarray(w.data)) == 709.78  # restored


def test_a_non_finite_loss_fails_the_report():
    w = Value(1e200, label="w")
    report = gradcheck(lambda: w * w, [w])
    assert math.isinf(report.losses[0]) and not report.ok
    assert "the loss at point 0" in report.verdict()


def test_gradient_checks_name_nan_in_their_data():
    with pytest.raises(DataError, match=r"x\[1, 0\] is nan"):
        check_gradient_fn(lambda w, b, x, y: (0.0, 0.0), 1.0, 0.0, [1, math.nan], [1, 2])
    with pytest.raises(DataError, match=r"y\[0\] is inf"):
        check_linear_regression(1.0, 0.0, [1, 2], [math.inf, 2])
    with pytest.raises(ValueError, match="parameter w is nan"):
        gradcheck(lambda: Value(1.0), [Value(math.nan, label="w")])


# --- bounds refuse data they cannot bound ------------------------------------------------------


@pytest.mark.parametrize(
    "X, message",
    [
        ([1.0, math.nan, 3.0], "row 1 .*column x: nan"),
        ([[1.0], [math.inf]], "row 1 .*inf"),
        (np.zeros((0, 1)), "no rows"),
        ([1e200, 1.0], "values up to 1e\\+200 in column x overflow when squared"),
        ([[1e153]] * 1000, "overflow"),
    ],
)
@pytest.mark.parametrize("batch_size", [None, 1])
def test_max_stable_lr_refuses_what_it_cannot_bound(X, message, batch_size):
    # old: nan/inf data or no rows gave inf ("any learning rate is stable") or 0
    if batch_size == 1 and len(X) == 1000:
        X = [[1e154, 1e154]] * 3  # each square fits in float64, one sample's |x|^2 = 2e308 does not
    with pytest.raises(DataError, match=message):
        max_stable_lr(X, "sse", batch_size=batch_size)


def test_max_stable_lr_still_inf_for_a_zero_hessian():
    assert max_stable_lr([0.0, 0.0], bias=False) == math.inf  # no step can diverge: true, not a guess


# --- data sets are checked where they enter ----------------------------------------------------


def test_fit_names_nan_in_a_hand_built_dataset():
    ds = Dataset(np.array([[1.0], [2.0], [np.nan]]), np.array([3.0, 5.0, 7.0]), ("hours",), "score")
    with pytest.raises(DataError, match=r"row 2 \(0-based\), column hours: nan"):
        fit(LinearRegression(), ds, "gd", lr=0.01)
    ds = Dataset(np.array([[1.0], [2.0]]), np.array([3.0, -np.inf]), ("hours",), "score")
    with pytest.raises(DataError, match="row 1 .*column score: -inf"):
        fit(LinearRegression(), ds, "gd", lr=0.01)


def test_fit_reports_squares_that_overflow_not_divergence():
    # old: "training diverged ... try a smaller learning rate", which no learning rate fixes
    with pytest.raises(DataError, match="values up to 1e\\+200 in column x overflow when squared"):
        fit(LinearRegression(), ([1.0, 1e200], [1.0, 2.0]), "gd", lr=1e-3)


def test_cli_names_squares_overflow(tmp_path, capsys):
    p = tmp_path / "big.csv"
    p.write_text("x,y\n1,2\n1e300,3\n")
    assert main(["fit", str(p)]) == 2
    err = capsys.readouterr().err
    assert "values up to 1e+300 in column x overflow when squared" in err and "diverged" not in err
    assert "rescale the data" in err


@pytest.mark.parametrize(
    "argv, option",
    [
        (["fit", "DATA", "--predict", "nan"], "--predict"),
        (["fit", "DATA", "--init-w", "inf"], "--init-w"),
        (["fit", "DATA", "--init-b=-inf"], "--init-b"),
        (["fit", "DATA", "--lr", "1e999"], "--lr"),
        (["graph", "--x", "1", "nan", "--y", "1", "2"], "--x"),
        (["graph", "--y", "inf"], "--y"),
        (["graph", "--w", "nan"], "--w"),
        (["demo", "--x", "nan", "--no-render"], "--x"),
        (["demo", "--b", "inf", "--no-render"], "--b"),
        (["gradcheck", "--eps", "inf"], "--eps"),
        (["gradcheck", "--b", "nan"], "--b"),
    ],
)
def test_every_number_option_refuses_nan_and_inf(argv, option, tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    argv = [str(data) if a == "DATA" else a for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert f"argument {option}" in err and "is not a finite number" in err


def test_prediction_that_overflows_is_an_error(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    assert main(["fit", str(data), "--epochs", "0", "--init-w", "10", "--predict", "1e308", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "the prediction is inf" in err


def test_json_is_strict(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    assert main(["fit", str(data), "--epochs", "3", "--json"]) == 0
    out = capsys.readouterr().out
    json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in --json output"))
    w = Value(1e200, label="w")  # a failing gradcheck report with inf in it is still strict JSON
    text = json.dumps(gradcheck(lambda: w * w, [w]).to_dict(), allow_nan=False)
    assert '"inf"' in text


def test_strict_json_refuses_non_finite_results():
    from tinygrad_lr.cli.errors import UsageError
    from tinygrad_lr.cli.output import strict_json

    with pytest.raises(UsageError, match=r"losses\[1\] is nan"):
        strict_json({"w": 1.0, "losses": [1.0, math.nan]})


# --- Tensor boolean masks ----------------------------------------------------------------------


def test_tensor_bool_mask_selects_what_numpy_selects():
    # old: the mask became floats 0.0/1.0, then the indices 0 and 1: t[mask] was [t[1], t[0], t[1]]
    data = np.array([10.0, 20.0, 30.0, 40.0])
    mask = np.array([True, False, True, True])
    t = Tensor(data, requires_grad=True)
    picked = t[Tensor(mask)]
    np.testing.assert_array_equal(picked.data, data[mask])
    picked.sum().backward()
    np.testing.assert_array_equal(t.grad, mask.astype(float))
    m2 = np.array([[True, False], [False, True]])
    t2 = Tensor(np.arange(4.0).reshape(2, 2))
    np.testing.assert_array_equal(t2[Tensor(m2)].data, t2.data[m2])
    np.testing.assert_array_equal(Tensor(mask).data, [1.0, 0.0, 1.0, 1.0])  # still numbers


def test_tensor_index_with_fractions_is_refused():
    with pytest.raises(IndexError, match="whole numbers"):
        Tensor([1.0, 2.0])[Tensor([0.5])]
    np.testing.assert_array_equal(Tensor([1.0, 2.0, 3.0])[Tensor([2, 0])].data, [3.0, 1.0])


# --- arguments the API receives ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: mse([Value(1.0), Value(2.0)], Tensor([1.0, 2.0], requires_grad=True)),
            "pred is a list of 2 items of Value but target is a Tensor .* requires grad",
        ),
        (lambda: mse(Tensor([1.0, 2.0]), [Value(1.0), Value(2.0)]), "pred is a Tensor of shape"),
        (lambda: sse([[1, 2], [3]], [1, 2]), r"pred\[0\] must be a Value or a number, got a list"),
        (lambda: mse([Value(1.0), Value(2.0)], Tensor([1.0, 2.0, 3.0])), "2 predictions but 3 targets"),
        (lambda: mse(3, 4), "pred must be a list of Values or numbers, or a Tensor, got int 3"),
        (lambda: mse([Value(1.0)], "ab"), "target must be numbers"),
        (
            lambda: Dataset(np.array([1.0, 2.0]), np.array([1.0, 2.0])),
            r"Dataset X must be 2-D .* got shape \(2,\)",
        ),
        (lambda: Dataset([[1.0], [2.0, 3.0]], [1.0, 2.0]), "rows of equal length"),
        (lambda: from_arrays([[1.0], [2.0, 3.0]], [1.0, 2.0]), "rows of lengths 1, 2"),
        (lambda: from_arrays([Value(1.0), Value(2.0)], [1.0, 2.0]), "graph nodes are not data"),
        (lambda: Tensor([[1.0], [2.0, 3.0]]), "ragged"),
        (lambda: LinearRegression()([[1.0], [2.0, 3.0]]), "rows of equal length"),
        (lambda: LinearRegression(w="a"), "w must be a number"),
        (lambda: fit(None, ([1, 2], [1, 2]), "gd", lr=0.1), "model must be a model"),
        (lambda: fit(LinearRegression(), "data.csv", "gd", lr=0.1), "data must be a Dataset or a pair"),
        (lambda: check_gradient_fn(3, 1.0, 0.0, [1, 2], [1, 2]), "fn must be your function"),
        (lambda: numerical_grads(lambda: Value(1.0), None), "params must be a list"),
        (lambda: max_stable_lr(None), "X must be .* got None"),
    ],
)
def test_api_arguments_are_checked_where_they_enter(call, message):
    # old: numpy's "setting an array element with a sequence", AttributeError, TypeError: 'int' ...
    with pytest.raises(InputError, match=message) as exc:
        call()
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, TypeError)
    assert "setting an array element" not in str(exc.value)


def test_nan_stays_a_number_for_the_engines():
    assert math.isnan(Value(math.nan).data)
    assert np.isnan(Tensor([1.0, math.nan]).data[1])
    Dataset(np.array([[math.nan]]), np.array([1.0]))  # built: fit refuses it, naming the row


@pytest.mark.parametrize(
    "argv, message",
    [
        (["gradcheck", "--w", "1e200"], "the loss overflows float64 at this point"),
        (
            ["fit", "DATA", "--init-w", "1e200", "--epochs", "1"],
            "the loss overflows float64 at the initial parameters",
        ),
    ],
)
def test_a_loss_that_overflows_at_the_start_says_so(argv, message, tmp_path, capsys):
    # old: "pow: 1e+200 ** 2.0 is too large for a float", with nothing about what to change
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    assert main([str(data) if a == "DATA" else a for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
