"""Loss functions, built from the engines' own operations: no backward pass of their own.

Each loss compares the predictions ``f_i`` with the targets ``y_i``:

* sum of squared errors (the step-by-step tutorial):  ``SSE = sum_i (f_i - y_i)^2``,
  so ``dSSE/df_i = 2 (f_i - y_i)``;
* mean squared error (the PyTorch course):            ``MSE = SSE / n``,
  so ``dMSE/df_i = 2 (f_i - y_i) / n``;
* binary cross-entropy of logits ``z_i`` (logistic regression, targets 0 or 1):
  ``BCE = (1/n) sum_i -(y_i log sigmoid(z_i) + (1 - y_i) log(1 - sigmoid(z_i)))``,
  so ``dBCE/dz_i = (sigmoid(z_i) - y_i) / n``.

They accept either a list of :class:`~tinygrad_lr.Value` predictions (one small graph per
sample, to render and study) or one :class:`~tinygrad_lr.Tensor` of predictions (vectorised);
the result is a ``Value`` or a 0-d ``Tensor`` whose ``backward()`` gives the gradients through
the operations that built it (``-``, ``**2``, ``+`` and ``/``; ``logsigmoid`` and ``*`` for the BCE).

The Value sum is a left fold ``((e_1 + e_2) + e_3) + ...``, the order of a Python loop that
accumulates ``total += e_i``, so hand-written tutorial code and the engine agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from .errors import InputError, as_float_array, describe
from .graph import gc_paused
from .tensor import Tensor
from .value import Value

__all__ = [
    "sse",
    "mse",
    "bce_with_logits",
    "get_loss",
    "LOSSES",
    "SQUARED_LOSSES",
    "l1_penalty",
    "l2_penalty",
    "regularized",
]

Prediction = Union[Sequence[Any], Any]  # noqa: UP007 - a list of Values/numbers, or a Tensor


Term = Callable[[Any, Any], Any]  # one sample's (or, on Tensors, every sample's) loss term


def _squared_error(f: Any, y: Any) -> Any:
    return (f - y) ** 2  # d(e)/d(f) = 2 (f - y)


def _cross_entropy(z: Any, y: Any) -> Any:
    # -(y log p + (1 - y) log(1 - p)) with p = sigmoid(z) is -logsigmoid(-z) - y z (see bce_with_logits)
    return -(-z).logsigmoid() - y * z  # d(e)/dz = sigmoid(z) - y: one term from each path


def _tensor_terms_sum(pred: Any, target: Any, term: Term) -> Any:
    if _is_value_seq(target):
        raise InputError(
            f"loss: pred is a Tensor of shape {pred.data.shape} but target is {describe(target)}; "
            "use one engine: a Tensor (or numbers) for target, or a list of Values for pred"
        )
    # the targets become the data tensor y, so pictures name it
    if isinstance(target, Tensor):
        t = target
    else:
        t = Tensor(as_float_array(target, "target", "numbers"), name="y")
    if pred.data.shape != t.data.shape:
        raise InputError(
            f"loss: predictions have shape {pred.data.shape} but targets have shape {t.data.shape}"
        )
    if pred.data.size == 0:
        raise InputError("loss: no samples (empty predictions)")
    return term(pred, t).sum()


def _value_terms_sum(pred: Sequence[Any], target: Any, term: Term) -> Value:
    if isinstance(target, Tensor) and target.requires_grad:  # as data it is just numbers
        raise InputError(
            f"loss: pred is {describe(pred)} but target is a Tensor of shape {target.data.shape} "
            "that requires grad, which cannot flow through Values; use one engine (Tensor pred), "
            "or give the targets as data (target.detach() or numbers)"
        )
    if isinstance(pred, (str, bytes)) or not isinstance(pred, (Sequence, np.ndarray)):
        raise InputError(f"loss: pred must be a list of Values or numbers, or a Tensor, got {describe(pred)}")
    preds = list(pred)
    for i, f in enumerate(preds):
        if not isinstance(f, (Value, int, float, np.integer, np.floating)) or isinstance(f, bool):
            raise InputError(f"loss: pred[{i}] must be a Value or a number, got {describe(f)}")
    if _is_value_seq(target):
        targets = list(target)
    else:
        # the targets become data leaves y1, y2, ..., so pictures name them
        numbers = as_float_array(target, "target", "numbers, one per prediction").ravel().tolist()
        targets = [Value(y, label=f"y{i}") for i, y in enumerate(numbers, 1)]
    if len(preds) != len(targets):
        raise InputError(f"loss: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise InputError("loss: no samples (empty predictions)")
    total: Value | None = None
    with gc_paused():  # a graph of a few nodes a sample: spare it the collector's rescans
        for f, y in zip(preds, targets):
            f = f if isinstance(f, Value) else Value(f)
            e = term(f, y)
            total = e if total is None else total + e  # d(total)/d(e) = 1
    assert total is not None
    return total


def _is_value_seq(x: object) -> bool:
    return isinstance(x, (list, tuple)) and any(isinstance(v, Value) for v in x)


def sse(pred: Prediction, target: Any) -> Any:
    """Sum of squared errors, ``sum_i (f_i - y_i)^2``.

    Args:
        pred: predictions ``f_i``: a list of ``Value`` (or numbers), or a ``Tensor``.
        target: targets ``y_i``: numbers, an array, or (with Values) a list of ``Value``.

    Returns:
        a ``Value`` (for a list) or a 0-d ``Tensor``; call ``.backward()`` on it.

    Example:
        >>> w, b = Value(1.0), Value(0.0)
        >>> L = sse([w * x + b for x in (1, 2, 3)], [3, 5, 7])
        >>> L.backward()
        >>> L.data, w.grad, b.grad
        (29.0, -40.0, -18.0)
    """
    return _terms_sum(pred, target, _squared_error)


def _terms_sum(pred: Prediction, target: Any, term: Term) -> Any:
    if isinstance(pred, Tensor):
        return _tensor_terms_sum(pred, target, term)
    return _value_terms_sum(pred, target, term)


def mse(pred: Prediction, target: Any) -> Any:
    """Mean squared error, ``(1/n) sum_i (f_i - y_i)^2`` = ``sse / n``.

    Example:
        >>> w = Value(1.0)
        >>> L = mse([x * w for x in (1, 2, 3)], [2, 4, 6])
        >>> L.backward()
        >>> L.data, w.grad    # mean(2*x*(x*w - y)) = (-2 - 8 - 18) / 3 = -28/3
        (4.666666666666667, -9.333333333333332)
    """
    total = sse(pred, target)
    n = total_count(pred)
    return total / n  # d(SSE/n)/d(SSE) = 1/n


def total_count(pred: Prediction) -> int:
    """The number of samples in ``pred`` (a list of predictions or a Tensor)."""
    if isinstance(pred, Tensor):
        return int(pred.data.size)
    return len(pred)


def bce_with_logits(logits: Prediction, target: Any) -> Any:
    """Binary cross-entropy of logits ``z_i`` against targets ``y_i`` in ``[0, 1]``, the mean over samples.

    The targets are the class labels 0 and 1 (or probabilities between); as PyTorch's loss, this
    function does not check them (``fit`` does, for a ``LogisticRegression``: a target of 2 is
    refused there, naming its row).

    With the probability ``p_i = sigmoid(z_i)`` the model gives to class 1::

        L = (1/n) sum_i -(y_i log p_i + (1 - y_i) log(1 - p_i))      dL/dz_i = (sigmoid(z_i) - y_i) / n

    It takes *logits* (``LogisticRegression``'s ``model(X)``, the ``z = w . x + b`` before the
    sigmoid), as PyTorch's ``binary_cross_entropy_with_logits`` does: ``log(sigmoid(z))`` would be
    ``log(0)`` for ``z < -745`` and ``log(1 - p)`` already for ``z > 37``. With
    ``log p = logsigmoid(z)`` and ``log(1 - p) = logsigmoid(-z) = logsigmoid(z) - z`` each term is::

        -(y log p + (1 - y) log(1 - p)) = -logsigmoid(-z) - y z

    finite for every finite ``z`` (``logsigmoid`` never overflows), and built from the engine's
    ops. Its graph has two paths from ``z``: through ``-logsigmoid(-z)``, whose slope is
    ``sigmoid(z)``, and through ``-y z``, whose slope is ``-y``; the chain rule adds them, and
    ``dL/dz = sigmoid(z) - y`` is that sum.

    Example (two points, z = 0 for both: p = 1/2, each term is log 2):
        >>> w, b = Value(0.0, label="w"), Value(0.0, label="b")
        >>> L = bce_with_logits([w * x + b for x in (1.0, 2.0)], [0, 1])
        >>> L.backward()
        >>> round(L.data, 12), w.grad, b.grad     # mean((p - y) x) = (0.5 - 1) / 2, mean(p - y) = 0
        (0.69314718056, -0.25, 0.0)
    """
    total = _terms_sum(logits, target, _cross_entropy)
    n = total_count(logits)
    return total / n if n > 1 else total  # d(sum/n)/d(sum) = 1/n; one sample's loss is its own term


LOSSES: dict[str, Callable[[Prediction, Any], Any]] = {"sse": sse, "mse": mse, "bce": bce_with_logits}
SQUARED_LOSSES = ("sse", "mse")  # the losses of a prediction f; "bce" takes a logit z


def get_loss(loss: str | Callable[[Prediction, Any], Any]) -> tuple[str, Callable[[Prediction, Any], Any]]:
    """``(name, function)`` for ``"sse"``, ``"mse"``, ``"bce"`` or a loss function (``name`` is the
    function's own for a function other than :func:`sse`, :func:`mse` and :func:`bce_with_logits`)."""
    if isinstance(loss, str):
        key = loss.lower()
        if key not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        return key, LOSSES[key]
    if not callable(loss):
        raise TypeError(f"loss must be 'sse', 'mse', 'bce' or a function, got {loss!r}")
    for name, fn in LOSSES.items():
        if loss is fn:
            return name, fn
    return getattr(loss, "__name__", "custom"), loss


# --- regularization: penalty terms added to the loss, built from the same ops -----------------


def _weights_list(weights: Any) -> list[Any]:
    return [weights] if isinstance(weights, Tensor) else list(weights)


def l2_penalty(weights: Any) -> Any:
    """``sum_j w_j^2`` (ridge), as graph nodes: ``d/dw_j = 2 w_j``.

    ``weights``: a list of ``Value`` (one per feature) or one weight ``Tensor``.

    Example:
        >>> w = [Value(3.0, label="w1"), Value(-4.0, label="w2")]
        >>> P = l2_penalty(w); P.backward(); P.data, [v.grad for v in w]
        (25.0, [6.0, -8.0])
    """
    total: Any = None
    for w in _weights_list(weights):
        term = (w**2).sum() if isinstance(w, Tensor) else w**2  # d(w^2)/dw = 2 w
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l2_penalty: no weights")
    return total


def l1_penalty(weights: Any) -> Any:
    """``sum_j |w_j|`` (lasso), as graph nodes ``abs`` and ``+``.

    ``|w|`` has no derivative at ``w = 0``; like PyTorch, the engines use the subgradient
    ``sign(w)``: ``d|w|/dw = 1`` for ``w > 0``, ``-1`` for ``w < 0`` and ``0`` at ``w = 0`` (any
    value in ``[-1, 1]`` is a subgradient there; 0 is the one that leaves a zero weight at zero).

    Example:
        >>> w = [Value(3.0), Value(-4.0), Value(0.0)]
        >>> P = l1_penalty(w); P.backward(); P.data, [v.grad for v in w]
        (7.0, [1.0, -1.0, 0.0])
    """
    total: Any = None
    for w in _weights_list(weights):
        term = w.abs().sum() if isinstance(w, Tensor) else w.abs()  # d|w|/dw = sign(w), 0 at 0
        total = term if total is None else total + term
    if total is None:
        raise ValueError("l1_penalty: no weights")
    return total


def regularized(
    loss: Callable[[Prediction, Any], Any], weights: Any, l1: float = 0.0, l2: float = 0.0
) -> Callable[[Prediction, Any], Any]:
    """``loss(f, y) + l1 * sum_j |w_j| + l2 * sum_j w_j^2``: a loss function with penalty terms.

    The terms are nodes of the same graph, so ``backward()`` adds their derivatives
    (``l1 * sign(w_j)`` and ``2 * l2 * w_j``) to ``dL/dw_j``; the bias is not penalised.

    Example (the worked example's loss 29 at w = 1, b = 0, plus 0.5 * 1^2):
        >>> w, b = Value(1.0), Value(0.0)
        >>> L = regularized(sse, [w], l2=0.5)([w * x + b for x in (1, 2, 3)], [3, 5, 7])
        >>> L.backward(); L.data, w.grad, b.grad       # dL/dw = -40 + 2 * 0.5 * 1
        (29.5, -39.0, -18.0)
    """
    for name, value in (("l1", l1), ("l2", l2)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if not l1 and not l2:
        return loss

    def penalized(pred: Prediction, target: Any) -> Any:
        total = loss(pred, target)
        if l1:
            total = total + float(l1) * l1_penalty(weights)
        if l2:
            total = total + float(l2) * l2_penalty(weights)
        return total

    penalized.__name__ = getattr(loss, "__name__", "loss")
    return penalized
