"""The closed form tells the truth about uniqueness and overflow, for the model actually fitted
(with or without b, with or without ridge, scaled or not); fit(standardize=True) without an
intercept returns the model it trained (issue 21)."""

import json
import math

import numpy as np
import pytest

from tinygrad_lr import LinearRegression, fit, max_stable_lr
from tinygrad_lr.cli import main
from tinygrad_lr.closed_form import LeastSquares, lstsq
from tinygrad_lr.compare import allclose, assert_close, isclose
from tinygrad_lr.data import DataError
from tinygrad_lr.models import loss_hessian
from tinygrad_lr.scaling import Standardizer

ENGINES = ["value", "tensor"]
# two float64 solutions of one small, well-conditioned system by different methods (SVD vs an
# LU solve of the normal equations): they agree to ~1e-15 relative
METHODS = 1e-12


def _csv(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _solve_json(capsys, *argv):
    assert main(["solve", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- uniqueness: the rank of the problem solved -------------------------------------------------


def test_one_row_with_slope_and_intercept_is_not_unique(tmp_path, capsys):
    # old: "unique": true, "condition_number": 1.0 (the SVD of a 1x2 matrix has one value)
    out = _solve_json(capsys, _csv(tmp_path, "x,y\n1,3\n"))
    assert out["unique"] is False and out["condition_number"] is None
    assert out["hessian_condition_number"] is None
    assert main(["solve", _csv(tmp_path, "x,y\n1,3\n")]) == 0
    text = capsys.readouterr().out
    assert "condition number of the loss's Hessian: inf" in text
    assert "(the Hessian is singular: 1 row for 2 parameters), so many answers reach this loss" in text


def test_one_row_without_intercept_is_unique(tmp_path, capsys):
    out = _solve_json(capsys, _csv(tmp_path, "x,y\n2,3\n"), "--no-bias")
    assert out["unique"] is True and out["w"] == 1.5 and out["condition_number"] == 1.0


@pytest.mark.parametrize(
    "x, bias, rank",
    [
        ([1.0], True, 1),  # one row, two parameters
        ([[1.0, 2.0], [3.0, 4.0]], True, 2),  # two rows, three parameters
        ([2.0, 2.0, 2.0], True, 1),  # a constant feature is the bias column again
        ([2.0, 2.0, 2.0], False, 1),  # ... but without b it pins w down
        ([1.0, 2.0, 3.0], True, 2),
    ],
)
def test_rank_is_that_of_the_model_fitted(x, bias, rank):
    X = np.asarray(x, dtype=float)
    s = lstsq(X, np.arange(X.shape[0], dtype=float) + 1.0, bias=bias)
    k = (1 if X.ndim == 1 else X.shape[1]) + bias
    assert s.rank == rank and s.unique == (rank == k)
    assert math.isfinite(s.condition_number) == s.unique


def test_fit_says_its_closed_form_is_one_of_many(tmp_path, capsys):
    assert main(["fit", _csv(tmp_path, "x,y\n1,3\n"), "--epochs", "2"]) == 0
    assert "1 row for 2 parameters), so many answers reach this loss" in capsys.readouterr().out
    assert main(["fit", _csv(tmp_path, "x,y\n1,3\n"), "--epochs", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["closed_form"]["unique"] is False


def test_an_answer_built_by_hand_reads_uniqueness_from_its_condition_number():
    assert LeastSquares(np.array([1.0]), 0.0, 0.0, "mse", 0.0, math.inf).unique is False
    assert LeastSquares(np.array([1.0]), 0.0, 0.0, "mse", 0.0, 3.0).unique is True


# --- overflow: the minimum is a number or an error ---------------------------------------------


def test_a_minimum_that_overflows_is_an_error_not_nan(tmp_path, capsys):
    # old: "MSE at the minimum: nan" with exit 0 (fit refused the same file)
    path = _csv(tmp_path, "x,y\n1,1e200\n2,-1e200\n3,1e200\n")
    assert main(["solve", path]) == 2
    captured = capsys.readouterr()
    assert "the MSE at the least-squares answer overflows float64" in captured.err
    assert "nan" not in captured.out + captured.err and captured.out == ""
    with pytest.raises(DataError, match="overflows float64"):
        lstsq([1.0, 2.0, 3.0], [1e200, -1e200, 1e200], bias=False)


def test_a_minimum_near_the_top_of_float64_is_the_true_number():
    # the SSE of residuals ~1e154 overflows, their mean does not: MSE(s y) = s^2 MSE(y), so the
    # answer on y is 1e308 times the answer on y / 1e154
    x, y = [1.0, 2.0, 3.0, 4.0], np.array([1.0, -1.0, 1.0, -1.0])
    big, small = lstsq(x, y * 1e154), lstsq(x, y)
    assert isclose(big.loss, small.loss * 1e308, rtol=METHODS)
    assert allclose(big.param_vector(), small.param_vector() * 1e154, rtol=METHODS)


@pytest.mark.parametrize("l2", [1e100, 1e200, 1e308, np.finfo(np.float64).max])
def test_huge_ridge_keeps_the_unpenalised_bias(l2, tmp_path, capsys):
    # old: l2 = 1e308 -> "SVD did not converge" (inf * 0 in the extra rows); l2 = 1e100 -> b = 0,
    # because lstsq's cut-off dropped the bias direction; the answer is w ~ 0, b = mean(y) = 5
    s = lstsq([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], l2=l2)
    assert s.unique and abs(s.weights[0]) < 1e-90 and isclose(s.intercept, 5.0, rtol=METHODS)
    assert isclose(s.loss, 8 / 3, rtol=METHODS)  # the MSE of predicting 5 for 3, 5, 7
    out = _solve_json(capsys, _csv(tmp_path, "x,y\n1,3\n2,5\n3,7\n"), "--l2", repr(float(l2)))
    assert out["unique"] is True and isclose(out["b"], 5.0, rtol=METHODS)
    assert_close(out["max_stable_lr"], 1 / (l2 + 28 / 3), rtol=1e-9)


def test_ridge_solves_its_normal_equations():
    # (A^T A + n l2 D) theta = A^T y, solved by LU here, by least squares in lstsq
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    for bias in (True, False):
        for l2 in (0.01, 0.5, 7.0):
            A = np.hstack([X, np.ones((20, 1))]) if bias else X
            D = np.diag([1.0, 1.0, 1.0] + ([0.0] if bias else []))
            expected = np.linalg.solve(A.T @ A + 20 * l2 * D, A.T @ y)
            s = lstsq(X, y, bias=bias, l2=l2)
            assert allclose(s.param_vector(), expected, rtol=METHODS)
            mse = float(np.mean((A @ expected - y) ** 2)) + l2 * float(np.sum(expected[:3] ** 2))
            assert isclose(s.loss, mse, rtol=METHODS)
            H = 2 * (A.T @ A) / 20 + 2 * l2 * D
            assert isclose(max_stable_lr(X, bias=bias, l2=l2), 2 / np.linalg.eigvalsh(H).max(), rtol=METHODS)
            assert allclose(loss_hessian(X, bias=bias, l2=l2), H, rtol=METHODS)
            cond = np.linalg.cond(np.vstack([A, math.sqrt(20 * l2) * D]))
            assert isclose(s.condition_number, cond, rtol=1e-9)


def test_ridge_condition_number_is_the_ridge_problems(tmp_path, capsys):
    # constant x: singular without ridge, unique with it (old: "condition number ... inf" anyway)
    path = _csv(tmp_path, "x,y\n2,1\n2,2\n2,3\n")
    assert _solve_json(capsys, path)["unique"] is False
    out = _solve_json(capsys, path, "--l2", "0.5")
    assert out["unique"] is True and out["condition_number"] is not None
    # the ridge loss 1/3 sum (2w + b - y)^2 + 0.5 w^2 is least at w = 0, b = 2
    assert_close([out["w"], out["b"]], [0.0, 2.0], rtol=1e-15, atol=1e-15)


def test_l2_must_be_finite():
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        lstsq([1.0, 2.0], [1.0, 2.0], l2=math.inf)
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        max_stable_lr([1.0, 2.0], l2=math.nan)


# --- fit(standardize=True) without an intercept -------------------------------------------------


@pytest.fixture
def offset_data():
    # x far from 0 (mean 50, std ~3): centring would fit the line through the means, not through 0
    rng = np.random.default_rng(0)
    x = rng.uniform(45.0, 55.0, 40)
    return x, 1.5 * x + rng.normal(0.0, 2.0, 40)


@pytest.mark.parametrize("engine", ENGINES)
def test_standardize_without_intercept_returns_the_least_squares_model(engine, offset_data):
    # old: w = 1.30 where least squares through 0 is 1.46; History.final_loss 4809.7 was not the
    # returned model's loss (182.7), and History.closed_form called the returned w least squares
    x, y = offset_data
    model = LinearRegression(bias=False, engine=engine)
    h = fit(model, (x, y), "gd", lr=0.5, epochs=200, standardize=True)
    w_ls = float(x @ y / (x @ x))  # least squares through the origin, by hand
    assert isclose(model.weights[0], w_ls, rtol=1e-10)
    returned_loss = float(np.mean((model.weights[0] * x - y) ** 2))
    assert isclose(h.final_loss, returned_loss, rtol=1e-10)
    assert isclose(h.closed_form.weights[0], w_ls, rtol=METHODS) and h.closed_form.intercept is None
    assert isclose(h.closed_form.loss, returned_loss, rtol=1e-10)
    assert h.param_distance < 1e-9 and abs(h.loss_gap) < 1e-9 * returned_loss
    assert isclose(h.initial_loss, float(np.mean(y**2)), rtol=METHODS)  # w = 0 before training
    assert isclose(h.standardizer.std[0], math.sqrt(float(np.mean(x * x))), rtol=METHODS)
    assert h.standardizer.mean.tolist() == [0.0] and h.standardizer.center is False


def test_standardize_with_intercept_still_centres(offset_data):
    x, y = offset_data
    h = fit(LinearRegression(), (x, y), "gd", lr=0.5, epochs=300, standardize=True)
    assert isclose(h.standardizer.mean[0], float(x.mean()), rtol=METHODS) and h.standardizer.center
    assert h.param_distance < 1e-8


def test_cli_standardize_without_intercept(tmp_path, capsys, offset_data):
    x, y = offset_data
    path = _csv(tmp_path, "x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    assert main(["fit", path, "--no-bias", "--standardize", "--epochs", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isclose(out["w"], float(x @ y / (x @ x)), rtol=1e-10)
    assert isclose(out["loss"], out["closed_form"]["loss"], rtol=1e-10)
    assert main(["fit", path, "--no-bias", "--standardize", "--epochs", "3"]) == 0
    assert "x: divided by" in capsys.readouterr().out
    out = _solve_json(capsys, path, "--no-bias", "--standardize")
    rms = math.sqrt(float(np.mean(x * x)))
    assert isclose(out["standardized"]["w"], out["w"] * rms, rtol=1e-10)
    assert out["standardized"]["hessian_condition_number"] == 1.0  # one feature scaled by its rms


def test_standardizer_without_centring():
    s = Standardizer.fit([[1.0, -3.0], [2.0, 4.0], [3.0, 0.0]], center=False)
    assert s.mean.tolist() == [0.0, 0.0]
    assert allclose(s.std, [math.sqrt(14 / 3), math.sqrt(25 / 3)], rtol=METHODS)
    assert allclose(
        s.to_original([2.0, 5.0], None)[0], [2 / math.sqrt(14 / 3), 5 / math.sqrt(25 / 3)], rtol=METHODS
    )
    with pytest.raises(ValueError, match="cannot standardize z: all its values are 0.0"):
        Standardizer.fit([[0.0], [0.0]], names=["z"], center=False)
    big = Standardizer.fit([[1e200], [-1e200]], center=False)  # x^2 overflows, the rms does not
    assert big.std.tolist() == [1e200]
