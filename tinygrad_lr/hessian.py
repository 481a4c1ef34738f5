"""Second derivatives by differentiating the gradient: Hessians, Hessian-vector products, curvature.

The gradient ``g = dL/dtheta`` from :func:`~tinygrad_lr.grad` with ``create_graph=True`` is a
graph. Differentiating ``g . v`` (one number) once more gives the **Hessian-vector product**::

    d(g . v)/dtheta = H v          (H[i, j] = d^2 L / dtheta_i dtheta_j, symmetric)

without ever writing ``H`` down: one more backward pass per product. The whole Hessian is its
columns ``H e_j``, one product per parameter; its largest eigenvalue ``lambda_max`` comes from
**power iteration** on products alone (``v <- H v / |H v|``, a few random ``v`` at once), and
sets the largest learning rate with which gradient descent converges: ``2 / lambda_max`` (see
:func:`~tinygrad_lr.models.max_stable_lr`).

Parameters may be ``Value`` or ``Tensor`` leaves; a ``Tensor`` counts as ``size`` numbers,
flattened in order (``[w1, ..., wn, b]`` for ``LinearRegression.parameters()``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import InputError, describe
from .graph import check_nodes, grad

__all__ = [
    "hessian",
    "hvp",
    "largest_eigenvalue",
    "gradient_graph",
    "hessian_from_grads",
    "hvp_from_grads",
    "flat_numbers",
    "as_params",
    "finite_or_error",
]

EIG_RTOL = 1e-10  # stop when |H u - lambda u| <= this * |lambda|: lambda is then an eigenvalue to 1e-10
EIG_MAX_ITERS = 10_000
EIG_BLOCK = 4  # random start vectors iterated together (all of them for up to 4 parameters)


def gradient_graph(loss: Any, params: Sequence[Any], caller: str = "gradient_graph()") -> list[Any]:
    """``dL/dp`` for each parameter as a graph (``None`` where ``loss`` does not depend on ``p``)."""
    params = as_params(params, caller)
    if isinstance(loss, (list, tuple)):
        raise InputError(f"{caller}: the loss must be one Value or a one-entry Tensor, got {describe(loss)}")
    check_nodes([loss], params, caller, output="loss", input="parameter")
    return list(grad(loss, params, create_graph=True, allow_unused=True))


def as_params(params: Any, caller: str) -> list[Any]:
    """``params`` as a list: one Value or Tensor is a list of one (iterating a Tensor would give
    new nodes the loss was not computed from, and a Hessian of zeros)."""
    if hasattr(params, "_prev"):
        return [params]
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise InputError(f"{caller}: params must be a list of Values or Tensors, got {describe(params)}")
    out = list(params)
    if not out:
        raise InputError(f"{caller}: params is empty; give the Values or Tensors to differentiate by")
    return out


def _sizes(params: Sequence[Any]) -> list[int]:
    return [1 if np.ndim(p.data) == 0 else int(np.size(p.data)) for p in params]


def flat_numbers(values: Sequence[Any], params: Sequence[Any]) -> np.ndarray:
    """Numbers (or nodes, or ``None`` for 0) per parameter, as one flat float array."""
    parts = []
    for value, size in zip(values, _sizes(params)):
        if value is None:
            parts.append(np.zeros(size))
        else:
            data = value.data if hasattr(value, "_prev") else value
            parts.append(np.asarray(data, dtype=np.float64).reshape(size))
    return np.concatenate(parts)


def hvp_from_grads(grads: Sequence[Any], params: Sequence[Any], v: Any) -> np.ndarray:
    """``H v`` from the gradient graphs ``grads`` (one backward pass through them)."""
    params = list(params)
    vec = np.asarray(v, dtype=np.float64).reshape(-1)
    sizes = _sizes(params)
    if vec.size != sum(sizes):
        raise ValueError(f"hvp: v has {vec.size} numbers, the parameters have {sum(sizes)}")
    total = None  # g . v, one node
    start = 0
    for g, p, size in zip(grads, params, sizes):
        part = vec[start : start + size]
        start += size
        if g is None or not _is_tracked(g):
            continue  # a gradient that is a constant: its derivative is 0
        term = g * float(part[0]) if np.ndim(p.data) == 0 else (g * part.reshape(np.shape(p.data))).sum()
        total = term if total is None else total + term
    if total is None:
        return np.zeros(vec.size)
    return flat_numbers(grad(total, params, allow_unused=True), params)


def _is_tracked(node: Any) -> bool:
    """True if ``node`` was computed from something (a Tensor: that requires grad)."""
    return bool(node._prev) and getattr(node, "requires_grad", True)


def hessian_from_grads(grads: Sequence[Any], params: Sequence[Any]) -> np.ndarray:
    """The Hessian from the gradient graphs ``grads``: its columns ``H e_j``, one pass each."""
    n = sum(_sizes(params))
    H = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        H[:, j] = hvp_from_grads(grads, params, e)
    return H


def hessian(loss: Any, params: Sequence[Any]) -> np.ndarray:
    """The Hessian ``d^2 L / dtheta_i dtheta_j`` of ``loss`` with respect to ``params``, by autodiff.

    Example (SSE of ``w*x + b`` on x = 1, 2, 3: the closed form ``2 A^T A`` with ``A = [x, 1]``):
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(0.0), Value(0.0)
        >>> hessian(sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]), [w, b]).tolist()
        [[28.0, 12.0], [12.0, 6.0]]
    """
    params = as_params(params, "hessian()")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # said below, not warned
        H = hessian_from_grads(gradient_graph(loss, params, "hessian()"), params)
    return finite_or_error(H, "hessian()", "the Hessian")


def hvp(loss: Any, params: Sequence[Any], v: Any) -> np.ndarray:
    """The Hessian-vector product ``H v`` of ``loss`` (``v``: one number per parameter entry).

    Example:
        >>> from tinygrad_lr import Value
        >>> x, y = Value(1.0), Value(2.0)
        >>> hvp(x * x * y, [x, y], [1.0, 0.0]).tolist()     # H = [[2y, 2x], [2x, 0]]
        [4.0, 2.0]
    """
    params = as_params(params, "hvp()")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # said below, not warned
        Hv = hvp_from_grads(gradient_graph(loss, params, "hvp()"), params, v)
    return finite_or_error(Hv, "hvp()", "H v")


def finite_or_error(result: np.ndarray, caller: str, what: str) -> np.ndarray:
    """``result`` if every entry is finite; else a ``ValueError`` saying the numbers overflowed."""
    if not np.all(np.isfinite(result)):
        raise ValueError(
            f"{caller}: {what} holds {'nan' if np.isnan(result).any() else 'inf'}: the second derivatives "
            "overflow float64 (beyond ~1.8e308) at these parameters; rescale the data or the parameters"
        )
    return result


def largest_eigenvalue(
    loss: Any,
    params: Sequence[Any],
    *,
    rtol: float = EIG_RTOL,
    max_iters: int = EIG_MAX_ITERS,
    seed: int = 0,
) -> float:
    """``lambda_max`` of the Hessian of ``loss``, by block power iteration on Hessian-vector products.

    ``V <- orth(H V)`` turns a block of ``min(n, 4)`` random vectors (a fixed ``seed``) towards the
    eigenvectors of the eigenvalues largest in size; the largest eigenvalue of the small matrix
    ``V^T H V`` (Rayleigh-Ritz) is then ``lambda_max``. Random starts cannot be trapped the way a
    fixed start can (all ones is an eigenvector of a *smaller* eigenvalue for some data), and a
    block holds close eigenvalues apart, so it settles quickly where one vector crawls. With four
    parameters or fewer the block spans everything and one round of products is exact.

    It stops when the answer is an eigenvalue to ``rtol``: the residual ``|H u - lambda u|`` of
    its unit vector ``u`` is at most ``rtol * |lambda|`` (then an eigenvalue lies within that
    distance). If that does not happen within ``max_iters`` rounds (two eigenvalues of the same
    size and opposite sign beyond the block), it says so with a ``ValueError`` instead of
    returning a guess. For a Hessian with negative eigenvalues it is the eigenvalue largest in
    size (the one that limits a gradient step), the positive one on a tie.

    Example (SSE on x = 1, 2, 3 with bias: ``2 / lambda_max`` is the largest stable lr):
        >>> from tinygrad_lr import Value, sse, max_stable_lr
        >>> w, b = Value(0.0), Value(0.0)
        >>> lam = largest_eigenvalue(sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]), [w, b])
        >>> abs(2 / lam - max_stable_lr([1, 2, 3], "sse")) < 1e-12
        True
    """
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        raise ValueError(f"largest_eigenvalue: rtol must be a number in (0, 1), got {rtol!r}")
    if isinstance(max_iters, bool) or not isinstance(max_iters, int) or max_iters < 1:
        raise ValueError(f"largest_eigenvalue: max_iters must be a whole number >= 1, got {max_iters!r}")
    params = as_params(params, "largest_eigenvalue()")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a non-finite H v is said below
        return _power_iteration(
            gradient_graph(loss, params, "largest_eigenvalue()"), params, rtol, max_iters, seed
        )


def _power_iteration(grads: list[Any], params: list[Any], rtol: float, max_iters: int, seed: int) -> float:
    """Block power iteration with Rayleigh-Ritz on the gradient graphs (see :func:`largest_eigenvalue`)."""
    n = sum(_sizes(params))
    V = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, min(n, EIG_BLOCK))))[0]
    residual = math.inf
    for _ in range(max_iters):
        HV = np.column_stack([hvp_from_grads(grads, params, v) for v in V.T])
        if not np.all(np.isfinite(HV)):
            raise ValueError("largest_eigenvalue: a Hessian-vector product is inf or nan (so is the loss)")
        if not np.any(HV):
            return 0.0  # H V = 0 for a block spanning its range: a zero Hessian
        ritz, S = np.linalg.eigh(0.5 * (V.T @ HV + HV.T @ V))
        size = np.abs(ritz)
        top = int(np.flatnonzero(size >= size.max() * (1 - rtol))[-1])  # a tie of sizes: the positive one
        lam = float(ritz[top])
        residual = float(np.linalg.norm(HV @ S[:, top] - lam * (V @ S[:, top])))
        if residual <= rtol * abs(lam):
            return lam
        V = np.linalg.qr(HV)[0]
    raise ValueError(
        f"largest_eigenvalue: power iteration did not settle in {max_iters} rounds (residual "
        f"{residual:.3g}); the Hessian may have eigenvalues of the same size and opposite sign"
    )
