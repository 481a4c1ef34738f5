# tinygrad-lr exercise 1: the local derivative of each op
#
# Every operation in a computation graph knows its *local derivatives*: how much its output moves
# per unit of each input, the other inputs held fixed. Backpropagation multiplies them along the
# graph (the chain rule), so they must be right for every op.
#
# Write local_derivatives(op, a, b) for the eight ops *, +, -, **, exp, log, tanh
# and sigmoid. The checker compares every answer with autodiff (the framework's Value) and with
# finite differences, at several points, and tells you which op is wrong and how.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex1_local_derivatives.py
#     tinygrad-lr check ex1_local_derivatives.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

import math


def local_derivatives(op, a, b=None):
    """The local derivatives of out = a op b (or out = op(a)) with respect to each input.

    op: one of "*", "+", "-", "**", "exp", "log", "tanh", "sigmoid".
    a:  the (first) input, a float.
    b:  the second input of "*", "+" and "-"; for "**" the exponent n (a constant number,
        so out = a ** n has one input); None for the one-input ops.

    Return a tuple of floats:
        "*", "+", "-"                          -> (d_out/d_a, d_out/d_b)
        "**", "exp", "log", "tanh", "sigmoid"  -> (d_out/d_a,)
    """
    if op == "*":
        raise NotImplementedError("exercise 1: the local derivatives of a * b")
    if op == "+":
        raise NotImplementedError("exercise 1: the local derivatives of a + b")
    if op == "-":
        raise NotImplementedError("exercise 1: the local derivatives of a - b")
    if op == "**":
        raise NotImplementedError("exercise 1: the local derivative of a ** n")
    if op == "exp":
        raise NotImplementedError("exercise 1: the local derivative of exp(a)")
    if op == "log":
        raise NotImplementedError("exercise 1: the local derivative of log(a)")
    if op == "tanh":
        raise NotImplementedError("exercise 1: the local derivative of tanh(a)")
    if op == "sigmoid":
        raise NotImplementedError("exercise 1: the local derivative of sigmoid(a)")
    raise ValueError(f"unknown op {op!r}")
