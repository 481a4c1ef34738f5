# tinygrad-lr exercise 2: the chain rule through one sample
#
# One sample (x, y), the model f = w*x + b and the squared error L = (w*x + b - y)^2.
# Follow the chain rule from L back to w and to b: L depends on the residual
# r = w*x + b - y, r on w*x and on b, w*x on w. Multiply the local derivatives along
# each path.
#
# Write grad_one_sample(w, b, x, y) returning (dL/dw, dL/db) as two numbers. The checker
# compares them with autodiff and finite differences at several points and samples.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex2_chain_rule.py
#     tinygrad-lr check ex2_chain_rule.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

def grad_one_sample(w, b, x, y):
    """The gradient of L = (w*x + b - y)**2 for ONE sample.

    w, b: the parameters (floats). x, y: the sample's input and target (floats).
    Return (dL_dw, dL_db), two floats.
    """
    raise NotImplementedError("exercise 2: write grad_one_sample")
