"""The training loop: epochs of (zero_grad, forward, loss, backward, step), a history, and a
guard that stops a diverging run with an explanation instead of a screen of ``nan``.

One epoch is one pass over the data set, cut into the batches the optimizer stands for
(all samples for GD, one for SGD, ``batch_size`` for mini-batch). After every epoch the loss
over the *whole* data set is recorded, so runs with different optimizers can be compared.

Divergence: gradient descent on a quadratic loss converges only when ``lr < 2 / lambda_max``
(see :func:`~tinygrad_lr.models.max_stable_lr`); above it every step overshoots further. The loop
stops with :class:`DivergenceError` as soon as the loss (or a parameter) is inf or nan, or the
loss has grown for ``patience`` epochs in a row to above its starting value.

Convergence: with ``grad_tol`` the run stops after the first epoch whose full-data gradient
norm ``|dL/dtheta|`` is at most ``grad_tol``; with ``loss_tol``, after the first epoch whose loss
changed by at most ``loss_tol`` times the previous loss. The :class:`History` says whether and
when that happened, and -- for linear regression with SSE or MSE -- how far the result is from
the closed-form least-squares answer (:mod:`~tinygrad_lr.closed_form`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .closed_form import LeastSquares, lstsq
from .data import CSVStream, Dataset, as_generator, batch_indices, check_batch_size, from_arrays
from .errors import InputError, describe
from .graph import no_grad
from .losses import get_loss, regularized
from .models import LinearRegression
from .optim import LRScheduler, Optimizer, make_optimizer
from .scaling import Standardizer

__all__ = ["fit", "History", "DivergenceError", "FitUpdate", "evaluate_loss"]

# what to do about data whose squares overflow float64 (the CLI names its own option for it)
SQUARES_FIX = "rescale the data (fit(..., standardize=True), or divide the column by a power of ten)"

PROGRESS_MIN_WORK = 200_000  # sample-updates (Value engine) above which a run is "long" (~seconds)


class DivergenceError(ValueError):
    """Training diverged: the loss became inf/nan or kept growing.

    Attributes:
        epoch: the epoch (1-based) at which it was detected.
        lr: the learning rate used.
        loss: the last loss seen (may be inf or nan).
        max_stable_lr: the largest stable full-batch GD learning rate for the data, when known.
        history: the :class:`History` up to the last finite epoch, to plot how the run blew up.
    """

    def __init__(self, message: str, *, epoch: int, lr: float, loss: float, max_stable_lr: float | None):
        super().__init__(message)
        self.epoch = epoch
        self.lr = lr
        self.loss = loss
        self.max_stable_lr = max_stable_lr
        self.history: History | None = None


@dataclass
class History:
    """What happened during :func:`fit`.

    Attributes:
        initial_loss: the loss over the whole data set before the first update.
        losses: the loss over the whole data set after each epoch (``losses[0]`` is epoch 1).
        params: with ``record_params=True``, the parameter vector ``[w..., b]`` before training
            and after every update (``1 + updates`` arrays); else empty.
        param_names: names for the entries of a parameter vector (``['w', 'b']`` ...).
        initial_params: the parameter vector before training.
        epoch_params: the parameter vector after each epoch (always kept: one per epoch).
        updates: the number of optimizer steps taken.
        lr: the learning rate.
        optimizer: the optimizer's name (``"gd"``, ``"sgd"``, ``"minibatch"``).
        loss_name: ``"sse"``, ``"mse"`` or the custom loss function's name.
        final_params: the parameter vector after training.
        lrs: the learning rate each epoch used (it changes under a ``scheduler``).
        grad_norms: the full-data gradient norm after each epoch, where it was computed: for
            full-batch runs in order (the next forward pass gives it for free) and for every run
            with ``grad_tol``; else empty.
        final_grad_norm: ``|dL/dtheta|`` over the whole data set at the final parameters.
        converged: ``True``/``False`` whether a tolerance (``grad_tol``/``loss_tol``) was met;
            ``None`` when no tolerance was given.
        converged_epoch: the epoch at which it was met (``None`` if not).
        stop_reason: why the run ended, in words.
        standardizer: with ``standardize=True``, the feature means and stds; the parameter
            vectors above are then the model's on the standardized features.
        original_params: the final parameters in the data's units (= ``final_params`` unless
            standardized).
        closed_form: the closed-form least-squares (ridge with ``l2``) answer in the data's
            units, for linear regression with SSE or MSE and no L1 term; else ``None``.
    """

    initial_loss: float
    losses: list[float] = field(default_factory=list)
    params: list[np.ndarray] = field(default_factory=list)
    param_names: list[str] = field(default_factory=list)
    initial_params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    epoch_params: list[np.ndarray] = field(default_factory=list)
    updates: int = 0
    lr: float = 0.0
    optimizer: str = ""
    loss_name: str = ""
    final_params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lrs: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    final_grad_norm: float = float("nan")
    converged: bool | None = None
    converged_epoch: int | None = None
    stop_reason: str = ""
    standardizer: Standardizer | None = None
    original_params: np.ndarray = field(default_factory=lambda: np.zeros(0))
    closed_form: LeastSquares | None = None

    @property
    def param_distance(self) -> float | None:
        """``|theta - theta*|``: how far the final parameters (data's units) are from the closed form."""
        if self.closed_form is None:
            return None
        return float(np.linalg.norm(self.original_params - self.closed_form.param_vector()))

    @property
    def loss_gap(self) -> float | None:
        """``L(theta) - L(theta*)``: the final loss above the closed form's (never below, up to rounding)."""
        return None if self.closed_form is None else self.final_loss - self.closed_form.loss

    @property
    def epochs(self) -> int:
        """The number of completed epochs."""
        return len(self.losses)

    @property
    def final_loss(self) -> float:
        """The loss after the last epoch (the initial loss if no epoch ran)."""
        return self.losses[-1] if self.losses else self.initial_loss

    def _headline(self) -> str:
        opt = self.optimizer or "fit"
        loss = f", {self.loss_name} loss" if self.loss_name else ""
        return f"History({opt}, lr={self.lr:g}{loss}: {self.epochs} epochs, {self.updates} updates)"

    def _params_text(self, vector: np.ndarray) -> str:
        names = self.param_names or [f"p{i}" for i in range(len(vector))]
        return ", ".join(f"{n} = {float(v):.6g}" for n, v in zip(names, vector))

    def __repr__(self) -> str:
        """A few lines, never one per epoch: the run, the loss from start to end, the parameters."""
        lines = [self._headline(), f"  loss {self.initial_loss:.6g} -> {self.final_loss:.6g}"]
        if len(self.initial_params) and len(self.final_params):
            lines.append(f"  from {self._params_text(self.initial_params)}")
            lines.append(f"  to   {self._params_text(self.final_params)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: the headline and a small table of the loss at about 10 epochs."""
        import html

        rows = [f"<tr><td>0 (start)</td><td>{self.initial_loss:.6g}</td></tr>"]
        rows += [f"<tr><td>{e}</td><td>{self.losses[e - 1]:.6g}</td></tr>" for e in self.summary_rows()]
        params = ""
        if len(self.final_params):
            params = f"<p>{html.escape(self._params_text(self.final_params))}</p>"
        return (
            f"<div><p><b>{html.escape(self._headline())}</b></p>"
            f"<table><thead><tr><th>epoch</th><th>loss</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{params}</div>"
        )

    def summary_rows(self, max_rows: int = 10) -> list[int]:
        """Epoch numbers (1-based) for a short table: all of them for short runs, else
        about ``max_rows`` spread from the first to the last."""
        n = self.epochs
        if n <= max_rows:
            return list(range(1, n + 1))
        picks = np.unique(np.round(np.geomspace(1, n, max_rows)).astype(int))
        return [int(e) for e in picks]


@dataclass(frozen=True)
class FitUpdate:
    """What one optimizer step of :func:`fit` saw, handed to its ``callback`` right after the step.

    The gradients are still in the parameters' ``grad`` (``step()`` does not clear them), so a
    callback reads ``dL/dp`` there and the new values in ``model``.

    Attributes:
        update: the update's number (1-based, counted over the whole run).
        epoch: the epoch it belongs to (1-based).
        batch: the indices of the samples the loss was computed on.
        loss: the loss node of this update (backpropagated: every node holds its ``grad``).
        predictions: the model's predictions on the batch (graph nodes, also backpropagated).
        params_before: the parameter vector ``[w..., b]`` the loss was computed at.
        model: the model, holding the parameters after the step.
    """

    update: int
    epoch: int
    batch: np.ndarray
    loss: Any
    predictions: Any
    params_before: np.ndarray
    model: Any


def evaluate_loss(model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Callable[[Any, Any], Any]) -> float:
    """The loss of ``model`` on ``(X, y)`` as a float, computed by the model's engine without a graph."""
    with no_grad():
        return float(np.asarray(loss_fn(model(X), y).data))


def grad_norm(params: Sequence[Any]) -> float:
    """``sqrt(sum_p |dL/dp|^2)`` over the parameters' current gradients."""
    total = 0.0
    for p in params:
        g = p.grad
        if g is not None:
            g = getattr(g, "data", g)  # after backward(create_graph=True) the gradient is a graph node
            total += float(np.sum(np.square(g)))
    return math.sqrt(total)


def _loss_and_grad_norm(
    model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Callable[[Any, Any], Any]
) -> tuple[float, float]:
    """The loss over the whole data set and the norm of its gradient (the gradients are cleared after)."""
    params = model.parameters()
    for p in params:
        p.zero_grad()
    L = loss_fn(model(X), y)
    L.backward()
    norm = grad_norm(params)
    for p in params:
        p.zero_grad()
    return float(np.asarray(L.data)), norm


def _write_params(model: Any, vector: np.ndarray) -> None:
    """Set a LinearRegression's parameters from ``[w1..wn, b]`` (data only, no graph)."""
    d = model.n_features
    if model.engine == "value":
        for p, v in zip(model.w, vector[:d].tolist()):
            p.data = v
    else:
        model.w.data = np.array(vector[:d], dtype=model.w.data.dtype)
    if model.bias:
        if model.engine == "value":
            model.b.data = float(vector[d])
        else:
            model.b.data = np.array(vector[d], dtype=model.b.data.dtype)


def _convert(scaler: Standardizer, vector: np.ndarray, d: int, bias: bool, to_original: bool) -> np.ndarray:
    b = float(vector[d]) if bias else None
    w, b2 = (scaler.to_original if to_original else scaler.to_standardized)(vector[:d], b)
    return np.concatenate([w, [] if b2 is None else [b2]])


def _as_dataset(data: Dataset | tuple[Any, Any]) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return from_arrays(data[0], data[1])
    raise InputError(f"data must be a Dataset or a pair (X, y), got {describe(data)}")


def _want_progress(progress: bool | None, work: int) -> bool:
    if progress is False:
        return False
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        if work < PROGRESS_MIN_WORK or not (isatty and isatty()):
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        return True
    try:
        import tqdm  # noqa: F401
    except ImportError:
        # a ValueError, so the command line reports it as one line
        raise ValueError("a progress bar needs tqdm: pip install 'tinygrad-lr[progress]'") from None
    return True


def _stable_lr_hint(
    model: Any, X: np.ndarray, loss_name: str, batch_size: int | None
) -> tuple[float, str] | None:
    """The largest stable lr for this run (from :func:`~tinygrad_lr.models.max_stable_lr`) and
    a sentence explaining it, for linear regression with SSE or MSE; else None."""
    if not isinstance(model, LinearRegression) or loss_name not in ("sse", "mse"):
        return None
    gd = model.max_stable_lr(X, loss_name)
    if not math.isfinite(gd):
        return None
    text = (
        f"for this data and the {loss_name.upper()} loss, gradient descent is stable only for "
        f"lr < {gd:.6g} = 2 / {2.0 / gd:.6g}, the largest eigenvalue of the loss's Hessian"
    )
    if batch_size != 1:
        return gd, text
    one = model.max_stable_lr(X, loss_name, batch_size=1)
    a = "[x, 1]" if model.bias else "x"
    return one, (
        f"every one-sample SGD step shrinks the error only for lr < {one:.6g} = 1 / {1.0 / one:.6g}, "
        f"the largest |{a}|^2 of a sample, as one sample's loss has Hessian 2 a a^T with a = {a}; {text}"
    )


def _diverged(
    reason: str, epoch: int, lr: float, loss: float, hint: tuple[float, str] | None
) -> DivergenceError:
    msg = f"training diverged at epoch {epoch} with learning rate {lr:g}: {reason}"
    msg += "; try a smaller learning rate"
    if hint is not None:
        msg += f" ({hint[1]})"
    stable = hint[0] if hint is not None else None
    return DivergenceError(msg, epoch=epoch, lr=lr, loss=loss, max_stable_lr=stable)


def fit(
    model: Any,
    data: Dataset | CSVStream | tuple[Any, Any],
    optimizer: Optimizer | str = "gd",
    *,
    loss: str | Callable[[Any, Any], Any] = "mse",
    epochs: int = 100,
    lr: float | None = None,
    batch_size: int | None = None,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
    rng: np.random.Generator | int | None = None,
    record_params: bool = False,
    patience: int | None = 5,
    progress: bool | None = None,
    callback: Callable[[FitUpdate], None] | None = None,
    compile: bool = False,
    scheduler: LRScheduler | None = None,
    grad_tol: float | None = None,
    loss_tol: float | None = None,
    standardize: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    shuffle_window: int | None = None,
) -> History:
    """Train ``model`` on ``data`` for ``epochs`` epochs and return the :class:`History`.

    Every update is::

        optimizer.zero_grad()
        L = loss(model(X[batch]), y[batch])     # forward: build the graph
        L.backward()                             # dL/dp for every parameter p
        optimizer.step()                         # p <- p - lr * dL/dp

    Args:
        model: a :class:`~tinygrad_lr.LinearRegression` (or anything with ``parameters()``,
            ``__call__(X)`` returning predictions, and ``param_vector()``).
        data: a :class:`~tinygrad_lr.Dataset` or a pair ``(X, y)`` of arrays.
        optimizer: an optimizer built on ``model.parameters()``, or a name -- ``"gd"``, ``"sgd"``,
            ``"minibatch"`` -- with ``lr`` (and ``batch_size``, ``shuffle``, ``replacement``,
            ``drop_last``) given here.
        loss: ``"mse"`` (default), ``"sse"`` or a function ``loss(predictions, targets)``.
        epochs: passes over the data (0 only evaluates the initial loss).
        rng: the Generator (or int seed) for shuffled or random-with-replacement batches.
        record_params: keep the parameters after every update in ``History.params``.
        patience: stop when the loss grows this many epochs in a row to above its initial
            value (``None``: only inf/nan stop the run).
        progress: a tqdm progress bar: ``None`` (default) shows it only for long runs on a
            terminal; ``False`` never; ``True`` always.
        callback: called after every update with a :class:`FitUpdate` (what the replay in
            :mod:`tinygrad_lr.replay` records); ``None`` (default) costs nothing.
        shuffle_window: shuffle (or draw with replacement) within runs of this many samples
            only, the order a :class:`~tinygrad_lr.data.CSVStream` with ``chunk_rows`` equal to
            it uses; ``None`` (default): across the whole data set. A ``CSVStream`` as ``data``
            trains streamed, chunk by chunk (:func:`~tinygrad_lr.train_stream.fit_stream`).
        compile: run every update as a compiled step (:func:`~tinygrad_lr.compile.compile_step`):
            the graph is traced once and replayed as generated code, with the same numbers (not
            with ``callback``, which needs each step's graph).
        scheduler: a learning-rate schedule on the optimizer, stepped after every epoch.
        grad_tol: stop once the gradient norm of the loss over the whole data set is at most
            this (``History.converged``, ``converged_epoch``).
        loss_tol: stop once an epoch changes the loss by at most ``loss_tol * |previous loss|``.
        standardize: train on standardized features ``(x - mean) / std`` (for a
            LinearRegression); the model ends with its coefficients in the data's units.
        l1, l2: add ``l1 * sum_j |w_j| + l2 * sum_j w_j^2`` to the loss (the bias is not
            penalised), as nodes of the graph.

    Raises:
        DivergenceError: the loss became inf/nan or kept growing (a ``ValueError``).
        ValueError: a bad learning rate, batch size or number of epochs.

    Example (the step-by-step tutorial):
        >>> from tinygrad_lr import LinearRegression, fit
        >>> m = LinearRegression(w=1.0, b=0.0)
        >>> h = fit(m, ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse", epochs=1000)
        >>> float(m.weights[0]), m.intercept
        (2.000148389025502, 0.9996626768662412)
    """
    if not callable(getattr(model, "parameters", None)) or not callable(model):
        raise InputError(f"model must be a model such as LinearRegression(), got {describe(model)}")
    if isinstance(data, CSVStream):  # larger than memory: the same loop, a chunk at a time
        from .train_stream import fit_stream

        extras = {
            "callback": callback is not None, "compile": compile, "record_params": record_params,
            "shuffle_window": shuffle_window is not None, "scheduler": scheduler is not None,
            "grad_tol": grad_tol is not None, "loss_tol": loss_tol is not None,
            "standardize": standardize, "l1": bool(l1), "l2": bool(l2),
        }
        if any(extras.values()):
            given = ", ".join(k for k, v in extras.items() if v)
            raise InputError(f"fit on a CSVStream trains GD/SGD/mini-batch only; it takes no {given}")
        return fit_stream(
            model, data, optimizer, loss=loss, epochs=epochs, lr=lr, batch_size=batch_size, shuffle=shuffle,
            replacement=replacement, drop_last=drop_last, rng=rng, patience=patience,
        )
    ds = _as_dataset(data)
    ds.check_finite()  # a hand-built Dataset may hold NaN: name its row and column before training
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"patience must be a whole number >= 1 or None, got {patience!r}")
    for tol_name, tol in (("grad_tol", grad_tol), ("loss_tol", loss_tol)):
        number = isinstance(tol, (int, float, np.integer, np.floating)) and not isinstance(tol, bool)
        if tol is not None and not (number and tol >= 0):
            raise ValueError(f"{tol_name} must be a number >= 0 or None, got {tol!r}")
    if isinstance(optimizer, str):
        if lr is None and optimizer.lower() in ("gd", "sgd", "minibatch"):
            raise ValueError(f"fit(optimizer={optimizer!r}) needs a learning rate: lr=...")
        opt = make_optimizer(optimizer, model.parameters(), lr, batch_size, shuffle, replacement, drop_last)
    else:
        if lr is not None or batch_size is not None or shuffle or replacement or drop_last:
            raise ValueError("lr and batch options go to the optimizer when it is built, not to fit()")
        opt = optimizer
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not opt:
        raise ValueError("the scheduler must be built on the optimizer that fit() uses")
    if opt.batch_size is not None:
        check_batch_size(opt.batch_size, ds.n_samples)
    gen = as_generator(rng) if (opt.shuffle or opt.replacement) else None
    loss_name, loss_fn = get_loss(loss)
    if loss_name in ("sse", "mse") and not standardize:  # else a diverging run would blame the lr
        ds.check_squares(SQUARES_FIX)
    n_features = getattr(model, "n_features", ds.n_features)
    if n_features != ds.n_features:
        raise ValueError(f"the model has {n_features} features but the data has {ds.n_features}")
    is_linear = isinstance(model, LinearRegression)
    if (standardize or l1 or l2) and not is_linear:
        raise ValueError("standardize, l1 and l2 need a LinearRegression model")
    if is_linear:
        loss_fn = regularized(loss_fn, model.w, l1, l2)

    X, y = ds.X, ds.y
    scaler = None
    if standardize:
        scaler = Standardizer.fit(X, ds.feature_names)
        X = scaler.transform(X)
        _write_params(model, _convert(scaler, model.param_vector(), model.n_features, model.bias, False))
    history = History(
        initial_loss=float("nan"),
        param_names=list(model.param_names()) if hasattr(model, "param_names") else [],
        lr=opt.lr,
        optimizer=getattr(opt, "name", type(opt).__name__),
        loss_name=loss_name,
        standardizer=scaler,
    )

    def hint() -> tuple[float, str] | None:
        return _stable_lr_hint(model, X, loss_name, opt.batch_size)

    def finish() -> None:
        """The final parameters, in the data's units in the model (undoing the standardization)."""
        history.final_params = model.param_vector()
        if scaler is not None:
            original = _convert(scaler, history.final_params, model.n_features, model.bias, True)
            _write_params(model, original)
        history.original_params = model.param_vector()

    with np.errstate(over="ignore", invalid="ignore"):  # inf/nan are detected below, with a reason
        try:
            history.initial_loss = evaluate_loss(model, X, y, loss_fn)
        except OverflowError as exc:  # the Value engine refuses to make an inf
            raise ValueError(
                f"the loss overflows float64 at the initial parameters ({exc}); "
                "start from smaller values or rescale the data"
            ) from None
        history.initial_params = model.param_vector()
        if record_params:
            history.params.append(model.param_vector())
        bar = None
        epoch_iter: Sequence[int] | Any = range(1, int(epochs) + 1)
        if _want_progress(progress, int(epochs) * ds.n_samples):
            from tqdm import tqdm

            bar = tqdm(epoch_iter, desc="fit", unit="epoch", total=int(epochs), file=sys.stderr)
            epoch_iter = bar
        prev = history.initial_loss
        rising = 0

        def end_epoch(epoch: int, current: float, gnorm: float | None) -> bool:
            """Record the loss after ``epoch``; stop the run if it diverged; True if it converged."""
            nonlocal prev, rising
            params_now = model.param_vector()
            reason = None
            if not math.isfinite(current):
                reason = "the loss became nan" if math.isnan(current) else "the loss became inf"
            elif not all(map(math.isfinite, params_now.tolist())):  # a few numbers: 4x np.isfinite's speed
                reason = "a parameter became inf or nan"
            if reason is not None:
                raise _diverged(reason, epoch, opt.lr, current, hint())
            history.losses.append(current)
            history.epoch_params.append(params_now)
            if gnorm is not None:
                history.final_grad_norm = gnorm
                history.grad_norms.append(gnorm)
            rising = rising + 1 if current > prev else 0
            if patience is not None and rising >= patience and current > history.initial_loss:
                start = (
                    history.losses[-patience - 1]
                    if len(history.losses) > patience
                    else history.initial_loss
                )
                raise _diverged(
                    f"the loss grew for {patience} epochs in a row, from {start:.6g} to {current:.6g}",
                    epoch,
                    opt.lr,
                    current,
                    hint(),
                )
            before, prev = prev, current
            change = abs(current - before)
            if bar is not None:
                bar.set_postfix(loss=f"{current:.6g}", refresh=False)
            if grad_tol is not None and gnorm is not None and gnorm <= grad_tol:
                history.stop_reason = (
                    f"converged at epoch {epoch}: gradient norm {gnorm:.3g} <= tolerance {grad_tol:g}"
                )
            elif loss_tol is not None and change <= loss_tol * abs(before):
                history.stop_reason = (
                    f"converged at epoch {epoch}: the loss changed by {change:.3g}, "
                    f"at most {loss_tol:g} times the previous loss"
                )
            else:
                return False
            history.converged, history.converged_epoch = True, epoch
            return True

        # Full-batch GD in order: the loss after epoch k is exactly the loss that the forward pass
        # of epoch k+1 computes anyway (same parameters, same samples in the same order), so it
        # is read there instead of being computed twice; only the last epoch needs its own pass.
        whole = opt.batch_size is None and not opt.shuffle and not opt.replacement
        second_order = bool(getattr(opt, "create_graph", False))
        pending = None  # the epoch whose loss (and gradient) the next forward pass gives
        params = model.parameters()
        stopped = False
        step = None
        if compile:
            from .compile import compile_step

            if callback is not None:
                raise ValueError("fit: compile=True runs no graph per step, and a callback needs one")

            step = compile_step(lambda Xb, yb: loss_fn(model(Xb), yb), opt)
        try:
            for epoch in epoch_iter:
                batches = [None] if whole else batch_indices(
                    ds.n_samples,
                    opt.batch_size,
                    shuffle=opt.shuffle,
                    replacement=opt.replacement,
                    drop_last=opt.drop_last,
                    rng=gen,
                    window=shuffle_window,
                )
                lr_now = opt.lr
                try:
                    for idx in batches:
                        if step is not None:  # zero_grad, forward and backward, compiled
                            Xb, yb = (X, y) if idx is None else (X[idx], y[idx])
                            loss_now = step.forward_backward(Xb, yb)
                        else:
                            opt.zero_grad()
                            pred = model(X) if idx is None else model(X[idx])
                            L = loss_fn(pred, y) if idx is None else loss_fn(pred, y[idx])
                            loss_now = float(L.data)
                            if second_order:  # Newton differentiates the gradient again
                                L.backward(create_graph=True)
                            else:
                                L.backward()
                        if pending is not None:
                            stopped = end_epoch(pending, loss_now, grad_norm(params))
                            pending = None
                            if stopped:
                                break
                        before = None
                        if step is not None:
                            step.update()
                        else:
                            before = model.param_vector() if callback is not None else None
                            opt.step()
                        history.updates += 1
                        if record_params:
                            history.params.append(model.param_vector())
                        if callback is not None and before is not None:
                            batch = np.arange(ds.n_samples) if idx is None else np.asarray(idx)
                            callback(FitUpdate(history.updates, epoch, batch, L, pred, before, model))
                    if stopped:
                        break
                    history.lrs.append(lr_now)
                    if whole:
                        pending = epoch
                    elif grad_tol is not None:
                        stopped = end_epoch(epoch, *_loss_and_grad_norm(model, X, y, loss_fn))
                    else:
                        stopped = end_epoch(epoch, evaluate_loss(model, X, y, loss_fn), None)
                    if scheduler is not None:
                        scheduler.step()
                    if stopped:
                        break
                except OverflowError as exc:
                    raise _diverged(
                        f"the numbers overflowed ({exc})", pending or epoch, opt.lr, float("inf"), hint()
                    ) from None
            try:
                if pending is not None:
                    end_epoch(pending, *_loss_and_grad_norm(model, X, y, loss_fn))
                elif not stopped:
                    history.final_grad_norm = _loss_and_grad_norm(model, X, y, loss_fn)[1]
            except OverflowError as exc:
                raise _diverged(
                    f"the numbers overflowed ({exc})", pending or int(epochs), opt.lr, float("inf"), hint()
                ) from None
        except DivergenceError as err:
            finish()
            err.history = history
            raise
        finally:
            if bar is not None:
                bar.close()
    if history.converged is None:
        if grad_tol is not None or loss_tol is not None:
            history.converged = False
            history.stop_reason = (
                f"not converged after {history.epochs} epochs: gradient norm {history.final_grad_norm:.3g}"
                + (f" > tolerance {grad_tol:g}" if grad_tol is not None else "")
            )
        else:
            history.stop_reason = f"ran all {history.epochs} epochs (no tolerance given)"
    finish()
    if is_linear and loss_name in ("sse", "mse") and not l1:
        cf = lstsq(X, y, bias=model.bias, loss=loss_name, l2=l2)
        if scaler is not None:
            w0, b0 = scaler.to_original(cf.weights, cf.intercept)
            cf = LeastSquares(w0, b0, cf.loss, cf.loss_name, cf.l2, cf.condition_number)
        history.closed_form = cf
    return history
