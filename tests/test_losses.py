"""sse and mse on both engines: values, gradients, summation order, errors."""


import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lr import Tensor, Value, mse, sse
from tinygrad_lr.compare import assert_close, isclose
from tinygrad_lr.losses import get_loss

X2, Y2 = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]  # the step-by-step tutorial's training points


def test_sse_values_tutorial_step_by_step():
    # Loss(1, 0) = (1-3)^2 + (2-5)^2 + (3-7)^2 = 4 + 9 + 16 = 29
    # dLoss/dw = sum 2 r_i x_i = 2(-2*1 - 3*2 - 4*3) = -40, dLoss/db = 2(-2 - 3 - 4) = -18
    w, b = Value(1.0), Value(0.0)
    L = sse([w * x + b for x in X2], Y2)
    L.backward()
    assert (L.data, w.grad, b.grad) == (29.0, -40.0, -18.0)


def test_sse_tensor_tutorial_step_by_step():
    w, b = Tensor(1.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    L = sse(w * Tensor(X2) + b, Y2)
    L.backward()
    assert (L.item(), w.grad.item(), b.grad.item()) == (29.0, -40.0, -18.0)


def test_mse_both_engines_course_numbers():
    # MSE = (1 + 4 + 9) / 3 at w = 1 with y = 2x; dMSE/dw = mean(2 x (x w - y)) = -28/3
    w = Value(1.0)
    L = mse([x * w for x in X2], [2.0, 4.0, 6.0])
    L.backward()
    assert_close(L.data, 14 / 3, rtol=0.0, atol=1e-15)
    assert_close(w.grad, -28 / 3, rtol=0.0, atol=1e-14)
    wt = Tensor(1.0, requires_grad=True)
    Lt = mse(Tensor(X2) * wt, np.array([2.0, 4.0, 6.0]))
    Lt.backward()
    # the engines may sum in different orders: the same numbers to 1e-12, not always to the bit
    assert_close(Lt.item(), L.data, rtol=0.0, atol=1e-12)
    assert_close(wt.grad.item(), w.grad, rtol=0.0, atol=1e-12)


def test_sse_is_a_left_fold_like_a_python_loop():
    rng = np.random.default_rng(3)
    preds, ys = rng.normal(size=50).tolist(), rng.normal(size=50).tolist()
    total = 0.0
    for p, y in zip(preds, ys):
        total += (p - y) ** 2
    assert sse([Value(p) for p in preds], ys).data == total


def test_losses_accept_value_targets_and_plain_number_predictions():
    t = Value(3.0)
    assert sse([Value(1.0), 2.0], [t, 2.0]).data == 4.0


@pytest.mark.parametrize("loss", [sse, mse])
def test_length_mismatch_and_empty_are_errors(loss):
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        loss([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="shape"):
        loss(Tensor([1.0, 2.0]), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="no samples"):
        loss([], [])


def test_get_loss():
    assert get_loss("MSE") == ("mse", mse)
    assert get_loss(sse) == ("sse", sse)
    with pytest.raises(ValueError, match="unknown loss 'mae'"):
        get_loss("mae")


finite = st.floats(-100, 100, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=12))
def test_engines_agree_with_closed_form(pairs):
    # closed form: SSE = sum r_i^2, dSSE/df_i = 2 r_i; MSE = SSE/n, dMSE/df_i = 2 r_i / n
    f = np.array([p for p, _ in pairs])
    y = np.array([t for _, t in pairs])
    r, n = f - y, len(pairs)
    for loss, scale in ((sse, 1.0), (mse, 1.0 / n)):
        vals = [Value(v) for v in f]
        Lv = loss(vals, y)
        Lv.backward()
        ft = Tensor(f, requires_grad=True)
        Lt = loss(ft, y)
        Lt.backward()
        expect = float(np.sum(r * r)) * scale
        assert isclose(Lv.data, expect, rtol=1e-12, atol=1e-9)
        assert isclose(Lt.item(), Lv.data, rtol=1e-12, atol=1e-9)
        assert_close([v.grad for v in vals], 2 * r * scale, rtol=1e-12, atol=1e-12)
        assert_close(ft.grad, 2 * r * scale, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["data.dataset", "data.batches", "losses", "models", "optim.gd", "optim.registry", "train.loop"]
)
def test_docstring_examples_run(name):
    import doctest
    import importlib

    module = importlib.import_module(f"tinygrad_lr.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
