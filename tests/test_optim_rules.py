"""Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW and the lr schedules.

Every rule's first three updates on the worked example (x = 1, 2, 3, y = 3, 5, 7, SSE, from
w = 1, b = 0) are recomputed here in plain Python from the published update equations
(Polyak/Nesterov as PyTorch writes them; Duchi et al.'s AdaGrad; Hinton's RMSProp; Kingma & Ba's
Adam with m_hat, v_hat; Loshchilov & Hutter's AdamW) and must agree to 1e-15. Where torch 2.13.0
is installed, 100 steps are compared with torch.optim (tests/test_optim_torch.py).
"""

import math

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
    make_optimizer,
    make_scheduler,
)

X, Y = (1.0, 2.0, 3.0), (3.0, 5.0, 7.0)
HAND_TOL = 1e-15  # a few ulps of numbers near 1: the rules are evaluated in a different order


def grads(w, b):
    """dSSE/dw = 2 sum (w x + b - y) x, dSSE/db = 2 sum (w x + b - y): the tutorial's chain rule."""
    r = [w * x + b - y for x, y in zip(X, Y)]
    return 2 * sum(ri * x for ri, x in zip(r, X)), 2 * sum(r)


def by_hand(rule, steps=3):
    """Parameters after each of ``steps`` updates of ``rule(t, p, g, state) -> p``, from (1, 0)."""
    p = [1.0, 0.0]
    states = [{}, {}]
    out = []
    for t in range(1, steps + 1):
        g = grads(*p)
        p = [rule(t, p[i], g[i], states[i]) for i in range(2)]
        out.append(tuple(p))
    return out


def by_engine(opt_cls, steps=3, engine="value", **kw):
    if engine == "value":
        w, b = Value(1.0), Value(0.0)
    else:
        w, b = Tensor([1.0], requires_grad=True), Tensor(0.0, requires_grad=True)
    opt = opt_cls([w, b], **kw)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        if engine == "value":
            sse([w * x + b for x in X], list(Y)).backward()
        else:
            sse(Tensor(np.array(X).reshape(3, 1)) @ w + b, list(Y)).backward()
        opt.step()
        out.append((float(np.asarray(w.data).reshape(-1)[0]), float(b.data)))
    return out, opt, (w, b)


def momentum_rule(lr, mu, nesterov=False, wd=0.0, dampening=0.0):
    def rule(t, p, g, s):
        g = g + wd * p
        s["v"] = g if t == 1 else mu * s["v"] + (1 - dampening) * g
        return p - lr * (g + mu * s["v"] if nesterov else s["v"])

    return rule


def adagrad_rule(lr, eps=1e-10, lr_decay=0.0, wd=0.0):
    def rule(t, p, g, s):
        g = g + wd * p
        s["G"] = s.get("G", 0.0) + g * g
        return p - lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(s["G"]) + eps)

    return rule


def rmsprop_rule(lr, alpha=0.99, eps=1e-8, mu=0.0, centered=False, wd=0.0):
    def rule(t, p, g, s):
        g = g + wd * p
        s["E"] = alpha * s.get("E", 0.0) + (1 - alpha) * g * g
        s["a"] = alpha * s.get("a", 0.0) + (1 - alpha) * g
        d = math.sqrt(s["E"] - s["a"] ** 2 if centered else s["E"]) + eps
        if mu:
            s["v"] = mu * s.get("v", 0.0) + g / d
            return p - lr * s["v"]
        return p - lr * g / d

    return rule


def adam_rule(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False, amsgrad=False):
    def rule(t, p, g, s):
        if decoupled:
            p = p - lr * wd * p
        else:
            g = g + wd * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        if amsgrad:  # PyTorch's AMSGrad: the largest v so far, then the bias correction of step t
            s["vmax"] = max(s.get("vmax", 0.0), s["v"])
        m_hat = s["m"] / (1 - b1**t)
        v_hat = (s["vmax"] if amsgrad else s["v"]) / (1 - b2**t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps)

    return rule


CASES = [
    ("momentum", Momentum, dict(lr=0.01, momentum=0.9), momentum_rule(0.01, 0.9)),
    (
        "momentum, dampening, decay",
        Momentum,
        dict(lr=0.01, momentum=0.5, dampening=0.3, weight_decay=0.1),
        momentum_rule(0.01, 0.5, wd=0.1, dampening=0.3),
    ),
    ("nesterov", Nesterov, dict(lr=0.01, momentum=0.9), momentum_rule(0.01, 0.9, nesterov=True)),
    ("adagrad", Adagrad, dict(lr=0.1), adagrad_rule(0.1)),
    (
        "adagrad, lr decay, decay",
        Adagrad,
        dict(lr=0.1, lr_decay=0.5, weight_decay=0.2),
        adagrad_rule(0.1, lr_decay=0.5, wd=0.2),
    ),
    ("rmsprop", RMSprop, dict(lr=0.01), rmsprop_rule(0.01)),
    (
        "rmsprop centered, momentum",
        RMSprop,
        dict(lr=0.01, centered=True, momentum=0.9),
        rmsprop_rule(0.01, mu=0.9, centered=True),
    ),
    ("adam", Adam, dict(lr=0.1), adam_rule(0.1)),
    (
        "adam, L2 decay, amsgrad",
        Adam,
        dict(lr=0.1, betas=(0.8, 0.9), weight_decay=0.5, amsgrad=True),
        adam_rule(0.1, 0.8, 0.9, wd=0.5, amsgrad=True),
    ),
    ("adamw", AdamW, dict(lr=0.1), adam_rule(0.1, wd=0.01, decoupled=True)),
    ("adamw strong decay", AdamW, dict(lr=0.1, weight_decay=0.5), adam_rule(0.1, wd=0.5, decoupled=True)),
]


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_first_three_updates_match_the_published_equations(case, engine):
    _, cls, kw, rule = case
    got, _, _ = by_engine(cls, engine=engine, **kw)
    want = by_hand(rule)
    for t, (g, h) in enumerate(zip(got, want), start=1):
        assert abs(g[0] - h[0]) <= HAND_TOL and abs(g[1] - h[1]) <= HAND_TOL, (t, g, h)


def test_first_steps_worked_out_in_numbers():
    # gradients at (1, 0): dL/dw = -40, dL/db = -18 (the tutorial's hand calculation)
    (m1, *_), _, _ = by_engine(Momentum, lr=0.01, momentum=0.9)
    assert_close(m1, (1.4, 0.18), rtol=0.0, atol=HAND_TOL)  # v = g at the first step: a GD step
    (n1, *_), _, _ = by_engine(Nesterov, lr=0.01, momentum=0.9)
    assert_close(n1, (1 + 0.01 * 1.9 * 40, 0.01 * 1.9 * 18), rtol=0.0, atol=HAND_TOL)  # g + mu g
    (a1, *_), opt, (w, _) = by_engine(Adam, steps=1, lr=0.1)
    # m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps)
    assert_close(a1, (1 + 0.1 * 40 / (40 + 1e-8), 0.1 * 18 / (18 + 1e-8)), rtol=0.0, atol=HAND_TOL)
    assert_close(opt.state[w]["exp_avg"], -4.0, rtol=0.0, atol=HAND_TOL)  # 0.1 * -40
    assert_close(opt.state[w]["exp_avg_sq"], 1.6, rtol=HAND_TOL, atol=1e-12)  # (1 - 0.999) * 1600
    (r1, *_), opt, (w, _) = by_engine(RMSprop, steps=1, lr=0.01)
    by_hand = (1 + 0.01 * 40 / (math.sqrt(16.0) + 1e-8), 0.01 * 18 / (math.sqrt(3.24) + 1e-8))
    assert_close(r1, by_hand, rtol=0.0, atol=HAND_TOL)
    (g1, *_), opt, (w, _) = by_engine(Adagrad, steps=1, lr=0.1)
    assert_close(g1, (1 + 0.1 * 40 / (40 + 1e-10), 0.1 * 18 / (18 + 1e-10)), rtol=0.0, atol=HAND_TOL)
    assert opt.state[w]["sum"] == 1600.0


def test_state_is_inspectable_after_every_step():
    w, b = Value(1.0), Value(0.0)
    opt = Momentum([w, b], lr=0.01, momentum=0.9)
    assert opt.velocity == [None, None]
    opt.zero_grad()
    sse([w * x + b for x in X], list(Y)).backward()
    opt.step()  # noqa: E702
    assert opt.velocity == [-40.0, -18.0] and opt.state[w]["step"] == 1
    assert w in opt.state and len(opt.state) == 2
    gd = GD([w, b], lr=0.1)
    gd.zero_grad()
    sse([w * x + b for x in X], list(Y)).backward()
    gd.step()  # noqa: E702
    assert gd.state[w] == {}  # gradient descent remembers nothing


def test_tensor_state_has_the_parameters_shape():
    _, opt, (w, b) = by_engine(Adam, engine="tensor", lr=0.1)
    assert opt.state[w]["exp_avg"].shape == (1,) and np.ndim(opt.state[b]["exp_avg_sq"]) == 0


@pytest.mark.parametrize(
    "cls, kw, match",
    [
        (Momentum, dict(momentum=-0.1), "momentum must be a number >= 0"),
        (Momentum, dict(dampening=2), r"dampening must be a number in \[0, 1\]"),
        (Momentum, dict(momentum=0.0, nesterov=True), "Nesterov momentum needs a momentum > 0"),
        (Adam, dict(betas=(0.9, 1.0)), r"beta2 must be a number in \[0, 1\)"),
        (Adam, dict(betas=0.9), "betas must be two numbers"),
        (Adam, dict(eps=-1e-8), "eps must be a number >= 0"),
        (AdamW, dict(weight_decay=math.nan), "weight_decay must be a number >= 0"),
        (RMSprop, dict(alpha=1.5), r"alpha must be a number in \[0, 1\]"),
        (Adagrad, dict(lr=0), "learning rate must be positive"),
        (Adam, dict(shuffle=True), "they need a batch_size"),
    ],
)
def test_bad_settings_are_clear_errors(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        cls([Value(0.0)], **kw)


def test_make_optimizer_by_name_with_options_and_batching():
    p = [Value(0.0)]
    opt = make_optimizer("adam", p, None)
    assert isinstance(opt, Adam) and opt.lr == 1e-3 and opt.betas == (0.9, 0.999) and opt.batch_size is None
    opt = make_optimizer("nesterov", p, 0.1, batch_size=1, shuffle=True, momentum=0.5)
    assert isinstance(opt, Nesterov) and opt.nesterov and opt.batch_size == 1 and opt.shuffle
    assert make_optimizer("adamw", p, None).weight_decay == 0.01
    with pytest.raises(ValueError, match="unexpected keyword argument 'betas'"):
        make_optimizer("momentum", p, 0.1, betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="gradient descent has no option momentum"):
        make_optimizer("gd", p, 0.1, momentum=0.9)
    with pytest.raises(ValueError, match="needs a learning rate"):
        make_optimizer("gd", p, None)


def test_every_rule_trains_on_whole_batch_minibatch_and_one_sample():
    from tinygrad_lr import LinearRegression, fit

    for name in ("momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"):
        for bs, updates in ((None, 4), (2, 8), (1, 12)):
            m = LinearRegression()
            h = fit(
                m, (list(X), list(Y)), make_optimizer(name, m.parameters(), 0.01, batch_size=bs), epochs=4
            )
            assert h.updates == updates and h.final_loss < h.initial_loss, (name, bs)


# --- schedules ----------------------------------------------------------------------------------


def _lrs(sched, epochs):
    out = []
    for _ in range(epochs):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_schedules_follow_their_formulas():
    opt = GD([Value(0.0)], lr=0.1)
    lrs = _lrs(StepLR(opt, step_size=3, gamma=0.5), 7)
    assert_close(lrs, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rtol=1e-15, atol=1e-12)
    opt = GD([Value(0.0)], lr=0.1)
    assert_close(_lrs(ExponentialLR(opt, gamma=0.9), 3), [0.09, 0.081, 0.0729], rtol=1e-15, atol=1e-12)
    opt = GD([Value(0.0)], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    got = _lrs(sched, 10)
    cosine = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(1, 11)]
    assert_close(got, cosine, rtol=1e-15, atol=1e-12)
    assert_close(got[-1], 0.01, rtol=1e-15, atol=1e-12)
    opt = GD([Value(0.0)], lr=0.3)
    sched = LinearLR(opt)  # PyTorch's defaults: a third of the lr, full after 5 epochs
    assert_close(opt.lr, 0.1, rtol=1e-15, atol=1e-12)
    assert_close(
        _lrs(sched, 6), [0.3 * (1 / 3 + (2 / 3) * min(e, 5) / 5) for e in range(1, 7)], rtol=1e-15, atol=1e-12
    )


def test_make_scheduler_parses_the_command_line_forms():
    opt = GD([Value(0.0)], lr=0.1)
    assert isinstance(make_scheduler("step:10:0.5", opt, 100), StepLR)
    cos = make_scheduler("cosine", GD([Value(0.0)], lr=0.1), 40)
    assert isinstance(cos, CosineAnnealingLR) and cos.T_max == 40
    warm = make_scheduler("warmup:10:0.1", GD([Value(0.0)], lr=0.1), 40)
    assert isinstance(warm, LinearLR) and warm.total_iters == 10 and warm.start_factor == 0.1
    for bad, match in [
        ("linear", "unknown schedule"),
        ("step", "takes 1 to 2 numbers"),
        ("step:2.5", "step_size must be a whole number"),
        ("exponential:x", "must be numbers"),
        ("exponential:-1", "gamma must be a number >= 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            make_scheduler(bad, GD([Value(0.0)], lr=0.1), 10)


@pytest.mark.parametrize("module", ["", ".momentum", ".adaptive", ".schedules", ".base", ".gd"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"tinygrad_lr.optim{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
