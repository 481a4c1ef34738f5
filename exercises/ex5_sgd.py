# tinygrad-lr exercise 5: the SGD loop, in order and shuffled
#
# Stochastic gradient descent updates w and b after every single sample, with that sample's
# own gradient d/dw (w*x_i + b - y_i)^2. Here you use autodiff, as in PyTorch: build the
# sample's loss from the parameters, call .backward(), step, and zero the gradients, since
# .backward() *adds* to .grad. Shuffling visits the samples in a new random order every epoch,
# each sample with its own target.
#
# Write sgd(w, b, xs, ys, lr, epochs, rng). w and b are the checker's Value parameters:
# read and write w.data, read w.grad, call loss.backward() and w.zero_grad(); you import
# nothing.
#
# Fill in the body of each function below (replace the `raise NotImplementedError` lines),
# then check your answer from a shell:
#     tinygrad-lr check ex5_sgd.py
#     tinygrad-lr check ex5_sgd.py --hint 1     (and 2, 3: hints, never the code)
# Import nothing from tinygrad_lr: the checker compares your answers with its autodiff.

def sgd(w, b, xs, ys, lr, epochs, rng=None):
    """Stochastic gradient descent on L_i = (w*x_i + b - y_i)**2, one update per sample.

    w, b:   the parameters, autodiff Values: w.data is the number, w.grad its gradient after
            loss.backward() (backward ADDS to .grad), w.zero_grad() sets .grad back to 0.
            Build each sample's loss from them, e.g. (w * x + b - y) ** 2.
    xs, ys: lists of floats, the inputs and their targets.
    lr:     the learning rate. epochs: how many passes over the data.
    rng:    None: visit the samples in order 0, 1, ..., n-1 every epoch.
            Otherwise a numpy Generator: at the start of EACH epoch draw the order with
            order = rng.permutation(n) (exactly one call per epoch) and visit the samples in it.
    Update w.data and b.data in place; return nothing.
    """
    raise NotImplementedError("exercise 5: write sgd")
