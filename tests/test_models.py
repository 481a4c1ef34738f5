"""LinearRegression on both engines, and the GD stability limit max_stable_lr."""

import math

import numpy as np
import pytest

from tinygrad_lr import LinearRegression, Tensor, Value, max_stable_lr, mse, sse
from tinygrad_lr.compare import assert_close, isclose
from tinygrad_lr.models import loss_hessian

ENGINES = ["value", "tensor"]


@pytest.mark.parametrize("engine", ENGINES)
def test_defaults_and_parameters(engine):
    m = LinearRegression(engine=engine)
    assert m.weights.tolist() == [0.0] and m.intercept == 0.0
    assert m.param_names() == ["w", "b"] and m.param_vector().tolist() == [0.0, 0.0]
    kinds = {type(p) for p in m.parameters()}
    assert kinds == ({Value} if engine == "value" else {Tensor})
    assert len(m.parameters()) == 2


def test_value_engine_labels_and_no_bias():
    m = LinearRegression(3, w=[1, 2, 3], b=0.5)
    assert [p.label for p in m.parameters()] == ["w1", "w2", "w3", "b"]
    nb = LinearRegression(2, bias=False, w=1.5)
    assert nb.intercept is None and nb.weights.tolist() == [1.5, 1.5]
    assert nb.param_names() == ["w1", "w2"] and len(nb.parameters()) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_predict_shapes(engine):
    m = LinearRegression(w=2.0, b=1.0, engine=engine)
    assert m.predict(4) == 9.0 and isinstance(m.predict(4), float)
    assert m.predict([1, 2, 3]).tolist() == [3.0, 5.0, 7.0]
    m2 = LinearRegression(2, w=[1.0, -2.0], b=0.5, engine=engine)
    assert m2.predict([3.0, 1.0]) == 1.5
    assert m2.predict([[3.0, 1.0], [0.0, 0.0]]).tolist() == [1.5, 0.5]
    with pytest.raises(ValueError, match="2 features"):
        m2.predict([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_features": 0}, "n_features"),
        ({"n_features": 1.5}, "n_features"),
        ({"engine": "torch"}, "unknown engine"),
        ({"bias": False, "b": 1.0}, "bias=False"),
        ({"n_features": 2, "w": [1, 2, 3]}, "1 or 2 numbers"),
        ({"w": float("nan")}, "finite"),
        ({"b": float("inf")}, "finite"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearRegression(**kwargs)


def test_random_init_is_seeded():
    a, b = LinearRegression(3, rng=7), LinearRegression(3, rng=np.random.default_rng(7))
    assert a.param_vector().tolist() == b.param_vector().tolist()
    assert not np.all(a.param_vector() == 0)
    # given values win over random draws
    assert LinearRegression(w=2.0, b=3.0, rng=1).param_vector().tolist() == [2.0, 3.0]


def test_engines_give_the_same_predictions_losses_and_gradients():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = rng.normal(size=40)
    w0, b0 = rng.normal(size=3), 0.3
    for loss in (sse, mse):
        mv = LinearRegression(3, w=w0, b=b0, engine="value")
        mt = LinearRegression(3, w=w0, b=b0, engine="tensor")
        Lv, Lt = loss(mv(X), y), loss(mt(X), y)
        Lv.backward()
        Lt.backward()
        gv = np.array([p.grad for p in mv.parameters()])
        gt = np.append(mt.w.grad, mt.b.grad)
        # closed form: with A = [X, 1] and r = A theta - y, dSSE/dtheta = 2 A^T r (and / n for MSE)
        A = np.c_[X, np.ones(40)]
        r = A @ np.append(w0, b0) - y
        expect = 2 * A.T @ r / (1 if loss is sse else 40)
        assert isclose(Lv.data, Lt.item(), rtol=1e-12, atol=0.0)
        assert_close(gv, gt, rtol=1e-12, atol=1e-12)
        assert_close(gv, expect, rtol=1e-12, atol=1e-12)


def test_loss_hessian_and_max_stable_lr_step_by_step_data():
    # A = [[1,1],[2,1],[3,1]]: A^T A = [[14,6],[6,3]]; SSE Hessian 2 A^T A = [[28,12],[12,6]],
    # eigenvalues 17 +- sqrt(265), so the largest stable GD lr is 2 / (17 + sqrt(265))
    assert loss_hessian([1, 2, 3], "sse").tolist() == [[28.0, 12.0], [12.0, 6.0]]
    assert_close(max_stable_lr([1, 2, 3], "sse"), 2 / (17 + math.sqrt(265)), rtol=1e-14, atol=1e-12)
    assert_close(max_stable_lr([1, 2, 3], "mse"), 3 * 2 / (17 + math.sqrt(265)), rtol=1e-14, atol=1e-12)
    # no bias: H = 2 x^T x = 28 for SSE
    assert_close(max_stable_lr([1, 2, 3], "sse", bias=False), 2 / 28, rtol=1e-15, atol=1e-12)
    assert LinearRegression().max_stable_lr([1, 2, 3], "sse") == max_stable_lr([1, 2, 3], "sse")
    assert max_stable_lr([[0.0], [0.0]], "sse", bias=False) == math.inf
    # one-sample steps: Hessian 2 a a^T with a = [x, 1] -> lr < 1 / max |a|^2 = 1 / (9 + 1)
    assert_close(max_stable_lr([1, 2, 3], batch_size=1), 0.1, rtol=1e-15, atol=1e-12)
    assert_close(
        max_stable_lr([[1, 2], [0, 1]], "sse", bias=False, batch_size=1), 1 / 5, rtol=1e-15, atol=1e-12
    )
    with pytest.raises(ValueError, match="full batches"):
        max_stable_lr([1, 2, 3], batch_size=2)
    with pytest.raises(ValueError, match="'sse' and 'mse'"):
        loss_hessian([1, 2], "mae")


def test_repr():
    assert repr(LinearRegression(w=1.0)) == "LinearRegression(n_features=1, w=1.0, b=0.0, engine='value')"
