"""GD, SGD and MiniBatchSGD: the update rule, zero_grad, validation, construction by name."""

import math

import numpy as np
import pytest

from tinygrad_lr import GD, SGD, MiniBatchSGD, Tensor, Value, sse
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.optim import check_lr, make_optimizer


def _step_by_step_grads(w, b):
    return sse([w * x + b for x in (1.0, 2.0, 3.0)], [3.0, 5.0, 7.0])


def test_gd_one_step_by_hand():
    # from w=1, b=0: dLoss/dw = -40, dLoss/db = -18, so w = 1 + 0.01*40 = 1.4, b = 0.18,
    # and Loss(1.4, 0.18) = 1.42^2 + 2.02^2 + 2.62^2 = 12.9612 (the tutorial's hand calculation)
    w, b = Value(1.0), Value(0.0)
    opt = GD([w, b], lr=0.01)
    opt.zero_grad()
    _step_by_step_grads(w, b).backward()
    opt.step()
    assert allclose(w.data, 1.4, rtol=0.0, atol=1e-15) and allclose(b.data, 0.18, rtol=0.0, atol=1e-15)
    assert_close(_step_by_step_grads(w, b).data, 12.9612, rtol=0.0, atol=1e-12)


def test_step_changes_data_only_and_zero_grad_clears():
    w, b = Value(1.0), Value(0.0)
    opt = GD([w, b], lr=0.01)
    _step_by_step_grads(w, b).backward()
    opt.step()
    assert (w.grad, b.grad) == (-40.0, -18.0)  # step() leaves the gradients alone
    assert w.is_leaf() and b.is_leaf()
    opt.zero_grad()
    assert (w.grad, b.grad) == (0.0, 0.0)


def test_gradients_accumulate_without_zero_grad():
    w, b = Value(1.0), Value(0.0)
    _step_by_step_grads(w, b).backward()
    _step_by_step_grads(w, b).backward()
    assert w.grad == -80.0


def test_tensor_parameters():
    w, b = Tensor(1.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    unused = Tensor([5.0], requires_grad=True)
    opt = GD([w, b, unused], lr=0.01)
    sse(w * Tensor([1.0, 2.0, 3.0]) + b, [3.0, 5.0, 7.0]).backward()
    opt.step()  # `unused` has grad None: skipped
    assert allclose(w.item(), 1.4, rtol=0.0, atol=1e-15) and allclose(b.item(), 0.18, rtol=0.0, atol=1e-15)
    assert unused.data.tolist() == [5.0] and w.is_leaf()
    opt.zero_grad()
    assert w.grad is None and b.grad is None


@pytest.mark.parametrize("lr", [0, -0.1, math.nan, math.inf, "0.1", True, None])
def test_bad_learning_rates(lr):
    with pytest.raises(ValueError, match="learning rate"):
        GD([Value(1.0)], lr=lr)


def test_check_lr_accepts_numpy_numbers():
    assert check_lr(np.float64(0.5)) == 0.5 and check_lr(1) == 1.0


@pytest.mark.parametrize(
    "bs, match", [(0, "at least 1"), (-3, "at least 1"), (2.5, "whole"), (True, "whole")]
)
def test_bad_batch_sizes(bs, match):
    with pytest.raises(ValueError, match=match):
        MiniBatchSGD([Value(1.0)], lr=0.1, batch_size=bs)


def test_batch_settings():
    p = [Value(1.0)]
    assert GD(p, 0.1).batch_size is None
    s = SGD(p, 0.1, shuffle=True)
    assert (s.batch_size, s.shuffle, s.replacement) == (1, True, False)
    m = MiniBatchSGD(p, 0.1, 10, replacement=True, drop_last=True)
    assert (m.batch_size, m.replacement, m.drop_last) == (10, True, True)
    assert (
        m.describe()
        == "mini-batch SGD (lr 0.1, batch 10, random samples with replacement, last short batch dropped)"
    )
    assert GD(p, 0.01).describe() == "gradient descent (lr 0.01)"
    assert SGD(p, 0.01).describe() == "stochastic gradient descent (lr 0.01, in order)"


def test_no_parameters_or_wrong_objects():
    with pytest.raises(ValueError, match="no parameters"):
        GD([], lr=0.1)
    with pytest.raises(TypeError, match="Values or Tensors"):
        GD([1.0], lr=0.1)


def test_make_optimizer():
    p = [Value(1.0)]
    assert type(make_optimizer("GD", p, 0.1)) is GD
    assert type(make_optimizer("sgd", p, 0.1, batch_size=1)) is SGD
    assert make_optimizer("minibatch", p, 0.1, batch_size=4, shuffle=True).batch_size == 4
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", p, 0.1)
    with pytest.raises(ValueError, match="needs --optimizer minibatch"):
        make_optimizer("gd", p, 0.1, batch_size=2)
    with pytest.raises(ValueError, match="shuffling needs sgd or minibatch"):
        make_optimizer("gd", p, 0.1, shuffle=True)
    with pytest.raises(ValueError, match="one sample per update"):
        make_optimizer("sgd", p, 0.1, batch_size=3)
    with pytest.raises(ValueError, match="needs a batch size"):
        make_optimizer("minibatch", p, 0.1)
