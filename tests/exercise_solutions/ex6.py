"""Exercise 6 answers for the tests (not shipped)."""

import math


def sin_forward(x):
    return math.sin(x)


def sin_backward(x, out, out_grad, x_grad):
    return x_grad + out_grad * math.cos(x)


def backward_assigns(x, out, out_grad, x_grad):  # = instead of +=
    return out_grad * math.cos(x)


def backward_no_chain(x, out, out_grad, x_grad):  # out_grad forgotten
    return x_grad + math.cos(x)


def backward_minus(x, out, out_grad, x_grad):
    return x_grad - out_grad * math.cos(x)


def backward_sin(x, out, out_grad, x_grad):
    return x_grad + out_grad * out


def forward_degrees(x):
    return math.sin(math.radians(x))
