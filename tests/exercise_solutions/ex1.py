"""Exercise 1 answers for the tests: one right, and wrong ones each with a classic slip (not shipped)."""

import math


def right(op, a, b=None):
    if op == "*":
        return (b, a)
    if op == "+":
        return (1.0, 1.0)
    if op == "-":
        return (1.0, -1.0)
    if op == "**":
        return (b * a ** (b - 1),)
    if op == "exp":
        return (math.exp(a),)
    if op == "log":
        return (1 / a,)
    if op == "tanh":
        return (1 - math.tanh(a) ** 2,)
    if op == "sigmoid":
        s = 1 / (1 + math.exp(-a))
        return (s * (1 - s),)
    raise ValueError(op)


def swapped_product(op, a, b=None):
    return (a, b) if op == "*" else right(op, a, b)


def power_not_lowered(op, a, b=None):
    return (b * a**b,) if op == "**" else right(op, a, b)


def tanh_of_input(op, a, b=None):
    return (1 - a**2,) if op == "tanh" else right(op, a, b)


def minus_sign(op, a, b=None):
    return (1.0, 1.0) if op == "-" else right(op, a, b)


def sigmoid_of_input(op, a, b=None):
    return (a * (1 - a),) if op == "sigmoid" else right(op, a, b)


def log_itself(op, a, b=None):
    return (math.log(a),) if op == "log" else right(op, a, b)


def half_done(op, a, b=None):
    if op in ("tanh", "sigmoid"):
        raise NotImplementedError("exercise 1")
    return right(op, a, b)


def one_number_for_product(op, a, b=None):
    return (b,) if op == "*" else right(op, a, b)
