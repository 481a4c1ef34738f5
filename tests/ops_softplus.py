"""A new op, defined outside the package, the documented way (docs/engine.md, "Adding an op").

This file is the whole of the change: importing it registers ``softplus``, and from then on
``Value.softplus``, ``Tensor.softplus``, the pictures, the walkthrough, the compiler, anomaly mode
and the gradient checks all know it (tests/test_new_op.py checks each).
"""

from tinygrad_lr import ops


@ops.register
class Softplus(ops.Unary):
    """``softplus(a) = log(1 + e^a)``, a smooth relu. ``d(softplus a)/da = sigmoid(a)``."""

    name = "softplus"
    rules = ("d(softplus a)/da = sigmoid(a)",)

    def forward(self, xp, a):
        return xp.logaddexp(0.0, a)  # log(e^0 + e^a), without overflow for a large a

    def dL_da(self, xp, g, a, out):
        return g * xp.sigmoid(a)  # dL/da = dL/d(out) * sigmoid(a)
