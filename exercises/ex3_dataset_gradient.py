# tinygrad-lr exercise 3: the gradient over a data set
#
# Now the loss is the mean squared error over a whole data set,
# L = (1/n) * sum_i (w*x_i + b - y_i)^2. Every sample uses the same w and b, so each sample
# adds its own term to dL/dw and dL/db (exercise 2), and the mean divides the sum by n.
#
# Write grad_dataset(w, b, xs, ys) returning (dL/dw, dL/db) for the mean squared error.
# The checker runs it on the worked example (x = 1, 2, 3; y = 3, 5, 7) and on other data sets.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex3_dataset_gradient.py
#     tinygrad-lr check ex3_dataset_gradient.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

def grad_dataset(w, b, xs, ys):
    """The gradient of the MEAN squared error L = (1/n) * sum_i (w*x_i + b - y_i)**2.

    w, b: the parameters (floats). xs, ys: lists of floats, the inputs and targets (same length n).
    Return (dL_dw, dL_db), two floats.
    """
    raise NotImplementedError("exercise 3: write grad_dataset")
