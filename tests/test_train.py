"""fit(): the tutorials' runs to the last digit on both engines, history, divergence."""

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_lr import (
    GD,
    SGD,
    DivergenceError,
    LinearRegression,
    MiniBatchSGD,
    fit,
    from_arrays,
    max_stable_lr,
    mse,
)
from tinygrad_lr import train as train_module
from tinygrad_lr.compare import assert_close

ENGINES = ["value", "tensor"]
TOL = 1e-12  # the tutorials print 16-17 digits; both engines must agree with them to this

STEP_BY_STEP = ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0])  # section 2
COURSE = ([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])  # section 5


def section3_data():
    """The SGD tutorial's data: np.random.seed(0); X = 2*rand(100, 1); y = 4 + 3X + randn(100, 1)."""
    rs = np.random.RandomState(0)  # its own state, not the global one
    X = 2 * rs.rand(100, 1)
    y = 4 + 3 * X + rs.randn(100, 1)
    return from_arrays(X, y)


@pytest.mark.parametrize("engine", ENGINES)
def test_section2_step_by_step_1000_gd_iterations(engine):
    m = LinearRegression(w=1.0, b=0.0, engine=engine)
    h = fit(m, STEP_BY_STEP, "gd", lr=0.01, loss="sse", epochs=1000)
    w, b = float(m.weights[0]), m.intercept
    assert_close(w, 2.000148389025502, rtol=0.0, atol=TOL)
    assert_close(b, 0.9996626768662412, rtol=0.0, atol=TOL)
    assert (w, b) == (2.000148389025502, 0.9996626768662412)  # in fact to the last bit
    assert_close(m.predict(4), 9, rtol=0.0, atol=1e-3)  # the test point (4, 9)
    # the one step worked by hand: Loss 29 -> w 1.4, b 0.18, Loss 12.9612
    assert h.initial_loss == 29.0
    assert_close(h.epoch_params[0], [1.4, 0.18], rtol=1e-7, atol=1e-15)
    assert_close(h.losses[0], 12.9612, rtol=0.0, atol=TOL)
    assert h.epochs == 1000 and h.updates == 1000


@pytest.mark.parametrize("engine", ENGINES)
def test_section5_course_gd_and_in_order_sgd(engine):
    gd = LinearRegression(bias=False, w=1.0, engine=engine)
    fit(gd, COURSE, "gd", lr=0.01, loss="mse", epochs=100)
    assert_close(float(gd.weights[0]), 1.9999444396553017, rtol=0.0, atol=TOL)
    assert float(gd.weights[0]) == 1.9999444396553017
    assert_close(gd.predict(4), 7.99978, rtol=0.0, atol=1e-5)
    sgd = LinearRegression(bias=False, w=1.0, engine=engine)
    h = fit(sgd, COURSE, "sgd", lr=0.01, loss="mse", epochs=100)
    assert_close(float(sgd.weights[0]), 1.9999999999999236, rtol=0.0, atol=TOL)
    assert float(sgd.weights[0]) == 1.9999999999999236
    assert h.updates == 300


def test_section5_pytorch_style_optimizer_objects():
    m = LinearRegression(bias=False, w=1.0)
    opt = SGD(m.parameters(), lr=0.01)
    fit(m, COURSE, opt, loss=mse, epochs=100)
    assert float(m.weights[0]) == 1.9999999999999236


@pytest.mark.parametrize("seed", range(5))
def test_section3_random_sample_sgd_ends_near_least_squares(seed):
    data = section3_data()
    A = np.c_[data.X, np.ones(100)]
    theta = np.linalg.lstsq(A, data.y, rcond=None)[0]  # [w, b] ~ [2.97, 4.22]
    best = float(np.mean((A @ theta - data.y) ** 2))
    m = LinearRegression(rng=seed)  # theta = randn(2, 1)
    # 1000 updates, each on one sample drawn with replacement (randint(100)), lr 0.01
    h = fit(m, data, "sgd", lr=0.01, epochs=10, replacement=True, rng=seed)
    assert h.updates == 1000
    assert_close(m.param_vector(), theta, rtol=1e-7, atol=0.25)
    assert h.final_loss <= 1.1 * best


@pytest.mark.parametrize("engine", ENGINES)
def test_gd_history_is_the_loss_after_every_epoch_to_the_last_bit(engine):
    # fit reads epoch k's loss off epoch k+1's forward pass: it must be what a separate
    # evaluation after the update gives, bit for bit
    data = section3_data()
    model = LinearRegression(w=0.5, b=-0.2, engine=engine)
    history = fit(model, data, "gd", lr=0.1, epochs=4)
    by_hand = LinearRegression(w=0.5, b=-0.2, engine=engine)
    opt = GD(by_hand.parameters(), lr=0.1)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        mse(by_hand(data.X), data.y).backward()
        opt.step()
        losses.append(train_module.evaluate_loss(by_hand, data.X, data.y, mse))
    assert history.losses == losses
    assert [p.tolist() for p in history.epoch_params] != [] and history.updates == 4


@pytest.mark.parametrize("engine, epochs", [("value", 30), ("tensor", 300)])
def test_section3_minibatch_of_100_unshuffled_is_full_batch_gd(engine, epochs):
    data = section3_data()
    a = LinearRegression(w=0.5, b=-0.2, engine=engine)
    b = LinearRegression(w=0.5, b=-0.2, engine=engine)
    ha = fit(a, data, GD(a.parameters(), lr=0.1), epochs=epochs)
    hb = fit(b, data, MiniBatchSGD(b.parameters(), lr=0.1, batch_size=100), epochs=epochs)
    assert_close(a.param_vector(), b.param_vector(), rtol=0, atol=1e-12)
    assert_close(ha.losses, hb.losses, rtol=0, atol=1e-12)


def test_gd_converges_to_least_squares_below_the_stability_limit():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0 + 0.1 * rng.normal(size=60)
    A = np.c_[X, np.ones(60)]
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    m = LinearRegression(3, engine="tensor")
    fit(m, (X, y), "gd", lr=0.9 * max_stable_lr(X, "mse"), epochs=2000)
    assert_close(m.param_vector(), theta, rtol=1e-7, atol=1e-9)


def test_engines_agree_on_a_shuffled_minibatch_run():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(23, 2))
    y = X @ [2.0, -1.0] + 0.5 + rng.normal(size=23)
    runs = []
    for engine in ENGINES:
        m = LinearRegression(2, w=[0.1, 0.2], b=0.0, engine=engine)
        h = fit(
            m, (X, y), "minibatch", lr=0.05, batch_size=5, shuffle=True, rng=3, epochs=20, record_params=True
        )
        runs.append(h)
    assert_close(runs[0].losses, runs[1].losses, rtol=1e-12, atol=1e-12)
    assert_close(np.array(runs[0].params), np.array(runs[1].params), rtol=1e-12, atol=1e-12)
    assert runs[0].updates == 20 * 5  # 23 samples: 4 batches of 5 and one of 3, per epoch


def test_record_params_after_every_update():
    m = LinearRegression(bias=False, w=1.0)
    h = fit(m, COURSE, "sgd", lr=0.01, epochs=2, record_params=True)
    assert len(h.params) == 1 + 6 and h.params[0].tolist() == [1.0]
    # the first in-order SGD update on (1, 2): w <- 1 - 0.01 * 2*1*(1*1 - 2) = 1.02
    assert h.params[1].tolist() == [1.02]
    assert h.params[-1].tolist() == h.final_params.tolist() == h.epoch_params[-1].tolist()
    assert h.param_names == ["w"] and h.optimizer == "sgd" and h.loss_name == "mse" and h.lr == 0.01


def test_drop_last_skips_the_short_batch():
    m = LinearRegression()
    h = fit(m, STEP_BY_STEP, "minibatch", lr=0.01, batch_size=2, drop_last=True, epochs=3)
    assert h.updates == 3


def test_zero_epochs_only_evaluates():
    m = LinearRegression(w=1.0)
    h = fit(m, STEP_BY_STEP, "gd", lr=0.01, loss="sse", epochs=0)
    assert h.losses == [] and h.final_loss == h.initial_loss == 29.0


def test_summary_rows():
    m = LinearRegression(w=1.0)
    h = fit(m, STEP_BY_STEP, "gd", lr=0.01, loss="sse", epochs=1000)
    rows = h.summary_rows(10)
    assert rows[0] == 1 and rows[-1] == 1000 and len(rows) <= 10 and rows == sorted(set(rows))
    short = fit(LinearRegression(), STEP_BY_STEP, "gd", lr=0.01, epochs=4)
    assert short.summary_rows(10) == [1, 2, 3, 4]


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_is_an_error_not_a_nan(engine):
    m = LinearRegression(w=1.0, b=0.0, engine=engine)
    with pytest.raises(DivergenceError) as info:
        fit(m, STEP_BY_STEP, "gd", lr=0.5, loss="sse", epochs=1000)
    e = info.value
    assert isinstance(e, ValueError)
    msg = str(e)
    # the largest stable lr for this data and SSE: 2 / (17 + sqrt(265)) (see test_models)
    limit = 2 / (17 + math.sqrt(265))
    assert_close(e.max_stable_lr, limit, rtol=1e-12, atol=1e-12)
    assert "training diverged at epoch 5" in msg and "learning rate 0.5" in msg
    assert "smaller learning rate" in msg and f"lr < {limit:.6g}" in msg and "Hessian" in msg
    assert "nan" not in msg and e.epoch == 5 and e.lr == 0.5
    # the partial history shows the blow-up: 5 epochs, each loss larger than the last; the first
    # step goes to w = 1 + 0.5*40 = 21, b = 0.5*18 = 9: residuals 27, 46, 65, loss 7070
    h = e.history
    assert h is not None and h.initial_loss == 29.0 and len(h.losses) == 5 and h.losses[0] == 7070.0
    assert all(a < b for a, b in zip([29.0, *h.losses], h.losses))


@pytest.mark.parametrize("engine", ENGINES)
def test_overflow_to_inf_is_divergence(engine):
    m = LinearRegression(w=1.0, engine=engine)
    with pytest.raises(
        DivergenceError,
        match=r"diverged at epoch [12] with learning rate 1e\+200: the (numbers overflowed|loss became inf)",
    ):
        fit(m, STEP_BY_STEP, "gd", lr=1e200, loss="sse", epochs=10, patience=None)


def test_sgd_divergence_names_the_epoch_lr_and_the_one_sample_limit():
    # one sample's loss (x w - y)^2 has second derivative 2 x^2; the largest x is 3, so a step
    # shrinks every sample's error only for lr < 2 / (2 * 9) = 1/9; full-batch MSE: 2 / (2*14/3)
    m = LinearRegression(bias=False, w=1.0)
    with pytest.raises(DivergenceError, match=r"epoch \d+ with learning rate 0.3") as info:
        fit(m, COURSE, "sgd", lr=0.3, epochs=100)
    assert_close(info.value.max_stable_lr, 1 / 9, rtol=1e-15, atol=1e-12)
    assert "lr < 0.111111 = 1 / 9" in str(info.value) and "lr < 0.214286" in str(info.value)


def test_growth_only_counts_above_the_initial_loss():
    # a slowly oscillating but converging run (lr just below the limit) is not divergence
    m = LinearRegression(w=1.0)
    lr = 0.999 * max_stable_lr(STEP_BY_STEP[0], "sse")
    h = fit(m, STEP_BY_STEP, "gd", lr=lr, loss="sse", epochs=200)
    assert h.final_loss < h.initial_loss


def test_argument_errors():
    m = LinearRegression()
    with pytest.raises(ValueError, match="needs a learning rate"):
        fit(m, STEP_BY_STEP, "gd")
    with pytest.raises(ValueError, match="epochs"):
        fit(m, STEP_BY_STEP, "gd", lr=0.1, epochs=-1)
    with pytest.raises(ValueError, match="batch size 4 is larger than the data set"):
        fit(m, STEP_BY_STEP, "minibatch", lr=0.1, batch_size=4)
    with pytest.raises(ValueError, match="go to the optimizer"):
        fit(m, STEP_BY_STEP, GD(m.parameters(), 0.1), lr=0.1)
    with pytest.raises(ValueError, match="2 features but the data has 1"):
        fit(LinearRegression(2), STEP_BY_STEP, "gd", lr=0.1)
    with pytest.raises(ValueError, match="patience"):
        fit(m, STEP_BY_STEP, "gd", lr=0.1, patience=0)
    with pytest.raises(TypeError, match="Dataset or a pair"):
        fit(m, [1, 2, 3], "gd", lr=0.1)


def test_progress_bar_only_for_long_runs_on_a_terminal(monkeypatch):
    class FakeTTY(io.StringIO):
        def isatty(self):
            return True

    from tinygrad_lr.train.progress import want_progress

    big = train_module.PROGRESS_MIN_WORK
    assert not want_progress(None, big)  # pytest captures stderr: not a terminal
    monkeypatch.setattr("sys.stderr", FakeTTY())
    assert want_progress(None, big)
    assert not want_progress(None, big - 1)  # short run
    assert not want_progress(False, big)
    # forced on: the bar goes to stderr and training is unchanged
    m = LinearRegression(w=1.0)
    fit(m, STEP_BY_STEP, "gd", lr=0.01, loss="sse", epochs=1000, progress=True)
    assert float(m.weights[0]) == 2.000148389025502
    import sys

    assert "epoch" in sys.stderr.getvalue()


# docs/training.md's examples are run by tests/test_docs.py, with every other page.


@settings(max_examples=15)
@given(
    n=st.integers(2, 12),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    bias=st.booleans(),
    loss=st.sampled_from(["sse", "mse"]),
    optimizer=st.sampled_from(["gd", "sgd", "minibatch"]),
)
def test_property_engines_agree_on_any_small_run(n, d, seed, bias, loss, optimizer):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    w0 = rng.normal(size=d)
    # half the full-data SSE limit: any batch's Hessian (SSE 2 A_B^T A_B, or that / |B| for MSE)
    # is below 2 A^T A, so every optimizer and loss here is stable
    lr = 0.5 * max_stable_lr(X, "sse", bias)
    extra = {"batch_size": max(1, n // 3), "shuffle": True} if optimizer == "minibatch" else {}
    runs = []
    for engine in ENGINES:
        m = LinearRegression(d, bias=bias, w=w0, b=0.1 if bias else None, engine=engine)
        runs.append(fit(m, (X, y), optimizer, lr=lr, loss=loss, epochs=10, rng=seed, patience=None, **extra))
    assert_close(runs[0].losses, runs[1].losses, rtol=1e-12, atol=1e-12)
    assert_close(runs[0].final_params, runs[1].final_params, rtol=1e-12, atol=1e-12)
