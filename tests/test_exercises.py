"""The seven exercises: a right answer passes, each classic wrong answer gets its own diagnosis.

The answers live in tests/exercise_solutions/ (one module per exercise: ``right`` and the slips),
never in the shipped stubs. The numbers in the expected diagnoses are worked out by hand from the
formulas: e.g. at w=1, b=0, x=1, y=3 the residual is r = -2, so dL/dw = 2 r x = -4 and the answer
missing the 2 is -2.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from tinygrad_lr.compare import isclose
from tinygrad_lr.exercises import EXERCISES, check, exercise_of_source, get, stub
from tinygrad_lr.value import Value

SOLUTIONS = Path(__file__).parent / "exercise_solutions"
ROOT = Path(__file__).resolve().parent.parent


def answers(n: int):
    spec = importlib.util.spec_from_file_location(f"exercise_answers_{n}", SOLUTIONS / f"ex{n}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (exercise, the functions by name in exercise_solutions/exN.py, status, phrases the diagnosis holds)
CASES = [
    (1, ["right"], "pass", ["all 8 ops agree"]),
    (1, ["swapped_product"], "wrong", ["* at a=3, b=-2", "yours 3, autodiff -2", "swapped"]),
    (1, ["power_not_lowered"], "wrong", ["** at a=3, n=2", "yours 18, autodiff 6", "not lowered by one"]),
    (1, ["tanh_of_input"], "wrong", ["tanh at a=0.3", "yours 0.91", "the input a where the formula needs"]),
    (1, ["minus_sign"], "wrong", ["d_out/d_b yours 1, autodiff -1", "wrong sign"]),
    (1, ["sigmoid_of_input"], "wrong", ["sigmoid at a=0.4", "yours 0.24", "the input a where"]),
    (1, ["log_itself"], "wrong", ["autodiff 2", "log(a) itself"]),
    (1, ["one_number_for_product"], "wrong", ["returns 1 number(s)", "two inputs"]),
    (1, ["half_done"], "not done", ["6 of 8 ops right so far", "tanh, sigmoid"]),
    (2, ["right"], "pass", ["agree with autodiff"]),
    (
        2,
        ["half"],
        "wrong",
        [
            "your dL/dw = -2 at w=1, b=0, x=1, y=3; autodiff says -4",
            "exactly half",
            "the 2 from the square is missing",
        ],
    ),
    (2, ["sign"], "wrong", ["your dL/dw = 4", "autodiff says -4", "wrong sign"]),
    (2, ["missing_x"], "wrong", ["x=2, y=5", "your dL/dw = -6", "autodiff says -12", "d(w*x)/dw"]),
    (2, ["swapped"], "wrong", ["swapped"]),
    (2, ["times_w"], "wrong", ["multiplied by w"]),
    (2, ["crashes"], "error", ["ZeroDivisionError", "ex2.py, line"]),
    (2, ["one_number"], "error", ["must return (dw, db)"]),
    (3, ["right"], "pass", ["3, 5, 2 samples"]),
    # the mean's dL/dw at w=1, b=0 on the worked example is -40 / 3; the last term 2*(-3)*3 = -18... / 3
    (3, ["assigned"], "wrong", ["your dL/dw = -8", "autodiff says -13.33333333", "LAST sample", "(+=)"]),
    (3, ["summed"], "wrong", ["your dL/dw = -40", "SUM over the 3 samples", "mean divides the sum by n"]),
    (3, ["divided_twice"], "wrong", ["-4.444444444", "divided by n twice"]),
    (3, ["returns_in_loop"], "wrong", ["your dL/dw = -4", "FIRST sample", "return inside the loop"]),
    (4, ["update", "gd"], "pass", ["w=1.4, b=0.18, ok", "steps=1000): w=2.000148389, b=0.9996626769, ok"]),
    (4, ["update_uphill", "gd"], "wrong", ["returns w=0.6, b=-0.18", "gives w=1.4, b=0.18", "uphill"]),
    (4, ["update_no_lr", "gd"], "wrong", ["returns w=41, b=18", "whole gradient"]),
    (4, ["update_swapped", "gd"], "wrong", ["returns w=1.18, b=0.4", "gradients are swapped"]),
    (
        4,
        ["update", "gd_stale"],
        "wrong",
        ["steps=1000) returns w=401, b=180", "reaches w=2.000148389", "once, before the loop", "stale"],
    ),
    (4, ["update", "gd_off_by_one"], "wrong", ["made 0 step(s), not 1"]),
    (
        4,
        ["update", "gd_split"],
        "wrong",
        ["returns w=1.4, b=0.132", "twice per step", "after w has already moved"],
    ),
    (4, ["update", "gd_returns_start"], "wrong", ["returns w=1, b=0", "starting values"]),
    (5, ["right"], "pass", ["in order and shuffled"]),
    (5, ["no_zero_grad"], "wrong", ["never zeroed", "Step 2 used dL/dw = -15.52 = -4 + -11.52"]),
    (5, ["stale"], "wrong", ["PREVIOUS sample's gradient"]),
    (5, ["shuffled_separately"], "wrong", ["3 shuffled epochs", "shuffled separately"]),
    (5, ["shuffled_once"], "wrong", ["drawn once and reused"]),
    (5, ["rebinds"], "wrong", ["did not move at all"]),
    (6, ["Sin"], "pass", ["gradient checker", "on both engines"]),
    (6, ["NoChain"], "wrong", ["g=3", "g is not used"]),
    (6, ["Minus"], "wrong", ["returns -0.7648421873", "sign is wrong"]),
    (6, ["OutputInstead"], "wrong", ["returns 0.6442176872", "sin(a) itself"]),
    (6, ["SlopeOfCos"], "wrong", ["returns -0.6442176872", "slope of cos"]),
    (6, ["Degrees"], "wrong", ["forward(xp, a=0.7) returns 0.01221700084", "radians"]),
    (6, ["MathCos"], "wrong", ["works on a float but not on a numpy array", "use xp's functions"]),
    (6, ["InfSlope"], "wrong", ["your dL_da(xp, g=1, a=0.7, out=sin(a)) is inf", "not a finite number"]),
    (6, ["NanForward"], "wrong", ["your forward(xp, a=0.7) is nan", "not a finite number"]),
    (6, ["Renamed"], "wrong", ['name = "sin"']),
    (7, ["right"], "pass", ["data sets of 2, 3, 4, 5 samples"]),
    (7, ["sign"], "wrong", ["your dL/dw = 0.5 at w=0, b=0", "the sign is flipped"]),
    (7, ["summed"], "wrong", ["your dL/dw = -1 at w=0, b=0", "forgetting the mean"]),
    (7, ["missing_sigma_prime"], "wrong", ["your dL/dw = -2 at w=0, b=0", "is missing from the chain"]),
    (7, ["extra_sigma_prime"], "wrong", ["your dL/dw = -0.125", "multiplied in twice"]),
    (7, ["infinite"], "wrong", ["your dL/dw is inf", "not a finite number"]),
]


@pytest.mark.parametrize(
    "n, names, status, phrases", CASES, ids=[f"ex{c[0]}-{'-'.join(c[1])}" for c in CASES]
)
def test_each_answer_gets_its_diagnosis(n, names, status, phrases):
    module = answers(n)
    result = check(n, *(getattr(module, name) for name in names))
    assert result.status == status, result
    for phrase in phrases:
        assert phrase in str(result), f"{phrase!r} not in:\n{result}"


def test_every_exercise_has_a_right_answer_and_three_caught_slips():
    for n in EXERCISES:
        statuses = [c[2] for c in CASES if c[0] == n]
        assert "pass" in statuses and statuses.count("wrong") >= 3, n


def test_worked_example_numbers_are_the_reference():
    # by hand: dL/dw = sum 2 r x = -40 and dL/db = -18 at w=1, b=0; one step with lr 0.01: 1.4, 0.18
    from tinygrad_lr.exercises.ex4_gradient_descent import reference_gd, sse_grad

    assert sse_grad(1.0, 0.0, [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]) == (-40.0, -18.0)
    w, b = reference_gd([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0, 0.01, 1)
    assert isclose(w, 1.4, rtol=1e-9, atol=0.0) and isclose(b, 0.18, rtol=1e-9, atol=0.0)
    w, b = reference_gd([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0, 0.01, 1000)
    assert abs(w - 2.000148) < 5e-7 and abs(b - 0.999663) < 5e-7  # the tutorial's printed numbers


def test_sgd_reference_by_hand():
    # one SGD step on (x=1, y=3) from w=1, b=0: r = -2, dL/dw = dL/db = -4, lr 0.01 -> 1.04, 0.04;
    # the next sample (x=2, y=5): r = 1.04*2 + 0.04 - 5 = -2.88, dL/dw = -11.52, dL/db = -5.76
    from tinygrad_lr.exercises.ex5_sgd import reference_sgd

    w, b = reference_sgd([1.0, 2.0], [3.0, 5.0], 1.0, 0.0, 0.01, 1, None)
    assert isclose(w, 1.04 + 0.1152, rtol=1e-9, atol=0.0) and isclose(b, 0.04 + 0.0576, rtol=1e-9, atol=0.0)


def test_hints_come_in_levels_and_only_when_wrong():
    m = answers(2)
    assert check(2, m.right, hints=3).hints == []
    one, three = check(2, m.half, hints=1), check(2, m.half, hints=3)
    assert one.hints == list(get(2).hints[:1]) and three.hints == list(get(2).hints)
    assert "hint 1:" in str(one) and "hint 2:" not in str(one)


def test_hints_and_diagnoses_give_no_code():
    # no line of any right answer appears in a hint or in the diagnosis of a wrong answer
    code = set()
    for n in EXERCISES:
        for line in (SOLUTIONS / f"ex{n}.py").read_text().splitlines():
            if ("=" in line or "return" in line) and len(line.strip()) > 12:
                code.add(line.strip())
    said = [h for ex in EXERCISES.values() for h in ex.hints]
    said += [str(check(n, *(getattr(answers(n), f) for f in names))) for n, names, _, _ in CASES]
    for line in code:
        assert not any(line in s for s in said), line


def test_time_limit_in_process():
    m = answers(4)
    result = check(4, m.update, m.gd_forever, time_limit=1)
    assert result.status == "error" and result.exit_code == 2
    assert "did not return within 1 s" in result.diagnosis


def test_sin_is_on_the_engines_only_during_the_check():
    from tinygrad_lr import ops
    from tinygrad_lr.tensor import Tensor

    m = answers(6)
    before = (getattr(Value, "sin", None), getattr(Tensor, "sin", None), "sin" in ops.registry())
    assert check(6, m.Sin).status == "pass"
    assert check(6, m.MathCos).status == "wrong"
    assert (getattr(Value, "sin", None), getattr(Tensor, "sin", None), "sin" in ops.registry()) == before


def test_close_never_calls_an_answer_that_is_not_a_number_right():
    from tinygrad_lr.exercises.base import close

    inf, nan = math.inf, math.nan
    for a, b in ((inf, 1.0), (1.0, inf), (inf, inf), (-inf, -inf), (nan, nan), (nan, 1.0), (1e308, inf)):
        assert not close(a, b), (a, b)
    assert close(1.0, 1.0 + 1e-12) and not close(1.0, 1.001)


def test_check_needs_the_exercises_functions():
    with pytest.raises(TypeError, match="exercise 4 checks 2 function"):
        check(4, answers(4).update)
    with pytest.raises(ValueError, match="no exercise 8"):
        check(8, print)


# --- the stubs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", list(EXERCISES))
def test_shipped_stub_is_the_generated_one_and_is_not_done(n):
    ex = get(n)
    shipped = ROOT / "exercises" / ex.filename
    assert shipped.read_text(encoding="utf-8") == stub(n), (
        f"regenerate: tinygrad-lr check --new {n} {shipped}"
    )
    assert exercise_of_source(shipped.read_text()) == n
    namespace: dict = {}
    exec(compile(shipped.read_text(), str(shipped), "exec"), namespace)
    result = check(n, *(namespace[f] for f in ex.functions))
    assert result.status == "not done", result  # the stub holds no solution
    assert "not done yet" in result.diagnosis


def test_notebook_cells_are_the_stubs():
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "exercises.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for ex in EXERCISES.values():
        assert ex.code.rstrip("\n") in code, (
            f"notebook stub of exercise {ex.number} differs from the package's"
        )
        assert f"check({ex.number}, {', '.join(ex.functions)})" in code
