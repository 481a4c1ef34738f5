# tinygrad-lr exercise 7: the gradient of the cross-entropy, by hand
#
# Logistic regression reads the line's output z = w*x + b as a logit: p = sigmoid(z) = 1 / (1 + e^-z)
# is the probability of class 1, and a sample of class y (0 or 1) costs the binary cross-entropy
# -(y*log(p) + (1 - y)*log(1 - p)). The loss is its mean over the data set.
#
# Write grad_bce(w, b, xs, ys) returning (dL/dw, dL/db) for that mean. Work it out by the chain
# rule: dL/dp for one sample, then dp/dz = sigmoid'(z) = p*(1 - p), then dz/dw = x and dz/db = 1,
# and see how much of it cancels. The checker runs it on the lesson's two points (x = 1, 3 with
# classes 0, 1 at w = b = 0, where dL/dw = -0.5) and on other data sets, against autodiff.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex7_bce_gradient.py
#     tinygrad-lr check ex7_bce_gradient.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

import math


def grad_bce(w, b, xs, ys):
    """The gradient of the MEAN binary cross-entropy over the samples:
    L = (1/n) * sum_i -(y_i*log(p_i) + (1 - y_i)*log(1 - p_i)),  p_i = sigmoid(w*x_i + b).

    w, b: the parameters (floats). xs: the inputs, ys: the classes (0.0 or 1.0), lists of floats
    of the same length n. Return (dL_dw, dL_db), two floats.
    """
    raise NotImplementedError("exercise 7: write grad_bce")
