# tinygrad-lr exercise 6: a new op's backward: sin
#
# Every op of the engine is two small pieces: the forward computation, and the backward, which
# applies the chain rule at the op's node: x.grad += out.grad * d(out)/dx. Add a new op, sin,
# to Value.
#
# Write sin_forward(x) and sin_backward(x, out, out_grad, x_grad). The checker installs them as
# Value.sin and runs the gradient checker (autodiff through your backward against finite
# differences) on a loss that uses sin many times.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex6_new_op.py
#     tinygrad-lr check ex6_new_op.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

import math


def sin_forward(x):
    """The op's forward pass: out = sin(x) for a float x. Return a float."""
    raise NotImplementedError("exercise 6: write sin_forward")


def sin_backward(x, out, out_grad, x_grad):
    """The op's backward pass: the chain rule at the node out = sin(x).

    x:        the input's value.            out:    the output's value, sin(x).
    out_grad: dL/d(out), already complete.  x_grad: the input's gradient so far (x may feed
              other ops too, whose backward already added their part).
    Return the input's NEW gradient: x_grad with this node's contribution dL/d(out) * d(out)/dx added.
    """
    raise NotImplementedError("exercise 6: write sin_backward")
