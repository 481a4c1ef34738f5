"""Exercise 3 answers for the tests (not shipped)."""


def right(w, b, xs, ys):
    n = len(xs)
    dw = db = 0.0
    for x, y in zip(xs, ys):
        r = w * x + b - y
        dw += 2 * r * x
        db += 2 * r
    return dw / n, db / n


def assigned(w, b, xs, ys):  # = instead of +=
    n = len(xs)
    dw = db = 0.0
    for x, y in zip(xs, ys):
        r = w * x + b - y
        dw = 2 * r * x
        db = 2 * r
    return dw / n, db / n


def summed(w, b, xs, ys):  # the sum, not the mean
    dw = db = 0.0
    for x, y in zip(xs, ys):
        r = w * x + b - y
        dw += 2 * r * x
        db += 2 * r
    return dw, db


def divided_twice(w, b, xs, ys):
    n = len(xs)
    dw = db = 0.0
    for x, y in zip(xs, ys):
        r = w * x + b - y
        dw += 2 * r * x / n
        db += 2 * r / n
    return dw / n, db / n


def returns_in_loop(w, b, xs, ys):
    for x, y in zip(xs, ys):
        r = w * x + b - y
        return 2 * r * x, 2 * r
    return 0.0, 0.0
