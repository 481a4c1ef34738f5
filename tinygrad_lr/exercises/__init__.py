"""Seven graded exercises on backpropagation, each a stub the learner fills in and a checker that
explains the mistake it finds.

1. the local derivative of each op (``*``, ``+``, ``-``, ``**``, ``exp``, ``log``, ``tanh``, ``sigmoid``);
2. the chain rule through one sample, ``dL/dw`` and ``dL/db`` of ``(w*x + b - y)^2``;
3. the gradient over a data set (the mean; ``+=``, not ``=``);
4. the update rule, and a gradient descent loop that reaches the worked example's numbers;
5. the SGD loop in order and shuffled, on autodiff ``Value`` parameters;
6. a new op, ``sin``, with its backward, checked by the gradient checker;
7. the gradient of the binary cross-entropy (logistic regression) by hand: the sign, ``sigmoid'``,
   the mean.

Each checker compares the learner's answers with autodiff (and finite differences) and, when they
disagree, names the mistake with numbers ("your dL/dw is exactly half of autodiff's: the 2 from
the square is missing"); hints come in three levels and never give the code.

In a notebook or a script, :func:`check` runs a checker on functions you defined::

    from tinygrad_lr.exercises import check
    check(2, grad_one_sample)          # -> a Result; shows PASS, or what is wrong
    check(2, grad_one_sample, hints=1) # and the first hint

From a shell, ``tinygrad-lr check ex2_chain_rule.py`` runs a file in a separate process with a
time and a memory limit (:mod:`tinygrad_lr.exercises.sandbox`), and ``tinygrad-lr check --grade DIR``
grades a folder of submissions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import (
    ex1_local_derivatives,
    ex2_chain_rule,
    ex3_dataset,
    ex4_gradient_descent,
    ex5_sgd,
    ex6_new_op,
    ex7_bce_gradient,
)
from .base import DEFAULT_TIME_LIMIT, Exercise, Result, run_check

__all__ = ["EXERCISES", "Exercise", "Result", "check", "get", "stub", "exercise_of_source"]

EXERCISES: dict[int, Exercise] = {
    m.EXERCISE.number: m.EXERCISE
    for m in (
        ex1_local_derivatives,
        ex2_chain_rule,
        ex3_dataset,
        ex4_gradient_descent,
        ex5_sgd,
        ex6_new_op,
        ex7_bce_gradient,
    )
}

# the first line of every stub file: how `tinygrad-lr check FILE` knows which exercise it is
_MARKER = re.compile(r"^#\s*tinygrad-lr exercise (\d+)\b", re.M)


def get(number: int) -> Exercise:
    """Exercise ``number`` (1 to 7), or a ValueError naming the choices."""
    if isinstance(number, bool) or not isinstance(number, int) or number not in EXERCISES:
        raise ValueError(f"there is no exercise {number!r}: choose one of {', '.join(map(str, EXERCISES))}")
    return EXERCISES[number]


def check(
    number: int,
    *functions: Callable[..., Any],
    hints: int = 0,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> Result:
    """Check your function(s) for exercise ``number``; return a :class:`Result` (its text is the verdict).

    ``functions`` are the exercise's functions in the order its stub defines them (exercise 4:
    ``update, gd``; exercise 6: the class ``Sin``). ``hints`` reveals that many hint
    levels (0 to 3) when the answer is not right yet. A function still running after
    ``time_limit`` seconds is stopped and reported (on the main thread of a Unix process).
    This runs your code in this process; ``tinygrad-lr check FILE`` runs it in a separate one
    with a memory limit too.

    Example (a wrong answer: the factor 2 of the square is missing):
        >>> def grad_one_sample(w, b, x, y):
        ...     r = w * x + b - y
        ...     return r * x, r
        >>> result = check(2, grad_one_sample)
        >>> result.status
        'wrong'
        >>> print(result.diagnosis)  # doctest: +ELLIPSIS
        your dL/dw = -2 at w=1, b=0, x=1, y=3; autodiff says -4 (finite differences -4.000000): ...half...
    """
    ex = get(number)
    if len(functions) != len(ex.functions):
        names = ", ".join(ex.functions)
        raise TypeError(
            f"exercise {number} checks {len(ex.functions)} function(s), {names}; got {len(functions)}"
        )
    return run_check(ex, dict(zip(ex.functions, functions)), hints=hints, time_limit_s=time_limit)


def stub(number: int) -> str:
    """The text of exercise ``number``'s stub file: a header saying what to do, then the function(s)
    to fill in (they raise ``NotImplementedError`` until you do)."""
    ex = get(number)
    intro = "\n".join(f"# {line}".rstrip() for line in ex.intro.replace("`", "").splitlines())
    return (
        f"# tinygrad-lr exercise {ex.number}: {ex.title}\n"
        "#\n"
        f"{intro}\n"
        "#\n"
        "# Fill in the body of each function below (replace the `raise NotImplementedError` lines),\n"
        "# then check your answer from a shell:\n"
        f"#     tinygrad-lr check {ex.filename}\n"
        f"#     tinygrad-lr check {ex.filename} --hint 1     (and 2, 3: hints, never the code)\n"
        "# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.\n"
        "\n"
        f"{ex.code}"
    )


def exercise_of_source(text: str) -> int | None:
    """The exercise number a stub file declares on its first line (``# tinygrad-lr exercise N``)."""
    m = _MARKER.search(text[:2000])
    return int(m.group(1)) if m else None
