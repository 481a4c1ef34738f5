# tinygrad-lr exercise 6: a new op, for both engines: sin
#
# Every op of the framework is one small class: its name, its forward computation, and its
# derivative, the chain rule at the op's node: dL/da = dL/d(out) * d(out)/da. Both are written
# with the toolbox xp (math for the floats of a Value, numpy for the arrays of a Tensor), so one
# definition serves both engines. Add a new op, sin.
#
# Write forward and dL_da in the class Sin. The checker registers it (then Value.sin and
# Tensor.sin exist) and runs the gradient checker (autodiff through your derivative against
# finite differences) on a loss that uses sin many times, on both engines.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex6_new_op.py
#     tinygrad-lr check ex6_new_op.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

class Sin:
    """sin(a), a new op: its name, its forward and its derivative."""

    name = "sin"  # the method it becomes: Value(0.5).sin(), Tensor([0.5, 1.0]).sin()

    def forward(self, xp, a):
        """The op's forward: return out = sin(a).

        a is a float (Value) or a numpy array (Tensor); xp holds the functions that work on it:
        xp.sin, xp.cos, xp.exp, ...
        """
        raise NotImplementedError("exercise 6: write forward")

    def dL_da(self, xp, g, a, out):
        """The chain rule at the node out = sin(a): return dL/da.

        g:   dL/d(out), the gradient arriving from above (already complete).
        a:   the input.            out: the output, sin(a).
        dL/da = dL/d(out) * d(out)/da. The engine adds it into a's gradient itself.
        """
        raise NotImplementedError("exercise 6: write dL_da")
