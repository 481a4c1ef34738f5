"""Exercise 4 answers for the tests (not shipped)."""


def update(w, b, dw, db, lr):
    return w - lr * dw, b - lr * db


def update_uphill(w, b, dw, db, lr):
    return w + lr * dw, b + lr * db


def update_no_lr(w, b, dw, db, lr):
    return w - dw, b - db


def update_swapped(w, b, dw, db, lr):
    return w - lr * db, b - lr * dw


def gd(xs, ys, w, b, lr, steps, grad):
    for _ in range(steps):
        dw, db = grad(w, b, xs, ys)
        w, b = update(w, b, dw, db, lr)
    return w, b


def gd_stale(xs, ys, w, b, lr, steps, grad):  # the gradient taken once, before the loop
    dw, db = grad(w, b, xs, ys)
    for _ in range(steps):
        w, b = update(w, b, dw, db, lr)
    return w, b


def gd_off_by_one(xs, ys, w, b, lr, steps, grad):
    for _ in range(steps - 1):
        dw, db = grad(w, b, xs, ys)
        w, b = update(w, b, dw, db, lr)
    return w, b


def gd_split(xs, ys, w, b, lr, steps, grad):  # b's gradient taken after w moved
    for _ in range(steps):
        dw, _ = grad(w, b, xs, ys)
        w = w - lr * dw
        _, db = grad(w, b, xs, ys)
        b = b - lr * db
    return w, b


def gd_returns_start(xs, ys, w, b, lr, steps, grad):
    nw, nb = w, b
    for _ in range(steps):
        dw, db = grad(nw, nb, xs, ys)
        nw, nb = update(nw, nb, dw, db, lr)
    return w, b


def gd_forever(xs, ys, w, b, lr, steps, grad):
    while True:
        w = w + 0.0
