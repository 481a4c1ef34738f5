"""Two schedules on one optimizer multiply their factors, as torch.optim.lr_scheduler's chaining
does (issue 21: the last one built used to win, silently); fit steps every one or refuses."""

import math

import pytest

from tinygrad_lr import GD, LinearRegression, Value, fit
from tinygrad_lr.compare import assert_close
from tinygrad_lr.optim import (
    ChainedScheduler,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    StepLR,
)

DATA = ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0])
ROUNDING = 1e-14  # a product of a few factors, each rounded once


def test_step_and_exponential_multiply():
    # old: after both step, lr = 0.1 * 0.9^e: StepLR's halvings were lost
    opt = GD([Value(0.0)], lr=0.1)
    step, expo = StepLR(opt, step_size=2, gamma=0.5), ExponentialLR(opt, gamma=0.9)
    for e in range(1, 9):
        step.step()
        expo.step()
        assert_close(opt.lr, 0.1 * 0.5 ** (e // 2) * 0.9**e, rtol=ROUNDING)


def test_a_warm_up_then_a_cosine_start_from_the_same_lr():
    # as PyTorch's initial_lr: the cosine's base is 0.3 (the lr before any schedule), not the
    # warm-up's 0.1, so the lr is 0.3 * warm-up factor * cosine factor
    opt = GD([Value(0.0)], lr=0.3)
    warm = LinearLR(opt, start_factor=1 / 3, total_iters=3)
    cos = CosineAnnealingLR(opt, T_max=10)
    assert warm.base_lrs == cos.base_lrs == [0.3]
    assert_close(opt.lr, 0.1, rtol=ROUNDING)
    for e in range(1, 11):
        warm.step()
        cos.step()
        factor = 1 / 3 + (2 / 3) * min(e, 3) / 3
        assert_close(opt.lr, 0.3 * factor * (1 + math.cos(math.pi * e / 10)) / 2, rtol=1e-12, atol=1e-17)


def test_one_schedule_alone_is_exactly_its_formula():
    opt = GD([Value(0.0)], lr=0.1)
    s = StepLR(opt, 2, 0.5)
    lrs = []
    for _ in range(5):
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert lrs == [0.1, 0.05, 0.05, 0.025, 0.025]


def test_chained_scheduler_steps_both():
    opt = GD([Value(0.0)], lr=0.4)
    chain = ChainedScheduler([LinearLR(opt, start_factor=0.5, total_iters=2), ExponentialLR(opt, 0.5)])
    got = [opt.lr]
    for _ in range(3):
        chain.step()
        got.append(opt.lr)
    assert_close(got, [0.2, 0.15, 0.1, 0.05], rtol=ROUNDING)
    assert_close(chain.lr_at(3), 0.05, rtol=ROUNDING)
    assert chain.last_epoch == 3


def test_chained_scheduler_refuses_what_it_cannot_chain():
    a, b = GD([Value(0.0)], lr=0.1), GD([Value(0.0)], lr=0.1)
    sa, sb = StepLR(a, 1), StepLR(b, 1)
    with pytest.raises(ValueError, match="same optimizer"):
        ChainedScheduler([sa, sb])
    with pytest.raises(ValueError, match="given twice"):
        ChainedScheduler([sa, sa])
    with pytest.raises(TypeError, match="a list of schedules"):
        ChainedScheduler([])
    with pytest.raises(TypeError, match="a list of schedules"):
        ChainedScheduler([sa, "step"])


def test_fit_steps_a_chain_every_epoch():
    m = LinearRegression()
    opt = GD(m.parameters(), lr=0.01)
    chain = ChainedScheduler([StepLR(opt, 2, 0.5), ExponentialLR(opt, 0.9)])
    h = fit(m, DATA, opt, epochs=5, scheduler=chain)
    assert_close(h.lrs, [0.01 * 0.5 ** (e // 2) * 0.9**e for e in range(5)], rtol=ROUNDING)


@pytest.mark.parametrize("given", ["none", "other"])
def test_fit_refuses_a_schedule_it_would_not_step(given):
    # old: a schedule fit did not step stayed at its first factor (a warm-up's third) for ever
    m = LinearRegression()
    opt = GD(m.parameters(), lr=0.01)
    warm = LinearLR(opt)
    other = ExponentialLR(opt, 0.9) if given == "other" else None
    with pytest.raises(
        ValueError, match=r"the optimizer has the schedule LinearLR\(.*which fit\(\) would not step"
    ):
        fit(m, DATA, opt, epochs=3, scheduler=other)
    assert warm.last_epoch == 0 and m.param_vector().tolist() == [0.0, 0.0]
