"""Exercise 7: the gradient of the binary cross-entropy by hand (the sign, sigma', the mean)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..gradcheck import numerical_grads
from ..losses import bce_with_logits
from ..value import Value
from .base import Exercise, Result, call, close, not_finite, num, pair_of

INTRO = """\
Logistic regression reads the line's output z = w*x + b as a logit: p = sigmoid(z) = 1 / (1 + e^-z)
is the probability of class 1, and a sample of class y (0 or 1) costs the binary cross-entropy
`-(y*log(p) + (1 - y)*log(1 - p))`. The loss is its mean over the data set.

Write `grad_bce(w, b, xs, ys)` returning `(dL/dw, dL/db)` for that mean. Work it out by the chain
rule: dL/dp for one sample, then dp/dz = sigmoid'(z) = p*(1 - p), then dz/dw = x and dz/db = 1,
and see how much of it cancels. The checker runs it on the lesson's two points (x = 1, 3 with
classes 0, 1 at w = b = 0, where dL/dw = -0.5) and on other data sets, against autodiff."""

CODE = '''\
import math


def grad_bce(w, b, xs, ys):
    """The gradient of the MEAN binary cross-entropy over the samples:
    L = (1/n) * sum_i -(y_i*log(p_i) + (1 - y_i)*log(1 - p_i)),  p_i = sigmoid(w*x_i + b).

    w, b: the parameters (floats). xs: the inputs, ys: the classes (0.0 or 1.0), lists of floats
    of the same length n. Return (dL_dw, dL_db), two floats.
    """
    raise NotImplementedError("exercise 7: write grad_bce")
'''

HINTS = (
    "Do one sample first, as a chain: dL/dp, then dp/dz, then dz/dw and dz/db. Multiply the first "
    "two before you go on, and simplify.",
    "dL/dp = -y/p + (1 - y)/(1 - p) and dp/dz = p*(1 - p): their product is much simpler than either. "
    "Check its sign on a sample of class 1 with p = 1/2: raising z should lower the loss.",
    "Each sample contributes (p_i - y_i)*x_i to dL/dw and (p_i - y_i) to dL/db; add them over the "
    "samples and divide each total by n once, at the end.",
)

# (w, b, xs, ys): the lesson's two points, then data sets of other sizes and logits of both signs
CASES = [
    (0.0, 0.0, [1.0, 3.0], [0.0, 1.0]),
    (0.5, -1.0, [1.0, 2.0, 4.0], [0.0, 1.0, 1.0]),
    (-1.0, 0.5, [-2.0, 0.5, 1.5, 3.0], [1.0, 0.0, 1.0, 0.0]),
    (2.0, 1.0, [0.3, -2.0, 1.0, -0.5, 2.5], [1.0, 0.0, 0.0, 1.0, 1.0]),
]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass(frozen=True)
class _Case:
    """One data set at one point: the learner's answers, autodiff's and finite differences'."""

    w: float
    b: float
    xs: list[float]
    ys: list[float]
    yours: dict[str, float]
    auto: dict[str, float]
    numeric: dict[str, float]

    def where(self) -> str:
        return f"at w={num(self.w)}, b={num(self.b)} on xs={self.xs}, ys={self.ys} (n={len(self.xs)})"

    def slips(self, p: str) -> dict[str, float]:
        """The classic wrong answers for ``dL/dp``, by name (each a mean unless said otherwise)."""
        n = len(self.xs)
        ps = [_sigmoid(self.w * x + self.b) for x in self.xs]
        a = self.xs if p == "w" else [1.0] * n
        right = [(q - y) * ai for q, y, ai in zip(ps, self.ys, a)]
        dldp = [(-y / q + (1 - y) / (1 - q)) * ai for q, y, ai in zip(ps, self.ys, a)]
        extra = [(q - y) * q * (1 - q) * ai for q, y, ai in zip(ps, self.ys, a)]
        out = {
            "sign": -sum(right) / n,
            "sum": sum(right),
            "sign and sum": -sum(right),
            "missing sigma'": sum(dldp) / n,
            "missing sigma' and the mean": sum(dldp),
            "extra sigma'": sum(extra) / n,
            "last": right[-1],
            "last / n": right[-1] / n,
        }
        if p == "w":
            out["no x"] = sum(q - y for q, y in zip(ps, self.ys)) / n
        return out


WHY = {
    "sign": (
        "the sign is flipped: yours is mean((y - p) * x). The loss is MINUS the log-likelihood, so "
        "dL/dz = p - y (a sample of class 1 with p < 1 has dL/dz < 0: raising z lowers its loss)"
    ),
    "sum": (
        "yours is the SUM over the {n} samples, n = {n} times autodiff's: forgetting the mean (divide by n)"
    ),
    "sign and sum": "the sign is flipped (dL/dz = p - y, not y - p) and the mean is forgotten (divide by n)",
    "missing sigma'": (
        "yours is mean(dL/dp * dz/d{p}): the factor dp/dz = sigmoid'(z) = p*(1 - p) is missing from the "
        "chain; with it, -y/p + (1 - y)/(1 - p) times p*(1 - p) collapses to p - y"
    ),
    "missing sigma' and the mean": (
        "yours is sum(dL/dp * dz/d{p}): the factor sigmoid'(z) = p*(1 - p) is missing from the chain, and "
        "the mean is forgotten (divide by n)"
    ),
    "extra sigma'": (
        "yours is mean((p - y) * p*(1 - p) * ...): sigmoid'(z) is multiplied in twice. (p - y) already "
        "holds it: dL/dp = (p - y) / (p*(1 - p)), and times sigmoid'(z) = p*(1 - p) that is p - y"
    ),
    "last": (
        "yours is the LAST sample's term alone: inside the loop the gradient is assigned (=), "
        "not added to (+=)"
    ),
    "last / n": (
        "yours is the LAST sample's term / n: inside the loop the gradient is assigned (=), not added to (+=)"
    ),
    "no x": "yours is mean(p - y), which is dL/db: dL/dw needs each term times its x (dz/dw = x)",
}


def _autodiff(
    w: float, b: float, xs: list[float], ys: list[float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Autodiff's gradient of the engine's own loss, and central finite differences of it."""
    vw, vb = Value(w, label="w"), Value(b, label="b")

    def loss() -> Value:
        return bce_with_logits([vw * x + vb for x in xs], ys)

    L = loss()
    L.backward()
    auto = {"w": float(vw.grad), "b": float(vb.grad)}
    gw, gb = numerical_grads(loss, [vw, vb])
    return auto, {"w": float(gw), "b": float(gb)}


def _answers(
    fn: Callable[..., Any], w: float, b: float, xs: list[float], ys: list[float]
) -> dict[str, float]:
    dw, db = pair_of(call(fn, w, b, list(xs), list(ys)), "your grad_bce()")
    return {"w": dw, "b": db}


def _message(c: _Case, p: str) -> tuple[str, bool]:
    """The diagnosis of ``dL/dp`` at case ``c``, and whether it names the slip."""
    yours, auto = c.yours[p], c.auto[p]
    expected = f"autodiff says {num(auto)}, finite differences {c.numeric[p]:.6f}"
    bad = not_finite((f"dL/d{p}", yours), at=c.where(), expected=expected)
    if bad:
        return bad, True
    text = f"your dL/d{p} = {num(yours)} {c.where()}; {expected}"
    n = len(c.xs)
    for name, value in c.slips(p).items():
        if value != 0.0 and close(yours, value) and not (name.startswith("last") and n == 1):
            return f"{text}: {WHY[name].format(n=n, p=p)}", True
    if auto != 0.0:
        k = yours / auto
        if close(k, round(k)) and round(k) not in (0, 1):
            return f"{text}: yours is exactly {round(k)} times autodiff's", True
    return text, False


def _diagnosis(c: _Case) -> tuple[list[str], bool]:
    """What is wrong at case ``c`` (empty when nothing is), and whether every slip is named."""
    if not any(math.isfinite(v) for v in c.yours.values()) or all(
        close(c.yours[p], c.auto[p]) for p in ("w", "b")
    ):
        said = [_message(c, p)[0] for p in ("w", "b") if not close(c.yours[p], c.auto[p])]
        return said, True
    if (
        close(c.yours["w"], c.auto["b"])
        and close(c.yours["b"], c.auto["w"])
        and not close(c.auto["w"], c.auto["b"])
    ):
        return [f"your dL/dw and dL/db are swapped {c.where()}"], True
    found = [_message(c, p) for p in ("w", "b") if not close(c.yours[p], c.auto[p])]
    return [text for text, _ in found], all(named for _, named in found)


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    fn = fns["grad_bce"]
    first: list[str] = []
    for w, b, xs, ys in CASES:
        auto, numeric = _autodiff(w, b, xs, ys)
        wrong, named = _diagnosis(_Case(w, b, xs, ys, _answers(fn, w, b, xs, ys), auto, numeric))
        if wrong and named:  # the first data set whose numbers tell the slip says it
            first = wrong
            break
        first = first or wrong
    if not first:
        sizes = ", ".join(str(len(c[2])) for c in CASES)
        return EXERCISE.result("pass", f"dL/dw and dL/db agree with autodiff on data sets of {sizes} samples")
    first.sort(key=lambda line: " not a finite number" not in line and " not finite numbers" not in line)
    return EXERCISE.result("wrong", "\n".join(first))


EXERCISE = Exercise(
    number=7,
    slug="bce_gradient",
    title="the gradient of the cross-entropy, by hand",
    functions=("grad_bce",),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
