"""Messages that send the learner the right way (issue 21): a divergence is blamed on its cause,
a division by zero is said with its cause, grad()/hessian() name an argument that is not a graph
node, a gradient check on overflowing numbers says so."""

import math
import re

import numpy as np
import pytest

from tinygrad_lr import GD, LinearRegression, Tensor, Value, fit, grad, hessian, mse
from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.errors import InputError
from tinygrad_lr.gradcheck import check_linear_regression
from tinygrad_lr.gradcheck.report import Comparison
from tinygrad_lr.hessian import hvp, largest_eigenvalue
from tinygrad_lr.optim import OPTIMIZERS, Adam, Momentum, Nesterov, Newton
from tinygrad_lr.train import DivergenceError

X3, Y3 = np.array([[1.0], [2.0], [3.0]]), np.array([3.0, 5.0, 7.0])
# the MSE's Hessian on x = 1, 2, 3 with bias, by numpy: 2 A^T A / 3
LAM = float(np.linalg.eigvalsh(2 * np.array([[14.0, 6.0], [6.0, 3.0]]) / 3).max())  # 11.0929


def _csv(tmp_path, text="x,y\n1,3\n2,5\n3,7\n", name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _fit_error(capsys, path, *flags):
    assert main(["fit", path, *flags, "--epochs", "300"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


# --- divergence: the cause, not "a smaller lr than 0.18" ---------------------------------------


@pytest.mark.parametrize(
    "flags, cause",
    [
        # old for all three: "... try a smaller learning rate (... stable only for lr < 0.180295 ...)"
        (["--optimizer", "momentum", "--momentum", "1.5", "--lr", "0.01"], "momentum 1.5 >= 1"),
        (
            ["--optimizer", "momentum", "--lr", "0.1", "--weight-decay", "50"],
            r"lr \* weight_decay = 5 is at least 2 \(1 \+ 0.9\) = 3.8",
        ),
        (["--optimizer", "adamw", "--lr", "1", "--weight-decay", "5"], r"lr \* weight_decay = 5 >= 2"),
        (["--optimizer", "rmsprop", "--momentum", "1"], "momentum 1 >= 1"),
        (["--optimizer", "rmsprop", "--alpha", "1"], "alpha 1 keeps the average s of g"),
        (["--optimizer", "newton", "--lr", "3"], "so lr 3 >= 2 makes it grow"),
    ],
)
def test_divergence_names_the_setting_that_causes_it(tmp_path, capsys, flags, cause):
    err = _fit_error(capsys, _csv(tmp_path), *flags)
    assert "training diverged" in err
    assert pytest.importorskip("re").search(cause, err), err
    assert "try a smaller learning rate" not in err and "0.180295" not in err


def test_gradient_descent_keeps_its_message(tmp_path, capsys):
    err = _fit_error(capsys, _csv(tmp_path), "--lr", "0.5")
    assert (
        "try a smaller learning rate (for this data and the MSE loss, gradient descent is stable only" in err
    )
    assert f"lr < {2 / LAM:.6g} = 2 / {LAM:.6g}" in err


def test_momentum_above_its_own_bound_gets_that_bound(tmp_path, capsys):
    err = _fit_error(capsys, _csv(tmp_path), "--optimizer", "momentum", "--lr", "0.5")
    limit = 2 * 1.9 / LAM  # the heavy ball's 2 (1 + mu) / lambda_max, above GD's 2 / lambda_max
    assert f"momentum (momentum 0.9) is stable only for lr < {limit:.6g} = 2 (1 + 0.9) / {LAM:.6g}" in err


def test_fit_l2_enters_the_bound(tmp_path, capsys):
    err = _fit_error(capsys, _csv(tmp_path), "--lr", "0.3", "--l2", "1")
    lam = float(np.linalg.eigvalsh(2 * np.array([[14.0, 6.0], [6.0, 3.0]]) / 3 + np.diag([2.0, 0.0])).max())
    assert f"the MSE loss with l2 = 1, gradient descent is stable only for lr < {2 / lam:.6g}" in err


@pytest.mark.parametrize(
    "cls, options",
    [
        (Momentum, dict(momentum=0.9)),
        (Momentum, dict(momentum=0.5, weight_decay=3.0)),
        (Momentum, dict(momentum=0.6, dampening=0.5)),
        (Nesterov, dict(momentum=0.9)),
        (Nesterov, dict(momentum=0.3, weight_decay=1.0)),
        (GD, dict()),
    ],
)
def test_the_rules_lr_bound_is_where_real_runs_start_to_diverge(cls, options):
    # independent of the formula: 400 full-batch steps just below the bound shrink the distance to
    # the minimum of this quadratic, just above it they grow it
    def distance_after(lr):
        m = LinearRegression(w=0.5, b=0.5)
        opt = cls(m.parameters(), lr=lr, **options)
        for _ in range(400):
            opt.zero_grad()
            mse(m(X3), Y3).backward()
            opt.step()
        wd = options.get("weight_decay", 0.0)  # with decay the minimum moves: (H + wd I) theta = A^T y 2/n
        H = 2 * np.array([[14.0, 6.0], [6.0, 3.0]]) / 3 + wd * np.eye(2)
        theta = np.linalg.solve(H, 2 * np.array([34.0, 15.0]) / 3)
        return float(np.linalg.norm(m.param_vector() - theta))

    opt = cls([Value(0.0)], lr=0.01, **options)
    bound = opt.lr_bound(opt.param_groups[0])
    limit = bound.factor / (LAM + bound.shift)
    start = float(
        np.linalg.norm(
            [0.5, 0.5]
            - np.linalg.solve(
                2 * np.array([[14.0, 6.0], [6.0, 3.0]]) / 3 + options.get("weight_decay", 0.0) * np.eye(2),
                2 * np.array([34.0, 15.0]) / 3,
            )
        )
    )
    assert distance_after(0.97 * limit) < start
    with np.errstate(over="ignore", invalid="ignore"):
        assert not distance_after(1.03 * limit) < start


def test_an_lr_below_the_bound_is_not_blamed():
    from tinygrad_lr.train.hints import Hint, divergence_hint

    data = Hint(2 / LAM, "for this data ... 2 / 11.0929")
    opt = GD([Value(0.0)], lr=0.01)
    hint = divergence_hint(opt, data)
    assert hint.text.startswith("the learning rate is not the cause: 0.01 is below the largest stable one")
    assert_close(hint.lr, 2 / LAM, rtol=1e-15)
    sgd = OPTIMIZERS["sgd"]([Value(0.0)], lr=0.01)
    assert "a larger patience waits longer" in divergence_hint(sgd, data).text


def test_adaptive_rules_are_not_given_the_gd_bound():
    from tinygrad_lr.train.hints import Hint, divergence_hint

    hint = divergence_hint(Adam([Value(0.0)], lr=5.0), Hint(2 / LAM, "gd text"))
    assert hint.lr is None and "Adam's step is not lr times the gradient" in hint.text
    assert "gd text" not in hint.text
    assert divergence_hint(Newton([Value(0.0)], lr=1.5), None).text == (
        "try a smaller learning rate (Newton's method's step is not lr times the gradient, so the bound "
        "2 / lambda_max of gradient descent does not apply to it)"
    )


def test_divergence_error_carries_the_rules_own_bound():
    m = LinearRegression()
    with pytest.raises(DivergenceError) as info:
        fit(m, (X3, Y3), Momentum(m.parameters(), lr=0.5, momentum=0.9), epochs=100)
    assert_close(info.value.max_stable_lr, 3.8 / LAM, rtol=1e-12)


# --- a division by zero, with its cause ----------------------------------------------------------


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam", "adamw"])
@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_eps_zero_with_a_zero_gradient_is_one_sentence(name, engine):
    # old: 'float division by zero' on the Value engine, a nan loss blamed on the lr on the Tensor one
    m = LinearRegression(engine=engine)
    opt = OPTIMIZERS[name](m.parameters(), eps=0.0)
    opt.zero_grad()
    mse(m(np.zeros((3, 1))), Y3).backward()  # x = 0: dL/dw = 0 exactly
    with pytest.raises(ValueError, match=r"the step of w is 0 / 0: eps is 0 .* use eps > 0 \(the default is"):
        opt.step()


def test_cli_eps_zero(tmp_path, capsys):
    path = _csv(tmp_path, "x,y\n0,3\n0,5\n0,7\n")
    for engine in ("value", "tensor"):
        err = _fit_error(capsys, path, "--optimizer", "adam", "--eps", "0", "--engine", engine)
        assert "Adam: the step of w is 0 / 0: eps is 0" in err and "float division" not in err
        assert "diverged" not in err


def test_rmsprop_alpha_one_and_eps_zero_names_alpha():
    w = Tensor([1.0], requires_grad=True)
    opt = OPTIMIZERS["rmsprop"]([w], alpha=1.0, eps=0.0)
    (w * w).sum().backward()
    with pytest.raises(
        ValueError, match="alpha 1 keeps the average s of g\\^2 at its start, 0, and eps is 0"
    ):
        opt.step()


def test_a_loss_of_ones_own_that_divides_by_zero():
    def at_start(f, y):
        return mse(f, y) / Value(0.0)

    with pytest.raises(ValueError, match="the loss divides by zero at the initial parameters"):
        fit(LinearRegression(), (X3, Y3), "gd", lr=0.01, loss=at_start, epochs=3)

    def later(f, y):  # 0 only once the first prediction has moved away from 0
        return mse(f, y) / (f[0] - f[0] + (1.0 if f[0].data == 0 else 0.0))

    with pytest.raises(
        ValueError, match="training stopped at epoch 1: the loss or its gradient divides by zero"
    ):
        fit(LinearRegression(), (X3, Y3), "gd", lr=0.01, loss=later, epochs=3)


# --- grad() and hessian() of what is not a graph -------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: grad(x**2, 2.0), r"grad\(\): input 0 must be a Value or a Tensor .* got float 2.0"),
        (lambda x: grad(x**2, [x, 1.0]), r"grad\(\): input 1 must be"),
        (lambda x: grad(x**2, None), r"input 0 must be .* got NoneType None"),
        (lambda x: grad(x**2, np.array([1.0])), r"input 0 must be .* got an array of shape \(1,\)"),
        (lambda x: grad(3.0, x), r"grad\(\): the output must be a Value or a Tensor .* got float 3.0"),
        (lambda x: grad([x * x, 2.0], x), r"grad\(\): output 1 must be"),
        (lambda x: hessian(3.0, [x]), r"hessian\(\): the loss must be a Value or a Tensor"),
        (lambda x: hessian(x * x, [2.0]), r"hessian\(\): parameter 0 must be"),
        (lambda x: hessian(None, [x]), r"hessian\(\): the loss must be .* got NoneType None"),
        (lambda x: hessian(x * x, []), r"hessian\(\): params is empty"),
        (lambda x: hessian(x * x, 5), r"hessian\(\): params must be a list of Values or Tensors, got int 5"),
        (lambda x: hessian([x * x], [x]), r"hessian\(\): the loss must be one Value"),
        (lambda x: hvp(3.0, [x], [1.0]), r"hvp\(\): the loss must be"),
        (lambda x: largest_eigenvalue(2.0, [x]), r"largest_eigenvalue\(\): the loss must be"),
    ],
)
def test_not_a_graph_is_named(call, message):
    # old: AttributeError: 'float' object has no attribute '_prev' (or '_seed_node', 'data')
    with pytest.raises(InputError, match=message):
        call(Value(2.0))


def test_one_node_as_params():
    # old: hessian((w*w).sum(), w) iterated the Tensor into new nodes and returned zeros
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert hessian((w * w).sum(), w).tolist() == [[2.0, 0.0], [0.0, 2.0]]
    x = Value(3.0)
    assert hessian(x * x * x, x).tolist() == [[18.0]]  # d^2(x^3)/dx^2 = 6x


def test_second_derivatives_that_overflow_are_said():
    w = Tensor([1e200], requires_grad=True)
    with np.errstate(over="ignore"):
        L = ((w * w) * (w * w)).sum()  # 12 w^2 = 1.2e401: inf
    with pytest.raises(
        ValueError, match=r"hessian\(\): the Hessian holds inf: the second derivatives overflow"
    ):
        hessian(L, [w])
    with pytest.raises(ValueError, match=r"hvp\(\): H v holds inf"):
        hvp(L, [w], [1.0])


# --- a gradient check on numbers that overflow -----------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--csv", "BIG_Y"],  # residuals 1e154: their squares add up to inf
        ["--csv", "BIG_Y", "--engine", "tensor"],
        ["--w", "1e160", "--engine", "tensor"],  # old: FAILED with a table of nan
    ],
)
def test_gradcheck_on_overflowing_numbers_says_so(tmp_path, capsys, argv):
    path = _csv(tmp_path, "1,1e154\n2,-1e154\n3,1e154\n4,-1e154\n", "big.csv")
    assert main(["gradcheck", *[path if a == "BIG_Y" else a for a in argv]]) == 2
    captured = capsys.readouterr()
    assert "the numbers overflow float64" in captured.err and captured.out == ""
    assert "float division by zero" not in captured.err  # old, for the csv


def test_gradcheck_overflow_a_step_away():
    # L = w^2 at w = 1.3407807e154 is 1.7976929e308, finite; a step h = 6e-6 |w| further it is inf
    w = Value(1.3407807e154, label="w")
    assert math.isfinite(w.data * w.data)
    from tinygrad_lr.gradcheck import gradcheck

    report = gradcheck(lambda: w * w, [w])
    assert not report.ok and report.overflow.startswith("the loss is inf a step h = ")
    verdict = report.verdict()
    assert re.match(r"FAILED: the loss is inf a step h = \S+ away in w: the numbers overflow", verdict)
    assert "disagree" not in verdict  # no gradient disagreed: none could be checked


def test_relative_error_of_a_non_finite_comparison_is_nan_not_a_crash():
    c = Comparison(0, "w", 0.0, "numerical", math.nan, 0.0, 1e-6)
    assert math.isnan(c.rel_err) and not c.ok


def test_a_finite_check_still_passes():
    assert check_linear_regression(1.0, 0.0, [1, 2, 3], [3, 5, 7]).ok
