"""The linear-regression toolkit: closed form, standardization, L1/L2, metrics, split, stopping rules."""

import json

import numpy as np
import pytest

from tinygrad_lr import LinearRegression, Value, fit, load_csv, sse
from tinygrad_lr.cli import main
from tinygrad_lr.closed_form import lstsq, ridge
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.data import make_linear_data, train_test_split
from tinygrad_lr.losses import l1_penalty, l2_penalty, regularized
from tinygrad_lr.metrics import mean_absolute_error, mean_squared_error, r2_score, regression_metrics
from tinygrad_lr.optim import GD, SGD, StepLR
from tinygrad_lr.scaling import Standardizer

STUDY = "examples/data/study_hours.csv"


def normal_equations(X, y):
    A = np.hstack([np.asarray(X, float).reshape(len(y), -1), np.ones((len(y), 1))])
    return np.linalg.solve(A.T @ A, A.T @ np.asarray(y, float))


def test_closed_form_solves_the_normal_equations():
    d = load_csv(STUDY)
    s = lstsq(d.X, d.y)
    assert allclose(s.param_vector(), normal_equations(d.X, d.y), rtol=1e-12, atol=0)
    assert_close(s.loss, np.mean((d.X[:, 0] * s.weights[0] + s.intercept - d.y) ** 2), rtol=1e-14, atol=1e-12)
    # ridge by hand on the worked example: (A^T A + D) theta = A^T y with A^T A = [[14, 6], [6, 3]]
    r = ridge([1, 2, 3], [3, 5, 7], l2=1.0, loss="sse")
    assert_close(r.param_vector(), [4 / 3, 7 / 3], rtol=0.0, atol=1e-14)


def test_cli_standardize_converges_with_defaults_to_the_closed_form(capsys):
    assert main(["fit", STUDY, "--standardize", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    want = normal_equations(*(lambda d: (d.X, d.y))(load_csv(STUDY)))
    assert out["converged"] is True
    assert abs(out["w"] - want[0]) <= 1e-6 and abs(out["b"] - want[1]) <= 1e-6
    assert_close(out["closed_form"]["w"], want[0], rtol=0.0, atol=1e-10)
    assert out["param_distance"] <= 1e-6
    assert main(["fit", STUDY, "--standardize"]) == 0
    text = capsys.readouterr().out
    assert "converged" in text and "NOT converged" not in text and "closed form (least squares)" in text


def test_cli_unscaled_says_not_converged_and_why(capsys):
    assert main(["fit", STUDY]) == 0
    text = capsys.readouterr().out
    assert "NOT converged" in text and "try --standardize" in text


def test_solve_command(capsys):
    assert main(["solve", STUDY, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    d = load_csv(STUDY)
    assert_close([out["w"], out["b"]], normal_equations(d.X, d.y).tolist(), rtol=1e-12, atol=1e-12)
    A = np.hstack([d.X, np.ones((100, 1))])
    assert_close(
        out["max_stable_lr"], 2 / np.linalg.eigvalsh(2 * A.T @ A / 100).max(), rtol=1e-12, atol=1e-12
    )
    assert main(["solve", STUDY, "--l2", "-1"]) == 2


def test_solve_json_is_strict_json_on_singular_data(capsys):
    # x is 1 in every row: w and b cannot be told apart, the condition number is infinite
    assert main(["solve", "examples/data/constant_x.csv", "--json"]) == 0
    text = capsys.readouterr().out
    assert "Infinity" not in text and "NaN" not in text
    out = json.loads(text)
    assert out["condition_number"] is None and out["hessian_condition_number"] is None
    assert out["unique"] is False
    # the smallest-norm answer with w = b: w*1 + b = mean(y) = 4
    assert allclose(out["w"], 2.0, rtol=1e-12, atol=1e-12) and allclose(out["b"], 2.0, rtol=1e-12, atol=1e-12)
    assert main(["solve", "examples/data/study_hours.csv", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unique"] is True


def test_standardizer_round_trip_and_zero_variance():
    s = Standardizer.fit([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    w, b = s.to_original(*s.to_standardized([2.0, -1.0], 0.5))
    assert allclose(w.tolist(), [2.0, -1.0], rtol=0.0, atol=1e-14) and allclose(b, 0.5, rtol=0.0, atol=1e-14)
    with pytest.raises(ValueError, match="cannot standardize feature 1"):
        Standardizer.fit([[1.0], [1.0]])


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_fit_standardized_reports_original_units_and_model_predicts_in_them(engine):
    d = load_csv(STUDY)
    m = LinearRegression(engine=engine)
    h = fit(m, d, "gd", lr=0.5, epochs=5, standardize=True, grad_tol=1e-10)
    want = normal_equations(d.X, d.y)
    assert h.converged and h.converged_epoch is not None
    assert np.abs(m.param_vector() - want).max() <= 1e-9
    assert h.param_distance <= 1e-9 and abs(h.loss_gap) <= 1e-9
    assert_close(m.predict(50.0), want[0] * 50 + want[1], rtol=1e-12, atol=1e-12)


def test_stopping_rules():
    data = ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0])
    h = fit(LinearRegression(w=1.0), data, "gd", lr=0.05, loss="sse", epochs=5000, grad_tol=1e-9)
    assert h.converged and h.epochs == h.converged_epoch < 5000 and h.grad_norms[-1] <= 1e-9
    assert h.grad_norms[-2] > 1e-9  # it stopped at the first epoch below the tolerance
    h = fit(LinearRegression(w=1.0), data, "gd", lr=0.05, loss="sse", epochs=5000, loss_tol=1e-6)
    assert h.converged and h.epochs < 5000
    assert abs(h.losses[-1] - h.losses[-2]) <= 1e-6 * h.losses[-2]
    h = fit(LinearRegression(w=1.0), data, "gd", lr=0.001, loss="sse", epochs=10, grad_tol=1e-9)
    assert h.converged is False and "not converged" in h.stop_reason
    m = LinearRegression(w=1.0)
    opt = SGD(m.parameters(), lr=0.01)
    h = fit(m, data, opt, loss="sse", epochs=2000, grad_tol=1e-6)  # one-sample updates: an extra pass
    assert h.converged and len(h.grad_norms) == h.epochs
    with pytest.raises(ValueError, match="grad_tol must be a number >= 0"):
        fit(LinearRegression(), data, "gd", lr=0.1, grad_tol=-1)


def test_scheduler_in_fit_sets_the_lr_per_epoch():
    m = LinearRegression(w=1.0)
    opt = GD(m.parameters(), lr=0.02)
    h = fit(m, ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]), opt, loss="sse", epochs=5, scheduler=StepLR(opt, 2, 0.5))
    assert_close(h.lrs, [0.02, 0.02, 0.01, 0.01, 0.005], rtol=1e-15, atol=1e-12)
    with pytest.raises(ValueError, match="built on the optimizer"):
        fit(m, ([1.0], [2.0]), GD(m.parameters(), lr=0.1), scheduler=StepLR(opt, 2))


def test_penalties_are_graph_nodes_with_the_subgradient_at_zero():
    w1, w2, w3 = Value(2.0), Value(-3.0), Value(0.0)
    P = 0.5 * l1_penalty([w1, w2, w3]) + 0.25 * l2_penalty([w1, w2, w3])
    P.backward()
    assert_close(P.data, 0.5 * 5 + 0.25 * 13, rtol=0.0, atol=1e-15)
    assert_close([w1.grad, w2.grad, w3.grad], [0.5 + 1.0, -0.5 - 1.5, 0.0], rtol=0.0, atol=1e-15)
    ops = set()
    stack = [P]
    while stack:
        node = stack.pop()
        ops.add(node.op)
        stack.extend(node.parents)
    assert "abs" in ops and any(op.startswith("**") or op == "^2" for op in ops), ops


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_ridge_fit_reaches_ridge_closed_form(engine):
    d = make_linear_data(30, rng=1)
    m = LinearRegression(engine=engine)
    h = fit(m, d, "gd", lr=0.2, epochs=3000, l2=0.3, grad_tol=1e-11)
    assert h.converged and h.closed_form is not None and h.closed_form.l2 == 0.3
    assert h.param_distance <= 1e-9
    g = regularized(sse, [Value(1.0)], l2=0.0)
    assert g is sse


def test_lasso_subgradient_in_the_gradient_check():
    from tinygrad_lr.gradcheck import check_gradient_fn  # noqa: F401 - the gradient check exists

    w, b = Value(0.5), Value(0.0)
    loss = regularized(sse, [w], l1=2.0)
    L = loss([w * x + b for x in (1, 2, 3)], [3, 5, 7])
    L.backward()
    # dL/dw = 2 sum (w x + b - y) x + 2 * sign(w) = 2 (-2.5 - 8 - 16.5) + 2
    assert_close(w.grad, 2 * (-2.5 * 1 - 4 * 2 - 5.5 * 3) + 2.0, rtol=0.0, atol=1e-12)


def test_metrics_by_hand():
    y, f = [3.0, 5.0, 7.0, 9.0], [2.0, 5.0, 8.0, 9.0]
    assert mean_squared_error(y, f) == 0.5 and mean_absolute_error(y, f) == 0.5
    assert_close(r2_score(y, f), 1 - 2 / 20, rtol=0.0, atol=1e-15)
    assert_close(regression_metrics(y, f)["rmse"], 0.5**0.5, rtol=0.0, atol=1e-15)


def test_split_is_seeded_and_predicts_the_held_out_point():
    X, y = [[1.0], [2.0], [3.0], [4.0]], [3.0, 5.0, 7.0, 9.0]
    a = train_test_split(X, y, 0.25, rng=3)
    b = train_test_split(X, y, 0.25, rng=3)
    assert np.array_equal(a[1][0], b[1][0]) and len(a[0][1]) == 3
    m = LinearRegression(w=1.0)
    fit(m, ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]), "gd", lr=0.01, loss="sse", epochs=1000)
    assert_close(m.predict(4.0), 9.0, rtol=0.0, atol=1e-3)  # the step-by-step tutorial's test point (4, 9)
    with pytest.raises(ValueError, match="leaves an empty part"):
        train_test_split(X, y, 0.01)


def test_cli_test_split_and_options(capsys, tmp_path):
    assert main(["fit", STUDY, "--standardize", "--test-split", "0.2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_train"] == 80 and out["n_test"] == 20 and 0 < out["metrics"]["test"]["r2"] <= 1
    assert (
        main(
            [
                "fit",
                STUDY,
                "--standardize",
                "--optimizer",
                "adam",
                "--lr",
                "0.5",
                "--epochs",
                "300",
                "--betas",
                "0.9",
                "0.99",
                "--schedule",
                "cosine",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["optimizer"] == "adam"
    assert main(["fit", STUDY, "--batch-size", "10", "--standardize", "--json", "--epochs", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["optimizer"] == "minibatch"
    for bad in (
        ["--optimizer", "gd", "--momentum", "0.9"],
        ["--schedule", "linear"],
        ["--l2", "-1"],
        ["--test-split", "1.5"],
        ["--optimizer", "adam", "--betas", "0.9", "1.0"],
        ["--tol", "nan"],
        ["--replay", str(tmp_path / "replay"), "--l1", "0.1"],  # --standardize replays (test_replay_rules)
    ):
        assert main(["fit", STUDY, *bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("tinygrad-lr fit: error: ") and err.count("\n") == 1, (bad, err)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_gradient_check_sees_the_penalty_terms(engine):
    from tinygrad_lr.gradcheck import check_linear_regression

    # dL/dw = -40 (the worked example) + l1 * sign(1) + 2 * l2 * 1 = -40 + 2 + 1
    report = check_linear_regression(1.0, 0.0, [1, 2, 3], [3, 5, 7], l1=2.0, l2=0.5, engine=engine)
    assert report.ok
    assert_close(report.autodiff(), {"w": -37.0, "b": -18.0}, rtol=0.0, atol=1e-12)
    # at w = 0 the subgradient 0 agrees with the central difference (l1 h - l1 h) / 2h = 0
    at_zero = check_linear_regression(0.0, 0.0, [1, 2, 3], [3, 5, 7], l1=2.0, engine=engine)
    assert at_zero.ok and allclose(at_zero.autodiff()["w"], -2 * (3 + 10 + 21), rtol=0.0, atol=1e-12)


def test_walkthrough_shows_the_penalty_steps():
    from tinygrad_lr import walkthrough_text

    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    L = regularized(sse, [w], l1=2.0, l2=0.5)([w * x + b for x in (1, 2, 3)], [3, 5, 7])
    text = walkthrough_text(L)
    assert "abs(w)" in text and "w^2" in text  # the L1 and L2 terms are steps of the backward pass
    L.backward()
    assert_close(w.grad, -37.0, rtol=0.0, atol=1e-12)
