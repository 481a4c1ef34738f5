"""Gradient checks of a loss the framework built: :func:`gradcheck` for any loss of Value or
Tensor parameters, :func:`check_linear_regression` and :func:`check_logistic_regression` for the
framework's own models and losses."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .numeric import (
    DEFAULT_EPS,
    MACHINE_EPS,
    ROUNDOFF_SAFETY,
    RTOL_EXACT,
    RTOL_NUMERICAL,
    analytic_grads,
    as_bias,
    as_data,
    as_params,
    as_weights,
    autodiff,
    build_loss,
    central_differences,
    check_param,
    check_reduction,
    data_scales,
    entries,
    entry_name,
    entry_value,
    reduction_of,
)
from .report import Comparison, GradReport


def gradcheck(
    f: Callable[[], Any],
    params: Sequence[Any],
    *,
    data: tuple[Any, Any] | None = None,
    reduction: str = "sum",
    eps: float = DEFAULT_EPS,
    rtol_exact: float = RTOL_EXACT,
    rtol_numerical: float = RTOL_NUMERICAL,
    title: str | None = None,
    l1: float = 0.0,
    l2: float = 0.0,
) -> GradReport:
    """Check the autodiff gradient of a loss against finite differences (and the analytic formula).

    ``f()`` builds the loss from the current values of ``params`` (``Value`` or ``Tensor`` leaves)
    with the framework's operations and returns it (a ``Value`` or one-entry ``Tensor``). For every
    parameter entry the report compares autodiff with

    * central finite differences, ``(L(p + h) - L(p - h)) / 2h`` (always);
    * the analytic formula ``dL/dw_j = sum_i 2 r_i x_ij``, ``dL/db = sum_i 2 r_i`` (/ n for
      ``reduction="mean"``), when ``data=(x, y)`` is given: then ``f`` must be the linear-regression
      loss on that data, and the parameter entries, in order, are ``w_1 .. w_d`` then ``b``
      (``b`` optional). With ``l1``/``l2``, ``f`` is that loss plus ``l1 * sum |w_j| + l2 * sum w_j^2``
      and the formula gains ``l1 * sign(w_j) + 2 * l2 * w_j`` (``sign(0) = 0``, the subgradient).

    The parameters' values and ``.grad`` are left as they were.

    Example (the worked example, docs/sources.md section 2):
        >>> w, b = Value(1.0, label="w"), Value(0.0, label="b")
        >>> xs, ys = [1, 2, 3], [3, 5, 7]
        >>> report = gradcheck(lambda: sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)), [w, b],
        ...                    data=(xs, ys))
        >>> report.ok, report.autodiff()
        (True, {'w': -40.0, 'b': -18.0})
    """
    params = as_params(f, params, "gradcheck")
    for p in params:
        check_param(p)
    names = [entry_name(p, i, idx) for i, p in enumerate(params) for idx in entries(p)]
    values = [entry_value(p, idx) for p in params for idx in entries(p)]
    for name, v in zip(names, values):
        if not math.isfinite(v):
            raise ValueError(f"gradcheck: parameter {name} is {v}; a gradient check needs finite values")

    loss, auto_rows = autodiff(f, params)
    auto = [g for row in auto_rows for g in row]
    diffs = [d for row in central_differences(f, params, eps) for d in row]

    analytic, loss_scale, grad_scale = None, None, None
    if data is not None:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is said below, not warned
            analytic, loss_scale, grad_scale = _analytic(data, reduction, values, names, l1, l2)
    problem = overflow_problem(loss, names, auto, diffs, analytic, loss_scale, grad_scale)

    comparisons = []
    for k, (name, a, diff) in enumerate(zip(names, auto, diffs)):
        if analytic is not None and grad_scale is not None:
            atol = ROUNDOFF_SAFETY * MACHINE_EPS * float(grad_scale[k])
            comparisons.append(Comparison(0, name, a, "analytic", float(analytic[k]), atol, rtol_exact))
        # round-off in L(p +- h) is ~u * (size of L's numbers); dividing by 2h magnifies it
        scale = max(diff.loss_scale, loss_scale or 0.0)
        atol = ROUNDOFF_SAFETY * MACHINE_EPS * scale / diff.step
        comparisons.append(Comparison(0, name, a, "numerical", diff.grad, atol, rtol_numerical))

    if title is None:
        what = (
            "autodiff vs analytic formula and finite differences"
            if data is not None
            else ("autodiff vs finite differences")
        )
        title = f"gradcheck: {what}"
    return GradReport(title, [dict(zip(names, values))], comparisons, [loss], eps, overflow=problem)


def overflow_problem(
    loss: float,
    names: list[str],
    auto: list[float],
    diffs: list[Any],
    analytic: list[float] | None,
    loss_scale: float | None,
    grad_scale: np.ndarray | None,
) -> str:
    """Where a gradient check's numbers overflow (``""``: nowhere): the loss, autodiff's gradient,
    the loss a step ``h`` away, the formula's gradient, or the sums of squares the loss adds up.
    A comparison of such numbers would only say that two infinities disagree."""
    if not math.isfinite(loss):
        return f"the loss is {loss} at this point"
    for name, a in zip(names, auto):
        if not math.isfinite(a):
            return f"autodiff's dL/d{name} is {a}"
    for name, d in zip(names, diffs):
        if math.isinf(d.loss_scale):  # nan a step away is an undefined loss: the report says so
            return f"the loss is inf a step h = {d.step:.3g} away in {name}"
    for name, a in zip(names, analytic or []):
        if not math.isfinite(a):
            return f"the formula's dL/d{name} = sum 2 r x is {a}"
    scales = (
        [] if loss_scale is None else [loss_scale, *np.ravel(grad_scale if grad_scale is not None else [])]
    )
    if not all(map(math.isfinite, scales)):
        return "the squared residuals the loss adds up reach beyond float64"
    return ""


def _analytic(
    data: tuple[Any, Any], reduction: str, values: list[float], names: list[str], l1: float, l2: float
) -> tuple[list[float], float, np.ndarray]:
    """The analytic gradient of the linear-regression loss on ``data`` at ``values`` (``w_1 .. w_d``,
    then ``b``), and the sizes of the numbers it is computed from (for the round-off allowance)."""
    check_reduction(reduction)
    X, Y = as_data(*data)
    d = X.shape[1]
    if len(values) not in (d, d + 1):
        raise ValueError(
            f"with data of {d} feature(s) the parameters must be w_1..w_{d} and optionally b "
            f"({d} or {d + 1} entries), got {len(values)}: {', '.join(names)}"
        )
    w = np.array(values[:d])
    b = values[d] if len(values) == d + 1 else None
    dw, db = analytic_grads(w, b, X, Y, reduction, l1, l2)
    loss_scale, grad_scale = data_scales(X, Y, w, b, reduction, l1, l2)
    return list(np.atleast_1d(dw)) + ([] if db is None else [db]), loss_scale, grad_scale


def check_linear_regression(
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    *,
    loss: str = "sse",
    engine: str = "value",
    eps: float = DEFAULT_EPS,
    l1: float = 0.0,
    l2: float = 0.0,
) -> GradReport:
    """:func:`gradcheck` of the framework's own linear-regression model and loss at ``(w, b)``.

    Builds :class:`~tinygrad_lr.models.LinearRegression` on ``engine`` (``"value"`` or
    ``"tensor"``) and the loss ``"sse"`` (sum) or ``"mse"`` (mean) from
    :mod:`tinygrad_lr.losses`, then compares autodiff with the analytic formula and finite
    differences for every parameter. ``l1``/``l2`` add the lasso/ridge terms to the loss (as graph
    nodes: :func:`~tinygrad_lr.losses.regularized`) and to the analytic formula.

    Example (the worked example: ``dL/dw = -40``, ``dL/db = -18``):
        >>> report = check_linear_regression(1.0, 0.0, [1, 2, 3], [3, 5, 7])
        >>> report.ok, report.autodiff()
        (True, {'w': -40.0, 'b': -18.0})
    """
    reduction = reduction_of(loss)
    X, Y = as_data(x, y)
    wv, bf = as_weights(w, X.shape[1]), as_bias(b)
    f, params = build_loss(wv, bf, X, Y, loss.lower(), engine, l1, l2)
    title = (
        f"gradcheck: {loss.lower()} loss, {engine} engine, {len(Y)} sample(s), {X.shape[1]} feature(s): "
        "autodiff vs analytic formula and finite differences"
    )
    if l1 or l2:
        title += f" (+ {l1:g} * sum |w| + {l2:g} * sum w^2)"
    return gradcheck(f, params, data=(X, Y), reduction=reduction, eps=eps, title=title, l1=l1, l2=l2)


def check_logistic_regression(
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    *,
    engine: str = "value",
    eps: float = DEFAULT_EPS,
    l2: float = 0.0,
) -> GradReport:
    """The three-way check of logistic regression's loss at ``(w, b)``: autodiff through the
    framework's :class:`~tinygrad_lr.LogisticRegression` and
    :func:`~tinygrad_lr.losses.bce_with_logits` (``+ l2 * sum w^2`` as graph nodes) against the
    formulas the chain rule collapses to and against finite differences. With ``p_i =
    sigmoid(w . x_i + b)`` and the targets ``y_i`` (0 or 1)::

        dL/dw_j = mean_i((p_i - y_i) x_ij) + 2 l2 w_j        dL/db = mean_i(p_i - y_i)

    Example (the lesson's two points x = 1, 3 of classes 0, 1 at w = b = 0):
        >>> report = check_logistic_regression(0.0, 0.0, [1, 3], [0, 1])
        >>> report.ok, report.autodiff()
        (True, {'w': -0.5, 'b': 0.0})
    """
    from ..logistic import LogisticRegression, logistic_gradient, sigmoid
    from ..losses import bce_with_logits, regularized

    X, Y = as_data(x, y)
    if not np.all((Y == 0.0) | (Y == 1.0)):
        raise ValueError("check_logistic_regression: the targets y must be the classes 0 and 1")
    wv, bf = as_weights(w, X.shape[1]), as_bias(b)
    model = LogisticRegression(X.shape[1], bias=bf is not None, w=wv, b=bf, engine=engine)
    loss_fn = regularized(bce_with_logits, model.w, 0.0, l2)
    params = model.parameters()
    names = [entry_name(p, i, idx) for i, p in enumerate(params) for idx in entries(p)]
    loss, auto_rows = autodiff(lambda: loss_fn(model(X), Y), params)
    auto = [g for row in auto_rows for g in row]
    diffs = [d for row in central_differences(lambda: loss_fn(model(X), Y), params, eps) for d in row]
    formula = logistic_gradient(X, Y, wv, bf, l2=l2)
    # round-off: each term (p_i - y_i) a_ij is computed from numbers of size (p_i + y_i) |a_ij|
    A = np.hstack([X, np.ones((len(Y), 1))]) if bf is not None else X
    z = A @ np.concatenate([wv, [] if bf is None else [bf]])
    penalty = np.concatenate([2.0 * l2 * np.abs(wv), [] if bf is None else [0.0]])
    grad_scale = (np.abs(A).T @ (sigmoid(z) + Y)) / len(Y) + penalty
    loss_scale = float(np.mean(np.abs(z) + np.log(2.0)) + l2 * float(wv @ wv))
    comparisons = []
    for k, (name, a, diff) in enumerate(zip(names, auto, diffs)):
        atol = ROUNDOFF_SAFETY * MACHINE_EPS * float(grad_scale[k])
        comparisons.append(Comparison(0, name, a, "analytic", float(formula[k]), atol, RTOL_EXACT))
        atol = ROUNDOFF_SAFETY * MACHINE_EPS * max(diff.loss_scale, loss_scale) / diff.step
        comparisons.append(Comparison(0, name, a, "numerical", diff.grad, atol, RTOL_NUMERICAL))
    title = (
        f"gradcheck: bce loss, {engine} engine, {len(Y)} sample(s), {X.shape[1]} feature(s): autodiff vs "
        "the formula mean((sigmoid(z) - y) x) and finite differences"
        + (f" (+ {l2:g} * sum w^2)" if l2 else "")
    )
    values = [entry_value(p, idx) for p in params for idx in entries(p)]
    return GradReport(title, [dict(zip(names, values))], comparisons, [loss], eps)


def check_op(
    op: Any, *, points: int = 4, seed: int = 0, second: bool = True, eps: float = DEFAULT_EPS
) -> list[GradReport]:
    """Check an op's derivative against finite differences, on every engine that has it.

    ``op``: a registered op's name (``"tanh"``), its class, or an instance with its parameters
    (``ops.Pow(0.5)``). At ``points`` points drawn from the op's ``domain`` (away from a kink),
    each engine builds ``L = sum_k c_k op(x_k)`` and :func:`gradcheck` compares autodiff with
    central differences; with ``second=True`` the gradient is then built as a graph
    (``create_graph``) and checked the same way, which checks the op's second derivative.
    Returns the reports, two per engine (one with ``second=False``).

    Example:
        >>> [r.ok for r in check_op("tanh")]
        [True, True, True, True]
    """
    from .. import ops
    from ..graph import enable_grad, grad

    instance = op if isinstance(op, ops.Op) else ops.as_op(ops.get(op) if isinstance(op, str) else op)()
    rng = np.random.default_rng(seed)
    columns = _points(instance, points, rng)
    weights = rng.uniform(0.5, 1.5, points)
    reports = []
    for engine in instance.engines:
        params, loss = _op_loss(instance, engine, columns, weights)
        what = f"{instance.symbol} on the {engine} engine"
        reports.append(gradcheck(loss, params, eps=eps, title=f"check_op: the derivative of {what}"))
        if second:
            slopes = rng.uniform(0.5, 1.5, len(params)).tolist()

            def slope(
                params: Any = params, loss: Any = loss, slopes: Any = slopes, engine: Any = engine
            ) -> Any:
                # sum_p s_p * dL/dp, a graph: its gradient holds the op's second derivatives
                with enable_grad():  # (the finite differences evaluate it under no_grad)
                    gs = grad(loss(), params, create_graph=True)
                total = (params[0] * 0.0).sum() if engine == "tensor" else params[0] * 0.0
                for g, s in zip(gs, slopes):
                    total = total + ((g * s).sum() if engine == "tensor" else g * s)
                return total

            reports.append(
                gradcheck(slope, params, eps=eps, title=f"check_op: the second derivative of {what}")
            )
    return reports


def _points(instance: Any, points: int, rng: np.random.Generator) -> list[list[float]]:
    """For each input, ``points`` numbers from the op's domain, away from a kink."""
    domain = instance.domain or ((-2.0, 2.0),) * max(instance.arity, 1)
    rows: list[list[float]] = []
    while len(rows) < points:
        row = [float(rng.uniform(lo, hi)) for lo, hi in domain]
        if instance.smooth_at(*row):
            rows.append(row)
    return [[row[i] for row in rows] for i in range(len(domain))]


def _op_loss(
    instance: Any, engine: str, columns: list[list[float]], weights: np.ndarray
) -> tuple[list[Any], Any]:
    """The parameters and ``L = sum_k c_k op(x_k)`` on ``engine``."""
    import copy

    from ..tensor import Tensor
    from ..value import Value

    if engine == "value":
        leaves = [[Value(x, label=f"x{i}_{k}") for k, x in enumerate(col)] for i, col in enumerate(columns)]

        def value_loss() -> Any:
            terms = [float(c) * Value._apply(instance, *xs) for c, *xs in zip(weights, *leaves)]
            return sum(terms[1:], terms[0])

        return [p for col in leaves for p in col], value_loss
    tensors = [Tensor(np.array(col), requires_grad=True, name=f"x{i}") for i, col in enumerate(columns)]

    def tensor_loss() -> Any:
        return (Tensor(weights) * Tensor._apply(copy.copy(instance), *tensors)).sum()

    return list(tensors), tensor_loss
