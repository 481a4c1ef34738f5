"""Logistic regression on the same engine: the logsigmoid op, the BCE loss, the model, Newton's
method on the formulas, fit, and the answers of scikit-learn.

Every number is checked against one worked out independently: by hand (``math`` on the two-point
worked example), by numpy formulas written here, by finite differences, or by scikit-learn's
unpenalized and L2-penalised ``LogisticRegression`` where it is installed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lr import (
    GD,
    LinearRegression,
    LogisticRegression,
    Tensor,
    Value,
    bce_with_logits,
    detect_anomaly,
    fit,
    grad,
    hessian,
    walkthrough_text,
)
from tinygrad_lr.anomaly import AnomalyError
from tinygrad_lr.compare import assert_close
from tinygrad_lr.compile import CompileWarning, compile_step
from tinygrad_lr.data import DataError, from_arrays, load_csv, make_logistic_data
from tinygrad_lr.errors import InputError
from tinygrad_lr.logistic import irls, logistic_gradient, logistic_hessian, logistic_loss, separable_note
from tinygrad_lr.metrics import accuracy_score, classification_metrics, confusion_matrix, log_loss

EXAM = "examples/data/exam_results.csv"
IRIS = "examples/data/iris_versicolor_virginica.csv"
SKLEARN_ATOL = 1e-6  # the contract: our parameters equal scikit-learn's to 1e-6
NEWTON_ATOL = 1e-10  # ... and the engine's own Newton's method (autodiff Hessian) to 1e-10


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _softplus(z: float) -> float:  # log(1 + e^z), the BCE of a logit z against the class 0
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _bce(z: float, y: float) -> float:  # -(y log s + (1 - y) log(1 - s)) = softplus(z) - y z
    return _softplus(z) - y * z


# --- the op and the loss ---------------------------------------------------------------------


@pytest.mark.parametrize("a", [-1e300, -800.0, -40.0, -1.0, 0.0, 2.0, 40.0, 800.0, 1e300])
def test_logsigmoid_is_finite_for_every_finite_logit_on_both_engines(a):
    expected = -_softplus(-a)  # log sigmoid(a) = -log(1 + e^-a)
    v = Value(a).logsigmoid()
    t = Tensor([a]).logsigmoid()
    assert_close(v.data, expected, rtol=1e-15, atol=1e-300)
    assert_close(t.data[0], expected, rtol=1e-15, atol=1e-300)
    slope = _sigmoid(-a) if abs(a) < 700 else (1.0 if a < 0 else 0.0)  # 1 - sigmoid(a), without cancelling
    assert_close(v.local_grads[0], slope, rtol=1e-15, atol=1e-300)


def test_logsigmoid_second_derivative_at_zero_is_a_quarter():
    # Newton's first step from w = b = 0 needs it: the curvature of a composite of relu and abs is 0 there
    for leaf, wrap in ((Value(0.0), lambda t: t), (Tensor([0.0], requires_grad=True), lambda t: t.sum())):
        (d1,) = grad(wrap(leaf.logsigmoid()), leaf, create_graph=True)
        (d2,) = grad(wrap(d1), leaf)
        assert float(np.asarray(d1.data).reshape(-1)[0]) == 0.5
        assert float(np.asarray(d2.data).reshape(-1)[0]) == -0.25  # d/da sigmoid(-a) = -s(1 - s)


@settings(max_examples=40, deadline=None)
@given(
    z=st.lists(st.floats(-50.0, 50.0), min_size=1, max_size=6),
    data=st.data(),
)
def test_bce_value_and_tensor_agree_with_the_formula_and_its_gradient(z, data):
    y = data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(z), max_size=len(z)))
    n = len(z)
    expected = sum(_bce(a, b) for a, b in zip(z, y)) / n
    zv = [Value(a) for a in z]
    Lv = bce_with_logits(zv, y)
    Lv.backward()
    zt = Tensor(np.array(z), requires_grad=True)
    Lt = bce_with_logits(zt, y)
    Lt.backward()
    assert_close(Lv.data, expected, rtol=1e-12, atol=1e-15)
    assert_close(Lt.item(), expected, rtol=1e-12, atol=1e-15)
    slopes = [(_sigmoid(a) - b) / n for a, b in zip(z, y)]  # dL/dz_i = (sigmoid(z_i) - y_i) / n
    assert_close([v.grad for v in zv], slopes, rtol=1e-12, atol=1e-15)
    assert_close(zt.grad, slopes, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_bce_never_takes_log_of_zero_nor_overflows(engine):
    z, y = [1000.0, -1000.0, 1e300, -1e300], [0.0, 1.0, 1.0, 0.0]
    leaf = [Value(v) for v in z] if engine == "value" else Tensor(np.array(z), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow or divide warning either
        L = bce_with_logits(leaf, y)
        L.backward()
    # the two wrong confident answers cost 1000 each, the right ones nothing: mean 500
    assert float(np.asarray(L.data)) == 500.0
    g = [v.grad for v in leaf] if engine == "value" else leaf.grad.tolist()
    assert g == [0.25, -0.25, 0.0, 0.0]  # (sigmoid(z) - y) / 4


def test_the_loss_graph_collapses_to_sigmoid_minus_y_at_the_logit():
    w, b = Value(0.0, label="w"), Value(0.0, label="b")
    z = w * Value(3.0, label="x2") + b
    z.label = "z2"
    L = bce_with_logits([z], [1.0])  # one sample: x = 3, y = 1
    L.label = "L"
    L.backward()
    assert z.grad == _sigmoid(0.0) - 1.0 == -0.5  # dL/dz = sigmoid(z) - y
    assert w.grad == -1.5 and b.grad == -0.5  # (sigmoid(z) - y) x, (sigmoid(z) - y)
    step = [line.split(". ", 1)[1] for line in walkthrough_text(L).splitlines() if "dL/dz2 =" in line]
    # the two paths from z: -logsigmoid(-z) (slope sigmoid(z) = 0.5) and -y z (slope -y = -1)
    assert step == [
        "dL/dz2 = dL/d(y1*z2) * d(y1*z2)/dz2 + dL/d(-z2) * d(-z2)/dz2 = -1 * 1 + (-0.5) * (-1) = -0.5"
    ]


# --- the model --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_the_model_returns_logits_probabilities_and_classes(engine):
    m = LogisticRegression(2, w=[1.0, -2.0], b=0.5, engine=engine)
    X = [[1.0, 1.0], [0.0, 0.0], [3.0, 0.5]]
    z = np.array([-0.5, 0.5, 2.5])
    assert_close(m.decision_function(X), z, rtol=1e-15)
    assert_close(m.predict_proba(X), [_sigmoid(v) for v in z], rtol=1e-15)
    assert m.predict(X).tolist() == [0, 1, 1]
    out = m(X)
    labels = [v.label for v in out] if engine == "value" else [out.label]
    assert labels == (["z1", "z2", "z3"] if engine == "value" else ["z"])
    assert m.predict_proba([0.0, 0.0]) == _sigmoid(0.5) and m.predict([0.0, 0.0]) == 1  # one sample
    assert LogisticRegression(w=1.0, b=0.0).predict(0.0) == 0  # p = 1/2 exactly: class 0, as sklearn
    assert repr(LogisticRegression(bias=False, w=2.0)).startswith("LogisticRegression(n_features=1, w=2.0")


def test_the_two_point_worked_example_by_hand():
    """docs/logistic.md's example: x = 1, 3 with classes 0, 1, from w = b = 0, one GD step of lr 1."""
    xs, ys = [1.0, 3.0], [0.0, 1.0]
    for engine in ("value", "tensor"):
        m = LogisticRegression(w=0.0, b=0.0, engine=engine)
        h = fit(m, (xs, ys), "gd", lr=1.0, epochs=1)
        assert_close(h.initial_loss, math.log(2), rtol=1e-15)  # every p = 1/2
        # dL/dw = ((1/2 - 0) * 1 + (1/2 - 1) * 3) / 2 = -1/2, dL/db = ((1/2 - 0) + (1/2 - 1)) / 2 = 0
        assert m.weights[0] == 0.5 and m.intercept == 0.0
        z = [0.5 * x for x in xs]
        assert_close(h.losses[0], (_bce(z[0], 0.0) + _bce(z[1], 1.0)) / 2, rtol=1e-15)
        assert round(h.losses[0], 6) == 0.587745


# --- the formulas and Newton's method --------------------------------------------------------


def _exam():
    d = load_csv(EXAM)
    return d.X, d.y


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_the_gradient_and_hessian_formulas_are_the_autodiff_ones(l2):
    X, y = _exam()
    w, b = np.array([0.3, -0.2]), 0.7
    m = LogisticRegression(2, w=w, b=b, engine="tensor")
    L = bce_with_logits(m(X), y) + l2 * (m.w**2).sum()
    H = hessian(L, m.parameters())
    assert_close(H, logistic_hessian(X, w, b, l2), rtol=1e-12, atol=1e-15)
    L = bce_with_logits(m(X), y) + l2 * (m.w**2).sum()
    L.backward()
    g = np.concatenate([m.w.grad, [float(m.b.grad)]])
    assert_close(g, logistic_gradient(X, y, w, b, l2), rtol=1e-12, atol=1e-15)
    assert_close(L.item(), logistic_loss(X, y, w, b, l2), rtol=1e-14)
    # X^T S X / n by hand, with S = p (1 - p)
    A = np.hstack([X, np.ones((len(y), 1))])
    p = 1 / (1 + np.exp(-(A @ [0.3, -0.2, 0.7])))
    assert_close(
        logistic_hessian(X, w, b, l2),
        A.T @ (A * (p * (1 - p))[:, None]) / len(y) + np.diag([2 * l2] * 2 + [0]),
        rtol=1e-13,
    )


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_newton_by_autodiff_reaches_the_formulas_answer_in_a_handful_of_steps_where_gd_takes_hundreds(
    engine, l2
):
    X, y = _exam()
    answer = irls(X, y, l2=l2)
    assert answer.converged and not answer.separable and answer.iterations <= 10
    m = LogisticRegression(2, engine=engine)
    h = fit(m, (X, y), "newton", epochs=8, l2=l2)
    assert_close(m.param_vector(), answer.param_vector(), rtol=0, atol=NEWTON_ATOL)
    assert h.param_distance < NEWTON_ATOL and h.closed_form is not None
    gap = [loss - answer.loss for loss in h.losses]
    assert gap[5] < 1e-12  # a handful of steps
    g = LogisticRegression(2, engine="tensor")
    hg = fit(g, (X, y), "gd", lr=0.05, epochs=300, standardize=False, l2=l2)
    assert hg.losses[-1] - answer.loss > 1e-4  # hundreds of GD steps and still far


def test_separable_data_is_said_and_has_no_answer():
    h = fit(LogisticRegression(), ([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1]), "gd", lr=1.0, epochs=200)
    assert h.closed_form is None and len(h.notes) == 1
    assert "the classes are perfectly separable" in h.notes[0]
    assert "weights grow, without bound" in h.notes[0] and "L2 penalty" in h.notes[0]
    assert "note: the classes are perfectly separable" in repr(h)
    # more epochs, larger weights: no minimum is being approached
    longer = fit(LogisticRegression(), ([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1]), "gd", lr=1.0, epochs=400)
    assert longer.final_params[0] > h.final_params[0] > 0
    # with an L2 penalty a minimum exists, and it is reached
    ridge = fit(LogisticRegression(), ([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1]), "newton", epochs=10, l2=0.01)
    assert ridge.notes == [] and ridge.param_distance < 1e-10


@pytest.mark.parametrize(
    "X, y, start",
    [
        ([1.0, 2.0, 3.0], [1, 1, 1], "every target is 1 (one class only)"),
        ([[5.0, 1.0]], [0], "every target is 0 (one class only)"),  # one row
        ([-1.0, 0.5, 0.5, 1.0], [0, 0, 1, 1], "Newton's method did not settle"),  # separable but for a tie
    ],
)
def test_one_class_one_row_and_ties_are_said(X, y, start):
    answer = irls(X, y)
    assert not answer.converged
    note = separable_note(answer, y, ["w", "b"] if np.ndim(X) == 1 else ["w1", "w2", "b"])
    assert note.startswith(start) and ("L2 penalty" in note or "both classes" in note)


@pytest.mark.parametrize("bad", [2.0, -1.0, 0.5])
def test_fit_refuses_targets_that_are_not_0_or_1_naming_the_row(bad):
    with pytest.raises(
        DataError, match=rf"row 2 \(0-based\), column y: {bad!r} is not a class label \(0 or 1\)"
    ):
        fit(LogisticRegression(), ([1.0, 2.0, 3.0], [0.0, 1.0, bad]), "gd", lr=0.1, epochs=1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_fit_refuses_nan_and_inf_targets(bad):
    with pytest.raises(DataError, match="y\\[1\\] is (nan|inf)"):
        fit(LogisticRegression(), ([1.0, 2.0], [0.0, bad]), "gd", lr=0.1, epochs=1)


def test_huge_features_are_refused_with_the_fix():
    with pytest.raises(DataError, match="overflow when squared.*standardize=True"):
        fit(LogisticRegression(), ([1e200, 1.0, 2.0], [0, 1, 0]), "gd", lr=0.1, epochs=1)
    # standardized, large ones are just numbers
    h = fit(
        LogisticRegression(),
        ([1e150, 1.0, 2.0, 3e150], [0, 1, 0, 1]),
        "gd",
        lr=0.5,
        epochs=5,
        standardize=True,
    )
    assert all(map(math.isfinite, h.losses))


def test_a_loss_that_does_not_suit_the_model_is_refused():
    with pytest.raises(InputError, match="returns logits, not predictions of the target.*'bce'"):
        fit(LogisticRegression(), ([1.0, 2.0], [0, 1]), "gd", lr=0.1, loss="mse")
    with pytest.raises(InputError, match="'bce' loss .* takes the logits of a LogisticRegression"):
        fit(LinearRegression(), ([1.0, 2.0], [0, 1]), "gd", lr=0.1, loss="bce")
    h = fit(LinearRegression(), ([1.0, 2.0], [3.0, 5.0]), "gd", lr=0.1, epochs=1)
    assert h.loss_name == "mse"  # the linear model's own, as before


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_no_bias_and_one_feature_models_fit_too(engine):
    X, y = _exam()
    m = LogisticRegression(2, bias=False, engine=engine)
    fit(m, (X - X.mean(axis=0), y), "newton", epochs=10)
    answer = irls(X - X.mean(axis=0), y, bias=False)
    assert_close(m.param_vector(), answer.param_vector(), atol=NEWTON_ATOL)
    m1 = LogisticRegression(1, engine=engine)
    fit(m1, (X[:, 0], y), "newton", epochs=10)
    assert_close(m1.param_vector(), irls(X[:, :1], y).param_vector(), atol=NEWTON_ATOL)


# --- the lenses work on it unchanged ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_the_compiled_step_is_the_eager_step_to_the_bit(engine):
    X, y = _exam()
    X, y = X[:12], y[:12]

    def make():
        m = LogisticRegression(2, w=[0.1, -0.1], b=0.2, engine=engine)
        return m, GD(m.parameters(), lr=0.1)

    (me, oe), (mc, oc) = make(), make()
    step = compile_step(lambda: bce_with_logits(mc(X), y), oc)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # a fallback to eager fails the test
        for _ in range(15):
            oe.zero_grad()
            bce_with_logits(me(X), y).backward()
            oe.step()
            step()
    assert step.compiled
    assert np.array_equal(me.param_vector(), mc.param_vector())
    assert "logaddexp" in step.source and "sigmoid" in step.source


def test_fit_compile_true_gives_the_same_numbers():
    X, y = _exam()
    a, b = LogisticRegression(2, engine="tensor"), LogisticRegression(2, engine="tensor")
    ha = fit(a, (X, y), "gd", lr=0.05, epochs=20)
    hb = fit(b, (X, y), "gd", lr=0.05, epochs=20, compile=True)
    assert np.array_equal(a.param_vector(), b.param_vector()) and ha.losses == hb.losses


def test_anomaly_mode_names_the_op_of_a_nan_feature():
    w, b = Value(0.5, label="w"), Value(0.0, label="b")
    z = w * float("nan") + b
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        bce_with_logits([z], [1.0]).backward()
    assert "nan" in str(err.value)


# --- metrics ----------------------------------------------------------------------------------


def test_metrics_count_by_hand():
    y, c = [0, 1, 1, 0, 1], [0, 1, 0, 1, 1]
    assert accuracy_score(y, c) == 0.6
    assert confusion_matrix(y, c).tolist() == [[1, 1], [1, 2]]  # [[TN, FP], [FN, TP]]
    assert_close(log_loss([0, 1], [0.25, 0.5]), (-math.log(0.75) - math.log(0.5)) / 2, rtol=1e-15)
    assert_close(log_loss([1], [0.0]), -math.log(np.finfo(float).eps), rtol=1e-6)  # clipped, not inf
    m = classification_metrics([0, 1], [800.0, -800.0])  # both confidently wrong: 800 each, exactly
    assert m["log_loss"] == 800.0 and m["accuracy"] == 0.0 and m["confusion_matrix"] == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match=r"y_true\[0\] is 2.0; the classes are 0 and 1"):
        accuracy_score([2], [1])
    with pytest.raises(ValueError, match=r"y_prob\[0\] is nan"):
        log_loss([1], [float("nan")])


# --- the shipped data and scikit-learn -------------------------------------------------------


def test_the_shipped_exam_results_are_what_their_seeded_generator_makes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_exam_results", "examples/data/make_exam_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    d = make_logistic_data(100, w=module.W, b=module.B, low=module.LOW, high=module.HIGH, rng=module.SEED)
    X, y = _exam()
    np.testing.assert_array_equal(X, np.round(d.X, 2))
    np.testing.assert_array_equal(y, d.y)
    assert 0.3 < y.mean() < 0.7


def _sklearn():
    return pytest.importorskip(
        "sklearn.linear_model",
        reason="scikit-learn is not installed (pip install scikit-learn) to compare with",
    )


def test_the_shipped_iris_rows_are_scikit_learns():
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed to compare with")
    iris = datasets.load_iris()
    d = load_csv(IRIS)
    np.testing.assert_array_equal(d.X, iris.data[50:])
    np.testing.assert_array_equal(d.y, (iris.target[50:] == 2).astype(float))


CASES = [
    (EXAM, None, 0.0),
    (EXAM, None, 0.05),
    (IRIS, [2, 3], 0.0),  # petal length and width: the picture's two features
    (IRIS, None, 0.0),  # all four
    (IRIS, None, 0.01),
]


@pytest.mark.parametrize("path, features, l2", CASES)
def test_fitted_parameters_equal_scikit_learns_and_newtons(path, features, l2):
    linear_model = _sklearn()
    d = load_csv(path, features=features)
    n = d.n_samples
    # scikit-learn minimises C * sum_i BCE_i + |w|^2 / 2; ours is mean BCE + l2 |w|^2: the same
    # minimiser for C = 1 / (2 n l2), and C = inf (no penalty) for l2 = 0
    C = np.inf if l2 == 0 else 1.0 / (2 * n * l2)
    sk = linear_model.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        d.X, d.y
    )
    theirs = np.concatenate([sk.coef_.ravel(), sk.intercept_])
    answer = irls(d.X, d.y, l2=l2)
    assert answer.converged
    assert_close(answer.param_vector(), theirs, rtol=0, atol=SKLEARN_ATOL)
    for engine in ("value", "tensor"):
        m = LogisticRegression(d.n_features, engine=engine)
        h = fit(m, d, "newton", epochs=12, l2=l2)
        assert_close(m.param_vector(), theirs, rtol=0, atol=SKLEARN_ATOL)
        assert_close(m.param_vector(), answer.param_vector(), rtol=0, atol=NEWTON_ATOL)
        assert h.loss_name == "bce"
    # and the probabilities
    assert_close(m.predict_proba(d.X), sk.predict_proba(d.X)[:, 1], rtol=0, atol=1e-7)
    assert np.array_equal(m.predict(d.X), sk.predict(d.X).astype(int))


def test_gradient_descent_standardized_gets_there_too():
    X, y = _exam()
    answer = irls(X, y)
    m = LogisticRegression(2, engine="tensor")
    h = fit(m, from_arrays(X, y), "gd", lr=4.0, epochs=3000, standardize=True, grad_tol=1e-11)
    assert h.converged
    assert_close(m.param_vector(), answer.param_vector(), atol=1e-8)


def test_the_stable_lr_of_bce_is_8_times_the_mse_bound_and_gd_below_it_never_rises():
    """BCE's Hessian A^T S A / n has S = p(1 - p) <= 1/4, an eighth of the MSE's 2 A^T A / n
    everywhere: on x = 1, 2, 3 with bias, A^T A / n = [[14/3, 2], [2, 1]] has largest eigenvalue
    (17/3 + sqrt((11/3)^2 + 16)) / 2, so the bound is 8 * 2 / (2 * that)."""
    from tinygrad_lr import max_stable_lr

    lam = (17 / 3 + math.sqrt((11 / 3) ** 2 + 16)) / 2
    assert_close(max_stable_lr([1, 2, 3], "bce"), 8.0 / lam, rtol=1e-12)
    assert_close(max_stable_lr([1, 2, 3], "BCE", batch_size=1), 8.0 / (9 + 1), rtol=1e-12)
    lr = 0.99 * max_stable_lr([1, 2, 3], "bce")
    theta = np.array([3.0, -2.0])  # far from the minimum: the bound holds at every point
    X, y = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0])
    losses = []
    for _ in range(50):
        losses.append(logistic_loss(X, y, theta[0], theta[1]))
        theta = theta - lr * logistic_gradient(X, y, theta[0], theta[1])
    assert all(b <= a for a, b in zip(losses, losses[1:]))


def test_the_gradient_check_compares_three_ways_with_the_formula_by_hand():
    """At w = 0.5, b = -1 on x = 1, 2, 4 with classes 0, 1, 1: z = -0.5, 0, 1, so
    p - y = 0.377541, -0.5, -0.268941 and dL/dw = (0.377541 - 1 - 1.075763) / 3 = -0.566075,
    dL/db = -0.130467; the report's formula column holds exactly those."""
    from tinygrad_lr.gradcheck import check_logistic_regression

    s = [1 / (1 + math.exp(0.5)), 0.5 - 1, 1 / (1 + math.exp(-1.0)) - 1]
    dw, db = (s[0] * 1 + s[1] * 2 + s[2] * 4) / 3, sum(s) / 3
    for engine in ("value", "tensor"):
        report = check_logistic_regression(0.5, -1.0, [1, 2, 4], [0, 1, 1], engine=engine)
        assert report.ok, report
        formula = {c.param: c.other for c in report.comparisons if c.method == "analytic"}
        assert_close([formula["w"], formula["b"]], [dw, db], rtol=1e-14)
        assert_close([report.autodiff()["w"], report.autodiff()["b"]], [dw, db], rtol=1e-14)
        assert "mean((sigmoid(z) - y) x)" in report.title
    # with L2 the formula gains 2 l2 w for w only
    ridge = check_logistic_regression(0.5, -1.0, [1, 2, 4], [0, 1, 1], l2=0.1)
    assert ridge.ok and abs(ridge.autodiff()["w"] - (dw + 2 * 0.1 * 0.5)) < 1e-14


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-4, 4), min_size=3, max_size=3),
    st.floats(-3, 3),
    st.integers(0, 2**16),
)
def test_the_gradient_check_agrees_at_any_point(w, b, seed):
    from tinygrad_lr.gradcheck import check_logistic_regression

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, 3)) * 2
    y = rng.integers(0, 2, 6).astype(float)
    report = check_logistic_regression(w, b, X, y, engine="tensor", l2=0.05)
    assert report.ok, report


def test_the_gradient_check_refuses_what_it_cannot_check():
    from tinygrad_lr.gradcheck import check_logistic_regression

    with pytest.raises(ValueError, match="classes 0 and 1"):
        check_logistic_regression(0.0, 0.0, [1, 2], [0, 2])
    with pytest.raises(ValueError):
        check_logistic_regression(math.nan, 0.0, [1, 2], [0, 1])
    with pytest.raises(ValueError):
        check_logistic_regression(0.0, 0.0, [1, math.inf], [0, 1])
