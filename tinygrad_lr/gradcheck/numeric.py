"""The numbers a gradient check compares: the analytic formula, finite differences, autodiff.

Also the tolerances, with the reasons for their sizes, and the round-off scale of a
linear-regression loss. Nothing here decides pass or fail; :mod:`.report` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import graph
from ..errors import InputError, as_float_array, describe
from ..value import Value

# u: the gap between 1.0 and the next float64. Every float64 operation is exact up to a
# relative error of u/2, so u * (size of the numbers involved) is the scale of round-off.
MACHINE_EPS = float(np.finfo(np.float64).eps)  # 2.2e-16

# The relative finite-difference step. Central differences err by truncation ~ h^2 |L'''| / 6
# plus round-off ~ u |L| / h; the sum is smallest near h = cbrt(u) (times the parameter's scale:
# the step is DEFAULT_EPS * max(1, |p|)). Forward differences would need sqrt(u) and still be
# off by ~sqrt(u) ~ 1e-8 relative; central ones reach ~u^(2/3) ~ 4e-11.
DEFAULT_EPS = MACHINE_EPS ** (1.0 / 3.0)  # ~6.1e-6

# Autodiff vs an exact formula (analytic, or your hand-written gradient): the same sums done in
# float64, different only in the order of operations, so ~1e-15 relative in practice. 1e-9
# leaves a wide margin for round-off yet is a million times smaller than any real mistake
# (a missing factor 2, a lost sample, a flipped sign all change the gradient by O(1) relative).
RTOL_EXACT = 1e-9

# Autodiff vs central differences: at the default step the method's own error is ~1e-10
# relative; 1e-6 still exposes every real mistake, and a step far too coarse for the loss's
# curvature (truncation ~ h^2) fails it.
RTOL_NUMERICAL = 1e-6

# Round-off bounds are per operation; a loss over n samples takes ~n of them and their errors
# mostly cancel (growing like sqrt(n), n at worst). 1000 covers data sets of ~10^5 samples at
# worst-case growth and far more in practice, yet stays ~1e-13 of the numbers involved.
ROUNDOFF_SAFETY = 1000.0

REDUCTIONS = ("sum", "mean")
_LOSS_REDUCTION = {"sse": "sum", "mse": "mean"}


# --- the analytic formulas -------------------------------------------------------------------


def as_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as an ``(n, d)`` float64 matrix and ``y`` as ``(n,)``, with precise errors."""
    from ..data import from_arrays

    d = from_arrays(x, y)
    return d.X, d.y


def as_weights(w: Any, d: int) -> np.ndarray:
    arr = np.atleast_1d(as_float_array(w, "w", f"{d} number(s), one per feature of x"))
    if arr.ndim != 1 or arr.size != d:
        raise ValueError(f"w needs {d} number(s), one per feature of x, got shape {np.shape(w)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"w must be finite numbers, got {arr.tolist()}")
    return arr


def as_bias(b: Any) -> float | None:
    if b is None:
        return None
    try:
        bf = float(b)
    except (TypeError, ValueError):
        raise InputError(f"b must be a number (or None for no bias), got {describe(b)}") from None
    if not math.isfinite(bf):
        raise ValueError(f"b must be a finite number (or None for no bias), got {b!r}")
    return bf


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def analytic_grads(
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    reduction: str = "sum",
    l1: float = 0.0,
    l2: float = 0.0,
) -> tuple[float | np.ndarray, float | None]:
    """The closed-form gradient of the linear-regression squared loss.

    With ``r_i = w . x_i + b - y_i`` and ``L = sum_i r_i^2`` (``reduction="sum"``, the SSE) or
    ``L = (1/n) sum_i r_i^2`` (``"mean"``, the MSE), the chain rule gives::

        dL/dw_j = sum_i 2 r_i x_ij        dL/db = sum_i 2 r_i        (each / n for the mean)

    With the penalty ``l1 * sum_j |w_j| + l2 * sum_j w_j^2`` added (:func:`~tinygrad_lr.losses.regularized`),
    ``dL/dw_j`` gains ``l1 * sign(w_j) + 2 * l2 * w_j``, where ``sign(0) = 0`` is the subgradient
    of ``|w|`` at 0 the engines use; ``dL/db`` is unchanged.

    Args:
        w: one number (one feature, ``x`` of shape ``(n,)``) or ``d`` numbers (``x`` ``(n, d)``).
        b: the bias, or ``None`` for the model ``f(x) = w . x`` without one.
        x, y: the samples and targets.
        reduction: ``"sum"`` or ``"mean"``.

    Returns:
        ``(dw, db)``: ``dw`` a float for a single number ``w``, else an array of shape ``(d,)``;
        ``db`` a float, or ``None`` without bias.

    Example (the worked example, docs/sources.md section 2):
        >>> analytic_grads(1.0, 0.0, [1, 2, 3], [3, 5, 7])
        (-40.0, -18.0)
    """
    check_reduction(reduction)
    X, Y = as_data(x, y)
    wv = as_weights(w, X.shape[1])
    bf = as_bias(b)
    r = X @ wv + (bf or 0.0) - Y  # r_i = w . x_i + b - y_i
    scale = 2.0 / len(Y) if reduction == "mean" else 2.0
    dw = scale * (X.T @ r)  # dL/dw_j = sum_i 2 r_i x_ij
    if l1 or l2:
        dw = dw + l1 * np.sign(wv) + 2.0 * l2 * wv  # d|w|/dw = sign(w) (0 at 0), d(w^2)/dw = 2 w
    db = None if bf is None else scale * float(r.sum())  # dL/db = sum_i 2 r_i
    return (float(dw[0]) if np.ndim(w) == 0 else dw), db


# --- parameters: Values and Tensors, entry by entry ------------------------------------------


def _is_value(p: Any) -> bool:
    return isinstance(p, Value)


def as_params(f: Any, params: Any, where: str) -> list[Any]:
    """``params`` as a non-empty list, ``f`` callable: the arguments every check starts from."""
    if not callable(f):
        raise InputError(
            f"{where}: f must be a function of no arguments returning the loss, got {describe(f)}"
        )
    if isinstance(params, (Value, str)) or not hasattr(params, "__iter__"):
        raise InputError(f"{where}: params must be a list of Values or Tensors, got {describe(params)}")
    params = list(params)
    if not params:
        raise InputError(f"{where} needs at least one parameter")
    return params


def check_param(p: Any) -> None:
    if _is_value(p):
        return
    data = getattr(p, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"parameters must be Values or Tensors, got {type(p).__name__}")
    if data.dtype != np.float64:
        raise TypeError(
            f"gradient checks need float64 parameters, got a {data.dtype} Tensor: in lower precision "
            "round-off swamps finite differences (see docs/gradcheck.md, 'Why float64')"
        )


def _param_name(p: Any, i: int) -> str:
    name = getattr(p, "label", None) if _is_value(p) else getattr(p, "name", None)
    return name or f"p{i}"


def entries(p: Any) -> list[tuple[int, ...]]:
    """The indices of a parameter's entries: ``[()]`` for a Value or a 0-d Tensor."""
    return [()] if _is_value(p) else list(np.ndindex(p.data.shape))


def entry_name(p: Any, i: int, idx: tuple[int, ...]) -> str:
    name = _param_name(p, i)
    if not idx or p.data.size == 1:  # a one-entry Tensor (w of a one-feature model) reads as its name
        return name
    return f"{name}[{', '.join(map(str, idx))}]"


def entry_value(p: Any, idx: tuple[int, ...]) -> float:
    return p.data if _is_value(p) else float(p.data[idx])


def set_entry(p: Any, idx: tuple[int, ...], v: float) -> None:
    if _is_value(p):
        p.data = v
    else:
        p.data[idx] = v


def _scalar(out: Any) -> float:
    """The number a loss function returned (a Value, a one-entry Tensor, or a plain number)."""
    if _is_value(out):
        return out.data
    arr = as_float_array(out, "the loss", "a Value or a one-entry Tensor")
    if arr.size != 1:
        raise ValueError(
            f"the loss must be a single number, got shape {arr.shape}; reduce it with .sum() or .mean()"
        )
    return float(arr.reshape(()))


# --- finite differences ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Difference:
    grad: float  # (L(p + h) - L(p - h)) / ((p + h) - (p - h))
    step: float  # h actually taken
    loss_scale: float  # max |L| over the two evaluations, for the round-off bound


def _evaluate(f: Callable[[], Any]) -> float:
    """``L`` a step away from the point: inf where it overflows, so the check fails and says so
    (numpy's overflow would otherwise be a warning, the Value engine's an OverflowError)."""
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _scalar(f())
    except OverflowError:
        return math.inf


def central_differences(f: Callable[[], Any], params: Sequence[Any], eps: float) -> list[list[_Difference]]:
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0.0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    result: list[list[_Difference]] = []
    with graph.no_grad():
        for i, p in enumerate(params):
            check_param(p)
            row = []
            for idx in entries(p):
                x0 = entry_value(p, idx)
                h = eps * max(1.0, abs(x0))
                up, down = x0 + h, x0 - h
                if up == down:
                    raise ValueError(f"eps={eps:g} is too small to move {entry_name(p, i, idx)}={x0!r}")
                try:
                    set_entry(p, idx, up)
                    f_up = _evaluate(f)
                    set_entry(p, idx, down)
                    f_down = _evaluate(f)
                finally:
                    set_entry(p, idx, x0)  # restored exactly: x0 itself, not x0 + h - h
                # divide by the step actually taken: (x0 + h) - (x0 - h) is exact, 2h may not be
                row.append(
                    _Difference((f_up - f_down) / (up - down), (up - down) / 2, max(abs(f_up), abs(f_down)))
                )
            result.append(row)
    return result


def _shaped(p: Any, values: list[float]) -> float | np.ndarray:
    return values[0] if _is_value(p) else np.array(values, dtype=np.float64).reshape(p.data.shape)


def numerical_grads(
    f: Callable[[], Any], params: Sequence[Any], eps: float = DEFAULT_EPS
) -> list[float | np.ndarray]:
    """Central finite differences of a scalar function of ``Value`` or ``Tensor`` parameters.

    For each parameter entry ``p`` (every entry of a Tensor), with the step
    ``h = eps * max(1, |p|)``::

        dL/dp ~ (L(p + h) - L(p - h)) / 2h      (error ~ h^2 |L'''| / 6 + u |L| / h)

    ``f`` takes no arguments: it reads the parameters' current values. Each entry is changed in
    place, ``f`` is evaluated under :class:`~tinygrad_lr.no_grad` (no graph is built), and the
    entry is restored to exactly its old value.

    Returns:
        one gradient per parameter, shaped like its ``.grad``: a float for a ``Value``, an
        array of the Tensor's shape for a ``Tensor``.

    Example:
        >>> w = Value(3.0)
        >>> [round(g, 6) for g in numerical_grads(lambda: w ** 2, [w])]   # d(w^2)/dw = 2w
        [6.0]
    """
    params = as_params(f, params, "numerical_grads")
    diffs = central_differences(f, params, eps)
    return [_shaped(p, [d.grad for d in row]) for p, row in zip(params, diffs)]


# --- autodiff --------------------------------------------------------------------------------


def autodiff(f: Callable[[], Any], params: Sequence[Any]) -> tuple[float, list[list[float]]]:
    """``(L, [gradient entries per parameter])`` by backpropagation, leaving ``.grad`` untouched."""
    if not graph.is_grad_enabled():
        raise RuntimeError("gradcheck needs autodiff: call it outside a no_grad() block")
    saved = [p.grad if _is_value(p) else (None if p.grad is None else np.array(p.grad)) for p in params]
    try:
        for p in params:
            p.zero_grad()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # inf/nan fail the report
            try:
                out = f()
            except OverflowError as exc:  # the Value engine refuses to make an inf
                raise ValueError(
                    f"the loss overflows float64 at this point ({exc}); a gradient check needs a "
                    "finite loss: choose smaller parameter values or rescale the data"
                ) from None
            loss = _scalar(out)
            if not hasattr(out, "backward"):
                raise TypeError(
                    f"the loss function must return a Value or a Tensor, got {type(out).__name__}"
                )
            out.backward()
        grads = []
        for p in params:
            if _is_value(p):
                grads.append([p.grad])
            else:
                g = np.zeros_like(p.data) if p.grad is None else np.asarray(p.grad, dtype=np.float64)
                grads.append([float(g[idx]) for idx in entries(p)])
    finally:
        for p, g in zip(params, saved):
            p.zero_grad()
            p.grad = g  # a Tensor treats an assigned gradient as shared: it never writes into it
    return loss, grads


def data_scales(
    X: np.ndarray,
    Y: np.ndarray,
    w: np.ndarray,
    b: float | None,
    reduction: str,
    l1: float = 0.0,
    l2: float = 0.0,
) -> tuple[float, np.ndarray]:
    """Sizes of the numbers the loss and its gradient are computed from, for round-off bounds.

    With ``M_i = sum_j |w_j x_ij| + |b| + |y_i|`` (which bounds ``|r_i|``): the loss is built from
    numbers of size ``sum_i M_i^2``, ``dL/dw_j`` from ``sum_i 2 M_i |x_ij|``, ``dL/db`` from
    ``sum_i 2 M_i`` (each / n for the mean). Unlike ``|L|`` or ``|dL/dw|``, these do not cancel.
    """
    M = np.abs(X) @ np.abs(w) + abs(b or 0.0) + np.abs(Y)
    k = 1.0 / len(Y) if reduction == "mean" else 1.0
    loss_scale = k * float(M @ M) + l1 * float(np.abs(w).sum()) + l2 * float(w @ w)
    grad_scale = 2.0 * k * (np.abs(X).T @ M) + l1 + 2.0 * l2 * np.abs(w)
    if b is not None:
        grad_scale = np.append(grad_scale, 2.0 * k * float(M.sum()))
    return loss_scale, grad_scale


# --- the linear-regression loss, built by the framework --------------------------------------


def build_loss(
    w: np.ndarray, b: float | None, X: np.ndarray, Y: np.ndarray, loss: str, engine: str,
    l1: float = 0.0, l2: float = 0.0,
):
    """``(f, params)``: the framework's model and loss (with its L1/L2 terms) on ``(X, Y)``, at ``w, b``."""
    from ..losses import get_loss, regularized
    from ..models import LinearRegression

    _, loss_fn = get_loss(loss)
    model = LinearRegression(X.shape[1], bias=b is not None, w=w, b=b, engine=engine)
    loss_fn = regularized(loss_fn, model.w, l1, l2)
    return (lambda: loss_fn(model(X), Y)), model.parameters()


def reduction_of(loss: str) -> str:
    key = loss.lower() if isinstance(loss, str) else loss
    if key not in _LOSS_REDUCTION:
        raise ValueError(f"loss must be 'sse' or 'mse', got {loss!r}")
    return _LOSS_REDUCTION[key]
