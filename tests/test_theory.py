"""The theory of GD on a quadratic against the engine's own runs, never against the formula itself.

Every prediction of :mod:`tinygrad_lr.theory` (made from eigenvalues and 2x2 recurrences, nothing
trained) is compared with what ``fit`` does with the project's optimizers (autodiff through the
data, the optimizers' own ``step``): the iterates to 1e-9 relative over 1000 float64 steps, the
steps to a tolerance within one step, the phase diagram's verdicts exactly at 200 random
``(lr, momentum)`` points and its rates to 1e-6 of the rates the runs show. Eigenvalues are checked
against ``numpy.linalg.eigvalsh`` of ``2 A^T A / n`` built here, and the largest against
``largest_eigenvalue`` (Hessian-vector products through autodiff).
"""

from __future__ import annotations

import doctest
import importlib
import math
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import (
    GD,
    DataError,
    DivergenceError,
    LinearRegression,
    Momentum,
    Nesterov,
    Value,
    fit,
    largest_eigenvalue,
    load_csv,
)
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.compile import compile_step
from tinygrad_lr.losses import mse, sse
from tinygrad_lr.theory import quadratic

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "examples" / "data" / "study_hours.csv"
REFERENCE = ROOT.parent / "shared" / "data" / "study_hours.csv"

ITERATE_RTOL = 1e-9  # the contract: predicted and engine iterates agree to this, relative, every step
EIG_RTOL = 1e-12  # SVD-based eigenvalues against eigvalsh: both backward stable, |error| ~ eps * lambda_max


def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "worked":
        return np.array([[1.0], [2.0], [3.0]]), np.array([3.0, 5.0, 7.0])
    if name == "study":
        d = load_csv(STUDY)
        return d.X, d.y
    if name == "reference":
        if not REFERENCE.exists():
            pytest.skip(f"the reference data set is not beside this clone ({REFERENCE})")
        d = load_csv(REFERENCE)
        return d.X, d.y
    rng = np.random.default_rng(24)  # "random": 3 features of different scales, an offset, noise
    X = rng.normal(size=(30, 3)) * [1.0, 5.0, 0.2] + [2.0, -1.0, 0.0]
    return X, X @ [1.0, -2.0, 3.0] + 0.5 + rng.normal(size=30)


def _hessian(X: np.ndarray, bias: bool, loss: str) -> np.ndarray:
    A = np.hstack([X, np.ones((len(X), 1))]) if bias else X
    return 2 * A.T @ A / (len(X) if loss == "mse" else 1)


def _optimizer(method: str, params, lr: float, mu: float):
    if method == "gd":
        return GD(params, lr)
    return (Momentum if method == "momentum" else Nesterov)(params, lr, momentum=mu)


def engine_run(X, y, method, lr, mu, steps, *, bias=True, loss="mse", engine="tensor", start=None):
    """The engine's own run: fit() with the project's optimizer, every parameter vector kept."""
    d = X.shape[1]
    w0, b0 = (None, None) if start is None else (list(start[:d]), start[d] if bias else None)
    model = LinearRegression(d, bias=bias, engine=engine, w=w0, b=b0)
    opt = _optimizer(method, model.parameters(), lr, mu)
    try:
        history = fit(
            model, (X, y), opt, loss=loss, epochs=steps, record_params=True, progress=False, patience=None
        )
    except DivergenceError as err:  # the loss overflowed: the run up to there
        history = err.history
    return np.array(history.params), history


def _settings(q, method: str) -> tuple[float, float]:
    """An lr (and momentum) in each method's stable range, not at a special point of it."""
    if method == "gd":
        return 0.9 * q.max_lr(), 0.0
    if method == "momentum":
        return q.polyak()[0] * 0.9, q.polyak()[1]
    lr, mu = q.nesterov_best()
    return (0.9 * lr, mu) if mu > 0 else (0.5 * q.max_lr("nesterov", 0.9), 0.9)


# --- the bowl ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["worked", "study", "random", "reference"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_eigenvalues_are_those_of_2_AtA_over_n(name, bias, loss):
    X, y = _data(name)
    q = quadratic((X, y), bias=bias, loss=loss)
    H = _hessian(X, bias, loss)
    lam = np.linalg.eigvalsh(H)
    assert_close(q.hessian, H, rtol=1e-13, atol=0)
    assert_close(q.eigenvalues, lam, rtol=0, atol=EIG_RTOL * lam[-1])
    HQ = q.hessian @ q.eigenvectors
    assert_close(HQ, q.eigenvectors * q.eigenvalues, rtol=1e-7, atol=1e-12 * lam[-1])
    assert_close(q.eigenvectors.T @ q.eigenvectors, np.eye(lam.size), rtol=1e-7, atol=1e-14)
    assert_close(q.condition_number, lam[-1] / lam[0], rtol=1e-9 * lam[-1] / lam[0], atol=1e-12)
    best = np.linalg.lstsq(np.hstack([X, np.ones((len(X), 1))]) if bias else X, y, rcond=None)[0]
    assert_close(q.theta_star, best, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("name", ["worked", "study", "random"])
@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_the_largest_eigenvalue_agrees_with_power_iteration_through_autodiff(name, engine):
    X, y = _data(name)
    for bias in (True, False):
        for loss in ("mse", "sse"):
            q = quadratic((X, y), bias=bias, loss=loss)
            model = LinearRegression(X.shape[1], bias=bias, engine=engine)
            L = (mse if loss == "mse" else sse)(model(X), y)
            assert_close(largest_eigenvalue(L, model.parameters()), q.lambda_max, rtol=1e-12, atol=1e-12)


def test_the_study_hours_numbers_the_lesson_quotes():
    raw, std = quadratic(load_csv(STUDY)), quadratic(load_csv(STUDY), standardize=True)
    lam = np.linalg.eigvalsh(_hessian(load_csv(STUDY).X, True, "mse"))
    kappa = lam[1] / lam[0]
    assert 3.4e4 < raw.condition_number < 3.5e4
    assert_close(raw.condition_number, kappa, rtol=1e-9, atol=1e-12)
    assert_close(std.condition_number, 1.0, rtol=0.0, atol=1e-12)  # z has mean 0, variance 1: H = 2 I
    assert_close(raw.best_lr(), 2 / (lam[0] + lam[1]), rtol=1e-12, atol=1e-12)
    assert_close(raw.max_lr(), 2 / lam[1], rtol=1e-12, atol=1e-12)
    # momentum at Polyak's setting: kappa becomes sqrt(kappa) in the rate
    lr, mu = raw.polyak()
    s = math.sqrt(kappa)
    assert_close(lr, 4 / (math.sqrt(lam[0]) + math.sqrt(lam[1])) ** 2, rtol=1e-12, atol=1e-12)
    assert_close(mu, ((s - 1) / (s + 1)) ** 2, rtol=1e-12, atol=1e-12)
    # there the extreme directions sit on a double root of z^2 - T z + D, where a rounding of T^2 - 4D
    # by eps moves the root by sqrt(eps): 1e-7, not 1e-9
    assert_close(raw.rate(lr, "momentum", mu), (s - 1) / (s + 1), rtol=1e-7, atol=1e-12)
    assert_close(raw.rate(raw.best_lr()), (kappa - 1) / (kappa + 1), rtol=1e-12, atol=1e-12)
    # standardized: the best lr is 1/lambda = 1/2 and one step lands on the minimum
    assert allclose(std.best_lr(), 0.5, rtol=1e-12, atol=1e-12) and std.steps_to(1e-6) == 1


# --- predicted iterates are the engine's -----------------------------------------------------


@pytest.mark.parametrize("name", ["worked", "study", "random", "reference"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_predicted_iterates_are_the_engines_run_for_1000_steps(name, bias, method):
    X, y = _data(name)
    q = quadratic((X, y), bias=bias)
    lr, mu = _settings(q, method)
    predicted = q.predict(method, lr, 1000, momentum=None if method == "gd" else mu)
    actual, history = engine_run(X, y, method, lr, mu, 1000, bias=bias)
    assert predicted.iterates.shape == actual.shape == (1001, q.n_params)
    np.testing.assert_array_equal(predicted.iterates[0], actual[0])
    rel = np.linalg.norm(predicted.iterates[1:] - actual[1:], axis=1) / np.linalg.norm(actual[1:], axis=1)
    assert rel.max() <= ITERATE_RTOL, f"worst step {int(rel.argmax()) + 1}: {rel.max():.3g}"
    losses = np.array(history.losses)  # near an exact fit (L* = 0) the engine's tiny losses are rounding
    assert_close(predicted.losses[1:], losses, rtol=1e-9, atol=1e-12 * history.initial_loss)


@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_the_value_engine_and_sse_and_a_given_start_too(method):
    X, y = _data("worked")
    q = quadratic((X, y), loss="sse")
    lr, mu = _settings(q, method)
    start = [1.0, 0.0]  # the step-by-step tutorial's start
    predicted = q.predict(method, lr, 1000, momentum=None if method == "gd" else mu, start=start)
    actual, _ = engine_run(X, y, method, lr, mu, 1000, loss="sse", engine="value", start=start)
    rel = np.linalg.norm(predicted.iterates - actual, axis=1) / np.linalg.norm(actual, axis=1)
    assert rel.max() <= ITERATE_RTOL


def test_one_gd_step_is_the_tutorials_first_step_by_hand():
    q = quadratic(_data("worked"), loss="sse")
    p = q.predict("gd", 0.01, 1, start=[1.0, 0.0])
    # dL/dw = sum 2 (w x + b - y) x = -40, dL/db = -18: w 1 -> 1.4, b 0 -> 0.18
    assert_close(p.iterates[1], [1.4, 0.18], rtol=1e-14, atol=0.0)
    assert_close(p.losses[0], 29.0, rtol=1e-14, atol=1e-12)
    assert_close(p.losses[1], 12.9612, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_any_step_k_directly_matches_the_stepwise_prediction(method):
    q = quadratic(_data("random"))
    lr, mu = _settings(q, method)
    path = q.predict(method, lr, 700, momentum=None if method == "gd" else mu)
    for k in (0, 1, 2, 37, 700):
        at_k = q.at(k, method, lr, momentum=None if method == "gd" else mu)
        assert np.linalg.norm(at_k - path.iterates[k]) <= 1e-11 * np.linalg.norm(q.theta_star)


def test_per_direction_errors_shrink_by_exactly_one_minus_lr_lambda():
    q = quadratic(_data("study"))
    lr = q.best_lr()
    actual, _ = engine_run(*_data("study"), "gd", lr, 0.0, 200)
    errors = (actual - q.theta_star) @ q.eigenvectors  # the run's errors along q_i
    ratios = errors[1:] / errors[:-1]
    factors = 1 - lr * np.linalg.eigvalsh(_hessian(_data("study")[0], True, "mse"))
    assert_close(ratios[:50], np.tile(factors, (50, 1)), rtol=1e-6, atol=0.0)
    assert_close(factors[0], -factors[1], rtol=1e-12, atol=1e-12)  # the best lr: equal sizes, opposite signs


# --- steps to a tolerance ----------------------------------------------------------------------


def _actual_steps(history, loss_star: float, tol: float) -> int | None:
    losses = [history.initial_loss, *history.losses]
    return next((k for k, L in enumerate(losses) if L - loss_star <= tol), None)


@pytest.mark.parametrize(
    "name, method, standardize",
    [
        ("worked", "gd", False),
        ("worked", "momentum", False),
        ("worked", "nesterov", False),
        ("random", "gd", False),
        ("random", "momentum", False),
        ("random", "nesterov", False),
        ("study", "momentum", False),
        ("study", "nesterov", False),
        ("study", "gd", True),
        ("study", "momentum", True),
    ],
)
def test_predicted_steps_to_1e_6_equal_the_engines_within_one(name, method, standardize):
    X, y = _data(name)
    q = quadratic((X, y), standardize=standardize)
    if method == "gd":
        lr, mu = q.best_lr(), 0.0
    elif method == "momentum":
        lr, mu = q.polyak() if not standardize else (0.5, 0.5)  # Polyak's is 0 there: a real momentum
    else:
        lr, mu = _settings(q, method)
    predicted = q.steps_to(1e-6, method, lr, momentum=None if method == "gd" else mu)
    assert predicted is not None and predicted < 30_000
    Xs = q.X  # what the model is trained on (z when standardized)
    _, history = engine_run(Xs, y, method, lr, mu, predicted + 5)
    L_star = np.mean((np.hstack([Xs, np.ones((len(y), 1))]) @ np.linalg.lstsq(
        np.hstack([Xs, np.ones((len(y), 1))]), y, rcond=None)[0] - y) ** 2)
    actual = _actual_steps(history, L_star, 1e-6)
    assert actual is not None and abs(actual - predicted) <= 1, (predicted, actual)


def test_raw_study_hours_gd_needs_the_predicted_191_thousand_steps():
    """The engine's own GD run, all 191,464 steps of it: the Tensor graph of the MSE compiled once
    (checked against the eager engine on its first call, and its first 1000 steps here against
    fit's), gradient descent's update; its loss after each step against L*."""
    X, y = _data("study")
    q = quadratic((X, y))
    lr = q.best_lr()
    A = np.hstack([X, np.ones((100, 1))])
    L_star = float(np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2))
    model = LinearRegression(1, engine="tensor")
    step = compile_step(lambda: mse(model(X), y), GD(model.parameters(), lr))
    eager, _ = engine_run(X, y, "gd", lr, 0.0, 1000)
    k, limit = 0, 250_000
    while (loss := step()) - L_star > 1e-6 and k < limit:  # step() returns the loss before its update
        k += 1
        if k <= 1000:
            assert_close(model.param_vector(), eager[k], rtol=1e-12, atol=0.0, msg=k)
    predicted = q.steps_to(1e-6)
    assert predicted is not None and abs(predicted - k) <= 1 and 150_000 < k < limit, (predicted, k, loss)


def test_steps_to_says_never_for_a_diverging_or_too_slow_run():
    q = quadratic(_data("worked"))
    assert q.steps_to(1e-6, "gd", 1.01 * q.max_lr()) is None
    assert q.steps_to(1e-6, "momentum", 1.01 * q.max_lr("momentum", 0.5), momentum=0.5) is None
    assert q.steps_to(1e-6, "momentum", 1e-9, momentum=0.5, max_steps=1000) is None
    assert q.steps_to(1e300) == 0  # already within


# --- the phase diagram of momentum --------------------------------------------------------


def _measured_radius(errors: np.ndarray) -> float:
    """The rate a run shows: along each eigen-direction its errors obey ``e_{k+1} = t e_k - d e_{k-1}``;
    ``t`` and ``d`` are read off the run's numbers by least squares, and the roots of
    ``z^2 - t z + d`` give the direction's factor per step."""
    radii = []
    for e in errors.T:
        M = np.column_stack([e[1:-1], -e[:-2]])
        (t, d), *_ = np.linalg.lstsq(M, e[2:], rcond=None)
        radii.append(max(abs(np.roots([1.0, -t, d]))))
    return max(radii)


def compiled_run(X, y, method: str, lr: float, mu: float, steps: int) -> np.ndarray:
    """The engine's run with the project's optimizer, fast: the Value graph of the MSE compiled once
    (``compile_step`` checks it against the eager engine on its first call), the optimizer's own
    ``step()`` for the update; every ``(w, b)`` kept."""
    w, b = Value(0.0, label="w"), Value(0.0, label="b")
    opt = _optimizer(method, [w, b], lr, mu)
    xs, ys = [float(v) for v in X[:, 0]], [float(v) for v in y]
    step = compile_step(lambda: mse([w * x + b for x in xs], ys), opt)
    out = np.empty((steps + 1, 2))
    out[0] = (w.data, b.data)
    for k in range(steps):
        step()
        out[k + 1] = (w.data, b.data)
    return out


def test_the_compiled_run_is_the_eager_fit_to_the_bit():
    X, y = _data("worked")
    for method, lr, mu in [("momentum", 0.05, 0.5), ("nesterov", 0.1, 0.8), ("momentum", 0.3, 0.95)]:
        eager, _ = engine_run(X, y, method, lr, mu, 300, engine="value", start=[0.0, 0.0])
        np.testing.assert_array_equal(compiled_run(X, y, method, lr, mu, 300)[: len(eager)], eager)


@pytest.mark.parametrize("method, points", [("momentum", 200), ("nesterov", 100)])
def test_the_phase_diagram_verdicts_and_rates_are_those_of_real_runs(method, points):
    """At every point, a real run (the project's optimizer on the engine's gradients) long enough to
    decide: ``K`` steps, where the diagram's own rate says the error changes by a factor 10^6
    (``rate^K = 10^-6`` or ``10^6``). The run's measured ratio ``|s_K| / |s_0|`` (s_k = the last two
    errors) decides converge (< 1) or diverge (> 1), and must agree with the diagram at every point;
    the rate the run's first steps show (its recurrence, read off its numbers) equals the diagram's
    to 1e-6. Points near the boundary (|1 - rate| down to 1e-3 here) take thousands of steps."""
    X, y = _data("worked")
    q = quadratic((X, y))
    rng = np.random.default_rng(2024)
    lrs = rng.uniform(0, 1.2 * 2 * 2 / q.lambda_max, points)  # past the limit 2 (1 + mu) / lambda_max
    mus = rng.uniform(0, 1, points)
    rates = q.phase(lrs, mus, method).diagonal()  # the grid's (lr_i, mu_i) pairs
    for lr, mu, rate in zip(lrs, mus, rates):
        steps = math.ceil(math.log(1e6) / abs(math.log(rate)))
        errors = compiled_run(X, y, method, float(lr), float(mu), steps) - q.theta_star
        ratio = np.linalg.norm(errors[-2:]) / np.linalg.norm(errors[:2])
        assert (ratio < 1) == (rate < 1), (lr, mu, rate, steps, ratio)
        # the ratio is the diagram's rate^K up to the transient of the 2x2 recurrence (a factor < 100)
        assert abs(math.log10(ratio) - steps * math.log10(rate)) < 2, (lr, mu, rate, steps, ratio)
        measured = _measured_radius((errors[:14]) @ q.eigenvectors)
        assert_close(measured, rate, rtol=0.0, atol=1e-6, msg=(lr, mu))
    assert 0.2 * points < np.sum(rates < 1) < 0.8 * points  # both verdicts are really tested
    assert np.min(np.abs(1 - rates)) < 0.01  # and points near the boundary too


def test_the_stable_ranges_are_the_phase_diagrams_boundary():
    q = quadratic(_data("random"))
    for method in ("momentum", "nesterov"):
        for mu in (0.0, 0.3, 0.9):
            limit = q.max_lr(method, mu)
            assert q.rate(limit * (1 - 1e-9), method, mu) < 1 <= q.rate(limit * (1 + 1e-9), method, mu)
    assert q.rate(q.max_lr() * (1 - 1e-9)) < 1 <= q.rate(q.max_lr() * (1 + 1e-9))


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_data_is_refused_naming_where(bad):
    cases = (([1.0, bad, 3.0], [3.0, 5.0, 7.0], "x[1"), ([1.0, 2.0, 3.0], [3.0, 5.0, bad], "y[2]"))
    for X, y, where in cases:
        with pytest.raises(DataError, match=re.escape(where)):
            quadratic((X, y))


def test_squares_that_overflow_or_underflow_are_refused():
    with pytest.raises(DataError, match="overflow"):
        quadratic(([1e200, 2e200], [1.0, 2.0]))
    # x = 1e-200: x^2 is 0 in float64, so without an intercept H = 0 though x is not (w* = 1e200)
    with pytest.raises(DataError, match="squares underflow float64"):
        quadratic(([1e-200, 2e-200], [1.0, 3.0]), bias=False)
    tiny = quadratic(([1e-200, 2e-200], [1.0, 3.0]))  # with an intercept: w is not pinned down in float64
    assert not tiny.unique
    assert_close(tiny.lambda_max, 2.0, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf, -math.inf])
def test_a_learning_rate_must_be_positive_and_finite(lr):
    q = quadratic(_data("worked"))
    for call in (
        lambda: q.predict("gd", lr),
        lambda: q.rate(lr),
        lambda: q.steps_to(1e-6, "gd", lr),
        lambda: q.predict("momentum", lr, momentum=0.5),
    ):
        with pytest.raises(ValueError, match="learning rate"):
            call()


@pytest.mark.parametrize("mu", [-0.1, 1.0, 1.5, math.nan, math.inf, -math.inf])
def test_momentum_must_be_in_0_1(mu):
    q = quadratic(_data("worked"))
    for method in ("momentum", "nesterov"):
        with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
            q.predict(method, 0.01, momentum=mu)
        with pytest.raises(ValueError, match="momentum"):
            q.max_lr(method, mu)
    with pytest.raises(ValueError, match="Nesterov momentum needs a momentum > 0"):
        q.predict("nesterov", 0.01, momentum=0.0)
    with pytest.raises(ValueError, match="gradient descent has no momentum"):
        q.predict("gd", 0.01, momentum=0.5)


@pytest.mark.parametrize("tol", [0.0, -1.0, math.nan, math.inf])
def test_a_tolerance_must_be_positive_and_finite(tol):
    with pytest.raises(ValueError, match="tolerance"):
        quadratic(_data("worked")).steps_to(tol)


def test_starts_steps_methods_and_losses_are_checked():
    q = quadratic(_data("worked"))
    for start in ([1.0], [1.0, 2.0, 3.0], [math.nan, 0.0], [0.0, math.inf]):
        with pytest.raises(ValueError, match="the start needs 2 finite numbers"):
            q.predict("gd", 0.01, start=start)
    with pytest.raises(ValueError, match=r"the loss at the start \(w = 1e\+300, b = 0\) overflows float64"):
        q.steps_to(1e-6, start=[1e300, 0.0])
    for steps in (-1, 2.5, True):
        with pytest.raises(ValueError, match="steps"):
            q.predict("gd", 0.01, steps)
    with pytest.raises(ValueError, match="unknown method 'adam'"):
        q.predict("adam", 0.01)
    with pytest.raises(ValueError, match="'mse' and 'sse'"):
        quadratic(_data("worked"), loss="mae")


@pytest.mark.parametrize(
    "X, y, why",
    [
        ([[2.0]], [3.0], "one point"),
        ([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], [1.0, 2.0, 3.0], "a repeated feature"),
        ([[4.0], [4.0], [4.0]], [1.0, 2.0, 3.0], "a constant feature beside the intercept"),
    ],
)
def test_a_singular_hessian_is_said_and_still_predicted_exactly(X, y, why):
    X = np.asarray(X)
    q = quadratic((X, y))
    assert not q.unique and q.condition_number == math.inf and q.eigenvalues[0] == 0.0, why
    assert q.lambda_min > 0 and math.isfinite(q.best_lr())
    # GD never moves along the flat direction: it heads for the minimum nearest its start
    start = np.arange(1.0, q.n_params + 1)
    target = q.minimizer(start)
    flat = q.eigenvectors[:, 0]
    assert abs(flat @ (target - start)) < 1e-12
    assert_close(q.loss(target), q.loss_star, rtol=0.0, atol=1e-12)
    lr = q.best_lr()
    predicted = q.predict("gd", lr, 300, start=start)
    actual, _ = engine_run(X, np.asarray(y), "gd", lr, 0.0, 300, start=start)
    rel = np.linalg.norm(predicted.iterates - actual, axis=1) / np.linalg.norm(actual, axis=1)
    assert rel.max() <= ITERATE_RTOL and np.all(np.isfinite(predicted.losses))


def test_a_zero_hessian_has_no_best_learning_rate():
    q = quadratic(([[0.0], [0.0]], [1.0, 2.0]), bias=False)
    assert q.lambda_max == 0.0 and q.max_lr() == math.inf
    with pytest.raises(ValueError, match="the Hessian is zero"):
        q.predict("gd")


def test_a_diverging_prediction_is_the_engines_run_until_the_loss_overflows():
    X, y = _data("worked")
    q = quadratic((X, y))
    for method, mu in (("gd", 0.0), ("momentum", 0.5), ("nesterov", 0.5)):
        lr = 1.5 * q.max_lr(method, None if method == "gd" else mu)
        predicted = q.predict(method, lr, 2000, momentum=None if method == "gd" else mu)
        actual, _ = engine_run(X, y, method, lr, mu, 2000)  # fit stops where its loss is inf
        assert predicted.overflowed and abs(len(actual) - len(predicted.iterates)) <= 1
        assert abs(q.overflow_step(predicted) - (len(actual) - 1)) <= 1  # fit stops where its loss is inf
        n = min(len(actual), len(predicted.iterates))
        diff, size = np.abs(predicted.iterates[:n] - actual[:n]), np.abs(actual[:n])  # no squares: huge
        assert np.all(diff.max(axis=1)[1:] <= ITERATE_RTOL * size.max(axis=1)[1:])


def test_a_diverging_prediction_stops_before_it_overflows_and_holds_no_nan():
    q = quadratic(_data("worked"))
    p = q.predict("gd", 3 * q.max_lr(), 5000)
    assert not p.converges and p.overflowed and 0 < p.steps < 5000
    for arr in (p.iterates, p.errors, p.losses, p.gaps):
        assert np.all(np.isfinite(arr))
    m = q.predict("momentum", 3 * q.max_lr("momentum", 0.5), 5000, momentum=0.5)
    assert m.overflowed and np.all(np.isfinite(m.iterates)) and np.all(np.isfinite(m.losses))


@pytest.mark.parametrize("name", ["theory.recurrence", "theory.quadratic", "closed_form"])
def test_docstring_examples_run(name):
    module = importlib.import_module(f"tinygrad_lr.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
