"""Exercise 5 answers for the tests (not shipped)."""


def _order(n, rng):
    return list(range(n)) if rng is None else rng.permutation(n)


def right(w, b, xs, ys, lr, epochs, rng=None):
    for _ in range(epochs):
        for i in _order(len(xs), rng):
            w.zero_grad()
            b.zero_grad()
            loss = (w * xs[i] + b - ys[i]) ** 2
            loss.backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad


def no_zero_grad(w, b, xs, ys, lr, epochs, rng=None):  # gradients pile up
    for _ in range(epochs):
        for i in _order(len(xs), rng):
            loss = (w * xs[i] + b - ys[i]) ** 2
            loss.backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad


def stale(w, b, xs, ys, lr, epochs, rng=None):  # steps before backward: the previous sample's gradient
    for _ in range(epochs):
        for i in _order(len(xs), rng):
            w.data -= lr * w.grad
            b.data -= lr * b.grad
            w.zero_grad()
            b.zero_grad()
            loss = (w * xs[i] + b - ys[i]) ** 2
            loss.backward()


def shuffled_separately(w, b, xs, ys, lr, epochs, rng=None):
    n = len(xs)
    for _ in range(epochs):
        xs_e, ys_e = list(xs), list(ys)
        if rng is not None:
            xs_e = [xs[i] for i in rng.permutation(n)]
            ys_e = [ys[i] for i in rng.permutation(n)]
        for x, y in zip(xs_e, ys_e):
            w.zero_grad()
            b.zero_grad()
            ((w * x + b - y) ** 2).backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad


def shuffled_once(w, b, xs, ys, lr, epochs, rng=None):
    order = _order(len(xs), rng)
    for _ in range(epochs):
        for i in order:
            w.zero_grad()
            b.zero_grad()
            ((w * xs[i] + b - ys[i]) ** 2).backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad


def rebinds(w, b, xs, ys, lr, epochs, rng=None):  # w = ... makes a new local, the caller's w never moves
    for _ in range(epochs):
        for i in _order(len(xs), rng):
            w.zero_grad()
            b.zero_grad()
            ((w * xs[i] + b - ys[i]) ** 2).backward()
            w = w.data - lr * w.grad
            b = b.data - lr * b.grad
            return
