"""Linear models on either engine: :class:`LinearModel` and the linear regression
``f(x) = b + w1*x1 + ... + wn*xn`` (:class:`LinearRegression`).

* ``engine="value"``: ``w1..wn`` and ``b`` are scalar :class:`~tinygrad_lr.Value` leaves and
  every sample's prediction is its own small graph ``((w1*x1 + w2*x2) + ...) + b`` -- the one
  to render and study, node by node.
* ``engine="tensor"``: ``w`` is one :class:`~tinygrad_lr.Tensor` of shape ``(n,)`` and ``b`` a
  0-d Tensor; all predictions are one vectorised expression ``X @ w + b`` -- the one for big data.

Both compute the same numbers (to 1e-12 on the same run). With ``bias=False`` the model is
``f(x) = w*x`` (the tadpole lesson and the PyTorch course). :class:`LinearModel` holds what every
model of ``b + w . x`` shares (the parameters on either engine, their state, the forward pass);
:class:`~tinygrad_lr.logistic.LogisticRegression` is the same model read as a logit.

This module also holds the one formula for the largest stable gradient-descent learning rate,
:func:`max_stable_lr`, used by the divergence error of :func:`~tinygrad_lr.fit` and by the docs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .data.dataset import DataError, check_finite, check_squares, default_feature_names
from .errors import InputError, as_float_array, describe
from .graph import gc_paused, no_grad
from .tensor import Tensor
from .value import Value

__all__ = ["LinearModel", "LinearRegression", "ENGINES", "loss_hessian", "max_stable_lr"]

ENGINES = ("value", "tensor")


class LinearModel:
    """The model ``b + sum_j w_j x_j`` with parameters on the chosen engine: what linear and
    logistic regression share (the parameters, their state, the forward pass).

    Subclasses say what the output is: :attr:`output_label` names it in pictures (``f`` for a
    prediction, ``z`` for a logit) and :attr:`default_loss` is the loss ``fit`` trains it with.

    Args:
        n_features: number of inputs ``x_j`` (at least 1).
        bias: include ``b`` (default); ``False`` gives ``f(x) = w . x``.
        w: initial weights: one number (used for every feature) or ``n_features`` numbers;
            default 0, or standard-normal draws from ``rng`` when ``rng`` is given.
        b: initial bias (default 0, or a draw from ``rng``).
        engine: ``"value"`` (scalar graphs) or ``"tensor"`` (vectorised).
        rng: a ``numpy.random.Generator`` (or int seed) for random initial values, as the SGD
            tutorial's ``theta = randn(2, 1)``; only used for values not given explicitly.
    """

    output_label = "f"  # the output node's name in pictures: f (one sample: f1, f2, ...)
    default_loss = "mse"  # the loss fit() trains the model with when none is given

    def __init__(
        self,
        n_features: int = 1,
        bias: bool = True,
        w: float | Sequence[float] | np.ndarray | None = None,
        b: float | None = None,
        engine: str = "value",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
            raise ValueError(f"n_features must be a whole number >= 1, got {n_features!r}")
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose 'value' or 'tensor'")
        if not bias and b is not None:
            raise ValueError("b was given but bias=False: a model without bias has no b")
        self.n_features = int(n_features)
        self.bias = bool(bias)
        self.engine = engine
        gen = None
        if rng is not None:
            from .data import as_generator

            gen = as_generator(rng)
        # random draws in the tutorial's order theta = [b, w1, ..., wn]
        if b is not None:
            b0 = _number(b, "b")
        elif gen is not None and self.bias:
            b0 = float(gen.standard_normal())
        else:
            b0 = 0.0
        w0 = self._initial_w(w, gen)
        if not np.isfinite(b0):
            raise ValueError(f"the initial b must be a finite number, got {b0!r}")
        if engine == "value":
            names = ["w"] if self.n_features == 1 else [f"w{j + 1}" for j in range(self.n_features)]
            self.w: Any = [Value(float(v), label=name) for v, name in zip(w0, names)]
            self.b: Any = Value(b0, label="b") if self.bias else None
        else:
            self.w = Tensor(w0.copy(), requires_grad=True, name="w")
            self.b = Tensor(np.array(b0), requires_grad=True, name="b") if self.bias else None

    def _initial_w(self, w: Any, gen: np.random.Generator | None) -> np.ndarray:
        d = self.n_features
        if w is None:
            return gen.standard_normal(d) if gen is not None else np.zeros(d)
        arr = np.atleast_1d(as_float_array(w, "w", f"a number or {d} numbers (one per feature)"))
        if arr.ndim != 1 or arr.size not in (1, d):
            raise ValueError(
                f"the initial w needs 1 or {d} numbers (one per feature), got {arr.size}"
                if arr.ndim == 1
                else f"the initial w must be a number or a list of numbers, got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"the initial w must be finite numbers, got {arr.tolist()}")
        return np.full(d, arr[0]) if arr.size == 1 else arr.copy()

    # --- parameters ----------------------------------------------------------------------------

    def parameters(self) -> list[Any]:
        """The trainable leaves, weights first then the bias (what an optimizer updates)."""
        params = list(self.w) if self.engine == "value" else [self.w]
        if self.bias:
            params.append(self.b)
        return params

    def named_parameters(self) -> list[tuple[str, Any]]:
        """``(name, parameter)`` pairs, as PyTorch's: ``w`` (or ``w1``, ``w2``, ... on the Value
        engine, one leaf per weight) and ``b``.

        Example:
            >>> [name for name, p in LinearRegression(2).named_parameters()]
            ['w1', 'w2', 'b']
        """
        if self.engine == "value":
            return list(zip(self.param_names(), self.parameters()))
        return [("w", self.w)] + ([("b", self.b)] if self.bias else [])

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (as ``torch.nn.Module.zero_grad``)."""
        for p in self.parameters():
            p.zero_grad()

    def state_dict(self) -> dict[str, np.ndarray]:
        """The parameters' numbers: ``{"w": array (n_features,), "b": array ()}`` (copies).

        The same keys and shapes on both engines, so a model trained on one loads into the
        other. Save it with :func:`tinygrad_lr.save`.
        """
        state = {"w": self.weights}
        if self.bias:
            state["b"] = np.array(self.intercept, dtype=np.float64)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> LinearModel:
        """Set the parameters from a :meth:`state_dict` (checked: names, shapes, finite numbers).

        Returns the model, so ``LinearRegression(2).load_state_dict(load(path))`` reads well.
        """
        expected = ["w", "b"] if self.bias else ["w"]
        if not isinstance(state, dict) or sorted(state) != sorted(expected):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"load_state_dict: expected the keys {expected}, got {got}")
        w = np.asarray(state["w"], dtype=np.float64).reshape(-1)
        if w.shape != (self.n_features,):
            raise ValueError(
                f"load_state_dict: w has {w.size} numbers, the model has {self.n_features} features"
            )
        values = w.tolist()
        if self.bias:
            b = np.asarray(state["b"], dtype=np.float64)
            if b.size != 1:
                raise ValueError(f"load_state_dict: b must be one number, got shape {b.shape}")
            values.append(float(b.reshape(())))
        if not all(np.isfinite(values)):
            raise ValueError(f"load_state_dict: the parameters must be finite numbers, got {values}")
        with no_grad():
            if self.engine == "value":
                for p, v in zip(self.w, values):
                    p.data = float(v)
            else:
                self.w.data = np.array(values[: self.n_features])
            if self.bias:
                if self.engine == "value":
                    self.b.data = values[-1]
                else:
                    self.b.data = np.array(values[-1])
        return self

    @property
    def weights(self) -> np.ndarray:
        """The current weights as a float array of shape ``(n_features,)`` (a copy)."""
        if self.engine == "value":
            return np.array([p.data for p in self.w], dtype=np.float64)
        return np.array(self.w.data, dtype=np.float64).reshape(self.n_features)

    @property
    def intercept(self) -> float | None:
        """The current bias ``b`` as a float (``None`` without bias)."""
        if not self.bias:
            return None
        return float(self.b.data)

    def param_vector(self) -> np.ndarray:
        """``[w1, ..., wn, b]`` (``b`` only with bias) as a float array: a snapshot for history."""
        values = [p.data for p in self.w] if self.engine == "value" else self.w.data.reshape(-1).tolist()
        if self.bias:
            values.append(float(self.b.data))
        return np.array(values, dtype=np.float64)  # from a list: fit calls this every epoch

    def param_names(self) -> list[str]:
        """Names matching :meth:`param_vector`: ``['w', 'b']`` or ``['w1', 'w2', ..., 'b']``."""
        names = ["w"] if self.n_features == 1 else [f"w{j + 1}" for j in range(self.n_features)]
        return names + (["b"] if self.bias else [])

    # --- forward -------------------------------------------------------------------------------

    def as_matrix(self, X: Any) -> np.ndarray:
        """``X`` (a Tensor, an array or a list) as an ``(n_samples, n_features)`` float matrix."""
        arr = as_float_array(X, "X", f"numbers, shape (n_samples, {self.n_features}) or (n_samples,)")
        if arr.ndim == 0 or (arr.ndim == 1 and self.n_features == 1):
            arr = arr.reshape(-1, 1)
        elif arr.ndim == 1:
            if arr.size != self.n_features:
                raise ValueError(f"one sample needs {self.n_features} features, got {arr.size}")
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n_samples, {self.n_features}), got {np.shape(X)}")
        return arr

    def forward(self, X: Any) -> Any:
        """Predictions for the samples in ``X`` (shape ``(n, n_features)``, or ``(n,)`` for one feature).

        Returns a list of ``Value`` (engine ``"value"``) or a ``Tensor`` of shape ``(n,)``
        (engine ``"tensor"``): graph nodes, ready for a loss and ``backward()``.
        """
        arr = self.as_matrix(X)
        if self.engine == "value":
            with gc_paused():  # one small graph a sample: spare them the collector's rescans
                return [self._forward_row(row, i) for i, row in enumerate(arr.tolist(), 1)]
        out = Tensor(arr, name="X") @ self.w  # named for pictures: the data X, the prediction f
        out = out + self.b if self.bias else out
        out.label = self.output_label
        return out

    __call__ = forward

    def _forward_row(self, row: Sequence[float], i: int) -> Value:
        # f = ((w1*x1 + w2*x2) + ...) + b: df/dw_j = x_j, df/db = 1
        # the data are labelled leaves, so pictures name them: x3 (sample 3), or x3_2 (its 2nd feature)
        ws = self.w
        if len(ws) == 1:
            xs = [Value(row[0], label=f"x{i}")]
        else:
            xs = [Value(v, label=f"x{i}_{j}") for j, v in enumerate(row, 1)]
        f = ws[0] * xs[0]
        for j in range(1, len(ws)):
            f = f + ws[j] * xs[j]
        f = f + self.b if self.bias else f
        f.label = f"{self.output_label}{i}"  # the output for sample i
        return f

    def outputs(self, X: Any) -> Any:
        """``b + w . x`` for the samples in ``X`` as plain numbers (no graph): a float for one
        sample, else an array."""
        single = np.ndim(X) == 0 or (np.ndim(X) == 1 and self.n_features > 1)
        with no_grad():
            out = self.forward(X)
            values = np.array([v.data for v in out]) if self.engine == "value" else np.array(out.data)
        values = values.astype(np.float64).reshape(-1)
        return float(values[0]) if single else values

    def __repr__(self) -> str:
        w = self.weights.tolist()
        ws = repr(w[0]) if len(w) == 1 else repr(w)
        bs = f", b={self.intercept!r}" if self.bias else ", bias=False"
        return f"{type(self).__name__}(n_features={self.n_features}, w={ws}{bs}, engine={self.engine!r})"


class LinearRegression(LinearModel):
    """Linear regression ``f(x) = b + sum_j w_j x_j`` with parameters on the chosen engine.

    The arguments are :class:`LinearModel`'s: ``n_features``, ``bias``, ``w``, ``b``, ``engine``
    and ``rng``. The gradient of the loss reaches the parameters by backpropagation; for one
    sample and the squared error ``L = (f - y)^2``: ``dL/dw_j = 2 (f - y) x_j`` and
    ``dL/db = 2 (f - y)``.

    Example:
        >>> m = LinearRegression(w=1.0, b=0.0)
        >>> m.predict(4)
        4.0
        >>> [p.label for p in m.parameters()]
        ['w', 'b']
    """

    def predict(self, X: Any) -> Any:
        """Predictions as plain numbers (no graph): a float for one sample, else an array.

        Example:
            >>> LinearRegression(2, w=[1.0, 2.0], b=0.5).predict([[1, 1], [2, 0]]).tolist()
            [3.5, 2.5]
        """
        return self.outputs(X)

    def max_stable_lr(
        self, X: Any, loss: str = "mse", batch_size: int | None = None, l2: float = 0.0
    ) -> float:
        """The largest stable learning rate for this model on ``X``; see :func:`max_stable_lr`."""
        return max_stable_lr(self.as_matrix(X), loss=loss, bias=self.bias, batch_size=batch_size, l2=l2)


# --- the stability limit of gradient descent --------------------------------------------------


def _number(v: Any, name: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {describe(v)}") from None


def _design_matrix(X: Any, where: str) -> np.ndarray:
    """``X`` as an ``(n, d)`` float64 matrix with n >= 1 finite rows whose squares fit in float64."""
    A = as_float_array(X, f"{where}: X", "an (n_samples, n_features) array of numbers")
    if A.ndim == 1:
        A = A.reshape(-1, 1)
    if A.ndim != 2:
        raise DataError(f"{where}: X must be 1-D or 2-D (n_samples, n_features), got shape {A.shape}")
    if A.shape[0] == 0:
        raise DataError(f"{where}: X has no rows; a bound on the learning rate needs data")
    names = default_feature_names(A.shape[1])
    empty = np.zeros(A.shape[0])
    check_finite(A, empty, names, "y", where)
    check_squares(A, empty, names, "y", "rescale the data (e.g. standardize each column: (x - mean) / std)")
    return A


def loss_hessian(X: Any, loss: str = "mse", bias: bool = True, l2: float = 0.0) -> np.ndarray:
    """The Hessian of a linear model's squared-error loss with respect to ``(w1..wn[, b])``.

    With ``A = [X, 1]`` (the bias column appended when ``bias``), ``SSE = |A theta - y|^2`` has
    Hessian ``H = 2 A^T A`` (the same at every point: the loss is a quadratic bowl), and
    ``MSE = SSE / n`` has ``H = 2 A^T A / n``. A ridge term ``l2 * sum_j w_j^2`` adds
    ``2 * l2`` to the diagonal entries of the weights (the bias is not penalised).

    Example:
        >>> loss_hessian([[1], [2], [3]], "sse").tolist()
        [[28.0, 12.0], [12.0, 6.0]]
    """
    A, key = _loss_design(X, loss, bias, "loss_hessian")
    with np.errstate(over="ignore", invalid="ignore"):
        H = 2.0 * (A.T @ A)
    if not np.all(np.isfinite(H)):
        raise DataError(
            f"loss_hessian: the sums of squares of X's columns overflow float64 (largest |x| "
            f"{float(np.max(np.abs(A))):.3g} over {A.shape[0]} rows); rescale the data"
        )
    if key == "mse":
        H = H / A.shape[0]
    if l2:
        d = A.shape[1] - bias
        with np.errstate(over="ignore"):
            H[np.arange(d), np.arange(d)] += 2.0 * float(l2)
        if not np.all(np.isfinite(H)):
            raise DataError(f"loss_hessian: 2 * l2 = 2 * {l2:g} overflows float64; use a smaller l2")
    return H


def _loss_design(X: Any, loss: str, bias: bool, where: str) -> tuple[np.ndarray, str]:
    """``A = [X, 1]`` (``X`` without bias) and the loss's key, checked."""
    key = loss.lower() if isinstance(loss, str) else loss
    if key not in ("sse", "mse"):
        raise ValueError(f"{where} knows 'sse' and 'mse', got {loss!r}")
    A = _design_matrix(X, where)
    return (np.hstack([A, np.ones((A.shape[0], 1))]) if bias else A), key


def _check_l2(l2: Any, where: str) -> float:
    number = isinstance(l2, (int, float, np.integer, np.floating)) and not isinstance(l2, bool)
    if not (number and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"{where}: l2 must be a finite number >= 0, got {l2!r}")
    return float(l2)


def max_stable_lr(
    X: Any, loss: str = "mse", bias: bool = True, batch_size: int | None = None, l2: float = 0.0
) -> float:
    """The largest learning rate for which full-batch gradient descent converges: ``2 / lambda_max``.

    On a quadratic loss a GD step ``theta <- theta - lr * H (theta - theta*)`` multiplies the
    error along each eigenvector of the Hessian ``H`` by ``1 - lr * lambda``. It shrinks for
    every eigenvalue only when ``|1 - lr * lambda| < 1``, i.e. ``lr < 2 / lambda_max``; above
    that the loss grows at every step. (At exactly ``2 / lambda_max`` it oscillates forever.)

    With ``batch_size=1`` it is the limit for one-sample (SGD) steps instead: one sample's loss
    ``(a . theta - y)^2`` (the same for SSE and MSE) has Hessian ``2 a a^T``, whose only non-zero
    eigenvalue is ``2 |a|^2``, so every single step shrinks the error along ``a`` only when
    ``lr < 2 / (2 |a|^2) = 1 / |a|^2``; the limit is set by the sample with the largest ``|a|``
    (``a`` includes the bias's 1). Other batch sizes are not supported: their batches' Hessians
    depend on how the samples are grouped.

    With ``l2`` the loss has the ridge term ``l2 * sum_j w_j^2``, whose curvature ``2 * l2`` adds
    to the weights' (see :func:`loss_hessian`), so the limit is lower.

    For logistic regression's ``"bce"`` loss the Hessian ``A^T S A / n`` changes from point to
    point, but ``S = p (1 - p) <= 1/4`` keeps it below an eighth of the MSE's ``2 A^T A / n`` (and
    one sample's below ``|a|^2 / 4``) everywhere: 8 times the MSE's limit is stable wherever the
    run goes (a bound, not the exact limit at the minimum).

    Returns ``inf`` only when the Hessian is zero (no learning rate can diverge). Data with NaN
    or inf, no rows, or values whose squares overflow float64 is refused with a
    :class:`~tinygrad_lr.DataError` (a bound computed from it would mean nothing).

    Example (the step-by-step tutorial: x = 1, 2, 3 with bias, SSE):
        >>> round(max_stable_lr([1, 2, 3], "sse"), 6)
        0.060098
        >>> max_stable_lr([1, 2, 3], bias=False, batch_size=1)   # 1 / 3**2
        0.1111111111111111
        >>> max_stable_lr([1, 2, 3], "bce", bias=False, batch_size=1)   # 8 / 3**2
        0.8888888888888888
    """
    l2 = _check_l2(l2, "max_stable_lr")
    if isinstance(loss, str) and loss.lower() == "bce":  # a bound 2 / lam on the MSE's terms, / 8
        lam = 2.0 / max_stable_lr(X, "mse", bias, batch_size) / 8.0 + 2.0 * l2
        return 2.0 / lam if lam > 0.0 else float("inf")
    if batch_size == 1:
        A = _design_matrix(X, "max_stable_lr")
        with np.errstate(over="ignore"):
            lam = 2.0 * (float(np.max(np.sum(A * A, axis=1))) + (1.0 if bias else 0.0))
        if not math.isfinite(lam):
            raise DataError("max_stable_lr: a sample's |x|^2 overflows float64; rescale the data")
        # with ridge, one sample's Hessian 2 a a^T + 2 l2 D has eigenvalues up to 2 |a|^2 + 2 l2
        # (exactly that without bias; a bound with one, whose entry of D is 0)
        half = lam / 2.0 + l2  # 2 / lam = 1 / (lam / 2), and 2 * l2 may overflow where l2 does not
        return 1.0 / half if half > 0.0 else float("inf")
    if batch_size is not None:
        raise ValueError(
            f"max_stable_lr knows full batches (None) and single samples (1), got {batch_size!r}"
        )
    if 2.0 * l2 == math.inf:  # the Hessian overflows float64, half of it does not: 2 / lam = 1 / (lam / 2)
        H_half = loss_hessian(X, loss, bias) / 2.0
        d = H_half.shape[0] - bias
        H_half[np.arange(d), np.arange(d)] += l2
        return 1.0 / float(np.linalg.eigvalsh(H_half).max())
    lam = float(np.linalg.eigvalsh(loss_hessian(X, loss, bias, l2)).max())
    return 2.0 / lam if lam > 0.0 else float("inf")
