"""Exercise 7: the gradient of the binary cross-entropy by hand. A right answer passes; each
classic slip gets its own diagnosis, with numbers worked out here; inf and NaN never pass."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from tinygrad_lr.compare import assert_close
from tinygrad_lr.exercises import check, get, stub

SOLUTIONS = Path(__file__).parent / "exercise_solutions" / "ex7.py"


def _answers():
    spec = importlib.util.spec_from_file_location("ex7_answers", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


A = _answers()


def test_the_right_answer_passes_and_the_lessons_numbers_are_its():
    """At w = b = 0 on x = 1, 3 of classes 0, 1: p = 1/2 for both, dL/dw = (0.5*1 - 0.5*3)/2 = -0.5."""
    assert A.right(0.0, 0.0, [1.0, 3.0], [0.0, 1.0]) == (-0.5, 0.0)
    result = check(7, A.right)
    assert result.status == "pass", result
    assert "data sets of 2, 3, 4, 5 samples" in result.diagnosis


def test_the_sign_is_named():
    text = check(7, A.sign).diagnosis
    # the lesson's two points: your -dL/dw = 0.5, autodiff -0.5
    assert text.startswith(
        "your dL/dw = 0.5 at w=0, b=0 on xs=[1.0, 3.0], ys=[0.0, 1.0] (n=2); autodiff says -0.5"
    )
    assert "the sign is flipped: yours is mean((y - p) * x)" in text


def test_forgetting_the_mean_is_named():
    text = check(7, A.summed).diagnosis
    assert "your dL/dw = -1 at w=0, b=0" in text  # 2 * (-0.5)
    assert "SUM over the 2 samples, n = 2 times autodiff's: forgetting the mean" in text


def test_a_missing_sigma_prime_is_named():
    text = check(7, A.missing_sigma_prime).diagnosis
    # at p = 1/2: dL/dp = 2 for class 0 and -2 for class 1: dL/dw = (2*1 - 2*3) / 2 = -2
    assert "your dL/dw = -2 at w=0, b=0" in text
    assert "the factor dp/dz = sigmoid'(z) = p*(1 - p) is missing from the chain" in text


def test_an_extra_sigma_prime_is_named():
    text = check(7, A.extra_sigma_prime).diagnosis
    assert "your dL/dw = -0.125 at w=0, b=0" in text  # -0.5 * (1/2 * 1/2)
    assert "sigmoid'(z) is multiplied in twice" in text


def test_assigning_instead_of_adding_and_a_missing_x_are_named():
    text = check(7, A.assigned).diagnosis
    assert "your dL/dw = -0.75 at w=0, b=0" in text  # the last sample's (1/2 - 1) * 3 / 2
    assert "the LAST sample's term / n" in text
    text = check(7, A.no_x).diagnosis
    # at the lesson's points mean(p - y) = 0 says nothing (a 0 matches every slip); the next data
    # set tells it: z = -0.5, 0, 1, p - y = 0.377541, -0.5, -0.268941, mean -0.130467 where
    # dL/dw = (0.377541 * 1 - 0.5 * 2 - 0.268941 * 4) / 3 = -0.566075
    assert text.startswith("your dL/dw = -0.1304669175 at w=0.5, b=-1 on xs=[1.0, 2.0, 4.0]")
    assert "autodiff says -0.5660750056" in text
    assert "which is dL/db: dL/dw needs each term times its x" in text


def test_swapped_answers_are_named():
    text = check(7, A.swapped).diagnosis
    assert text.startswith("your dL/dw and dL/db are swapped at w=0, b=0")


@pytest.mark.parametrize("name", ["infinite", "nan_w", "huge"])
def test_inf_and_nan_never_pass_and_are_said_first(name):
    result = check(7, getattr(A, name))
    assert result.status == "wrong"
    first = result.diagnosis.splitlines()[0]
    assert first.startswith("your dL/dw is ") and ("inf" in first or "nan" in first)
    assert "not a finite number" in first


def test_not_two_numbers_is_an_error_saying_so():
    result = check(7, A.not_a_pair)
    assert result.status == "error" and "must return two numbers" in result.diagnosis


def test_the_stub_is_not_done_and_the_hints_never_give_the_code():
    ns: dict = {}
    exec(stub(7), ns)
    result = check(7, ns["grad_bce"], hints=3)
    assert result.status == "not done"
    for hint in get(7).hints:
        assert "return" not in hint and "def " not in hint
    wrong = check(7, A.sign, hints=3)
    assert all(h in str(wrong) for h in get(7).hints)


def test_every_slip_found_by_the_checker_is_a_real_difference():
    """No wrong answer may pass: each one differs from autodiff's at some case by far more than
    round-off (so the diagnosis above is about a real error)."""
    for name in ("sign", "summed", "missing_sigma_prime", "extra_sigma_prime", "assigned", "no_x", "swapped"):
        assert check(7, getattr(A, name)).status == "wrong", name
    # the answers file itself, against the formula worked out by hand at z = -0.5, 0, 1
    by_hand = (1 / (1 + math.exp(0.5)) + (0.5 - 1) + (1 / (1 + math.exp(-1.0)) - 1)) / 3
    assert_close(A.right(0.5, -1.0, [1.0, 2.0, 4.0], [0.0, 1.0, 1.0])[1], by_hand, rtol=1e-15)
