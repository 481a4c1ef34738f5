# tinygrad-lr exercise 4: the update rule and the gradient descent loop
#
# Gradient descent moves each parameter a small step against its gradient, a step of size
# learning rate times gradient. Repeated, the steps walk downhill to the least-squares line.
#
# Write update(w, b, dw, db, lr), one step, and gd(xs, ys, w, b, lr, steps, grad), the loop.
# The loop gets its gradient from the checker: grad(w, b, xs, ys) returns (dL/dw, dL/db) of the
# sum of squared errors (computed by autodiff). On the worked example (x = 1, 2, 3; y = 3, 5, 7;
# w = 1, b = 0, lr = 0.01) one step must reach w = 1.4, b = 0.18, and 1000 steps
# w = 2.000148, b = 0.999663.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex4_gradient_descent.py
#     tinygrad-lr check ex4_gradient_descent.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

def update(w, b, dw, db, lr):
    """One gradient descent step: move w and b against their gradients dw = dL/dw and db = dL/db.

    All arguments are floats; lr is the learning rate. Return (new_w, new_b).
    """
    raise NotImplementedError("exercise 4: write update")


def gd(xs, ys, w, b, lr, steps, grad):
    """Gradient descent: `steps` updates of w and b, each with the gradient where w and b are then.

    xs, ys: lists of floats (the data). w, b: the starting values. lr: the learning rate.
    steps: how many updates to make. grad: a function; grad(w, b, xs, ys) returns (dL_dw, dL_db),
    the gradient of the sum of squared errors at w, b. Use your update() for each step.
    Return (w, b) after the last step.
    """
    raise NotImplementedError("exercise 4: write gd")
