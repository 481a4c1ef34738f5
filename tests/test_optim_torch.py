"""100 steps of every optimizer and schedule against torch.optim (torch 2.13.0, float64).

Skipped, saying so, where torch is not installed: install exactly ``pip install torch==2.13.0``.
"""

import numpy as np
import pytest

from tinygrad_lr import Tensor, Value, sse
from tinygrad_lr.compare import assert_close
from tinygrad_lr.optim import (
    GD,
    Adagrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    Momentum,
    Nesterov,
    RMSprop,
    StepLR,
)

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install torch==2.13.0) to compare with"
)

TORCH_TOL = 1e-12  # 100 steps, same equations, operations rounded in a slightly different order
X, Y = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]

CASES = [
    ("momentum", Momentum, dict(lr=0.01, momentum=0.9), "SGD", dict(lr=0.01, momentum=0.9)),
    (
        "momentum damped, decay",
        Momentum,
        dict(lr=0.01, momentum=0.5, dampening=0.3, weight_decay=0.1),
        "SGD",
        dict(lr=0.01, momentum=0.5, dampening=0.3, weight_decay=0.1),
    ),
    ("nesterov", Nesterov, dict(lr=0.01, momentum=0.9), "SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("adagrad", Adagrad, dict(lr=0.5), "Adagrad", dict(lr=0.5)),
    (
        "adagrad all options",
        Adagrad,
        dict(lr=0.5, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6),
        "Adagrad",
        dict(lr=0.5, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6),
    ),
    ("rmsprop", RMSprop, dict(lr=0.01), "RMSprop", dict(lr=0.01)),
    (
        "rmsprop centered momentum decay",
        RMSprop,
        dict(lr=0.001, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.1),
        "RMSprop",
        dict(lr=0.001, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.1),
    ),
    ("adam", Adam, dict(lr=0.1), "Adam", dict(lr=0.1)),
    (
        "adam amsgrad decay",
        Adam,
        dict(lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.3, amsgrad=True),
        "Adam",
        dict(lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.3, amsgrad=True),
    ),
    ("adamw", AdamW, dict(lr=0.1), "AdamW", dict(lr=0.1)),
    (
        "adamw amsgrad",
        AdamW,
        dict(lr=0.05, weight_decay=0.2, amsgrad=True),
        "AdamW",
        dict(lr=0.05, weight_decay=0.2, amsgrad=True),
    ),
]


def torch_run(name, kw, steps, sched=None):
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([w, b], **kw)
    s = None if sched is None else sched[0](opt, **sched[1])
    x, y = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((w * x + b - y) ** 2).sum().backward()
        opt.step()
        if s is not None:
            s.step()
        out.append((w.item(), b.item()))
    return np.array(out)


def our_run(cls, kw, steps, engine="value", sched=None):
    if engine == "value":
        w, b = Value(1.0), Value(0.0)
    else:
        w, b = Tensor([1.0], requires_grad=True), Tensor(0.0, requires_grad=True)
    opt = cls([w, b], **kw)
    s = None if sched is None else sched[0](opt, **sched[1])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        if engine == "value":
            sse([w * x + b for x in X], Y).backward()
        else:
            sse(Tensor(np.array(X).reshape(3, 1)) @ w + b, Y).backward()
        opt.step()
        if s is not None:
            s.step()
        out.append((float(np.asarray(w.data).reshape(-1)[0]), float(b.data)))
    return np.array(out)


def test_torch_is_the_version_the_comparison_was_made_with():
    assert torch.__version__.split("+")[0] == "2.13.0"


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_100_steps_match_torch_optim(case, engine):
    _, cls, kw, tname, tkw = case
    ours, theirs = our_run(cls, kw, 100, engine), torch_run(tname, tkw, 100)
    assert np.all(np.isfinite(theirs))
    assert np.max(np.abs(ours - theirs)) <= TORCH_TOL


SCHEDULES = [
    ("StepLR", StepLR, dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", ExponentialLR, dict(gamma=0.97)),
    ("CosineAnnealingLR", CosineAnnealingLR, dict(T_max=60, eta_min=0.001)),
    ("LinearLR", LinearLR, dict(start_factor=0.1, total_iters=20)),
]


@pytest.mark.parametrize("sched", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedules_match_torch_lr_scheduler(sched):
    tname, cls, kw = sched
    ours = our_run(Momentum, dict(lr=0.01, momentum=0.5), 100, sched=(cls, kw))
    theirs = torch_run(
        "SGD", dict(lr=0.01, momentum=0.5), 100, sched=(getattr(torch.optim.lr_scheduler, tname), kw)
    )
    assert np.max(np.abs(ours - theirs)) <= TORCH_TOL
    # and the learning rates themselves
    o = GD([Value(0.0)], lr=0.1)
    ts = getattr(torch.optim.lr_scheduler, tname)(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), **kw
    )
    s = cls(o, **kw)
    for _ in range(80):
        ts.optimizer.step()
        ts.step()
        s.step()
        assert_close(s.get_last_lr()[0], ts.get_last_lr()[0], rtol=1e-12, atol=1e-15)


CHAINS = [
    ("StepLR+ExponentialLR", (StepLR, dict(step_size=3, gamma=0.5)), (ExponentialLR, dict(gamma=0.95))),
    (
        "LinearLR+CosineAnnealingLR",
        (LinearLR, dict(start_factor=0.25, total_iters=8)),
        (CosineAnnealingLR, dict(T_max=30)),
    ),
    (
        "LinearLR+StepLR",
        (LinearLR, dict(start_factor=0.5, total_iters=4)),
        (StepLR, dict(step_size=5, gamma=0.3)),
    ),
]


@pytest.mark.parametrize("chain", CHAINS, ids=[c[0] for c in CHAINS])
def test_two_schedules_multiply_as_torch_chaining(chain):
    # two schedulers built on one optimizer and both stepped every epoch, in both libraries
    _, (cls1, kw1), (cls2, kw2) = chain
    o = GD([Value(0.0)], lr=0.1)
    ours = [cls1(o, **kw1), cls2(o, **kw2)]
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    theirs = [
        getattr(torch.optim.lr_scheduler, c.__name__)(topt, **kw) for c, kw in ((cls1, kw1), (cls2, kw2))
    ]
    assert_close(o.lr, topt.param_groups[0]["lr"], rtol=1e-12)
    for _ in range(40):
        topt.step()
        for s in (*ours, *theirs):
            s.step()
        assert_close(o.lr, topt.param_groups[0]["lr"], rtol=1e-12, atol=1e-15)
