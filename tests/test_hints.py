"""Every hint the command line prints is followed here, and must help.

``fit --optimizer adam`` on the study-hours data once ended at loss 4417 (least squares: 121.55)
and said "try --standardize", which made it worse (5060): the cause was Adam's lr, a step length,
over 100 updates. So each hint is taken at its word -- its flags appended to the command, its
learning rate used -- and the run that follows it must end closer to least squares (or, for a
divergence, not diverge).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOURS = str(ROOT / "examples" / "data" / "study_hours.csv")


def _fit(argv: list[str], capsys) -> str:
    main(["fit", *argv])
    captured = capsys.readouterr()
    return captured.out + captured.err


def _gap(out: str) -> float:
    """``loss - closed-form loss`` as the report prints it."""
    return float(re.search(r"loss - closed-form loss = (\S+)", out).group(1))


def _hint(out: str) -> list[str] | None:
    m = re.search(r"^hint: .*; try (.+)$", out, re.M)
    return None if m is None else shlex.split(m.group(1))


def _scaled_csv(tmp_path: Path) -> str:
    """Two features in very different units (hours and seconds): an ill-conditioned loss."""
    rng = np.random.default_rng(5)
    hours = rng.uniform(1, 10, 60)
    seconds = rng.uniform(100, 4000, 60)
    y = 3 * hours + 0.002 * seconds + 5 + rng.normal(0, 0.3, 60)
    path = tmp_path / "units.csv"
    np.savetxt(path, np.c_[hours, seconds, y], delimiter=",", fmt="%.6f")
    return str(path)


RUNS = [  # (data, the run's flags): each prints a hint today, and following it must help
    ("hours", ["--optimizer", "gd"]),
    ("hours", ["--lr", "0.0001", "--epochs", "1000", "--engine", "tensor"]),  # the README's command
    ("hours", ["--optimizer", "momentum"]),
    ("hours", ["--optimizer", "nesterov"]),
    ("hours", ["--optimizer", "adam"]),
    ("hours", ["--optimizer", "adamw"]),
    ("hours", ["--optimizer", "adagrad"]),
    ("hours", ["--engine", "tensor", "--optimizer", "adam", "--epochs", "50"]),
    ("units", ["--optimizer", "gd", "--epochs", "200"]),
    ("units", ["--optimizer", "adam", "--epochs", "200"]),
]


@pytest.mark.parametrize("data, flags", RUNS, ids=[" ".join([d, *f]) for d, f in RUNS])
def test_following_the_hint_of_a_run_that_ended_far_away_helps(data, flags, tmp_path, capsys) -> None:
    csv = HOURS if data == "hours" else _scaled_csv(tmp_path)
    before = _fit([csv, *flags], capsys)
    follow = _hint(before)
    assert follow is not None, f"no hint for {flags}:\n{before}"
    after = _fit([csv, *flags, *follow], capsys)
    gap_before, gap_after = _gap(before), _gap(after)
    assert gap_after < gap_before / 10, (follow, gap_before, gap_after)


def test_adams_hint_names_its_lr_not_standardizing(capsys) -> None:
    """The case that was wrong: Adam's default lr over 100 updates, not the condition number."""
    out = _fit([HOURS, "--optimizer", "adam"], capsys)
    assert _hint(out) == ["--lr", "0.1"]
    assert "Adam divides each step by the size of the gradient" in out
    assert "b moved 0.0988 of the 7.82 to least squares" in out  # 100 updates of about 0.001


@pytest.mark.parametrize("flags", [
    # one-sample noise: standardized at its stable lr, it made the gap worse (4.86 -> 17.1)
    ["--optimizer", "sgd", "--engine", "tensor", "--epochs", "30"],
    ["--optimizer", "rmsprop"],  # w went past its answer: a valley, not the lr's pace
    ["--optimizer", "adam", "--lr", "0.1"],  # ... and after following Adam's hint
    ["--optimizer", "newton", "--epochs", "1"],  # converged
    ["--optimizer", "gd", "--standardize"],  # converged
], ids=lambda f: " ".join(f))
def test_no_hint_where_no_simple_change_is_sure_to_help(flags, capsys) -> None:
    out = _fit([HOURS, *flags], capsys)
    assert "hint:" not in out, out


DIVERGING = [  # (flags, the lr a divergence must be reported for)
    ["--optimizer", "gd", "--lr", "0.001"],
    ["--optimizer", "sgd", "--lr", "0.001"],
    ["--optimizer", "minibatch", "--batch-size", "10", "--lr", "0.001"],
    ["--optimizer", "momentum", "--lr", "0.002"],
    ["--optimizer", "nesterov", "--lr", "0.0004"],  # under GD's 2 / lambda_max, over Nesterov's bound
    ["--optimizer", "momentum", "--momentum", "0.5", "--dampening", "0.5", "--lr", "0.003"],
]


@pytest.mark.parametrize("flags", DIVERGING, ids=lambda f: " ".join(f))
def test_following_a_divergence_hint_trains_without_diverging(flags, capsys) -> None:
    """``try a smaller learning rate (... stable only for lr < X ...)``: at 0.9 X the same run
    settles; the bound is the rule's own (Nesterov's is below gradient descent's)."""
    engine = [] if "sgd" in flags else ["--engine", "tensor"]  # one-sample steps: Values are faster
    out = _fit([HOURS, *flags, *engine], capsys)
    assert "training diverged" in out, out
    bound = float(re.search(r"try a smaller learning rate \(.*?lr < (\S+) ", out).group(1))
    i = flags.index("--lr")
    follow = [*flags[:i], "--lr", f"{0.9 * bound:.6g}", *flags[i + 2:]]
    after = _fit([HOURS, *follow, *engine, "--epochs", "50"], capsys)
    assert "diverged" not in after, after
    final = float(re.search(r"final loss: (\S+)", after).group(1))
    assert final < float(re.search(r"initial loss: (\S+)", after).group(1))


def test_a_bound_per_rule_from_its_own_recurrence() -> None:
    """Each rule's bound checked against the spectral radius of its step on one eigen-direction:
    just under the bound the error shrinks, just over it it grows."""
    from tinygrad_lr import GD, Momentum, Nesterov, Value

    lam = 3.0
    for make in (lambda p: GD(p, lr=0.1), lambda p: Momentum(p, momentum=0.8),
                 lambda p: Momentum(p, momentum=0.6, dampening=0.3), lambda p: Nesterov(p, momentum=0.9)):
        opt = make([Value(0.0)])
        bound = opt.max_stable_lr(lam)
        for lr, grows in ((0.99 * bound, False), (1.01 * bound, True)):
            x = Value(1.0)
            o = make([x])
            o.lr = lr
            for _ in range(3000):  # the loss lam/2 x^2: its gradient is lam x
                o.zero_grad()
                (0.5 * lam * x * x).backward()
                o.step()
            assert (abs(x.data) > 1.0) == grows, (type(o).__name__, lr, bound, x.data)


def test_the_rescale_hint_of_data_whose_squares_overflow_works(tmp_path, capsys) -> None:
    path = tmp_path / "big.csv"
    path.write_text("1e200,3\n2e200,5\n3e200,7\n")
    out = _fit([str(path)], capsys)
    assert "overflow when squared" in out and "use --standardize" in out
    after = _fit([str(path), "--standardize"], capsys)
    assert "error" not in after, after
    assert abs(_gap(after)) < 1e-20  # y = 2e-200 x + 1, exactly
